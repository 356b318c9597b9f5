//! The [`Client`] session and its [`ClientBuilder`].

use std::fmt;
use std::future::Future;

use crate::error::Error;
use crate::headers;
#[cfg(feature = "limit")]
use crate::limit::Semaphore;
#[cfg(feature = "middleware")]
use crate::middleware::Middleware;
use crate::options::{for_each_option, Options};
use crate::pipeline::Pipeline;
use crate::request::{Hooks, Request};
use crate::response::Response;
#[cfg(any(feature = "limit", feature = "dedupe"))]
use crate::sync::Lock;
use crate::sync::Shared;
use crate::transport::{Fetch, Transport};
use crate::url;

/// A reusable HTTP session, like aiohttp's `ClientSession`: make one, share
/// it (cloning is cheap: an `Rc` on wasm, an `Arc` natively, where a
/// client is `Send + Sync`), and send every request through it.
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
    pipeline: Shared<Pipeline>,
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.pipeline;
        f.debug_struct("Client")
            .field("base_url", &p.base.as_ref().map(|b| &b.url))
            .field(
                "default_headers",
                &p.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("options", &p.options)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with default settings: no base URL, no timeout, ky's retry
    /// policy (`Retry::new`, with the `retry` feature), no concurrency
    /// limit.
    ///
    /// ```
    /// let client = fanout::Client::new();
    /// assert!(client.base_url().is_none());
    /// ```
    pub fn new() -> Client {
        // The defaults need no checking: no `build()`, whose error
        // messages and checks would stay in every app's wasm.
        ClientBuilder::new().into_client(None)
    }

    /// Starts configuring a client.
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = fanout::Client::builder()
    ///     .base_url("http://127.0.0.1:8080/")
    ///     .default_header("accept", "application/json")
    ///     .timeout(Duration::from_secs(10))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(client.base_url(), Some("http://127.0.0.1:8080/"));
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The base URL, with its path ending in `/`.
    pub fn base_url(&self) -> Option<&str> {
        self.pipeline.base.as_ref().map(|b| b.url.as_str())
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
        self.pipeline.resolve(input)
    }

    /// The responses recorded so far by a client built with
    /// [`ClientBuilder::record`] (empty otherwise), to embed in the page
    /// ([`Snapshot::to_script_tag`](crate::snapshot::Snapshot::to_script_tag)).
    /// Feature `snapshot`.
    #[cfg(feature = "snapshot")]
    pub fn snapshot(&self) -> crate::snapshot::Snapshot {
        self.pipeline
            .tape
            .as_ref()
            .map(|t| t.snapshot())
            .unwrap_or_default()
    }

    /// How many responses of the client's [`ClientBuilder::snapshot`] have
    /// not answered a request yet. Feature `snapshot`.
    #[cfg(feature = "snapshot")]
    pub fn snapshot_remaining(&self) -> usize {
        self.pipeline.tape.as_ref().map_or(0, |t| t.remaining())
    }

    /// The client's own settings (those given to its builder).
    pub fn options(&self) -> &Options {
        &self.pipeline.options
    }

    /// Sends `req` through the client's pipeline and resolves to the
    /// response once its headers arrive: the client's options and default
    /// headers fill in what the request does not set, then its layers run
    /// (see [the pipeline](crate#the-pipeline)). Dropping the future aborts
    /// the fetch.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// let req = client.get("posts/1").build()?;
    /// let again = req.try_clone().unwrap();
    /// let first = client.execute(req).await?;
    /// let second = client.execute(again).await?;
    /// assert_eq!(first.status(), second.status());
    /// # Ok(()) }
    /// ```
    // Not an `async fn`: the pipeline's future as it is, without a
    // wrapper holding a second copy of `req`.
    pub fn execute(&self, req: Request) -> impl Future<Output = Result<Response, Error>> + '_ {
        self.pipeline.execute(req)
    }
}

