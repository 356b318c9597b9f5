//! WebSocket through the client (feature `websocket`):
//! [`Client::websocket`] starts a [`WebSocketBuilder`], whose
//! [`connect`](WebSocketBuilder::connect) gives a [`WebSocket`]: a
//! `Stream` of [`Message`]s with [`send`](WebSocket::send), which
//! reconnects under a [`Retry`] policy and loses nothing it could know
//! about.
//!
//! # What "nothing lost" means
//!
//! - While the socket reconnects, [`send`](WebSocket::send) puts the
//!   message in a bounded queue ([`send_buffer`](WebSocketBuilder::send_buffer));
//!   the queue goes out in order once the new connection opens. Each
//!   send's future resolves when its message was handed to an open
//!   socket's `send` (the only delivery point a browser gives); a full
//!   queue is an error that [`is_buffer_full`](Error::is_buffer_full), and
//!   when the socket closes for good every message still queued fails with
//!   an error that [`is_closed`](Error::is_closed).
//! - A message handed to a socket that then dropped may never have left
//!   this machine: the socket's `bufferedAmount` at the close says how
//!   many bytes did not, and so which messages; those are sent again,
//!   first and in order, after the reconnection (natively: the messages
//!   not yet flushed).
//! - **A message that left before a drop can still be lost on the way**:
//!   the peer may never have read it. No WebSocket client can know this;
//!   it is a limit of the protocol. If every message matters, have the
//!   server acknowledge each one and send again what was not
//!   acknowledged after a reconnection:
//!
//! ```no_run
//! # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
//! use futures_util::StreamExt;
//! use std::collections::BTreeMap;
//! let mut socket = client
//!     .websocket("ws/echo") // the echo acknowledges by sending the message back
//!     .reconnect(fanout::Retry::new().limit(5))
//!     .connect()
//!     .await?;
//! let mut unacked = BTreeMap::new();
//! for id in 0..10u32 {
//!     let text = format!("{id}:hello");
//!     socket.send(text.clone()).await?;
//!     unacked.insert(id, text);
//! }
//! let mut reconnects = socket.reconnects();
//! while !unacked.is_empty() {
//!     let Some(msg) = socket.next().await else { break };
//!     let msg = msg?;
//!     let id: u32 = msg.text()?.split(':').next().unwrap_or("").parse().unwrap_or(0);
//!     unacked.remove(&id);
//!     if socket.reconnects() != reconnects {
//!         // A drop: what was not acknowledged may be lost, so send it again.
//!         reconnects = socket.reconnects();
//!         for text in unacked.values() {
//!             socket.send(text.clone()).await?;
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Close codes: the user's [`close`](WebSocket::close) (and dropping the
//! socket, which closes it with 1000) ends it without a reconnection, and
//! so do a server's 1000 and the codes named with
//! [`final_codes`](WebSocketBuilder::final_codes); any other close, or a
//! drop (1006), reconnects under the policy, if there is one.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use crate::client::Client;
use crate::error::{Error, Kind};
use crate::retry::Retry;
use crate::sync::{dyn_ss, Lock, Shared};

mod core;
mod message;
#[cfg(not(target_arch = "wasm32"))]
mod native;
mod split;
#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(not(target_arch = "wasm32"))]
use native as platform;
#[cfg(target_arch = "wasm32")]
use web as platform;

use self::core::{Core, Settings};
pub use self::message::Message;
pub use self::split::{SendMessage, SocketSink, SocketStream};

/// Where a [`WebSocket`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketState {
    /// The first connection is opening.
    Connecting,
    /// A connection is open: sends go out.
    Open,
    /// A connection dropped: waiting, or opening the next (sends queue).
    Reconnecting,
    /// Closed for good.
    Closed,
}

/// What happened to a [`WebSocket`], for
/// [`on_event`](WebSocketBuilder::on_event): a UI shows "reconnecting…"
/// from these.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketEvent {
    /// A connection opened (`reconnects`: how many came before it).
    Open {
        /// How many reconnections the socket has made.
        reconnects: u32,
    },
    /// A connection dropped (or a reconnection failed) and the socket
    /// will connect again after `delay`.
    Reconnecting {
        /// The reconnection's number in a row (1 after an open connection).
        attempt: u32,
        /// How long it waits first.
        delay: Duration,
        /// The close code (1006: dropped without a close frame).
        code: u16,
        /// The close reason.
        reason: String,
        /// How many messages handed to the connection never left, and
        /// go out again first.
        resend: usize,
    },
    /// The socket closed for good.
    Closed {
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
}

type EventFn = Shared<dyn_ss!(Fn(&SocketEvent))>;

/// The default bound of the send queue, in messages.
const DEFAULT_SEND_BUFFER: usize = 1024;

