//! gather, limits, retries and fail-fast, proved from the server's side.

use std::time::Duration;

use fanout::{gather, Client, Retry};
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::{client, context, flaky_hits, now, settled, stats, tag, API, API_ALT};

async fn peak_with_client_limit(limit: usize) -> u64 {
    let t = tag(&format!("limit{limit}"));
    let c = Client::builder()
        .base_url(API)
        .limit(limit)
        .build()
        .unwrap();
    let results = gather((0..24).map(|i| {
        let c = c.clone();
        let url = format!("posts/{}?delay=60&tag={t}", i + 1);
        async move { c.get(url).send().await?.text().await }
    }))
    .await;
    assert!(results.iter().all(|r| r.is_ok()));
    settled(&t).await["peak_in_flight"].as_u64().unwrap()
}

async fn peak_with_gather_limit(limit: usize) -> u64 {
    let t = tag(&format!("glimit{limit}"));
    let c = client();
    let results = gather((0..24).map(|i| {
        let c = c.clone();
        let url = format!("posts/{}?delay=60&tag={t}", i + 1);
        async move { c.get(url).send().await?.text().await }
    }))
    .limit(limit)
    .await;
    assert!(results.iter().all(|r| r.is_ok()));
    settled(&t).await["peak_in_flight"].as_u64().unwrap()
}

