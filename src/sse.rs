//! Server-Sent Events over `fetch`: [`Client::sse`] starts an
//! [`SseBuilder`] (a request like any other: headers, a body, the
//! client's middleware), whose [`send`](SseBuilder::send) gives an
//! [`EventStream`] of [`Event`]s that reconnects with `Last-Event-ID`.
//! [`EventParser`] is the pure part, the HTML standard's event-stream
//! interpretation, tested natively.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_util::future::{select, Either};

use crate::builder::RequestBuilder;
use crate::client::Client;
use crate::error::{Error, Kind};
use crate::lines::BOM;
use crate::method::Method;
use crate::request::Request;
use crate::response::{BodyStream, Response};
use crate::sync::{dyn_ss, BoxFuture, Shared};
use crate::sys;

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

/// The event-stream interpretation of the HTML standard ("Server-sent
/// events", parsing an event stream): lines end at CR, LF or CRLF
/// anywhere in the chunks; one leading byte order mark is dropped; lines
/// starting with `:` are comments; `field: value` loses one space after
/// the colon; `data` lines are joined with `\n`; an `id` with a NUL is
/// ignored; `retry` takes ASCII digits only; a blank line dispatches the
/// event, unless it has no data; an unfinished event at the end is
/// dropped.
#[derive(Debug, Default)]
pub(crate) struct EventParser {
    line: Vec<u8>,
    pending_cr: bool,
    bom_checked: bool,
    data: String,
    event_type: String,
    id_buffer: String,
    last_id: String,
    block_retry: Option<u64>,
    retry: Option<u64>,
}

impl EventParser {
    /// A parser whose last event ID starts as `id` (resuming a stream).
    pub(crate) fn with_last_id(id: String) -> EventParser {
        EventParser {
            id_buffer: id.clone(),
            last_id: id,
            ..EventParser::default()
        }
    }

    /// The last event ID: what a reconnection sends.
    pub(crate) fn last_event_id(&self) -> &str {
        &self.last_id
    }

    /// The reconnection delay the server last asked for (`retry:`), in ms.
    pub(crate) fn retry_ms(&self) -> Option<u64> {
        self.retry
    }

    /// Starts a new response body: line state and the unfinished event are
    /// dropped; the last event ID and the retry delay stay.
    pub(crate) fn restart(&mut self) {
        *self = EventParser {
            id_buffer: self.last_id.clone(),
            last_id: std::mem::take(&mut self.last_id),
            retry: self.retry,
            ..EventParser::default()
        };
    }

    /// Adds `chunk`, pushing every event it completes onto `out`.
    pub(crate) fn push(&mut self, chunk: &[u8], out: &mut VecDeque<Event>) {
        if self.bom_checked {
            return self.split(chunk, out);
        }
        self.line.extend_from_slice(chunk);
        if self.line.len() < BOM.len() && BOM.starts_with(&self.line) {
            return;
        }
        self.bom_checked = true;
        let mut held = std::mem::take(&mut self.line);
        if held.starts_with(BOM) {
            held.drain(..BOM.len());
        }
        self.split(&held, out);
    }

