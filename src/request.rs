//! Building and sending one request.

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{select, Either};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, FormData, RequestInit};

use crate::client::{CacheMode, Client, Credentials, Redirect};
use crate::error::{Error, Kind};
use crate::headers;
use crate::response::Response;
use crate::retry::{Attempt, Retry};
use crate::sys::{self, AbortGuard, AbortReason};
use crate::{url, Method};

/// A request body, kept in a form that can be sent again on a retry.
#[derive(Clone)]
pub(crate) enum Body {
    Text(Rc<str>),
    Bytes(Rc<[u8]>),
    FormData(FormData),
}

impl Body {
    fn to_js(&self) -> JsValue {
        match self {
            Body::Text(s) => JsValue::from_str(s),
            Body::Bytes(b) => js_sys::Uint8Array::from(&b[..]).into(),
            Body::FormData(f) => f.clone().into(),
        }
    }
}

/// Everything needed to send (and re-send) one request.
#[derive(Clone)]
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: String,
    headers: Vec<(String, String)>,
    body: Option<Body>,
    timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    signal: Option<AbortSignal>,
    retry: Option<Retry>,
    max_body_size: Option<u64>,
    error_for_status: Option<bool>,
    credentials: Option<Credentials>,
    cache: Option<CacheMode>,
    redirect: Option<Redirect>,
}

/// A request being built. Made by [`Client::get`] and friends; finish it with
/// [`send`](RequestBuilder::send). The setters never fail: a bad argument is
/// kept and comes out of `send()` as an error that
/// [`is_builder`](Error::is_builder).
///
/// ```no_run
/// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
/// use std::time::Duration;
/// let resp = client
///     .get("comments")
///     .query(&[("postId", 1)])
///     .header("x-trace", "abc")
///     .timeout(Duration::from_secs(5))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until you .send().await it"]
pub struct RequestBuilder {
    client: Client,
    req: Result<Request, Error>,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.req {
            Ok(r) => f
                .debug_struct("RequestBuilder")
                .field("method", &r.method)
                .field("url", &r.url)
                .finish_non_exhaustive(),
            Err(e) => f.debug_tuple("RequestBuilder").field(e).finish(),
        }
    }
}

impl RequestBuilder {
    pub(crate) fn new(client: Client, method: Method, input: &str) -> RequestBuilder {
        let req = client
            .resolve(input)
            .and_then(|url| {
                let cfg = &client.cfg;
                if !cfg.headers.is_empty() && !cfg.cross_origin_headers {
                    if let Some(home) = client.home_origin() {
                        if url::origin(&url).as_deref() != Some(home.as_str()) {
                            return Err(Error::builder(format!(
                                "refusing to send the client's default headers to another \
                                 origin than {home} (they may hold credentials); use an URL on \
                                 {home}, or opt in with \
                                 ClientBuilder::allow_cross_origin_default_headers(true)"
                            ))
                            .with_request(method, &url));
                        }
                    }
                }
                Ok(url)
            })
            .map(|url| Request {
                method,
                url,
                headers: Vec::new(),
                body: None,
                timeout: None,
                total_timeout: None,
                signal: None,
                retry: None,
                max_body_size: None,
                error_for_status: None,
                credentials: None,
                cache: None,
                redirect: None,
            })
            .map_err(|e| {
                if e.url().is_some() {
                    e
                } else {
                    e.with_request(method, input)
                }
            });
        RequestBuilder { client, req }
    }

    fn with(mut self, f: impl FnOnce(&mut Request) -> Result<(), Error>) -> Self {
        if let Ok(req) = &mut self.req {
            if let Err(e) = f(req) {
                let e = e.with_request(req.method, &req.url);
                self.req = Err(e);
            }
        }
        self
    }

