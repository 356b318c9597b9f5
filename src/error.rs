//! The one error type of fanout.

use std::fmt;
use std::time::Duration;

use crate::method::Method;

/// Everything that can go wrong with a request, as one type.
///
/// The kind is private; ask with the predicates (`is_timeout()`,
/// `is_status()`, ...). `Display` names the method and the URL:
/// `GET http://127.0.0.1:8080/posts/7: HTTP 503 Service Unavailable`.
///
/// ```
/// let err = fanout::Client::builder().base_url("not a url").build().unwrap_err();
/// assert!(err.is_builder());
/// assert!(err.to_string().contains("base URL"));
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: Kind,
    method: Option<Method>,
    url: Option<String>,
    message: String,
    attempts: u32,
    /// Shared, so that an error can be cloned (one per caller of a
    /// deduplicated request).
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
pub(crate) enum Kind {
    Builder,
    Network,
    Timeout,
    Aborted,
    Cancelled,
    Status {
        status: u16,
        status_text: String,
    },
    Decode {
        path: Option<String>,
        body_start: String,
    },
    Body,
    TooLarge {
        limit: u64,
    },
    /// An `after_response` hook asked for a retry past the retry limit.
    #[cfg_attr(not(all(feature = "retry", feature = "hooks")), allow(dead_code))]
    ForcedRetry {
        status: u16,
    },
    /// A WebSocket did not open: refused (a 403 upgrade), unreachable,
    /// or no `101` answer (`status` where the platform tells it).
    #[cfg(feature = "websocket")]
    Connect {
        status: Option<u16>,
    },
    /// A WebSocket closed for good, with this close code and reason.
    #[cfg(feature = "websocket")]
    Closed {
        code: u16,
        reason: String,
    },
    /// A WebSocket's send buffer was full.
    #[cfg(feature = "websocket")]
    BufferFull {
        limit: usize,
    },
    /// The platform has no WebSocket (Node.js before 22).
    #[cfg(feature = "websocket")]
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Unsupported,
}

