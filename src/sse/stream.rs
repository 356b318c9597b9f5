//! [`EventStream`]: the open stream of events, which reconnects with
//! `Last-Event-ID` and backs off.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_util::future::{select, Either};

use super::{check, Event, EventParser, Reconnect, ReconnectFn};
use crate::backoff::backoff;
use crate::client::Client;
use crate::error::Error;
use crate::request::Request;
use crate::response::{BodyStream, Response};
use crate::sync::BoxFuture;
use crate::sys;

pub(super) enum State {
    Connecting(BoxFuture<'static, Result<Response, Error>>),
    Reading(Box<BodyStream>),
    Waiting(sys::Sleep),
    Done,
}

/// A `Stream` of server-sent [`Event`]s, from [`SseBuilder::send`](crate::SseBuilder::send).
///
/// When the connection ends (the server closes it, or it breaks), the
/// stream waits and connects again with the same request plus
/// `Last-Event-ID`, so no event is missed or repeated by a server that
/// honours it. The wait is the server's `retry:` delay (else
/// [`retry_delay`](crate::SseBuilder::retry_delay)), capped by
/// [`max_retry_delay`](crate::SseBuilder::max_retry_delay), doubled for each
/// connection in a row that brings no event. It stops, with an error item
/// and then the end, on a reconnection answered by anything but a `200`
/// event stream, on the caller's `AbortSignal`, on a body larger than
/// `max_body_size`, or after [`max_reconnects`](crate::SseBuilder::max_reconnects).
///
/// Dropping it aborts the fetch (or the wait): nothing is left running.
pub struct EventStream {
    pub(super) client: Client,
    pub(super) template: Request,
    pub(super) connect_timeout: Option<Duration>,
    pub(super) parser: EventParser,
    pub(super) ready: VecDeque<Event>,
    pub(super) state: State,
    pub(super) retry_delay: Duration,
    pub(super) max_delay: Duration,
    pub(super) max_reconnects: Option<u32>,
    pub(super) reconnects: u32,
    /// Connections in a row that failed or brought no event.
    pub(super) failures: u32,
    pub(super) got_event: bool,
    pub(super) on_reconnect: Option<ReconnectFn>,
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

    pub(super) fn connect(&mut self) -> BoxFuture<'static, Result<Response, Error>> {
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
