//! The [`Response`] and its body readers.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{Error, Kind};
use crate::headers::Headers;
#[cfg(feature = "limit")]
use crate::limit::Permit;
use crate::method::Method;
use crate::progress::{ProgressFn, Reporter};
use crate::sys::{self, AbortGuard, AbortReason};

/// Where a response's head and body come from.
enum Source {
    /// A `fetch` response, with the guard that aborts it when dropped.
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
    status: std::cell::Cell<u16>,
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

/// From this `Content-Length` on, `bytes()` and `json()` read a fetch body
/// from its stream into a buffer of that size rather than through
/// `arrayBuffer()` (`cargo xtask bench --only photos`: the 1 MB `/photos`
/// array into typed structs).
const PRESIZED_MIN: u64 = 64 * 1024;

/// The most a `Content-Length` reserves up front (a larger body still
/// reads, growing its buffer).
const PRESIZED_MAX: u64 = 64 * 1024 * 1024;

/// Classifies a rejection from fetch or a body read: a timeout or the
/// caller's signal if the abort guard fired, else `fallback`; the JS value
/// is kept as the error's source.
pub(crate) fn classify(guard: &AbortGuard, js: &JsValue, fallback: Kind) -> Error {
    match guard.reason() {
        Some(AbortReason::Timeout(d)) => Error::timeout(d),
        Some(AbortReason::Signal) => Error::aborted("aborted by the caller's AbortSignal"),
        None => {
            let cause = sys::js_error(js);
            Error::new(fallback, cause.message().to_owned()).with_source(cause)
        }
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
            status: std::cell::Cell::new(status),
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

    /// A response from `fetch`.
    pub(crate) fn from_fetch(
        raw: web_sys::Response,
        guard: AbortGuard,
        method: Method,
        request_url: String,
        started_ms: f64,
    ) -> Response {
        Response {
            status: std::cell::Cell::new(0),
            source: Source::Fetch { raw, guard },
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
    pub(crate) fn take_over(&mut self, original: &mut Response) {
        if !self.copy {
            return;
        }
        if let (Source::Fetch { guard: mine, .. }, Source::Fetch { guard: theirs, .. }) =
            (&mut self.source, &mut original.source)
        {
            std::mem::swap(mine, theirs);
            self.copy = false;
            #[cfg(feature = "limit")]
            {
                self.permits = std::mem::take(&mut original.permits);
            }
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

    /// The reason phrase the server sent (often empty over HTTP/2).
    pub fn status_text(&self) -> String {
        match &self.source {
            Source::Fetch { raw, .. } => raw.status_text(),
            Source::Memory { status_text, .. } => status_text.clone(),
        }
    }

    /// The final URL, after redirects.
    pub fn url(&self) -> String {
        let url = match &self.source {
            Source::Fetch { raw, .. } => raw.url(),
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
            Source::Fetch { raw, .. } => Headers::from_raw(raw.headers()),
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

    /// The underlying `web_sys::Response` of a fetch response; `None` for
    /// one made with [`Response::new`].
    pub fn as_raw(&self) -> Option<&web_sys::Response> {
        match &self.source {
            Source::Fetch { raw, .. } => Some(raw),
            Source::Memory { .. } => None,
        }
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
            copy: matches!(self.source, Source::Fetch { .. }),
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

    fn too_large(&self, limit: u64) -> Error {
        self.fail(Error::new(
            Kind::TooLarge { limit },
            format!("body is larger than the limit of {limit} bytes"),
        ))
    }

    /// Whether the readers must read the body chunk by chunk: for a size
    /// cap or a progress callback (feature `chunked`; without it, never,
    /// and that code is left out of the wasm).
    fn chunked(&self) -> bool {
        cfg!(feature = "chunked") && (self.max_body_size.is_some() || self.progress.is_some())
    }

    /// Takes the body of a response made in Rust, with the size cap
    /// applied; `None` for a fetch response.
    fn take_memory_body(&mut self) -> Option<Result<Vec<u8>, Error>> {
        let Source::Memory { body, .. } = &mut self.source else {
            return None;
        };
        let body = std::mem::take(body);
        if !self.chunked() {
            return Some(Ok(body));
        }
        Some(match self.max_body_size {
            Some(limit) if body.len() as u64 > limit => Err(self.too_large(limit)),
            _ => {
                // All of it at once: one call, the final one.
                if let Some(f) = self.progress.take() {
                    let mut r = Reporter::new(f, Some(body.len() as u64));
                    r.loaded_all(body.len() as u64);
                }
                Ok(body)
            }
        })
    }

    /// The body as text (UTF-8, invalid bytes replaced).
    pub async fn text(mut self) -> Result<String, Error> {
        if let Some(body) = self.take_memory_body() {
            return body.map(|b| String::from_utf8_lossy(&b).into_owned());
        }
        #[cfg(feature = "chunked")]
        if self.chunked() {
            let bytes = self.bytes().await?;
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
        let value = self.read_with(|raw| raw.text()).await?;
        Ok(value.as_string().unwrap_or_default())
    }

    /// The body as bytes, copied once into wasm memory.
    pub async fn bytes(mut self) -> Result<Vec<u8>, Error> {
        if let Some(body) = self.take_memory_body() {
            return body;
        }
        #[cfg(feature = "chunked")]
        if self.chunked() {
            if let Some(limit) = self.max_body_size {
                if self.content_length().is_some_and(|n| n > limit) {
                    return Err(self.too_large(limit));
                }
            }
            let mut out = Vec::new();
            let mut stream = self.bytes_stream();
            while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
                out.extend_from_slice(&chunk?);
            }
            return Ok(out);
        }
        self.array_buffer().await
    }

    /// Reads a fetch body into wasm memory (no size cap): a small one with
    /// `arrayBuffer()`, copied in one go; one whose `Content-Length` is
    /// [`PRESIZED_MIN`] or more chunk by chunk from its stream, each chunk
    /// copied as it arrives into one buffer of that length (no second
    /// copy of the whole body held in JS, and the copies overlap the
    /// download).
    async fn array_buffer(&self) -> Result<Vec<u8>, Error> {
        let Source::Fetch { raw, guard } = &self.source else {
            unreachable!("memory bodies are taken before");
        };
        if let Some(len) = sys::content_length(raw).filter(|&n| n >= PRESIZED_MIN) {
            if let Some(body) = raw.body() {
                return self.read_presized(body, guard, len).await;
            }
        }
        let promise = raw
            .array_buffer()
            .map_err(|e| self.fail(Error::body(sys::js_message(&e))))?;
        match sys::settled(&promise).await {
            Ok(buf) => {
                guard.finished();
                Ok(js_sys::Uint8Array::new(&buf).to_vec())
            }
            Err(e) => Err(self.fail(classify(guard, &e, Kind::Body))),
        }
    }

    /// [`array_buffer`](Response::array_buffer)'s large-body path: the
    /// stream's chunks copied into one `Vec` reserved from `len` (up to
    /// [`PRESIZED_MAX`], so a false `Content-Length` cannot claim more
    /// wasm memory than that, which is never given back).
    async fn read_presized(
        &self,
        body: web_sys::ReadableStream,
        guard: &AbortGuard,
        len: u64,
    ) -> Result<Vec<u8>, Error> {
        let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        let mut out: Vec<u8> = Vec::new();
        // A failed reservation is no error: the buffer grows as it fills.
        let _ = out.try_reserve_exact(len.min(PRESIZED_MAX) as usize);
        loop {
            match sys::read_chunk(&reader).await {
                Ok(Some(chunk)) => {
                    let n = chunk.length() as usize;
                    // As `arrayBuffer()`'s copy would, the body must fit.
                    out.reserve(n);
                    let start = out.len();
                    chunk.copy_to_uninit(&mut out.spare_capacity_mut()[..n]);
                    // SAFETY: `copy_to_uninit` initialized these `n` bytes.
                    unsafe { out.set_len(start + n) };
                }
                Ok(None) => break,
                Err(e) => return Err(self.fail(classify(guard, &e, Kind::Body))),
            }
        }
        guard.finished();
        Ok(out)
    }

    /// Decodes the JSON body into `T`.
    ///
    /// The body is read as bytes straight into wasm memory and parsed with
    /// `serde_json::from_slice`: one copy, no UTF-16 string round trip, and
    /// integers beyond 2^53 keep their precision (`JSON.parse` would round
    /// them). A failure [`is_decode`](Error::is_decode) and tells the path to
    /// the bad field and the start of the body.
    ///
    /// Why this path (`cargo xtask bench`, decode study, headless Chromium,
    /// the 1 MB `/photos` array of 5,000 objects into typed structs, median
    /// time against plain JS `r.json()` in the same run): `arrayBuffer()` +
    /// `serde_json::from_slice` 0.90×; `text()` + `serde_json::from_str`
    /// 1.08× (the UTF-16 string round trip); `JSON.parse` + serde-wasm-bindgen
    /// 1.37× (one boundary call per value). serde-wasm-bindgen would add the
    /// least wasm (21 KiB gzip against 31 KiB), but it is the slowest on big
    /// bodies and rounds integers beyond 2^53.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// #[derive(serde::Deserialize)]
    /// #[serde(rename_all = "camelCase")]
    /// struct Post { user_id: u32, id: u32, title: String, body: String }
    /// let post: Post = client.get("posts/1").send().await?.json().await?;
    /// # Ok(()) }
    /// ```
    pub async fn json<T: DeserializeOwned>(mut self) -> Result<T, Error> {
        if let Some(body) = self.take_memory_body() {
            return decode_json(&body?).map_err(|e| self.fail(e));
        }
        #[cfg(feature = "chunked")]
        if self.chunked() {
            let (method, url, attempts) = (self.method, self.url(), self.attempts);
            let bytes = self.bytes().await?;
            return decode_json(&bytes)
                .map_err(|e| e.with_request(method, &url).with_attempts(attempts));
        }
        // Borrowing `self` keeps the URL lookup (a call into JS) on the
        // error path only.
        let bytes = self.array_buffer().await?;
        decode_json(&bytes).map_err(|e| self.fail(e))
    }

    /// Reads the body with a method of the platform's `Response` (such as
    /// `text()` or `arrayBuffer()`) and returns the JS value it resolves
    /// to, never copied into wasm memory: the way for JS bindings to hand
    /// a body to JavaScript as it is. The client's places and the timeout
    /// stay in force until it settles, and a rejection is classified like
    /// the other readers' (timeout, abort, body error). It does not apply
    /// `max_body_size` (feature `chunked`): check it first and use the
    /// Rust readers when it is set. A response made in Rust is handed
    /// over as a platform `Response` of its body.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// let resp = client.get("posts/1").send().await?;
    /// let text: wasm_bindgen::JsValue = resp.read_with(|raw| raw.text()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn read_with(
        mut self,
        read: impl FnOnce(&web_sys::Response) -> Result<js_sys::Promise, JsValue>,
    ) -> Result<JsValue, Error> {
        if let Some(body) = self.take_memory_body() {
            let mut body = body?;
            let raw = web_sys::Response::new_with_opt_u8_array(Some(&mut body))
                .map_err(|e| self.fail(Error::body(sys::js_message(&e))))?;
            let promise = read(&raw).map_err(|e| self.fail(Error::body(sys::js_message(&e))))?;
            return sys::settled(&promise)
                .await
                .map_err(|e| self.fail(Error::body(sys::js_message(&e))));
        }
        let Source::Fetch { raw, guard } = &self.source else {
            unreachable!("memory bodies are taken above");
        };
        let promise = read(raw).map_err(|e| self.fail(Error::body(sys::js_message(&e))))?;
        let value = sys::settled(&promise)
            .await
            .map_err(|e| self.fail(classify(guard, &e, Kind::Body)))?;
        guard.finished();
        Ok(value)
    }

    /// The body as a stream of chunks, read from the `ReadableStream` as they
    /// arrive. The size cap applies as the chunks come in.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// use futures_util::StreamExt;
    /// let mut stream = client.get("photos").send().await?.bytes_stream();
    /// let mut total = 0;
    /// while let Some(chunk) = stream.next().await {
    ///     total += chunk?.len();
    /// }
    /// # Ok(()) }
    /// ```
    pub fn bytes_stream(mut self) -> BodyStream {
        let memory = self.take_memory_body();
        let reader = match &self.source {
            Source::Fetch { raw, .. } => raw.body().map(|body| {
                body.get_reader()
                    .unchecked_into::<web_sys::ReadableStreamDefaultReader>()
            }),
            Source::Memory { .. } => None,
        };
        let progress = self.progress.take().map(|f| {
            // A content-encoded body's Content-Length counts the bytes on
            // the wire, not the decoded ones read here.
            let encoded = self
                .headers()
                .get("content-encoding")
                .is_some_and(|e| !e.trim().eq_ignore_ascii_case("identity"));
            let total = if encoded { None } else { self.content_length() };
            Reporter::new(f, total)
        });
        BodyStream {
            resp: self,
            reader,
            memory,
            pending: None,
            received: 0,
            done: false,
            progress,
        }
    }

    /// Calls `f` as the body is read, by any reader ([`bytes`](Response::bytes),
    /// [`text`](Response::text), [`json`](Response::json),
    /// [`bytes_stream`](Response::bytes_stream), [`lines`](Response::lines)...):
    /// with the bytes read so far and the total from `Content-Length` when
    /// known (see [`Transfer`](crate::Transfer)). Throttled: on the first chunk, then at
    /// most once per 16 ms (about an animation frame) unless 64 KiB more
    /// came, and once at the end with `total == Some(loaded)`. The readers
    /// then read the body chunk by chunk; the size cap still holds.
    /// [`read_with`](Response::read_with) does not report.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// # futures::executor::block_on(async {
    /// let seen = Rc::new(RefCell::new(Vec::new()));
    /// let log = seen.clone();
    /// let resp = fanout::Response::new(200, vec![7u8; 1000])
    ///     .on_progress(move |t| log.borrow_mut().push(t.loaded));
    /// assert_eq!(resp.bytes().await.unwrap().len(), 1000);
    /// assert_eq!(seen.borrow().last(), Some(&1000));
    /// # });
    /// ```
    ///
    /// Feature `chunked`.
    #[cfg(feature = "chunked")]
    pub fn on_progress(mut self, f: impl Fn(crate::Transfer) + 'static) -> Response {
        self.progress = Some(std::rc::Rc::new(f));
        self
    }
}

/// Parses JSON bytes into `T` with `serde_json::from_slice`; on failure,
/// tells the path to the failing field.
///
/// The path comes from [`json_path_at`], which rescans the text up to the
/// error's position only when there is an error. Tracking the path during
/// every parse (`serde_path_to_error`) cost about 40 % more time on the 1 MB
/// `/photos` body and a second copy of the decoder in the wasm
/// (`cargo xtask bench`, decode study).
pub(crate) fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice::<T>(bytes).map_err(|e| decode_error(bytes, e))
}

/// The error of a failed [`decode_json`]: not generic, so that it is in
/// the wasm once however many types an app decodes.
#[inline(never)]
fn decode_error(bytes: &[u8], inner: serde_json::Error) -> Error {
    let path = json_path_at(bytes, inner.line(), inner.column());
    let path = (!path.is_empty()).then_some(path);
    let start: String = String::from_utf8_lossy(&bytes[..bytes.len().min(240)])
        .chars()
        .take(120)
        .collect();
    let message = match &path {
        Some(p) => format!("invalid JSON at {p}: {inner}"),
        None => format!("invalid JSON: {inner}"),
    };
    Error::new(
        Kind::Decode {
            path,
            body_start: start,
        },
        message,
    )
    .with_source(inner)
}

/// The path (`[3].userId`, `user.name`) of the value that JSON text is in
/// at `line`/`column` (1-based, as serde_json reports them): a scan of the
/// text up to there that tracks object keys and array indices.
pub(crate) fn json_path_at(bytes: &[u8], line: usize, column: usize) -> String {
    enum Level {
        Array(usize),
        Object { key: Option<String>, in_key: bool },
    }
    let mut end = 0;
    let mut lines_left = line.saturating_sub(1);
    while lines_left > 0 && end < bytes.len() {
        if bytes[end] == b'\n' {
            lines_left -= 1;
        }
        end += 1;
    }
    let end = (end + column).min(bytes.len());
    let mut stack: Vec<Level> = Vec::new();
    let mut i = 0;
    while i < end {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Level::Object { key, in_key: true }) = stack.last_mut() {
                    *key = Some(
                        String::from_utf8_lossy(&bytes[start..i.min(bytes.len())]).into_owned(),
                    );
                }
            }
            b'{' => stack.push(Level::Object {
                key: None,
                in_key: true,
            }),
            b'[' => stack.push(Level::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Level::Object { in_key, .. }) = stack.last_mut() {
                    *in_key = false;
                }
            }
            b',' => match stack.last_mut() {
                Some(Level::Array(n)) => *n += 1,
                Some(Level::Object { key, in_key }) => {
                    *key = None;
                    *in_key = true;
                }
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for level in &stack {
        match level {
            Level::Array(n) => path.push_str(&format!("[{n}]")),
            Level::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Level::Object { key: None, .. } => {}
        }
    }
    path
}

/// The body of a [`Response`] as a `Stream` of byte chunks; from
/// [`Response::bytes_stream`]. Dropping it aborts the download.
pub struct BodyStream {
    resp: Response,
    reader: Option<web_sys::ReadableStreamDefaultReader>,
    /// The one chunk of a response made in Rust (or its size error).
    memory: Option<Result<Vec<u8>, Error>>,
    pending:
        Option<LocalBoxFuture<'static, Result<Option<js_sys::Uint8Array>, wasm_bindgen::JsValue>>>,
    received: u64,
    done: bool,
    progress: Option<Reporter>,
}

impl fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyStream")
            .field("url", &self.resp.url())
            .field("received", &self.received)
            .field("done", &self.done)
            .finish()
    }
}

impl Stream for BodyStream {
    type Item = Result<Vec<u8>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if let Some(chunk) = this.memory.take() {
            this.done = true;
            return Poll::Ready(match chunk {
                Ok(c) if c.is_empty() => None,
                other => Some(other),
            });
        }
        let Some(reader) = this.reader.clone() else {
            this.done = true;
            return Poll::Ready(None);
        };
        let fut = this
            .pending
            .get_or_insert_with(|| Box::pin(async move { sys::read_chunk(&reader).await }));
        let result = match fut.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        this.pending = None;
        match result {
            Ok(Some(chunk)) => {
                this.received += chunk.length() as u64;
                if let Some(limit) = this.resp.max_body_size {
                    if this.received > limit {
                        this.done = true;
                        return Poll::Ready(Some(Err(this.resp.too_large(limit))));
                    }
                }
                if let Some(r) = &mut this.progress {
                    r.advance(chunk.length() as u64, sys::now_ms());
                }
                Poll::Ready(Some(Ok(chunk.to_vec())))
            }
            Ok(None) => {
                this.done = true;
                if let Source::Fetch { guard, .. } = &this.resp.source {
                    guard.finished();
                }
                if let Some(r) = &mut this.progress {
                    r.finish();
                }
                Poll::Ready(None)
            }
            Err(e) => {
                this.done = true;
                let err = match &this.resp.source {
                    Source::Fetch { guard, .. } => classify(guard, &e, Kind::Body),
                    Source::Memory { .. } => Error::body(sys::js_message(&e)),
                };
                Poll::Ready(Some(Err(this.resp.fail(err))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    #[serde(rename_all = "camelCase")]
    struct Post {
        user_id: u32,
        id: u64,
    }

    #[test]
    fn decode_error_has_path_and_body_start() {
        let e = decode_json::<Vec<Post>>(br#"[{"userId":1,"id":1},{"userId":"one","id":2}]"#)
            .unwrap_err();
        assert!(e.is_decode());
        assert_eq!(e.decode_path(), Some("[1].userId"));
        assert!(e.body_start().unwrap().starts_with("[{\"userId\":1"));
        assert!(e.to_string().contains("[1].userId"), "{e}");
    }

    #[test]
    fn decode_paths() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct User {
            name: String,
            tags: Vec<u8>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Wrap {
            users: Vec<User>,
        }
        let cases: [(&[u8], Option<&str>); 6] = [
            (
                br#"{"users":[{"name":"a","tags":[1]},{"name":7,"tags":[]}]}"#,
                Some("users[1].name"),
            ),
            (
                b"{\n \"users\": [\n  {\"name\": \"a\", \"tags\": [1, 2, \"x\"]}\n ]\n}",
                Some("users[0].tags[2]"),
            ),
            (br#"{"users":[{"name":"a"}]}"#, Some("users[0]")),
            (
                br#"{"users":[{"name":"a\"b,[{","tags":"no"}]}"#,
                Some("users[0].tags"),
            ),
            (br#"{"users": 5}"#, Some("users")),
            (br#"[]"#, None),
        ];
        for (json, want) in cases {
            let e = decode_json::<Wrap>(json).unwrap_err();
            assert_eq!(
                e.decode_path(),
                want,
                "{}: {e}",
                String::from_utf8_lossy(json)
            );
        }
    }

    #[test]
    fn malformed_json_and_trailing_garbage() {
        assert!(decode_json::<Post>(br#"{"userId": 1, "id": "#)
            .unwrap_err()
            .is_decode());
        assert!(decode_json::<Post>(br#"{"userId":1,"id":1} x"#)
            .unwrap_err()
            .is_decode());
    }

    #[test]
    fn big_integers_keep_precision() {
        let p: Post = decode_json(br#"{"userId":1,"id":9007199254740993}"#).unwrap();
        assert_eq!(p.id, 9_007_199_254_740_993);
        let v: serde_json::Value = decode_json(br#"{"big":18446744073709551615}"#).unwrap();
        assert_eq!(v["big"].as_u64(), Some(u64::MAX));
    }
}

/// The JSON error-path finder against a model: a value of known shape with
/// one bad element at a known place must be reported at that place, and no
/// input panics.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_bytes_decode_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
            let _ = decode_json::<Vec<BTreeMap<String, u8>>>(&bytes);
            for line in 0..3 {
                for column in 0..90 {
                    let _ = json_path_at(&bytes, line, column);
                }
            }
        }

        #[test]
        fn a_bad_element_in_nested_arrays_is_found(
            rows in prop::collection::vec(prop::collection::vec(0u8..=255, 1..6), 1..6),
            pick in any::<prop::sample::Index>(),
            pretty in any::<bool>(),
        ) {
            let i = pick.index(rows.len());
            let j = pick.index(rows[i].len());
            let mut value = serde_json::to_value(&rows).unwrap();
            value[i][j] = serde_json::json!("not a number");
            let text = if pretty {
                serde_json::to_vec_pretty(&value).unwrap()
            } else {
                serde_json::to_vec(&value).unwrap()
            };
            let e = decode_json::<Vec<Vec<u8>>>(&text).unwrap_err();
            let want = format!("[{i}][{j}]");
            prop_assert_eq!(e.decode_path(), Some(want.as_str()));
        }

        #[test]
        fn a_bad_element_under_a_key_is_found(
            map in prop::collection::btree_map("[a-z]{1,5}", prop::collection::vec(0u8..=9, 1..4), 1..5),
            pick in any::<prop::sample::Index>(),
        ) {
            let keys: Vec<&String> = map.keys().collect();
            let key = keys[pick.index(keys.len())].clone();
            let j = pick.index(map[&key].len());
            let mut value = serde_json::to_value(&map).unwrap();
            value[&key][j] = serde_json::json!({"nested": true});
            let text = serde_json::to_vec(&value).unwrap();
            let e = decode_json::<BTreeMap<String, Vec<u8>>>(&text).unwrap_err();
            let want = format!("{key}[{j}]");
            prop_assert_eq!(e.decode_path(), Some(want.as_str()));
        }
    }
}
