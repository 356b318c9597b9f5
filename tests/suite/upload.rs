//! Upload progress (`RequestBuilder::on_upload_progress`) against the dev
//! server's `/upload`: over `XMLHttpRequest` in browser pages and workers,
//! over `fetch` with a streamed body in Node.js.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fanout::{Retry, Transfer};
use futures::future::{select, Either};
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::{client, context, settled, sleep, stats, tag, API};

type Calls = Arc<Mutex<Vec<Transfer>>>;

fn recorder() -> (impl Fn(Transfer) + 'static, Calls) {
    let calls = Calls::default();
    let c = calls.clone();
    (move |t| c.lock().unwrap().push(t), calls)
}

/// `loaded` never goes down and never passes `total`; the last call, and
/// only it, has `total == Some(loaded)` with `loaded == size`.
fn check_progress(calls: &[Transfer], size: u64) {
    assert!(!calls.is_empty(), "{}: no progress call", context());
    for pair in calls.windows(2) {
        assert!(pair[0].loaded <= pair[1].loaded, "{}: {calls:?}", context());
    }
    for t in calls {
        if let Some(total) = t.total {
            assert!(t.loaded <= total, "{}: {calls:?}", context());
        }
    }
    let last = calls[calls.len() - 1];
    assert_eq!(last.loaded, size, "{}: {calls:?}", context());
    assert_eq!(last.total, Some(size), "{}: {calls:?}", context());
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn upload_progress_ends_at_the_body_size_for_bytes_text_and_form_data() {
    // Bytes: 1 MiB.
    let size = 1 << 20;
    let (f, calls) = recorder();
    let v: Value = client()
        .post("upload")
        .bytes(vec![7u8; size])
        .on_upload_progress(f)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["received"], size as u64);
    check_progress(&calls.lock().unwrap(), size as u64);

    // Text, with multi-byte characters: the size is in bytes.
    let text = "héllo ✓ ".repeat(10_000);
    let (f, calls) = recorder();
    let v: Value = client()
        .put("upload")
        .text(text.clone())
        .on_upload_progress(f)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["received"], text.len() as u64);
    check_progress(&calls.lock().unwrap(), text.len() as u64);

    // FormData: the multipart encoding's size, whatever the platform
    // makes it (the server counts it). `FormData` is the platform's:
    // browsers and Node.js only.
    #[cfg(target_arch = "wasm32")]
    {
        let form = fanout::FormData::new().unwrap();
        form.append_with_str("title", &"x".repeat(100_000)).unwrap();
        form.append_with_str("body", "short").unwrap();
        let (f, calls) = recorder();
        let v: Value = client()
            .post("upload")
            .form_data(&form)
            .on_upload_progress(f)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let received = v["received"].as_u64().unwrap();
        assert!(received > 100_000, "{v}");
        check_progress(&calls.lock().unwrap(), received);
    }

    // An empty body: one call, 0 of 0.
    let (f, calls) = recorder();
    let v: Value = client()
        .post("upload")
        .bytes(Vec::new())
        .on_upload_progress(f)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["received"], 0);
    check_progress(&calls.lock().unwrap(), 0);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_slow_upload_reports_as_it_goes() {
    // A server that reads slowly (about 400 KB every 25 ms): the body,
    // larger than what the sockets' buffers hold on loopback (a browser
    // counts what went into them), cannot go at once, so there are
    // reports before the end, with time between them.
    let size: u64 = 24 << 20;
    let calls: Arc<Mutex<Vec<(Transfer, f64)>>> = Arc::default();
    let c = calls.clone();
    let v: Value = client()
        .post("upload?slow_ms=25")
        .bytes(vec![1u8; size as usize])
        .on_upload_progress(move |t| c.lock().unwrap().push((t, super::support::now())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["received"], size);
    let calls = calls.lock().unwrap();
    let transfers: Vec<Transfer> = calls.iter().map(|(t, _)| *t).collect();
    check_progress(&transfers, size);
    let partial = transfers
        .iter()
        .filter(|t| t.loaded > 0 && t.loaded < size)
        .count();
    assert!(
        partial >= 2,
        "{}: too few reports before the end: {transfers:?}",
        context()
    );
    let span = calls[calls.len() - 1].1 - calls[0].1;
    assert!(span > 20.0, "{}: all reports within {span} ms", context());
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_request_without_upload_progress_is_unchanged() {
    let v: Value = client()
        .post("upload")
        .bytes(vec![1u8; 1000])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["received"], 1000);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn the_upload_path_keeps_status_headers_url_and_errors() {
    // A status and headers from the server.
    let resp = client()
        .post("status/418")
        .text("x")
        .on_upload_progress(|_| {})
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 418);
    assert!(!resp.ok());
    assert!(resp.headers().get("content-type").is_some());
    let err = resp.error_for_status().unwrap_err();
    assert_eq!(err.status(), Some(418), "{err}");
    // The client's error_for_status still applies.
    let c = fanout::Client::builder()
        .base_url(API)
        .retry(Retry::none())
        .error_for_status(true)
        .build()
        .unwrap();
    let err = c
        .post("status/500")
        .text("x")
        .on_upload_progress(|_| {})
        .send()
        .await
        .unwrap_err();
    assert!(err.is_status(), "{err}");

    // The body size cap.
    let err = client()
        .post("upload")
        .bytes(vec![0u8; 100])
        .max_body_size(5)
        .on_upload_progress(|_| {})
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap_err();
    assert!(err.is_too_large(), "{err}");

    // A network error (nothing listens there).
    let err = client()
        .post("http://127.0.0.1:9/upload")
        .text("x")
        .on_upload_progress(|_| {})
        .send()
        .await
        .unwrap_err();
    assert!(err.is_network(), "{err}");

    // Download progress on the response, the text reader, the URL.
    let (f, calls) = recorder();
    let resp = client()
        .post("upload")
        .bytes(vec![2u8; 5000])
        .on_upload_progress(f)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.url(), format!("{API}/upload"));
    let (g, down) = recorder();
    let text = resp.on_progress(g).text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["received"], 5000);
    check_progress(&down.lock().unwrap(), text.len() as u64);
    check_progress(&calls.lock().unwrap(), 5000);

    // A 307 keeps the method and the body: the final URL is the target's.
    // Node.js streams the body, and the Fetch standard cannot send a
    // stream again: there the redirect is a network error.
    let (f, calls) = recorder();
    let sent = client()
        .post("redirect?to=/upload&status=307")
        .bytes(vec![2u8; 5000])
        .on_upload_progress(f)
        .send()
        .await;
    if context() == "node" {
        let err = sent.unwrap_err();
        assert!(err.is_network(), "{err}");
        return;
    }
    let resp = sent.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.url(), format!("{API}/upload"));
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["received"], 5000);
    assert_eq!(calls.lock().unwrap().last().unwrap().loaded, 5000);
}

