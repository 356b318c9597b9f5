//! Fault- and latency-injection endpoints.
//!
//! `?delay=MS` itself is the [`crate::util::delay`] middleware; everything
//! else lives here: `/status/{code}`, `/redirect`, `/malformed`,
//! `/wrong-type`, `/drip`, `/hang`, `/drop`, `/flaky/{key}`, `/echo`,
//! `/bytes`, `/big`, `/big-chunked` and `/headers`.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::io;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::header::{
    ACCESS_CONTROL_EXPOSE_HEADERS, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{any, get};
use axum::Router;
use futures_util::stream;

use crate::util::{
    bad_request, bytes_response, json, json_bytes, pair_u64, pair_value, query_pairs,
};
use crate::AppState;

/// Largest `/bytes?n=` (64 MiB).
const MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Largest `/big?kb=` and `/big-chunked?kb=` (64 MiB).
const MAX_BIG_KB: u64 = 64 * 1024;
/// Largest `/echo` request body.
const MAX_ECHO_BODY: usize = 16 * 1024 * 1024;
/// `content-length` announced by `/drop`.
const DROP_ANNOUNCED: u64 = 100_000;

/// Per-key hit counters of `/flaky/{key}`; cleared by `/stats/reset`.
#[derive(Debug, Default)]
pub(crate) struct FlakyCounters(Mutex<HashMap<String, u64>>);

impl FlakyCounters {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one hit on `key`, returning the new count.
    fn hit(&self, key: &str) -> u64 {
        let mut map = self.lock();
        let n = map.entry(key.to_owned()).or_insert(0);
        *n += 1;
        *n
    }

    /// Hits on `key` so far.
    fn hits(&self, key: &str) -> u64 {
        self.lock().get(key).copied().unwrap_or(0)
    }

    /// Forgets every key.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

/// Fault routes that the stats middleware counts.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/status/{code}", any(status))
        .route("/redirect", any(redirect))
        .route("/malformed", get(malformed))
        .route("/wrong-type", get(wrong_type))
        .route("/drip", get(drip))
        .route("/hang", any(hang))
        .route("/drop", get(drop_connection))
        .route("/flaky/{key}", any(flaky))
        .route("/echo", any(echo))
        .route("/bytes", get(bytes))
        .route("/big", get(big))
        .route("/big-chunked", get(big_chunked))
        .route("/headers", any(headers))
}

/// Fault routes that are not counted (inspection only).
pub(crate) fn uncounted_routes() -> Router<AppState> {
    Router::new().route("/flaky/{key}/count", get(flaky_count))
}

/// A header value from user input, if valid.
fn header_value(raw: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(raw).ok()
}

