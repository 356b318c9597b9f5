//! [`Transport`]: the last layer of the pipeline, the one that sends; and
//! [`Fetch`], the default: the platform's `fetch` on wasm (`web.rs`),
//! reqwest natively (`native.rs`).

use crate::error::Error;
use crate::request::Request;
use crate::response::Response;
use crate::sync::{BoxFuture, MaybeSend, MaybeSync};

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::TlsConfig;

/// What sends a [`Request`] and gives back its [`Response`]: the last
/// layer of a client's pipeline. The default is [`Fetch`];
/// [`ClientBuilder::transport`](crate::ClientBuilder::transport) replaces
/// it, for example with `mock::MockTransport` (feature `mock`) in
/// tests.
///
/// The request a transport gets is final: its URL is absolute, the
/// client's default headers and options are merged in. Dropping the
/// returned future must cancel the exchange.
///
/// Timeouts: unless [`handles_timeouts`](Transport::handles_timeouts)
/// says otherwise, the pipeline races the transport against the request's
/// `timeout` and drops it when the time is up, so a transport that hangs
/// still times out. [`Fetch`] handles them itself, so that the timeout also
/// covers reading the body.
///
/// ```
/// use fanout::{BoxFuture, Error, Request, Response, Transport};
///
/// /// Answers every request with its own URL.
/// struct Echo;
///
/// impl Transport for Echo {
///     fn send<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<Response, Error>> {
///         Box::pin(async move { Ok(Response::new(200, req.url().to_owned())) })
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let client = fanout::Client::builder().base_url("http://api.test/").transport(Echo).build()?;
/// assert_eq!(client.get("x").send().await?.text().await?, "http://api.test/x");
/// # Ok::<_, Error>(()) }).unwrap();
/// ```
pub trait Transport: MaybeSend + MaybeSync + 'static {
    /// Sends one request (one attempt: retries call it again).
    fn send<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<Response, Error>>;

    /// Whether this transport enforces the request's `timeout` itself
    /// (default: no, and the pipeline does it around [`send`](Transport::send)).
    fn handles_timeouts(&self) -> bool {
        false
    }
}

/// The default transport. On wasm, the platform's global `fetch`, in a
/// Window, a Web Worker or Node.js: each attempt gets an
/// `AbortController`, aborted when the attempt's future or its response
/// is dropped, when the request's `timeout` fires (also while the body is
/// read) or when the caller's `AbortSignal` fires. A request with an
/// upload-progress callback takes another path where the platform needs
/// it: `XMLHttpRequest` in browsers, a streamed body in Node.js (see
/// `RequestBuilder::on_upload_progress` (feature `upload`)).
///
/// Natively, reqwest (hyper: HTTP/1.1, and HTTP/2 by ALPN over rustls),
/// with one connection pool per client (and redirect mode). The same
/// rules hold: the `timeout` covers the exchange until the body is read,
/// dropping a future or a response cancels its exchange, the caller's
/// [`AbortSignal`](crate::AbortSignal) aborts it. The browser-only
/// options, `credentials` and `cache`, do not apply natively (there is no
/// cookie jar or HTTP cache); `Redirect::Manual` gives the 3xx response
/// itself (a browser gives an opaque one).
#[cfg(target_arch = "wasm32")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Fetch;

#[cfg(target_arch = "wasm32")]
impl Fetch {
    /// One attempt (the pipeline calls this directly: no boxed future).
    pub(crate) fn call<'a>(
        &self,
        req: &'a Request,
    ) -> impl std::future::Future<Output = Result<Response, Error>> + 'a {
        web::fetch(req)
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::Fetch;

impl Transport for Fetch {
    fn send<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(self.call(req))
    }

    fn handles_timeouts(&self) -> bool {
        true
    }
}
