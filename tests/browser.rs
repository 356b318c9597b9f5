//! The client suite in a browser page (headless Chromium and Firefox).
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Where this suite runs.
pub const CONTEXT: &str = "browser";

mod suite;
