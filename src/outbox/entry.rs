//! What an outbox shows: [`Entry`] (one stored request, for a UI list)
//! and [`OutboxEvent`] (what happened to one).

use std::time::Duration;

use super::record::{EntryState, Record};

/// One stored request, as [`Outbox::entries`](super::Outbox::entries)
/// lists it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Entry {
    /// Its id: the order of delivery.
    pub id: u64,
    /// The method.
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// The `Idempotency-Key` it is sent with.
    pub key: String,
    /// Pending, or failed for good.
    pub state: EntryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// The body's size in bytes.
    pub body_len: u64,
}

impl From<&Record> for Entry {
    fn from(r: &Record) -> Entry {
        Entry {
            id: r.id,
            method: r.method.clone(),
            url: r.url.clone(),
            key: r.key.clone(),
            state: r.state.clone(),
            attempts: r.attempts,
            body_len: r.body_len(),
        }
    }
}

/// What happened to an entry, as the outbox's listeners
/// ([`Outbox::on_event`](super::Outbox::on_event)) hear it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum OutboxEvent {
    /// Stored by `send`.
    Queued {
        /// The entry.
        id: u64,
    },
    /// An attempt starts (`attempt` counts from 1, across reloads).
    Attempt {
        /// The entry.
        id: u64,
        /// Its number.
        attempt: u32,
    },
    /// The attempt failed in a way worth retrying: the outbox waits
    /// `delay` (after a 408, 429 or 5xx `status`, or a network error).
    Retrying {
        /// The entry.
        id: u64,
        /// The status, if there was a response.
        status: Option<u16>,
        /// How long the outbox waits before trying again.
        delay: Duration,
    },
    /// Delivered (a final 2xx) and removed from the store.
    Delivered {
        /// The entry.
        id: u64,
        /// The response's status.
        status: u16,
    },
    /// Failed for good (a final 4xx, or delivery gave up); the entry is
    /// kept, as failed, until the app removes it.
    Failed {
        /// The entry.
        id: u64,
        /// The final response's status, if there was one.
        status: Option<u16>,
        /// Why, in words.
        reason: String,
    },
}

impl OutboxEvent {
    /// The entry the event is about.
    pub fn id(&self) -> u64 {
        match self {
            OutboxEvent::Queued { id }
            | OutboxEvent::Attempt { id, .. }
            | OutboxEvent::Retrying { id, .. }
            | OutboxEvent::Delivered { id, .. }
            | OutboxEvent::Failed { id, .. } => *id,
        }
    }

    /// The event's name: `"queued"`, `"attempt"`, `"retrying"`,
    /// `"delivered"` or `"failed"`.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboxEvent::Queued { .. } => "queued",
            OutboxEvent::Attempt { .. } => "attempt",
            OutboxEvent::Retrying { .. } => "retrying",
            OutboxEvent::Delivered { .. } => "delivered",
            OutboxEvent::Failed { .. } => "failed",
        }
    }
}