    /// Adds a header (a request's own header replaces a client default of the
    /// same name).
    pub fn header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let (name, value) = (name.into(), value.into());
        self.with(|r| {
            headers::check(&name, &value).map_err(Error::builder)?;
            r.headers.push((name, value));
            Ok(())
        })
    }

    /// Adds several headers.
    pub fn headers<N: Into<String>, V: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        for (n, v) in headers {
            self = self.header(n, v);
        }
        self
    }

    /// Appends `query`, serialized as `application/x-www-form-urlencoded`
    /// (a struct, a map, or a slice of pairs), to the URL.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// #[derive(serde::Serialize)]
    /// struct Filter { #[serde(rename = "userId")] user_id: u32 }
    /// client.get("posts").query(&Filter { user_id: 1 }).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn query<T: Serialize + ?Sized>(self, query: &T) -> Self {
        let encoded = serde_urlencoded::to_string(query);
        self.with(|r| {
            let q = encoded.map_err(|e| Error::builder(format!("query: {e}")))?;
            r.url = url::append_query(&r.url, &q);
            Ok(())
        })
    }

    fn body(self, body: Body, content_type: Option<&str>) -> Self {
        self.with(|r| {
            if let Some(ct) = content_type {
                if !headers::has(&r.headers, "content-type") {
                    r.headers.push(("content-type".into(), ct.into()));
                }
            }
            r.body = Some(body);
            Ok(())
        })
    }

    /// Sends `value` as JSON, with `content-type: application/json` unless
    /// set.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        match serde_json::to_string(value) {
            Ok(s) => self.body(Body::Text(s.into()), Some("application/json")),
            Err(e) => self.with(|_| Err(Error::builder(format!("JSON body: {e}")))),
        }
    }

    /// Sends `value` URL-encoded, with `content-type:
    /// application/x-www-form-urlencoded` unless set.
    pub fn form<T: Serialize + ?Sized>(self, value: &T) -> Self {
        match serde_urlencoded::to_string(value) {
            Ok(s) => self.body(
                Body::Text(s.into()),
                Some("application/x-www-form-urlencoded"),
            ),
            Err(e) => self.with(|_| Err(Error::builder(format!("form body: {e}")))),
        }
    }

    /// Sends text, with `content-type: text/plain;charset=UTF-8` unless set.
    pub fn text(self, text: impl Into<String>) -> Self {
        self.body(
            Body::Text(text.into().into()),
            Some("text/plain;charset=UTF-8"),
        )
    }

    /// Sends raw bytes (no content type is added).
    pub fn bytes(self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body(Body::Bytes(bytes.into().into()), None)
    }

    /// Sends a `FormData` (multipart; the browser sets the content type).
    pub fn form_data(self, form: &FormData) -> Self {
        self.body(Body::FormData(form.clone()), None)
    }

    /// A timeout for each attempt of this request, replacing the client's.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.with(|r| {
            if timeout.is_zero() {
                return Err(Error::builder("timeout must be greater than zero"));
            }
            r.timeout = Some(timeout);
            Ok(())
        })
    }

    /// A timeout across all attempts of this request, replacing the client's.
    pub fn total_timeout(self, timeout: Duration) -> Self {
        self.with(|r| {
            if timeout.is_zero() {
                return Err(Error::builder("total timeout must be greater than zero"));
            }
            r.total_timeout = Some(timeout);
            Ok(())
        })
    }

    /// Aborts the request when `signal` fires; the error then
    /// [`is_aborted`](Error::is_aborted).
    pub fn abort_signal(self, signal: &AbortSignal) -> Self {
        let signal = signal.clone();
        self.with(|r| {
            r.signal = Some(signal);
            Ok(())
        })
    }

    /// The retry policy for this request, replacing the client's.
    pub fn retry(self, retry: Retry) -> Self {
        self.with(|r| {
            retry.validate().map_err(Error::builder)?;
            r.retry = Some(retry);
            Ok(())
        })
    }

    /// The largest body this response may have, replacing the client's.
    pub fn max_body_size(self, bytes: u64) -> Self {
        self.with(|r| {
            r.max_body_size = Some(bytes);
            Ok(())
        })
    }

    /// Whether a 4xx or 5xx status is an error for this request, replacing
    /// the client's setting.
    pub fn error_for_status(self, on: bool) -> Self {
        self.with(|r| {
            r.error_for_status = Some(on);
            Ok(())
        })
    }

    /// The credentials mode for this request.
    pub fn credentials(self, mode: Credentials) -> Self {
        self.with(|r| {
            r.credentials = Some(mode);
            Ok(())
        })
    }

    /// The cache mode for this request.
    pub fn cache(self, mode: CacheMode) -> Self {
        self.with(|r| {
            r.cache = Some(mode);
            Ok(())
        })
    }

    /// The redirect mode for this request.
    pub fn redirect(self, mode: Redirect) -> Self {
        self.with(|r| {
            r.redirect = Some(mode);
            Ok(())
        })
    }

    /// The absolute URL this request goes to, or the error that building it
    /// hit.
    pub fn url(&self) -> Result<&str, &Error> {
        self.req.as_ref().map(|r| r.url.as_str())
    }

    /// Sends the request, retrying as the retry policy allows, and resolves
    /// to the response once its headers arrive. Dropping the future aborts
    /// the fetch.
    pub async fn send(self) -> Result<Response, Error> {
        let RequestBuilder { client, req } = self;
        let req = req?;
        let total = req.total_timeout.or(client.cfg.total_timeout);
        let attempts = attempt_loop(&client, &req);
        let result = match total {
            None => attempts.await,
            Some(limit) => {
                let attempts = std::pin::pin!(attempts);
                match select(attempts, sys::sleep(limit)).await {
                    Either::Left((r, _)) => r,
                    Either::Right(_) => Err(Error::new(
                        Kind::Timeout,
                        format!("total timeout of {} ms elapsed", limit.as_millis() as u64),
                    )),
                }
            }
        };
        let resp = result.map_err(|e| e.with_request(req.method, &req.url))?;
        if req.error_for_status.unwrap_or(client.cfg.error_for_status) {
            resp.error_for_status()
        } else {
            Ok(resp)
        }
    }
}

