//! The client suite in a dedicated Web Worker.
#![cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Where this suite runs.
pub const CONTEXT: &str = "worker";

mod suite;
