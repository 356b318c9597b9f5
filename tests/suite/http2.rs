//! HTTP/2: browsers hold HTTP/1.1 to 6 connections per host, so 20
//! requests at once to the dev server's HTTP listener peak at 6 in flight;
//! over its HTTPS listener (HTTP/2, one connection) all 20 are in flight at
//! once. The test browsers accept the self-signed certificate
//! (`acceptInsecureCerts` in `webdriver.json`). Not in Node.js, whose
//! `fetch` speaks HTTP/1.1 and does not trust that certificate. Natively
//! the client is told to accept it (`danger_accept_invalid_certs`), and
//! negotiates HTTP/2 by ALPN, which the server's echo confirms.

use futures_util::future::join_all;
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::{context, settled, tag, API};

/// The dev server's HTTPS (HTTP/2) listener.
const API_H2: &str = match option_env!("FANOUT_TEST_API_H2") {
    Some(s) => s,
    None => "",
};

/// A client on `base`, trusting the dev server's certificate natively.
fn client_on(base: &str) -> fanout::Client {
    let b = fanout::Client::builder()
        .base_url(base)
        .retry(fanout::Retry::none());
    #[cfg(not(target_arch = "wasm32"))]
    let b = b.danger_accept_invalid_certs(true);
    b.build().unwrap()
}

/// The server's peak in flight for 20 concurrent GETs to `base`.
async fn peak_of_twenty(base: &str, name: &str) -> u64 {
    let t = tag(name);
    let client = client_on(base);
    let all = (1..=20).map(|i| {
        let c = client.clone();
        let url = format!("posts/{i}?tag={t}&delay=300");
        async move { c.get(url).send().await?.bytes().await }
    });
    for r in join_all(all).await {
        r.unwrap();
    }
    settled(&t).await["peak_in_flight"].as_u64().unwrap()
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn http2_lifts_the_six_connection_cap() {
    if context() == "node" {
        return;
    }
    assert!(
        API_H2.starts_with("https://"),
        "FANOUT_TEST_API_H2 is not set: run through `cargo xtask test`"
    );
    let h1 = peak_of_twenty(API, "h1-cap").await;
    let h2 = peak_of_twenty(API_H2, "h2-cap").await;
    if context() == "native" {
        // No connection cap natively, on either protocol.
        assert_eq!(h1, 20, "HTTP/1.1 peaked at {h1} in flight");
    } else {
        assert!(h1 <= 6, "HTTP/1.1 peaked at {h1} in flight");
    }
    assert!(
        h2 > 6,
        "HTTP/2 peaked at {h2} in flight, not past the 6-connection cap"
    );
    assert_eq!(h2, 20);
}

/// Natively the TLS listener is reached over HTTP/2 (ALPN), the plain one
/// over HTTP/1.1.
#[cfg(not(target_arch = "wasm32"))]
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn natively_https_negotiates_http2() {
    let version = |base: &'static str| async move {
        let v: serde_json::Value = client_on(base)
            .get("echo")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["version"].as_str().unwrap().to_owned()
    };
    assert_eq!(version(API_H2).await, "HTTP/2.0");
    assert_eq!(version(API).await, "HTTP/1.1");
}
