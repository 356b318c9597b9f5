//! [`MockTransport`]: a [`Transport`] that answers from a table, for
//! testing code that uses fanout without a server, with `wasm-pack test`
//! or natively with `cargo test`.
//!
//! ```
//! use fanout::mock::{MockTransport, Reply};
//! use fanout::{Client, Method};
//!
//! # futures::executor::block_on(async {
//! let mock = MockTransport::new()
//!     .route(Method::Get, "/posts/1", Reply::json(200, &serde_json::json!({"id": 1})))
//!     .route(Method::Get, "/down", Reply::network_error("connection refused"));
//! let client = Client::builder()
//!     .base_url("http://api.test/")
//!     .transport(mock.clone())
//!     .build()?;
//!
//! let post: serde_json::Value = client.get("posts/1").send().await?.json().await?;
//! assert_eq!(post["id"], 1);
//! assert!(client.get("down").retry(fanout::Retry::none()).send().await.unwrap_err().is_network());
//! assert_eq!(client.get("nowhere").send().await?.status(), 404);
//!
//! let seen = mock.requests();
//! assert_eq!(seen.len(), 3);
//! assert_eq!(seen[0].url(), "http://api.test/posts/1");
//! # Ok::<_, fanout::Error>(()) }).unwrap();
//! ```

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::error::Error;
use crate::method::Method;
use crate::request::Request;
use crate::response::Response;
use crate::sync::{dyn_ss, BoxFuture, Lock, MaybeSend, MaybeSync, Shared};
use crate::sys;
use crate::transport::Transport;
use crate::url;

/// What a [`MockTransport`] route answers: a response, a network error or
/// nothing at all (a hang), optionally after a delay.
///
/// ```
/// use std::time::Duration;
/// use fanout::mock::Reply;
/// let slow = Reply::text(200, "ok").delay(Duration::from_millis(20));
/// let gone = Reply::status(410).header("x-reason", "moved");
/// let never = Reply::hang();
/// ```
#[derive(Clone, Debug)]
pub struct Reply {
    what: What,
    delay: Option<Duration>,
}

#[derive(Clone, Debug)]
enum What {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    Network(String),
    Hang,
}

impl Reply {
    /// A response with `status` and `body`.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            what: What::Respond {
                status,
                headers: Vec::new(),
                body: body.into(),
            },
            delay: None,
        }
    }

    /// A response with `status` and an empty body.
    pub fn status(status: u16) -> Reply {
        Reply::new(status, Vec::new())
    }

    /// A text response (`content-type: text/plain;charset=UTF-8`).
    pub fn text(status: u16, text: impl Into<String>) -> Reply {
        Reply::new(status, text.into().into_bytes())
            .header("content-type", "text/plain;charset=UTF-8")
    }

    /// A JSON response (`content-type: application/json`).
    ///
    /// # Panics
    /// If `value` cannot be serialized (a map with non-string keys).
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Reply {
        let body = serde_json::to_vec(value).expect("a mock reply's JSON serializes");
        Reply::new(status, body).header("content-type", "application/json")
    }

    /// A network error: no response at all.
    pub fn network_error(message: impl Into<String>) -> Reply {
        Reply {
            what: What::Network(message.into()),
            delay: None,
        }
    }

    /// Never answers (until the request is dropped, times out or is
    /// aborted).
    pub fn hang() -> Reply {
        Reply {
            what: What::Hang,
            delay: None,
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Reply {
        if let What::Respond { headers, .. } = &mut self.what {
            headers.push((name.into(), value.into()));
        }
        self
    }

    /// Answers after `delay`.
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = Some(delay);
        self
    }
}

type Handler = Shared<dyn_ss!(Fn(&Request) -> Reply)>;

struct Route {
    method: Method,
    path: String,
    handler: Handler,
}

#[derive(Default)]
struct State {
    routes: Vec<Route>,
    fallback: Option<Handler>,
    requests: Vec<Request>,
    in_flight: usize,
    cancelled: usize,
}

/// A [`Transport`] that answers from a table of routes (by method and URL
/// path), records every request it gets, and can delay, fail with a
/// network error or hang. Clones share their routes and records: keep one
/// to look at after handing another to
/// [`ClientBuilder::transport`](crate::ClientBuilder::transport).
///
/// A route's path matches the request URL's path exactly (the query is
/// ignored), or as a prefix when it ends in `*`. Without a matching route
/// the answer is the [`fallback`](MockTransport::fallback), by default an
/// empty 404. The client's timeouts, retries, limits and middleware all
/// apply as they do over `fetch`, and dropping a request drops its reply
/// ([`cancelled`](MockTransport::cancelled) counts those).
#[derive(Clone, Default)]
pub struct MockTransport {
    state: Shared<Lock<State>>,
}