    fn split(&mut self, mut rest: &[u8], out: &mut VecDeque<Event>) {
        if self.pending_cr && !rest.is_empty() {
            self.pending_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while let Some(i) = rest.iter().position(|&b| b == b'\r' || b == b'\n') {
            self.line.extend_from_slice(&rest[..i]);
            let line = std::mem::take(&mut self.line);
            self.line_done(&line, out);
            self.line = line;
            self.line.clear();
            if rest[i] == b'\r' {
                match rest.get(i + 1) {
                    Some(b'\n') => rest = &rest[i + 2..],
                    Some(_) => rest = &rest[i + 1..],
                    None => {
                        self.pending_cr = true;
                        rest = &[];
                    }
                }
            } else {
                rest = &rest[i + 1..];
            }
        }
        self.line.extend_from_slice(rest);
    }

    fn line_done(&mut self, line: &[u8], out: &mut VecDeque<Event>) {
        if line.is_empty() {
            return self.dispatch(out);
        }
        if line[0] == b':' {
            return;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (&line[..], ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event_type),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => value.clone_into(&mut self.id_buffer),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Absurdly long digit strings saturate.
                let ms = value.parse().unwrap_or(u64::MAX);
                self.retry = Some(ms);
                self.block_retry = Some(ms);
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut VecDeque<Event>) {
        self.last_id.clone_from(&self.id_buffer);
        let retry = self.block_retry.take().map(Duration::from_millis);
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the last "\n"
        let event = match std::mem::take(&mut self.event_type) {
            t if t.is_empty() => "message".to_owned(),
            t => t,
        };
        out.push_back(Event {
            event,
            data,
            id: self.last_id.clone(),
            retry,
        });
    }
}

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
            format!("not an event stream: the content type is {ct:?}, not \"text/event-stream\""),
            "",
        )));
    }
    Ok(resp)
}

enum State {
    Connecting(BoxFuture<'static, Result<Response, Error>>),
    Reading(Box<BodyStream>),
    Waiting(sys::Sleep),
    Done,
}

/// A `Stream` of server-sent [`Event`]s, from [`SseBuilder::send`].
///
/// When the connection ends (the server closes it, or it breaks), the
/// stream waits and connects again with the same request plus
/// `Last-Event-ID`, so no event is missed or repeated by a server that
/// honours it. The wait is the server's `retry:` delay (else
/// [`retry_delay`](SseBuilder::retry_delay)), capped by
/// [`max_retry_delay`](SseBuilder::max_retry_delay), doubled for each
/// connection in a row that brings no event. It stops, with an error item
/// and then the end, on a reconnection answered by anything but a `200`
/// event stream, on the caller's `AbortSignal`, on a body larger than
/// `max_body_size`, or after [`max_reconnects`](SseBuilder::max_reconnects).
///
/// Dropping it aborts the fetch (or the wait): nothing is left running.
pub struct EventStream {
    client: Client,
    template: Request,
    connect_timeout: Option<Duration>,
    parser: EventParser,
    ready: VecDeque<Event>,
    state: State,
    retry_delay: Duration,
    max_delay: Duration,
    max_reconnects: Option<u32>,
    reconnects: u32,
    /// Connections in a row that failed or brought no event.
    failures: u32,
    got_event: bool,
    on_reconnect: Option<ReconnectFn>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("url", &self.template.url())
            .field("last_event_id", &self.parser.last_event_id())
            .field("reconnects", &self.reconnects)
            .finish_non_exhaustive()
    }
}

impl EventStream {
    /// The last event ID received (what a reconnection sends as
    /// `Last-Event-ID`); empty if none.
    pub fn last_event_id(&self) -> &str {
        self.parser.last_event_id()
    }

    /// How many times the stream has reconnected.
    pub fn reconnects(&self) -> u32 {
        self.reconnects
    }

    /// The delay before the next reconnection: the server's `retry:`
    /// (capped), or the default, with backoff.
    pub fn retry_delay(&self) -> Duration {
        let base = self
            .parser
            .retry_ms()
            .map(Duration::from_millis)
            .unwrap_or(self.retry_delay);
        backoff(base, self.failures, self.max_delay)
    }

