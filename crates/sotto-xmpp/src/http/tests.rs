// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The upload PUT over an in-memory stream: what is sent, how answers and
//! broken connections are reported. The real server (Prosody's
//! mod_http_file_share over HTTPS) is in the workspace's upload tests.

#![allow(clippy::unwrap_used)]

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::*;

fn url(text: &str) -> UploadUrl {
    UploadUrl::parse(text).unwrap()
}

#[test]
fn urls_parse_and_plain_http_is_refused_except_to_onions() {
    assert_eq!(
        url("https://upload.example.org/share/abc/photo%201.jpg?x=1#frag"),
        UploadUrl {
            tls: true,
            host: "upload.example.org".into(),
            port: 443,
            target: "/share/abc/photo%201.jpg?x=1".into(),
        }
    );
    assert_eq!(url("https://127.0.0.1:5281/f").port, 5281);
    assert_eq!(url("https://[::1]:8443/f").host, "::1");
    assert_eq!(url("https://example.org").target, "/");
    assert_eq!(url("https://example.org?q").target, "/?q");
    assert!(!url("http://abcdefgh.onion/f").tls);
    for bad in [
        "http://example.org/f",
        "ftp://example.org/f",
        "https://user@example.org/f",
        "https://example.org:0/f",
        "https://example.org:99999/f",
        "https:///f",
        "https://example.org/a b",
        "https://example.org/a\r\nX: y",
    ] {
        assert!(UploadUrl::parse(bad).is_err(), "{bad}");
    }
    let err = UploadUrl::parse("http://example.org/f").unwrap_err();
    assert!(err.to_string().contains("only over HTTPS"), "{err}");
}

/// Runs `exchange` against a server that reads the whole request and
/// answers `answer`; returns the result, the request bytes and the progress.
async fn against(answer: &'static [u8], body: &[u8]) -> (Result<(), HttpError>, Vec<u8>, Vec<u64>) {
    let (client, mut server) = tokio::io::duplex(4096);
    let expected = body.len();
    let server = tokio::spawn(async move {
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = server.read(&mut buf).await.unwrap();
            request.extend_from_slice(&buf[..n]);
            if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n")
                && request.len() >= end + 4 + expected
            {
                break;
            }
        }
        server.write_all(answer).await.unwrap();
        request
    });
    let mut seen = Vec::new();
    let headers = vec![(
        "Authorization".to_owned(),
        "Bearer t0ken\r\nX-Injected: 1".to_owned(),
    )];
    let result = exchange(
        client,
        &url("https://up.example.org:5281/share/a/f.bin"),
        &headers,
        "image/png",
        body,
        &mut |n| seen.push(n),
    )
    .await;
    (result, server.await.unwrap(), seen)
}

#[tokio::test]
async fn a_put_sends_the_body_with_its_length_and_reports_progress() {
    let body: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
    let (result, request, progress) =
        against(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", &body).await;
    result.unwrap();
    let end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(request[..end].to_vec()).unwrap();
    assert!(
        head.starts_with("PUT /share/a/f.bin HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\nHost: up.example.org:5281\r\n"));
    assert!(head.contains("\r\nContent-Length: 40000\r\n"));
    assert!(head.contains("\r\nContent-Type: image/png\r\n"));
    assert!(
        head.contains("\r\nAuthorization: Bearer t0kenX-Injected: 1"),
        "a CR/LF from the server cannot add a header: {head}"
    );
    assert_eq!(&request[end + 4..], &body[..]);
    assert_eq!(progress, vec![0, 16_384, 32_768, 40_000]);
}

#[tokio::test]
async fn an_error_status_is_reported_with_host_and_reason() {
    let (result, _, _) = against(b"HTTP/1.1 413 Payload Too Large\r\n\r\n", b"hello").await;
    let err = result.unwrap_err();
    assert!(
        matches!(&err, HttpError::Status { status: 413, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the upload server up.example.org refused the file: HTTP 413 Payload Too Large"
    );
}

#[tokio::test]
async fn garbage_or_silence_is_an_error_not_a_success() {
    let (result, _, _) = against(b"SSH-2.0-OpenSSH\r\n\r\n", b"x").await;
    assert!(result.unwrap_err().to_string().contains("not HTTP/1.x"));
    let (result, _, _) = against(b"", b"x").await;
    assert!(
        result
            .unwrap_err()
            .to_string()
            .contains("closed without answering")
    );
}

#[tokio::test]
async fn a_broken_connection_mid_upload_is_an_error() {
    let (client, server) = tokio::io::duplex(1024);
    drop(server);
    let body = vec![0u8; 100_000];
    let err = exchange(
        client,
        &url("https://up.example.org/f"),
        &[],
        "application/octet-stream",
        &body,
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, HttpError::Io { .. }), "{err:?}");
}

/// Runs `fetch` against a server that answers `answer` to the request.
async fn fetched(answer: &'static [u8], max: u64) -> (Result<Vec<u8>, HttpError>, String) {
    let (client, mut server) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.ends_with(b"\r\n\r\n") {
            let n = server.read(&mut buf).await.unwrap();
            request.extend_from_slice(&buf[..n]);
        }
        server.write_all(answer).await.unwrap();
        String::from_utf8(request).unwrap()
    });
    let result = fetch(
        client,
        &url("https://up.example.org/share/a/b%C3%A9ach%20photo.jpg"),
        max,
        &mut |_, _| {},
    )
    .await;
    (result, server.await.unwrap())
}

#[tokio::test]
async fn a_get_reads_by_length_or_chunks_and_refuses_what_is_too_big_or_short() {
    let (body, request) = fetched(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 100).await;
    assert_eq!(body.unwrap(), b"hello");
    assert!(request.starts_with("GET /share/a/b%C3%A9ach%20photo.jpg HTTP/1.1\r\n"));
    assert!(request.contains("\r\nHost: up.example.org\r\n"));

    let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\n\r\n";
    assert_eq!(fetched(chunked, 100).await.0.unwrap(), b"hello");
    let (to_end, _) = fetched(b"HTTP/1.0 200 OK\r\n\r\nhello", 100).await;
    assert_eq!(to_end.unwrap(), b"hello");

    let (big, _) = fetched(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", 100).await;
    assert!(
        big.unwrap_err()
            .to_string()
            .contains("larger than 100 bytes")
    );
    let (big, _) = fetched(b"HTTP/1.0 200 OK\r\n\r\nhello", 3).await;
    assert!(big.unwrap_err().to_string().contains("larger than 3 bytes"));
    let (short, _) = fetched(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello", 100).await;
    assert!(
        short
            .unwrap_err()
            .to_string()
            .contains("after 5 of 9 bytes")
    );
    let (gone, _) = fetched(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 100).await;
    assert!(matches!(gone, Err(HttpError::Status { status: 404, .. })));
    let (bad, _) = fetched(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        100,
    )
    .await;
    assert!(bad.unwrap_err().to_string().contains("malformed chunk"));
}

#[test]
fn a_urls_file_name_is_decoded() {
    assert_eq!(
        url("https://up.example.org/share/a/b%C3%A9ach%20photo.jpg?v=1").file_name(),
        "béach photo.jpg"
    );
    assert_eq!(url("https://up.example.org/a/%ZZ").file_name(), "%ZZ");
}

mod hostile;
mod pin;
