//! Small response and query helpers shared by the handlers.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

/// Content type of every JSON response.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// Upper bound of `?delay=MS`.
pub(crate) const MAX_DELAY_MS: u64 = 60_000;

/// A response with a fixed body, a content type and an explicit
/// `content-length` (so it is visible even without a socket in between).
pub(crate) fn bytes_response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response {
    let body: Bytes = body.into();
    let mut builder = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Responses to which HTTP forbids a body get none (and no length).
    let bodyless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::RESET_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let body = if bodyless {
        Body::empty()
    } else {
        builder = builder.header(CONTENT_LENGTH, body.len());
        Body::from(body)
    };
    builder.body(body).expect("valid response parts")
}

/// A JSON response from already-serialized bytes.
pub(crate) fn json_bytes(status: StatusCode, body: impl Into<Bytes>) -> Response {
    bytes_response(status, JSON_CONTENT_TYPE, body)
}

/// A JSON response serializing `value`.
pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec(value).expect("serializable value");
    json_bytes(status, body)
}

/// JSONPlaceholder's answer for an unknown resource: 404 with body `{}`.
pub(crate) fn not_found_json() -> Response {
    json_bytes(StatusCode::NOT_FOUND, Bytes::from_static(b"{}"))
}

/// 400 with `{"error": message}`.
pub(crate) fn bad_request(message: impl Into<String>) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({ "error": message.into() }),
    )
}

/// Decoded query pairs of `uri`, in order.
pub(crate) fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// The first value of query parameter `name`.
pub(crate) fn query_value(uri: &Uri, name: &str) -> Option<String> {
    let query = uri.query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// First value of `name` in already-decoded `pairs`.
pub(crate) fn pair_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Parses a query number, ignoring garbage (which yields `None`).
pub(crate) fn pair_u64(pairs: &[(String, String)], name: &str) -> Option<u64> {
    pair_value(pairs, name).and_then(|v| v.trim().parse().ok())
}

/// Parses a fixture id: ASCII digits only (no sign, no whitespace).
pub(crate) fn parse_id(raw: &str) -> Option<u64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

/// Middleware implementing `?delay=MS` (capped at [`MAX_DELAY_MS`]): sleeps
/// before handing the request on. Dropping the future (client gone) cancels
/// the sleep.
pub(crate) async fn delay(req: Request, next: Next) -> Response {
    if let Some(ms) = query_value(req.uri(), "delay").and_then(|v| v.trim().parse::<u64>().ok()) {
        let ms = ms.min(MAX_DELAY_MS);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }
    next.run(req).await
}
