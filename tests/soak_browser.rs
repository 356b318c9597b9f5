//! The fault soak (tests/common/soak.rs) in a Chromium page: `cargo xtask
//! test soak`.
#![cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/soak.rs"]
mod soak;

#[wasm_bindgen_test::wasm_bindgen_test]
async fn ten_thousand_requests_with_faults_in_a_browser() {
    soak::soak("browser").await;
}
