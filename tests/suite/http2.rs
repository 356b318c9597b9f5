//! HTTP/2: browsers hold HTTP/1.1 to 6 connections per host, so 20
//! requests at once to the dev server's HTTP listener peak at 6 in flight;
//! over its HTTPS listener (HTTP/2, one connection) all 20 are in flight at
//! once. The test browsers accept the self-signed certificate
//! (`acceptInsecureCerts` in `webdriver.json`). Not in Node.js, whose
//! `fetch` speaks HTTP/1.1 and does not trust that certificate.

use futures_util::future::join_all;
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::{context, settled, tag, API};

/// The dev server's HTTPS (HTTP/2) listener.
const API_H2: &str = match option_env!("FANOUT_TEST_API_H2") {
    Some(s) => s,
    None => "",
};

/// The server's peak in flight for 20 concurrent GETs to `base`.
async fn peak_of_twenty(base: &str, name: &str) -> u64 {
    let t = tag(name);
    let client = fanout::Client::builder()
        .base_url(base)
        .retry(fanout::Retry::none())
        .build()
        .unwrap();
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

#[wasm_bindgen_test]
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
    assert!(h1 <= 6, "HTTP/1.1 peaked at {h1} in flight");
    assert!(
        h2 > 6,
        "HTTP/2 peaked at {h2} in flight, not past the 6-connection cap"
    );
    assert_eq!(h2, 20);
}
