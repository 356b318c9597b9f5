//! Server-Sent Events over `fetch`: [`Client::sse`] starts an
//! [`SseBuilder`] (a request like any other: headers, a body, the
//! client's middleware), whose [`send`](SseBuilder::send) gives an
//! [`EventStream`] of [`Event`]s that reconnects with `Last-Event-ID`.
//! [`EventParser`] is the pure part, the HTML standard's event-stream
//! interpretation, tested natively.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use crate::builder::RequestBuilder;
use crate::client::Client;
use crate::error::{Error, Kind};
use crate::method::Method;
use crate::response::Response;
use crate::sync::{dyn_ss, Shared};

/// One server-sent event.
///
/// ```
/// let e = fanout::Event::default();
/// assert_eq!(e.event, "message");
/// assert!(e.data.is_empty() && e.id.is_empty() && e.retry.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The event type: the `event:` field, `message` when there was none.
    pub event: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
    /// The last event ID (the last `id:` field seen on this stream, even
    /// in an earlier event), as `EventSource`'s `lastEventId`; empty if
    /// none. A reconnection sends it as `Last-Event-ID`.
    pub id: String,
    /// A `retry:` field that came with this event: the server's new
    /// reconnection delay.
    pub retry: Option<Duration>,
}

impl Default for Event {
    fn default() -> Event {
        Event {
            event: "message".into(),
            data: String::new(),
            id: String::new(),
            retry: None,
        }
    }
}

mod parser;
mod stream;

pub(crate) use parser::EventParser;
pub use stream::EventStream;
use stream::State;

/// A reconnection of an [`EventStream`], as its
/// [`on_reconnect`](SseBuilder::on_reconnect) callback sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reconnect {
    /// How many reconnections this stream has made, this one included.
    pub attempt: u32,
    /// How long it waits before connecting again.
    pub delay: Duration,
    /// The `Last-Event-ID` it will send (empty: none).
    pub last_event_id: String,
    /// Why the last connection ended: `None` when the server closed it,
    /// else the error.
    pub cause: Option<String>,
}

type ReconnectFn = Shared<dyn_ss!(Fn(&Reconnect))>;

/// The default reconnection delay, until the server sends `retry:`.
const DEFAULT_RETRY: Duration = Duration::from_secs(3);
/// The default cap of the delay (the server's, and with backoff).
const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);
/// What the request's own `timeout` is replaced with, so that neither it
/// nor the client's cuts a stream that is meant to stay open (the timer
/// API's longest delay, about 24.8 days). The timeout becomes the
/// connection's: from sending until the response's headers.
const STREAM_OPEN: Duration = Duration::from_millis(2_147_483_647);

/// A Server-Sent Events request being built: from [`Client::sse`]. Finish
/// it with [`send`](SseBuilder::send).
///
/// ```no_run
/// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
/// use futures_util::StreamExt;
/// use std::time::Duration;
/// let mut events = client
///     .sse("sse?count=5")
///     .header("x-tenant", "a")
///     .timeout(Duration::from_secs(5)) // for each connection, until the headers
///     .max_retry_delay(Duration::from_secs(10))
///     .send()
///     .await?;
/// while let Some(event) = events.next().await {
///     let event = event?;
///     println!("{} #{}: {}", event.event, event.id, event.data);
/// }
/// # Ok(()) }
/// ```
#[must_use = "an event stream does nothing until you .send().await it"]
pub struct SseBuilder {
    client: Client,
    inner: RequestBuilder,
    method: Option<Method>,
    retry_delay: Duration,
    max_delay: Duration,
    max_reconnects: Option<u32>,
    last_event_id: String,
    on_reconnect: Option<ReconnectFn>,
}

impl fmt::Debug for SseBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseBuilder")
            .field("request", &self.inner)
            .field("retry_delay", &self.retry_delay)
            .field("max_delay", &self.max_delay)
            .finish_non_exhaustive()
    }
}

/// Server-Sent Events.
impl Client {
    /// Starts a Server-Sent Events request (a `GET` with `Accept:
    /// text/event-stream`, unless changed): see [`SseBuilder`] and
    /// [`EventStream`].
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// use futures_util::StreamExt;
    /// let mut events = client.sse("sse?count=3").send().await?;
    /// while let Some(event) = events.next().await {
    ///     println!("{}", event?.data);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn sse(&self, url: impl AsRef<str>) -> SseBuilder {
        SseBuilder {
            client: self.clone(),
            inner: self
                .get(url)
                .header("accept", "text/event-stream")
                .cache(crate::CacheMode::NoStore),
            method: None,
            retry_delay: DEFAULT_RETRY,
            max_delay: DEFAULT_MAX_DELAY,
            max_reconnects: None,
            last_event_id: String::new(),
            on_reconnect: None,
        }
    }
}

impl SseBuilder {
    /// Changes the underlying [`RequestBuilder`]: a body, a query, any
    /// option. The body must not be a stream (each reconnection sends it
    /// again).
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// let events = client
    ///     .sse("sse")
    ///     .method(fanout::Method::Post)
    ///     .request(|r| r.json(&serde_json::json!({"topic": "posts"})))
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn request(mut self, f: impl FnOnce(RequestBuilder) -> RequestBuilder) -> Self {
        self.inner = f(self.inner);
        self
    }

