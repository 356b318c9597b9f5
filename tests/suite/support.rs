//! Helpers: the server's address, tags, sleeping, reading `/stats`, and the
//! posts the dev server serves.

use std::time::Duration;

use fanout::{gather, Client, Error, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Deserialize;
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

/// The titles of the posts `ids` (`posts/{id}`), fetched concurrently with
/// no limit, in the order of `ids`; a post that fails, a 4xx or 5xx status
/// included, keeps its place as an `Err`.
pub async fn fetch_titles(
    client: &Client,
    ids: impl IntoIterator<Item = u64>,
) -> Vec<Result<String, Error>> {
    gather(ids.into_iter().map(|id| async move {
        let post: Post = client
            .get(format!("posts/{id}"))
            .error_for_status(true)
            .send()
            .await?
            .json()
            .await?;
        Ok(post.title)
    }))
    .await
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
