//! The "offline" fault: for N seconds the counted API routes refuse the
//! requests of one tag (or all), with a `503` (and `Retry-After: 1`) or
//! by closing the connection before any answer, as a dead network would.
//!
//! `POST|GET /faults/offline?scope=TAG|*&mode=503|network&seconds=N`
//! turns it on (`seconds=0` turns it off); `GET /faults/offline` shows
//! what is on. Not counted in `/stats`; preflights pass.

use std::collections::HashMap;
use std::io;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures_util::stream;
use serde_json::json;

use crate::util::{bad_request, json, pair_u64, pair_value, query_pairs, query_value};
use crate::AppState;

/// How a refused request ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unavailable,
    Network,
}

/// The scopes that are offline, until when.
#[derive(Debug, Default)]
pub(crate) struct Offline(Mutex<HashMap<String, (Mode, Instant)>>);

impl Offline {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Mode, Instant)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mode_for(&self, tag: Option<&str>) -> Option<Mode> {
        let now = Instant::now();
        let mut map = self.lock();
        map.retain(|_, (_, until)| *until > now);
        tag.and_then(|t| map.get(t))
            .or_else(|| map.get("*"))
            .map(|(m, _)| *m)
    }
}

/// The middleware (on the counted API routes, inside the stats).
pub(crate) async fn refuse(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let tag = query_value(req.uri(), "tag");
    match state.offline.mode_for(tag.as_deref()) {
        None => next.run(req).await,
        Some(Mode::Unavailable) => {
            let mut r = json(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"error": "offline (fanout-devserver /faults/offline)"}),
            );
            r.headers_mut()
                .insert(RETRY_AFTER, "1".parse().expect("a header value"));
            r
        }
        // A body that fails before its first byte: hyper closes the
        // connection with nothing written, and the client sees a network
        // error.
        Some(Mode::Network) => Response::new(Body::from_stream(stream::once(async {
            Err::<Bytes, _>(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "fanout-devserver: offline, the connection is cut",
            ))
        }))),
    }
}

async fn set(State(state): State<AppState>, uri: Uri) -> Response {
    let pairs = query_pairs(&uri);
    if pairs.is_empty() {
        let now = Instant::now();
        let map = state.offline.lock();
        let on: serde_json::Map<String, serde_json::Value> = map
            .iter()
            .filter(|(_, (_, until))| *until > now)
            .map(|(scope, (mode, until))| {
                let mode = if *mode == Mode::Network {
                    "network"
                } else {
                    "503"
                };
                let left = until.saturating_duration_since(now).as_millis() as u64;
                (scope.clone(), json!({"mode": mode, "ms_left": left}))
            })
            .collect();
        return json(StatusCode::OK, &json!({ "offline": on }));
    }
    let Some(scope) = pair_value(&pairs, "scope") else {
        return bad_request("scope=TAG (or *) is required");
    };
    let mode = match pair_value(&pairs, "mode").unwrap_or("503") {
        "503" => Mode::Unavailable,
        "network" => Mode::Network,
        other => return bad_request(format!("mode must be 503 or network, not {other:?}")),
    };
    let seconds = pair_u64(&pairs, "seconds").unwrap_or(60).min(3600);
    let mut map = state.offline.lock();
    if seconds == 0 {
        map.remove(scope);
    } else {
        map.insert(
            scope.to_owned(),
            (mode, Instant::now() + Duration::from_secs(seconds)),
        );
    }
    json(
        StatusCode::OK,
        &json!({"scope": scope, "seconds": seconds, "mode": pair_value(&pairs, "mode").unwrap_or("503")}),
    )
}

/// The uncounted route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/faults/offline", get(set).post(set))
}
