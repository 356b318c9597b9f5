//! [`RequestBuilder`]: the fluent way to make a [`Request`] and send it,
//! and the [`Client`] methods that start one.

use std::fmt;
use std::future::Future;

use serde::Serialize;
#[cfg(target_arch = "wasm32")]
use web_sys::FormData;

use crate::client::Client;
use crate::error::Error;
use crate::headers;
use crate::method::Method;
use crate::options::for_each_option;
use crate::request::{Body, Request};
use crate::response::Response;
use crate::sys::AbortSignal;
use crate::url;

/// A request being built. Made by [`Client::get`] and friends; finish it
/// with [`send`](RequestBuilder::send), or [`build`](RequestBuilder::build)
/// it into a [`Request`] to inspect or keep. The setters never fail: a bad
/// argument is kept and comes out of `send()` (or `build()`) as an error
/// that [`is_builder`](Error::is_builder).
///
/// The settings shared with the client (`timeout`, `retry`, ...; see
/// [`Options`](crate::Options)) replace the client's for this request.
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

macro_rules! request_setters {
    ($( $(#[$doc:meta])* $name:ident : $ty:ty, )*) => {
        impl RequestBuilder {
            $(
                $(#[$doc])*
                ///
                /// For this request, replacing the client's setting.
                pub fn $name(self, value: $ty) -> Self {
                    self.with(|r| {
                        r.options.$name = Some(value);
                        Ok(())
                    })
                }
            )*
        }
    };
}

for_each_option!(request_setters);

impl RequestBuilder {
    pub(crate) fn new(client: Client, method: Method, input: &str) -> RequestBuilder {
        let req = match client.resolve(input) {
            Ok(url) => {
                let mut req = Request::new(method, url);
                // `resolve` checked it.
                req.url_checked = true;
                Ok(req)
            }
            Err(e) => Err(e.with_request(method, input)),
        };
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

    /// Adds a header (a request's own header replaces a client default of
    /// the same name).
    pub fn header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let (name, value) = (name.into(), value.into());
        self.with(|r| r.append_header(name, value))
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

    /// Sets the body, with `content_type` unless the request has one.
    fn body_with_type(self, body: Body, content_type: Option<&str>) -> Self {
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
            Ok(s) => self.body_with_type(s.into(), Some("application/json")),
            Err(e) => self.with(|_| Err(Error::builder(format!("JSON body: {e}")).with_source(e))),
        }
    }

    /// Sends `value` URL-encoded, with `content-type:
    /// application/x-www-form-urlencoded` unless set.
    pub fn form<T: Serialize + ?Sized>(self, value: &T) -> Self {
        match serde_urlencoded::to_string(value) {
            Ok(s) => self.body_with_type(s.into(), Some("application/x-www-form-urlencoded")),
            Err(e) => self.with(|_| Err(Error::builder(format!("form body: {e}")).with_source(e))),
        }
    }

    /// Sends text, with `content-type: text/plain;charset=UTF-8` unless set.
    pub fn text(self, text: impl Into<String>) -> Self {
        self.body_with_type(text.into().into(), Some("text/plain;charset=UTF-8"))
    }

    /// Sends raw bytes (no content type is added).
    pub fn bytes(self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body_with_type(bytes.into().into(), None)
    }

    /// Sends a `FormData` (multipart; the browser sets the content type).
    /// Browsers and Node.js only.
    #[cfg(target_arch = "wasm32")]
    pub fn form_data(self, form: &FormData) -> Self {
        self.body_with_type(Body::form_data(form), None)
    }

    /// Sends any [`Body`] (no content type is added).
    pub fn body(self, body: impl Into<Body>) -> Self {
        self.body_with_type(body.into(), None)
    }

    /// Every shared setting that `options` sets, for this request (those
    /// it leaves unset stay as they are, and fall back to the client's).
    ///
    /// ```
    /// # fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// use std::time::Duration;
    /// let opts = fanout::Options::new().timeout(Duration::from_secs(2));
    /// let req = client.get("http://127.0.0.1:8080/posts").options(opts).build()?;
    /// assert_eq!(req.options().timeout, Some(Duration::from_secs(2)));
    /// # Ok(()) }
    /// ```
    pub fn options(self, options: crate::Options) -> Self {
        self.with(|r| {
            r.options = options.merged_over(&r.options);
            Ok(())
        })
    }

    /// Adds hooks for this request, run after the client's (see
    /// [`Hooks`](crate::Hooks)).
    ///
    /// ```
    /// # fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// let hooks = fanout::Hooks::new().before_request(|req| req.set_header("x-step", "1"));
    /// let req = client.get("http://127.0.0.1:8080/posts").hooks(hooks).build()?;
    /// assert!(!req.hooks().is_empty());
    /// # Ok(()) }
    /// ```
    ///
    /// Feature `hooks`.
    #[cfg(feature = "hooks")]
    pub fn hooks(self, hooks: crate::Hooks) -> Self {
        self.with(|r| {
            r.hooks.extend(&hooks);
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

    /// Calls `f` as the request body is sent, with the bytes sent so far
    /// ([`Transfer`](crate::Transfer)), for text (and JSON, form), byte and
    /// `FormData` bodies. Throttled like download progress (on the first
    /// report, then at most once per 16 ms unless 64 KiB more went), `loaded`
    /// never goes down, and the last call has `total == Some(loaded)`, the
    /// body's size. A retry sends the body again, and reports again from 0.
    ///
    /// Which path the request takes (this request only; the others keep
    /// plain `fetch`):
    ///
    /// - **Browser pages and dedicated workers (Chromium, Firefox, any
    ///   with `XMLHttpRequest`)**: an `XMLHttpRequest`, whose
    ///   `upload.onprogress` events are the bytes the browser sent. `fetch`
    ///   can only stream a request body (`duplex: "half"`) in Chromium
    ///   over HTTP/2 (not HTTP/1.1, which cannot be known before sending)
    ///   and not at all in Firefox, so browsers never take that path. The
    ///   timeout, the caller's `AbortSignal`, dropping the future (which
    ///   aborts the XHR), retries, limits, hooks and middleware work as
    ///   with `fetch`. The response body is read whole before the future
    ///   resolves (the timeout covers it); the response then behaves like
    ///   any other (status, headers, final URL, readers, `max_body_size`),
    ///   but a download-progress callback gets a single, final call. The
    ///   `cache` and `redirect` options do not apply (redirects are
    ///   followed), and `credentials` only turns `withCredentials` on for
    ///   [`Include`](crate::Credentials::Include) (`Omit` still sends
    ///   same-origin cookies). A cross-origin request with an upload
    ///   listener is always preflighted (CORS).
    /// - **Node.js** (no `XMLHttpRequest`) and other contexts whose `fetch`
    ///   takes a stream (`Request.prototype.duplex` exists; a Chromium
    ///   service worker, where it works over HTTP/2 only): `fetch` with the
    ///   body streamed from a
    ///   `ReadableStream` in 64 KiB chunks (`duplex: "half"`, sent with
    ///   `Transfer-Encoding: chunked`, no `Content-Length`); `loaded`
    ///   counts the bytes `fetch` has taken from the stream to write to the
    ///   connection (the socket's buffers make it run a little ahead of the
    ///   server). A `FormData` body is encoded first, to know its size. A
    ///   307 or 308 redirect is a network error there: the Fetch standard
    ///   cannot send a streamed body again (301, 302 and 303, which drop the
    ///   body, are followed).
    /// - Contexts with neither (such as a service worker in Firefox):
    ///   plain `fetch`, and one call, the final one, once the response
    ///   arrived.
    ///
    /// A stream body ([`Body::stream`](crate::Body::stream)) or a custom
    /// [`Transport`](crate::Transport) ignores the callback.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// let resp = client
    ///     .post("upload")
    ///     .bytes(vec![0u8; 1 << 20])
    ///     .on_upload_progress(|t| {
    ///         println!("sent {} of {:?} bytes", t.loaded, t.total);
    ///     })
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "upload")]
    pub fn on_upload_progress(
        self,
        f: impl Fn(crate::Transfer) + crate::MaybeSend + crate::MaybeSync + 'static,
    ) -> Self {
        let f: crate::progress::ProgressFn = crate::sync::Shared::new(f);
        self.with(|r| {
            r.upload_progress = Some(f);
            Ok(())
        })
    }

    /// The absolute URL this request goes to, or the error that building it
    /// hit.
    pub fn url(&self) -> Result<&str, &Error> {
        self.req.as_ref().map(|r| r.url.as_str())
    }

    /// The [`Request`] as built so far, or the first error a setter hit.
    /// Its options and headers are the request's own: the client's fill in
    /// the rest when it is executed.
    ///
    /// ```
    /// # fn run() -> Result<(), fanout::Error> {
    /// use std::time::Duration;
    /// let client = fanout::Client::builder().base_url("http://127.0.0.1:8080/").build()?;
    /// let req = client.get("posts").timeout(Duration::from_secs(1)).build()?;
    /// assert_eq!(req.options().timeout, Some(Duration::from_secs(1)));
    /// let err = client.get("posts").header("bad name", "x").build().unwrap_err();
    /// assert!(err.is_builder());
    /// # Ok(()) }
    /// ```
    pub fn build(self) -> Result<Request, Error> {
        let req = self.req?;
        match req.options.validate() {
            Ok(()) => Ok(req),
            Err(e) => Err(e.with_request(req.method, &req.url)),
        }
    }

    /// Sends the request through the client's pipeline (see
    /// [`Client::execute`]) and resolves to the response once its headers
    /// arrive. Dropping the future aborts the fetch.
    pub fn send(self) -> impl Future<Output = Result<Response, Error>> {
        // Built now, not at the first poll: the future then holds the
        // request once (an `async fn` keeps its argument and a copy).
        let client = self.client.clone();
        let req = self.build();
        async move { client.execute(req?).await }
    }
}

/// Starting requests: one method per HTTP method, and [`Client::request`]
/// for any.
impl Client {
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
}
