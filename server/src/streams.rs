//! Streaming endpoints: `/sse` (Server-Sent Events), `/ndjson`
//! (newline-delimited JSON cut at awkward places) and `/upload` (counts a
//! request body as it is read). `/drip` (in `faults`) serves download
//! progress.

use std::convert::Infallible;
use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use futures_util::{stream, StreamExt};

use crate::util::{bad_request, json, pair_u64, pair_value, query_pairs};
use crate::AppState;

/// Largest `/sse?count=` and `/ndjson?n=`.
const MAX_ITEMS: u64 = 100_000;
/// Largest `?interval_ms=` and `/upload?slow_ms=`.
const MAX_INTERVAL_MS: u64 = 10_000;

/// Streaming routes, counted by the stats middleware (a stream is in
/// flight until its body ends or the client goes away).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/sse", get(sse).post(sse))
        .route("/ndjson", get(ndjson))
        .route("/upload", post(upload).put(upload))
}

/// Whether a flag parameter is on (`1`, `true`, `yes`, or present with no
/// value).
fn flag(pairs: &[(String, String)], name: &str) -> bool {
    matches!(pair_value(pairs, name), Some("" | "1" | "true" | "yes"))
}

/// The `data` of event `n`: `{"n":n,"title":"<title of a post>"}`, or that
/// JSON over two `data:` lines when `multiline` (joined again with `\n`,
/// it stays the same JSON value).
fn sse_data(state: &AppState, n: u64, multiline: bool) -> String {
    let posts = &state.fixtures.posts;
    let post = posts.get((n - 1) % posts.len() as u64 + 1);
    let title = post
        .and_then(|p| p.field_str("title"))
        .unwrap_or_default()
        .into_owned();
    let title = serde_json::to_string(&title).unwrap_or_else(|_| "\"\"".into());
    if multiline {
        format!("data: {{\"n\":{n},\ndata: \"title\":{title}}}\n")
    } else {
        format!("data: {{\"n\":{n},\"title\":{title}}}\n")
    }
}

/// `/sse` (GET or POST): Server-Sent Events `1..=count`, resuming after
/// the request's `Last-Event-ID` (a number). Parameters:
/// `count` (default 10), `interval_ms` between events (default 100; the
/// first comes at once), `retry` (a `retry:` field first), `ids=0` (no `id:`
/// fields), `comments` (a `: comment` before each event), `multiline`
/// (data over two lines), `event=NAME` (the event type), `crlf` (CRLF line
/// ends), `bom` (a byte order mark first), `drop_after=N` (cut the
/// connection after N events, to force a reconnection). Once every event
/// was sent the stream ends; a request that resumes after the last event
/// gets `204 No Content` (the standard's "do not reconnect").
async fn sse(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let pairs = query_pairs(&uri);
    let count = pair_u64(&pairs, "count").unwrap_or(10).min(MAX_ITEMS);
    let interval = pair_u64(&pairs, "interval_ms")
        .unwrap_or(100)
        .min(MAX_INTERVAL_MS);
    let retry = pair_u64(&pairs, "retry");
    let ids = pair_value(&pairs, "ids") != Some("0");
    let comments = flag(&pairs, "comments");
    let multiline = flag(&pairs, "multiline");
    let crlf = flag(&pairs, "crlf");
    let bom = flag(&pairs, "bom");
    let drop_after = pair_u64(&pairs, "drop_after");
    let event = pair_value(&pairs, "event").map(str::to_owned);
    if event.as_deref().is_some_and(|e| e.contains(['\r', '\n'])) {
        return bad_request("?event= must be one line");
    }
    let last = match last_event_id(&headers) {
        Ok(n) => n,
        Err(why) => return bad_request(why),
    };
    if last >= count {
        return Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Body::empty())
            .expect("valid response");
    }

    let head = sse_head(bom, retry);
    let events = (last + 1..=count).enumerate().map(move |(i, n)| {
        let mut text = String::new();
        if comments {
            text.push_str(&format!(": comment before {n}\n"));
        }
        if let Some(e) = &event {
            text.push_str(&format!("event: {e}\n"));
        }
        if ids {
            text.push_str(&format!("id: {n}\n"));
        }
        text.push_str(&sse_data(&state, n, multiline));
        text.push('\n');
        (i as u64, text)
    });
    let fix = move |s: String| {
        let s = if crlf { s.replace('\n', "\r\n") } else { s };
        Ok::<_, io::Error>(Bytes::from(s))
    };
    let head = stream::once(async move { fix(head) });
    let body = stream::iter(events)
        .then(move |(i, text)| async move {
            if let Some(limit) = drop_after {
                if i >= limit {
                    // Let the events sent reach the client before the cut.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    return Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "fanout-devserver: /sse?drop_after cuts the connection",
                    ));
                }
            }
            if i > 0 && interval > 0 {
                tokio::time::sleep(Duration::from_millis(interval)).await;
            }
            fix(text)
        })
        // Nothing after the cut.
        .scan(false, |cut, item| {
            let stop = *cut;
            *cut |= item.is_err();
            std::future::ready((!stop).then_some(item))
        });
    Response::builder()
        .header(CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .header(CACHE_CONTROL, "no-store")
        .body(Body::from_stream(head.chain(body)))
        .expect("valid response")
}