    /// The method (default `GET`).
    pub fn method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Adds a header (see [`RequestBuilder::header`]).
    pub fn header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let (name, value) = (name.into(), value.into());
        self.request(|r| r.header(name, value))
    }

    /// The timeout of each connection, from sending until the response's
    /// headers (default: the client's `timeout`, if any). Once open, a
    /// stream has no timeout.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.request(|r| r.timeout(timeout))
    }

    /// Aborts the stream (and any reconnection) when `signal` fires; the
    /// stream then ends with an error that
    /// [`is_aborted`](Error::is_aborted).
    pub fn abort_signal(self, signal: &crate::AbortSignal) -> Self {
        self.request(|r| r.abort_signal(signal))
    }

    /// The reconnection delay until the server sends `retry:` (default
    /// 3 s).
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    /// The cap of the reconnection delay (default 30 s): a server's
    /// `retry:` above it is cut down to it, and so is the backoff, which
    /// doubles the delay for each connection in a row that fails or ends
    /// without an event.
    pub fn max_retry_delay(mut self, max: Duration) -> Self {
        self.max_delay = max;
        self
    }

    /// Gives up after `n` reconnections in a row that fail or bring no
    /// event (default: never); the stream then ends with the last error.
    /// `0` turns reconnection off.
    pub fn max_reconnects(mut self, n: u32) -> Self {
        self.max_reconnects = Some(n);
        self
    }

    /// Resumes a stream: the first connection already sends this
    /// `Last-Event-ID`.
    pub fn last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = id.into();
        self
    }

    /// Calls `f` at each reconnection, before its wait.
    pub fn on_reconnect(
        mut self,
        f: impl Fn(&Reconnect) + crate::MaybeSend + crate::MaybeSync + 'static,
    ) -> Self {
        self.on_reconnect = Some(Shared::new(f));
        self
    }

    /// Opens the stream: resolves once the first response's headers have
    /// arrived and were checked, to the [`EventStream`]. A response that
    /// is not a `200` `text/event-stream` is an error (a 4xx or 5xx
    /// [`is_status`](Error::is_status); a 204, the server's way to say
    /// "do not connect", too, with [`status`](Error::status) 204; another
    /// content type [`is_decode`](Error::is_decode)).
    pub async fn send(self) -> Result<EventStream, Error> {
        let mut req = self.inner.build()?;
        if let Some(m) = self.method {
            req.set_method(m);
        }
        if req.body().is_some_and(|b| b.is_stream()) {
            return Err(Error::builder(
                "an event stream cannot have a stream body: each reconnection sends it again",
            )
            .with_request(req.method(), req.url()));
        }
        let connect_timeout = req.options().timeout.or(self.client.options().timeout);
        req.options_mut().timeout = Some(STREAM_OPEN);
        let mut stream = EventStream {
            client: self.client,
            template: req,
            connect_timeout,
            parser: EventParser::with_last_id(self.last_event_id),
            ready: VecDeque::new(),
            state: State::Done,
            retry_delay: self.retry_delay,
            max_delay: self.max_delay,
            max_reconnects: self.max_reconnects,
            reconnects: 0,
            failures: 0,
            got_event: false,
            on_reconnect: self.on_reconnect,
        };
        let resp = stream.connect().await?;
        stream.state = State::Reading(Box::new(check(resp)?.bytes_stream()));
        Ok(stream)
    }
}

