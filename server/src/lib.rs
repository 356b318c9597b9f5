//! `fanout-devserver`: the native development server for the `fanout` crate.
//!
//! It serves two things from one origin:
//!
//! * the demo page and the wasm-pack output as static files (`/` and `/www/...`),
//!   with a strict Content-Security-Policy;
//! * a JSONPlaceholder-compatible REST API over deterministic, generated
//!   fixtures (`/posts`, `/comments`, `/users`, `/todos`, `/albums`, `/photos`),
//!   plus fault- and latency-injection endpoints (`/status/:code`, `/drip`,
//!   `/hang`, `/drop`, `/flaky/:key`, `?delay=MS`, `/faults/offline`, ...),
//!   `Idempotency-Key` honoured on writes, streams (`/sse`,
//!   `/ndjson`, `/upload`), WebSocket routes (`/ws/echo`, `/ws/ticker`,
//!   `/ws/refuse`) and request statistics
//!   (`/stats`) used by the browser test-suite and the benchmarks.
//!
//! Build the whole service with [`app`]; the binary (`main.rs`) only parses
//! flags (see [`cli`]) and serves it.
#![deny(missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;

use axum::middleware;
use axum::Router;
use tower_http::normalize_path::NormalizePath;

mod api;
mod auth;
pub mod cli;
mod cors;
mod faults;
pub mod fixtures;
mod idempotency;
mod offline;
mod static_files;
pub mod stats;
mod streams;
pub mod tls;
mod util;
mod ws;

/// Configuration of one [`app`] instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Directory static files are served from: `GET /` serves
    /// `<root>/index.html` and `GET /www/...` serves files under `<root>/www/`.
    pub root: PathBuf,
}

impl Config {
    /// A configuration serving static files from `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Config { root: root.into() }
    }
}

impl Default for Config {
    /// Serves static files from the current directory.
    fn default() -> Self {
        Config::new(".")
    }
}

/// Mutable per-[`app`] state shared by the handlers.
#[derive(Clone)]
pub(crate) struct AppState {
    /// Immutable fixtures (built once per process).
    pub(crate) fixtures: &'static fixtures::Fixtures,
    /// Request statistics.
    pub(crate) stats: Arc<stats::Stats>,
    /// Per-key hit counters of `/flaky/:key`.
    pub(crate) flaky: Arc<faults::FlakyCounters>,
    /// Per-key tokens of `/auth/:key/...`.
    pub(crate) tokens: Arc<auth::Tokens>,
    /// The `Idempotency-Key`s seen, with their stored answers.
    pub(crate) idempotency: Arc<idempotency::Idempotency>,
    /// The scopes `/faults/offline` refuses.
    pub(crate) offline: Arc<offline::Offline>,
    /// WebSocket statistics (the `ws` object of `/stats`).
    pub(crate) ws: Arc<ws::WsStats>,
}

/// Builds the complete dev-server router.
///
/// Every call gets fresh mutable state (statistics and `/flaky` counters);
/// the fixtures are immutable and built once per process (see
/// [`fixtures::Fixtures::get`]).
///
/// Layout:
/// * API routes (REST fixtures, fault injection) are counted by the stats
///   middleware and honour `?delay=MS`;
/// * `/stats*` and `/flaky/:key/count` honour `?delay=MS` but are not counted;
/// * everything else goes to the static-file router (`/`, `/www/...`, 404),
///   whose responses carry the CSP, `nosniff` and `no-cache` headers;
/// * CORS wraps everything.
pub fn app(config: Config) -> Router {
    let state = AppState {
        fixtures: fixtures::Fixtures::get(),
        stats: Arc::new(stats::Stats::default()),
        flaky: Arc::new(faults::FlakyCounters::default()),
        tokens: Arc::new(auth::Tokens::default()),
        idempotency: Arc::new(idempotency::Idempotency::default()),
        offline: Arc::new(offline::Offline::default()),
        ws: Arc::new(ws::WsStats::default()),
    };

    let counted = Router::new()
        .merge(api::routes(state.fixtures))
        .merge(faults::routes())
        .merge(streams::routes())
        .merge(auth::routes())
        .merge(ws::routes())
        .layer(middleware::from_fn(util::delay))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::honour,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            offline::refuse,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), stats::track));

    let uncounted = Router::new()
        .merge(stats::routes())
        .merge(faults::uncounted_routes())
        .merge(auth::uncounted_routes())
        .merge(idempotency::routes())
        .merge(offline::routes())
        .layer(middleware::from_fn(util::delay));

    let routed = counted
        .merge(uncounted)
        .with_state(state)
        .fallback_service(static_files::router(&config.root));
    // `/posts/` is `/posts`, as on JSONPlaceholder: trim the trailing slash
    // before routing (a layer on the router itself would run after it).
    Router::new()
        .fallback_service(NormalizePath::trim_trailing_slash(routed))
        .layer(middleware::from_fn(cors::cors))
}
