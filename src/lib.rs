//! # fanout
//!
//! Concurrent HTTP requests from Rust in the browser, and the same code
//! natively. fanout wraps the Fetch API in Rust futures: one reusable
//! [`Client`] session (like aiohttp's `ClientSession`), responses that
//! give status, headers, JSON,
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
//! printed and kept as `None` in its place (feature `retry`):
//!
#![cfg_attr(feature = "retry", doc = "```no_run")]
#![cfg_attr(not(feature = "retry"), doc = "```ignore")]
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
//! `ClientBuilder::limit` and `ClientBuilder::limit_per_host` cap a
//! whole client like aiohttp's connector.
//!
//! ## Joining URLs
//!
//! A request URL is joined onto the client's base URL by the platform's
//! own URL parser, `new URL(input, base)` (natively the `url` crate, the
//! same WHATWG standard), with the base URL's path treated as a
//! directory; the result is the parser's serialization, the URL `fetch`
//! sends. With the base `http://api.test/v1`:
//! `posts/1` → `http://api.test/v1/posts/1`; `/posts/1` →
//! `http://api.test/posts/1`; `../x` → `http://api.test/x`; `?q=1` →
//! `http://api.test/v1/?q=1`; `https://other.test/x` and `//other.test/x`
//! leave the base's origin, and so are refused while the client has
//! default headers (they may hold credentials) unless it was built with
//! [`ClientBuilder::allow_cross_origin_default_headers`]. Without a base
//! URL, relative URLs resolve against the page's location.
//!
//! ## Redirects and credentials
//!
//! fanout attaches the default headers ([`ClientBuilder::default_header`])
//! and the token of `auth::Refresh` only to requests for the base origin
//! (the token: for its own origin), and refuses a request for another
//! origin while the client has default headers. A redirect, though, is
//! followed by the platform (`redirect: follow`, the default of
//! [`Options::redirect`]), past fanout: on a redirect to another origin,
//! the Fetch standard drops the `Authorization` header (so the token of
//! `auth::Refresh`, or a default `Authorization`, stays home; Chromium,
//! Firefox and Node.js do this) but **forwards every other header of the
//! request, default headers included** (an `x-api-key` reaches the other
//! origin). In a browser that request is a CORS request, so the other
//! origin must allow those headers, or it fails. fanout cannot change
//! this: a page cannot read where an opaque (`manual`) redirect points,
//! so it cannot follow redirects itself. To keep every header at home,
//! send credentials other than `Authorization` with
//! [`Redirect::Error`] (a redirect is then a network error) on the client
//! or the request, or use `Authorization` for them. `tests/js/redirect.test.mjs`
//! checks this in Node.js and `tests/e2e/js-api.test.mjs` in Chromium.
//!
//! ## The pipeline
//!
//! Every request, from [`RequestBuilder::send`] or [`Client::execute`],
//! goes through the same layers, outermost first:
//!
//! 1. **prepare**: the URL joined onto the base URL and checked (http or
//!    https with a valid host, else a builder error: nothing is sent); the
//!    client's [`Options`] under the request's own (the request's value
//!    wins); the cross-origin guard for default headers; the default
//!    headers under the request's own; then the `before_request`
//!    [`Hooks`] (the client's, then the request's);
//! 2. **total timeout** ([`Options::total_timeout`]);
//! 3. **error for status** ([`Options::error_for_status`]);
//! 4. **your `Middleware`**, in the order given to
//!    `ClientBuilder::with`: each sees the prepared request once and the
//!    response before `error_for_status`;
//! 5. **dedupe** (`ClientBuilder::dedupe`, off by default);
//! 6. **retry** (`Retry`): each attempt runs the layers below again; the
//!    `after_response` and `before_retry` hooks run here;
//! 7. **limits** (`ClientBuilder::limit_per_host`, then
//!    `ClientBuilder::limit`), held until the body is read;
//! 8. **attempt timeout** ([`Options::timeout`]);
//! 9. the **[`Transport`]**: [`Fetch`] unless replaced with
//!    [`ClientBuilder::transport`] (for tests, `mock::MockTransport`).
//!
//! The `before_error` hooks see the error any of these ends with.
//!
//! With no middleware and the default transport, the layers are plain
//! async functions: no boxed future, no dynamic call.
//!
//! Built on it: [`Hooks`] (feature `hooks`) for the common customizations,
//! `ClientBuilder::dedupe` to share one fetch between identical
//! concurrent GETs, `auth::Refresh` for one token refresh however many
//! requests get a 401, and (feature `http`) conversions with the `http`
//! crate's `Request`, `Response`, `StatusCode` and `HeaderMap`.
//!
//! ## Both sides: wasm and native
//!
//! On wasm a request holds JavaScript objects, so its futures are
//! `!Send`: run them with `wasm_bindgen_futures::spawn_local` or your
//! framework's local spawner. Natively the same code sends over reqwest
//! (HTTP/1.1 and HTTP/2, rustls) on tokio, and `Client`, `Request`,
//! `Response`, `Error` and a request's futures are `Send` (the bounds that
//! differ are [`MaybeSend`] and [`MaybeSync`], and boxed futures are a
//! [`BoxFuture`]). The [`send`] module shows the patterns for Leptos, Yew
//! and Dioxus, and (feature `send`) `SingleThreaded`, which makes a value
//! or future `Send + Sync` on both targets.
//!
//! ## Features
//!
//! None is on by default: with none, a [`Client`] sends through `fetch`
//! with a base URL, default headers, options (timeouts, error for status,
//! credentials, cache, redirect), a custom [`Transport`] and
//! abort-on-drop; responses give text, bytes, JSON and streams (lines,
//! NDJSON, Server-Sent Events); [`gather`] runs many futures. Each feature
//! adds a layer or an API, and its code is in an app's wasm only if the
//! app enables it. What each costs, and why these defaults, is measured
//! in `bench/SIZE.md` (the minimal app, a GET and a typed `json()`, is
//! guarded by `size-budget.toml` in `cargo xtask test`).
//!
//! | feature | adds |
//! |---|---|
//! | `retry` | the retry layer and `Retry` (ky's policy: backoff, `Retry-After`, idempotent methods only); without it every request is sent once and an `after_response` hook's `Action::Retry` keeps the response |
//! | `limit` | `ClientBuilder::limit` and `ClientBuilder::limit_per_host` |
//! | `dedupe` | `ClientBuilder::dedupe`: identical concurrent GETs share one fetch |
//! | `hooks` | `ClientBuilder::hooks` and `RequestBuilder::hooks`: [`Hooks`] the pipeline calls before a request, after each response, before a retry and on an error |
//! | `chunked` | `Response::on_progress` (download progress) and the `max_body_size` option: readers that read the body chunk by chunk |
//! | `upload` | `RequestBuilder::on_upload_progress` (upload progress: `XMLHttpRequest` in browsers, a streamed `fetch` body in Node.js) |
//! | `middleware` | `Middleware`, `Next` and `ClientBuilder::with` |
//! | `auth` | `auth::Refresh`: one token refresh for many 401s (implies `middleware`) |
//! | `mock` | `mock::MockTransport`, to test code without a server |
//! | `http` | conversions with the `http` crate's types |
//! | `send` | `send::SingleThreaded`: a value or future `Send + Sync` on both targets (declared so on single-threaded wasm, inherited natively) |
//! | `serde` | `Serialize`/`Deserialize` for [`Error`], so a `Result<T, Error>` can be a server function's or a Leptos `Resource`'s value |
//! | `snapshot` | `snapshot`: the responses a server-side render received, recorded and handed to the browser's client, which answers from them once |
//! | `json-source` | a JSON decode error keeps the `serde_json::Error` as its `source()`, and serde_json's message (what was expected) in release builds too; without it a release build's message names the path, line, column and the body there, and links neither `Display` nor `Debug` of serde_json's errors |
//! | `outbox` | `Client::outbox` and [`outbox`]: a durable FIFO queue of requests (IndexedDB in browsers, a file natively), each delivered once, in order, with an `Idempotency-Key` (implies `retry`) |
//! | `websocket` | [`Client::websocket`]: a [`WebSocket`] that reconnects under a `Retry` policy, queues sends during a drop and sends again what never left (see [`websocket`]) |
//! | `full` | all of the above |
//!
//! [`gather`], [`Response::lines`], [`Response::json_lines`],
//! [`Client::sse`] and [`Response::bytes_stream`] need no feature: they
//! are generic or only reached when called, so an app that does not call
//! them does not ship them.
#![deny(missing_docs, missing_debug_implementations)]
#![warn(rust_2018_idioms)]

