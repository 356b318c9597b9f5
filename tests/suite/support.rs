//! Helpers: the server's address, tags, sleeping and reading `/stats`.

use std::time::Duration;

use fanout::{Client, RequestBuilder};
use serde::de::DeserializeOwned;
use serde_json::Value;
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
    let n = (js_sys::Math::random() * 1e9) as u64;
    format!("{}-{name}-{n}", context())
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &js_sys::Function, ms: i32) -> JsValue;
}

pub async fn sleep(d: Duration) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, d.as_millis() as i32);
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

pub fn now() -> f64 {
    js_sys::Date::now()
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
