//! The two halves of a [`WebSocket`](super::WebSocket) that
//! [`split`](super::WebSocket::split) gives ([`SocketStream`] and
//! [`SocketSink`], as `futures` splits a duplex), and [`SendMessage`], the
//! future of a send.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::core::Core;
use super::{Handle, Message, SocketState};
use crate::error::Error;
use crate::sync::{Lock, Shared};

/// The receiving half of a [`WebSocket`](super::WebSocket) ([`WebSocket::split`](super::WebSocket::split)): a
/// `Stream` of [`Message`]s. The socket closes when both halves are
/// dropped.
pub struct SocketStream {
    pub(super) core: Shared<Lock<Core>>,
    pub(super) _handle: Shared<Handle>,
}

impl fmt::Debug for SocketStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketStream").finish_non_exhaustive()
    }
}

impl Stream for SocketStream {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Core::poll_with(&self.core, cx, |c| c.poll_message())
    }
}

/// The sending half of a [`WebSocket`](super::WebSocket) ([`WebSocket::split`](super::WebSocket::split)), also a
/// `futures` `Sink` of [`Message`]s (whose flush waits until every
/// message was handed to an open connection). The socket closes when
/// both halves are dropped.
pub struct SocketSink {
    pub(super) core: Shared<Lock<Core>>,
    pub(super) _handle: Shared<Handle>,
}

impl fmt::Debug for SocketSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let core = self.core.lock();
        f.debug_struct("WebSocket")
            .field("url", &core.url())
            .field("state", &core.state())
            .finish_non_exhaustive()
    }
}

impl SocketSink {
    /// See [`WebSocket::send`](super::WebSocket::send).
    pub fn send(&self, message: impl Into<Message>) -> SendMessage {
        let queued = self.core.lock().enqueue(message.into());
        SendMessage {
            core: self.core.clone(),
            queued: Some(queued),
        }
    }

    /// See [`WebSocket::send_json`](super::WebSocket::send_json).
    pub fn send_json<T: serde::Serialize + ?Sized>(&self, value: &T) -> SendMessage {
        match serde_json::to_string(value) {
            Ok(text) => self.send(text),
            Err(e) => SendMessage {
                core: self.core.clone(),
                queued: Some(Err(Error::builder(format!(
                    "the message could not be serialized as JSON: {e}"
                )))),
            },
        }
    }

    /// See [`WebSocket::close`](super::WebSocket::close).
    pub fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        if code != 1000 && !(3000..=4999).contains(&code) {
            return Err(Error::builder(format!(
                "close code {code} is not allowed: use 1000 or 3000 to 4999"
            )));
        }
        if reason.len() > 123 {
            return Err(Error::builder(
                "a close reason must be at most 123 bytes of UTF-8",
            ));
        }
        let events = {
            let mut core = self.core.lock();
            core.close(code, reason, false);
            core.take_events()
        };
        Core::dispatch(&self.core, events);
        Ok(())
    }

    /// See [`WebSocket::state`](super::WebSocket::state).
    pub fn state(&self) -> SocketState {
        self.core.lock().state()
    }

    /// See [`WebSocket::reconnects`](super::WebSocket::reconnects).
    pub fn reconnects(&self) -> u32 {
        self.core.lock().reconnects()
    }
}

impl futures_util::Sink<Message> for SocketSink {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Core::poll_with(&self.core, cx, |c| c.poll_room())
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.core.lock().enqueue(item).map(|_| ())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Core::poll_with(&self.core, cx, |c| c.poll_flushed())
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let _ = SocketSink::close(&self, 1000, "");
        Core::poll_with(&self.core, cx, |c| c.poll_closed())
    }
}

/// The future of [`WebSocket::send`](super::WebSocket::send): resolves once the message was
/// handed to an open connection. The message is queued already; dropping
/// this future does not take it back.
#[must_use = "the message is queued; await this to know it was handed to the socket"]
pub struct SendMessage {
    pub(super) core: Shared<Lock<Core>>,
    pub(super) queued: Option<Result<u64, Error>>,
}

impl fmt::Debug for SendMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendMessage").finish_non_exhaustive()
    }
}

impl Future for SendMessage {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let id = match self.queued.take() {
            Some(Ok(id)) => id,
            Some(Err(e)) => return Poll::Ready(Err(e)),
            None => {
                return Poll::Ready(Err(Error::builder(
                    "a WebSocket send was polled after it completed",
                )))
            }
        };
        let polled = Core::poll_with(&self.core, cx, |c| c.poll_sent(id));
        if polled.is_pending() {
            self.queued = Some(Ok(id));
        }
        polled
    }
}
