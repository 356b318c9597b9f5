//! Natively: one connection over tokio-tungstenite (rustls for `wss`,
//! the same TLS stack as the native transport). Each message handed to
//! `send` is written and flushed at once as far as the socket takes it;
//! the bytes of the messages since the last complete flush are what never
//! (wholly) left, the counterpart of the browser's `bufferedAmount`.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Sink, Stream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message as Frame};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::core::ConnEvent;
use super::Message;
use crate::error::Error;
use crate::sync::BoxFuture;

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;
type Opening = BoxFuture<
    'static,
    Result<(Socket, tungstenite::handshake::client::Response), tungstenite::Error>,
>;

enum State {
    Opening(Opening),
    Open(Box<Socket>),
    Closed,
}

pub(crate) struct Conn {
    state: State,
    /// The bytes of the messages handed since the last complete flush.
    unflushed: u64,
    /// The user's close, to send.
    closing: Option<(u16, String)>,
    /// A close before the connection opened: its event, to give.
    gave_up: Option<(u16, String)>,
    /// A write failed: the connection is gone (why).
    broken: Option<String>,
}

/// The state and event a finished opening handshake leads to: open, with
/// the protocol the server chose, or closed (with the refusal's HTTP
/// status, if there was one).
fn handshake_done(
    result: Result<(Socket, tungstenite::handshake::client::Response), tungstenite::Error>,
) -> (State, ConnEvent) {
    match result {
        Ok((socket, resp)) => {
            let protocol = resp
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            (State::Open(Box::new(socket)), ConnEvent::Open { protocol })
        }
        Err(e) => {
            let status = match &e {
                tungstenite::Error::Http(r) => Some(r.status().as_u16()),
                _ => None,
            };
            let event = ConnEvent::Closed {
                code: 1006,
                reason: e.to_string(),
                unsent: 0,
                status,
            };
            (State::Closed, event)
        }
    }
}

/// The writing side of an open connection, before its next frame is
/// read: the user's close sent, then a flush. `Some(why)` when the
/// connection is gone: a write that fails ends it, and what was not
/// flushed then never wholly left (a later flush of the dead socket would
/// say "done"); a complete flush zeroes `unflushed`.
fn write_side(
    socket: &mut Socket,
    closing: Option<(u16, String)>,
    broken: Option<String>,
    unflushed: &mut u64,
    cx: &mut Context<'_>,
) -> Option<String> {
    if let Some((code, reason)) = closing {
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        let _ = Pin::new(&mut *socket).start_send(Frame::Close(Some(frame)));
    }
    if broken.is_some() {
        return broken;
    }
    match Pin::new(socket).poll_flush(cx) {
        Poll::Ready(Ok(())) => {
            *unflushed = 0;
            None
        }
        Poll::Ready(Err(e)) => Some(e.to_string()),
        Poll::Pending => None,
    }
}

impl Conn {
    pub(crate) fn open(url: &str, protocols: &[String]) -> Result<Conn, Error> {
        let mut req = url
            .into_client_request()
            .map_err(|e| Error::builder(format!("invalid WebSocket URL: {e}")).with_url(url))?;
        if !protocols.is_empty() {
            let value = HeaderValue::from_str(&protocols.join(", ")).map_err(|_| {
                Error::builder("a WebSocket subprotocol is not a valid header value").with_url(url)
            })?;
            req.headers_mut().insert("sec-websocket-protocol", value);
        }
        // Each frame goes to the socket at once (no write buffer to fill
        // first), so that an unflushed message is one that did not leave.
        let config = WebSocketConfig::default().write_buffer_size(0);
        let opening: Opening = Box::pin(tokio_tungstenite::connect_async_with_config(
            req,
            Some(config),
            false,
        ));
        Ok(Conn {
            state: State::Opening(opening),
            unflushed: 0,
            closing: None,
            gave_up: None,
            broken: None,
        })
    }

