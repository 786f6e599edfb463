// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

use super::*;

#[test]
fn parses_proxy_urls() {
    let t = Socks5Transport::parse("socks5://127.0.0.1:9050").expect("parses");
    assert_eq!((t.proxy_host.as_str(), t.proxy_port), ("127.0.0.1", 9050));
    let t = Socks5Transport::parse("socks5h://[::1]:1080/").expect("parses");
    assert_eq!((t.proxy_host.as_str(), t.proxy_port), ("::1", 1080));
    assert!(Socks5Transport::parse("socks5://nohost").is_none());
    assert!(Socks5Transport::parse("socks5://:1").is_none());
    assert!(Socks5Transport::parse("socks5://h:99999").is_none());
}

#[tokio::test]
async fn asks_the_proxy_to_resolve_the_name() {
    let (mut client, mut proxy) = duplex(1024);
    let server = tokio::spawn(async move {
        let mut greeting = [0u8; 3];
        proxy.read_exact(&mut greeting).await.expect("greeting");
        assert_eq!(greeting, [5, 1, 2]);
        proxy.write_all(&[5, 2]).await.expect("choice");
        let mut auth = [0u8; 2 + 4 + 1 + 6];
        proxy.read_exact(&mut auth).await.expect("auth");
        assert_eq!(&auth, b"\x01\x04acct\x06secret");
        proxy.write_all(&[1, 0]).await.expect("auth ok");
        let mut head = [0u8; 5];
        proxy.read_exact(&mut head).await.expect("request");
        assert_eq!(head, [5, 1, 0, 3, 22], "CONNECT by domain name");
        let mut name = vec![0u8; 22 + 2];
        proxy.read_exact(&mut name).await.expect("name");
        assert_eq!(&name[..22], b"abcdefghijklmnop.onion");
        assert_eq!(&name[22..], &5222u16.to_be_bytes());
        proxy
            .write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0x14, 0x66])
            .await
            .expect("reply");
        proxy.write_all(b"<stream").await.expect("data");
    });
    handshake(
        &mut client,
        "abcdefghijklmnop.onion",
        5222,
        Some(("acct", "secret")),
    )
    .await
    .expect("handshake");
    let mut data = [0u8; 7];
    client
        .read_exact(&mut data)
        .await
        .expect("data after handshake");
    assert_eq!(&data, b"<stream");
    server.await.expect("server");
}

#[tokio::test]
async fn refusals_are_clear_errors() {
    let (mut client, mut proxy) = duplex(1024);
    tokio::spawn(async move {
        let mut greeting = [0u8; 3];
        let _ = proxy.read_exact(&mut greeting).await;
        let _ = proxy.write_all(&[5, 0]).await;
        let mut buf = [0u8; 64];
        let _ = proxy.read(&mut buf).await;
        let _ = proxy.write_all(&[5, 4, 0, 1, 0, 0, 0, 0, 0, 0]).await;
    });
    let error = handshake(&mut client, "example.org", 5222, None)
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("host unreachable"), "{error}");
    assert!(error.is_transient());

    let (mut client, mut proxy) = duplex(1024);
    tokio::spawn(async move {
        let mut greeting = [0u8; 3];
        let _ = proxy.read_exact(&mut greeting).await;
        let _ = proxy.write_all(&[5, 0xff]).await;
    });
    let error = handshake(&mut client, "example.org", 5222, Some(("u", "p")))
        .await
        .expect_err("method refused");
    assert!(
        error.to_string().contains("authentication method"),
        "{error}"
    );

    let (mut client, proxy) = duplex(1024);
    drop(proxy);
    assert!(
        handshake(&mut client, "example.org", 5222, None)
            .await
            .is_err()
    );
}
