//! The request pipeline a client runs every request through, outermost
//! first:
//!
//! 1. **prepare**: the URL joined onto the base URL, the client's
//!    [`Options`] merged under the request's, the cross-origin guard for
//!    default headers, then the default headers merged under the
//!    request's own; the client's [`Hooks`] before the request's; then the
//!    `before_request` hooks (and, around everything, `before_error`);
//! 2. **total timeout** (`total_timeout`), across everything below;
//! 3. **error for status** (`error_for_status`): a 4xx/5xx that comes out
//!    of the layers below becomes an error;
//! 4. the user's [`Middleware`] layers, in the order added;
//! 5. **dedupe** (opt-in): identical concurrent GET/HEAD requests share
//!    one flight of the layers below;
//! 6. **retry**: attempts as the [`Retry`](crate::Retry) policy allows,
//!    with the `after_response` and `before_retry` hooks;
//! 7. **limits**: a place under `limit_per_host`, then under `limit`, held
//!    until the body is read;
//! 8. **attempt timeout** (`timeout`), unless the transport enforces it;
//! 9. the [`Transport`]: [`Fetch`](crate::Fetch) unless replaced.
//!
//! The built-in layers are plain async functions calling each other
//! (static dispatch, one state machine): with no user middleware and the
//! default transport, a request allocates no boxed future of its own.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
#[cfg(feature = "retry")]
use std::time::Duration;

use futures_util::future::{select, Either};

use crate::error::{Error, Kind};
use crate::headers;
#[cfg(feature = "limit")]
use crate::limit::{Permit, Semaphore};
#[cfg(feature = "middleware")]
use crate::middleware::{Endpoint, Middleware, Next};
use crate::options::Options;
#[cfg(feature = "hooks")]
use crate::request::{Action, Hook};
use crate::request::{Hooks, Request};
use crate::response::Response;
#[cfg(feature = "retry")]
use crate::retry::{Attempt, Retry};
#[cfg(feature = "middleware")]
use crate::sync::BoxFuture;
#[cfg(feature = "limit")]
use crate::sync::Lock;
use crate::sync::Shared;
#[cfg(feature = "dedupe")]
use crate::sync::WeakShared;
use crate::sys;
use crate::transport::{Fetch, Transport};
use crate::url::{self, Base};

/// Whether hooks can be set (feature `hooks`): without it their calls
/// are left out of the wasm.
const HOOKS: bool = cfg!(feature = "hooks");

#[cfg(feature = "dedupe")]
mod dedupe;
#[cfg(feature = "dedupe")]
use dedupe::{dedupable, Flights};

/// One semaphore per origin, for `limit_per_host`.
#[cfg(feature = "limit")]
type HostLimits = Vec<(String, Semaphore)>;

/// A client's settings and layers: everything [`Client`](crate::Client)
/// shares between its clones.
pub(crate) struct Pipeline {
    pub(crate) base: Option<Base>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) options: Options,
    pub(crate) cross_origin_headers: bool,
    #[cfg(feature = "limit")]
    pub(crate) limit: Option<Semaphore>,
    /// The per-origin limit and one semaphore per origin seen (a few: a
    /// linear scan beats a hash map here, in time and in wasm size).
    #[cfg(feature = "limit")]
    pub(crate) per_host: Option<(usize, Lock<HostLimits>)>,
    #[cfg(feature = "middleware")]
    pub(crate) middleware: Vec<Shared<dyn Middleware>>,
    /// `None`: [`Fetch`](crate::Fetch), called without dynamic dispatch.
    pub(crate) transport: Option<Shared<dyn Transport>>,
    /// The default transport (natively, its connection pools).
    pub(crate) fetch: Fetch,
    pub(crate) hooks: Hooks,
    /// Recording and replaying (feature `snapshot`), when either is on.
    #[cfg(feature = "snapshot")]
    pub(crate) tape: Option<crate::snapshot::Tape>,
    /// `Some` when dedupe is on.
    #[cfg(feature = "dedupe")]
    pub(crate) dedupe: Option<Flights>,
    /// The `Rc` this pipeline lives in, for work that must own it (a
    /// deduplicated request's flight outlives any one caller).
    #[cfg(feature = "dedupe")]
    pub(crate) me: WeakShared<Pipeline>,
}

