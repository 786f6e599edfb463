// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Download servers that lie, loop or send garbage: each must end in a
//! clear error (or the honest part of the answer), never a panic, a hang or
//! an allocation the server chose.

#![allow(clippy::unwrap_used)]

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::super::*;

/// Runs `fetch` with limit `max` against a server that reads the request,
/// then writes `answer` and, if `endless` is given, repeats it until the
/// client hangs up.
async fn hostile(
    answer: Vec<u8>,
    endless: Option<Vec<u8>>,
    max: u64,
) -> Result<Vec<u8>, HttpError> {
    let (client, mut server) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.ends_with(b"\r\n\r\n") {
            let n = server.read(&mut buf).await.unwrap();
            request.extend_from_slice(&buf[..n]);
        }
        if server.write_all(&answer).await.is_err() {
            return;
        }
        if let Some(again) = endless {
            while server.write_all(&again).await.is_ok() {}
        }
    });
    let url = UploadUrl::parse("https://dl.example.org/f").unwrap();
    let result = fetch(client, &url, max, &mut |_, _| {}).await;
    server.await.unwrap();
    result
}

fn err_text(result: Result<Vec<u8>, HttpError>) -> String {
    match result {
        Ok(body) => panic!("expected an error, got {} bytes", body.len()),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_huge_chunk_size_after_a_first_chunk_is_too_big_not_a_panic() {
    let answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                   3\r\nabc\r\nffffffffffffffff\r\nxyz"
        .to_vec();
    let text = err_text(hostile(answer, None, 1000).await);
    assert!(text.contains("larger than 1000 bytes"), "{text}");
}

#[tokio::test]
async fn chunk_sizes_that_are_not_plain_hex_are_refused() {
    for size in ["+3", "-0", "3 x", "0x3", "", "1_0", "10000000000000000"] {
        let answer = format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\nabc\r\n0\r\n\r\n"
        );
        let text = err_text(hostile(answer.into_bytes(), None, 1 << 20).await);
        assert!(text.contains("malformed chunk"), "{size:?}: {text}");
    }
}

#[tokio::test]
async fn chunk_data_must_end_with_an_empty_line() {
    let answer =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n".to_vec();
    let text = err_text(hostile(answer, None, 1000).await);
    assert!(text.contains("malformed chunk"), "{text}");
}

#[tokio::test]
async fn a_content_length_over_the_limit_is_refused_before_any_body() {
    let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n".to_vec();
    let text = err_text(hostile(answer, None, 1000).await);
    assert!(text.contains("larger than 1000 bytes"), "{text}");
}

#[tokio::test]
async fn an_unreadable_or_conflicting_content_length_is_an_error_not_read_to_the_end() {
    for length in [
        "Content-Length: 99999999999999999999999",
        "Content-Length: five",
        "Content-Length: -5",
        "Content-Length: 5\r\nContent-Length: 6",
    ] {
        let answer = format!("HTTP/1.1 200 OK\r\n{length}\r\n\r\nhello");
        let text = err_text(hostile(answer.into_bytes(), None, 1000).await);
        assert!(text.contains("Content-Length"), "{length:?}: {text}");
    }
}

/// A declared length is not an allocation: 64 TiB declared (under a limit
/// that allows it) and 5 bytes sent must end in "after 5 of …", not in
/// the allocator aborting the process.
#[tokio::test]
async fn a_lying_content_length_allocates_nothing_it_declares() {
    let declared = 1u64 << 46;
    let answer = format!("HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\n\r\nhello");
    let text = err_text(hostile(answer.into_bytes(), None, u64::MAX).await);
    assert!(
        text.contains(&format!("after 5 of {declared} bytes")),
        "{text}"
    );
}

#[tokio::test]
async fn a_body_longer_than_declared_is_cut_at_the_declared_length() {
    let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello and more".to_vec();
    assert_eq!(hostile(answer, None, 1000).await.unwrap(), b"hello");
}

#[tokio::test]
async fn endless_headers_end_in_an_error() {
    let answer = b"HTTP/1.1 200 OK\r\n".to_vec();
    let text = err_text(hostile(answer, Some(b"X-A: b\r\n".to_vec()), 1000).await);
    assert!(text.contains("headers"), "{text}");
    let text = err_text(
        hostile(
            b"HTTP/1.1 200 OK\r\nX: ".to_vec(),
            Some(b"a".to_vec()),
            1000,
        )
        .await,
    );
    assert!(text.contains("headers are too long"), "{text}");
}

#[tokio::test]
async fn more_than_a_hundred_short_headers_are_refused() {
    let mut answer = b"HTTP/1.1 200 OK\r\n".to_vec();
    for _ in 0..101 {
        answer.extend_from_slice(b"A: b\r\n");
    }
    answer.extend_from_slice(b"\r\nhello");
    let text = err_text(hostile(answer, None, 1000).await);
    assert!(text.contains("more than 100 headers"), "{text}");
}

#[tokio::test]
async fn an_answer_cut_inside_its_head_is_an_error_not_an_empty_file() {
    let text = err_text(hostile(b"HTTP/1.1 200 OK\r\nContent-Len".to_vec(), None, 1000).await);
    assert!(text.contains("ended mid-answer"), "{text}");
}

#[tokio::test]
async fn garbage_status_lines_are_refused() {
    for line in [
        "HTTP/1.1 abc OK",
        "HTTP/1.1 2000 OK",
        "HTTP/1.1  200 OK",
        "HTTP/1.1",
        "\u{1b}[2JHTTP/1.1 200 OK",
        "HTTP/2 200 OK",
    ] {
        let answer = format!("{line}\r\nContent-Length: 0\r\n\r\n");
        let text = err_text(hostile(answer.into_bytes(), None, 1000).await);
        assert!(
            text.contains("no valid status code") || text.contains("not HTTP/1.x"),
            "{line:?}: {text}"
        );
    }
}

#[tokio::test]
async fn a_reason_phrase_reaches_the_error_without_terminal_controls() {
    let answer = b"HTTP/1.1 403 \x1b[2J\x1b]52;c;aGk=\x07go away\r\n\r\n".to_vec();
    let text = err_text(hostile(answer, None, 1000).await);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(
        text.ends_with("HTTP 403 \\u{1b}[2J\\u{1b}]52;c;aGk=\\u{7}go away"),
        "{text}"
    );
}

/// The crash the `http_response` fuzz target found (a second chunk whose
/// size overflowed the running total), replayed on stable.
#[tokio::test]
async fn fuzz_crash_http_chunk_size_overflow_is_an_error() {
    let answer = include_bytes!("../../../tests/fuzz/http_chunk_size_overflow.bin").to_vec();
    // Any outcome but a panic: the reader's answer to this input is an error.
    assert!(hostile(answer, None, 1 << 20).await.is_err());
}