/// `/status/{code}`: that status with `{"status": code}`; 1xx and anything
/// outside 100-599 answer 400. 429 and 503 carry `Retry-After: 0` unless
/// `?retry_after=` overrides it (which is also honoured for other codes).
async fn status(Path(code): Path<String>, uri: Uri) -> Response {
    let code = code
        .parse::<u16>()
        .ok()
        .filter(|c| (200..=599).contains(c))
        .unwrap_or(400);
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json(status, &serde_json::json!({ "status": code }));
    let pairs = query_pairs(&uri);
    let retry_after = match pair_value(&pairs, "retry_after") {
        Some(raw) => header_value(raw),
        None if code == 429 || code == 503 => Some(HeaderValue::from_static("0")),
        None => None,
    };
    if let Some(value) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

/// `/redirect?to=TARGET[&status=301|302|303|307|308]`: a redirect to a path
/// on this server, or to a loopback origin (see [`redirect_target`]).
async fn redirect(uri: Uri) -> Response {
    let pairs = query_pairs(&uri);
    let Some(to) = pair_value(&pairs, "to") else {
        return bad_request("missing ?to=PATH");
    };
    if let Err(why) = redirect_target(to) {
        return bad_request(why);
    }
    let Some(location) = header_value(to) else {
        return bad_request("invalid ?to= value");
    };
    let status = match pair_u64(&pairs, "status") {
        None => StatusCode::FOUND,
        Some(code @ (301 | 302 | 303 | 307 | 308)) => {
            StatusCode::from_u16(code as u16).expect("valid redirect status")
        }
        Some(_) => return bad_request("?status= must be 301, 302, 303, 307 or 308"),
    };
    let mut response = json(status, &serde_json::json!({ "location": to }));
    response.headers_mut().insert(LOCATION, location);
    response
}

/// Checks a `/redirect?to=` target, so that the dev server is no open
/// redirect: either a path on this server (`/` then anything but a second
/// `/`), or an absolute `http://` URL on a loopback host (`127.0.0.1`,
/// `localhost` or `[::1]`, any port), for tests of cross-origin redirects
/// between two origins of the same server. Anything a URL parser could
/// read differently is refused: a backslash (a `/` to browsers), ASCII
/// control characters and spaces (browsers drop tabs and newlines, so
/// `/\t/evil.example` would become `//evil.example`), and user info (`@`).
pub(crate) fn redirect_target(to: &str) -> Result<(), &'static str> {
    if to
        .chars()
        .any(|c| c.is_ascii_control() || c == ' ' || c == '\\')
    {
        return Err("?to= must not hold spaces, control characters or backslashes");
    }
    if let Some(rest) = to.strip_prefix("http://") {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let host = match authority.rsplit_once(':') {
            Some((host, port))
                if !host.ends_with('[')
                    && !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_digit()) =>
            {
                host
            }
            _ => authority,
        };
        if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return Err("?to= may only be an absolute URL on 127.0.0.1, localhost or [::1]");
        }
        if !path.starts_with('/') {
            return Err("?to= must have a path after its host");
        }
        return Ok(());
    }
    if !to.starts_with('/') || to.starts_with("//") {
        return Err("?to= must be a path on this server, starting with /, or a loopback URL");
    }
    Ok(())
}

/// `/malformed`: truncated, invalid JSON labelled as JSON.
async fn malformed() -> Response {
    json_bytes(
        StatusCode::OK,
        Bytes::from_static(br#"{"userId": 1, "id": 1, "title": "trunc"#),
    )
}

/// `/wrong-type`: a post whose `userId` is a string.
async fn wrong_type() -> Response {
    json_bytes(
        StatusCode::OK,
        Bytes::from_static(br#"{"userId":"one","id":1,"title":"x","body":"y"}"#),
    )
}

/// `/drip?chunks=N&interval_ms=M&chunk_size=B`: N chunks of B `x` bytes, the
/// first at once and then one every M ms, as a chunked (length-less) body.
async fn drip(uri: Uri) -> Response {
    let pairs = query_pairs(&uri);
    let chunks = pair_u64(&pairs, "chunks").unwrap_or(10).min(100_000);
    let interval = pair_u64(&pairs, "interval_ms").unwrap_or(100).min(60_000);
    let size = pair_u64(&pairs, "chunk_size")
        .unwrap_or(16)
        .min(1024 * 1024) as usize;
    let chunk = Bytes::from(vec![b'x'; size]);
    let body = stream::unfold(0u64, move |i| {
        let chunk = chunk.clone();
        async move {
            if i >= chunks {
                return None;
            }
            if i > 0 && interval > 0 {
                tokio::time::sleep(Duration::from_millis(interval)).await;
            }
            Some((Ok::<_, Infallible>(chunk), i + 1))
        }
    });
    Response::builder()
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from_stream(body))
        .expect("valid response")
}

/// `/hang`: never answers. The future is dropped when the client goes away.
async fn hang() -> Response {
    std::future::pending().await
}

/// `/drop?after=B&hold_ms=M`: announces `content-length: 100000`, sends B
/// bytes, waits M ms (default 50), then
/// fails the body so the connection is cut mid-response.
async fn drop_connection(uri: Uri) -> Response {
    let pairs = query_pairs(&uri);
    let after = pair_u64(&pairs, "after")
        .unwrap_or(100)
        .min(DROP_ANNOUNCED - 1) as usize;
    let hold = pair_u64(&pairs, "hold_ms").unwrap_or(50).min(60_000);
    let body = stream::unfold(0u8, move |step| async move {
        match step {
            0 if after > 0 => Some((Ok(Bytes::from(vec![b'x'; after])), 1)),
            0 | 1 => {
                // Let the partial body reach the client before the cut.
                tokio::time::sleep(Duration::from_millis(hold)).await;
                Some((
                    Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "fanout-devserver: /drop cuts the connection",
                    )),
                    2,
                ))
            }
            _ => None,
        }
    });
    Response::builder()
        .header(CONTENT_TYPE, "application/octet-stream")
        .header(CONTENT_LENGTH, DROP_ANNOUNCED)
        .body(Body::from_stream(body))
        .expect("valid response")
}

