//! Request statistics: totals, in-flight gauges and per-tag breakdowns.
//!
//! The `track` middleware wraps every counted API route. A request is in
//! flight from its arrival until its response body has been fully handed to
//! the connection, or until it is dropped: an [`InFlight`] guard is created on
//! arrival and moved into the response body, so a client that disconnects
//! (during `?delay`, `/hang`, or a streaming body) drops the guard and the
//! request counts as `cancelled`; a fully sent body counts as `completed`.
//!
//! The WebSocket routes' counters are its `ws` object (`ws.rs`).
//!
//! Endpoints: `GET /stats[?tag=T]`, `POST /stats/reset[?tag=T]`,
//! `DELETE /stats[?tag=T]`.

use std::collections::{BTreeMap, HashMap};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::HOST;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use http_body::{Body as _, Frame, SizeHint};
use serde_json::{json, Value};

use crate::util::{json as json_response, query_value};
use crate::AppState;

#[derive(Debug, Default)]
struct Counters {
    requests: u64,
    in_flight: u64,
    peak_in_flight: u64,
    completed: u64,
    cancelled: u64,
    by_path: BTreeMap<String, u64>,
}

impl Counters {
    fn begin(&mut self, path: &str) {
        self.requests += 1;
        self.in_flight += 1;
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
        match self.by_path.get_mut(path) {
            Some(n) => *n += 1,
            None => {
                self.by_path.insert(path.to_owned(), 1);
            }
        }
    }

    fn finish(&mut self, completed: bool) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if completed {
            self.completed += 1;
        } else {
            self.cancelled += 1;
        }
    }

    /// Clears the counters; the in-flight gauge is live state and survives.
    fn reset(&mut self) {
        *self = Counters {
            in_flight: self.in_flight,
            peak_in_flight: self.in_flight,
            ..Counters::default()
        };
    }

    fn to_json(&self) -> serde_json::Map<String, Value> {
        let Value::Object(map) = json!({
            "requests": self.requests,
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak_in_flight,
            "completed": self.completed,
            "cancelled": self.cancelled,
            "by_path": self.by_path,
        }) else {
            unreachable!("json! object")
        };
        map
    }
}

#[derive(Debug, Default)]
struct HostGauge {
    in_flight: u64,
    peak: u64,
}

#[derive(Debug, Default)]
struct TagCounters {
    counters: Counters,
    hosts: BTreeMap<String, HostGauge>,
}

impl TagCounters {
    fn reset(&mut self) {
        self.counters.reset();
        self.hosts.retain(|_, g| g.in_flight > 0);
        for gauge in self.hosts.values_mut() {
            gauge.peak = gauge.in_flight;
        }
    }

    fn to_json(&self) -> Value {
        let mut map = self.counters.to_json();
        let by_host: BTreeMap<&str, u64> = self
            .hosts
            .iter()
            .map(|(host, g)| (host.as_str(), g.peak))
            .collect();
        map.insert("peak_in_flight_by_host".into(), json!(by_host));
        Value::Object(map)
    }
}

#[derive(Debug, Default)]
struct Inner {
    global: Counters,
    tags: HashMap<String, TagCounters>,
}

/// The statistics of one [`crate::app`].
#[derive(Debug, Default)]
pub struct Stats(Mutex<Inner>);

impl Stats {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the arrival of a request for `path`, tagged `tag`, addressed to
    /// `host`. The request stays in flight until the returned guard is
    /// finished or dropped.
    pub fn begin(self: &Arc<Self>, path: &str, tag: Option<String>, host: String) -> InFlight {
        let mut inner = self.lock();
        inner.global.begin(path);
        if let Some(tag) = &tag {
            let entry = inner.tags.entry(tag.clone()).or_default();
            entry.counters.begin(path);
            let gauge = entry.hosts.entry(host.clone()).or_default();
            gauge.in_flight += 1;
            gauge.peak = gauge.peak.max(gauge.in_flight);
        }
        InFlight {
            stats: Arc::clone(self),
            tag,
            host,
            finished: false,
        }
    }

    fn finish(&self, tag: Option<&str>, host: &str, completed: bool) {
        let mut inner = self.lock();
        inner.global.finish(completed);
        if let Some(entry) = tag.and_then(|t| inner.tags.get_mut(t)) {
            entry.counters.finish(completed);
            if let Some(gauge) = entry.hosts.get_mut(host) {
                gauge.in_flight = gauge.in_flight.saturating_sub(1);
            }
        }
    }

    /// The whole statistics document served by `GET /stats`.
    pub fn snapshot(&self) -> Value {
        let inner = self.lock();
        let mut map = inner.global.to_json();
        let tags: BTreeMap<&str, Value> = inner
            .tags
            .iter()
            .map(|(tag, t)| (tag.as_str(), t.to_json()))
            .collect();
        map.insert("tags".into(), json!(tags));
        Value::Object(map)
    }

