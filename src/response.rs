//! The [`Response`] and its body readers.

use std::fmt;

use crate::error::Error;
use crate::headers::Headers;
#[cfg(feature = "limit")]
use crate::limit::Permit;
use crate::method::Method;
use crate::progress::ProgressFn;
use crate::sync::LazyU16;
use crate::sys;
#[cfg(target_arch = "wasm32")]
use crate::sys::AbortGuard;

mod json;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod native;
mod read;
mod stream;
#[cfg(target_arch = "wasm32")]
mod web;

pub(crate) use json::decode_json;
#[cfg(fuzzing)]
pub(crate) use json::json_path_at;
pub use stream::BodyStream;
#[cfg(target_arch = "wasm32")]
pub(crate) use web::classify;

/// Where a response's head and body come from.
enum Source {
    /// A `fetch` response, with the guard that aborts it when dropped.
    #[cfg(target_arch = "wasm32")]
    Fetch {
        raw: web_sys::Response,
        guard: AbortGuard,
    },
    /// A response made in Rust ([`Response::new`]): by a middleware, a
    /// mock transport or a test.
    Memory {
        status_text: String,
        url: Option<String>,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A response of the native transport (reqwest).
    #[cfg(not(target_arch = "wasm32"))]
    Native(Box<native::NativeBody>),
}

/// A response whose headers have arrived. Reading the body consumes it
/// ([`text`](Response::text), [`bytes`](Response::bytes),
/// [`json`](Response::json), [`bytes_stream`](Response::bytes_stream)).
/// Dropping a response, or a body future, aborts the rest of the download
/// and frees its place under the client's limits.
///
/// A response can also be made in Rust, with [`Response::new`], by a
/// `Middleware` (feature `middleware`) that answers without the network, a
/// [`Transport`](crate::Transport), or a test:
///
/// ```
/// # futures::executor::block_on(async {
/// let resp = fanout::Response::new(200, r#"{"id":1}"#)
///     .with_header("content-type", "application/json");
/// assert_eq!(resp.status(), 200);
/// assert_eq!(resp.headers().get("Content-Type").as_deref(), Some("application/json"));
/// let v: serde_json::Value = resp.json().await.unwrap();
/// assert_eq!(v["id"], 1);
/// # });
/// ```
pub struct Response {
    /// The status code; for a fetch response, 0 until first asked for
    /// (read from the platform's `Response` then: a call into JS that a
    /// body read alone does not need).
    status: LazyU16,
    source: Source,
    method: Method,
    request_url: String,
    #[cfg(feature = "limit")]
    permits: Vec<Permit>,
    attempts: u32,
    started_ms: f64,
    max_body_size: Option<u64>,
    progress: Option<ProgressFn>,
    /// A copy of a fetch response ([`Response::try_clone`]): its guard
    /// aborts nothing, the original's aborts the fetch both read.
    #[cfg_attr(not(feature = "hooks"), allow(dead_code))]
    copy: bool,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("method", &self.method)
            .field("url", &self.url())
            .field("status", &self.status())
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl Response {
    /// A response made in Rust: `status` and `body`, no headers, status
    /// text or URL until set with the `with_*` methods. Its URL defaults to
    /// the request's once it passes through a client's pipeline.
    ///
    /// ```
    /// let resp = fanout::Response::new(404, "{}").with_status_text("Not Found");
    /// assert!(!resp.ok());
    /// assert_eq!(resp.status_text(), "Not Found");
    /// ```
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: LazyU16::new(status),
            source: Source::Memory {
                status_text: String::new(),
                url: None,
                headers: Vec::new(),
                body: body.into(),
            },
            method: Method::Get,
            request_url: String::new(),
            #[cfg(feature = "limit")]
            permits: Vec::new(),
            attempts: 1,
            started_ms: sys::now_ms(),
            max_body_size: None,
            progress: None,
            copy: false,
        }
    }

