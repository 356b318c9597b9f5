//! A response's body natively: a reqwest response read chunk by chunk,
//! shared between the response and its copies ([`Response::try_clone`])
//! by a tee once a copy is made.
//!
//! [`Response::try_clone`]: crate::Response::try_clone

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;

use crate::error::{Error, Kind};
use crate::sync::{Lock, Shared};
use crate::sys::{until_aborted, AbortSignal, UntilAborted};
use crate::wakers::Wakers;

/// The chunks of a reqwest response's body.
type Raw = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The head and body of a response from the native transport.
pub(crate) struct NativeBody {
    pub(crate) status: u16,
    pub(crate) status_text: &'static str,
    url: reqwest::Url,
    /// As reqwest has them: turned into `(name, value)` strings only when
    /// asked for (a response read for its body alone never is).
    headers: reqwest::header::HeaderMap,
    body: Lock<Tap>,
    timeout: Option<Duration>,
    signal: Option<AbortSignal>,
}

/// The body, not yet read: the response itself, or (once a copy was
/// made) a place on a tee that both read.
enum Tap {
    Direct(Option<reqwest::Response>),
    Tee(Shared<Lock<Tee>>),
    Taken,
}

/// A body read once for several readers: every chunk kept, so that each
/// reader reads all of it at its own pace.
struct Tee {
    raw: Option<Raw>,
    chunks: Vec<Bytes>,
    end: Option<Result<(), Error>>,
    wakers: Arc<Wakers>,
}

impl NativeBody {
    pub(crate) fn new(
        raw: reqwest::Response,
        timeout: Option<Duration>,
        signal: Option<AbortSignal>,
    ) -> NativeBody {
        NativeBody {
            status: raw.status().as_u16(),
            status_text: raw.status().canonical_reason().unwrap_or_default(),
            url: raw.url().clone(),
            headers: raw.headers().clone(),
            body: Lock::new(Tap::Direct(Some(raw))),
            timeout,
            signal,
        }
    }

    /// The final URL (after redirects).
    pub(crate) fn url(&self) -> String {
        self.url.as_str().to_owned()
    }

    /// The headers as `(lowercase name, value)` pairs.
    pub(crate) fn header_pairs(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(n, v)| {
                let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.as_str().to_owned(), value)
            })
            .collect()
    }

    /// A copy reading the same body (a tee from now on), unless the body
    /// is being read or was read.
    pub(crate) fn try_clone(&self) -> Option<NativeBody> {
        let mut tap = self.body.lock();
        let tee = match &mut *tap {
            Tap::Direct(raw) => {
                let raw = raw.take()?;
                let tee = Shared::new(Lock::new(Tee {
                    raw: Some(Box::pin(raw.bytes_stream())),
                    chunks: Vec::new(),
                    end: None,
                    wakers: Arc::default(),
                }));
                *tap = Tap::Tee(tee.clone());
                tee
            }
            Tap::Tee(tee) => tee.clone(),
            Tap::Taken => return None,
        };
        Some(NativeBody {
            status: self.status,
            status_text: self.status_text,
            url: self.url.clone(),
            headers: self.headers.clone(),
            body: Lock::new(Tap::Tee(tee)),
            timeout: self.timeout,
            signal: self.signal.clone(),
        })
    }

    /// The whole body (once: empty after). A body not shared with a copy
    /// is collected by reqwest itself (one chunk: no copy), raced against
    /// the caller's signal; a tee's is read chunk by chunk.
    pub(crate) async fn collect(&self) -> Result<Bytes, Error> {
        let taken = {
            let mut tap = self.body.lock();
            match &mut *tap {
                Tap::Direct(raw) => raw.take(),
                _ => None,
            }
        };
        let Some(raw) = taken else {
            return self.collect_chunks().await;
        };
        *self.body.lock() = Tap::Taken;
        let all = raw.bytes();
        let result = match &self.signal {
            None => all.await,
            Some(signal) => {
                match futures_util::future::select(Box::pin(all), until_aborted(signal)).await {
                    futures_util::future::Either::Left((r, _)) => r,
                    futures_util::future::Either::Right(_) => {
                        return Err(Error::aborted("aborted by the caller's AbortSignal"))
                    }
                }
            }
        };
        result.map_err(|e| body_error(e, self.timeout))
    }

    /// The whole body, read chunk by chunk.
    async fn collect_chunks(&self) -> Result<Bytes, Error> {
        let mut reader = self.reader();
        let mut out = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| reader.poll_chunk(cx)).await {
            out.extend_from_slice(&chunk?);
        }
        Ok(Bytes::from(out))
    }

    /// The body's reader (once: an empty one after).
    pub(crate) fn reader(&self) -> Reader {
        let source = match std::mem::replace(&mut *self.body.lock(), Tap::Taken) {
            Tap::Direct(Some(raw)) => Source::Direct(Box::pin(raw.bytes_stream())),
            Tap::Tee(tee) => Source::Tee { tee, next: 0 },
            Tap::Direct(None) | Tap::Taken => Source::Done,
        };
        Reader {
            source,
            abort: self.signal.as_ref().map(until_aborted),
            timeout: self.timeout,
        }
    }
}

