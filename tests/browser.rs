//! The client suite in a browser page (headless Chromium and Firefox).
#![cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Where this suite runs.
pub const CONTEXT: &str = "browser";

mod suite;
