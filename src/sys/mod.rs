//! The platform under the crate: on wasm every raw JavaScript call
//! (`web/`: `fetch`, timers, the clock, `AbortController`, promises and
//! stream readers); natively the runtime's clock and timers and fanout's
//! own `AbortController` (`native.rs`). The rest of the crate speaks Rust
//! types and calls the same names on both targets: `now_ms`, `epoch_ms`,
//! `random`, `location_href`, `sleep`/`Sleep` and `until_aborted`.

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::*;
#[cfg(not(target_arch = "wasm32"))]
pub use native::{until_aborted, AbortController, AbortSignal, UntilAborted};

#[cfg(target_arch = "wasm32")]
mod web;
#[cfg(target_arch = "wasm32")]
pub(crate) use web::*;
#[cfg(target_arch = "wasm32")]
pub use web::{until_aborted, UntilAborted};
#[cfg(target_arch = "wasm32")]
pub use web_sys::{AbortController, AbortSignal};