    fn connect(&mut self) -> BoxFuture<'static, Result<Response, Error>> {
        let mut req = self
            .template
            .try_clone()
            .expect("a stream body is refused by send()");
        let id = self.parser.last_event_id();
        if !id.is_empty() {
            if let Err(e) = req.set_header("last-event-id", id) {
                let e = e.with_request(req.method(), req.url());
                return Box::pin(async move { Err(e) });
            }
        }
        let (client, timeout) = (self.client.clone(), self.connect_timeout);
        Box::pin(async move {
            let (method, url) = (req.method(), req.url().to_owned());
            let open = client.execute(req);
            match timeout {
                None => open.await,
                Some(d) => match select(pin!(open), sys::sleep(d)).await {
                    Either::Left((r, _)) => r,
                    Either::Right(_) => Err(Error::timeout(d).with_request(method, &url)),
                },
            }
        })
    }

    /// The connection ended (with `cause` if it broke): waits, or gives up.
    fn reconnect(&mut self, cause: Option<Error>) -> Option<Error> {
        if self.got_event {
            self.failures = 0;
        } else {
            self.failures = self.failures.saturating_add(1);
        }
        self.got_event = false;
        if self.max_reconnects.is_some_and(|n| self.failures > n) {
            self.state = State::Done;
            return Some(cause.unwrap_or_else(|| {
                Error::network(format!(
                    "the event stream closed and {} reconnection(s) brought no event",
                    self.failures - 1
                ))
                .with_request(self.template.method(), self.template.url())
            }));
        }
        let delay = self.retry_delay();
        self.reconnects += 1;
        if let Some(f) = &self.on_reconnect {
            f(&Reconnect {
                attempt: self.reconnects,
                delay,
                last_event_id: self.parser.last_event_id().to_owned(),
                cause: cause.map(|e| e.to_string()),
            });
        }
        self.state = State::Waiting(sys::sleep(delay));
        None
    }
}

/// `base` doubled `failures - 1` times (no doubling for the first), capped.
use crate::backoff::backoff;

impl Stream for EventStream {
    type Item = Result<Event, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(event) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(event)));
            }
            match &mut this.state {
                State::Done => return Poll::Ready(None),
                State::Waiting(sleep) => match Pin::new(sleep).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(()) => this.state = State::Connecting(this.connect()),
                },
                State::Connecting(fut) => match fut.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(resp)) => match check(resp) {
                        Ok(resp) => {
                            this.parser.restart();
                            this.state = State::Reading(Box::new(resp.bytes_stream()));
                        }
                        Err(e) => {
                            this.state = State::Done;
                            return Poll::Ready(Some(Err(e)));
                        }
                    },
                    Poll::Ready(Err(e)) if e.is_network() || e.is_timeout() => {
                        if let Some(e) = this.reconnect(Some(e)) {
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                    Poll::Ready(Err(e)) => {
                        this.state = State::Done;
                        return Poll::Ready(Some(Err(e)));
                    }
                },
                State::Reading(body) => match Pin::new(&mut **body).poll_next(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Ok(chunk))) => {
                        this.parser.push(&chunk, &mut this.ready);
                        if !this.ready.is_empty() {
                            this.got_event = true;
                        }
                    }
                    Poll::Ready(Some(Err(e))) if e.is_aborted() || e.is_too_large() => {
                        this.state = State::Done;
                        return Poll::Ready(Some(Err(e)));
                    }
                    Poll::Ready(Some(Err(e))) => {
                        if let Some(e) = this.reconnect(Some(e)) {
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                    Poll::Ready(None) => {
                        if let Some(e) = this.reconnect(None) {
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                },
            }
        }
    }
}

