//! [`Hooks`]: the common customizations without writing a middleware, as
//! ky and aiohttp have them: functions the pipeline calls at fixed points
//! of a request (a client's before a request's: a request carries its
//! own, so they are part of the request module), each plain
//! (`Hook::Sync`) or async (`Hook::Async`).

use std::fmt;
use std::future::Future;

use super::Request;
use crate::error::Error;
use crate::response::Response;
use crate::sync::{dyn_ss, BoxFuture, MaybeSend, MaybeSync, Shared};

/// What an [`after_response`](Hooks::after_response) hook decides.
#[derive(Debug)]
pub enum Action {
    /// Keep the response (the next hook sees it).
    Continue,
    /// Send the request again: a retry like one for a 503, counted against
    /// the retry limit and announced to the `before_retry` hooks. Past the
    /// limit, the request fails with an error that
    /// [`is_forced_retry`](Error::is_forced_retry) (in JS a
    /// `ForceRetryError`, as ky's), which the `before_error` hooks see: the
    /// refused response is never taken as the answer. (Without the `retry`
    /// feature there are no retries, and the response is kept.)
    Retry,
    /// Use this response instead (the next hook sees it).
    Replace(Response),
}

/// A hook: a plain function, or an async one (its future is awaited
/// before the request goes on).
pub(crate) enum Hook<S: ?Sized, A: ?Sized> {
    /// A plain function.
    Sync(Shared<S>),
    /// An async one: its future is awaited before the request goes on.
    Async(Shared<A>),
}

impl<S: ?Sized, A: ?Sized> Clone for Hook<S, A> {
    fn clone(&self) -> Self {
        match self {
            Hook::Sync(f) => Hook::Sync(f.clone()),
            Hook::Async(f) => Hook::Async(f.clone()),
        }
    }
}

type Fut<T> = BoxFuture<'static, T>;
pub(crate) type BeforeRequest = Hook<
    dyn_ss!(Fn(&mut Request) -> Result<(), Error>),
    dyn_ss!(Fn(Request) -> Fut<Result<Request, Error>>),
>;
pub(crate) type AfterResponse =
    Hook<dyn_ss!(Fn(&Response) -> Action), dyn_ss!(Fn(Response) -> Fut<Result<Action, Error>>)>;
pub(crate) type BeforeRetry = Hook<
    dyn_ss!(Fn(&Request, &Error, u32)),
    dyn_ss!(Fn(Request, Error, u32) -> Fut<Result<Request, Error>>),
>;
pub(crate) type BeforeError = Hook<dyn_ss!(Fn(Error) -> Error), dyn_ss!(Fn(Error) -> Fut<Error>)>;

/// Functions the pipeline calls at fixed points of a request:
///
/// - `before_request`: once, with the prepared request (its final URL,
///   the client's default headers and options merged in), before the
///   layers; an error stops the request there.
/// - `after_response`: on the response of each attempt, before retries
///   are decided; it may replace the response or ask for a retry.
/// - `before_retry`: before each retry, with the request, what went wrong
///   (for a retried status, an error that
///   [`is_status`](Error::is_status)) and the number of the retry (1 for
///   the first).
/// - `before_error`: on the error a request ends with; it may return
///   another one.
///
/// Each has an `_async` twin whose function returns a future, awaited
/// before the request goes on (to fetch a token, log to a server, read
/// the body of a response): `before_request_async` and
/// `before_retry_async` take the request and give it back, changed or
/// not; `after_response_async` gets a copy of the response
/// ([`Response::try_clone`]) whose body it may read. Hooks of both kinds
/// run in the order they were added.
///
/// A client's hooks (`ClientBuilder::hooks`)
/// run first, then the request's
/// (`RequestBuilder::hooks`): a request's
/// hooks are added to its client's, never in their place. Hooks are set
/// with the feature `hooks`; without it the pipeline never calls them.
///
#[cfg_attr(feature = "hooks", doc = "```")]
#[cfg_attr(not(feature = "hooks"), doc = "```ignore")]
/// use fanout::{Action, Hooks};
/// let hooks = Hooks::new()
///     .before_request(|req| req.set_header("x-request-id", "42"))
///     .after_response(|resp| {
///         if resp.status() == 202 { Action::Retry } else { Action::Continue }
///     })
///     .before_retry(|req, err, n| println!("retry {n} of {}: {err}", req.url()))
///     .before_error(|err| err);
/// let client = fanout::Client::builder().hooks(hooks).build().unwrap();
/// ```
#[derive(Clone, Default)]
pub struct Hooks {
    pub(crate) before_request: Vec<BeforeRequest>,
    pub(crate) after_response: Vec<AfterResponse>,
    pub(crate) before_retry: Vec<BeforeRetry>,
    pub(crate) before_error: Vec<BeforeError>,
}

impl Hooks {
    /// No hooks.
    pub fn new() -> Hooks {
        Hooks::default()
    }

    /// Adds a hook that may change each request before it is sent, or stop
    /// it with an error.
    pub fn before_request(
        mut self,
        f: impl Fn(&mut Request) -> Result<(), Error> + MaybeSend + MaybeSync + 'static,
    ) -> Hooks {
        self.before_request.push(Hook::Sync(Shared::new(f)));
        self
    }