    /// One tag's object (`GET /stats?tag=T`); zeros for an unknown tag.
    pub fn tag_snapshot(&self, tag: &str) -> Value {
        match self.lock().tags.get(tag) {
            Some(t) => t.to_json(),
            None => TagCounters::default().to_json(),
        }
    }

    /// Clears all counters (in-flight gauges are kept: those requests are
    /// still running and will finish later).
    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.global.reset();
        inner.tags.retain(|_, t| t.counters.in_flight > 0);
        for tag in inner.tags.values_mut() {
            tag.reset();
        }
    }

    /// Clears one tag's counters.
    pub fn reset_tag(&self, tag: &str) {
        let mut inner = self.lock();
        let idle = match inner.tags.get_mut(tag) {
            Some(t) => {
                t.reset();
                t.counters.in_flight == 0
            }
            None => false,
        };
        if idle {
            inner.tags.remove(tag);
        }
    }
}

/// Guard of one in-flight request; dropping it unfinished counts the request
/// as cancelled.
#[derive(Debug)]
pub struct InFlight {
    stats: Arc<Stats>,
    tag: Option<String>,
    host: String,
    finished: bool,
}

impl InFlight {
    /// Ends the request as completed (`true`) or cancelled (`false`).
    /// Only the first call counts.
    pub fn finish(&mut self, completed: bool) {
        if !self.finished {
            self.finished = true;
            self.stats
                .finish(self.tag.as_deref(), &self.host, completed);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.finish(false);
    }
}

/// A response body that keeps the request in flight until it ends.
struct TrackedBody {
    inner: Body,
    guard: Option<InFlight>,
    /// The body is never sent (HEAD, 204, 304): dropping it is completion.
    complete_on_drop: bool,
}

impl TrackedBody {
    fn finish(&mut self, completed: bool) {
        if let Some(mut guard) = self.guard.take() {
            guard.finish(completed);
        }
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => self.finish(true),
            Poll::Ready(Some(Err(_))) => self.finish(false),
            Poll::Ready(Some(Ok(_))) if self.inner.is_end_stream() => self.finish(true),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        let completed = self.complete_on_drop || self.inner.is_end_stream();
        self.finish(completed);
    }
}

/// Middleware counting a request in the statistics (see the module docs).
pub(crate) async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let tag = query_value(req.uri(), "tag");
    let host = req
        .headers()
        .get(HOST)
        .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned())
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let is_head = req.method() == Method::HEAD;
    // Dropped (as cancelled) if this future is dropped before the response.
    let guard = state.stats.begin(req.uri().path(), tag, host);
    let response = next.run(req).await;
    let status = response.status();
    let complete_on_drop = is_head
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    response.map(|inner| {
        Body::new(TrackedBody {
            inner,
            guard: Some(guard),
            complete_on_drop,
        })
    })
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/stats", get(get_stats).delete(reset_stats))
        .route("/stats/reset", post(reset_stats))
        .route("/stats/{*rest}", get(unknown_stats))
}

/// `GET /stats[?tag=T]`.
async fn get_stats(State(state): State<AppState>, uri: Uri) -> Response {
    let tag = query_value(&uri, "tag");
    let mut body = match &tag {
        Some(tag) => {
            let mut v = state.stats.tag_snapshot(tag);
            v["ws"] = state.ws.tag_snapshot(tag);
            v
        }
        None => {
            let mut v = state.stats.snapshot();
            v["ws"] = state.ws.snapshot();
            v
        }
    };
    if let Value::Object(map) = &mut body {
        map.insert(
            "idempotency".into(),
            state.idempotency.snapshot(tag.as_deref()),
        );
    }
    json_response(StatusCode::OK, &body)
}

/// `POST /stats/reset[?tag=T]` and `DELETE /stats[?tag=T]`. Without a tag,
/// the `/flaky` counters are reset too.
async fn reset_stats(State(state): State<AppState>, uri: Uri) -> Response {
    match query_value(&uri, "tag") {
        Some(tag) => {
            state.stats.reset_tag(&tag);
            state.idempotency.reset(Some(&tag));
            state.ws.reset(Some(&tag));
        }
        None => {
            state.stats.reset();
            state.ws.reset(None);
            state.flaky.clear();
            state.idempotency.reset(None);
        }
    }
    json_response(StatusCode::OK, &json!({ "ok": true }))
}

/// Other `/stats/...` paths: JSON 404, uncounted.
async fn unknown_stats() -> Response {
    crate::util::not_found_json()
}
