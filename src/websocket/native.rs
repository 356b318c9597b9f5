//! Natively: not there yet; a typed error says so.

use std::task::{Context, Poll};

use super::Message;
use crate::error::{Error, Kind};

// Never made: there is no native connection yet.
#[allow(dead_code)]
pub(crate) enum ConnEvent {
    Open {
        protocol: String,
    },
    Message(Message),
    Closed {
        code: u16,
        reason: String,
        unsent: u64,
        status: Option<u16>,
    },
}

pub(crate) enum Conn {}

impl Conn {
    pub(crate) fn open(url: &str, _protocols: &[String]) -> Result<Conn, Error> {
        Err(Error::new(
            Kind::Unsupported,
            "fanout's native WebSocket is not built yet",
        )
        .with_url(url))
    }

    pub(crate) fn poll_event(&mut self, _: &mut Context<'_>) -> Poll<ConnEvent> {
        match *self {}
    }

    pub(crate) fn is_open(&self) -> bool {
        match *self {}
    }

    pub(crate) fn send(&mut self, _: &Message) -> Result<(), ()> {
        match *self {}
    }

    pub(crate) fn buffered(&self) -> u64 {
        match *self {}
    }

    pub(crate) fn close(&mut self, _: u16, _: &str) {
        match *self {}
    }

    pub(crate) fn abandon(self) -> u64 {
        match self {}
    }
}
