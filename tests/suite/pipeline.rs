//! The pipeline in a JS context: the mock-transport cases shared with the
//! native run (`tests/common/pipeline.rs`), and layers over `fetch` against
//! the dev server, with each error kind's `source()`.

use std::error::Error as _;
use std::time::Duration;

use fanout::{Error, JsError, Middleware, Next, Request, Response};
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::{client, settled, tag, FetchJson, API};

#[path = "../common/pipeline.rs"]
mod cases;

macro_rules! wasm_tests {
    ($($name:ident),*) => {
        $(
            #[wasm_bindgen_test(unsupported = tokio::test)]
            async fn $name() {
                cases::$name().await;
            }
        )*
    };
}

crate::for_each_pipeline_case!(wasm_tests);

/// Adds `x-layer: 1` to every request and counts the responses.
struct Stamp;

impl Middleware for Stamp {
    fn handle<'a>(
        &'a self,
        mut req: Request,
        next: Next<'a>,
    ) -> fanout::BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            req.set_header("x-layer", "1")?;
            next.run(req).await
        })
    }
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_header_added_by_a_layer_reaches_the_server() {
    let c = fanout::Client::builder()
        .base_url(API)
        .with(Stamp)
        .build()
        .unwrap();
    let v: Value = c.get("echo").fetch_json().await;
    assert_eq!(v["headers"]["x-layer"], "1");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn execute_sends_a_built_request_over_fetch() {
    let c = client();
    let req = c.post("echo").text("again").build().unwrap();
    let copy = req.try_clone().unwrap();
    for r in [req, copy] {
        let v: Value = c.execute(r).await.unwrap().json().await.unwrap();
        assert_eq!(v["body"], "again");
        assert_eq!(v["method"], "POST");
    }
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_dropped_layered_request_is_aborted_at_the_server() {
    let t = tag("layer-drop");
    let c = fanout::Client::builder()
        .base_url(API)
        .with(Stamp)
        .timeout(Duration::from_millis(150))
        .retry(fanout::Retry::none())
        .build()
        .unwrap();
    let e = c.get(format!("hang?tag={t}")).send().await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert_eq!(settled(&t).await["in_flight"], 0);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn each_error_kind_keeps_its_source() {
    // Network: the JS exception fetch rejected with.
    let e = fanout::Client::builder()
        .retry(fanout::Retry::none())
        .build()
        .unwrap()
        .get("http://127.0.0.1:9/")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_network(), "{e}");
    assert_platform_cause(&e);

    // Decode: serde_json's error.
    let e = client()
        .get("malformed")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap_err();
    assert!(e
        .source()
        .unwrap()
        .downcast_ref::<serde_json::Error>()
        .is_some());

    // Status, timeout and builder errors have no underlying cause.
    let e = client()
        .get("status/503")
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap_err();
    assert!(e.is_status() && e.source().is_none());
    let e = client()
        .get("x")
        .header("bad name", "1")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_builder() && e.source().is_none());
    let e = client()
        .get("hang")
        .timeout(Duration::from_millis(50))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout() && e.source().is_none());

    // A body cut short: the JS exception of the failed read.
    let e = client()
        .get("drop?after=100")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap_err();
    assert!(e.is_body(), "{e}");
    assert_platform_cause(&e);
}

/// The error's source is the platform's own error: the JS exception in
/// JS (its message unchanged as the error's), natively reqwest's error
/// (its message leading the error's, which adds the chain of causes).
fn assert_platform_cause(e: &Error) {
    let source = e.source().expect("a source");
    #[cfg(target_arch = "wasm32")]
    {
        let js = source.downcast_ref::<JsError>().expect("a JsError source");
        assert!(!js.message().is_empty());
        assert_eq!(e.message(), js.message(), "Display is unchanged");
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        assert!(source.downcast_ref::<JsError>().is_none());
        let cause = source.to_string();
        assert!(!cause.is_empty());
        assert!(e.message().starts_with(&cause), "{e} / {cause}");
    }
}
