//! The client suite in Node.js (`wasm-pack test --node`).

/// Where this suite runs.
pub const CONTEXT: &str = "node";

mod suite;
