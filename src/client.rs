//! The [`Client`] session and its [`ClientBuilder`].

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use crate::error::Error;
use crate::headers;
use crate::limit::{Permit, Semaphore};
use crate::request::RequestBuilder;
use crate::retry::Retry;
use crate::url::{self, Base};
use crate::Method;

/// Whether the browser sends cookies and HTTP auth with a request (the Fetch
/// API's `credentials`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// Never send them.
    Omit,
    /// Only to the page's own origin (the browser's default).
    SameOrigin,
    /// Always, also cross-origin (the server must allow it with CORS).
    Include,
}

/// How the request interacts with the browser's HTTP cache (the Fetch API's
/// `cache`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheMode {
    /// The browser's normal caching.
    Default,
    /// Bypass the cache entirely.
    NoStore,
    /// Fetch from the network and update the cache.
    Reload,
    /// Revalidate with the server even when fresh.
    NoCache,
    /// Use any cached response, even stale.
    ForceCache,
    /// Only from the cache (same-origin only).
    OnlyIfCached,
}

/// What happens on a redirect (the Fetch API's `redirect`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redirect {
    /// Follow redirects (the default); [`Response::url`](crate::Response::url)
    /// is the final URL.
    Follow,
    /// A redirect is a network error.
    Error,
    /// Return an opaque redirect response.
    Manual,
}

impl Credentials {
    pub(crate) fn raw(self) -> web_sys::RequestCredentials {
        match self {
            Credentials::Omit => web_sys::RequestCredentials::Omit,
            Credentials::SameOrigin => web_sys::RequestCredentials::SameOrigin,
            Credentials::Include => web_sys::RequestCredentials::Include,
        }
    }
}

impl CacheMode {
    pub(crate) fn raw(self) -> web_sys::RequestCache {
        match self {
            CacheMode::Default => web_sys::RequestCache::Default,
            CacheMode::NoStore => web_sys::RequestCache::NoStore,
            CacheMode::Reload => web_sys::RequestCache::Reload,
            CacheMode::NoCache => web_sys::RequestCache::NoCache,
            CacheMode::ForceCache => web_sys::RequestCache::ForceCache,
            CacheMode::OnlyIfCached => web_sys::RequestCache::OnlyIfCached,
        }
    }
}

impl Redirect {
    pub(crate) fn raw(self) -> web_sys::RequestRedirect {
        match self {
            Redirect::Follow => web_sys::RequestRedirect::Follow,
            Redirect::Error => web_sys::RequestRedirect::Error,
            Redirect::Manual => web_sys::RequestRedirect::Manual,
        }
    }
}

/// One semaphore per origin, for `limit_per_host`.
type HostLimits = Vec<(String, Semaphore)>;

/// The settings every request of a client shares.
pub(crate) struct Config {
    pub(crate) base: Option<Base>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) cache: Option<CacheMode>,
    pub(crate) redirect: Option<Redirect>,
    pub(crate) error_for_status: bool,
    pub(crate) max_body_size: Option<u64>,
    pub(crate) retry: Retry,
    pub(crate) cross_origin_headers: bool,
    limit: Option<Semaphore>,
    /// The per-origin limit and one semaphore per origin seen (a few: a
    /// linear scan beats a hash map here, in time and in wasm size).
    per_host: Option<(usize, RefCell<HostLimits>)>,
}