impl Pipeline {
    /// Resolves `input` the way a request would (see [the joining
    /// rule](crate#joining-urls)), or says why it can't.
    pub(crate) fn resolve(&self, input: &str) -> Result<String, Error> {
        let url = if let Some(base) = &self.base {
            // Most requests: a plain path under the base (or an absolute
            // URL of one), joined without asking the platform.
            let rest = input.strip_prefix(base.url.as_str()).unwrap_or(input);
            if let Some(url) = url::join_plain(base, rest) {
                return Ok(url);
            }
            url::resolve(Some(&base.url), input)
        } else {
            let href = sys::location_href();
            if href.is_none() && !url::is_absolute(input) {
                return Err(Error::builder(format!(
                    "relative URL \"{input}\" needs a base URL: set ClientBuilder::base_url \
                     (there is no page location to resolve it against here)"
                )));
            }
            url::resolve(href.as_deref(), input)
        };
        url.map_err(Error::builder)
    }

    /// The origin requests of this client belong to: the base URL's, or
    /// without one the page's.
    pub(crate) fn home_origin(&self) -> Option<String> {
        match &self.base {
            Some(b) => Some(b.origin.clone()),
            None => sys::location_href().and_then(|h| url::origin(&h)),
        }
    }

    /// Runs `req` through the whole pipeline.
    // Not an `async fn`: that would keep `req` twice in the future (see
    // ARCHITECTURE.md, "Features"), in every request's memory.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn execute(
        &self,
        mut req: Request,
    ) -> impl Future<Output = Result<Response, Error>> + '_ {
        async move {
            if HOOKS && !self.hooks.is_empty() {
                let own = std::mem::take(&mut req.hooks);
                req.hooks = self.hooks.clone();
                req.hooks.extend(&own);
            }
            // Awaits of hooks are `#[cfg]`'d, not `if HOOKS`: a state machine
            // keeps every await point it is given.
            #[cfg(feature = "hooks")]
            let before_error =
                (!req.hooks.before_error.is_empty()).then(|| req.hooks.before_error.clone());
            // One await of `run`, so that it is in the wasm once.
            let result = self.run(req).await;
            #[cfg(feature = "hooks")]
            if let Some(hooks) = before_error {
                return match result {
                    Err(mut e) => {
                        for hook in &hooks {
                            e = match hook {
                                Hook::Sync(f) => f(e),
                                Hook::Async(f) => f(e).await,
                            };
                        }
                        Err(e)
                    }
                    ok => ok,
                };
            }
            result
        }
    }

    /// The pipeline from `prepare` on.
    // Not an `async fn`: that would keep `req` twice in the future (see
    // ARCHITECTURE.md, "Features"), in every request's memory.
    #[allow(clippy::manual_async_fn)]
    fn run(&self, mut req: Request) -> impl Future<Output = Result<Response, Error>> + '_ {
        async move {
            if let Err(e) = self.prepare(&mut req) {
                return Err(e.or_request(req.method, &req.url));
            }
            #[cfg(feature = "hooks")]
            {
                for i in 0..req.hooks.before_request.len() {
                    let (method, url) = (req.method, req.url.clone());
                    let result = match req.hooks.before_request[i].clone() {
                        Hook::Sync(f) => f(&mut req).map(|()| req),
                        Hook::Async(f) => f(req).await,
                    };
                    req = result.map_err(|e| e.or_request(method, &url))?;
                }
            }
            let total = req.options.total_timeout;
            let error_for_status = req.options.error_for_status.unwrap_or(false);
            // Errors made by user layers or the total timeout get the request's
            // method and URL here; the layers below name it themselves.
            let context =
                (total.is_some() || self.has_middleware()).then(|| (req.method, req.url.clone()));
            let layers = async move {
                #[cfg(feature = "middleware")]
                if !self.middleware.is_empty() {
                    return Next::new(&self.middleware, self).run(req).await;
                }
                self.inner(req).await
            };
            let result = within(layers, total).await;
            let mut resp = result.map_err(|e| match &context {
                Some((method, url)) => e.or_request(*method, url),
                None => e,
            })?;
            if let Some((method, url)) = &context {
                // A response a user layer made itself.
                resp.set_request(*method, url);
            }
            if error_for_status {
                resp.error_for_status()
            } else {
                Ok(resp)
            }
        }
    }

    /// Whether the client has user middleware.
    fn has_middleware(&self) -> bool {
        #[cfg(feature = "middleware")]
        return !self.middleware.is_empty();
        #[cfg(not(feature = "middleware"))]
        false
    }

    /// The layers below the user's: dedupe, then retries.
    // Not an `async fn`: that would keep `req` twice in the future (see
    // ARCHITECTURE.md, "Features"), in every request's memory.
    #[allow(clippy::manual_async_fn)]
    fn inner(&self, req: Request) -> impl Future<Output = Result<Response, Error>> + '_ {
        async move {
            #[cfg(feature = "dedupe")]
            if let Some(flights) = self.dedupe.as_ref().filter(|_| dedupable(&req)) {
                return self.deduped(flights, req).await;
            }
            self.retrying(req).await
        }
    }

    /// The client's part of a request: URL, options, default headers.
    fn prepare(&self, req: &mut Request) -> Result<(), Error> {
        if !req.url_checked {
            // Else resolved by the builder (and only given a query since).
            req.url = self.resolve(&req.url)?;
        }
        req.options.validate()?;
        req.options = std::mem::take(&mut req.options).merged_over(&self.options);
        if !self.headers.is_empty() {
            if !self.cross_origin_headers {
                if let Some(home) = self.home_origin() {
                    if url::origin(&req.url).as_deref() != Some(home.as_str()) {
                        return Err(Error::builder(format!(
                            "refusing to send the client's default headers to another \
                             origin than {home} (they may hold credentials); use an URL on \
                             {home}, or opt in with \
                             ClientBuilder::allow_cross_origin_default_headers(true)"
                        )));
                    }
                }
            }
            req.headers = headers::merge(&self.headers, &req.headers);
        }
        Ok(())
    }

    /// Without the retry layer: one attempt, seen by the `after_response`
    /// hooks (an [`Action::Retry`] keeps the response).
    #[cfg(not(feature = "retry"))]
    // Not an `async fn`: that would keep `req` twice in the future (see
    // ARCHITECTURE.md, "Features"), in every request's memory.
    #[allow(clippy::manual_async_fn)]
    fn retrying(&self, req: Request) -> impl Future<Output = Result<Response, Error>> + '_ {
        async move {
            let result = self.attempt(&req, 1).await;
            #[cfg(feature = "hooks")]
            let result = match result {
                Ok(resp) if !req.hooks.after_response.is_empty() => {
                    after_response(&req, resp).await.map(|(r, _)| r)
                }
                other => other,
            };
            finish(&req, result, 1)
        }
    }

    /// The retry layer: attempts until one settles.
    #[cfg(feature = "retry")]
    #[cfg_attr(not(feature = "hooks"), allow(unused_mut))]
    // Not an `async fn`: that would keep `req` twice in the future (see
    // ARCHITECTURE.md, "Features"), in every request's memory.
    #[allow(clippy::manual_async_fn)]
    fn retrying(&self, mut req: Request) -> impl Future<Output = Result<Response, Error>> + '_ {
        async move {
            let retry = req.options.retry.clone().unwrap_or_default();
            let resendable = !req.body.as_ref().is_some_and(|b| b.is_stream());
            let retryable = resendable && req.method.is_idempotent();
            let mut attempt = 1;
            loop {
                let mut result = self.attempt(&req, attempt).await;
                let mut forced = false;
                #[cfg(feature = "hooks")]
                if !req.hooks.after_response.is_empty() {
                    if let Ok(resp) = result {
                        let (resp, retry_asked) = match after_response(&req, resp).await {
                            Ok(r) => r,
                            Err(e) => return finish(&req, Err(e), attempt),
                        };
                        forced = retry_asked && resendable;
                        result = Ok(resp);
                    }
                }
                // The common case (a final answer) costs no further calls into
                // JS: headers, the clock and the random source are read only
                // when a retry is possible.
                let settled = attempt > retry.max_retries()
                    || !(retryable || forced)
                    || (!forced
                        && matches!(&result, Ok(resp) if !retry.retries_status(resp.status())));
                #[cfg(feature = "hooks")]
                if forced && attempt > retry.max_retries() {
                    return finish(&req, Err(forced_retries_used_up(&result, &retry)), attempt);
                }
                if settled {
                    return finish(&req, result, attempt);
                }
                let delay = if forced {
                    Some(retry.delay(attempt))
                } else {
                    next_delay(&retry, &req, &result, attempt)
                };
                match delay {
                    None => return finish(&req, result, attempt),
                    Some(delay) => {
                        #[cfg(feature = "hooks")]
                        let cause = (!req.hooks.before_retry.is_empty()).then(|| match &result {
                            Ok(resp) => Error::from_status(resp.status(), &resp.status_text())
                                .with_request(req.method, &req.url),
                            Err(e) => e.clone(),
                        });
                        // Dropping the response frees its connection (and its
                        // place under the limits) before the hooks and the wait.
                        drop(result);
                        #[cfg(feature = "hooks")]
                        if let Some(cause) = cause {
                            for hook in req.hooks.before_retry.clone() {
                                match hook {
                                    Hook::Sync(f) => f(&req, &cause, attempt),
                                    Hook::Async(f) => {
                                        let (method, url) = (req.method, req.url.clone());
                                        req = match f(req, cause.clone(), attempt).await {
                                            Ok(req) => req,
                                            Err(e) => {
                                                return Err(e
                                                    .or_request(method, &url)
                                                    .with_attempts(attempt))
                                            }
                                        };
                                    }
                                }
                            }
                        }
                        sys::sleep(delay).await;
                        attempt += 1;
                    }
                }
            }
        }
    }

    /// One attempt: the limits, the attempt timeout and the transport.
    async fn attempt(&self, req: &Request, attempt: u32) -> Result<Response, Error> {
        #[cfg(feature = "snapshot")]
        if let Some(resp) = self.tape.as_ref().and_then(|t| t.replay(req)) {
            return Ok(resp);
        }
        #[cfg(feature = "limit")]
        let permits = self.acquire(&req.url).await;
        let mut resp = match &self.transport {
            None => self.fetch.call(req).await?,
            Some(t) => send_with(&**t, req).await?,
        };
        #[cfg(feature = "snapshot")]
        if let Some(tape) = &self.tape {
            resp = tape.record(req, resp).await?;
        }
        if attempt > 1 {
            resp.set_attempts(attempt);
        }
        #[cfg(feature = "limit")]
        resp.hold_permits(permits);
        #[cfg(feature = "chunked")]
        resp.set_max_body_size(req.options.max_body_size);
        Ok(resp)
    }

    /// Waits for the client's concurrency limits (per host first, then in
    /// total) and returns the permits, held until the response is done.
    #[cfg(feature = "limit")]
    async fn acquire(&self, url: &str) -> Vec<Permit> {
        let mut permits = Vec::new();
        if let Some((n, hosts)) = &self.per_host {
            let key = url::origin(url).unwrap_or_default();
            let sem = host_semaphore(&mut hosts.lock(), key, *n);
            permits.push(sem.acquire().await);
        }
        if let Some(sem) = &self.limit {
            permits.push(sem.acquire().await);
        }
        permits
    }
}