// Native only: the property tests use proptest, a native dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(chunks: &[&[u8]]) -> (Vec<Event>, EventParser) {
        let mut p = EventParser::default();
        let mut out = VecDeque::new();
        for c in chunks {
            p.push(c, &mut out);
        }
        (out.into(), p)
    }

    fn ev(event: &str, data: &str, id: &str) -> Event {
        Event {
            event: event.into(),
            data: data.into(),
            id: id.into(),
            retry: None,
        }
    }

    #[test]
    fn fields_comments_and_line_ends() {
        let (events, p) = parse(&[
            b": hello\n\ndata: one\n\nevent: add\ndata:two\ndata:  lines\r\nid: 7\r\n\r\n",
            b"data\rdata:\r\rid: 8\ndata: x\n",
        ]);
        assert_eq!(
            events,
            [
                ev("message", "one", ""),
                ev("add", "two\n lines", "7"),
                ev("message", "\n", "7"),
            ]
        );
        // The last event is unfinished: not dispatched, its id not taken.
        assert_eq!(p.last_event_id(), "7");
    }

    #[test]
    fn the_standards_examples() {
        // "The following stream fires two events" / "three events".
        let (e, _) = parse(&[b"data\n\ndata\ndata\n\ndata:"]);
        assert_eq!(e, [ev("message", "", ""), ev("message", "\n", "")]);
        let (e, _) = parse(&[b"data:test\n\ndata: test\n\n"]);
        assert_eq!(e, [ev("message", "test", ""), ev("message", "test", "")]);
        let (e, _) = parse(&[
            b"data: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
        ]);
        assert_eq!(
            e,
            [
                ev("message", "first event", "1"),
                ev("message", "second event", ""),
                ev("message", " third event", ""),
            ]
        );
    }

    #[test]
    fn id_retry_and_unknown_fields() {
        let (e, p) =
            parse(&[b"retry: 250\nid: a\0b\nfoo: bar\ndata: x\n\nretry: 12x\nretry\nid: z\n\n"]);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].retry, Some(Duration::from_millis(250)));
        assert_eq!(e[0].id, "");
        assert_eq!(p.retry_ms(), Some(250));
        // An id with no data still sets the last event ID.
        assert_eq!(p.last_event_id(), "z");
    }

    #[test]
    fn bom_only_at_the_start_and_restart() {
        let (e, mut p) = parse(&[b"\xEF\xBB", b"\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n"]);
        assert_eq!(e, [ev("message", "a", "")]);
        // After a restart (a new body) the BOM is dropped again, the
        // unfinished event is gone, the last ID stays.
        let mut out = VecDeque::new();
        p.push(b"id: 4\ndata: half", &mut out);
        p.restart();
        p.push(b"\xEF\xBB\xBFdata: c\n\n", &mut out);
        assert_eq!(Vec::from(out), [ev("message", "c", "")]);
        let (_, mut p) = parse(&[b"id: 9\n\n"]);
        p.restart();
        assert_eq!(p.last_event_id(), "9");
    }

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

    fn chunked(input: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut at: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        at.sort_unstable();
        let mut out = Vec::new();
        let mut from = 0;
        for c in at.into_iter().chain([input.len()]) {
            out.push(input[from..c].to_vec());
            from = c;
        }
        out
    }

    proptest! {
        /// Any chunking of the same bytes gives the same events.
        #[test]
        fn any_chunking_gives_the_same_events(
            pieces in prop::collection::vec(prop::sample::select(vec![
                &b"data"[..], b"data: x", b"event: e", b"id: 1", b"id", b"retry: 20",
                b":c", b":", b" ", b"\xC3\xA9", b"\xE2\x98\x83", b"\xEF\xBB\xBF",
                b"\r", b"\n", b"\r\n", b"\n\n", b"\r\r",
            ]), 0..40),
            cuts in prop::collection::vec(any::<usize>(), 0..16),
        ) {
            let input = pieces.concat();
            let (want, wp) = parse(&[&input]);
            let chunks = chunked(&input, &cuts);
            let refs: Vec<&[u8]> = chunks.iter().map(|c| &c[..]).collect();
            let (got, gp) = parse(&refs);
            prop_assert_eq!(got, want);
            prop_assert_eq!(gp.last_event_id(), wp.last_event_id());
            prop_assert_eq!(gp.retry_ms(), wp.retry_ms());
        }
    }

    #[test]
    fn every_cut_of_a_small_stream() {
        let input = b"\xEF\xBB\xBFid:1\rdata:\xC3\xA9\r\n\n";
        let (want, _) = parse(&[input]);
        assert_eq!(want, [ev("message", "\u{E9}", "1")]);
        let n = input.len();
        for mask in 0u32..(1 << (n - 1)) {
            let cuts: Vec<usize> = (1..n).filter(|i| mask & (1 << (i - 1)) != 0).collect();
            let chunks = chunked(input, &cuts);
            let refs: Vec<&[u8]> = chunks.iter().map(|c| &c[..]).collect();
            assert_eq!(parse(&refs).0, want, "{chunks:?}");
        }
    }
}