/// `/flaky/{key}?fail=N&status=S&retry_after=R`: the first N hits on `key`
/// (default 1) answer S (default 503) with `{"attempt": k}` and, if given,
/// `Retry-After: R` verbatim; later hits answer 200
/// `{"ok": true, "attempts": k, "body": "<the request body>"}`.
async fn flaky(
    State(state): State<AppState>,
    Path(key): Path<String>,
    uri: Uri,
    body: axum::body::Bytes,
) -> Response {
    let pairs = query_pairs(&uri);
    let fail = pair_u64(&pairs, "fail").unwrap_or(1);
    let status = match pair_value(&pairs, "status") {
        None => StatusCode::SERVICE_UNAVAILABLE,
        Some(raw) => match raw.parse::<u16>().ok().filter(|c| (200..=599).contains(c)) {
            Some(code) => StatusCode::from_u16(code).expect("valid status"),
            None => return bad_request("?status= must be 200-599"),
        },
    };
    let retry_after = match pair_value(&pairs, "retry_after") {
        None => None,
        Some(raw) => match header_value(raw) {
            Some(value) => Some(value),
            None => return bad_request("invalid ?retry_after= value"),
        },
    };
    let attempt = state.flaky.hit(&key);
    if attempt <= fail {
        let mut response = json(status, &serde_json::json!({ "attempt": attempt }));
        if let Some(value) = retry_after {
            response.headers_mut().insert(RETRY_AFTER, value);
        }
        response
    } else {
        json(
            StatusCode::OK,
            // The body this attempt carried, so a client can show that a
            // retry re-sent it.
            &serde_json::json!({
                "ok": true,
                "attempts": attempt,
                "body": String::from_utf8_lossy(&body),
            }),
        )
    }
}

/// `GET /flaky/{key}/count`: `{"key": key, "hits": n}` (not itself a hit).
async fn flaky_count(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let hits = state.flaky.hits(&key);
    json(
        StatusCode::OK,
        &serde_json::json!({ "key": key, "hits": hits }),
    )
}

/// Request headers as `{lowercase-name: value}`; repeated headers are joined
/// with `", "`.
fn header_map_json(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        out.entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    out
}

/// `/echo` (any method): the request as JSON, plus `X-Echo: yes`.
async fn echo(req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_ECHO_BODY).await {
        Ok(body) => body,
        Err(_) => {
            return json(
                StatusCode::PAYLOAD_TOO_LARGE,
                &serde_json::json!({ "error": "body too large or unreadable" }),
            )
        }
    };
    let query: BTreeMap<String, String> = query_pairs(&parts.uri).into_iter().collect();
    let mut response = json(
        StatusCode::OK,
        &serde_json::json!({
            "method": parts.method.as_str(),
            "version": format!("{:?}", parts.version),
            "path": parts.uri.path(),
            "headers": header_map_json(&parts.headers),
            "query": query,
            "body": String::from_utf8_lossy(&body),
        }),
    );
    response
        .headers_mut()
        .insert("x-echo", HeaderValue::from_static("yes"));
    response
}

