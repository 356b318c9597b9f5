//! [`OutboxError`]: why an outbox could not open, take a request, or
//! deliver one; its [`Reason`] says which, as data.

use std::fmt;

use crate::error::Error;

/// Why an outbox call failed. Each is a value of [`OutboxError::reason`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The body cannot be stored: a stream (or, in browsers, `FormData`).
    /// Nothing was stored.
    Unstorable,
    /// The body is larger than the outbox's `max_body_size`. Nothing was
    /// stored.
    TooLarge,
    /// The store is full: the outbox's own `quota`, or the platform's
    /// (IndexedDB's `QuotaExceededError`, a full disk). Nothing was stored.
    Quota,
    /// The request's URL cannot be resolved to an absolute http(s) URL.
    /// Nothing was stored.
    BadUrl,
    /// A stored record has a version this build cannot read (written by a
    /// newer fanout), or is not a record at all.
    Version,
    /// The store failed (IndexedDB, the file system).
    Store,
    /// No store here: no IndexedDB (Node.js) and none was asked for, or
    /// natively no file was named; or no runtime to deliver on.
    Unsupported,
    /// The entry was delivered, or removed, by another outbox on the
    /// same store (another tab): its response is there, not here.
    Gone,
    /// The app removed the entry (`remove` or `clear`) before it was
    /// delivered.
    Removed,
    /// Delivery gave up: `max_attempts` reached, or an error that no
    /// retry can fix. The entry stays in the store as failed.
    GaveUp,
    /// The outbox was dropped before the entry was delivered (it stays
    /// stored, and is delivered when the outbox opens again).
    Closed,
}

impl Reason {
    /// The reason's name as the JS API gives it (`"too_large"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unstorable => "unstorable",
            Reason::TooLarge => "too_large",
            Reason::Quota => "quota",
            Reason::BadUrl => "bad_url",
            Reason::Version => "version",
            Reason::Store => "store",
            Reason::Unsupported => "unsupported",
            Reason::Gone => "gone",
            Reason::Removed => "removed",
            Reason::GaveUp => "gave_up",
            Reason::Closed => "closed",
        }
    }
}

/// An outbox failure: a [`Reason`], a message, and the request's
/// [`Error`] when one caused it.
///
/// ```
/// use fanout::outbox::{OutboxError, Reason};
/// let e = OutboxError::new(Reason::TooLarge, "body of 10 bytes over the cap of 4");
/// assert_eq!(e.reason(), Reason::TooLarge);
/// assert!(e.to_string().contains("over the cap"));
/// ```
#[derive(Clone, Debug)]
pub struct OutboxError {
    reason: Reason,
    message: String,
    source: Option<Error>,
}

impl OutboxError {
    /// An error for `reason` with a message.
    pub fn new(reason: Reason, message: impl Into<String>) -> OutboxError {
        OutboxError {
            reason,
            message: message.into(),
            source: None,
        }
    }

    /// The same error, caused by `source`.
    pub fn with_source(mut self, source: Error) -> OutboxError {
        self.source = Some(source);
        self
    }

    /// Why it failed.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The message (without the reason's name).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The request's error that caused this one, if any.
    pub fn error(&self) -> Option<&Error> {
        self.source.as_ref()
    }
}

impl fmt::Display for OutboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "outbox: {} ({})", self.message, self.reason.as_str())
    }
}

impl std::error::Error for OutboxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
