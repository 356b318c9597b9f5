//! A response's body on wasm: the platform's `Response`, read through
//! `arrayBuffer()`, its stream, or a method the caller names
//! ([`Response::read_with`]).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::LocalBoxFuture;
use wasm_bindgen::{JsCast, JsValue};

use super::{BodyStream, Response, Source};
use crate::error::{Error, Kind};
use crate::method::Method;
use crate::sys::{self, AbortGuard, AbortReason};

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

/// A chunk being read from a body's `ReadableStream`.
pub(super) type PendingChunk = LocalBoxFuture<'static, Result<Option<js_sys::Uint8Array>, JsValue>>;

/// The reader of a fetch body's stream, if it has a body.
pub(super) fn reader(raw: &web_sys::Response) -> Option<web_sys::ReadableStreamDefaultReader> {
    raw.body().map(|body| {
        body.get_reader()
            .unchecked_into::<web_sys::ReadableStreamDefaultReader>()
    })
}

impl Response {
    /// A response from `fetch`.
    pub(crate) fn from_fetch(
        raw: web_sys::Response,
        guard: AbortGuard,
        method: Method,
        request_url: String,
        started_ms: f64,
    ) -> Response {
        let source = Source::Fetch { raw, guard };
        Response::from_source(0, source, method, request_url, started_ms)
    }

    /// The underlying `web_sys::Response` of a fetch response; `None` for
    /// one made with [`Response::new`].
    pub fn as_raw(&self) -> Option<&web_sys::Response> {
        match &self.source {
            Source::Fetch { raw, .. } => Some(raw),
            Source::Memory { .. } => None,
        }
    }

    /// Reads a fetch body into wasm memory (no size cap): a small one with
    /// `arrayBuffer()`, copied in one go; one whose `Content-Length` is
    /// [`PRESIZED_MIN`] or more chunk by chunk from its stream, each chunk
    /// copied as it arrives into one buffer of that length (no second
    /// copy of the whole body held in JS, and the copies overlap the
    /// download).
    pub(super) async fn array_buffer(&self) -> Result<Vec<u8>, Error> {
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
}

impl BodyStream {
    /// The next chunk of a fetch body (`None` at its end, when the abort
    /// guard is told that nothing is left to abort).
    pub(super) fn poll_reader(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Vec<u8>, Error>>> {
        let Some(reader) = self.reader.clone() else {
            return Poll::Ready(None);
        };
        let fut = self
            .pending
            .get_or_insert_with(|| Box::pin(async move { sys::read_chunk(&reader).await }));
        let result = match Pin::new(fut).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        self.pending = None;
        Poll::Ready(match result {
            Ok(Some(chunk)) => Some(Ok(chunk.to_vec())),
            Ok(None) => {
                if let Source::Fetch { guard, .. } = &self.resp.source {
                    guard.finished();
                }
                None
            }
            Err(e) => Some(Err(match &self.resp.source {
                Source::Fetch { guard, .. } => classify(guard, &e, Kind::Body),
                Source::Memory { .. } => Error::body(sys::js_message(&e)),
            })),
        })
    }
}