#[cfg(feature = "auth")]
pub mod auth;
mod backoff;
mod builder;
mod client;
mod error;
#[cfg(any(feature = "dedupe", feature = "auth"))]
// Its weak handles serve dedupe only.
#[cfg_attr(not(feature = "dedupe"), allow(dead_code))]
mod flight;
mod gather;
mod headers;
#[cfg(feature = "http")]
mod http_types;
#[cfg(feature = "limit")]
mod limit;
mod lines;
mod method;
#[cfg(feature = "middleware")]
mod middleware;
#[cfg(feature = "mock")]
pub mod mock;
mod options;
#[cfg(feature = "outbox")]
pub mod outbox;
mod pipeline;
mod progress;
mod request;
mod response;
// With `websocket` alone: `Retry` as the reconnection policy (the
// request layer stays out).
#[cfg(any(feature = "retry", feature = "websocket"))]
#[cfg_attr(not(feature = "retry"), allow(dead_code))]
mod retry;
pub mod send;
#[cfg(feature = "snapshot")]
pub mod snapshot;
mod sse;
mod sync;
mod sys;
mod transport;
mod url;
// The wakers of shared work: a flight's, or a native body's tee.
#[cfg(any(
    feature = "dedupe",
    feature = "auth",
    feature = "websocket",
    not(target_arch = "wasm32")
))]
mod wakers;
#[cfg(feature = "websocket")]
pub mod websocket;
#[cfg(all(feature = "upload", target_arch = "wasm32"))]
mod xhr;

