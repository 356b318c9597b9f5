//! fanout: concurrent HTTP requests from Rust in the browser.
