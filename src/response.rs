//! The [`Response`] and its body readers.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::error::{Error, Kind};
use crate::headers::Headers;
use crate::limit::Permit;
use crate::request::classify;
use crate::sys::{self, AbortGuard};
use crate::Method;

/// A response whose headers have arrived. Reading the body consumes it
/// ([`text`](Response::text), [`bytes`](Response::bytes),
/// [`json`](Response::json), [`bytes_stream`](Response::bytes_stream)).
/// Dropping a response, or a body future, aborts the rest of the download
/// and frees its place under the client's limits.
pub struct Response {
    raw: web_sys::Response,
    method: Method,
    request_url: String,
    guard: AbortGuard,
    _permits: Vec<Permit>,
    attempts: u32,
    started_ms: f64,
    max_body_size: Option<u64>,
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
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        raw: web_sys::Response,
        method: Method,
        request_url: String,
        guard: AbortGuard,
        permits: Vec<Permit>,
        attempts: u32,
        started_ms: f64,
        max_body_size: Option<u64>,
    ) -> Response {
        Response {
            raw,
            method,
            request_url,
            guard,
            _permits: permits,
            attempts,
            started_ms,
            max_body_size,
        }
    }

    /// The status code, such as `200`.
    pub fn status(&self) -> u16 {
        self.raw.status()
    }

    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        self.raw.ok()
    }

    /// The reason phrase the server sent (often empty over HTTP/2).
    pub fn status_text(&self) -> String {
        self.raw.status_text()
    }

    /// The final URL, after redirects.
    pub fn url(&self) -> String {
        let url = self.raw.url();
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
        Headers::from_raw(self.raw.headers())
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

    /// The underlying `web_sys::Response`.
    pub fn as_raw(&self) -> &web_sys::Response {
        &self.raw
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
            let text = self.status_text();
            let reason = if text.is_empty() {
                canonical_reason(status)
            } else {
                text.as_str()
            };
            let message = format!("HTTP {status} {reason}").trim_end().to_owned();
            Err(Error::new(
                Kind::Status {
                    status,
                    status_text: text.clone(),
                },
                message,
            )
            .with_request(self.method, &self.url())
            .with_attempts(self.attempts))
        } else {
            Ok(self)
        }
    }

    fn fail(&self, e: Error) -> Error {
        e.with_request(self.method, &self.url())
            .with_attempts(self.attempts)
    }

    fn too_large(&self, limit: u64) -> Error {
        self.fail(Error::new(
            Kind::TooLarge { limit },
            format!("body is larger than the limit of {limit} bytes"),
        ))
    }

    /// The body as text (UTF-8, invalid bytes replaced).
    pub async fn text(self) -> Result<String, Error> {
        if self.max_body_size.is_some() {
            let bytes = self.bytes().await?;
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
        let promise = self
            .raw
            .text()
            .map_err(|e| self.fail(Error::new(Kind::Body, sys::js_message(&e))))?;
        match JsFuture::from(promise).await {
            Ok(v) => {
                self.guard.finished();
                Ok(v.as_string().unwrap_or_default())
            }
            Err(e) => Err(self.fail(classify(&self.guard, &e, Kind::Body))),
        }
    }

    /// The body as bytes, copied once into wasm memory.
    pub async fn bytes(self) -> Result<Vec<u8>, Error> {
        if let Some(limit) = self.max_body_size {
            if self.content_length().is_some_and(|n| n > limit) {
                return Err(self.too_large(limit));
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

    /// Reads the whole body with `arrayBuffer()` and copies it into wasm
    /// memory in one go (no size cap).
    async fn array_buffer(&self) -> Result<Vec<u8>, Error> {
        let promise = self
            .raw
            .array_buffer()
            .map_err(|e| self.fail(Error::new(Kind::Body, sys::js_message(&e))))?;
        match JsFuture::from(promise).await {
            Ok(buf) => {
                self.guard.finished();
                Ok(js_sys::Uint8Array::new(&buf).to_vec())
            }
            Err(e) => Err(self.fail(classify(&self.guard, &e, Kind::Body))),
        }
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
    pub async fn json<T: DeserializeOwned>(self) -> Result<T, Error> {
        if self.max_body_size.is_some() {
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

    /// For the JS API: whether a body size cap applies, so the body must be
    /// read through the capped readers above.
    #[cfg(feature = "js")]
    pub(crate) fn has_body_cap(&self) -> bool {
        self.max_body_size.is_some()
    }

    /// For the JS API: reads the body with a method of the raw response
    /// (`text()`, `arrayBuffer()`) and returns the JS value it resolves to,
    /// never copied into wasm memory. The permits and the timeout stay alive
    /// until it settles; a rejection is classified like the readers above.
    #[cfg(feature = "js")]
    pub(crate) async fn read_raw(
        self,
        read: impl FnOnce(&web_sys::Response) -> Result<js_sys::Promise, wasm_bindgen::JsValue>,
    ) -> Result<wasm_bindgen::JsValue, Error> {
        let promise =
            read(&self.raw).map_err(|e| self.fail(Error::new(Kind::Body, sys::js_message(&e))))?;
        let value = JsFuture::from(promise)
            .await
            .map_err(|e| self.fail(classify(&self.guard, &e, Kind::Body)))?;
        self.guard.finished();
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
    pub fn bytes_stream(self) -> BodyStream {
        let reader = self.raw.body().map(|body| {
            body.get_reader()
                .unchecked_into::<web_sys::ReadableStreamDefaultReader>()
        });
        BodyStream {
            resp: self,
            reader,
            pending: None,
            received: 0,
            done: false,
        }
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
    let inner = match serde_json::from_slice::<T>(bytes) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
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
    Err(Error::new(
        Kind::Decode {
            path,
            body_start: start,
        },
        message,
    ))
}

/// The path (`[3].userId`, `user.name`) of the value that JSON text is in
/// at `line`/`column` (1-based, as serde_json reports them): a scan of the
/// text up to there that tracks object keys and array indices.
fn json_path_at(bytes: &[u8], line: usize, column: usize) -> String {
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

/// The body of a [`Response`] as a `Stream` of byte chunks; from
/// [`Response::bytes_stream`]. Dropping it aborts the download.
pub struct BodyStream {
    resp: Response,
    reader: Option<web_sys::ReadableStreamDefaultReader>,
    pending:
        Option<LocalBoxFuture<'static, Result<Option<js_sys::Uint8Array>, wasm_bindgen::JsValue>>>,
    received: u64,
    done: bool,
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
                Poll::Ready(Some(Ok(chunk.to_vec())))
            }
            Ok(None) => {
                this.done = true;
                this.resp.guard.finished();
                Poll::Ready(None)
            }
            Err(e) => {
                this.done = true;
                let err = classify(&this.resp.guard, &e, Kind::Body);
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