/// `/bytes?n=N` (default 1024, at most 64 MiB): byte i is `i % 256`.
async fn bytes(uri: Uri) -> Response {
    let n = pair_u64(&query_pairs(&uri), "n")
        .unwrap_or(1024)
        .min(MAX_BYTES);
    let body: Vec<u8> = (0..n).map(|i| (i % 256) as u8).collect();
    bytes_response(StatusCode::OK, "application/octet-stream", body)
}

/// Length of each string of `/big`: with quotes and comma an element is
/// exactly 1024 bytes, so `kb` elements make about `kb` KiB.
const BIG_ELEMENT: usize = 1021;

fn big_kb(uri: &Uri) -> u64 {
    pair_u64(&query_pairs(uri), "kb")
        .unwrap_or(1024)
        .min(MAX_BIG_KB)
}

/// Elements `from..to` of the `/big` array, with separators, as bytes.
fn big_elements(from: u64, to: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(((to - from) as usize) * (BIG_ELEMENT + 3));
    for i in from..to {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        let letter = b'a' + (i % 26) as u8;
        out.extend(std::iter::repeat_n(letter, BIG_ELEMENT));
        out.push(b'"');
    }
    out
}

/// `/big?kb=N` (default 1024): a JSON array of strings of about N KiB, with
/// `content-length`.
async fn big(uri: Uri) -> Response {
    let kb = big_kb(&uri);
    let mut body = Vec::with_capacity(kb as usize * 1024 + 2);
    body.push(b'[');
    body.extend(big_elements(0, kb));
    body.push(b']');
    json_bytes(StatusCode::OK, body)
}

/// `/big-chunked?kb=N`: the same bytes as `/big` but streamed without
/// `content-length` (chunked transfer encoding).
async fn big_chunked(uri: Uri) -> Response {
    const PER_CHUNK: u64 = 64;
    let kb = big_kb(&uri);
    let body = stream::unfold(None::<u64>, move |next| async move {
        let piece = match next {
            None => vec![b'['],
            Some(from) if from < kb => big_elements(from, (from + PER_CHUNK).min(kb)),
            Some(from) if from == kb => vec![b']'],
            Some(_) => return None,
        };
        let following = match next {
            None => 0,
            Some(from) if from < kb => (from + PER_CHUNK).min(kb),
            Some(from) => from + 1,
        };
        Some((Ok::<_, Infallible>(Bytes::from(piece)), Some(following)))
    });
    Response::builder()
        .header(CONTENT_TYPE, crate::util::JSON_CONTENT_TYPE)
        .body(Body::from_stream(body))
        .expect("valid response")
}

/// Response headers `/headers` refuses to set (framing and connection
/// management belong to the server).
const RESERVED_HEADERS: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "trailer",
    "te",
    "proxy-connection",
];

/// `/headers?name=value&...`: 200 `{}` with each pair as a response header
/// (the control parameters `delay` and `tag` excepted), and those names added
/// to `Access-Control-Expose-Headers` so browser code can read them.
async fn headers(uri: Uri) -> Response {
    let mut response = json_bytes(StatusCode::OK, Bytes::from_static(b"{}"));
    let mut exposed: Vec<String> = Vec::new();
    for (name, value) in query_pairs(&uri) {
        if name == "delay" || name == "tag" {
            continue;
        }
        let Ok(header) = HeaderName::from_bytes(name.as_bytes()) else {
            return bad_request(format!("invalid header name {name:?}"));
        };
        if RESERVED_HEADERS.contains(&header.as_str()) {
            return bad_request(format!("header {name:?} cannot be set"));
        }
        let Some(value) = header_value(&value) else {
            return bad_request(format!("invalid value for header {name:?}"));
        };
        if exposed.iter().any(|e| e == header.as_str()) {
            response.headers_mut().append(header, value);
        } else {
            exposed.push(header.as_str().to_owned());
            response.headers_mut().insert(header, value);
        }
    }
    if !exposed.is_empty() {
        if let Ok(value) = HeaderValue::from_str(&exposed.join(", ")) {
            response
                .headers_mut()
                .insert(ACCESS_CONTROL_EXPOSE_HEADERS, value);
        }
    }
    response
}