    /// Adds a header (to a response made with [`Response::new`]; a fetch
    /// response's headers are the server's and stay as they are).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        if let Source::Memory { headers, .. } = &mut self.source {
            headers.push((name.into().to_ascii_lowercase(), value.into()));
        }
        self
    }

    /// Sets the status text (of a response made with [`Response::new`]).
    pub fn with_status_text(mut self, text: impl Into<String>) -> Response {
        if let Source::Memory { status_text, .. } = &mut self.source {
            *status_text = text.into();
        }
        self
    }

    /// Sets the final URL (of a response made with [`Response::new`]).
    pub fn with_url(mut self, final_url: impl Into<String>) -> Response {
        if let Source::Memory { url, .. } = &mut self.source {
            *url = Some(final_url.into());
        }
        self
    }

    /// A response of the native transport.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn from_native(
        body: native::NativeBody,
        method: Method,
        request_url: String,
        started_ms: f64,
    ) -> Response {
        let status = body.status;
        Response::from_source(
            status,
            Source::Native(Box::new(body)),
            method,
            request_url,
            started_ms,
        )
    }

    /// A response from the transport, on its first attempt (`status` 0:
    /// read from the platform on first use).
    fn from_source(
        status: u16,
        source: Source,
        method: Method,
        request_url: String,
        started_ms: f64,
    ) -> Response {
        Response {
            status: LazyU16::new(status),
            source,
            method,
            request_url,
            #[cfg(feature = "limit")]
            permits: Vec::new(),
            attempts: 1,
            started_ms,
            max_body_size: None,
            progress: None,
            copy: false,
        }
    }

    /// Ties the response to the request it answers, unless it already is
    /// (a response made in Rust does not know it).
    /// `self` replaces `original` (an `after_response` hook's
    /// [`Action::Replace`](crate::Action::Replace)). A copy of it
    /// ([`try_clone`](Response::try_clone), as a hook gets) takes over its
    /// abort guard (timeout, abort on drop) and its limit permits: dropping
    /// the original would otherwise abort the fetch the copy reads.
    #[cfg(feature = "hooks")]
    #[cfg_attr(
        not(any(target_arch = "wasm32", feature = "limit")),
        allow(unused_variables)
    )]
    pub(crate) fn take_over(&mut self, original: &mut Response) {
        if !self.copy {
            return;
        }
        #[cfg(target_arch = "wasm32")]
        if let (Source::Fetch { guard: mine, .. }, Source::Fetch { guard: theirs, .. }) =
            (&mut self.source, &mut original.source)
        {
            std::mem::swap(mine, theirs);
        }
        self.copy = false;
        #[cfg(feature = "limit")]
        {
            self.permits = std::mem::take(&mut original.permits);
        }
    }

    pub(crate) fn set_request(&mut self, method: Method, url: &str) {
        if self.request_url.is_empty() {
            self.method = method;
            self.request_url = url.to_owned();
        }
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        self.attempts = attempts;
    }

    pub(crate) fn set_started_ms(&mut self, ms: f64) {
        self.started_ms = ms;
    }

    /// The client's places the response holds until its body is read.
    #[cfg(feature = "limit")]
    pub(crate) fn hold_permits(&mut self, permits: Vec<Permit>) {
        self.permits = permits;
    }

    #[cfg(feature = "chunked")]
    pub(crate) fn set_max_body_size(&mut self, limit: Option<u64>) {
        self.max_body_size = limit;
    }

    /// The status code, such as `200`.
    pub fn status(&self) -> u16 {
        match (&self.source, self.status.get()) {
            #[cfg(target_arch = "wasm32")]
            (Source::Fetch { raw, .. }, 0) => {
                let status = raw.status();
                self.status.set(status);
                status
            }
            (_, status) => status,
        }
    }

    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status())
    }

    /// Whether the response has no body by HTTP's rules: the answer to a
    /// `HEAD` request, or a status that never has one (101, 103, 204, 205,
    /// 304: the Fetch standard's null body statuses). Its body reads as
    /// empty; a reader need not wait for one.
    ///
    /// ```
    /// assert!(fanout::Response::new(204, "").has_null_body());
    /// assert!(!fanout::Response::new(200, "").has_null_body());
    /// ```
    pub fn has_null_body(&self) -> bool {
        self.method == Method::Head || matches!(self.status(), 101 | 103 | 204 | 205 | 304)
    }

    /// The reason phrase the server sent (often empty over HTTP/2).
    pub fn status_text(&self) -> String {
        match &self.source {
            #[cfg(target_arch = "wasm32")]
            Source::Fetch { raw, .. } => raw.status_text(),
            #[cfg(not(target_arch = "wasm32"))]
            Source::Native(n) => n.status_text.to_owned(),
            Source::Memory { status_text, .. } => status_text.clone(),
        }
    }

    /// The final URL, after redirects.
    pub fn url(&self) -> String {
        let url = match &self.source {
            #[cfg(target_arch = "wasm32")]
            Source::Fetch { raw, .. } => raw.url(),
            #[cfg(not(target_arch = "wasm32"))]
            Source::Native(n) => n.url(),
            Source::Memory { url, .. } => url.clone().unwrap_or_default(),
        };
        if url.is_empty() {
            self.request_url.clone()
        } else {
            url
        }
    }

    /// The method of the request.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The response headers.
    pub fn headers(&self) -> Headers {
        match &self.source {
            #[cfg(target_arch = "wasm32")]
            Source::Fetch { raw, .. } => Headers::from_raw(raw.headers()),
            #[cfg(not(target_arch = "wasm32"))]
            Source::Native(n) => Headers::from_pairs(n.header_pairs()),
            Source::Memory { headers, .. } => Headers::from_pairs(headers.clone()),
        }
    }

    /// The `Content-Length` header, if present and valid.
    pub fn content_length(&self) -> Option<u64> {
        self.headers().get("content-length")?.trim().parse().ok()
    }

    /// How many attempts it took (1 when not retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// When the last attempt started (`performance.now()` ms).
    pub fn started_ms(&self) -> f64 {
        self.started_ms
    }

    /// The body size cap in force for this response (the request's or the
    /// client's `max_body_size`), which every body reader applies. Feature
    /// `chunked`.
    #[cfg(feature = "chunked")]
    pub fn max_body_size(&self) -> Option<u64> {
        self.max_body_size
    }

    /// A copy whose body can be read on its own: a response made in Rust
    /// is copied; a fetch response is cloned the Fetch API's way
    /// (`Response.clone()`, which tees the body, so the part one copy has
    /// read and the other has not is kept in memory). `None` if the body
    /// is being read or was read. The copy holds no place under the
    /// client's limits and is not aborted when dropped; dropping the
    /// original aborts the download under both.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let resp = fanout::Response::new(200, "hi");
    /// let copy = resp.try_clone().unwrap();
    /// assert_eq!(copy.text().await.unwrap(), "hi");
    /// assert_eq!(resp.text().await.unwrap(), "hi");
    /// # });
    /// ```
    pub fn try_clone(&self) -> Option<Response> {
        let source = match &self.source {
            #[cfg(not(target_arch = "wasm32"))]
            Source::Native(n) => Source::Native(Box::new(n.try_clone()?)),
            #[cfg(target_arch = "wasm32")]
            Source::Fetch { raw, .. } => {
                if raw.body_used() {
                    return None;
                }
                let guard = AbortGuard::new(None, None).ok()?;
                guard.finished();
                Source::Fetch {
                    raw: raw.clone().ok()?,
                    guard,
                }
            }
            Source::Memory {
                status_text,
                url,
                headers,
                body,
            } => Source::Memory {
                status_text: status_text.clone(),
                url: url.clone(),
                headers: headers.clone(),
                body: body.clone(),
            },
        };
        Some(Response {
            status: self.status.clone(),
            source,
            method: self.method,
            request_url: self.request_url.clone(),
            #[cfg(feature = "limit")]
            permits: Vec::new(),
            attempts: self.attempts,
            started_ms: self.started_ms,
            max_body_size: self.max_body_size,
            progress: None,
            copy: !matches!(self.source, Source::Memory { .. }),
        })
    }

    /// Turns a 4xx or 5xx response into an error that
    /// [`is_status`](Error::is_status), like aiohttp's `raise_for_status()`.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// let resp = client.get("posts/999").send().await?;
    /// let err = resp.error_for_status().unwrap_err();
    /// assert_eq!(err.status(), Some(404));
    /// # Ok(()) }
    /// ```
    pub fn error_for_status(self) -> Result<Response, Error> {
        let status = self.status();
        if (400..600).contains(&status) {
            Err(Error::from_status(status, &self.status_text())
                .with_request(self.method, &self.url())
                .with_attempts(self.attempts))
        } else {
            Ok(self)
        }
    }

    pub(crate) fn fail(&self, e: Error) -> Error {
        e.with_request(self.method, &self.url())
            .with_attempts(self.attempts)
    }
}