/// Builds a [`Client`]. Setters never fail; [`build`](ClientBuilder::build)
/// reports the first bad setting.
///
/// The settings shared with requests (`timeout`, `retry`, ...; see
/// [`Options`]) are the defaults of every request of the client; a
/// request's own value wins.
#[derive(Clone, Default)]
#[must_use]
pub struct ClientBuilder {
    base_url: Option<String>,
    headers: Vec<(String, String)>,
    options: Options,
    cross_origin_headers: bool,
    #[cfg(feature = "limit")]
    limit: Option<usize>,
    #[cfg(feature = "limit")]
    limit_per_host: Option<usize>,
    #[cfg(feature = "middleware")]
    middleware: Vec<Shared<dyn Middleware>>,
    transport: Option<Shared<dyn Transport>>,
    hooks: Hooks,
    #[cfg(feature = "dedupe")]
    dedupe: bool,
    #[cfg(not(target_arch = "wasm32"))]
    tls: crate::transport::TlsConfig,
    #[cfg(feature = "snapshot")]
    record: Option<crate::snapshot::Record>,
    #[cfg(feature = "snapshot")]
    replay: Option<crate::snapshot::Snapshot>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ClientBuilder");
        d.field("base_url", &self.base_url)
            .field(
                "default_headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("options", &self.options);
        #[cfg(feature = "limit")]
        d.field("limit", &self.limit)
            .field("limit_per_host", &self.limit_per_host);
        #[cfg(feature = "middleware")]
        d.field("middleware", &self.middleware.len());
        d.field("custom_transport", &self.transport.is_some())
            .field("hooks", &self.hooks);
        #[cfg(feature = "dedupe")]
        d.field("dedupe", &self.dedupe);
        d.finish()
    }
}