async fn attempt_loop(client: &Client, req: &Request) -> Result<Response, Error> {
    let retry = req.retry.as_ref().unwrap_or(&client.cfg.retry);
    let mut attempt = 1;
    loop {
        let result = attempt_once(client, req, attempt).await;
        // The common case (a final answer) costs no further calls into JS:
        // headers, the clock and the random source are read only when a
        // retry is possible.
        let settled = attempt > retry.max_retries()
            || !req.method.is_idempotent()
            || matches!(&result, Ok(resp) if !retry.retries_status(resp.status()));
        if settled {
            return result.map_err(|e| e.with_attempts(attempt));
        }
        let retry_after = match &result {
            Ok(resp) => resp.headers().get("retry-after"),
            Err(_) => None,
        };
        let seen = match &result {
            Ok(resp) => Attempt::Status(resp.status(), retry_after.as_deref()),
            Err(e) if e.is_network() => Attempt::Network,
            Err(e) if e.is_timeout() => Attempt::Timeout,
            Err(_) => Attempt::Final,
        };
        match retry.decide(req.method, attempt, seen, sys::epoch_ms(), sys::random()) {
            None => return result.map_err(|e| e.with_attempts(attempt)),
            Some(delay) => {
                // Dropping the response frees its connection before the wait.
                drop(result);
                sys::sleep(delay).await;
                attempt += 1;
            }
        }
    }
}

/// Classifies a rejection from fetch or a body read: a timeout or the
/// caller's signal if the abort guard fired, else `fallback`.
pub(crate) fn classify(guard: &AbortGuard, js: &JsValue, fallback: Kind) -> Error {
    match guard.reason() {
        Some(AbortReason::Timeout(d)) => Error::timeout(d),
        Some(AbortReason::Signal) => {
            Error::new(Kind::Aborted, "aborted by the caller's AbortSignal")
        }
        None => Error::new(fallback, sys::js_message(js)),
    }
}

async fn attempt_once(client: &Client, req: &Request, attempt: u32) -> Result<Response, Error> {
    let cfg = &client.cfg;
    let permits = client.acquire(&req.url).await;
    let js_err =
        |what: &str, e: JsValue| Error::builder(format!("{what}: {}", sys::js_message(&e)));
    let guard = AbortGuard::new(req.timeout.or(cfg.timeout), req.signal.as_ref())
        .map_err(|e| js_err("AbortController", e))?;

    // Each setter is a call into JS: set only what differs from fetch's
    // defaults.
    let init = RequestInit::new();
    if req.method != Method::Get {
        init.set_method(req.method.as_str());
    }
    let merged = headers::merge(&cfg.headers, &req.headers);
    if !merged.is_empty() {
        let h = web_sys::Headers::new().map_err(|e| js_err("Headers", e))?;
        for (name, value) in merged {
            h.append(&name, &value)
                .map_err(|e| js_err(&format!("header \"{name}\""), e))?;
        }
        init.set_headers(&h);
    }
    if let Some(body) = &req.body {
        init.set_body(&body.to_js());
    }
    init.set_signal(Some(&guard.signal()));
    if let Some(c) = req.credentials.or(cfg.credentials) {
        init.set_credentials(c.raw());
    }
    if let Some(c) = req.cache.or(cfg.cache) {
        init.set_cache(c.raw());
    }
    if let Some(r) = req.redirect.or(cfg.redirect) {
        init.set_redirect(r.raw());
    }

    let started_ms = sys::now_ms();
    let promise = sys::fetch(&req.url, &init).map_err(|e| js_err("fetch", e))?;
    match JsFuture::from(promise).await {
        Ok(raw) => Ok(Response::new(
            raw.unchecked_into(),
            req.method,
            req.url.clone(),
            guard,
            permits,
            attempt,
            started_ms,
            req.max_body_size.or(cfg.max_body_size),
        )),
        Err(e) => Err(classify(&guard, &e, Kind::Network)),
    }
}
