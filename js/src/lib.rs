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
//! Errors are instances of exported classes (`FanoutError` and its
//! subclasses, see `js_error`), and a 4xx or 5xx is turned into an
//! `HTTPError` here rather than by the library, so that it can carry the
//! body as `data` (`raise_for_status`): the library's `error_for_status`
//! is always off under this binding. The promise of a request has
//! `json()`, `text()` and `bytes()` (`response_promise`); `dedupe` and
//! `auth` map onto `ClientBuilder::dedupe` and [`fanout::auth::Refresh`].
//!
//! The settings a client and a request share are [`fanout::Options`], read
//! from JS by one parser (`parse_options`, whose keys are `OPTION_KEYS`)
//! and declared once in TypeScript (`SharedOptions`): adding a shared
//! option touches the library's option list, that parser and that
//! declaration.

mod body;
mod client;
mod errors;
mod fields;
mod gather;
mod hooks;
mod js;
mod options;
mod request;
mod response;
mod sse;
mod stream;

pub use client::JsClient;
pub use hooks::retry_marker;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("fanout.d.ts");

/// Chains the error classes' prototypes as the module starts, so that
/// they are in place before the first error.
#[wasm_bindgen(start)]
fn start() {
    errors::ERROR_PROTOS.with(|_| ());
    response::RESPONSE_CLASS.with(|_| ());
}