/// Checks that a response is an event stream.
fn check(resp: Response) -> Result<Response, Error> {
    let status = resp.status();
    if status == 204 {
        return Err(resp.fail(Error::new(
            Kind::Status {
                status,
                status_text: resp.status_text(),
            },
            "HTTP 204 No Content: the server asked not to (re)connect the event stream",
        )));
    }
    let resp = resp.error_for_status()?;
    if status != 200 {
        return Err(resp.fail(Error::new(
            Kind::Status {
                status,
                status_text: resp.status_text(),
            },
            format!("HTTP {status}: an event stream must answer 200"),
        )));
    }
    let ct = resp.headers().get("content-type").unwrap_or_default();
    let essence = ct.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("text/event-stream") {
        return Err(resp.fail(Error::decode(
            format!("not an event stream: the content type is \"{ct}\", not \"text/event-stream\""),
            "",
        )));
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backoff::backoff;

    #[test]
    fn backoff_doubles_and_caps() {
        let s = Duration::from_millis;
        assert_eq!(backoff(s(100), 0, s(1000)), s(100));
        assert_eq!(backoff(s(100), 1, s(1000)), s(100));
        assert_eq!(backoff(s(100), 2, s(1000)), s(200));
        assert_eq!(backoff(s(100), 3, s(1000)), s(400));
        assert_eq!(backoff(s(100), 9, s(1000)), s(1000));
        assert_eq!(backoff(s(u64::MAX / 4), 40, s(1000)), s(1000));
    }

    #[cfg(all(feature = "mock", feature = "retry"))]
    mod over_a_mock {
        use super::super::*;
        use crate::mock::{MockTransport, Reply};
        use futures_util::StreamExt;

        fn stream_reply(body: &str) -> Reply {
            Reply::new(200, body).header("content-type", "text/event-stream; charset=utf-8")
        }

        fn client(mock: &MockTransport) -> Client {
            Client::builder()
                .base_url("http://api.test/")
                .retry(crate::Retry::none())
                .transport(mock.clone())
                .build()
                .unwrap()
        }

        #[test]
        fn reconnects_with_last_event_id_until_a_204() {
            let mock = MockTransport::new().route_fn(Method::Get, "/sse", |req| {
                match req.header("last-event-id") {
                    None => stream_reply("retry: 5\nid: 1\ndata: a\n\nid: 2\ndata: b\n\ndata: cut"),
                    Some("2") => stream_reply("id: 3\ndata: c\n\n"),
                    Some(_) => Reply::status(204),
                }
            });
            let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let log = seen.clone();
            futures::executor::block_on(async {
                let stream = client(&mock)
                    .sse("sse")
                    .on_reconnect(move |r| {
                        log.lock()
                            .unwrap()
                            .push((r.attempt, r.delay, r.last_event_id.clone()))
                    })
                    .send()
                    .await
                    .unwrap();
                let items: Vec<Result<Event, Error>> = stream.collect().await;
                let data: Vec<&str> = items
                    .iter()
                    .filter_map(|i| i.as_ref().ok())
                    .map(|e| e.data.as_str())
                    .collect();
                assert_eq!(data, ["a", "b", "c"]);
                let last = items.last().unwrap().as_ref().unwrap_err();
                assert_eq!(last.status(), Some(204), "{last}");
                assert!(last.to_string().contains("http://api.test/sse"), "{last}");
            });
            let reqs = mock.requests();
            assert_eq!(reqs.len(), 3);
            assert_eq!(reqs[0].header("last-event-id"), None);
            assert_eq!(reqs[0].header("accept"), Some("text/event-stream"));
            assert_eq!(reqs[1].header("last-event-id"), Some("2"));
            assert_eq!(reqs[2].header("last-event-id"), Some("3"));
            let ms = Duration::from_millis(5);
            assert_eq!(
                *seen.lock().unwrap(),
                [(1, ms, "2".to_owned()), (2, ms, "3".to_owned())]
            );
        }

        #[test]
        fn not_an_event_stream_is_a_clear_error() {
            let mock = MockTransport::new()
                .route(
                    Method::Get,
                    "/json",
                    Reply::json(200, &serde_json::json!({})),
                )
                .route(Method::Get, "/gone", Reply::status(404))
                .route(Method::Get, "/empty", Reply::status(204));
            futures::executor::block_on(async {
                let c = client(&mock);
                let e = c.sse("json").send().await.unwrap_err();
                assert!(
                    e.is_decode() && e.to_string().contains("text/event-stream"),
                    "{e}"
                );
                let e = c.sse("gone").send().await.unwrap_err();
                assert_eq!(e.status(), Some(404));
                assert!(e.is_status());
                let e = c.sse("empty").send().await.unwrap_err();
                assert_eq!(e.status(), Some(204));
            });
        }

        #[test]
        fn backoff_while_connections_bring_nothing_then_give_up() {
            let mock = MockTransport::new().route(Method::Get, "/sse", stream_reply(": nothing\n"));
            let delays = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let log = delays.clone();
            futures::executor::block_on(async {
                let items: Vec<Result<Event, Error>> = client(&mock)
                    .sse("sse")
                    .retry_delay(Duration::from_millis(2))
                    .max_retry_delay(Duration::from_millis(6))
                    .max_reconnects(3)
                    .on_reconnect(move |r| log.lock().unwrap().push(r.delay.as_millis()))
                    .send()
                    .await
                    .unwrap()
                    .collect()
                    .await;
                assert_eq!(items.len(), 1);
                assert!(items[0].as_ref().unwrap_err().is_network());
            });
            assert_eq!(*delays.lock().unwrap(), [2, 4, 6]);
            assert_eq!(mock.requests().len(), 4);
        }

        #[test]
        fn a_post_body_is_sent_again_on_each_reconnection() {
            let mock = MockTransport::new().route_fn(Method::Post, "/sse", |req| {
                match req.header("last-event-id") {
                    None => stream_reply("retry: 1\nid: x\ndata: 1\n\n"),
                    Some(_) => Reply::status(204),
                }
            });
            futures::executor::block_on(async {
                let n = client(&mock)
                    .sse("sse")
                    .method(Method::Post)
                    .request(|r| r.text("topic=posts"))
                    .send()
                    .await
                    .unwrap()
                    .count()
                    .await;
                assert_eq!(n, 2); // one event, then the 204 error
            });
            let reqs = mock.requests();
            assert!(reqs
                .iter()
                .all(|r| r.body().and_then(|b| b.as_bytes()) == Some(&b"topic=posts"[..])));
        }
    }
}