/// A reusable HTTP session, like aiohttp's `ClientSession`: make one, share
/// it (cloning is cheap: an `Rc`), and send every request through it.
///
/// The seed example, one GET printing status and JSON:
///
/// ```no_run
/// # async fn run() -> Result<(), fanout::Error> {
/// let client = fanout::Client::new();
/// let response = client
///     .get("http://127.0.0.1:8080/posts/1")
///     .send()
///     .await?;
/// println!("Status Code: {}", response.status());
/// let data: serde_json::Value = response.json().await?;
/// println!("Response JSON: {data}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) cfg: Rc<Config>,
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.cfg;
        f.debug_struct("Client")
            .field("base_url", &c.base.as_ref().map(|b| &b.url))
            .field(
                "default_headers",
                &c.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("timeout", &c.timeout)
            .field("retry", &c.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with default settings: no base URL, no timeout, ky's retry
    /// policy ([`Retry::new`]), no concurrency limit.
    ///
    /// ```
    /// let client = fanout::Client::new();
    /// assert!(client.base_url().is_none());
    /// ```
    pub fn new() -> Client {
        ClientBuilder::new()
            .build()
            .expect("default settings are valid")
    }

    /// Starts configuring a client.
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = fanout::Client::builder()
    ///     .base_url("http://127.0.0.1:8080/")
    ///     .default_header("accept", "application/json")
    ///     .timeout(Duration::from_secs(10))
    ///     .limit(6)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(client.base_url(), Some("http://127.0.0.1:8080/"));
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The base URL, with its path ending in `/`.
    pub fn base_url(&self) -> Option<&str> {
        self.cfg.base.as_ref().map(|b| b.url.as_str())
    }

    /// Resolves `input` the way a request would (see [the joining
    /// rule](crate#joining-urls)), or says why it can't.
    ///
    /// ```
    /// let client = fanout::Client::builder().base_url("http://api.test/v1").build().unwrap();
    /// assert_eq!(client.resolve("posts/1").unwrap(), "http://api.test/v1/posts/1");
    /// assert_eq!(client.resolve("/posts/1").unwrap(), "http://api.test/posts/1");
    /// ```
    pub fn resolve(&self, input: &str) -> Result<String, Error> {
        if let Some(base) = &self.cfg.base {
            return Ok(url::resolve(&base.url, input));
        }
        if url::is_absolute(input) {
            return Ok(input.to_owned());
        }
        match crate::sys::location_href() {
            Some(href) => Ok(url::resolve(&href, input)),
            None => Err(Error::builder(format!(
                "relative URL \"{input}\" needs a base URL: set ClientBuilder::base_url \
                 (there is no page location to resolve it against here)"
            ))),
        }
    }

    /// The origin requests of this client belong to: the base URL's, or
    /// without one the page's.
    pub(crate) fn home_origin(&self) -> Option<String> {
        match &self.cfg.base {
            Some(b) => Some(b.origin.clone()),
            None => crate::sys::location_href().and_then(|h| url::origin(&h)),
        }
    }

    /// Starts a request with any method.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// let resp = client.request(fanout::Method::Options, "posts").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn request(&self, method: Method, url: impl AsRef<str>) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, url.as_ref())
    }

    /// Starts a `GET` request.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// let text = client.get("posts/1").send().await?.text().await?;
    /// # Ok(()) }
    /// ```
    pub fn get(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::Get, url)
    }

    /// Starts a `POST` request.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// let created = client
    ///     .post("posts")
    ///     .json(&serde_json::json!({"title": "hi", "userId": 1}))
    ///     .send()
    ///     .await?;
    /// assert_eq!(created.status(), 201);
    /// # Ok(()) }
    /// ```
    pub fn post(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::Post, url)
    }

    /// Starts a `PUT` request.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// client.put("posts/1").json(&serde_json::json!({"title": "new"})).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn put(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::Put, url)
    }

    /// Starts a `PATCH` request.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// client.patch("posts/1").json(&serde_json::json!({"title": "new"})).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn patch(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::Patch, url)
    }

    /// Starts a `DELETE` request.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// client.delete("posts/1").send().await?.error_for_status()?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::Delete, url)
    }

    /// Starts a `HEAD` request.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// let len = client.head("photos").send().await?.content_length();
    /// # Ok(()) }
    /// ```
    pub fn head(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::Head, url)
    }

    /// Waits for the client's concurrency limits (per host first, then in
    /// total) and returns the permits, held until the response is done.
    pub(crate) async fn acquire(&self, url: &str) -> Vec<Permit> {
        let mut permits = Vec::new();
        if let Some((n, hosts)) = &self.cfg.per_host {
            let key = url::origin(url).unwrap_or_default();
            let sem = host_semaphore(&mut hosts.borrow_mut(), key, *n);
            permits.push(sem.acquire().await);
        }
        if let Some(sem) = &self.cfg.limit {
            permits.push(sem.acquire().await);
        }
        permits
    }
}

/// The semaphore of `origin`, made on first use.
fn host_semaphore(hosts: &mut HostLimits, origin: String, permits: usize) -> Semaphore {
    if let Some((_, sem)) = hosts.iter().find(|(k, _)| *k == origin) {
        return sem.clone();
    }
    let sem = Semaphore::new(permits);
    hosts.push((origin, sem.clone()));
    sem
}

/// Builds a [`Client`]. Setters never fail; [`build`](ClientBuilder::build)
/// reports the first bad setting.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ClientBuilder {
    base_url: Option<String>,
    headers: Vec<(String, String)>,
    timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    credentials: Option<Credentials>,
    cache: Option<CacheMode>,
    redirect: Option<Redirect>,
    error_for_status: bool,
    max_body_size: Option<u64>,
    retry: Option<Retry>,
    cross_origin_headers: bool,
    limit: Option<usize>,
    limit_per_host: Option<usize>,
}

impl ClientBuilder {
    /// A builder with default settings.
    pub fn new() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The URL relative request URLs are joined onto (an absolute http(s)
    /// URL; its path is treated as a directory). See [the joining
    /// rule](crate#joining-urls).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// A header sent with every request unless the request sets its own
    /// header of that name. Default headers are never sent to another origin
    /// than the base URL's (see
    /// [`allow_cross_origin_default_headers`](Self::allow_cross_origin_default_headers)).
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Several default headers.
    pub fn default_headers<N: Into<String>, V: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        self.headers
            .extend(headers.into_iter().map(|(n, v)| (n.into(), v.into())));
        self
    }