impl fmt::Debug for MockTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.lock();
        f.debug_struct("MockTransport")
            .field("routes", &s.routes.len())
            .field("requests", &s.requests.len())
            .field("in_flight", &s.in_flight)
            .field("cancelled", &s.cancelled)
            .finish()
    }
}

impl MockTransport {
    /// A transport with no routes: everything is a 404.
    pub fn new() -> MockTransport {
        MockTransport::default()
    }

    /// Answers `method` requests to `path` with `reply`.
    pub fn route(self, method: Method, path: impl Into<String>, reply: Reply) -> MockTransport {
        self.route_fn(method, path, move |_| reply.clone())
    }

    /// Answers `method` requests to `path` with what `f` makes of each.
    ///
    /// ```
    /// use fanout::mock::{MockTransport, Reply};
    /// let mock = MockTransport::new().route_fn(fanout::Method::Post, "/echo", |req| {
    ///     Reply::new(200, req.body().and_then(|b| b.as_bytes()).unwrap_or_default())
    /// });
    /// ```
    pub fn route_fn(
        self,
        method: Method,
        path: impl Into<String>,
        f: impl Fn(&Request) -> Reply + MaybeSend + MaybeSync + 'static,
    ) -> MockTransport {
        self.state.lock().routes.push(Route {
            method,
            path: path.into(),
            handler: Shared::new(f),
        });
        self
    }

    /// What requests without a matching route get (default: an empty 404).
    pub fn fallback(
        self,
        f: impl Fn(&Request) -> Reply + MaybeSend + MaybeSync + 'static,
    ) -> MockTransport {
        self.state.lock().fallback = Some(Shared::new(f));
        self
    }

    /// Every request received so far, in order (one per attempt), as sent:
    /// with the client's default headers and options merged in. A streamed
    /// body is not kept.
    pub fn requests(&self) -> Vec<Request> {
        self.state
            .lock()
            .requests
            .iter()
            .filter_map(Request::try_clone)
            .collect()
    }

    /// Replies not yet given: delayed or hanging, and not dropped.
    pub fn in_flight(&self) -> usize {
        self.state.lock().in_flight
    }

    /// Replies dropped before they were given (the request's future, or its
    /// timeout, dropped them).
    pub fn cancelled(&self) -> usize {
        self.state.lock().cancelled
    }

    fn reply_for(&self, req: &Request) -> Reply {
        let handler = {
            let mut s = self.state.lock();
            s.requests.push(recorded(req));
            let path = url::path_of(&req.url);
            s.routes
                .iter()
                .rev()
                .find(|r| r.method == req.method && path_matches(&r.path, path))
                .map(|r| r.handler.clone())
                .or_else(|| s.fallback.clone())
        };
        match handler {
            Some(h) => h(req),
            None => Reply::status(404),
        }
    }
}

/// A copy of a request to keep (a streamed body left out).
fn recorded(req: &Request) -> Request {
    req.try_clone().unwrap_or_else(|| {
        let mut copy = Request::new(req.method, req.url.clone());
        copy.headers = req.headers.clone();
        copy.options = req.options.clone();
        copy
    })
}

fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

/// Counts a reply in flight until it is given or dropped.
struct InFlight {
    state: Shared<Lock<State>>,
    done: bool,
}

impl InFlight {
    fn new(state: Shared<Lock<State>>) -> InFlight {
        state.lock().in_flight += 1;
        InFlight { state, done: false }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = self.state.lock();
        s.in_flight -= 1;
        if !self.done {
            s.cancelled += 1;
        }
    }
}

impl Transport for MockTransport {
    fn send<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<Response, Error>> {
        let reply = self.reply_for(req);
        let flight = InFlight::new(self.state.clone());
        Box::pin(async move {
            // Moved in whole, so that dropping the future drops it.
            let mut flight = flight;
            if let Some(d) = reply.delay {
                sys::sleep(d).await;
            }
            let result = match reply.what {
                What::Respond {
                    status,
                    headers,
                    body,
                } => {
                    let mut resp = Response::new(status, body).with_url(req.url.clone());
                    for (n, v) in headers {
                        resp = resp.with_header(n, v);
                    }
                    Ok(resp)
                }
                What::Network(message) => Err(Error::network(message)),
                What::Hang => std::future::pending().await,
            };
            flight.done = true;
            result
        })
    }
}
