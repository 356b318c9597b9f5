//! [`Refresh`]: bearer tokens with one refresh for many 401s.

use std::fmt;
use std::future::Future;

use crate::error::Error;
use crate::flight::Flight;
use crate::middleware::{Middleware, Next};
use crate::request::Request;
use crate::response::Response;
use crate::sync::{dyn_ss, BoxFuture, Lock, MaybeSend, MaybeSync, Shared};
use crate::url;

type Fetcher = Shared<dyn_ss!(Fn() -> BoxFuture<'static, Result<String, Error>>)>;

/// The token in force, and the latest refresh (kept once done, so that
/// requests sent before it started share its outcome, even a failure).
#[derive(Default)]
struct State {
    token: Option<String>,
    /// Refreshes started so far (failed ones included).
    started: u64,
    /// Refreshes that gave a token.
    refreshes: u64,
    latest: Option<Flight<Result<String, Error>>>,
}

/// A [`Middleware`] that sends `Authorization: Bearer <token>` with every
/// request to one origin, and renews the token when the server answers
/// 401. However many requests come back 401 at once, exactly one refresh
/// runs; the others wait for it, and each is sent again once with the new
/// token. If the refresh fails, all of them fail with an error that
/// [`is_status`](Error::is_status) (the 401) and says why, with the
/// refresh's error as its [`source`](std::error::Error::source). Requests to
/// any other origin never get the token, and a redirect to another origin
/// does not take it along (the platform drops `Authorization` on a
/// cross-origin redirect; see [redirects and
/// credentials](crate#redirects-and-credentials)).
///
/// The token comes from `fetch_token`, an async function (typically a
/// request to your token endpoint, with its own client); it is called for
/// the first request, and after a 401. Requests with a stream body are sent
/// once, without a replay.
///
/// ```
/// use fanout::auth::Refresh;
/// use fanout::Client;
///
/// let token_client = Client::builder().base_url("http://127.0.0.1:8080/").build().unwrap();
/// let refresh = Refresh::new("http://127.0.0.1:8080", move || {
///     let c = token_client.clone();
///     async move { c.post("auth/demo/token").send().await?.text().await }
/// });
/// let client = Client::builder()
///     .base_url("http://127.0.0.1:8080/")
///     .with(refresh)
///     .build()
///     .unwrap();
/// ```
pub struct Refresh {
    origin: String,
    fetch_token: Fetcher,
    state: Shared<Lock<State>>,
}

impl fmt::Debug for Refresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.lock();
        f.debug_struct("Refresh")
            .field("origin", &self.origin)
            .field("has_token", &s.token.is_some())
            .field("refreshes", &s.refreshes)
            .finish()
    }
}

impl Refresh {
    /// Tokens for requests to `origin` (such as `https://api.example`),
    /// fetched with `fetch_token`.
    ///
    /// # Panics
    /// If `origin` is not an absolute http(s) URL; [`try_new`](Refresh::try_new)
    /// gives an error instead.
    pub fn new<F, Fut>(origin: &str, fetch_token: F) -> Refresh
    where
        F: Fn() -> Fut + MaybeSend + MaybeSync + 'static,
        Fut: Future<Output = Result<String, Error>> + MaybeSend + 'static,
    {
        match Refresh::try_new(origin, fetch_token) {
            Ok(r) => r,
            Err(e) => panic!("Refresh::new: {e}"),
        }
    }

    /// [`new`](Refresh::new), for an `origin` that comes from input: one
    /// that is not an absolute http(s) URL is an error that
    /// [`is_builder`](Error::is_builder).
    ///
    /// ```
    /// let refresh = |origin: &str| {
    ///     fanout::auth::Refresh::try_new(origin, || async { Ok("token".to_owned()) })
    /// };
    /// assert!(refresh("https://api.example:443/v1").is_ok());
    /// assert!(refresh("/v1").unwrap_err().is_builder());
    /// assert!(refresh("ftp://files.example").unwrap_err().is_builder());
    /// ```
    pub fn try_new<F, Fut>(origin: &str, fetch_token: F) -> Result<Refresh, Error>
    where
        F: Fn() -> Fut + MaybeSend + MaybeSync + 'static,
        Fut: Future<Output = Result<String, Error>> + MaybeSend + 'static,
    {
        let origin = url::origin_of(origin).ok_or_else(|| {
            Error::builder(format!(
                "an auth origin must be an absolute http(s) URL, not {origin:?}"
            ))
        })?;
        Ok(Refresh {
            origin,
            fetch_token: Shared::new(move || Box::pin(fetch_token())),
            state: Shared::new(Lock::new(State::default())),
        })
    }

    /// Starts with this token instead of fetching one first.
    pub fn with_token(self, token: impl Into<String>) -> Refresh {
        self.state.lock().token = Some(token.into());
        self
    }

    /// How many tokens were fetched so far.
    pub fn refreshes(&self) -> u64 {
        self.state.lock().refreshes
    }

    /// The token in force, and how many refreshes had started: fetching a
    /// token first if there is none yet.
    async fn current(&self) -> Result<(String, u64), Error> {
        let (known, started, running) = {
            let s = self.state.lock();
            let running = s.latest.clone().filter(|f| !f.is_done());
            (s.token.clone(), s.started, running)
        };
        let token = match (running, known) {
            // A refresh is under way: wait for its token rather than send
            // one that is being replaced.
            (Some(flight), _) => flight.await?,
            (None, Some(t)) => t,
            (None, None) => self.renew(started).await?,
        };
        Ok((token, self.state.lock().started))
    }

    /// A new token for a request sent when `started` refreshes had begun:
    /// the outcome of a refresh begun since (running or done, failed or
    /// not), or of one begun now.
    async fn renew(&self, started: u64) -> Result<String, Error> {
        let flight = {
            let mut s = self.state.lock();
            match &s.latest {
                Some(f) if s.started > started => f.clone(),
                _ => {
                    let fetch = self.fetch_token.clone();
                    let state = self.state.clone();
                    let f = Flight::new(async move {
                        let token = fetch().await?;
                        let mut s = state.lock();
                        s.refreshes += 1;
                        s.token = Some(token.clone());
                        Ok(token)
                    });
                    s.started += 1;
                    s.latest = Some(f.clone());
                    f
                }
            }
        };
        flight.await
    }
}

impl Middleware for Refresh {
    fn handle<'a>(
        &'a self,
        mut req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        if url::origin(&req.url).as_deref() != Some(self.origin.as_str()) {
            return next.run(req);
        }
        Box::pin(async move {
            let (token, started) = match self.current().await {
                Ok(t) => t,
                Err(e) => return Err(refresh_failed(&req, e)),
            };
            req.set_header("authorization", format!("Bearer {token}"))?;
            let replay = req.try_clone();
            let resp = next.run(req).await?;
            let Some(mut replay) = replay.filter(|_| resp.status() == 401) else {
                return Ok(resp);
            };
            drop(resp);
            let token = match self.renew(started).await {
                Ok(t) => t,
                Err(e) => return Err(refresh_failed(&replay, e)),
            };
            replay.set_header("authorization", format!("Bearer {token}"))?;
            next.run(replay).await
        })
    }
}

/// The error of a request whose token could not be refreshed: its 401,
/// saying why, with the refresh's error as the source.
fn refresh_failed(req: &Request, e: Error) -> Error {
    let status = Error::from_status(401, "");
    let message = format!("{}: token refresh failed: {e}", status.message());
    status
        .with_message(message)
        .with_request(req.method, &req.url)
        .with_source(e)
}
