//! The names JS code may use: each options object's keys, and the Fetch
//! API's mode names. Plain data, on both targets, so that native tests
//! (`declarations.rs`, `options.rs`) hold them equal to the TypeScript
//! declarations and to the library.

use fanout::{CacheMode, Credentials, Redirect};

/// The keys of `jsonLines` options.
pub(crate) const LINE_KEYS: &[&str] = &["onBadLine"];

/// The keys of a client's own options, besides `OPTION_KEYS`.
pub(crate) const CLIENT_KEYS: &[&str] = &[
    "baseUrl",
    "headers",
    "limit",
    "limitPerHost",
    "allowCrossOriginHeaders",
    "dedupe",
    "auth",
    "hooks",
];

pub(crate) const AUTH_KEYS: &[&str] = &["refresh", "origin", "token"];

/// The keys of `client.outbox` options.
pub(crate) const OUTBOX_KEYS: &[&str] = &[
    "memory",
    "maxBodySize",
    "quota",
    "maxAttempts",
    "retryDelayMs",
    "maxRetryDelayMs",
    "maxRetryAfterMs",
    "onEvent",
];

/// The keys of `outbox.send` options, besides a request's.
pub(crate) const OUTBOX_SEND_KEYS: &[&str] = &["method"];

/// The keys of a gather input object, besides a request's.
pub(crate) const GATHER_INPUT_KEYS: &[&str] = &["method", "path"];

pub(crate) const GATHER_KEYS: &[&str] = &["limit", "failFast", "onProgress", "signal", "as"];

pub(crate) const HOOK_KEYS: &[&str] = &[
    "beforeRequest",
    "afterResponse",
    "beforeRetry",
    "beforeError",
];

/// The keys of a request's own options, besides `OPTION_KEYS`.
pub(crate) const REQUEST_KEYS: &[&str] = &[
    "headers",
    "query",
    "json",
    "body",
    "signal",
    "onDownloadProgress",
    "hooks",
    "onUploadProgress",
];

/// The keys of `client.sse` options, besides the request's.
pub(crate) const SSE_KEYS: &[&str] = &[
    "method",
    "retryDelayMs",
    "maxRetryDelayMs",
    "maxReconnects",
    "lastEventId",
    "onReconnect",
];

/// The keys of `client.websocket` options.
pub(crate) const WEBSOCKET_KEYS: &[&str] = &[
    "protocols",
    "reconnect",
    "finalCodes",
    "heartbeatMs",
    "heartbeatMessage",
    "idleTimeoutMs",
    "sendBuffer",
    "onEvent",
];

pub(crate) const RETRY_KEYS: &[&str] = &[
    "limit",
    "backoffMs",
    "maxBackoffMs",
    "jitter",
    "retryOnTimeout",
    "statuses",
    "maxRetryAfterMs",
];

/// `credentials`, as the Fetch API names them.
pub(crate) const CREDENTIALS: &[(&str, Credentials)] = &[
    ("omit", Credentials::Omit),
    ("same-origin", Credentials::SameOrigin),
    ("include", Credentials::Include),
];

/// `cache`, as the Fetch API names them.
pub(crate) const CACHE_MODES: &[(&str, CacheMode)] = &[
    ("default", CacheMode::Default),
    ("no-store", CacheMode::NoStore),
    ("reload", CacheMode::Reload),
    ("no-cache", CacheMode::NoCache),
    ("force-cache", CacheMode::ForceCache),
    ("only-if-cached", CacheMode::OnlyIfCached),
];

/// `redirect`, as the Fetch API names them.
pub(crate) const REDIRECTS: &[(&str, Redirect)] = &[
    ("follow", Redirect::Follow),
    ("error", Redirect::Error),
    ("manual", Redirect::Manual),
];
