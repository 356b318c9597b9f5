//! Client settings, URL joining and the walking-skeleton slice.

use std::time::Duration;

use fanout::{CacheMode, Client, Credentials, Redirect};
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::FetchJson;
use super::support::{client, fetch_titles, titles, Post, API, API_ALT};

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn one_post_by_id() {
    let resp = client().get("posts/1").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let post: Post = resp.json().await.unwrap();
    assert_eq!((post.id, post.user_id), (1, 1));
    assert!(!post.title.is_empty());
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn all_hundred_titles_in_order() {
    let c = client();
    let titles = fetch_titles(&c, 1..=100).await;
    assert_eq!(titles.len(), 100);
    let all: Vec<Post> = c.get("posts").fetch_json().await;
    for (i, (t, p)) in titles.iter().zip(&all).enumerate() {
        assert_eq!(t.as_ref().unwrap(), &p.title, "title {}", i + 1);
    }
    assert_eq!(
        titles[41].as_ref().unwrap(),
        r#"<img src=x onerror="window.__xss=1">"#
    );
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_404_is_a_failure_in_its_place() {
    let c = client();
    let titles = fetch_titles(&c, [1, 999, 2]).await;
    assert!(titles[0].is_ok() && titles[2].is_ok());
    let e = titles[1].as_ref().unwrap_err();
    assert!(e.is_status());
    assert_eq!(e.status(), Some(404));
    assert_eq!(e.url(), Some(format!("{API}/posts/999").as_str()));
}

/// `examples/titles.rs` whole (`cargo run --example titles` natively):
/// every title in input order, each failure in its place, and the summary.
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn the_titles_example_prints_titles_in_order_and_failures_in_place() {
    let mut lines = Vec::new();
    let fetched = titles::run(API, |line| lines.push(line.to_owned()))
        .await
        .unwrap();
    assert_eq!(fetched, 100);
    let ids = titles::post_ids();
    assert_eq!(lines.len(), 1 + ids.len() + 1, "{lines:#?}");
    assert_eq!(lines[0], "--- Titles ---");
    let all: Vec<Post> = client().get("posts").fetch_json().await;
    assert_eq!(all.len(), 100);
    for (line, post) in lines[1..=100].iter().zip(&all) {
        let short: String = post.title.chars().take(40).collect();
        assert!(
            line.starts_with(&format!("{}. {short}", post.id)),
            "{line:?} for {post:?}"
        );
    }
    for (line, id) in lines[101..103].iter().zip([999, 1000]) {
        let expected = format!("{id}. failed: GET {API}/posts/{id}: ");
        assert!(line.starts_with(&expected), "{line:?}");
        assert!(line.contains("404"), "{line:?}");
    }
    assert!(
        lines[103].starts_with("Fetched 100 titles (2 failed) in "),
        "{:?}",
        lines[103]
    );
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn base_url_joining_reaches_the_right_paths() {
    let c = Client::builder()
        .base_url(format!("{API}/posts/"))
        .build()
        .unwrap();
    assert_eq!(c.resolve("1").unwrap(), format!("{API}/posts/1"));
    let p: Post = c.get("1").fetch_json().await;
    assert_eq!(p.id, 1);
    // An absolute path starts from the origin's root.
    let users: Vec<Value> = c.get("/users").fetch_json().await;
    assert_eq!(users.len(), 10);
    // `..` climbs out of the base directory.
    let todos: Vec<Value> = c.get("../todos").fetch_json().await;
    assert_eq!(todos.len(), 200);
    // A bare query keeps the base path.
    let filtered: Vec<Value> = c.get("?userId=2").fetch_json().await;
    assert_eq!(filtered.len(), 10);
    assert!(filtered.iter().all(|p| p["userId"] == 2));
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn default_headers_merge_and_request_header_wins() {
    let c = Client::builder()
        .base_url(API)
        .default_header("x-default", "d")
        .default_header("x-both", "from-client")
        .build()
        .unwrap();
    let echo: Value = c
        .get("echo")
        .header("x-both", "from-request")
        .fetch_json()
        .await;
    assert_eq!(echo["headers"]["x-default"], "d");
    assert_eq!(echo["headers"]["x-both"], "from-request");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn default_headers_never_leave_the_base_origin() {
    let c = Client::builder()
        .base_url(API)
        .default_header("authorization", "Bearer secret")
        .build()
        .unwrap();
    for url in [format!("{API_ALT}/echo"), "//localhost:1/x".to_owned()] {
        let e = c.get(&url).send().await.unwrap_err();
        assert!(e.is_builder(), "{url}: {e}");
        assert!(e.to_string().contains("another origin"), "{e}");
    }
    // Opting in sends them.
    let c = Client::builder()
        .base_url(API)
        .default_header("authorization", "Bearer secret")
        .allow_cross_origin_default_headers(true)
        .build()
        .unwrap();
    let echo: Value = c.get(format!("{API_ALT}/echo")).fetch_json().await;
    assert_eq!(echo["headers"]["authorization"], "Bearer secret");
    // A client without default headers may go anywhere.
    let resp = client()
        .get(format!("{API_ALT}/posts/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn client_timeout_applies_and_request_timeout_overrides() {
    let c = Client::builder()
        .base_url(API)
        .timeout(Duration::from_millis(200))
        .retry(fanout::Retry::none())
        .build()
        .unwrap();
    let e = c.get("posts/1?delay=2000").send().await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    let ok = c
        .get("posts/1?delay=300")
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn client_error_for_status() {
    let c = Client::builder()
        .base_url(API)
        .error_for_status(true)
        .retry(fanout::Retry::none())
        .build()
        .unwrap();
    let e = c.get("status/503").send().await.unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(
        e.to_string(),
        format!("GET {API}/status/503: HTTP 503 Service Unavailable")
    );
    // The request can turn it off again.
    let r = c
        .get("status/503")
        .error_for_status(false)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn redirect_modes() {
    let c = client();
    let followed = c.get("redirect?to=/posts/1").send().await.unwrap();
    assert_eq!(followed.status(), 200);
    assert_eq!(followed.url(), format!("{API}/posts/1"));
    let e = c
        .get("redirect?to=/posts/1")
        .redirect(Redirect::Error)
        .send()
        .await
        .unwrap_err();
    assert!(e.is_network(), "{e}");
    let manual = Client::builder()
        .base_url(API)
        .redirect(Redirect::Manual)
        .build()
        .unwrap()
        .get("redirect?to=/posts/1")
        .send()
        .await;
    // Browsers give an opaque-redirect response (status 0); Node's fetch
    // gives the 302 itself.
    let status = manual.unwrap().status();
    assert!(status == 0 || status == 302, "status {status}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn credentials_and_cache_modes_are_accepted() {
    let c = Client::builder()
        .base_url(API)
        .credentials(Credentials::Omit)
        .cache(CacheMode::NoStore)
        .build()
        .unwrap();
    assert_eq!(c.get("posts/2").send().await.unwrap().status(), 200);
    let r = c
        .get("posts/2")
        .credentials(Credentials::Include)
        .cache(CacheMode::Reload)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[wasm_bindgen_test(unsupported = test)]
fn bad_settings_fail_at_build() {
    assert!(Client::builder()
        .base_url("/relative")
        .build()
        .unwrap_err()
        .is_builder());
    assert!(Client::builder().limit(0).build().unwrap_err().is_builder());
    assert!(Client::builder()
        .default_header("bad header", "x")
        .build()
        .unwrap_err()
        .is_builder());
}