#[cfg(feature = "middleware")]
impl Endpoint for Pipeline {
    fn call(&self, req: Request) -> BoxFuture<'_, Result<Response, Error>> {
        Box::pin(self.inner(req))
    }
}

/// Runs `layers` under the total timeout `limit`, if any. One poll site
/// for the layers whether or not there is a limit: awaiting them in two
/// places (`select` and a plain `.await`) put a copy of the whole
/// inlined pipeline in the wasm for each. A future of its own, not an
/// `async fn`: an `async fn` keeps its argument and the pinned local it
/// moves it into side by side, which made every request's future carry
/// the layers' state twice.
fn within<F>(layers: F, limit: Option<std::time::Duration>) -> Within<F> {
    Within {
        layers,
        timer: limit.map(sys::sleep),
        limit,
    }
}

pin_project_lite::pin_project! {
    struct Within<F> {
        #[pin]
        layers: F,
        timer: Option<sys::Sleep>,
        limit: Option<std::time::Duration>,
    }
}

impl<F: Future<Output = Result<Response, Error>>> Future for Within<F> {
    type Output = Result<Response, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(r) = this.layers.poll(cx) {
            return Poll::Ready(r);
        }
        let fired = this
            .timer
            .as_mut()
            .is_some_and(|t| Pin::new(t).poll(cx).is_ready());
        match *this.limit {
            Some(limit) if fired => Poll::Ready(Err(Error::new(
                Kind::Timeout,
                format!("total timeout of {} ms elapsed", limit.as_millis() as u64),
            ))),
            _ => Poll::Pending,
        }
    }
}