/// A WebSocket being set up: from [`Client::websocket`]. Finish it with
/// [`connect`](WebSocketBuilder::connect).
///
/// ```no_run
/// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
/// use std::time::Duration;
/// let socket = client
///     .websocket("ws/echo") // on the base URL: http → ws, https → wss
///     .protocols(["v1.chat"])
///     .reconnect(fanout::Retry::new().limit(10).backoff(
///         Duration::from_millis(200),
///         Duration::from_secs(5),
///     ))
///     .heartbeat(Duration::from_secs(20), "ping")
///     .idle_timeout(Duration::from_secs(45))
///     .send_buffer(256)
///     .connect()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a WebSocket does nothing until you .connect().await it"]
pub struct WebSocketBuilder {
    url: Result<String, Error>,
    settings: Settings,
}

impl fmt::Debug for WebSocketBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketBuilder")
            .field("url", &self.url)
            .field("protocols", &self.settings.protocols)
            .field("reconnect", &self.settings.policy)
            .finish_non_exhaustive()
    }
}

/// WebSocket (feature `websocket`).
impl Client {
    /// Starts a WebSocket to `url`, joined onto the base URL as a request's
    /// would be, with `http`/`https` mapped to `ws`/`wss` (as the URL
    /// standard's WebSocket constructor does); a `ws://` or `wss://` URL
    /// is taken as it is. See [`WebSocketBuilder`] and [`WebSocket`].
    ///
    /// ```
    /// let client = fanout::Client::builder().base_url("https://api.test/v1").build().unwrap();
    /// assert_eq!(client.websocket("live").url().unwrap(), "wss://api.test/v1/live");
    /// assert!(client.websocket("ftp://x/").url().unwrap_err().is_builder());
    /// ```
    pub fn websocket(&self, url: impl AsRef<str>) -> WebSocketBuilder {
        WebSocketBuilder {
            url: ws_url(self, url.as_ref()),
            settings: Settings {
                protocols: Vec::new(),
                policy: None,
                final_codes: Vec::new(),
                heartbeat: None,
                idle: None,
                send_buffer: DEFAULT_SEND_BUFFER,
                on_event: None,
            },
        }
    }
}

/// Joins `input` onto the client's base URL and maps the scheme to `ws`.
fn ws_url(client: &Client, input: &str) -> Result<String, Error> {
    let bad = |why: &str| {
        Error::builder(format!(
            "invalid WebSocket URL \"{input}\": {why} (only ws://, wss://, http:// and https:// URLs)"
        ))
    };
    let lower = input
        .trim_start()
        .get(..6)
        .unwrap_or("")
        .to_ascii_lowercase();
    let mapped = if lower.starts_with("ws://") {
        format!("http://{}", &input.trim_start()[5..])
    } else if lower.starts_with("wss://") {
        format!("https://{}", &input.trim_start()[6..])
    } else {
        input.to_owned()
    };
    if mapped.contains('#') {
        return Err(bad("a WebSocket URL has no fragment"));
    }
    let url = client.resolve(&mapped).map_err(|e| bad(e.message()))?;
    if let Some(rest) = url.strip_prefix("http://") {
        Ok(format!("ws://{rest}"))
    } else if let Some(rest) = url.strip_prefix("https://") {
        Ok(format!("wss://{rest}"))
    } else {
        Err(bad("not an http(s) URL"))
    }
}

impl WebSocketBuilder {
    /// The URL it connects to, or why it can't (a builder error).
    pub fn url(&self) -> Result<&str, &Error> {
        self.url.as_deref()
    }

    /// The subprotocols to offer, in order of preference.
    pub fn protocols<S: Into<String>>(mut self, protocols: impl IntoIterator<Item = S>) -> Self {
        self.settings.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Reconnects after a drop under `policy` (default: no reconnection):
    /// it waits [`Retry::delay`]`(n)` before the n-th reconnection in a
    /// row (with its jitter), and gives up after
    /// [`max_retries`](Retry::max_retries) reconnections in a row that do
    /// not open. An open connection starts the count again.
    pub fn reconnect(mut self, policy: Retry) -> Self {
        self.settings.policy = Some(policy);
        self
    }

    /// Close codes from the server that end the socket without a
    /// reconnection, besides 1000 (which always does).
    pub fn final_codes(mut self, codes: impl IntoIterator<Item = u16>) -> Self {
        self.settings.final_codes = codes.into_iter().collect();
        self
    }

    /// Sends the application's own `ping` message every `every` while a
    /// connection is open (WebSocket pings are not in the browser's API).
    pub fn heartbeat(mut self, every: Duration, ping: impl Into<Message>) -> Self {
        self.settings.heartbeat = Some((every, ping.into()));
        self
    }

    /// Counts a connection that brings no message for `timeout` as
    /// dropped (then reconnects under the policy). With a
    /// [`heartbeat`](Self::heartbeat) whose ping the server answers, a
    /// silent connection is a dead one.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.settings.idle = Some(timeout);
        self
    }

    /// The bound of the send queue, in messages (default 1,024): a send
    /// past it fails at once with an error that
    /// [`is_buffer_full`](Error::is_buffer_full).
    pub fn send_buffer(mut self, messages: usize) -> Self {
        self.settings.send_buffer = messages.max(1);
        self
    }