/// Waits until the server has the upload tagged `t` (sent to
/// `upload?hold_ms=10000`, where it stays in flight for 10 s unless the
/// client goes away) and returns its future, still pending.
async fn until_in_flight<F: std::future::Future + Unpin>(t: &str, send: F) -> F
where
    F::Output: std::fmt::Debug,
{
    let wait = Box::pin(async {
        for _ in 0..150 {
            if stats(t).await["in_flight"] == 1 {
                return;
            }
            sleep(Duration::from_millis(20)).await;
        }
        panic!("{}: the upload never reached the server", context());
    });
    match select(send, wait).await {
        Either::Left((r, _)) => panic!("{}: the upload finished: {r:?}", context()),
        Either::Right(((), send)) => send,
    }
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn dropping_an_upload_aborts_it() {
    let t = tag("upload-drop");
    let (f, calls) = recorder();
    let send = Box::pin(
        client()
            .post("upload")
            .query(&[("hold_ms", "10000"), ("tag", &t)])
            .bytes(vec![0u8; 2 << 20])
            .on_upload_progress(f)
            .send(),
    );
    let send = until_in_flight(&t, send).await;
    drop(send);
    let s = settled(&t).await;
    assert_eq!(s["in_flight"], 0, "{}: {s}", context());
    // No report after the drop.
    let n = calls.lock().unwrap().len();
    sleep(Duration::from_millis(50)).await;
    assert_eq!(calls.lock().unwrap().len(), n, "reports after the drop");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn an_upload_times_out_and_the_server_sees_it_go() {
    let t = tag("upload-timeout");
    let err = client()
        .post("upload")
        .query(&[("hold_ms", "10000"), ("tag", &t)])
        .bytes(vec![0u8; 2 << 20])
        .timeout(Duration::from_millis(400))
        .on_upload_progress(|_| {})
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{}: {err}", context());
    let s = settled(&t).await;
    assert_eq!(s["requests"], 1, "{s}");
    assert_eq!(s["in_flight"], 0, "{}: {s}", context());
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn the_callers_signal_aborts_an_upload() {
    let t = tag("upload-signal");
    let controller = fanout::AbortController::new().unwrap();
    let send = Box::pin(
        client()
            .post("upload")
            .query(&[("hold_ms", "10000"), ("tag", &t)])
            .bytes(vec![0u8; 2 << 20])
            .abort_signal(&controller.signal())
            .on_upload_progress(|_| {})
            .send(),
    );
    let send = until_in_flight(&t, send).await;
    controller.abort();
    let err = send.await.unwrap_err();
    assert!(err.is_aborted(), "{}: {err}", context());
    let s = settled(&t).await;
    assert_eq!(s["in_flight"], 0, "{}: {s}", context());
    // A signal already aborted: nothing is sent.
    let err = client()
        .post("upload")
        .query(&[("tag", &t)])
        .text("x")
        .abort_signal(&controller.signal())
        .on_upload_progress(|_| {})
        .send()
        .await
        .unwrap_err();
    assert!(err.is_aborted(), "{err}");
    assert_eq!(stats(&t).await["requests"], 1);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_retried_upload_sends_the_body_again() {
    // `/flaky/KEY` answers 503 once, then echoes the body: the retry (a
    // PUT is idempotent) sends the whole body again and reports it again.
    let key = tag("upload-retry");
    let body = "0123456789".repeat(20_000);
    let c = fanout::Client::builder()
        .base_url(API)
        .retry(
            Retry::new()
                .limit(2)
                .backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let (f, calls) = recorder();
    let resp = c
        .put(format!("flaky/{key}"))
        .text(body.clone())
        .on_upload_progress(f)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.attempts(), 2);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["attempts"], 2, "{v}");
    assert!(v["body"] == body.as_str(), "the body came back changed");
    // Each attempt reported its upload to the end: two runs, each
    // monotonic and ending at the size.
    let calls = calls.lock().unwrap();
    let ends: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, t)| t.total == Some(t.loaded))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(ends.len(), 2, "{}: {calls:?}", context());
    check_progress(&calls[..=ends[0]], body.len() as u64);
    check_progress(&calls[ends[0] + 1..], body.len() as u64);
}
