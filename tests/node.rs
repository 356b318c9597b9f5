//! The client suite in Node.js (`wasm-pack test --node`).
#![cfg(target_arch = "wasm32")]

/// Where this suite runs.
pub const CONTEXT: &str = "node";

mod suite;
