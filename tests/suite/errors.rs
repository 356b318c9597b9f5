//! Every error kind, each produced by a real fault from the server, and
//! cancellation proved from the server's side through `/stats`.

use std::time::Duration;

use fanout::{AbortController, Client, Error};
use futures_util::future::{select, Either};
use serde_json::Value;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::{client, settled, sleep, stats, tag, API};

/// The `name` of the error as JS sees it (natively, the name it would
/// cross with: `Error::js_name`).
#[cfg(target_arch = "wasm32")]
fn js_name(e: Error) -> String {
    let js: JsValue = e.into();
    js.unchecked_into::<js_sys::Error>().name().into()
}

#[cfg(not(target_arch = "wasm32"))]
fn js_name(e: Error) -> String {
    e.js_name().to_owned()
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn malformed_json_is_a_decode_error() {
    let e = client()
        .get("malformed")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap_err();
    assert!(e.is_decode(), "{e}");
    assert!(e.body_start().unwrap().starts_with("{\"userId\": 1"));
    assert_eq!(e.url(), Some(format!("{API}/malformed").as_str()));
    assert_eq!(js_name(e), "DecodeError");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn wrong_field_type_names_the_field() {
    let e = client()
        .get("wrong-type")
        .send()
        .await
        .unwrap()
        .json::<super::support::Post>()
        .await
        .unwrap_err();
    assert!(e.is_decode());
    assert_eq!(e.decode_path(), Some("userId"));
    assert!(
        e.to_string()
            .starts_with(&format!("GET {API}/wrong-type: invalid JSON at userId")),
        "{e}"
    );
}

// Natively no error crosses into JS.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn status_error_crosses_into_js_as_http_error() {
    let e = client()
        .get("status/500")
        .error_for_status(true)
        .send()
        .await
        .unwrap_err();
    let js: JsValue = e.into();
    let err: js_sys::Error = js.clone().unchecked_into();
    assert_eq!(String::from(err.name()), "HTTPError");
    let get = |k: &str| js_sys::Reflect::get(&js, &k.into()).unwrap();
    assert_eq!(get("status").as_f64(), Some(500.0));
    assert_eq!(get("method").as_string().as_deref(), Some("GET"));
    assert_eq!(get("url").as_string(), Some(format!("{API}/status/500")));
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_body_cut_half_way_is_a_body_error() {
    let resp = client().get("drop?after=100").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let e = resp.bytes().await.unwrap_err();
    assert!(e.is_body(), "{e:?}");
    assert!(!e.is_too_large());
    assert_eq!(js_name(e), "TypeError");
}

/// A body of 64 KiB or more with a `Content-Length` is read from its
/// stream into one buffer: a cut there is a body error too, for `bytes()`
/// and `json()`, with the request's URL.
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_large_body_cut_half_way_is_a_body_error() {
    let resp = client().get("drop?after=70000").send().await.unwrap();
    assert_eq!(resp.content_length(), Some(100_000));
    let e = resp.bytes().await.unwrap_err();
    assert!(e.is_body(), "{e:?}");
    assert_eq!(e.url(), Some(format!("{API}/drop?after=70000").as_str()));
    let resp = client().get("drop?after=70000").send().await.unwrap();
    let e = resp.json::<Value>().await.unwrap_err();
    assert!(e.is_body(), "{e:?}");
}

/// The attempt timeout and abort-on-drop hold while a large body is read
/// chunk by chunk: the fetch is aborted and the server sees it go.
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_large_body_read_times_out_and_is_aborted() {
    let t = tag("presized-timeout");
    let start = super::support::now();
    let resp = client()
        .get(format!("drop?after=70000&hold_ms=10000&tag={t}"))
        .timeout(Duration::from_millis(400))
        .send()
        .await
        .unwrap();
    let e = resp.bytes().await.unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert!(super::support::now() - start < 5000.0);
    let s = settled(&t).await;
    assert_eq!(s["in_flight"], 0, "the server saw the fetch go: {s}");

    let t = tag("presized-drop");
    let resp = client()
        .get(format!("drop?after=70000&hold_ms=10000&tag={t}"))
        .send()
        .await
        .unwrap();
    {
        // The read is dropped at the end of this block.
        let read = std::pin::pin!(resp.json::<Value>());
        let nap = std::pin::pin!(sleep(Duration::from_millis(200)));
        if let Either::Left((r, _)) = select(read, nap).await {
            panic!("the body was never going to end: {r:?}");
        }
    }
    let s = settled(&t).await;
    assert_eq!(
        s["in_flight"], 0,
        "dropping the read aborted the fetch: {s}"
    );
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_response_that_never_comes_times_out_and_the_fetch_is_aborted() {
    let t = tag("hang");
    let start = super::support::now();
    let e = client()
        .get(format!("hang?tag={t}"))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert!(super::support::now() - start >= 250.0);
    assert!(e.to_string().contains("timed out after 300 ms"), "{e}");
    let s = settled(&t).await;
    assert_eq!(s["requests"], 1);
    assert_eq!(s["in_flight"], 0, "the server saw the fetch go: {s}");
    assert_eq!(js_name(e), "TimeoutError");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_slow_body_times_out_too() {
    let resp = client()
        .get("drip?chunks=20&interval_ms=100")
        .timeout(Duration::from_millis(400))
        .send()
        .await
        .unwrap();
    let e = resp.text().await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_closed_port_is_a_network_error() {
    let e = client()
        .get("http://127.0.0.1:9/nothing")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_network(), "{e}");
    assert_eq!(e.url(), Some("http://127.0.0.1:9/nothing"));
    assert_eq!(js_name(e), "NetworkError");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn an_aborted_signal_aborts_before_and_during() {
    let ctl = AbortController::new().unwrap();
    ctl.abort();
    let e = client()
        .get("posts/1")
        .abort_signal(&ctl.signal())
        .send()
        .await
        .unwrap_err();
    assert!(e.is_aborted() && !e.is_cancelled(), "{e}");

    let t = tag("signal");
    let ctl = AbortController::new().unwrap();
    let c = client();
    let req = c
        .get(format!("hang?tag={t}"))
        .abort_signal(&ctl.signal())
        .send();
    let abort_later = async {
        sleep(Duration::from_millis(200)).await;
        ctl.abort();
        std::future::pending::<()>().await
    };
    let e = match select(Box::pin(req), Box::pin(abort_later)).await {
        Either::Left((r, _)) => r.unwrap_err(),
        Either::Right(_) => unreachable!(),
    };
    assert!(e.is_aborted(), "{e}");
    assert_eq!(js_name(e), "AbortError");
    assert_eq!(settled(&t).await["in_flight"], 0);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn dropping_the_send_future_aborts_the_fetch() {
    let t = tag("drop-send");
    let c = client();
    let req = Box::pin(c.get(format!("hang?tag={t}")).send());
    match select(req, Box::pin(sleep(Duration::from_millis(300)))).await {
        Either::Left(_) => panic!("/hang answered"),
        Either::Right((_, req)) => {
            assert_eq!(stats(&t).await["in_flight"], 1, "the request is in flight");
            drop(req);
        }
    }
    let s = settled(&t).await;
    assert_eq!(s["in_flight"], 0, "{s}");
    assert_eq!(s["cancelled"], 1, "{s}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn dropping_a_body_future_aborts_the_download() {
    let t = tag("drop-body");
    let resp = client()
        .get(format!("drip?chunks=50&interval_ms=100&tag={t}"))
        .send()
        .await
        .unwrap();
    let body = Box::pin(resp.bytes());
    match select(body, Box::pin(sleep(Duration::from_millis(300)))).await {
        Either::Left(_) => panic!("the body finished too early"),
        Either::Right((_, body)) => drop(body),
    }
    let s = settled(&t).await;
    assert_eq!(s["in_flight"], 0, "{s}");
    assert_eq!(s["completed"], 0, "{s}");
}

#[cfg(target_arch = "wasm32")]
fn wasm_memory_bytes() -> u32 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length()
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn ten_thousand_requests_leave_nothing_behind() {
    // Each request arms a timeout timer, an abort controller and a permit;
    // all must be freed. Ten batches of 1,000: after the first has taken
    // wasm memory to its working size, the other nine must not grow it.
    let t = tag("many");
    let c = Client::builder()
        .base_url(API)
        .timeout(Duration::from_secs(30))
        .limit(64)
        .retry(fanout::Retry::none())
        .build()
        .unwrap();
    let batch = || async {
        let results = fanout::gather((0..1000).map(|_| {
            let c = c.clone();
            let url = format!("status/204?tag={t}");
            async move { c.head(url).send().await.map(|r| r.status()) }
        }))
        .await;
        assert!(results.iter().all(|r| matches!(r, Ok(204))));
    };
    batch().await;
    // Natively there is no wasm memory to watch: the server's count and
    // in-flight figure are what this run checks there.
    #[cfg(target_arch = "wasm32")]
    let before = wasm_memory_bytes();
    for _ in 0..9 {
        batch().await;
    }
    let s = settled(&t).await;
    assert_eq!(s["requests"], 10_000);
    assert_eq!(s["in_flight"], 0);
    #[cfg(target_arch = "wasm32")]
    {
        let after = wasm_memory_bytes();
        assert!(
            after <= before + 256 * 1024,
            "wasm memory grew from {before} to {after} bytes"
        );
    }
}
