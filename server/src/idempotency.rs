//! The `Idempotency-Key` header (the IETF httpapi draft's, as Stripe
//! honours it) on `POST`, `PUT`, `PATCH` and `DELETE`: the first request
//! with a key is applied and its answer stored; a repeat with the same
//! key and the same request gets the stored answer (with
//! `idempotent-replayed: true`) and is not applied again; a repeat while
//! the first is still being applied is a `409`, and the same key on a
//! different request a `422`.
//!
//! `GET /stats` gains `idempotency`: `requests` (with a key), `keys_seen`,
//! `applied`, `replayed`, `conflicts` (409s and 422s), globally and per
//! `?tag=T`. `GET /idempotency/log?tag=T` lists what was applied, in
//! order: each key with its method, path and body (the demo shows its
//! comments from it). `/stats/reset` clears them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::util::{json as json_response, query_value};
use crate::AppState;

/// The largest request (or response) body kept for a key.
const MAX_BODY: usize = 1 << 20;
/// The longest body text kept in the log.
const LOG_BODY: usize = 2000;

#[derive(Debug, Default)]
struct Counts {
    requests: u64,
    keys: HashSet<String>,
    applied: u64,
    replayed: u64,
    conflicts: u64,
    log: Vec<Value>,
}

impl Counts {
    fn to_json(&self) -> Value {
        json!({
            "requests": self.requests,
            "keys_seen": self.keys.len(),
            "applied": self.applied,
            "replayed": self.replayed,
            "conflicts": self.conflicts,
        })
    }
}

#[derive(Debug, Clone)]
struct Stored {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Debug)]
enum KeyState {
    Applying { fingerprint: String },
    Done { fingerprint: String, answer: Stored },
}

#[derive(Debug, Default)]
struct Inner {
    keys: HashMap<String, KeyState>,
    global: Counts,
    tags: BTreeMap<String, Counts>,
}

/// The keys seen and their answers, with the counts.
#[derive(Debug, Default)]
pub(crate) struct Idempotency(Mutex<Inner>);

enum Begin {
    Apply,
    Replay(Stored),
    Conflict(&'static str),
}

impl Idempotency {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count(inner: &mut Inner, tag: Option<&str>, f: impl Fn(&mut Counts)) {
        f(&mut inner.global);
        if let Some(tag) = tag {
            f(inner.tags.entry(tag.to_owned()).or_default());
        }
    }

    fn begin(&self, key: &str, fingerprint: &str, tag: Option<&str>) -> Begin {
        let mut inner = self.lock();
        Self::count(&mut inner, tag, |c| {
            c.requests += 1;
            c.keys.insert(key.to_owned());
        });
        let out = match inner.keys.get(key) {
            None => {
                inner.keys.insert(
                    key.to_owned(),
                    KeyState::Applying {
                        fingerprint: fingerprint.to_owned(),
                    },
                );
                return Begin::Apply;
            }
            Some(KeyState::Applying { .. }) => Begin::Conflict("in progress"),
            Some(KeyState::Done { fingerprint: f, .. }) if f != fingerprint => {
                Begin::Conflict("mismatch")
            }
            Some(KeyState::Done { answer, .. }) => Begin::Replay(answer.clone()),
        };
        match &out {
            Begin::Replay(_) => Self::count(&mut inner, tag, |c| c.replayed += 1),
            _ => Self::count(&mut inner, tag, |c| c.conflicts += 1),
        }
        out
    }

    fn finish(&self, key: &str, answer: Stored, tag: Option<&str>, entry: Value) {
        let mut inner = self.lock();
        let fingerprint = match inner.keys.remove(key) {
            Some(KeyState::Applying { fingerprint }) => fingerprint,
            _ => String::new(),
        };
        inner.keys.insert(
            key.to_owned(),
            KeyState::Done {
                fingerprint,
                answer,
            },
        );
        Self::count(&mut inner, tag, |c| {
            c.applied += 1;
            c.log.push(entry.clone());
        });
    }

    /// A request that never finished (the connection went): the key is
    /// free again, nothing was applied.
    fn abandon(&self, key: &str) {
        let mut inner = self.lock();
        if matches!(inner.keys.get(key), Some(KeyState::Applying { .. })) {
            inner.keys.remove(key);
        }
    }

    /// The `idempotency` object of `/stats` (of one tag, or global).
    pub(crate) fn snapshot(&self, tag: Option<&str>) -> Value {
        let inner = self.lock();
        match tag {
            Some(t) => inner
                .tags
                .get(t)
                .map_or_else(|| Counts::default().to_json(), Counts::to_json),
            None => inner.global.to_json(),
        }
    }

    /// Forgets every key and count (`/stats/reset`), or one tag's counts.
    pub(crate) fn reset(&self, tag: Option<&str>) {
        let mut inner = self.lock();
        match tag {
            Some(t) => {
                inner.tags.remove(t);
            }
            None => *inner = Inner::default(),
        }
    }
}

/// Frees an unfinished key if the request's future is dropped.
struct Pending<'a> {
    idem: &'a Idempotency,
    key: &'a str,
    done: bool,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.idem.abandon(self.key);
        }
    }
}

fn fingerprint(method: &Method, uri: &Uri, body: &[u8]) -> String {
    // FNV-1a of the body: the same request, not a secret.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{method} {uri} {h:016x} {}", body.len())
}

/// The middleware (on the counted API routes).
pub(crate) async fn honour(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(key) = key.filter(|_| {
        matches!(
            method,
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        )
    }) else {
        return next.run(req).await;
    };
    let tag = query_value(req.uri(), "tag");
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            &json!({"error": "body too large for an idempotent request"}),
        );
    };
    let idem = &state.idempotency;
    match idem.begin(
        &key,
        &fingerprint(&method, &parts.uri, &bytes),
        tag.as_deref(),
    ) {
        Begin::Replay(stored) => {
            let mut response = Response::new(Body::from(stored.body));
            *response.status_mut() = stored.status;
            *response.headers_mut() = stored.headers;
            response.headers_mut().insert(
                "idempotent-replayed",
                "true".parse().expect("a header value"),
            );
            return response;
        }
        Begin::Conflict(why) => {
            let (status, message) = match why {
                "in progress" => (
                    StatusCode::CONFLICT,
                    "a request with this Idempotency-Key is being applied",
                ),
                _ => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "this Idempotency-Key was used for a different request",
                ),
            };
            return json_response(status, &json!({ "error": message }));
        }
        Begin::Apply => {}
    }
    let mut pending = Pending {
        idem,
        key: &key,
        done: false,
    };
    let path = parts.uri.path().to_owned();
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(LOG_BODY)]).into_owned();
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (head, body) = response.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .unwrap_or_default();
    let stored = Stored {
        status: head.status,
        headers: head.headers.clone(),
        body: body.clone(),
    };
    let entry = json!({ "key": key, "method": method.as_str(), "path": path, "body": text });
    idem.finish(&key, stored, tag.as_deref(), entry);
    pending.done = true;
    Response::from_parts(head, Body::from(body))
}

/// `GET /idempotency/log?tag=T`: what was applied, in order.
async fn log(State(state): State<AppState>, uri: Uri) -> Response {
    let inner = state.idempotency.lock();
    let counts = match query_value(&uri, "tag") {
        Some(t) => inner.tags.get(&t),
        None => Some(&inner.global),
    };
    let log: &[Value] = counts.map_or(&[], |c| &c.log);
    json_response(StatusCode::OK, &json!({ "applied": log }))
}

/// The uncounted route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/idempotency/log", get(log))
}
