//! The default transport natively: reqwest (hyper, HTTP/1.1 and HTTP/2 by
//! ALPN, rustls with ring). One reqwest client (a connection pool) per
//! fanout client and redirect mode, made on first use.

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

/// The default transport natively: reqwest (hyper: HTTP/1.1, and HTTP/2
/// by ALPN over rustls), with one connection pool per client and redirect
/// mode. The request's `timeout` covers the exchange until the body is
/// read; dropping a future or a response cancels its exchange (the
/// connection is closed, or the HTTP/2 stream reset); the caller's
/// [`AbortSignal`](crate::AbortSignal) aborts it. `credentials` and
/// `cache` do not apply (there is no cookie jar or HTTP cache), and
/// `Redirect::Manual` gives the 3xx response itself. In browsers and
/// Node.js the default transport is the platform's `fetch`.
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
    pub(crate) async fn call(&self, req: &Request) -> Result<Response, Error> {
        if req.signal.as_ref().is_some_and(sys::AbortSignal::aborted) {
            return Err(Error::aborted("aborted by the caller's AbortSignal"));
        }
        let redirect = req.options.redirect.unwrap_or(Redirect::Follow);
        let client = self.client(redirect)?;
        let started_ms = sys::now_ms();
        let timeout = req.options.timeout;
        let mut url = req.url.clone();
        let mut hops = 0;
        let raw = loop {
            let raw = exchange(client, req, &url).await?;
            // reqwest cannot send a streamed body again, so it hands
            // back a 307 or 308 to a counted upload: follow it here, as
            // a browser does, with the bytes counted again.
            match resent_to(req, redirect, &raw) {
                Some(next) if hops < 20 => {
                    hops += 1;
                    url = next;
                }
                _ => break raw,
            }
        };
        let body = native::NativeBody::new(raw, timeout, req.signal.clone());
        Ok(Response::from_native(
            body,
            req.method,
            req.url.clone(),
            started_ms,
        ))
    }
}

/// One exchange of `req` with `url`, until the response's head: the
/// caller's signal aborts it.
async fn exchange(
    client: &reqwest::Client,
    req: &Request,
    url: &str,
) -> Result<reqwest::Response, Error> {
    let (builder, counter) = request(client, req, url)?;
    let send = builder.send();
    let result = match &req.signal {
        None => send.await,
        Some(signal) => match select(Box::pin(send), sys::until_aborted(signal)).await {
            Either::Left((r, _)) => r,
            Either::Right(_) => return Err(Error::aborted("aborted by the caller's AbortSignal")),
        },
    };
    #[cfg(feature = "upload")]
    if let (Ok(_), Some(counter)) = (&result, counter) {
        counter.lock().unwrap_or_else(|e| e.into_inner()).finish();
    }
    #[cfg(not(feature = "upload"))]
    let _ = counter;
    result.map_err(|e| {
        if e.is_redirect() {
            Error::network("redirect refused: the request's redirect mode is \"error\"")
                .with_source(e)
        } else {
            native::error(e, req.options.timeout, Kind::Network)
        }
    })
}

