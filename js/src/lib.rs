//! fanout's JavaScript API: the crate (`fanout-js`) behind the npm package
//! `fanout`. `cargo xtask build` builds it with wasm-pack into `pkg/web`,
//! `pkg/bundler` and `pkg/nodejs`, each with `fanout.js`, `fanout_bg.wasm`
//! and `fanout.d.ts`. It uses only the public API of the `fanout` crate.
//!
//! It is shaped for JS habits rather than mirroring the Rust builders:
//! camelCase names, options objects, Promises, errors that are JS `Error`s
//! with a `name`, and bodies handed over as plain JS values (`json()` parses
//! with the platform's `JSON.parse`; `text()` and `bytes()` never copy the
//! body into wasm memory). Every option is checked: a wrong type or an
//! unknown name is a `TypeError` that names it, never a panic.
//!
//! One module per concept. A call's options are read onto the library's
//! `RequestBuilder` (`read_options` in `request.rs`); `send` (`client.rs`)
//! and `gather` (`gather.rs`, each input read when its turn comes) build a
//! `fanout::Request` from it, kept with what only JS has (a `Call`), and
//! send it through one request path
//! (`Call::respond`, then `Call::reject` on failure); SSE (`sse.rs`) hands
//! the same options to `Client::sse`. Errors are instances of exported classes (`FanoutError` and its
//! subclasses, `errors.rs`), and a 4xx or 5xx is turned into an
//! `HTTPError` here rather than by the library, so that it can carry the
//! body as `data` (`raise_for_status`): the library's `error_for_status`
//! is always off under this binding. The promise of a request has
//! `json()`, `text()` and `bytes()` (`response_promise`); `dedupe` and
//! `auth` map onto `ClientBuilder::dedupe` and [`fanout::auth::Refresh`];
//! `client.outbox` (`outbox.rs`) onto the library's durable outbox.
//!
//! The settings a client and a request share are [`fanout::Options`],
//! declared once for JS in `shared_options!` (`options.rs`), which makes
//! the key list and the parser; native tests hold it equal to the
//! library's fields and to `SharedOptions` in `options.d.ts`, the
//! TypeScript declarations (`TS_TYPES` and `TS_OPTIONS` below: `fanout.d.ts`
//! and `options.d.ts`).

// The bindings run only in wasm: natively (where the library's futures
// are `Send`, and JS values are not) only the plain data below is built,
// for the native tests that hold the names and numbers JS sees equal to
// the TypeScript declarations, `response.js` and the library.
#[cfg(target_arch = "wasm32")]
mod body;
#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(test)]
mod declarations;
#[cfg(target_arch = "wasm32")]
mod errors;
#[cfg(target_arch = "wasm32")]
mod fields;
#[cfg(target_arch = "wasm32")]
mod gather;
#[cfg(target_arch = "wasm32")]
mod hooks;
#[cfg(target_arch = "wasm32")]
mod js;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod keys;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod media;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod options;
#[cfg(target_arch = "wasm32")]
mod outbox;
#[cfg(target_arch = "wasm32")]
mod request;
#[cfg(target_arch = "wasm32")]
mod response;
#[cfg(target_arch = "wasm32")]
mod sse;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod states;
#[cfg(target_arch = "wasm32")]
mod stream;
#[cfg(target_arch = "wasm32")]
mod websocket;

#[cfg(target_arch = "wasm32")]
pub use client::JsClient;
#[cfg(target_arch = "wasm32")]
pub use hooks::retry_marker;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::*;

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("fanout.d.ts");

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(typescript_custom_section)]
const TS_OPTIONS: &str = include_str!("options.d.ts");

/// Chains the error classes' prototypes as the module starts, so that
/// they are in place before the first error.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(start)]
fn start() {
    errors::ERROR_PROTOS.with(|_| ());
    response::RESPONSE_CLASS.with(|_| ());
}
