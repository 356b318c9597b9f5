//! The one error type of fanout.

use std::fmt;
use std::time::Duration;

/// The HTTP method of a request.
///
/// ```
/// assert_eq!(fanout::Method::Get.as_str(), "GET");
/// assert!(fanout::Method::Put.is_idempotent());
/// assert!(!fanout::Method::Post.is_idempotent());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
}

impl Method {
    /// The method's name as sent on the wire.
    ///
    /// ```
    /// assert_eq!(fanout::Method::Delete.as_str(), "DELETE");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
        }
    }

    /// Whether repeating the request has the same effect as sending it once
    /// (RFC 9110 §9.2.2). Only these are ever retried.
    ///
    /// ```
    /// assert!(fanout::Method::Delete.is_idempotent());
    /// ```
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Method {
    type Err = Error;

    /// Parses a method name, case-insensitively.
    ///
    /// ```
    /// let m: fanout::Method = "patch".parse().unwrap();
    /// assert_eq!(m, fanout::Method::Patch);
    /// assert!("BREW".parse::<fanout::Method>().unwrap_err().is_builder());
    /// ```
    fn from_str(s: &str) -> Result<Method, Error> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            "OPTIONS" => Method::Options,
            "TRACE" => Method::Trace,
            _ => return Err(Error::builder(format!("unsupported HTTP method \"{s}\""))),
        })
    }
}

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
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    method: Option<Method>,
    url: Option<String>,
    message: String,
    attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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
            }),
        }
    }

    pub(crate) fn builder(message: impl Into<String>) -> Error {
        Error::new(Kind::Builder, message)
    }

    pub(crate) fn timeout(after: Duration) -> Error {
        Error::new(
            Kind::Timeout,
            format!("timed out after {} ms", after.as_millis() as u64),
        )
    }

    pub(crate) fn with_request(mut self, method: Method, url: &str) -> Error {
        self.inner.method = Some(method);
        self.inner.url = Some(url.to_owned());
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Error {
        self.inner.attempts = attempts;
        self
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

    /// The status code, for [`Error::is_status`] errors.
    pub fn status(&self) -> Option<u16> {
        match self.inner.kind {
            Kind::Status { status, .. } => Some(status),
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
    /// `TypeError` (builder and body errors).
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

impl std::error::Error for Error {}

/// The error a [`gather`](crate::gather) batch gives the inputs it cancelled
/// after a failure when `fail_fast` is on. Convert it into your own error
/// type with `From`; fanout's [`Error`] reports it as
/// [`is_cancelled`](Error::is_cancelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled {
    /// Whether the request had started (and was aborted) or was never sent.
    pub started: bool,
}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.started {
            f.write_str("cancelled: aborted in flight because another request in the batch failed")
        } else {
            f.write_str("cancelled: never sent because another request in the batch failed")
        }
    }
}

impl std::error::Error for Cancelled {}

impl From<Cancelled> for Error {
    fn from(c: Cancelled) -> Error {
        Error::new(Kind::Cancelled, c.to_string())
    }
}

/// Converts at the JS boundary into a JS `Error` whose `name` is
/// [`Error::js_name`], with `status`, `url` and `method` fields.
impl From<Error> for wasm_bindgen::JsValue {
    fn from(err: Error) -> wasm_bindgen::JsValue {
        let js = js_sys::Error::new(&err.to_string());
        js.set_name(err.js_name());
        let set = |k: &str, v: wasm_bindgen::JsValue| {
            let _ = js_sys::Reflect::set(&js, &k.into(), &v);
        };
        set(
            "status",
            err.status()
                .map(wasm_bindgen::JsValue::from)
                .unwrap_or(wasm_bindgen::JsValue::UNDEFINED),
        );
        set(
            "url",
            err.url()
                .map(wasm_bindgen::JsValue::from_str)
                .unwrap_or(wasm_bindgen::JsValue::UNDEFINED),
        );
        set(
            "method",
            err.method()
                .map(|m| wasm_bindgen::JsValue::from_str(m.as_str()))
                .unwrap_or(wasm_bindgen::JsValue::UNDEFINED),
        );
        if let Some(p) = err.decode_path() {
            set("path", wasm_bindgen::JsValue::from_str(p));
        }
        js.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_method_and_url() {
        let e = Error::new(
            Kind::Status {
                status: 503,
                status_text: "Service Unavailable".into(),
            },
            "HTTP 503 Service Unavailable",
        )
        .with_request(Method::Get, "http://h/posts/7");
        assert_eq!(
            e.to_string(),
            "GET http://h/posts/7: HTTP 503 Service Unavailable"
        );
        assert!(e.is_status());
        assert_eq!(e.status(), Some(503));
        assert_eq!(e.js_name(), "HTTPError");
    }

    #[test]
    fn cancelled_is_aborted() {
        let e: Error = Cancelled { started: false }.into();
        assert!(e.is_cancelled() && e.is_aborted());
        assert_eq!(e.js_name(), "AbortError");
    }

    #[test]
    fn error_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Error>();
    }
}
