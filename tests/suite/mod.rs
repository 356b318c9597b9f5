//! The client test suite, shared by the browser, worker and Node.js test
//! binaries. Every test talks to the dev server that `cargo xtask test`
//! starts; its address arrives at compile time in `FANOUT_TEST_API`.

mod client;
mod concurrency;
mod errors;
mod features;
mod http2;
#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(feature = "outbox")]
mod outbox;
mod pipeline;
mod requests;
mod responses;
mod streams;
mod support;
mod upload;
mod urls;
mod websocket;