/// Reads a native body chunk by chunk; the caller's signal ends it with an
/// error that [`is_aborted`](Error::is_aborted), the request's timeout
/// (reqwest's, which covers the body) with one that
/// [`is_timeout`](Error::is_timeout).
pub(crate) struct Reader {
    source: Source,
    abort: Option<UntilAborted>,
    timeout: Option<Duration>,
}

enum Source {
    Direct(Raw),
    Tee { tee: Shared<Lock<Tee>>, next: usize },
    Done,
}

impl Reader {
    /// The next chunk, `None` at the end.
    pub(crate) fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Vec<u8>, Error>>> {
        if let Some(abort) = &mut self.abort {
            if Pin::new(abort).poll(cx).is_ready() {
                self.source = Source::Done;
                return Poll::Ready(Some(Err(Error::aborted(
                    "aborted by the caller's AbortSignal",
                ))));
            }
        }
        let timeout = self.timeout;
        let polled = match &mut self.source {
            Source::Done => return Poll::Ready(None),
            Source::Direct(raw) => match raw.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => None,
                Poll::Ready(Some(r)) => Some(r.map_err(|e| body_error(e, timeout))),
            },
            Source::Tee { tee, next } => match poll_tee(&mut tee.lock(), *next, timeout, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(r) => {
                    *next += 1;
                    r
                }
            },
        };
        if !matches!(polled, Some(Ok(_))) {
            self.source = Source::Done;
        }
        Poll::Ready(polled.map(|r| r.map(Vec::from)))
    }
}

/// The `next`th chunk of a tee: kept, or read now.
fn poll_tee(
    tee: &mut Tee,
    next: usize,
    timeout: Option<Duration>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Bytes, Error>>> {
    if let Some(chunk) = tee.chunks.get(next) {
        return Poll::Ready(Some(Ok(chunk.clone())));
    }
    match &tee.end {
        Some(Ok(())) => return Poll::Ready(None),
        Some(Err(e)) => return Poll::Ready(Some(Err(e.clone()))),
        None => {}
    }
    tee.wakers.register(cx.waker());
    let Some(raw) = tee.raw.as_mut() else {
        return Poll::Ready(None);
    };
    let waker = Waker::from(tee.wakers.clone());
    let polled = raw.as_mut().poll_next(&mut Context::from_waker(&waker));
    let out = match polled {
        Poll::Pending => return Poll::Pending,
        Poll::Ready(Some(Ok(chunk))) => {
            tee.chunks.push(chunk.clone());
            Some(Ok(chunk))
        }
        Poll::Ready(None) => {
            tee.end = Some(Ok(()));
            tee.raw = None;
            None
        }
        Poll::Ready(Some(Err(e))) => {
            let e = body_error(e, timeout);
            tee.end = Some(Err(e.clone()));
            tee.raw = None;
            Some(Err(e))
        }
    };
    tee.wakers.wake_by_ref();
    Poll::Ready(out)
}

/// A reqwest error while reading a body.
fn body_error(e: reqwest::Error, timeout: Option<Duration>) -> Error {
    error(e, timeout, Kind::Body)
}

/// A reqwest error as fanout's: a timeout if reqwest's timer fired, else
/// `kind` with the whole chain of causes in the message.
pub(crate) fn error(e: reqwest::Error, timeout: Option<Duration>, kind: Kind) -> Error {
    if e.is_timeout() {
        if let Some(d) = timeout {
            return Error::timeout(d);
        }
    }
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        message.push_str(": ");
        message.push_str(&c.to_string());
        cause = c.source();
    }
    Error::new(kind, message).with_source(e)
}

use std::future::Future;
