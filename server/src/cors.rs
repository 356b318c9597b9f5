//! CORS for every route: any origin, with credentials.
//!
//! A hand-written middleware rather than `tower_http::cors` because
//! `/headers` needs per-response additions to `Access-Control-Expose-Headers`
//! (the wildcard `*` is not honoured for credentialed requests).
//!
//! * Preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
//!   is answered here with 204: the origin, requested method and requested
//!   headers are mirrored, credentials allowed, `Access-Control-Max-Age: 600`.
//!   Preflights never reach the routes (so the stats do not count them).
//! * Other requests with an `Origin` get the origin mirrored, credentials
//!   allowed and the exposed headers listed: [`EXPOSED`] plus whatever the
//!   handler already put in `Access-Control-Expose-Headers`.

use axum::extract::Request;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Response headers always exposed to cross-origin scripts.
pub(crate) const EXPOSED: &str = "content-length, content-type, retry-after, x-echo, date, etag, \
     link, last-modified, location, cache-control, content-encoding";

/// Methods announced when a preflight asks for none in particular.
const METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

pub(crate) async fn cors(req: Request, next: Next) -> Response {
    let Some(origin) = req.headers().get(ORIGIN).cloned() else {
        return next.run(req).await;
    };

    if req.method() == Method::OPTIONS {
        if let Some(method) = req.headers().get(ACCESS_CONTROL_REQUEST_METHOD) {
            let mut response = StatusCode::NO_CONTENT.into_response();
            let headers = response.headers_mut();
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
            let methods = if method.is_empty() {
                HeaderValue::from_static(METHODS)
            } else {
                method.clone()
            };
            headers.insert(ACCESS_CONTROL_ALLOW_METHODS, methods);
            if let Some(requested) = req.headers().get(ACCESS_CONTROL_REQUEST_HEADERS) {
                headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
            }
            headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
            // Chrome's Private Network Access preflight.
            if req
                .headers()
                .contains_key("access-control-request-private-network")
            {
                headers.insert(
                    "access-control-allow-private-network",
                    HeaderValue::from_static("true"),
                );
            }
            headers.insert(
                VARY,
                HeaderValue::from_static(
                    "origin, access-control-request-method, access-control-request-headers",
                ),
            );
            return response;
        }
    }

    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    let exposed = match headers
        .get(ACCESS_CONTROL_EXPOSE_HEADERS)
        .and_then(|v| v.to_str().ok())
    {
        Some(extra) if !extra.trim().is_empty() => {
            HeaderValue::from_str(&format!("{EXPOSED}, {extra}"))
                .unwrap_or(HeaderValue::from_static(EXPOSED))
        }
        _ => HeaderValue::from_static(EXPOSED),
    };
    headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
    headers.append(VARY, HeaderValue::from_static("origin"));
    response
}
