//! The default transport natively: reqwest (hyper, HTTP/1.1 and HTTP/2 by
//! ALPN, rustls with ring). One reqwest client (a connection pool) per
//! fanout client and redirect mode, made on first use.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use futures_util::future::{select, Either};

use crate::error::{Error, Kind};
#[cfg(feature = "upload")]
use crate::progress::{ProgressFn, Reporter};
use crate::request::{Body, Request};
use crate::response::{native, Response};
use crate::sys;
use crate::Redirect;

/// The TLS settings of a client's native transport
/// (`ClientBuilder::add_root_certificate`,
/// `ClientBuilder::danger_accept_invalid_certs`).
#[derive(Clone, Debug, Default)]
pub(crate) struct TlsConfig {
    pub(crate) roots: Vec<Vec<u8>>,
    pub(crate) accept_invalid_certs: bool,
}

/// The default transport: see the wasm one's docs, in `transport.rs`.
#[derive(Clone, Debug, Default)]
pub struct Fetch {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    tls: TlsConfig,
    /// Follow, error, manual.
    clients: [OnceLock<Result<reqwest::Client, Error>>; 3],
}

impl Fetch {
    /// A transport with these TLS settings.
    pub(crate) fn with_tls(tls: TlsConfig) -> Fetch {
        Fetch {
            inner: Arc::new(Inner {
                tls,
                clients: Default::default(),
            }),
        }
    }

    /// The reqwest client of a redirect mode.
    fn client(&self, redirect: Redirect) -> Result<&reqwest::Client, Error> {
        let i = match redirect {
            Redirect::Follow => 0,
            Redirect::Error => 1,
            Redirect::Manual => 2,
        };
        self.inner.clients[i]
            .get_or_init(|| build(&self.inner.tls, redirect))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// One attempt (the pipeline calls this directly: no boxed future).
    pub(crate) fn call<'a>(
        &'a self,
        req: &'a Request,
    ) -> impl Future<Output = Result<Response, Error>> + Send + 'a {
        async move {
            if req.signal.as_ref().is_some_and(sys::AbortSignal::aborted) {
                return Err(Error::aborted("aborted by the caller's AbortSignal"));
            }
            let client = self.client(req.options.redirect.unwrap_or(Redirect::Follow))?;
            let started_ms = sys::now_ms();
            let send = request(client, req)?.send();
            let timeout = req.options.timeout;
            let result = match &req.signal {
                None => send.await,
                Some(signal) => match select(Box::pin(send), sys::until_aborted(signal)).await {
                    Either::Left((r, _)) => r,
                    Either::Right(_) => {
                        return Err(Error::aborted("aborted by the caller's AbortSignal"))
                    }
                },
            };
            let raw = result.map_err(|e| {
                if e.is_redirect() {
                    Error::network("redirect refused: the request's redirect mode is \"error\"")
                        .with_source(e)
                } else {
                    native::error(e, timeout, Kind::Network)
                }
            })?;
            let body = native::NativeBody::new(raw, timeout, req.signal.clone());
            Ok(Response::from_native(
                body,
                req.method,
                req.url.clone(),
                started_ms,
            ))
        }
    }
}

/// A reqwest client for one redirect mode (as the Fetch standard: at most
/// 20 redirects; `Authorization` dropped on a redirect to another host).
fn build(tls: &TlsConfig, redirect: Redirect) -> Result<reqwest::Client, Error> {
    let policy = match redirect {
        Redirect::Follow => reqwest::redirect::Policy::limited(20),
        Redirect::Error => reqwest::redirect::Policy::custom(|a| a.error("redirect mode is error")),
        Redirect::Manual => reqwest::redirect::Policy::none(),
    };
    let mut b = reqwest::Client::builder()
        .redirect(policy)
        .danger_accept_invalid_certs(tls.accept_invalid_certs);
    for pem in &tls.roots {
        let cert = reqwest::Certificate::from_pem(pem)
            .map_err(|e| Error::builder(format!("root certificate: {e}")).with_source(e))?;
        b = b.add_root_certificate(cert);
    }
    b.build()
        .map_err(|e| Error::builder(format!("native HTTP client: {e}")).with_source(e))
}

/// The reqwest request of `req`.
fn request(client: &reqwest::Client, req: &Request) -> Result<reqwest::RequestBuilder, Error> {
    let method = reqwest::Method::from_bytes(req.method.as_str().as_bytes())
        .map_err(|e| Error::builder(format!("method: {e}")))?;
    let mut b = client.request(method, &req.url);
    for (name, value) in &req.headers {
        b = b.header(name, value);
    }
    if let Some(d) = req.options.timeout {
        b = b.timeout(d);
    }
    if let Some(body) = &req.body {
        b = b.body(body_of(req, body)?);
    }
    Ok(b)
}

/// The reqwest body of `body`: its bytes, its stream, or (with an upload
/// progress callback) its bytes streamed in chunks, reported as taken.
fn body_of(req: &Request, body: &Body) -> Result<reqwest::Body, Error> {
    #[cfg(feature = "upload")]
    if let (Some(f), Some(bytes)) = (&req.upload_progress, body.as_bytes()) {
        return Ok(counted(bytes.to_vec(), f.clone()));
    }
    #[cfg(not(feature = "upload"))]
    let _ = req;
    if let Some(bytes) = body.as_bytes() {
        return Ok(reqwest::Body::from(bytes.to_vec()));
    }
    match body.take_stream() {
        Some(stream) => Ok(reqwest::Body::wrap_stream(stream)),
        None => Err(Error::builder(
            "the request's stream body was already sent (a stream is sent once)",
        )),
    }
}

/// How much of a body goes in one chunk of an upload with progress.
#[cfg(feature = "upload")]
const CHUNK: usize = 64 * 1024;

/// `bytes` as a stream of [`CHUNK`]s that reports each one to `f` as the
/// connection takes the next (and the whole body at the end).
#[cfg(feature = "upload")]
fn counted(bytes: Vec<u8>, f: ProgressFn) -> reqwest::Body {
    let size = bytes.len() as u64;
    let mut reporter = Reporter::new(f, Some(size));
    let mut offset = 0;
    let mut last = 0;
    let chunks = futures_util::stream::poll_fn(move |_| {
        if last > 0 {
            reporter.advance(last as u64, sys::now_ms());
        }
        if offset >= bytes.len() {
            reporter.finish();
            return std::task::Poll::Ready(None);
        }
        let end = (offset + CHUNK).min(bytes.len());
        let chunk = bytes[offset..end].to_vec();
        (last, offset) = (end - offset, end);
        std::task::Poll::Ready(Some(Ok::<_, std::io::Error>(chunk)))
    });
    reqwest::Body::wrap_stream(chunks)
}