pub use builder::RequestBuilder;
pub use client::{Client, ClientBuilder};
pub use error::{CancelCause, Cancelled, Error, JsError};
pub use gather::{gather, Gather, Outcome, Progress};
pub use headers::Headers;
pub use lines::{JsonLines, Lines};
pub use method::{Method, ParseMethodError};
#[cfg(feature = "middleware")]
pub use middleware::{Middleware, Next};
pub use options::{CacheMode, Credentials, Options, Redirect};
pub use progress::Transfer;
pub use request::{Action, Body, Hooks, Request};
pub use response::{BodyStream, Response};
#[cfg(any(feature = "retry", feature = "websocket"))]
pub use retry::Retry;
pub use sse::{Event, EventStream, Reconnect, SseBuilder};
pub use sync::{BoxFuture, MaybeSend, MaybeSync};
pub use sys::{until_aborted, AbortController, AbortSignal, UntilAborted};
pub use transport::{Fetch, Transport};

#[cfg(feature = "websocket")]
pub use websocket::{
    Message, SendMessage, SocketEvent, SocketSink, SocketState, SocketStream, WebSocket,
    WebSocketBuilder,
};

#[cfg(target_arch = "wasm32")]
pub use web_sys::FormData;

/// The parsers, for the fuzz targets in `fuzz/` only (`--cfg fuzzing`).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod __fuzz {
    pub use crate::fuzz::*;
}
#[cfg(fuzzing)]
mod fuzz;

/// The README's Rust examples, compiled as doctests so they stay true
/// (they use every feature).
#[cfg(all(doctest, feature = "full"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