    /// Calls `f` on each [`SocketEvent`]: opens, reconnections, the close.
    pub fn on_event(
        mut self,
        f: impl Fn(&SocketEvent) + crate::MaybeSend + crate::MaybeSync + 'static,
    ) -> Self {
        self.settings.on_event = Some(Shared::new(f));
        self
    }

    /// Opens the socket: resolves once the first connection is open. A
    /// bad URL or scheme is an error that [`is_builder`](Error::is_builder)
    /// (nothing was sent); a platform without WebSocket one that
    /// [`is_unsupported`](Error::is_unsupported); a connection that does
    /// not open (a refused upgrade, an unreachable server) one that
    /// [`is_connect`](Error::is_connect).
    pub async fn connect(self) -> Result<WebSocket, Error> {
        let socket = self.start()?;
        let core = &socket.sink.core;
        std::future::poll_fn(|cx| Core::poll_with(core, cx, |c| c.poll_opened())).await?;
        Ok(socket)
    }

    /// Starts connecting and gives the socket at once, without waiting
    /// for the connection: sends queue until it opens (the first
    /// connection's failure is then the stream's error item, and fails
    /// the queued sends). For a UI that shows "connecting…". Only a bad
    /// URL, scheme or setting, or a platform without WebSocket, fail here.
    pub fn start(self) -> Result<WebSocket, Error> {
        let url = self.url?;
        if let Some(policy) = &self.settings.policy {
            policy.validate().map_err(Error::builder)?;
        }
        let core = Shared::new(Lock::new(Core::new(url, self.settings)?));
        let handle = Shared::new(Handle(core.clone()));
        Ok(WebSocket {
            stream: SocketStream {
                core: core.clone(),
                _handle: handle.clone(),
            },
            sink: SocketSink {
                core,
                _handle: handle,
            },
        })
    }
}

/// Closes the socket when the last half is dropped.
struct Handle(Shared<Lock<Core>>);

impl Drop for Handle {
    fn drop(&mut self) {
        let events = {
            let mut core = self.0.lock();
            core.close(1000, "", true);
            core.take_events()
        };
        Core::dispatch(&self.0, events);
    }
}

/// An open WebSocket, from [`WebSocketBuilder::connect`]: a `Stream` of
/// the [`Message`]s received (an error item, then the end, when it closes
/// for good other than by a 1000 or the user), with
/// [`send`](WebSocket::send). [`split`](WebSocket::split) gives the two
/// halves for use at once. Dropping it closes it (code 1000).
///
/// See [the module's docs](crate::websocket) for what is and is not lost
/// across a drop.
pub struct WebSocket {
    stream: SocketStream,
    sink: SocketSink,
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.sink.fmt(f)
    }
}

impl WebSocket {
    /// Queues `message` and resolves once it was handed to an open
    /// connection (at once while one is open; after the reconnection
    /// during a drop). The message is queued when `send` is called, so
    /// sends go out in the order of the calls, whether or not each future
    /// is awaited before the next call. Fails with an error that
    /// [`is_buffer_full`](Error::is_buffer_full) when the queue is full,
    /// and [`is_closed`](Error::is_closed) when the socket closes for
    /// good first.
    pub fn send(&self, message: impl Into<Message>) -> SendMessage {
        self.sink.send(message)
    }

    /// Sends `value` as a JSON text message.
    pub fn send_json<T: serde::Serialize + ?Sized>(&self, value: &T) -> SendMessage {
        self.sink.send_json(value)
    }

    /// Closes the socket for good with `code` (1000, or 3000 to 4999) and
    /// `reason` (at most 123 bytes): no reconnection; what is still
    /// queued fails with an error that [`is_closed`](Error::is_closed).
    /// The stream ends when the server answers.
    pub fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        self.sink.close(code, reason)
    }

    /// Where the socket is.
    pub fn state(&self) -> SocketState {
        self.sink.state()
    }

    /// How many times it has reconnected.
    pub fn reconnects(&self) -> u32 {
        self.sink.reconnects()
    }

    /// How many messages it has sent again after a drop because they had
    /// never left.
    pub fn resent(&self) -> u64 {
        self.sink.core.lock().resent()
    }

    /// The subprotocol the server chose (empty: none).
    pub fn protocol(&self) -> String {
        self.sink.core.lock().protocol().to_owned()
    }

    /// The URL it connects to.
    pub fn url(&self) -> String {
        self.sink.core.lock().url().to_owned()
    }

    /// The two halves, for sending and receiving at once.
    pub fn split(self) -> (SocketSink, SocketStream) {
        (self.sink, self.stream)
    }
}

impl Stream for WebSocket {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.stream).poll_next(cx)
    }
}

/// A closed error for the socket at `url`.
pub(crate) fn closed(url: &str, code: u16, reason: &str, what: &str) -> Error {
    let why = if reason.is_empty() {
        format!("the WebSocket closed ({code}): {what}")
    } else {
        format!("the WebSocket closed ({code} {reason}): {what}")
    };
    Error::new(
        Kind::Closed {
            code,
            reason: reason.to_owned(),
        },
        why,
    )
    .with_url(url)
}