/// Whether this context opens as many HTTP/1.1 connections per host as
/// it is asked to (Node.js, natively), not at most 6 as browsers do.
fn uncapped() -> bool {
    matches!(context(), "node" | "native")
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn peak_in_flight_never_exceeds_the_limit() {
    for limit in [1, 4, 16] {
        // Browsers cap HTTP/1.1 connections at 6 per host; Node and the
        // native transport do not.
        let cap = if uncapped() { usize::MAX } else { 6 };
        let peak = peak_with_gather_limit(limit).await;
        assert_eq!(peak, limit.min(cap) as u64, "gather limit {limit}");
        let peak = peak_with_client_limit(limit).await;
        assert!(peak <= limit as u64, "client limit {limit}: peak {peak}");
    }
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn without_a_limit_everything_starts_at_once() {
    // Browsers open at most 6 HTTP/1.1 connections per host (Chromium and
    // Firefox both), so 6 is the most the server can see; Node's fetch
    // (undici) and the native transport (reqwest) have no such cap.
    let t = tag("nolimit");
    let c = client();
    let n = 20;
    let results = gather((0..n).map(|i| {
        let c = c.clone();
        let url = format!("posts/{}?delay=300&tag={t}", i + 1);
        async move { c.get(url).send().await?.text().await }
    }))
    .await;
    assert_eq!(results.len(), n);
    let peak = settled(&t).await["peak_in_flight"].as_u64().unwrap();
    let expected = if uncapped() { n as u64 } else { 6 };
    assert_eq!(peak, expected, "peak in flight without a limit");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn limit_per_host_holds_for_each_origin() {
    let t = tag("perhost");
    let c = Client::builder().limit_per_host(2).build().unwrap();
    let urls: Vec<String> = (0..16)
        .map(|i| {
            let host = if i % 2 == 0 { API } else { API_ALT };
            format!("{host}/posts/{}?delay=150&tag={t}", i + 1)
        })
        .collect();
    let results = gather(urls.iter().map(|u| {
        let c = c.clone();
        async move { c.get(u).send().await?.text().await }
    }))
    .await;
    assert!(results.iter().all(|r| r.is_ok()));
    let s = settled(&t).await;
    let by_host = s["peak_in_flight_by_host"].as_object().unwrap();
    assert_eq!(by_host.len(), 2, "{s}");
    for (host, peak) in by_host {
        assert_eq!(peak.as_u64(), Some(2), "{host}: {s}");
    }
    assert!(
        s["peak_in_flight"].as_u64().unwrap() >= 3,
        "both hosts ran at once: {s}"
    );
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn retry_counts_are_exact() {
    let key = tag("flaky");
    let c = Client::builder()
        .base_url(API)
        .retry(Retry::new().backoff(Duration::from_millis(10), Duration::from_millis(50)))
        .build()
        .unwrap();
    let resp = c.get(format!("flaky/{key}?fail=2")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.attempts(), 3);
    assert_eq!(flaky_hits(&key).await, 3);

    // More failures than retries: the last status comes back.
    let key = tag("flaky-many");
    let resp = c.get(format!("flaky/{key}?fail=5")).send().await.unwrap();
    assert_eq!((resp.status(), resp.attempts()), (503, 3));
    assert_eq!(flaky_hits(&key).await, 3);

    // A POST is never retried.
    let key = tag("flaky-post");
    let resp = c.post(format!("flaky/{key}?fail=2")).send().await.unwrap();
    assert_eq!((resp.status(), resp.attempts()), (503, 1));
    assert_eq!(flaky_hits(&key).await, 1);

    // Per-request policy overrides the client's.
    let key = tag("flaky-none");
    let resp = c
        .get(format!("flaky/{key}?fail=1"))
        .retry(Retry::none())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(flaky_hits(&key).await, 1);

    // With error_for_status, the error tells how many attempts were made.
    let key = tag("flaky-err");
    let e = c
        .get(format!("flaky/{key}?fail=9"))
        .error_for_status(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.attempts()), (Some(503), 3));
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_retried_request_carries_its_body_every_time() {
    let c = Client::builder()
        .base_url(API)
        .retry(Retry::new().backoff(Duration::from_millis(5), Duration::from_millis(5)))
        .build()
        .unwrap();
    for (i, want) in [r#"{"title":"again"}"#, "plain", "raw"]
        .into_iter()
        .enumerate()
    {
        let url = format!("flaky/{}?fail=2", tag(&format!("flaky-body{i}")));
        let req = match i {
            0 => c.put(&url).json(&serde_json::json!({"title": "again"})),
            1 => c.put(&url).text("plain"),
            _ => c.put(&url).bytes(b"raw".to_vec()),
        };
        let resp = req.send().await.unwrap();
        assert_eq!((resp.status(), resp.attempts()), (200, 3));
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v["body"], want, "the body the third attempt carried");
    }
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn retry_after_is_honoured() {
    let c = client();
    let key = tag("retry-after");
    let start = now();
    let resp = c
        .get(format!("flaky/{key}?fail=1&retry_after=1"))
        .retry(Retry::new().backoff(Duration::from_millis(1), Duration::from_millis(1)))
        .send()
        .await
        .unwrap();
    let waited = now() - start;
    assert_eq!(resp.status(), 200);
    // Backoff alone would wait 1 ms; Retry-After says 1 s.
    assert!(waited >= 900.0, "waited only {waited} ms");
    assert!(waited < 10_000.0, "waited {waited} ms");
}

/// A 413 is retried only when its `Retry-After` says when (as ky), and a
/// `Retry-After` in RFC 850's or asctime's date form is read too.
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_413_is_retried_only_with_retry_after() {
    let c = client();
    let fast = Retry::new().backoff(Duration::from_millis(1), Duration::from_millis(1));
    let key = tag("413-no-when");
    let resp = c
        .get(format!("flaky/{key}?fail=1&status=413"))
        .retry(fast.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(resp.attempts(), 1);
    assert_eq!(flaky_hits(&key).await, 1, "not sent again");

    let key = tag("413-when");
    let resp = c
        .get(format!("flaky/{key}?fail=1&status=413&retry_after=0"))
        .retry(fast.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(flaky_hits(&key).await, 2);

    // Dates in the past mean "now": retried at once, which for a 413
    // proves the date was read (an unreadable one is no `Retry-After`).
    for (name, date) in [
        ("asctime", "Sun%20Nov%20%206%2008:49:37%201994"),
        ("rfc850", "Sunday,%2006-Nov-94%2008:49:37%20GMT"),
    ] {
        let key = tag(name);
        let resp = c
            .get(format!("flaky/{key}?fail=1&status=413&retry_after={date}"))
            .retry(fast.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{name}");
        assert_eq!(flaky_hits(&key).await, 2, "{name}");
    }
    let key = tag("unreadable");
    let resp = c
        .get(format!("flaky/{key}?fail=1&status=413&retry_after=later"))
        .retry(fast)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(flaky_hits(&key).await, 1);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn network_errors_are_retried_and_timeouts_only_on_request() {
    let c = Client::builder()
        .retry(Retry::new().backoff(Duration::from_millis(5), Duration::from_millis(5)))
        .build()
        .unwrap();
    let e = c.get("http://127.0.0.1:9/x").send().await.unwrap_err();
    assert!(e.is_network());
    assert_eq!(e.attempts(), 3);

    let t = tag("timeout-retry");
    let url = format!("{API}/hang?tag={t}");
    let e = c
        .get(&url)
        .timeout(Duration::from_millis(100))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout());
    assert_eq!(e.attempts(), 1);
    let e = c
        .get(&url)
        .timeout(Duration::from_millis(100))
        .retry(
            Retry::new()
                .backoff(Duration::from_millis(5), Duration::from_millis(5))
                .retry_on_timeout(true),
        )
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout());
    assert_eq!(e.attempts(), 3);
    // Four attempts were made (1 + 3); on a loaded machine a browser may
    // abort an attempt's 100 ms before it even reaches the server, so the
    // server sees at most four, and nothing is left in flight.
    let s = settled(&t).await;
    let requests = s["requests"].as_u64().unwrap();
    assert!((1..=4).contains(&requests), "{s}");
    assert_eq!(s["in_flight"], 0, "{s}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn total_timeout_bounds_all_attempts() {
    let key = tag("total");
    let start = now();
    let e = client()
        .get(format!("flaky/{key}?fail=10"))
        .retry(
            Retry::new()
                .limit(10)
                .backoff(Duration::from_millis(200), Duration::from_millis(200)),
        )
        .total_timeout(Duration::from_millis(500))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    let took = now() - start;
    assert!((450.0..5000.0).contains(&took), "took {took} ms");
    let hits = flaky_hits(&key).await;
    // At most 4 attempts fit in 500 ms with 200 ms waits (fewer when the
    // machine is loaded and an attempt is slow).
    assert!(
        (1..=4).contains(&hits),
        "{hits} attempts in 500 ms with 200 ms waits"
    );
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn fail_fast_aborts_in_flight_and_sends_nothing_more() {
    let t = tag("failfast");
    let c = client();
    let urls: Vec<String> = (0..20)
        .map(|i| {
            if i == 0 {
                format!("status/500?delay=200&tag={t}")
            } else {
                // Distinct URLs: Chromium's cache lock would otherwise hold
                // back identical GETs until the first one completes.
                format!("hang?tag={t}&i={i}")
            }
        })
        .collect();
    let outcomes = gather(urls.iter().map(|u| {
        let c = c.clone();
        async move { c.get(u).error_for_status(true).send().await }
    }))
    .limit(4)
    .fail_fast(true)
    .detailed()
    .await;
    assert_eq!(outcomes.len(), 20);
    assert_eq!(outcomes[0].result.as_ref().unwrap_err().status(), Some(500));
    for o in &outcomes[1..4] {
        let e = o.result.as_ref().unwrap_err();
        assert!(
            e.is_cancelled() && o.started_ms.is_some(),
            "{}: {e}",
            o.index
        );
    }
    for o in &outcomes[4..] {
        let e = o.result.as_ref().unwrap_err();
        assert!(
            e.is_cancelled() && o.started_ms.is_none(),
            "{}: {e}",
            o.index
        );
    }
    let s = settled(&t).await;
    assert_eq!(s["in_flight"], 0, "in-flight requests were aborted: {s}");
    assert_eq!(s["requests"], 4, "nothing more was sent: {s}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn an_abort_signal_stops_the_batch_at_the_server() {
    let t = tag("gatherabort");
    let c = client();
    let controller = fanout::AbortController::new().unwrap();
    let urls: Vec<String> = (0..6).map(|i| format!("hang?tag={t}&i={i}")).collect();
    let batch = gather(urls.iter().map(|u| {
        let c = c.clone();
        async move { c.get(u).send().await }
    }))
    .limit(3)
    .abort_signal(&controller.signal())
    .detailed();
    // Abort once the first 3 (the limit) have reached the server.
    let abort = async {
        while stats(&t).await["in_flight"].as_u64() < Some(3) {
            super::support::sleep(Duration::from_millis(10)).await;
        }
        controller.abort();
    };
    let (outcomes, ()) = futures::future::join(batch, abort).await;
    assert_eq!(outcomes.len(), 6);
    for o in &outcomes {
        let e = o.result.as_ref().unwrap_err();
        assert!(e.is_cancelled() && e.is_aborted(), "{}: {e}", o.index);
        assert_eq!(o.started_ms.is_some(), o.index < 3, "{}: {e}", o.index);
    }
    let s = settled(&t).await;
    assert_eq!(
        s["requests"], 3,
        "only the first 3 (the limit) were sent: {s}"
    );
    assert_eq!(s["cancelled"], 3, "the server saw them go away: {s}");
    assert_eq!(s["in_flight"], 0, "{s}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_thousand_inputs_with_failures_in_place() {
    let t = tag("thousand");
    let c = client();
    let progress = std::sync::Mutex::new(Vec::new());
    let results = gather((0..1000).map(|i| {
        let c = c.clone();
        let url = if i % 10 == 3 {
            format!("status/503?tag={t}")
        } else {
            format!("posts/{}?tag={t}", i % 100 + 1)
        };
        async move {
            let post: super::support::Post = c
                .get(url)
                .error_for_status(true)
                .send()
                .await?
                .json()
                .await?;
            Ok::<_, fanout::Error>(post.id)
        }
    }))
    .limit(32)
    .on_progress(|p| progress.lock().unwrap().push(p))
    .await;
    assert_eq!(results.len(), 1000);
    for (i, r) in results.iter().enumerate() {
        if i % 10 == 3 {
            assert_eq!(r.as_ref().unwrap_err().status(), Some(503), "input {i}");
        } else {
            assert_eq!(*r.as_ref().unwrap(), (i % 100 + 1) as u64, "input {i}");
        }
    }
    let progress = progress.into_inner().unwrap();
    assert_eq!(progress.len(), 1000);
    assert_eq!(progress.iter().filter(|p| !p.ok).count(), 100);
    // A browser may transparently resend a request whose keep-alive
    // connection closed under it, so the server can see a few more.
    assert!(stats(&t).await["requests"].as_u64().unwrap() >= 1000);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn outcomes_carry_timing() {
    let c = client();
    let outcomes = gather((1..=3).map(|i| {
        let c = c.clone();
        async move { c.get(format!("posts/{i}?delay=50")).send().await }
    }))
    .detailed()
    .await;
    for o in &outcomes {
        let start = o.started_ms.unwrap();
        assert!(o.ended_ms - start >= 40.0, "{} to {}", start, o.ended_ms);
    }
}