/// Where a counted upload answered with a 307 or 308 goes next (with
/// redirects followed), if it does.
fn resent_to(req: &Request, redirect: Redirect, raw: &reqwest::Response) -> Option<String> {
    #[cfg(feature = "upload")]
    if req.upload_progress.is_some()
        && redirect == Redirect::Follow
        && matches!(raw.status().as_u16(), 307 | 308)
    {
        let location = raw.headers().get("location")?.to_str().ok()?;
        return raw.url().join(location).ok().map(String::from);
    }
    let _ = (req, redirect, raw);
    None
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
fn request(
    client: &reqwest::Client,
    req: &Request,
    url: &str,
) -> Result<(reqwest::RequestBuilder, Option<Counter>), Error> {
    let method = reqwest::Method::from_bytes(req.method.as_str().as_bytes())
        .map_err(|e| Error::builder(format!("method: {e}")))?;
    let mut b = client.request(method, url);
    for (name, value) in &req.headers {
        b = b.header(name, value);
    }
    if let Some(d) = req.options.timeout {
        b = b.timeout(d);
    }
    if let Some(body) = &req.body {
        #[cfg(feature = "upload")]
        if let (Some(_), Some(bytes)) = (&req.upload_progress, body.as_bytes()) {
            // A counted upload is streamed: say its length, as fetch does.
            b = b.header("content-length", bytes.len());
        }
        let (body, counter) = body_of(req, body)?;
        return Ok((b.body(body), counter));
    }
    Ok((b, None))
}

/// Without the `upload` feature nothing is counted.
#[cfg(not(feature = "upload"))]
type Counter = std::convert::Infallible;

/// The reqwest body of `body`: its bytes, its stream, or (with an upload
/// progress callback) its bytes streamed in chunks, reported as taken.
fn body_of(req: &Request, body: &Body) -> Result<(reqwest::Body, Option<Counter>), Error> {
    #[cfg(feature = "upload")]
    if let (Some(f), Some(bytes)) = (&req.upload_progress, body.as_bytes()) {
        let (body, counter) = counted(bytes.to_vec(), f.clone());
        return Ok((body, Some(counter)));
    }
    #[cfg(not(feature = "upload"))]
    let _ = req;
    if let Some(bytes) = body.as_bytes() {
        return Ok((reqwest::Body::from(bytes.to_vec()), None));
    }
    match body.take_stream() {
        Some(stream) => Ok((reqwest::Body::wrap_stream(stream), None)),
        None => Err(Error::builder(
            "the request's stream body was already sent (a stream is sent once)",
        )),
    }
}

/// How much of a body goes in one chunk of an upload with progress.
#[cfg(feature = "upload")]
const CHUNK: usize = 64 * 1024;

/// The progress of a counted upload: each chunk is counted once the
/// connection asks for the next, and the last once the response's head
/// arrives (the server had it all; hyper stops asking at the length).
#[cfg(feature = "upload")]
pub(crate) struct Counted {
    reporter: Reporter,
    /// Bytes handed to the connection and not yet counted.
    pending: u64,
}

#[cfg(feature = "upload")]
impl Counted {
    fn count_pending(&mut self) {
        if self.pending > 0 {
            self.reporter.advance(self.pending, sys::now_ms());
            self.pending = 0;
        }
    }

    /// The body was taken whole.
    pub(crate) fn finish(&mut self) {
        self.count_pending();
        self.reporter.finish();
    }
}

/// A shared [`Counted`].
#[cfg(feature = "upload")]
pub(crate) type Counter = Arc<std::sync::Mutex<Counted>>;

/// `bytes` as a stream of [`CHUNK`]s counted into `f` (see [`Counted`]).
#[cfg(feature = "upload")]
fn counted(bytes: Vec<u8>, f: ProgressFn) -> (reqwest::Body, Counter) {
    let size = bytes.len() as u64;
    let counter = Arc::new(std::sync::Mutex::new(Counted {
        reporter: Reporter::new(f, Some(size)),
        pending: 0,
    }));
    let state = counter.clone();
    let mut offset = 0;
    let chunks = futures_util::stream::poll_fn(move |_| {
        let mut c = state.lock().unwrap_or_else(|e| e.into_inner());
        c.count_pending();
        if offset >= bytes.len() {
            c.finish();
            return std::task::Poll::Ready(None);
        }
        let end = (offset + CHUNK).min(bytes.len());
        let chunk = bytes[offset..end].to_vec();
        c.pending = (end - offset) as u64;
        offset = end;
        std::task::Poll::Ready(Some(Ok::<_, std::io::Error>(chunk)))
    });
    (reqwest::Body::wrap_stream(chunks), counter)
}