impl Error {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                method: None,
                url: None,
                message: message.into(),
                attempts: 0,
                source: None,
            }),
        }
    }

    /// An error that [`is_builder`](Error::is_builder): a bad setting or
    /// argument, found before anything was sent. For middleware and
    /// transports that refuse a request.
    ///
    /// ```
    /// let e = fanout::Error::builder("no tenant header");
    /// assert!(e.is_builder());
    /// assert_eq!(e.to_string(), "no tenant header");
    /// ```
    pub fn builder(message: impl Into<String>) -> Error {
        Error::new(Kind::Builder, message)
    }

    /// An error that [`is_network`](Error::is_network): no response came
    /// back. For transports (a mock one included) that fail to connect.
    ///
    /// ```
    /// assert!(fanout::Error::network("connection refused").is_network());
    /// ```
    pub fn network(message: impl Into<String>) -> Error {
        Error::new(Kind::Network, message)
    }

    /// An error that [`is_timeout`](Error::is_timeout), after `after`.
    ///
    /// ```
    /// let e = fanout::Error::timeout(std::time::Duration::from_millis(50));
    /// assert!(e.is_timeout());
    /// assert_eq!(e.to_string(), "timed out after 50 ms");
    /// ```
    pub fn timeout(after: Duration) -> Error {
        Error::new(
            Kind::Timeout,
            format!("timed out after {} ms", after.as_millis() as u64),
        )
    }

    /// An error that [`is_aborted`](Error::is_aborted): the caller gave up
    /// (an `AbortSignal`, a batch's signal).
    ///
    /// ```
    /// assert!(fanout::Error::aborted("stopped by the user").is_aborted());
    /// ```
    pub fn aborted(message: impl Into<String>) -> Error {
        Error::new(Kind::Aborted, message)
    }

    /// An error that [`is_decode`](Error::is_decode): a body that is not
    /// what was expected. `body_start` is the first part of the body, for
    /// [`body_start`](Error::body_start).
    ///
    /// ```
    /// let e = fanout::Error::decode("invalid JSON: expected value", "<html>");
    /// assert!(e.is_decode());
    /// assert_eq!(e.body_start(), Some("<html>"));
    /// ```
    pub fn decode(message: impl Into<String>, body_start: impl Into<String>) -> Error {
        Error::new(
            Kind::Decode {
                path: None,
                body_start: body_start.into(),
            },
            message,
        )
    }

    /// An error that [`is_body`](Error::is_body): reading a body failed.
    ///
    /// ```
    /// assert!(fanout::Error::body("connection reset mid-body").is_body());
    /// ```
    pub fn body(message: impl Into<String>) -> Error {
        Error::new(Kind::Body, message)
    }

    /// An error that [`is_status`](Error::is_status): the server answered
    /// `status` (with the reason phrase `status_text`, or the standard one
    /// when empty). [`Response::error_for_status`](crate::Response::error_for_status)
    /// makes these.
    ///
    /// ```
    /// let e = fanout::Error::from_status(503, "");
    /// assert_eq!(e.status(), Some(503));
    /// assert_eq!(e.to_string(), "HTTP 503 Service Unavailable");
    /// ```
    pub fn from_status(status: u16, status_text: &str) -> Error {
        let reason = if status_text.is_empty() {
            canonical_reason(status)
        } else {
            status_text
        };
        let message = format!("HTTP {status} {reason}").trim_end().to_owned();
        Error::new(
            Kind::Status {
                status,
                status_text: status_text.to_owned(),
            },
            message,
        )
    }

    /// Names the request the error belongs to (its method and absolute
    /// URL), which `Display` then shows first.
    ///
    /// ```
    /// use fanout::{Error, Method};
    /// let e = Error::network("refused").with_request(Method::Get, "http://h/x");
    /// assert_eq!(e.to_string(), "GET http://h/x: refused");
    /// ```
    pub fn with_request(mut self, method: Method, url: &str) -> Error {
        self.inner.method = Some(method);
        self.inner.url = Some(url.to_owned());
        self
    }

    /// Names the URL the error belongs to (a WebSocket's: no method).
    #[cfg(feature = "websocket")]
    pub(crate) fn with_url(mut self, url: &str) -> Error {
        self.inner.url = Some(url.to_owned());
        self
    }

    /// Keeps `source` as the underlying cause, returned by
    /// [`std::error::Error::source`]; `Display` is unchanged.
    ///
    /// ```
    /// use std::error::Error as _;
    /// let cause = std::io::Error::other("disk full");
    /// let e = fanout::Error::body("cache write failed").with_source(cause);
    /// assert_eq!(e.source().unwrap().to_string(), "disk full");
    /// ```
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.inner.source = Some(std::sync::Arc::new(source));
        self
    }

    /// Sets how many attempts were made, for [`attempts`](Error::attempts):
    /// for an error made after a response arrived (a body that fails to
    /// decode), the response's [`attempts`](crate::Response::attempts).
    ///
    /// ```
    /// let e = fanout::Error::decode("invalid JSON", "").with_attempts(3);
    /// assert_eq!(e.attempts(), 3);
    /// ```
    pub fn with_attempts(mut self, attempts: u32) -> Error {
        self.inner.attempts = attempts;
        self
    }

    /// The same error with another detail message.
    #[cfg(feature = "auth")]
    pub(crate) fn with_message(mut self, message: String) -> Error {
        self.inner.message = message;
        self
    }

    /// Whether the error already names its request.
    /// Names the request (`METHOD url`), unless the error already names
    /// one: the one rule every layer that ends a request with an error
    /// follows.
    pub(crate) fn or_request(self, method: crate::method::Method, url: &str) -> Error {
        if self.has_request() {
            self
        } else {
            self.with_request(method, url)
        }
    }

    pub(crate) fn has_request(&self) -> bool {
        self.inner.url.is_some()
    }

    /// A setting or argument was invalid (bad base URL, header, method, a
    /// body that failed to serialize, a request that would leak the client's
    /// default headers to another origin). Nothing was sent.
    pub fn is_builder(&self) -> bool {
        matches!(self.inner.kind, Kind::Builder)
    }

    /// The request never got a response: connection refused, DNS failure,
    /// CORS rejection, or the connection dropped before the headers.
    pub fn is_network(&self) -> bool {
        matches!(self.inner.kind, Kind::Network)
    }

    /// A timeout fired (per attempt or total); the fetch was aborted.
    pub fn is_timeout(&self) -> bool {
        matches!(self.inner.kind, Kind::Timeout)
    }

    /// The caller's `AbortSignal` fired, or the request was cancelled by a
    /// failing batch (see [`Error::is_cancelled`]).
    pub fn is_aborted(&self) -> bool {
        matches!(self.inner.kind, Kind::Aborted | Kind::Cancelled)
    }

    /// The request was part of a `fail_fast` [`gather`](crate::gather) batch
    /// and was aborted, or never sent, because another request failed.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.inner.kind, Kind::Cancelled)
    }

    /// The server answered with a 4xx or 5xx status and the request asked
    /// for that to be an error (`error_for_status`).
    pub fn is_status(&self) -> bool {
        matches!(self.inner.kind, Kind::Status { .. })
    }

    /// An `after_response` hook asked for a retry
    /// ([`Action::Retry`](crate::Action::Retry)) when the retry limit was
    /// reached: the response it refused is not given as the answer.
    /// [`status`](Error::status) is that response's.
    pub fn is_forced_retry(&self) -> bool {
        matches!(self.inner.kind, Kind::ForcedRetry { .. })
    }

    /// The body was not valid JSON, or did not match the target type.
    pub fn is_decode(&self) -> bool {
        matches!(self.inner.kind, Kind::Decode { .. })
    }

    /// Reading the body failed: the connection broke mid-body, the body was
    /// already used, or it was larger than the configured cap
    /// ([`Error::is_too_large`]).
    pub fn is_body(&self) -> bool {
        matches!(self.inner.kind, Kind::Body | Kind::TooLarge { .. })
    }

    /// The body was larger than the client's or request's `max_body_size`.
    pub fn is_too_large(&self) -> bool {
        matches!(self.inner.kind, Kind::TooLarge { .. })
    }

    /// A WebSocket did not open: the server refused the upgrade (a 403:
    /// browsers do not tell the status, [`status`](Error::status) is
    /// `None` there), or could not be reached. Feature `websocket`.
    #[cfg(feature = "websocket")]
    pub fn is_connect(&self) -> bool {
        matches!(self.inner.kind, Kind::Connect { .. })
    }

    /// A WebSocket closed for good (the server's close code, a drop with
    /// reconnection off or past its limit, or the user's close), and what
    /// was still to send cannot be: see [`close_code`](Error::close_code).
    /// Feature `websocket`.
    #[cfg(feature = "websocket")]
    pub fn is_closed(&self) -> bool {
        matches!(self.inner.kind, Kind::Closed { .. })
    }

    /// A WebSocket's send buffer (its bound,
    /// [`WebSocketBuilder::send_buffer`](crate::WebSocketBuilder::send_buffer))
    /// was full: the message was not queued. Feature `websocket`.
    #[cfg(feature = "websocket")]
    pub fn is_buffer_full(&self) -> bool {
        matches!(self.inner.kind, Kind::BufferFull { .. })
    }

    /// The platform lacks the API (a global `WebSocket`: Node.js before
    /// 22 without `--experimental-websocket`). Feature `websocket`.
    #[cfg(feature = "websocket")]
    pub fn is_unsupported(&self) -> bool {
        matches!(self.inner.kind, Kind::Unsupported)
    }

    /// The close code of a closed WebSocket ([`is_closed`](Error::is_closed)):
    /// 1006 when the connection dropped without a close frame.
    #[cfg(feature = "websocket")]
    pub fn close_code(&self) -> Option<u16> {
        match self.inner.kind {
            Kind::Closed { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The close reason of a closed WebSocket (empty when none was given).
    #[cfg(feature = "websocket")]
    pub fn close_reason(&self) -> Option<&str> {
        match &self.inner.kind {
            Kind::Closed { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The status code, for [`Error::is_status`] errors.
    pub fn status(&self) -> Option<u16> {
        match self.inner.kind {
            Kind::Status { status, .. } | Kind::ForcedRetry { status } => Some(status),
            #[cfg(feature = "websocket")]
            Kind::Connect { status } => status,
            _ => None,
        }
    }

    /// For decode errors, the path to the field that failed, such as
    /// `[3].userId`, where serde could tell.
    pub fn decode_path(&self) -> Option<&str> {
        match &self.inner.kind {
            Kind::Decode { path, .. } => path.as_deref(),
            _ => None,
        }
    }

    /// For decode errors, the first bytes of the body (up to 120 characters).
    pub fn body_start(&self) -> Option<&str> {
        match &self.inner.kind {
            Kind::Decode { body_start, .. } => Some(body_start),
            _ => None,
        }
    }

    /// The URL of the request, absolute, where known.
    pub fn url(&self) -> Option<&str> {
        self.inner.url.as_deref()
    }

    /// The method of the request, where known.
    pub fn method(&self) -> Option<Method> {
        self.inner.method
    }

    /// How many attempts were made (1 when not retried; 0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The detail without the `METHOD url: ` prefix.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The name a JavaScript `Error` for this error carries: `TimeoutError`,
    /// `HTTPError`, `NetworkError`, `DecodeError`, `AbortError` or
    /// `TypeError` (builder and body errors); for a WebSocket
    /// `ConnectError`, `ClosedError`, `BufferFullError` or
    /// `NotSupportedError`.
    ///
    /// ```
    /// let err = fanout::Client::builder().base_url("nope").build().unwrap_err();
    /// assert_eq!(err.js_name(), "TypeError");
    /// ```
    pub fn js_name(&self) -> &'static str {
        match self.inner.kind {
            Kind::Timeout => "TimeoutError",
            Kind::Status { .. } => "HTTPError",
            Kind::Network => "NetworkError",
            Kind::Decode { .. } => "DecodeError",
            Kind::Aborted | Kind::Cancelled => "AbortError",
            Kind::Builder | Kind::Body | Kind::TooLarge { .. } => "TypeError",
            Kind::ForcedRetry { .. } => "ForceRetryError",
            #[cfg(feature = "websocket")]
            Kind::Connect { .. } => "ConnectError",
            #[cfg(feature = "websocket")]
            Kind::Closed { .. } => "ClosedError",
            #[cfg(feature = "websocket")]
            Kind::BufferFull { .. } => "BufferFullError",
            #[cfg(feature = "websocket")]
            Kind::Unsupported => "NotSupportedError",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.inner.method, &self.inner.url) {
            (Some(m), Some(u)) => write!(f, "{m} {u}: {}", self.inner.message),
            (None, Some(u)) => write!(f, "{u}: {}", self.inner.message),
            _ => f.write_str(&self.inner.message),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind);
        if let Some(m) = &self.inner.method {
            d.field("method", m);
        }
        if let Some(u) = &self.inner.url {
            d.field("url", u);
        }
        d.field("message", &self.inner.message).finish()
    }
}

impl std::error::Error for Error {
    /// The underlying cause: the `serde_json::Error` of a decode error, the
    /// [`JsError`] that `fetch` or a body read rejected with, or what a
    /// middleware attached with [`Error::with_source`].
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The error a [`gather`](crate::gather) batch gives the inputs it cut
/// short: after a failure when `fail_fast` is on, or when its
/// [`abort_signal`](crate::Gather::abort_signal) fires. Convert it into
/// your own error type with `From`; fanout's [`Error`] reports it as
/// [`is_cancelled`](Error::is_cancelled) (and so
/// [`is_aborted`](Error::is_aborted): an `AbortError` in JS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled {
    /// Whether the request had started (and was aborted) or was never sent.
    pub started: bool,
    /// What cut the batch short.
    pub cause: CancelCause,
}

/// What cut a [`gather`](crate::gather) batch short, in [`Cancelled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CancelCause {
    /// Another input failed, and the batch is `fail_fast`.
    Failure,
    /// The batch's [`abort_signal`](crate::Gather::abort_signal) fired.
    Signal,
}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self.cause, self.started) {
            (CancelCause::Failure, true) => {
                "cancelled: aborted in flight because another request in the batch failed"
            }
            (CancelCause::Failure, false) => {
                "cancelled: never sent because another request in the batch failed"
            }
            (CancelCause::Signal, true) => "aborted in flight by the batch's AbortSignal",
            (CancelCause::Signal, false) => "never sent: the batch's AbortSignal had fired",
        })
    }
}

impl std::error::Error for Cancelled {}

impl From<crate::method::ParseMethodError> for Error {
    fn from(e: crate::method::ParseMethodError) -> Error {
        Error::builder(e.to_string())
    }
}

impl From<Cancelled> for Error {
    fn from(c: Cancelled) -> Error {
        Error::new(Kind::Cancelled, c.to_string())
    }
}

/// The standard reason phrase of a status, for servers (HTTP/2) that send
/// none.
fn canonical_reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        418 => "I'm a teapot",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

mod js;
pub use js::JsError;

#[cfg(test)]
mod tests;

#[cfg(feature = "serde")]
mod wire;