    /// A timeout for each attempt, from sending until the body is read; when
    /// it fires the fetch is aborted and the error
    /// [`is_timeout`](Error::is_timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// A timeout across all attempts of a request (retries and their waits
    /// included), separate from the per-attempt [`timeout`](Self::timeout).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// The default credentials mode.
    pub fn credentials(mut self, mode: Credentials) -> Self {
        self.credentials = Some(mode);
        self
    }

    /// The default cache mode.
    pub fn cache(mut self, mode: CacheMode) -> Self {
        self.cache = Some(mode);
        self
    }

    /// The default redirect mode.
    pub fn redirect(mut self, mode: Redirect) -> Self {
        self.redirect = Some(mode);
        self
    }

    /// Turn every 4xx and 5xx response into an error
    /// ([`is_status`](Error::is_status)), like aiohttp's `raise_for_status`.
    pub fn error_for_status(mut self, on: bool) -> Self {
        self.error_for_status = on;
        self
    }

    /// The largest body, in bytes, a response reader accepts; a larger body
    /// is an error ([`is_too_large`](Error::is_too_large)) instead of an
    /// out-of-memory.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = Some(bytes);
        self
    }

    /// The retry policy (default: [`Retry::new`]; [`Retry::none`] turns
    /// retries off).
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Send default headers to other origins than the base URL's too.
    pub fn allow_cross_origin_default_headers(mut self, allow: bool) -> Self {
        self.cross_origin_headers = allow;
        self
    }

    /// At most `n` requests of this client in flight at once (aiohttp's
    /// `TCPConnector(limit=n)`); a request holds its place until its body is
    /// read or its response dropped.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// At most `n` requests in flight per origin (aiohttp's `limit_per_host`).
    pub fn limit_per_host(mut self, n: usize) -> Self {
        self.limit_per_host = Some(n);
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// ```
    /// let err = fanout::Client::builder().default_header("bad name", "x").build().unwrap_err();
    /// assert!(err.is_builder());
    /// let err = fanout::Client::builder().limit(0).build().unwrap_err();
    /// assert!(err.to_string().contains("limit"));
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let base = self
            .base_url
            .as_deref()
            .map(url::parse_base)
            .transpose()
            .map_err(Error::builder)?;
        for (n, v) in &self.headers {
            headers::check(n, v).map_err(Error::builder)?;
        }
        for (what, d) in [
            ("timeout", self.timeout),
            ("total timeout", self.total_timeout),
        ] {
            if d == Some(Duration::ZERO) {
                return Err(Error::builder(format!("{what} must be greater than zero")));
            }
        }
        for (what, n) in [
            ("limit", self.limit),
            ("limit_per_host", self.limit_per_host),
        ] {
            if n == Some(0) {
                return Err(Error::builder(format!("{what} must be at least 1")));
            }
        }
        let retry = self.retry.unwrap_or_default();
        retry.validate().map_err(Error::builder)?;
        Ok(Client {
            cfg: Rc::new(Config {
                base,
                headers: self.headers,
                timeout: self.timeout,
                total_timeout: self.total_timeout,
                credentials: self.credentials,
                cache: self.cache,
                redirect: self.redirect,
                error_for_status: self.error_for_status,
                max_body_size: self.max_body_size,
                retry,
                cross_origin_headers: self.cross_origin_headers,
                limit: self.limit.map(Semaphore::new),
                per_host: self.limit_per_host.map(|n| (n, RefCell::new(Vec::new()))),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_rejects_bad_settings() {
        let bad = [
            Client::builder().base_url("::nope"),
            Client::builder().base_url("http://h/?q"),
            Client::builder().default_header("x", "a\nb"),
            Client::builder().timeout(Duration::ZERO),
            Client::builder().limit_per_host(0),
            Client::builder()
                .retry(Retry::new().backoff(Duration::from_secs(5), Duration::from_secs(1))),
        ];
        for b in bad {
            let e = b.clone().build().unwrap_err();
            assert!(e.is_builder(), "{b:?} gave {e}");
        }
    }

    #[test]
    fn resolve_uses_the_base() {
        let c = Client::builder()
            .base_url("http://127.0.0.1:9/api")
            .build()
            .unwrap();
        assert_eq!(c.resolve("posts").unwrap(), "http://127.0.0.1:9/api/posts");
        assert_eq!(c.home_origin().as_deref(), Some("http://127.0.0.1:9"));
    }

    #[test]
    fn relative_url_without_base_is_a_builder_error_off_the_web() {
        let e = Client::new().resolve("posts/1").unwrap_err();
        assert!(e.is_builder());
        assert!(e.to_string().contains("base URL"));
        assert_eq!(Client::new().resolve("http://h/x").unwrap(), "http://h/x");
    }
}
