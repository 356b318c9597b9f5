//! Helpers: the server's address, tags, sleeping, reading `/stats`, and the
//! posts the dev server serves.

use std::time::Duration;

use fanout::{Client, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::*;

/// The dev server, e.g. `http://127.0.0.1:8080`.
pub const API: &str = match option_env!("FANOUT_TEST_API") {
    Some(s) => s,
    None => "http://127.0.0.1:8080",
};

/// The same server under another origin (`localhost` instead of the IP).
pub const API_ALT: &str = match option_env!("FANOUT_TEST_API_ALT") {
    Some(s) => s,
    None => "http://localhost:8080",
};

pub fn context() -> &'static str {
    super::super::CONTEXT
}

/// A client on the dev server without retries (tests opt in to them).
pub fn client() -> Client {
    Client::builder()
        .base_url(API)
        .retry(fanout::Retry::none())
        .build()
        .unwrap()
}

/// A tag unique to one test run, to read that test's server-side stats.
pub fn tag(name: &str) -> String {
    format!("{}-{name}-{}", context(), random_u64() % 1_000_000_000)
}

#[cfg(target_arch = "wasm32")]
fn random_u64() -> u64 {
    (js_sys::Math::random() * 1e9) as u64
}

/// Natively: a counter mixed with the clock (unique within a run).
#[cfg(not(target_arch = "wasm32"))]
fn random_u64() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    nanos
        .wrapping_mul(31)
        .wrapping_add(N.fetch_add(1, Ordering::Relaxed) * 7919)
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &js_sys::Function, ms: i32) -> JsValue;
}

#[cfg(target_arch = "wasm32")]
pub async fn sleep(d: Duration) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, d.as_millis() as i32);
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}

/// Milliseconds since the Unix epoch.
#[cfg(target_arch = "wasm32")]
pub fn now() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(target_arch = "wasm32"))]
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}

/// Sends a request and decodes its JSON body, failing the test on any error.
#[allow(async_fn_in_trait)]
pub trait FetchJson {
    /// `send().await.unwrap().json().await.unwrap()`.
    async fn fetch_json<T: DeserializeOwned>(self) -> T;
}

impl FetchJson for RequestBuilder {
    async fn fetch_json<T: DeserializeOwned>(self) -> T {
        self.send().await.unwrap().json().await.unwrap()
    }
}

/// A post as the dev server (like JSONPlaceholder) serves it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // `body` is only checked to be there.
pub struct Post {
    pub user_id: u64,
    pub id: u64,
    pub title: String,
    pub body: String,
}

/// `examples/titles.rs`: the example's own code, so that the suite runs
/// it in every context (its `fetch_titles`: the titles of the posts `ids`
/// fetched concurrently with no limit, in the order of `ids`; a post that
/// fails, a 4xx or 5xx status included, keeps its place as an `Err`).
#[path = "../../examples/titles.rs"]
#[allow(dead_code)] // its `main`
pub mod titles;

pub use titles::fetch_titles;

/// The server's stats for one tag.
pub async fn stats(tag: &str) -> Value {
    client()
        .get("stats")
        .query(&[("tag", tag)])
        .fetch_json()
        .await
}

/// Waits (up to 3 s) until the server has nothing in flight for `tag`, and
/// returns the stats.
pub async fn settled(tag: &str) -> Value {
    let deadline = now() + 3000.0;
    loop {
        let s = stats(tag).await;
        if s["in_flight"] == 0 || now() > deadline {
            return s;
        }
        sleep(Duration::from_millis(25)).await;
    }
}

/// How many times the server saw `/flaky/{key}`.
pub async fn flaky_hits(key: &str) -> u64 {
    let v: Value = client()
        .get(format!("flaky/{key}/count"))
        .fetch_json()
        .await;
    v["hits"].as_u64().unwrap()
}
