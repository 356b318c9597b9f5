//! Every response reader.

use futures_util::StreamExt;
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::FetchJson;
use super::support::{client, API};

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn status_headers_and_url() {
    let r = client().get("echo").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.ok());
    assert_eq!(r.url(), format!("{API}/echo"));
    assert_eq!(r.headers().get("x-echo").as_deref(), Some("yes"));
    assert!(r.headers().has("content-type"));
    assert!(r.headers().iter().any(|(k, v)| k == "x-echo" && v == "yes"));
    assert!(r.content_length().unwrap() > 10);
    assert_eq!(r.attempts(), 1);
    let r = client().get("status/418").send().await.unwrap();
    assert_eq!(r.status(), 418);
    assert!(!r.ok());
    let text = r.status_text();
    assert!(text.is_empty() || text.contains("teapot"), "{text}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn text_bytes_and_json() {
    let c = client();
    let text = c.get("posts/3").send().await.unwrap().text().await.unwrap();
    assert!(
        text.contains("\"id\": 3") || text.contains("\"id\":3"),
        "{text}"
    );
    // `bytes()`: see `small_and_large_bodies_read_the_same`.
    let photos: Vec<Value> = c.get("photos").fetch_json().await;
    assert_eq!(photos.len(), 5000);
}

/// Both body paths give the same bytes: `arrayBuffer()` below 64 KiB, the
/// stream into a buffer of the `Content-Length` from there (at the
/// threshold, just under it, and well over it), and a large body without
/// a `Content-Length` (chunked) decodes as the same one with it.
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn small_and_large_bodies_read_the_same() {
    let c = client();
    for n in [1_000usize, 65_535, 65_536, 300_001] {
        let bytes = c
            .get(format!("bytes?n={n}"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(bytes.len(), n);
        assert!(
            bytes.iter().enumerate().all(|(i, b)| *b == (i % 256) as u8),
            "n={n}"
        );
    }
    let sized: Vec<String> = c.get("big?kb=300").fetch_json().await;
    let chunked: Vec<String> = c.get("big-chunked?kb=300").fetch_json().await;
    assert!(sized.iter().map(String::len).sum::<usize>() > 250 * 1024);
    assert_eq!(sized, chunked);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn integers_beyond_2_pow_53_keep_their_precision() {
    #[derive(serde::Deserialize)]
    struct Big {
        id: u64,
        big: u64,
        neg: i64,
    }
    let b: Big = client().get("bigint").fetch_json().await;
    assert_eq!(b.id, 9_007_199_254_740_993);
    assert_eq!(b.big, u64::MAX);
    assert_eq!(b.neg, -9_007_199_254_740_993);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn error_for_status_on_the_response() {
    let r = client().get("posts/999").send().await.unwrap();
    assert_eq!(r.status(), 404);
    let e = r.error_for_status().unwrap_err();
    assert!(e.is_status());
    assert_eq!(e.status(), Some(404));
    assert!(client()
        .get("posts/1")
        .send()
        .await
        .unwrap()
        .error_for_status()
        .is_ok());
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn bytes_stream_yields_chunks_as_they_arrive() {
    let r = client()
        .get("drip?chunks=5&interval_ms=50&chunk_size=10")
        .send()
        .await
        .unwrap();
    let mut stream = r.bytes_stream();
    let mut chunks = 0;
    let mut total = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        assert!(chunk.iter().all(|b| *b == b'x'));
        total += chunk.len();
        chunks += 1;
    }
    assert_eq!(total, 50);
    assert!(
        chunks >= 2,
        "a dripping body arrives in several chunks, got {chunks}"
    );
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn body_size_cap_from_client_and_request() {
    let capped = fanout::Client::builder()
        .base_url(API)
        .max_body_size(10_000)
        .build()
        .unwrap();
    // Known length: refused before reading.
    let e = capped
        .get("big?kb=100")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap_err();
    assert!(e.is_too_large() && e.is_body(), "{e}");
    // Unknown length (chunked): refused while streaming.
    let e = capped
        .get("big-chunked?kb=100")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap_err();
    assert!(e.is_too_large(), "{e}");
    let e = client()
        .get("big-chunked?kb=100")
        .max_body_size(50_000)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap_err();
    assert!(e.is_too_large(), "{e}");
    // Under the cap is fine.
    let v: Value = capped.get("posts/1").fetch_json().await;
    assert_eq!(v["id"], 1);
}
