// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The depth scanner against real XML shapes, fed whole and byte by byte,
//! and the guard over an in-memory stream.

#![allow(clippy::unwrap_used)]

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::*;

fn nested(depth: usize) -> String {
    format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth))
}

/// The deepest point of `xml`, found by feeding it in one piece and byte by byte.
fn deepest(xml: &str) -> usize {
    let whole = (0..64)
        .find(|max| check(xml.as_bytes(), *max).is_ok())
        .unwrap();
    let mut bytewise = DepthScanner::new(whole);
    for b in xml.as_bytes() {
        bytewise.feed(&[*b]).unwrap();
    }
    assert!(check(xml.as_bytes(), whole.saturating_sub(1)).is_err() || whole == 0);
    whole
}

#[test]
fn counts_what_opens_and_closes_and_nothing_else() {
    assert_eq!(deepest(&nested(5)), 5);
    assert_eq!(
        deepest("<?xml version='1.0'?><a><b/><b x='/>' y=\"<c>\"/></a>"),
        2
    );
    assert_eq!(
        deepest("<a><!-- <b><c><d> --><![CDATA[<b><c>]]>text &lt;b&gt;</a>"),
        1
    );
    assert_eq!(
        deepest("<stream:stream xmlns='jabber:client'><message><body>hi</body></message>"),
        3
    );
    assert_eq!(deepest("<a><b></b><b></b><b><c/></b></a>"), 3);
}

#[test]
fn refuses_one_level_past_the_bound() {
    assert!(check(nested(10).as_bytes(), 10).is_ok());
    assert_eq!(check(nested(11).as_bytes(), 10), Err(TooDeep(10)));
    assert!(check(nested(100_000).as_bytes(), MAX_STREAM_DEPTH).is_err());
}

#[tokio::test]
async fn the_guard_passes_shallow_xml_and_fails_the_read_that_goes_too_deep() {
    let (client, mut server) = tokio::io::duplex(1 << 16);
    let mut guard = DepthGuard::new(client, 4);
    server.write_all(b"<s><m><b>hi</b></m>").await.unwrap();
    let mut buf = [0u8; 64];
    let n = guard.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"<s><m><b>hi</b></m>");
    server.write_all(b"<m><a><b><c>").await.unwrap();
    let n = guard.read(&mut buf).await.unwrap();
    assert_eq!(
        &buf[..n],
        b"<m><a><b>",
        "what is fine before the deep tag passes"
    );
    let err = guard.read(&mut buf).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("deeper than 4 levels"), "{err}");
    server.write_all(b"</c>").await.unwrap();
    assert!(guard.read(&mut buf).await.is_err(), "it stays failed");
}

/// A server (or a peer whose message it relays) sends one stanza nested
/// 100,000 deep. Read the way the session reads its stream, on a thread
/// with the default 2 MiB stack, it must end the stream with an error,
/// not overflow the stack and abort the process.
#[test]
fn a_deep_stanza_on_the_stream_is_an_error_not_a_stack_overflow() {
    use tokio_xmpp::xmlstream::{StreamHeader, Timeouts, XmppStreamElement, initiate_stream};
    let outcome = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let (client, mut server) = tokio::io::duplex(1 << 16);
                let server = tokio::spawn(async move {
                    let mut header = [0u8; 1024];
                    let _ = server.read(&mut header).await;
                    let depth = 100_000;
                    let stanza = format!(
                        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
                         xmlns:stream='http://etherx.jabber.org/streams' version='1.0' \
                         from='example.org' id='s1'><stream:features/>\
                         <message from='a@example.org/x' type='chat'>{}{}</message>",
                        "<a xmlns='x'>".repeat(depth),
                        "</a>".repeat(depth)
                    );
                    let _ = server.write_all(stanza.as_bytes()).await;
                    server
                });
                let pending = initiate_stream(
                    crate::login::guarded(client),
                    "jabber:client",
                    StreamHeader {
                        to: Some("example.org".into()),
                        from: None,
                        id: None,
                    },
                    Timeouts::tight(),
                )
                .await
                .unwrap();
                let (_, mut stream) = pending.recv_features::<XmppStreamElement>().await.unwrap();
                let result = crate::login::next_element(&mut stream, "reading").await;
                drop(server);
                result.map(|_| ()).map_err(|e| e.to_string())
            })
        })
        .unwrap()
        .join()
        .unwrap();
    let err = outcome.unwrap_err();
    assert!(err.contains("deeper than 128 levels"), "{err}");
}
