//! The socket's state machine: the connection, the send queue, what was
//! handed to the connection and may not have left, reconnections and the
//! heartbeat. Whoever polls the socket (its stream, a send, the sink)
//! drives it: no task is spawned. The platform's connection (`web.rs`,
//! `native.rs`) wakes every poller through one [`Wakers`].

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::platform::Conn;
use super::{closed, EventFn, Message, SocketEvent, SocketState};
use crate::error::{Error, Kind};
use crate::retry::Retry;
use crate::sync::{Lock, Shared};
use crate::sys;
use crate::wakers::Wakers;

mod reconnect;

/// What a platform's connection (`web.rs`, `native.rs`) reports.
pub(crate) enum ConnEvent {
    Open {
        protocol: String,
    },
    Message(Message),
    /// The connection closed; `unsent`: the bytes of the messages handed
    /// to it that never wholly left (the browser's `bufferedAmount` then;
    /// natively, what was not flushed).
    Closed {
        code: u16,
        reason: String,
        unsent: u64,
        status: Option<u16>,
    },
}

/// What the builder set.
pub(crate) struct Settings {
    pub(crate) protocols: Vec<String>,
    pub(crate) policy: Option<Retry>,
    pub(crate) final_codes: Vec<u16>,
    pub(crate) heartbeat: Option<(Duration, Message)>,
    pub(crate) idle: Option<Duration>,
    pub(crate) send_buffer: usize,
    pub(crate) on_event: Option<EventFn>,
}

enum Link {
    Connecting(Conn),
    Open(Conn),
    Waiting(sys::Sleep),
    /// The user closed: waiting for the server's answer.
    Closing(Conn),
    Closed,
}

/// A message handed to the connection, until it is known to have left.
struct Handed {
    /// `None`: a heartbeat ping (never sent again).
    msg: Option<Message>,
    size: u64,
}

pub(crate) struct Core {
    url: String,
    s: Settings,
    link: Link,
    opened_once: bool,
    /// Waiting for an open connection: `resends` first, then the user's
    /// sends with ids `handed..next_id`.
    queue: VecDeque<Message>,
    resends: usize,
    next_id: u64,
    handed: u64,
    /// Handed to the current connection, maybe not left yet.
    in_flight: VecDeque<Handed>,
    in_flight_bytes: u64,
    incoming: VecDeque<Message>,
    /// Set once closed for good: what a queued or later send fails with.
    fail: Option<Error>,
    /// The end of the stream, once closed for good: an error item first,
    /// or none (a 1000, the user's close).
    end: Option<Option<Error>>,
    events: Vec<SocketEvent>,
    wakers: Arc<Wakers>,
    reconnects: u32,
    failures: u32,
    resent: u64,
    protocol: String,
    ping: Option<sys::Sleep>,
    idle: Option<sys::Sleep>,
    last_rx_ms: f64,
}

impl Core {
    pub(crate) fn new(url: String, s: Settings) -> Result<Core, Error> {
        let conn = Conn::open(&url, &s.protocols)?;
        Ok(Core {
            url,
            s,
            link: Link::Connecting(conn),
            opened_once: false,
            queue: VecDeque::new(),
            resends: 0,
            next_id: 0,
            handed: 0,
            in_flight: VecDeque::new(),
            in_flight_bytes: 0,
            incoming: VecDeque::new(),
            fail: None,
            end: None,
            events: Vec::new(),
            wakers: Arc::new(Wakers::default()),
            reconnects: 0,
            failures: 0,
            resent: 0,
            protocol: String::new(),
            ping: None,
            idle: None,
            last_rx_ms: 0.0,
        })
    }