    /// Adds an async hook that gets each request before it is sent and
    /// gives it back (changed or not), or stops it with an error.
    ///
    /// ```
    /// let hooks = fanout::Hooks::new().before_request_async(|mut req| async move {
    ///     let token = "t0k3n"; // e.g. read from IndexedDB
    ///     req.set_header("authorization", format!("Bearer {token}"))?;
    ///     Ok(req)
    /// });
    /// # let _ = hooks;
    /// ```
    pub fn before_request_async<F, R>(mut self, f: F) -> Hooks
    where
        F: Fn(Request) -> R + MaybeSend + MaybeSync + 'static,
        R: Future<Output = Result<Request, Error>> + MaybeSend + 'static,
    {
        self.before_request
            .push(Hook::Async(Shared::new(move |req| Box::pin(f(req)))));
        self
    }

    /// Adds a hook on the response of each attempt.
    pub fn after_response(
        mut self,
        f: impl Fn(&Response) -> Action + MaybeSend + MaybeSync + 'static,
    ) -> Hooks {
        self.after_response.push(Hook::Sync(Shared::new(f)));
        self
    }

    /// Adds an async hook on the response of each attempt. It gets a copy
    /// ([`Response::try_clone`]) whose body it may read; with
    /// [`Action::Continue`] the original goes on, unread. An error ends the
    /// request with it, without a retry.
    ///
    /// ```
    /// use fanout::Action;
    /// let hooks = fanout::Hooks::new().after_response_async(|resp| async move {
    ///     let body = resp.text().await?;
    ///     Ok(if body.contains("try again") { Action::Retry } else { Action::Continue })
    /// });
    /// # let _ = hooks;
    /// ```
    pub fn after_response_async<F, R>(mut self, f: F) -> Hooks
    where
        F: Fn(Response) -> R + MaybeSend + MaybeSync + 'static,
        R: Future<Output = Result<Action, Error>> + MaybeSend + 'static,
    {
        self.after_response
            .push(Hook::Async(Shared::new(move |resp| Box::pin(f(resp)))));
        self
    }

    /// Adds a hook called before each retry.
    pub fn before_retry(
        mut self,
        f: impl Fn(&Request, &Error, u32) + MaybeSend + MaybeSync + 'static,
    ) -> Hooks {
        self.before_retry.push(Hook::Sync(Shared::new(f)));
        self
    }

    /// Adds an async hook called before each retry, with the request, what
    /// went wrong and the number of the retry; it gives the request back
    /// (changed or not: the retry sends what it returns), or an error that
    /// ends the request without retrying.
    ///
    /// ```
    /// let hooks = fanout::Hooks::new().before_retry_async(|mut req, err, n| async move {
    ///     if err.status() == Some(401) {
    ///         req.set_header("authorization", format!("Bearer fresh-{n}"))?;
    ///     }
    ///     Ok(req)
    /// });
    /// # let _ = hooks;
    /// ```
    pub fn before_retry_async<F, R>(mut self, f: F) -> Hooks
    where
        F: Fn(Request, Error, u32) -> R + MaybeSend + MaybeSync + 'static,
        R: Future<Output = Result<Request, Error>> + MaybeSend + 'static,
    {
        self.before_retry
            .push(Hook::Async(Shared::new(move |req, e, n| {
                Box::pin(f(req, e, n))
            })));
        self
    }

    /// Adds a hook on the error a request ends with.
    pub fn before_error(
        mut self,
        f: impl Fn(Error) -> Error + MaybeSend + MaybeSync + 'static,
    ) -> Hooks {
        self.before_error.push(Hook::Sync(Shared::new(f)));
        self
    }

    /// Adds an async hook on the error a request ends with.
    ///
    /// ```
    /// let hooks = fanout::Hooks::new().before_error_async(|err| async move {
    ///     // e.g. report it to a server first
    ///     fanout::Error::network(format!("offline? {err}"))
    /// });
    /// # let _ = hooks;
    /// ```
    pub fn before_error_async<F, R>(mut self, f: F) -> Hooks
    where
        F: Fn(Error) -> R + MaybeSend + MaybeSync + 'static,
        R: Future<Output = Error> + MaybeSend + 'static,
    {
        self.before_error
            .push(Hook::Async(Shared::new(move |e| Box::pin(f(e)))));
        self
    }

    /// Adds `other`'s hooks after these.
    pub fn extend(&mut self, other: &Hooks) {
        self.before_request
            .extend(other.before_request.iter().cloned());
        self.after_response
            .extend(other.after_response.iter().cloned());
        self.before_retry.extend(other.before_retry.iter().cloned());
        self.before_error.extend(other.before_error.iter().cloned());
    }

    /// Whether there is no hook at all.
    pub fn is_empty(&self) -> bool {
        self.before_request.is_empty()
            && self.after_response.is_empty()
            && self.before_retry.is_empty()
            && self.before_error.is_empty()
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("before_request", &self.before_request.len())
            .field("after_response", &self.after_response.len())
            .field("before_retry", &self.before_retry.len())
            .field("before_error", &self.before_error.len())
            .finish()
    }
}
