//! [`Transport`]: the last layer of the pipeline, the one that sends; and
//! [`Fetch`], the default, over the platform's `fetch`.

use futures_util::future::LocalBoxFuture;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::RequestInit;

use crate::error::{Error, Kind};
use crate::method::Method;
use crate::request::Request;
use crate::response::{classify, Response};
use crate::sys::{self, AbortGuard};

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
/// use fanout::{Error, Request, Response, Transport};
/// use futures_util::future::LocalBoxFuture;
///
/// /// Answers every request with its own URL.
/// struct Echo;
///
/// impl Transport for Echo {
///     fn send<'a>(&'a self, req: &'a Request) -> LocalBoxFuture<'a, Result<Response, Error>> {
///         Box::pin(async move { Ok(Response::new(200, req.url().to_owned())) })
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let client = fanout::Client::builder().base_url("http://api.test/").transport(Echo).build()?;
/// assert_eq!(client.get("x").send().await?.text().await?, "http://api.test/x");
/// # Ok::<_, Error>(()) }).unwrap();
/// ```
pub trait Transport: 'static {
    /// Sends one request (one attempt: retries call it again).
    fn send<'a>(&'a self, req: &'a Request) -> LocalBoxFuture<'a, Result<Response, Error>>;

    /// Whether this transport enforces the request's `timeout` itself
    /// (default: no, and the pipeline does it around [`send`](Transport::send)).
    fn handles_timeouts(&self) -> bool {
        false
    }
}

/// The default transport: the platform's global `fetch`, in a Window, a
/// Web Worker or Node.js. Each attempt gets an `AbortController`, aborted
/// when the attempt's future or its response is dropped, when the
/// request's `timeout` fires (also while the body is read) or when the
/// caller's `AbortSignal` fires.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fetch;

impl Transport for Fetch {
    fn send<'a>(&'a self, req: &'a Request) -> LocalBoxFuture<'a, Result<Response, Error>> {
        Box::pin(fetch(req))
    }

    fn handles_timeouts(&self) -> bool {
        true
    }
}

/// One attempt over `fetch`. The pipeline calls this directly (no boxed
/// future) when the client has the default transport.
pub(crate) async fn fetch(req: &Request) -> Result<Response, Error> {
    let js_err = |what: &str, e: JsValue| {
        let cause = sys::js_error(&e);
        Error::builder(format!("{what}: {}", cause.message())).with_source(cause)
    };
    let guard = AbortGuard::new(req.options.timeout, req.signal.as_ref())
        .map_err(|e| js_err("AbortController", e))?;

    // Each setter is a call into JS: set only what differs from fetch's
    // defaults.
    let init = RequestInit::new();
    if req.method != Method::Get {
        init.set_method(req.method.as_str());
    }
    if !req.headers.is_empty() {
        let h = web_sys::Headers::new().map_err(|e| js_err("Headers", e))?;
        for (name, value) in &req.headers {
            h.append(name, value)
                .map_err(|e| js_err(&format!("header \"{name}\""), e))?;
        }
        init.set_headers(&h);
    }
    if let Some(body) = &req.body {
        init.set_body(&body.to_js());
        if body.is_stream() {
            // A streamed request body must say so (the Fetch standard).
            let _ = js_sys::Reflect::set(&init, &"duplex".into(), &"half".into());
        }
    }
    init.set_signal(Some(&guard.signal()));
    let o = &req.options;
    if let Some(c) = o.credentials {
        init.set_credentials(sys::credentials(c));
    }
    if let Some(c) = o.cache {
        init.set_cache(sys::cache_mode(c));
    }
    if let Some(r) = o.redirect {
        init.set_redirect(sys::redirect(r));
    }

    let started_ms = sys::now_ms();
    let promise = sys::fetch(&req.url, &init).map_err(|e| js_err("fetch", e))?;
    match JsFuture::from(promise).await {
        Ok(raw) => Ok(Response::from_fetch(
            raw.unchecked_into(),
            guard,
            req.method,
            req.url.clone(),
            started_ms,
        )),
        Err(e) => Err(classify(&guard, &e, Kind::Network)),
    }
}
