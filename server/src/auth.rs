//! `/auth/{key}/...`: a token endpoint and a protected resource, for the
//! client's token refresh (one refresh for many 401s).
//!
//! * `POST /auth/{key}/token`: issues the key's next token, `{key}-t{n}`, as
//!   text (`?fail=1`: a 500 instead, issuing nothing);
//! * `GET /auth/{key}/data`: `{"ok":true}` with `Authorization: Bearer
//!   <the latest token>`, else a JSON 401;
//! * `GET /auth/{key}/count` (not counted in `/stats`): `{"tokens": issued,
//!   "requests": to /data, "unauthorized": 401s given}`.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::util::{json, query_value};
use crate::AppState;

/// What the token endpoint issued, per key.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Issued {
    tokens: u64,
    requests: u64,
    unauthorized: u64,
}

/// Per-key token state; fresh for every app.
#[derive(Debug, Default)]
pub(crate) struct Tokens(Mutex<HashMap<String, Issued>>);

impl Tokens {
    fn with<T>(&self, key: &str, f: impl FnOnce(&mut Issued) -> T) -> T {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(map.entry(key.to_owned()).or_default())
    }
}

/// The counted routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/{key}/token", post(token))
        .route("/auth/{key}/data", get(data))
}

/// The uncounted routes.
pub(crate) fn uncounted_routes() -> Router<AppState> {
    Router::new().route("/auth/{key}/count", get(count))
}

async fn token(State(state): State<AppState>, Path(key): Path<String>, uri: Uri) -> Response {
    if query_value(&uri, "fail").as_deref() == Some("1") {
        return json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({ "error": "token service down" }),
        );
    }
    let n = state.tokens.with(&key, |i| {
        i.tokens += 1;
        i.tokens
    });
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{key}-t{n}"),
    )
        .into_response()
}

async fn data(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ok = state.tokens.with(&key, |i| {
        i.requests += 1;
        let ok = i.tokens > 0 && sent == format!("Bearer {key}-t{}", i.tokens);
        if !ok {
            i.unauthorized += 1;
        }
        ok
    });
    if ok {
        json(StatusCode::OK, &serde_json::json!({ "ok": true }))
    } else {
        json(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({ "error": "invalid or expired token" }),
        )
    }
}

async fn count(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let i = state.tokens.with(&key, |i| *i);
    json(
        StatusCode::OK,
        &serde_json::json!({
            "tokens": i.tokens,
            "requests": i.requests,
            "unauthorized": i.unauthorized,
        }),
    )
}
