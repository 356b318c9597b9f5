//! Static files: `GET /` → `<root>/index.html`, `GET /www/...` → files under
//! `<root>/www/` (including wasm-pack's `www/pkg/`), 404 for anything else.
//!
//! Every response of this router (404s included) carries the
//! Content-Security-Policy, `X-Content-Type-Options: nosniff` and
//! `Cache-Control: no-cache`. Content types of the file kinds the demo uses
//! are fixed here rather than guessed (`.wasm` must be `application/wasm`
//! for streaming compilation, and `.ts` must not look like a video stream).

use std::path::Path;

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

/// The Content-Security-Policy of the static pages. `connect-src` is wide so
/// the demo page's "API base URL" field can reach another
/// JSONPlaceholder-compatible server (and its WebSocket, `ws:`/`wss:`).
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; connect-src 'self' http: https: ws: wss:";

pub(crate) fn router(root: &Path) -> Router {
    Router::new()
        .route_service("/", ServeFile::new(root.join("index.html")))
        .nest_service(
            "/www",
            ServeDir::new(root.join("www"))
                .append_index_html_on_directories(false)
                .redirect_to_trailing_slash(false),
        )
        .fallback(not_found)
        .layer(middleware::from_fn(static_headers))
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        "404 Not Found\n",
    )
        .into_response()
}

/// Content type by file extension (lowercase), for the kinds the demo serves.
fn content_type_for(path: &str) -> Option<&'static str> {
    if path == "/" {
        return Some("text/html; charset=utf-8");
    }
    let file = path.rsplit('/').next()?;
    let (_, ext) = file.rsplit_once('.')?;
    Some(match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript",
        "css" => "text/css",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "ts" => "text/plain; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

async fn static_headers(req: Request, next: Next) -> Response {
    let content_type = content_type_for(req.uri().path());
    let mut response = next.run(req).await;
    let status = response.status();
    let headers = response.headers_mut();
    if let Some(ct) = content_type {
        if status.is_success() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
    }
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
