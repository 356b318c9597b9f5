//! # fanout
//!
//! Concurrent HTTP requests from Rust in the browser. fanout wraps the
//! Fetch API in Rust futures: one reusable [`Client`] session (like
//! aiohttp's `ClientSession`), responses that give status, headers, JSON,
//! text and bytes, and [`gather`] to run many requests at once on the
//! single-threaded JS event loop, with limits, retries, timeouts and
//! abort-on-drop. It works in a Window, a Web Worker and Node.js.
//!
//! ## One request
//!
//! ```no_run
//! # async fn run() -> Result<(), fanout::Error> {
//! let client = fanout::Client::new();
//! let response = client.get("http://127.0.0.1:8080/posts/1").send().await?;
//! println!("Status Code: {}", response.status());
//! let data: serde_json::Value = response.json().await?;
//! println!("Response JSON: {data}");
//! # Ok(()) }
//! ```
//!
//! ## Many at once
//!
//! The titles of posts 1 to 5, fetched concurrently (at most 3 in flight,
//! each retried up to twice on a 5xx or a network error); a failed post is
//! printed and kept as `None` in its place:
//!
//! ```no_run
//! use std::time::Duration;
//! use fanout::{gather, Client, Error, Retry};
//!
//! #[derive(serde::Deserialize)]
//! struct Post { title: String }
//!
//! async fn fetch_post_title(client: Client, id: u32) -> Result<String, Error> {
//!     let resp = client.get(format!("posts/{id}")).send().await?.error_for_status()?;
//!     Ok(resp.json::<Post>().await?.title)
//! }
//!
//! # async fn run() -> Result<(), Error> {
//! let start = js_sys::Date::now();
//! let client = Client::builder()
//!     .base_url("http://127.0.0.1:8080/")
//!     .timeout(Duration::from_secs(10))
//!     .retry(Retry::new().limit(2))
//!     .build()?;
//! let results = gather((1..=5).map(|id| fetch_post_title(client.clone(), id)))
//!     .limit(3)
//!     .await;
//! let titles: Vec<Option<String>> = results
//!     .into_iter()
//!     .enumerate()
//!     .map(|(i, r)| r.map_err(|e| println!("Request for post {} failed: {e}", i + 1)).ok())
//!     .collect();
//! let secs = (js_sys::Date::now() - start) / 1000.0;
//! println!("Fetched {} titles in {secs:.2} seconds.", titles.len());
//! for (i, title) in titles.iter().enumerate() {
//!     if let Some(title) = title {
//!         println!("{}. {}...", i + 1, title.chars().take(40).collect::<String>());
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Concurrency comes from polling futures together on the one JS thread
//! (no tasks are spawned): [`gather`] keeps at most `limit` of them in
//! flight and never creates the fetch of an input before its turn.
//! [`ClientBuilder::limit`] and [`ClientBuilder::limit_per_host`] cap a
//! whole client like aiohttp's connector.
//!
//! ## Joining URLs
//!
//! A request URL is joined onto the client's base URL as RFC 3986 (and the
//! browser's `new URL(input, base)`) resolve a reference, with the base
//! URL's path treated as a directory. With the base `http://api.test/v1`:
//! `posts/1` → `http://api.test/v1/posts/1`; `/posts/1` →
//! `http://api.test/posts/1`; `../x` → `http://api.test/x`; `?q=1` →
//! `http://api.test/v1/?q=1`; `https://other.test/x` and `//other.test/x`
//! leave the base's origin, and so are refused while the client has
//! default headers (they may hold credentials) unless it was built with
//! [`ClientBuilder::allow_cross_origin_default_headers`]. Without a base
//! URL, relative URLs resolve against the page's location.
#![deny(missing_docs, missing_debug_implementations)]
#![warn(rust_2018_idioms)]

mod client;
mod error;
mod gather;
mod headers;
mod limit;
pub mod posts;
mod request;
mod response;
mod retry;
mod sys;
mod url;

#[cfg(feature = "demo")]
mod demo;
#[cfg(feature = "js")]
mod js;

pub use client::{CacheMode, Client, ClientBuilder, Credentials, Redirect};
pub use error::{Cancelled, Error, Method};
pub use gather::{gather, Gather, Outcome, Progress};
pub use headers::Headers;
pub use request::RequestBuilder;
pub use response::{BodyStream, Response};
pub use retry::Retry;

pub use web_sys::{AbortController, AbortSignal, FormData};

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
