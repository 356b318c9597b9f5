//! What happens when a connection ends: what never left goes back to the
//! queue, then the socket reconnects under its policy, or ends with the
//! typed error that says why.

use super::{Core, Link};
use crate::error::{Error, Kind};
use crate::sys;
use crate::websocket::{closed, SocketEvent};

impl Core {
    /// A connection ended (`was_open`: after it opened). What never left
    /// goes back to the front of the queue; then it reconnects, or ends.
    pub(super) fn dropped(
        &mut self,
        code: u16,
        reason: &str,
        unsent: u64,
        status: Option<u16>,
        was_open: bool,
    ) {
        self.ping = None;
        self.idle = None;
        let resend = self.requeue_unsent(unsent);
        if !self.opened_once {
            let e = self.connect_error(code, status);
            return self.ended(code, reason, Some(e));
        }
        if code == 1000 {
            return self.ended(code, reason, None);
        }
        if self.s.final_codes.contains(&code) {
            let e = closed(
                &self.url,
                code,
                reason,
                "a final close code: not reconnecting",
            );
            return self.ended(code, reason, Some(e));
        }
        let Some(policy) = &self.s.policy else {
            let e = closed(&self.url, code, reason, "reconnection is off");
            return self.ended(code, reason, Some(e));
        };
        self.failures += 1;
        if self.failures > policy.max_retries() {
            let e = if was_open {
                closed(&self.url, code, reason, "reconnection is off")
            } else {
                self.connect_error(code, status)
            };
            let e = if policy.max_retries() > 0 && !was_open {
                Error::new(
                    Kind::Connect { status },
                    format!(
                        "{} ({} reconnection(s) in a row failed)",
                        e.message(),
                        self.failures - 1
                    ),
                )
                .with_url(&self.url)
            } else {
                e
            };
            return self.ended(code, reason, Some(e));
        }
        let delay = policy.reconnect_delay(self.failures, sys::random());
        self.reconnects += 1;
        self.events.push(SocketEvent::Reconnecting {
            attempt: self.failures,
            delay,
            code,
            reason: reason.to_owned(),
            resend,
        });
        self.link = Link::Waiting(sys::sleep(delay));
        std::task::Wake::wake_by_ref(&self.wakers);
    }

    /// What was handed to the connection and never left (the last
    /// `unsent` bytes of it, `bufferedAmount` at the close) goes back to
    /// the front of the queue, in order; returns how many messages.
    fn requeue_unsent(&mut self, unsent: u64) -> usize {
        let mut left = self.in_flight_bytes.saturating_sub(unsent);
        let mut again = Vec::new();
        for h in self.in_flight.drain(..) {
            if left >= h.size {
                left -= h.size;
            } else {
                left = 0;
                again.extend(h.msg);
            }
        }
        self.in_flight_bytes = 0;
        let resend = again.len();
        for m in again.into_iter().rev() {
            self.queue.push_front(m);
        }
        self.resends += resend;
        resend
    }

    /// The error of a connection that did not open.
    fn connect_error(&self, code: u16, status: Option<u16>) -> Error {
        let why = match status {
            Some(s) => format!("the WebSocket did not open: the server answered HTTP {s}"),
            None => format!(
                "the WebSocket did not open (close code {code}): the server refused the \
                 upgrade or could not be reached"
            ),
        };
        Error::new(Kind::Connect { status }, why).with_url(&self.url)
    }
}
