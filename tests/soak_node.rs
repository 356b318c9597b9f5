//! The fault soak (tests/common/soak.rs) in Node.js: `cargo xtask test
#![cfg(target_arch = "wasm32")]
//! soak`.

#[path = "common/soak.rs"]
mod soak;

#[wasm_bindgen_test::wasm_bindgen_test]
async fn ten_thousand_requests_with_faults_in_node() {
    soak::soak("node").await;
}
