//! [`BodyStream`]: the body as a `Stream` of chunks, the one reader the
//! others are built on when they read chunk by chunk.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

#[cfg(not(target_arch = "wasm32"))]
use super::native;
#[cfg(target_arch = "wasm32")]
use super::web;
use super::{Response, Source};
use crate::error::Error;
use crate::progress::Reporter;
use crate::sys;

impl Response {
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
            #[cfg(target_arch = "wasm32")]
            Source::Fetch { raw, .. } => web::reader(raw),
            #[cfg(not(target_arch = "wasm32"))]
            Source::Native(n) => Some(n.reader()),
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
            #[cfg(target_arch = "wasm32")]
            pending: None,
            received: 0,
            done: false,
            progress,
        }
    }
}

/// The body of a [`Response`] as a `Stream` of byte chunks; from
/// [`Response::bytes_stream`]. Dropping it aborts the download.
pub struct BodyStream {
    pub(super) resp: Response,
    #[cfg(target_arch = "wasm32")]
    pub(super) reader: Option<web_sys::ReadableStreamDefaultReader>,
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) reader: Option<native::Reader>,
    /// The one chunk of a response made in Rust (or its size error).
    pub(super) memory: Option<Result<Vec<u8>, Error>>,
    /// The chunk being read from the platform's stream.
    #[cfg(target_arch = "wasm32")]
    pub(super) pending: Option<web::PendingChunk>,
    pub(super) received: u64,
    pub(super) done: bool,
    pub(super) progress: Option<Reporter>,
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

impl BodyStream {
    /// The next chunk of a native body (`None` at its end).
    #[cfg(not(target_arch = "wasm32"))]
    fn poll_reader(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Vec<u8>, Error>>> {
        match &mut self.reader {
            Some(r) => r.poll_chunk(cx),
            None => Poll::Ready(None),
        }
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
        let polled = match this.poll_reader(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        match polled {
            Some(Ok(chunk)) => {
                this.received += chunk.len() as u64;
                if let Some(limit) = this.resp.max_body_size {
                    if this.received > limit {
                        this.done = true;
                        return Poll::Ready(Some(Err(this.resp.too_large(limit))));
                    }
                }
                if let Some(r) = &mut this.progress {
                    r.advance(chunk.len() as u64, sys::now_ms());
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            None => {
                this.done = true;
                if let Some(r) = &mut this.progress {
                    r.finish();
                }
                Poll::Ready(None)
            }
            Some(Err(e)) => {
                this.done = true;
                Poll::Ready(Some(Err(this.resp.fail(e))))
            }
        }
    }
}