/// Runs the `after_response` hooks on one attempt's response: the
/// response to keep, and whether a hook asked for a retry.
#[cfg(feature = "hooks")]
async fn after_response(req: &Request, mut resp: Response) -> Result<(Response, bool), Error> {
    for hook in &req.hooks.after_response {
        let action = match hook {
            Hook::Sync(f) => f(&resp),
            Hook::Async(f) => match resp.try_clone() {
                Some(copy) => f(copy).await?,
                None => Action::Continue,
            },
        };
        match action {
            Action::Continue => {}
            Action::Retry => return Ok((resp, true)),
            Action::Replace(mut other) => {
                other.take_over(&mut resp);
                other.set_request(req.method, &req.url);
                #[cfg(feature = "chunked")]
                other.set_max_body_size(req.options.max_body_size);
                resp = other;
            }
        }
    }
    Ok((resp, false))
}

/// Sends through a transport other than the default, with the attempt
/// timeout around it unless the transport enforces it.
async fn send_with(t: &dyn Transport, req: &Request) -> Result<Response, Error> {
    if req.signal.as_ref().is_some_and(|s| s.aborted()) {
        return Err(Error::aborted("aborted by the caller's AbortSignal"));
    }
    let started = sys::now_ms();
    let send = t.send(req);
    let mut resp = match req.options.timeout.filter(|_| !t.handles_timeouts()) {
        None => send.await?,
        Some(d) => match select(send, sys::sleep(d)).await {
            Either::Left((r, _)) => r?,
            Either::Right(_) => return Err(Error::timeout(d)),
        },
    };
    resp.set_request(req.method, &req.url);
    if !t.handles_timeouts() {
        resp.set_started_ms(started);
    }
    Ok(resp)
}

