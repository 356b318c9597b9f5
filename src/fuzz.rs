//! The hand-written parsers, for the cargo-fuzz targets in `fuzz/`
//! (`cargo xtask fuzz`). Compiled only with `--cfg fuzzing`, which
//! `cargo fuzz` sets, so it is in no normal build and no wasm.

use std::collections::VecDeque;
use std::time::Duration;

/// `Retry-After`: delay-seconds or an IMF-fixdate, against `now_epoch_ms`.
pub fn retry_after(value: &str, now_epoch_ms: f64) -> Option<Duration> {
    crate::retry::parse_retry_after(value, now_epoch_ms)
}

/// An IMF-fixdate in seconds since the Unix epoch.
pub fn http_date(value: &str) -> Option<i64> {
    crate::retry::parse_http_date(value)
}

/// What `Response::json` reports for a body that does not decode as `T`:
/// `Ok(())`, or the error's path (if any) and message.
pub fn json_error<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<(), (Option<String>, String)> {
    crate::response::decode_json::<T>(bytes)
        .map(|_: T| ())
        .map_err(|e| (e.decode_path().map(str::to_owned), e.to_string()))
}

/// The path finder itself, at any position.
pub fn json_path_at(bytes: &[u8], line: usize, column: usize) -> String {
    crate::response::json_path_at(bytes, line, column)
}

/// Header validation: `Ok` if the pair may be sent.
pub fn header_check(name: &str, value: &str) -> Result<(), String> {
    crate::headers::check(name, value)
}

/// The lines of a body that arrives in `chunks`.
pub fn lines(chunks: &[&[u8]]) -> Vec<String> {
    let mut splitter = crate::lines::LineSplitter::default();
    let mut out = VecDeque::new();
    for chunk in chunks {
        splitter.push(chunk, &mut out);
    }
    out.extend(splitter.finish());
    out.into()
}

/// The events of an event stream that arrives in `chunks`, and the last
/// event ID and `retry:` delay the parser ends with.
pub fn events(chunks: &[&[u8]]) -> (Vec<crate::Event>, String, Option<u64>) {
    let mut parser = crate::sse::EventParser::default();
    let mut out = VecDeque::new();
    for chunk in chunks {
        parser.push(chunk, &mut out);
    }
    let id = parser.last_event_id().to_owned();
    (out.into(), id, parser.retry_ms())
}

/// A base URL as `ClientBuilder::base_url` checks it: its normalized form
/// and origin.
pub fn parse_base(base: &str) -> Result<(String, String), String> {
    crate::url::parse_base(base).map(|b| (b.url, b.origin))
}

/// A reference joined onto a (normalized) base URL by the platform's
/// parser (natively the `url` crate), checked as a request target.
pub fn resolve(base: &str, reference: &str) -> Result<String, String> {
    crate::url::resolve(Some(base), reference)
}

/// The short way a client joins a plain path onto its base (`None`: it
/// takes [`resolve`]'s way); `base` is checked as `parse_base` does.
pub fn join_plain(base: &str, reference: &str) -> Option<String> {
    crate::url::join_plain(&crate::url::parse_base(base).ok()?, reference)
}

/// The origin fanout's cross-origin guard sees in a resolved URL.
pub fn origin(url: &str) -> Option<String> {
    crate::url::origin(url)
}