    pub(crate) fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<ConnEvent> {
        loop {
            match &mut self.state {
                State::Closed => {
                    return match self.gave_up.take() {
                        Some((code, reason)) => Poll::Ready(ConnEvent::Closed {
                            code,
                            reason,
                            unsent: 0,
                            status: None,
                        }),
                        None => Poll::Pending,
                    }
                }
                State::Opening(f) => {
                    let Poll::Ready(result) = f.as_mut().poll(cx) else {
                        return Poll::Pending;
                    };
                    let (state, event) = handshake_done(result);
                    self.state = state;
                    return Poll::Ready(event);
                }
                State::Open(socket) => {
                    let broken = write_side(
                        socket,
                        self.closing.take(),
                        self.broken.take(),
                        &mut self.unflushed,
                        cx,
                    );
                    let next = match broken {
                        Some(why) => Poll::Ready(Some(Err(why))),
                        None => Pin::new(&mut **socket)
                            .poll_next(cx)
                            .map(|o| o.map(|r| r.map_err(|e| e.to_string()))),
                    };
                    let (code, reason) = match next {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Some(Ok(Frame::Text(t)))) => {
                            return Poll::Ready(ConnEvent::Message(Message::Text(
                                t.as_str().to_owned(),
                            )))
                        }
                        Poll::Ready(Some(Ok(Frame::Binary(b)))) => {
                            return Poll::Ready(ConnEvent::Message(Message::Binary(b.to_vec())))
                        }
                        Poll::Ready(Some(Ok(Frame::Close(frame)))) => {
                            // The reply is queued: send it if the socket takes it now.
                            let _ = Pin::new(&mut **socket).poll_flush(cx);
                            match frame {
                                Some(f) => (u16::from(f.code), f.reason.as_str().to_owned()),
                                None => (1005, String::new()),
                            }
                        }
                        Poll::Ready(Some(Ok(_))) => continue,
                        Poll::Ready(Some(Err(why))) => (1006, why),
                        Poll::Ready(None) => (1006, String::new()),
                    };
                    self.state = State::Closed;
                    return Poll::Ready(ConnEvent::Closed {
                        code,
                        reason,
                        unsent: std::mem::take(&mut self.unflushed),
                        status: None,
                    });
                }
            }
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_)) && self.closing.is_none() && self.broken.is_none()
    }

    /// Hands `msg` to the socket: written and flushed as far as it goes now.
    pub(crate) fn send(&mut self, msg: &Message) -> Result<(), ()> {
        let State::Open(socket) = &mut self.state else {
            return Err(());
        };
        let frame = match msg {
            Message::Text(s) => Frame::Text(s.as_str().into()),
            Message::Binary(b) => Frame::Binary(b.clone().into()),
        };
        Pin::new(&mut **socket).start_send(frame).map_err(|_| ())?;
        self.unflushed += msg.len();
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        match Pin::new(&mut **socket).poll_flush(&mut cx) {
            Poll::Ready(Ok(())) => self.unflushed = 0,
            Poll::Ready(Err(e)) => {
                self.broken.get_or_insert(e.to_string());
            }
            Poll::Pending => {}
        }
        Ok(())
    }

    /// The bytes handed that have not wholly left.
    pub(crate) fn buffered(&self) -> u64 {
        self.unflushed
    }

    /// Starts the closing handshake; the `Closed` event follows.
    pub(crate) fn close(&mut self, code: u16, reason: &str) {
        match self.state {
            State::Open(_) => self.closing = Some((code, reason.to_owned())),
            // Not open yet: give up the handshake.
            State::Opening(_) => {
                self.state = State::Closed;
                self.gave_up = Some((code, reason.to_owned()));
            }
            State::Closed => {}
        }
    }

    /// Gives the connection up at once (it counts as dropped): what it
    /// had not sent.
    pub(crate) fn abandon(self) -> u64 {
        self.unflushed
    }
}

impl Drop for Conn {
    /// Closes an open connection with a close frame (the user's, or 1000),
    /// as far as the socket takes it now: a dropped socket closes cleanly.
    fn drop(&mut self) {
        if let State::Open(socket) = &mut self.state {
            let (code, reason) = self.closing.take().unwrap_or((1000, String::new()));
            let frame = CloseFrame {
                code: CloseCode::from(code),
                reason: reason.into(),
            };
            let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
            let mut socket = Pin::new(&mut **socket);
            if socket
                .as_mut()
                .start_send(Frame::Close(Some(frame)))
                .is_ok()
            {
                let _ = socket.poll_flush(&mut cx);
            }
        }
    }
}