/// How long to wait before the next attempt, or `None` if this one is
/// final.
#[cfg(feature = "retry")]
fn next_delay(
    retry: &Retry,
    req: &Request,
    result: &Result<Response, Error>,
    attempt: u32,
) -> Option<Duration> {
    let retry_after = match result {
        Ok(resp) => resp.headers().get("retry-after"),
        Err(_) => None,
    };
    let seen = match result {
        Ok(resp) => Attempt::Status(resp.status(), retry_after.as_deref()),
        Err(e) if e.is_network() => Attempt::Network,
        Err(e) if e.is_timeout() => Attempt::Timeout,
        Err(_) => Attempt::Final,
    };
    retry.decide(req.method, attempt, seen, sys::epoch_ms(), sys::random())
}

/// The error of a retry a hook asked for past the limit: the refused
/// response is not the answer (ky's `ForceRetryError`).
#[cfg(all(feature = "retry", feature = "hooks"))]
fn forced_retries_used_up(result: &Result<Response, Error>, retry: &Retry) -> Error {
    let status = result.as_ref().map_or(0, Response::status);
    Error::new(
        Kind::ForcedRetry { status },
        format!(
            "an after_response hook asked for a retry, but the {} retries are used up \
             (the response it refused had status {status})",
            retry.max_retries()
        ),
    )
}

/// The settled result of the retry layer, with the attempt count and the
/// request named in an error.
fn finish(
    req: &Request,
    result: Result<Response, Error>,
    attempts: u32,
) -> Result<Response, Error> {
    result.map_err(|e| e.or_request(req.method, &req.url).with_attempts(attempts))
}

/// The semaphore of `origin`, made on first use.
#[cfg(feature = "limit")]
fn host_semaphore(hosts: &mut HostLimits, origin: String, permits: usize) -> Semaphore {
    if let Some((_, sem)) = hosts.iter().find(|(k, _)| *k == origin) {
        return sem.clone();
    }
    let sem = Semaphore::new(permits);
    hosts.push((origin, sem.clone()));
    sem
}