macro_rules! client_setters {
    ($( $(#[$doc:meta])* $name:ident : $ty:ty, )*) => {
        impl ClientBuilder {
            $(
                $(#[$doc])*
                ///
                /// The default for every request of the client.
                pub fn $name(mut self, value: $ty) -> Self {
                    self.options.$name = Some(value);
                    self
                }
            )*
        }
    };
}

for_each_option!(client_setters);

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
    /// [`allow_cross_origin_default_headers`](Self::allow_cross_origin_default_headers)),
    /// but a redirect the platform follows to another origin takes every
    /// header but `Authorization` with it: see [redirects and
    /// credentials](crate#redirects-and-credentials).
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

    /// Every shared setting that `options` sets (those it leaves unset stay
    /// as they are): for settings read from a file or from JS.
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = fanout::Client::builder()
    ///     .options(fanout::Options::new().timeout(Duration::from_secs(5)))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(client.options().timeout, Some(Duration::from_secs(5)));
    /// ```
    pub fn options(mut self, options: Options) -> Self {
        self.options = options.merged_over(&self.options);
        self
    }

    /// Send default headers to other origins than the base URL's too.
    pub fn allow_cross_origin_default_headers(mut self, allow: bool) -> Self {
        self.cross_origin_headers = allow;
        self
    }

    /// At most `n` requests of this client in flight at once (aiohttp's
    /// `TCPConnector(limit=n)`); a request holds its place until its body is
    /// read or its response dropped. Feature `limit`.
    #[cfg(feature = "limit")]
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// At most `n` requests in flight per origin (aiohttp's
    /// `limit_per_host`). Feature `limit`.
    #[cfg(feature = "limit")]
    pub fn limit_per_host(mut self, n: usize) -> Self {
        self.limit_per_host = Some(n);
        self
    }

    /// Adds a [`Middleware`] layer. Layers run in the order added, the
    /// first outermost, after the client's defaults are applied and before
    /// retries (see [the pipeline](crate#the-pipeline)). Feature
    /// `middleware`.
    ///
    /// ```
    /// # use fanout::{Error, Middleware, Next, Request, Response};
    /// struct Log;
    /// impl Middleware for Log {
    ///     fn handle<'a>(&'a self, req: Request, next: Next<'a>)
    ///         -> fanout::BoxFuture<'a, Result<Response, Error>> {
    ///         println!("{} {}", req.method(), req.url());
    ///         next.run(req)
    ///     }
    /// }
    /// let client = fanout::Client::builder().with(Log).build().unwrap();
    /// ```
    #[cfg(feature = "middleware")]
    pub fn with(mut self, middleware: impl Middleware) -> Self {
        self.middleware.push(Shared::new(middleware));
        self
    }

    /// Replaces the transport, the layer that sends (default:
    /// [`Fetch`](crate::Fetch)); for example a `mock::MockTransport`
    /// (feature `mock`) in tests.
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.transport = Some(Shared::new(transport));
        self
    }

    /// Adds hooks, run before those of each request (see [`Hooks`]).
    ///
    /// ```
    /// let client = fanout::Client::builder()
    ///     .hooks(fanout::Hooks::new().before_request(|req| req.set_header("x-app", "demo")))
    ///     .build()
    ///     .unwrap();
    /// ```
    ///
    /// Feature `hooks`.
    #[cfg(feature = "hooks")]
    pub fn hooks(mut self, hooks: Hooks) -> Self {
        self.hooks.extend(&hooks);
        self
    }

    /// Shares one fetch between identical concurrent GET and HEAD requests
    /// (same method, URL and headers; no body): each caller gets its own
    /// response, with the body read once and copied. A caller that drops
    /// its future, or whose `AbortSignal` fires (it gets an
    /// [`is_aborted`](crate::Error::is_aborted) error), leaves the fetch to
    /// the others; it is aborted when every caller has gone. The first caller's options
    /// (timeout, retries) apply to the shared fetch, and the response is
    /// read whole before any caller gets it. Off by default.
    ///
    /// This also sidesteps browsers' cache lock, which makes identical
    /// concurrent GETs wait for each other. Feature `dedupe`.
    ///
    /// ```
    /// let client = fanout::Client::builder().dedupe(true).build().unwrap();
    /// ```
    #[cfg(feature = "dedupe")]
    pub fn dedupe(mut self, on: bool) -> Self {
        self.dedupe = on;
        self
    }

    /// Trusts `pem` (one or more PEM certificates) as a root for HTTPS, besides
    /// the system's roots. Native only: a browser trusts what its user
    /// trusts. A bad certificate is an error of
    /// [`build`](ClientBuilder::build)'s first request.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn add_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls.roots.push(pem.into());
        self
    }

    /// Accepts any HTTPS certificate, even self-signed or expired ones: for
    /// a dev server only (its traffic is open to anyone in between). Native
    /// only: a browser decides this for its user.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.tls.accept_invalid_certs = accept;
        self
    }

    /// Records the responses the client receives, for
    /// [`Client::snapshot`]: on the server, while a page is rendered (see
    /// [`snapshot`](crate::snapshot)). Feature `snapshot`.
    #[cfg(feature = "snapshot")]
    pub fn record(mut self, record: crate::snapshot::Record) -> Self {
        self.record = Some(record);
        self
    }

    /// Answers each request recorded in `snapshot` once from it, sending
    /// nothing; then (and for every other request) the network as usual:
    /// in the browser, hydrating a page the server rendered (see
    /// [`snapshot`](crate::snapshot)). Feature `snapshot`.
    #[cfg(feature = "snapshot")]
    pub fn snapshot(mut self, snapshot: crate::snapshot::Snapshot) -> Self {
        self.replay = Some(snapshot);
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// ```
    /// let err = fanout::Client::builder().default_header("bad name", "x").build().unwrap_err();
    /// assert!(err.is_builder());
    /// let err = fanout::Client::builder().base_url("not a url").build().unwrap_err();
    /// assert!(err.to_string().contains("base URL"));
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
        self.options.validate()?;
        #[cfg(feature = "limit")]
        for (what, n) in [
            ("limit", self.limit),
            ("limit_per_host", self.limit_per_host),
        ] {
            if n == Some(0) {
                return Err(Error::builder(format!("{what} must be at least 1")));
            }
        }
        Ok(self.into_client(base))
    }

    /// The client of these (checked) settings.
    fn into_client(self, base: Option<crate::url::Base>) -> Client {
        Client {
            pipeline: Shared::new_cyclic(|_me| Pipeline {
                base,
                headers: self.headers,
                options: self.options,
                cross_origin_headers: self.cross_origin_headers,
                #[cfg(feature = "limit")]
                limit: self.limit.map(Semaphore::new),
                #[cfg(feature = "limit")]
                per_host: self.limit_per_host.map(|n| (n, Lock::new(Vec::new()))),
                #[cfg(feature = "middleware")]
                middleware: self.middleware,
                transport: self.transport,
                #[cfg(target_arch = "wasm32")]
                fetch: Fetch,
                #[cfg(not(target_arch = "wasm32"))]
                fetch: Fetch::with_tls(self.tls),
                hooks: self.hooks,
                #[cfg(feature = "snapshot")]
                tape: crate::snapshot::Tape::new(self.record, self.replay),
                #[cfg(feature = "dedupe")]
                dedupe: self.dedupe.then(|| Lock::new(Vec::new())),
                #[cfg(feature = "dedupe")]
                me: _me.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn build_rejects_bad_settings() {
        let bad = [
            Client::builder().base_url("::nope"),
            Client::builder().base_url("http://h/?q"),
            Client::builder().default_header("x", "a\nb"),
            Client::builder().timeout(Duration::ZERO),
            #[cfg(feature = "limit")]
            Client::builder().limit_per_host(0),
            #[cfg(feature = "retry")]
            Client::builder()
                .retry(crate::Retry::new().backoff(Duration::from_secs(5), Duration::from_secs(1))),
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
        assert_eq!(
            c.pipeline.home_origin().as_deref(),
            Some("http://127.0.0.1:9")
        );
    }

    #[test]
    fn relative_url_without_base_is_a_builder_error_off_the_web() {
        let e = Client::new().resolve("posts/1").unwrap_err();
        assert!(e.is_builder());
        assert!(e.to_string().contains("base URL"));
        assert_eq!(Client::new().resolve("http://h/x").unwrap(), "http://h/x");
    }
}
