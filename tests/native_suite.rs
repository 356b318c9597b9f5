//! The client suite natively: the same `tests/suite` the browsers, the
//! worker and Node.js run, over the native transport (reqwest) on tokio,
//! against the dev server that `cargo xtask test` starts (stage
//! `suite-native`; `test = false` in `Cargo.toml`, so plain `cargo test`,
//! which has no server, leaves it out: run it with
//! `cargo test --all-features --test native_suite` and `FANOUT_TEST_API`
//! set). Each `#[wasm_bindgen_test]` is a `#[tokio::test]` here (its
//! `unsupported = tokio::test`); a test that cannot apply natively says
//! why in a `cfg` on it.
#![cfg(not(target_arch = "wasm32"))]

/// Where this suite runs.
pub const CONTEXT: &str = "native";

mod suite;
