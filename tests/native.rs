//! The pipeline cases of `tests/common/pipeline.rs`, natively: plain
//! `cargo test`, no browser and no server (a `MockTransport` answers).
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/pipeline.rs"]
mod cases;

macro_rules! native_tests {
    ($($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                futures::executor::block_on(cases::$name());
            }
        )*
    };
}

for_each_pipeline_case!(native_tests);
