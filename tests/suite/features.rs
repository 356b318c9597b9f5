//! What users build on the pipeline, over fetch against the dev server:
//! in-flight dedupe (proved through `/stats`) and one token refresh for
//! many 401s (through `/auth/{key}/...`). The same features over a mock
//! transport are in `tests/common/pipeline.rs`.

use std::time::Duration;

use fanout::auth::Refresh;
use fanout::Client;
use futures_util::future::{join_all, select, Either};
use futures_util::FutureExt;
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::{client, settled, sleep, stats, tag, FetchJson, API, API_ALT};

fn deduping() -> Client {
    Client::builder()
        .base_url(API)
        .retry(fanout::Retry::none())
        .dedupe(true)
        .build()
        .unwrap()
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn fifty_identical_gets_are_one_request_at_the_server() {
    let t = tag("dedupe-50");
    let c = deduping();
    let url = format!("posts/7?tag={t}&delay=50");
    let all = (0..50).map(|_| {
        let (c, url) = (c.clone(), url.clone());
        async move { c.get(url).send().await?.json::<Value>().await }
    });
    let posts = join_all(all).await;
    assert_eq!(posts.len(), 50);
    for p in &posts {
        assert_eq!(p.as_ref().unwrap()["id"], 7);
    }
    let s = settled(&t).await;
    assert_eq!(s["requests"], 1, "{s}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_dropped_caller_leaves_the_fetch_to_the_others() {
    let t = tag("dedupe-drop-one");
    let c = deduping();
    let url = format!("posts/3?tag={t}&delay=200");
    let mut first = Box::pin(c.get(&url).send());
    let mut second = Box::pin(c.get(&url).send());
    assert!((&mut first).now_or_never().is_none());
    assert!((&mut second).now_or_never().is_none());
    drop(first);
    let post: Value = second.await.unwrap().json().await.unwrap();
    assert_eq!(post["id"], 3);
    let s = settled(&t).await;
    assert_eq!(
        (s["requests"].as_u64(), s["cancelled"].as_u64()),
        (Some(1), Some(0)),
        "{s}"
    );
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn the_fetch_is_aborted_when_every_caller_is_gone() {
    let t = tag("dedupe-drop-all");
    let c = deduping();
    let url = format!("hang?tag={t}");
    let callers = futures_util::future::join(c.get(&url).send(), c.get(&url).send());
    match select(
        Box::pin(callers),
        Box::pin(sleep(Duration::from_millis(300))),
    )
    .await
    {
        Either::Left(_) => panic!("/hang answered"),
        Either::Right((_, callers)) => {
            assert_eq!(stats(&t).await["in_flight"], 1, "one fetch for both");
            drop(callers);
        }
    }
    let s = settled(&t).await;
    assert_eq!(s["in_flight"], 0, "{s}");
    assert_eq!(s["requests"], 1, "{s}");
    assert_eq!(s["cancelled"], 1, "{s}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_callers_signal_detaches_that_caller_alone() {
    let t = tag("dedupe-signal");
    let c = deduping();
    let url = format!("posts/5?tag={t}&delay=300");
    let controller = fanout::AbortController::new().unwrap();
    let first = c.get(&url).abort_signal(&controller.signal()).send();
    let second = c.get(&url).send();
    let abort = async {
        sleep(Duration::from_millis(50)).await;
        controller.abort();
    };
    let (first, second, ()) = futures_util::future::join3(first, second, abort).await;
    let e = first.unwrap_err();
    assert!(e.is_aborted(), "{e}");
    let post: Value = second.unwrap().json().await.unwrap();
    assert_eq!(post["id"], 5);
    let s = settled(&t).await;
    assert_eq!(
        (s["requests"].as_u64(), s["cancelled"].as_u64()),
        (Some(1), Some(0)),
        "{s}"
    );
}

/// A client whose requests to the dev server carry tokens of `key`,
/// starting from a stale one.
fn with_refresh(key: &str, fail: bool) -> Client {
    let tokens = client();
    let path = format!("auth/{key}/token{}", if fail { "?fail=1" } else { "" });
    let refresh = Refresh::new(API, move || {
        let (c, path) = (tokens.clone(), path.clone());
        async move { c.post(path).send().await?.error_for_status()?.text().await }
    })
    .with_token("stale");
    Client::builder()
        .base_url(API)
        .retry(fanout::Retry::none())
        .with(refresh)
        .build()
        .unwrap()
}

async fn auth_counts(key: &str) -> Value {
    client().get(format!("auth/{key}/count")).fetch_json().await
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn twenty_401s_share_one_token_refresh() {
    let key = tag("refresh");
    let c = with_refresh(&key, false);
    let all = (0..20).map(|i| c.get(format!("auth/{key}/data?i={i}")).send());
    for r in join_all(all).await {
        let resp = r.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.json::<Value>().await.unwrap()["ok"], true);
    }
    let counts = auth_counts(&key).await;
    assert_eq!(counts["tokens"], 1, "exactly one refresh: {counts}");
    assert!(counts["requests"].as_u64().unwrap() <= 40, "{counts}");
    assert_eq!(
        counts["unauthorized"], 20,
        "each sent once with the stale token: {counts}"
    );

    // The token never leaves the API's origin (API_ALT is another origin).
    let echo: Value = c.get(format!("{API_ALT}/echo")).fetch_json().await;
    assert!(echo["headers"].get("authorization").is_none(), "{echo}");
    let echo: Value = c.get("echo").fetch_json().await;
    assert_eq!(echo["headers"]["authorization"], format!("Bearer {key}-t1"));
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_failed_refresh_fails_every_request_with_a_clear_error() {
    let key = tag("refresh-fail");
    let c = with_refresh(&key, true);
    let all = (0..20).map(|i| c.get(format!("auth/{key}/data?i={i}")).send());
    for r in join_all(all).await {
        let e = r.unwrap_err();
        assert_eq!(e.status(), Some(401), "{e}");
        assert!(e.to_string().contains("token refresh failed"), "{e}");
        assert!(
            e.to_string().contains("500"),
            "names the refresh's failure: {e}"
        );
    }
    assert_eq!(auth_counts(&key).await["tokens"], 0);
}

#[cfg(all(feature = "send", target_arch = "wasm32"))]
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn single_threaded_makes_a_request_future_send() {
    fn needs_send<F: std::future::Future + Send>(f: F) -> F {
        f
    }
    let c = client();
    let fut = needs_send(fanout::send::SingleThreaded::new(async move {
        c.get("posts/1").send().await?.json::<Value>().await
    }));
    assert_eq!(fut.await.unwrap()["id"], 1);
}

#[cfg(feature = "http")]
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn http_types_over_fetch() {
    let req = http::Request::get(format!("{API}/echo"))
        .header("x-from", "http")
        .body("")
        .unwrap();
    let resp = client()
        .execute(fanout::Request::try_from(req).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status_code(), http::StatusCode::OK);
    let resp = resp.into_http().await.unwrap();
    assert_eq!(resp.headers()["x-echo"], "yes");
    let v: Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(v["headers"]["x-from"], "http");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn an_after_response_hook_may_hand_back_its_copy() {
    // The hook's copy replaces the response: it takes over the original's
    // abort guard and limit permit, so dropping the original does not
    // abort the fetch the copy reads, and the limit's slot is held until
    // the copy's body is read.
    let t = tag("hook-copy");
    let c = Client::builder()
        .base_url(API)
        .limit(1)
        .hooks(
            fanout::Hooks::new()
                .after_response_async(|copy| async move { Ok(fanout::Action::Replace(copy)) }),
        )
        .build()
        .unwrap();
    let resp = c.get(format!("posts/4?tag={t}")).send().await.unwrap();
    let mut second = Box::pin(c.get(format!("posts/5?tag={t}")).send());
    // The slot is the first response's until its body is read.
    if let Either::Left(_) =
        select(second.as_mut(), Box::pin(sleep(Duration::from_millis(100)))).await
    {
        panic!("the second request went while the first response was unread");
    }
    let post: Value = resp.json().await.unwrap();
    assert_eq!(post["id"], 4);
    let post: Value = second.await.unwrap().json().await.unwrap();
    assert_eq!(post["id"], 5);
}

/// `send::SingleThreaded` carries one shared client into a `Send + Sync`
/// closure whose futures must be `Send` (a Leptos `Resource`'s fetcher),
/// on both targets, and the requests go out through that one client.
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn single_threaded_carries_one_client_into_send_sync_closures() {
    use fanout::send::SingleThreaded;
    fn fetcher<F, Fut>(f: F) -> F
    where
        F: Fn(u64) -> Fut + Send + Sync + Clone + 'static,
        Fut: std::future::Future + Send + 'static,
    {
        f
    }
    let shared = SingleThreaded::new(super::support::client());
    let f = fetcher(move |id| {
        let c = (*shared).clone();
        SingleThreaded::new(async move {
            let post: super::support::Post =
                c.get(format!("posts/{id}")).send().await?.json().await?;
            Ok::<_, fanout::Error>(post.title)
        })
    });
    let (a, b) = (f(1).await.unwrap(), f.clone()(2).await.unwrap());
    assert!(!a.is_empty() && a != b);
}