/// The request's `Last-Event-ID` as a number (0 when absent or blank), or
/// why it is not one.
fn last_event_id(headers: &HeaderMap) -> Result<u64, &'static str> {
    match headers.get("last-event-id").map(|v| v.to_str()) {
        None => Ok(0),
        Some(Ok(v)) if v.trim().is_empty() => Ok(0),
        Some(Ok(v)) => match v.trim().parse::<u64>() {
            Ok(n) => Ok(n),
            Err(_) => Err("Last-Event-ID must be a number"),
        },
        Some(Err(_)) => Err("invalid Last-Event-ID"),
    }
}

/// What an event stream starts with: a byte order mark (`bom`), a
/// `retry:` field, and a comment.
fn sse_head(bom: bool, retry: Option<u64>) -> String {
    let mut head = String::new();
    if bom {
        head.push('\u{FEFF}');
    }
    if let Some(ms) = retry {
        head.push_str(&format!("retry: {ms}\n"));
    }
    head.push_str(": fanout-devserver event stream\n\n");
    head
}

/// The text of NDJSON line `n` (without its line end): a small object
/// with non-ASCII text (2-, 3- and 4-byte UTF-8 characters).
pub(crate) fn ndjson_line(n: u64) -> String {
    format!("{{\"n\":{n},\"text\":\"caf\u{e9} \u{2603} \u{1F600} #{n}\"}}")
}

/// `/ndjson?n=N&bad=K&chunk=B&interval_ms=M&crlf`: N lines of
/// [`ndjson_line`] (default 10), line K (1-based) replaced by invalid JSON,
/// each line ended by `\n` (`\r\n` with `crlf`), sent in chunks of B bytes
/// (default 7) with M ms between them (default 0), and one more cut in the
/// middle of the first line's 4-byte character, so that a multi-byte
/// character is always split between two chunks. No `content-length`.
async fn ndjson(uri: Uri) -> Response {
    let pairs = query_pairs(&uri);
    let n = pair_u64(&pairs, "n").unwrap_or(10).min(MAX_ITEMS);
    let bad = pair_u64(&pairs, "bad");
    let chunk = pair_u64(&pairs, "chunk").unwrap_or(7).clamp(1, 1 << 20) as usize;
    let interval = pair_u64(&pairs, "interval_ms")
        .unwrap_or(0)
        .min(MAX_INTERVAL_MS);
    let end = if flag(&pairs, "crlf") { "\r\n" } else { "\n" };
    let mut body = String::new();
    for i in 1..=n {
        if bad == Some(i) {
            body.push_str(&format!("{{\"n\":{i},\"text\":"));
        } else {
            body.push_str(&ndjson_line(i));
        }
        body.push_str(end);
    }
    let body = body.into_bytes();
    let mut cuts: Vec<usize> = (chunk..body.len()).step_by(chunk).collect();
    if let Some(emoji) = "\u{1F600}"
        .as_bytes()
        .first()
        .and_then(|first| body.iter().position(|b| b == first))
    {
        cuts.push(emoji + 2);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut from = 0;
    for c in cuts.into_iter().chain([body.len()]) {
        if c > from {
            pieces.push(Bytes::copy_from_slice(&body[from..c]));
            from = c;
        }
    }
    let stream = stream::iter(pieces.into_iter().enumerate()).then(move |(i, piece)| async move {
        if i > 0 && interval > 0 {
            tokio::time::sleep(Duration::from_millis(interval)).await;
        }
        Ok::<_, Infallible>(piece)
    });
    Response::builder()
        .header(CONTENT_TYPE, "application/x-ndjson; charset=utf-8")
        .body(Body::from_stream(stream))
        .expect("valid response")
}

/// `/upload?slow_ms=M&hold_ms=H` (POST or PUT): reads the request body as
/// it comes, waiting M ms after each chunk read (a slow reader, default 0),
/// then waits H ms (default 0) before it answers
/// `{"received": bytes, "chunks": reads}`.
///
/// A client that goes away while the server waits in `hold_ms` is seen at
/// once (the request stops being in flight in `/stats`). A slow reader
/// cannot see it before it has read all the bytes already on their way
/// (the sockets' buffers hold megabytes on loopback): to prove that an
/// aborted upload leaves the server, use `hold_ms`, where a client that
/// did not go away stays in flight for H ms.
async fn upload(uri: Uri, req: Request) -> Response {
    let pairs = query_pairs(&uri);
    let slow = pair_u64(&pairs, "slow_ms")
        .unwrap_or(0)
        .min(MAX_INTERVAL_MS);
    let hold = pair_u64(&pairs, "hold_ms")
        .unwrap_or(0)
        .min(MAX_INTERVAL_MS);
    let mut body = req.into_body().into_data_stream();
    let (mut received, mut chunks) = (0u64, 0u64);
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => {
                received += c.len() as u64;
                chunks += 1;
            }
            Err(_) => return bad_request("the request body broke off"),
        }
        if slow > 0 {
            tokio::time::sleep(Duration::from_millis(slow)).await;
        }
    }
    if hold > 0 {
        tokio::time::sleep(Duration::from_millis(hold)).await;
    }
    json(
        StatusCode::OK,
        &serde_json::json!({ "received": received, "chunks": chunks }),
    )
}