    /// Registers the caller, drives the socket, then asks `f`; calls the
    /// event callback after the lock is released (it may use the socket).
    pub(crate) fn poll_with<R>(
        core: &Shared<Lock<Core>>,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Core) -> Poll<R>,
    ) -> Poll<R> {
        let (out, events) = {
            let mut c = core.lock();
            c.wakers.register(cx.waker());
            c.drive();
            let out = f(&mut c);
            (out, c.take_events())
        };
        Core::dispatch(core, events);
        out
    }

    pub(crate) fn take_events(&mut self) -> Vec<SocketEvent> {
        std::mem::take(&mut self.events)
    }

    pub(crate) fn dispatch(core: &Shared<Lock<Core>>, events: Vec<SocketEvent>) {
        if events.is_empty() {
            return;
        }
        let f = core.lock().s.on_event.clone();
        if let Some(f) = f {
            for e in &events {
                f(e);
            }
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn protocol(&self) -> &str {
        &self.protocol
    }

    pub(crate) fn reconnects(&self) -> u32 {
        self.reconnects
    }

    pub(crate) fn resent(&self) -> u64 {
        self.resent
    }

    pub(crate) fn state(&self) -> SocketState {
        match &self.link {
            Link::Open(_) => SocketState::Open,
            Link::Connecting(_) if !self.opened_once => SocketState::Connecting,
            Link::Connecting(_) | Link::Waiting(_) => SocketState::Reconnecting,
            Link::Closing(_) | Link::Closed => SocketState::Closed,
        }
    }

    /// Queues a message (and hands the queue to an open connection): its
    /// id, or why it cannot be queued.
    pub(crate) fn enqueue(&mut self, msg: Message) -> Result<u64, Error> {
        if let Some(e) = &self.fail {
            return Err(e.clone());
        }
        let limit = self.s.send_buffer;
        if self.queue.len() - self.resends >= limit {
            return Err(Error::new(
                Kind::BufferFull { limit },
                format!(
                    "the WebSocket's send buffer is full: {limit} message(s) wait for the connection"
                ),
            )
            .with_url(&self.url));
        }
        self.queue.push_back(msg);
        let id = self.next_id;
        self.next_id += 1;
        self.flush();
        Ok(id)
    }

    pub(crate) fn poll_sent(&mut self, id: u64) -> Poll<Result<(), Error>> {
        if id < self.handed {
            Poll::Ready(Ok(()))
        } else if let Some(e) = &self.fail {
            Poll::Ready(Err(e.clone()))
        } else {
            Poll::Pending
        }
    }

    pub(crate) fn poll_opened(&mut self) -> Poll<Result<(), Error>> {
        if self.opened_once {
            return Poll::Ready(Ok(()));
        }
        match &self.fail {
            Some(e) => Poll::Ready(Err(e.clone())),
            None => Poll::Pending,
        }
    }

    pub(crate) fn poll_message(&mut self) -> Poll<Option<Result<Message, Error>>> {
        if let Some(m) = self.incoming.pop_front() {
            return Poll::Ready(Some(Ok(m)));
        }
        match &mut self.end {
            Some(end) => Poll::Ready(end.take().map(Err)),
            None => Poll::Pending,
        }
    }

    pub(crate) fn poll_room(&mut self) -> Poll<Result<(), Error>> {
        if let Some(e) = &self.fail {
            Poll::Ready(Err(e.clone()))
        } else if self.queue.len() - self.resends < self.s.send_buffer {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    pub(crate) fn poll_flushed(&mut self) -> Poll<Result<(), Error>> {
        if self.handed == self.next_id {
            Poll::Ready(Ok(()))
        } else if let Some(e) = &self.fail {
            Poll::Ready(Err(e.clone()))
        } else {
            Poll::Pending
        }
    }

    pub(crate) fn poll_closed(&mut self) -> Poll<Result<(), Error>> {
        match self.link {
            Link::Closed => Poll::Ready(Ok(())),
            _ => Poll::Pending,
        }
    }

    /// The user's close (`dropped`: the socket itself is gone, so the
    /// server's answer is not awaited).
    pub(crate) fn close(&mut self, code: u16, reason: &str, dropped: bool) {
        if let Link::Closing(_) = self.link {
            // Closed already: dropping the socket stops waiting for the
            // server's answer.
            if dropped {
                self.link = Link::Closed;
                self.end.get_or_insert(None);
            }
            return;
        }
        if self.fail.is_some() {
            return;
        }
        let what = if dropped {
            "the socket was dropped before the message was sent"
        } else {
            "the socket was closed before the message was sent"
        };
        self.fail_queue(closed(&self.url, code, reason, what));
        match std::mem::replace(&mut self.link, Link::Closed) {
            Link::Open(mut conn) | Link::Connecting(mut conn) | Link::Closing(mut conn) => {
                conn.close(code, reason);
                if !dropped {
                    // Closed for the user now; the stream ends when the
                    // server answers (what it sent first still arrives).
                    self.link = Link::Closing(conn);
                    self.events.push(SocketEvent::Closed {
                        code,
                        reason: reason.to_owned(),
                    });
                    return;
                }
            }
            Link::Waiting(_) | Link::Closed => {}
        }
        self.ended(code, reason, None);
    }

    /// Fails everything queued, and every later send, with `err`.
    fn fail_queue(&mut self, err: Error) {
        let lost = self.resends;
        let err = if lost > 0 {
            let msg = format!(
                "{}; {lost} message(s) that had not left the last connection were not sent again",
                err.message()
            );
            match err.close_code() {
                Some(code) => closed(
                    &self.url,
                    code,
                    err.close_reason().unwrap_or(""),
                    msg.split_once("): ").map_or(&*msg, |x| x.1),
                ),
                None => err,
            }
        } else {
            err
        };
        self.queue.clear();
        self.resends = 0;
        self.fail = Some(err);
        std::task::Wake::wake_by_ref(&self.wakers);
    }

    /// Closed for good: the stream ends with `end` (after what arrived).
    fn ended(&mut self, code: u16, reason: &str, end: Option<Error>) {
        self.link = Link::Closed;
        self.ping = None;
        self.idle = None;
        if self.fail.is_none() {
            let err = end
                .clone()
                .unwrap_or_else(|| closed(&self.url, code, reason, "the message was never sent"));
            self.fail_queue(err);
        }
        if self.end.is_none() {
            self.end = Some(end);
        }
        self.events.push(SocketEvent::Closed {
            code,
            reason: reason.to_owned(),
        });
        std::task::Wake::wake_by_ref(&self.wakers);
    }

    /// Hands the queue to the connection while it is open.
    fn flush(&mut self) {
        let Link::Open(conn) = &mut self.link else {
            return;
        };
        let mut any = false;
        while conn.is_open() {
            let Some(msg) = self.queue.pop_front() else {
                break;
            };
            if conn.send(&msg).is_err() {
                self.queue.push_front(msg);
                break;
            }
            any = true;
            let size = msg.len();
            self.in_flight_bytes += size;
            self.in_flight.push_back(Handed {
                msg: Some(msg),
                size,
            });
            if self.resends > 0 {
                self.resends -= 1;
                self.resent += 1;
            } else {
                self.handed += 1;
            }
        }
        // Forgets what has left (the last `buffered` bytes have not).
        let buffered = conn.buffered();
        while let Some(front) = self.in_flight.front() {
            if self.in_flight_bytes - front.size < buffered {
                break;
            }
            self.in_flight_bytes -= front.size;
            self.in_flight.pop_front();
        }
        if any {
            std::task::Wake::wake_by_ref(&self.wakers);
        }
    }

    /// Advances the connection as far as it goes without waiting.
    fn drive(&mut self) {
        let waker = Waker::from(self.wakers.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            match std::mem::replace(&mut self.link, Link::Closed) {
                Link::Closed => return,
                Link::Connecting(mut conn) => match conn.poll_event(&mut cx) {
                    Poll::Pending => {
                        self.link = Link::Connecting(conn);
                        return;
                    }
                    Poll::Ready(ConnEvent::Open { protocol }) => {
                        self.opened(conn, protocol);
                    }
                    Poll::Ready(ConnEvent::Message(m)) => {
                        self.incoming.push_back(m);
                        self.link = Link::Connecting(conn);
                    }
                    Poll::Ready(ConnEvent::Closed {
                        code,
                        reason,
                        unsent,
                        status,
                    }) => self.dropped(code, &reason, unsent, status, false),
                },
                Link::Open(conn) => {
                    if self.drive_open(conn, &mut cx).is_pending() {
                        return;
                    }
                }
                Link::Closing(mut conn) => match conn.poll_event(&mut cx) {
                    Poll::Pending => {
                        self.link = Link::Closing(conn);
                        return;
                    }
                    Poll::Ready(ConnEvent::Message(m)) => {
                        self.incoming.push_back(m);
                        self.link = Link::Closing(conn);
                    }
                    Poll::Ready(ConnEvent::Open { .. }) => self.link = Link::Closing(conn),
                    Poll::Ready(ConnEvent::Closed { .. }) => {
                        self.link = Link::Closed;
                        self.end.get_or_insert(None);
                        std::task::Wake::wake_by_ref(&self.wakers);
                    }
                },
                Link::Waiting(mut sleep) => match Pin::new(&mut sleep).poll(&mut cx) {
                    Poll::Pending => {
                        self.link = Link::Waiting(sleep);
                        return;
                    }
                    Poll::Ready(()) => match Conn::open(&self.url, &self.s.protocols) {
                        Ok(conn) => self.link = Link::Connecting(conn),
                        Err(e) => self.ended(1006, "", Some(e)),
                    },
                },
            }
        }
    }

    /// One step of an open connection: the queue flushed to it, the
    /// heartbeat and idle timers, then its next event. `Pending` when it
    /// has nothing more now.
    fn drive_open(&mut self, conn: Conn, cx: &mut Context<'_>) -> Poll<()> {
        self.link = Link::Open(conn);
        self.flush();
        let Link::Open(mut conn) = std::mem::replace(&mut self.link, Link::Closed) else {
            unreachable!("flush keeps the link")
        };
        if let Some(why) = self.timers(&mut conn, cx) {
            let unsent = conn.abandon();
            self.dropped(1006, &why, unsent, None, true);
            return Poll::Ready(());
        }
        match conn.poll_event(cx) {
            Poll::Pending => {
                self.link = Link::Open(conn);
                return Poll::Pending;
            }
            Poll::Ready(ConnEvent::Message(m)) => {
                self.last_rx_ms = sys::now_ms();
                self.incoming.push_back(m);
                self.link = Link::Open(conn);
                std::task::Wake::wake_by_ref(&self.wakers);
            }
            Poll::Ready(ConnEvent::Open { .. }) => self.link = Link::Open(conn),
            Poll::Ready(ConnEvent::Closed {
                code,
                reason,
                unsent,
                status,
            }) => self.dropped(code, &reason, unsent, status, true),
        }
        Poll::Ready(())
    }

    fn opened(&mut self, conn: Conn, protocol: String) {
        self.link = Link::Open(conn);
        self.opened_once = true;
        self.failures = 0;
        self.protocol = protocol;
        self.last_rx_ms = sys::now_ms();
        self.ping = self
            .s
            .heartbeat
            .as_ref()
            .map(|(every, _)| sys::sleep(*every));
        self.idle = self.s.idle.map(sys::sleep);
        self.events.push(SocketEvent::Open {
            reconnects: self.reconnects,
        });
        std::task::Wake::wake_by_ref(&self.wakers);
    }

    /// The heartbeat's ping and the idle timeout: `Some(why)` when the
    /// connection counts as dropped.
    fn timers(&mut self, conn: &mut Conn, cx: &mut Context<'_>) -> Option<String> {
        if let (Some(sleep), Some((every, ping))) = (&mut self.ping, &self.s.heartbeat) {
            if Pin::new(sleep).poll(cx).is_ready() {
                if conn.is_open() && conn.send(ping).is_ok() {
                    self.in_flight_bytes += ping.len();
                    self.in_flight.push_back(Handed {
                        msg: None,
                        size: ping.len(),
                    });
                }
                let mut next = sys::sleep(*every);
                let _ = Pin::new(&mut next).poll(cx);
                self.ping = Some(next);
            }
        }
        if let (Some(sleep), Some(idle)) = (&mut self.idle, self.s.idle) {
            if Pin::new(sleep).poll(cx).is_ready() {
                let quiet =
                    Duration::from_secs_f64(((sys::now_ms() - self.last_rx_ms) / 1000.0).max(0.0));
                if quiet >= idle {
                    return Some(format!(
                        "no message for {} ms (the idle timeout)",
                        idle.as_millis()
                    ));
                }
                let mut next = sys::sleep(idle - quiet);
                let _ = Pin::new(&mut next).poll(cx);
                self.idle = Some(next);
            }
        }
        None
    }
}
