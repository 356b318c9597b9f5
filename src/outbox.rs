//! A durable outbox (feature `outbox`): a named FIFO queue of requests
//! that survives reloads and delivers each request once, in order.
//!
//! [`Client::outbox`] names one; [`Outbox::send`] stores the request
//! (method, absolute URL, headers, body bytes and a new
//! `Idempotency-Key`) before anything goes on the wire and returns a
//! [`Sending`] handle whose future resolves with the final response.
//! One task per outbox delivers the entries one at a time, in order:
//! a 2xx (and any 4xx but 408 and 429) is final; a network error, 408,
//! 429 or 5xx is retried with backoff, honouring `Retry-After`, without
//! limit unless [`OutboxBuilder::max_attempts`] sets one. A final 4xx
//! stays listed as failed until the app removes it.
//!
//! Stores: IndexedDB in browsers and workers (the default there), a file
//! natively ([`OutboxBuilder::file`]), memory when asked for
//! ([`OutboxBuilder::memory`]), or your own [`Store`]. In browsers
//! delivery runs under a Web Lock named `fanout-outbox:NAME`, so two tabs
//! never deliver one outbox at once (without the Web Locks API, as in
//! Node.js, one realm's outboxes of one name share an in-memory lock);
//! it starts on open, on the `online` event, on a timer while entries
//! wait, and on [`Outbox::flush`]. It never reads `navigator.onLine`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = fanout::Client::builder().base_url("http://127.0.0.1:8080/").build()?;
//! let outbox = client.outbox("comments").memory().open().await?;
//! let req = client.post("comments").json(&serde_json::json!({"body": "hi"})).build()?;
//! let sending = outbox.send(req).await?; // stored: it survives a reload (with IndexedDB)
//! println!("queued as {} with key {}", sending.id(), sending.key());
//! let response = sending.await?; // delivered, once
//! assert_eq!(response.status(), 201);
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::client::Client;
use crate::request::Request;
use crate::response::Response;
use crate::sync::{dyn_ss, Lock, Shared};
use crate::sys;

mod driver;
mod entry;
mod error;
#[cfg(not(target_arch = "wasm32"))]
mod file;
#[cfg(target_arch = "wasm32")]
mod idb;
mod record;
mod rules;
mod store;

pub use entry::{Entry, OutboxEvent};
pub use error::{OutboxError, Reason};
#[cfg(not(target_arch = "wasm32"))]
pub use file::FileStore;
pub use record::{EntryState, Record, RECORD_VERSION};
pub use store::{MemoryStore, Store};

use driver::Notify;
use rules::Backoff;

/// The largest body an outbox stores unless told otherwise (1 MiB).
pub const DEFAULT_MAX_BODY_SIZE: u64 = 1 << 20;

impl Client {
    /// Starts opening the durable outbox `name` of this client (feature
    /// `outbox`; see [`outbox`](crate::outbox)). Its requests go through
    /// this client's pipeline (base URL, default headers, middleware),
    /// one attempt each: the outbox does the retrying.
    pub fn outbox(&self, name: impl Into<String>) -> OutboxBuilder {
        OutboxBuilder {
            client: self.clone(),
            name: name.into(),
            store: StoreChoice::Default,
            config: Config {
                max_body_size: DEFAULT_MAX_BODY_SIZE,
                quota: None,
                max_attempts: None,
                backoff: Backoff::default(),
            },
        }
    }
}

enum StoreChoice {
    Default,
    Memory,
    #[cfg(not(target_arch = "wasm32"))]
    File(std::path::PathBuf),
    Custom(Box<dyn Store>),
}

#[derive(Clone, Copy, Debug)]
struct Config {
    max_body_size: u64,
    quota: Option<u64>,
    max_attempts: Option<u32>,
    backoff: Backoff,
}

/// Opens an [`Outbox`]: from [`Client::outbox`].
pub struct OutboxBuilder {
    client: Client,
    name: String,
    store: StoreChoice,
    config: Config,
}

impl std::fmt::Debug for OutboxBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxBuilder")
            .field("name", &self.name)
            .field("config", &self.config)
            .finish()
    }
}

impl OutboxBuilder {
    /// Keep the entries in memory only (they do not survive a reload).
    pub fn memory(mut self) -> Self {
        self.store = StoreChoice::Memory;
        self
    }

    /// Keep the entries in this file (natively; see [`FileStore`]).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.store = StoreChoice::File(path.into());
        self
    }

    /// Keep the entries in your own [`Store`].
    pub fn store(mut self, store: impl Store) -> Self {
        self.store = StoreChoice::Custom(Box::new(store));
        self
    }

    /// The largest body `send` stores (default
    /// [`DEFAULT_MAX_BODY_SIZE`]); a larger one is an error of reason
    /// [`Reason::TooLarge`].
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.config.max_body_size = bytes;
        self
    }

    /// The most body bytes the outbox holds at once (default: what the
    /// store takes); past it `send` fails with [`Reason::Quota`].
    pub fn quota(mut self, bytes: u64) -> Self {
        self.config.quota = Some(bytes);
        self
    }

    /// At most this many attempts per entry (default: no limit); then the
    /// entry is failed ([`Reason::GaveUp`]) and kept.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.config.max_attempts = Some(attempts.max(1));
        self
    }

    /// The wait after a failed attempt: `base`, doubled after each, at
    /// most `cap` (default 500 ms to 30 s); a server's `Retry-After` is
    /// honoured up to `max_retry_after` (default 5 minutes).
    pub fn backoff(mut self, base: Duration, cap: Duration, max_retry_after: Duration) -> Self {
        self.config.backoff = Backoff {
            base,
            cap,
            max_retry_after,
        };
        self
    }

    /// Opens the store (reading what an earlier page left there: a record
    /// of another version is an error of reason [`Reason::Version`]) and
    /// starts delivering.
    pub async fn open(self) -> Result<Outbox, OutboxError> {
        let store: Box<dyn Store> = match self.store {
            StoreChoice::Memory => Box::new(MemoryStore::new()),
            StoreChoice::Custom(s) => s,
            #[cfg(not(target_arch = "wasm32"))]
            StoreChoice::File(path) => Box::new(FileStore::open(path)?),
            #[cfg(not(target_arch = "wasm32"))]
            StoreChoice::Default => {
                return Err(OutboxError::new(
                    Reason::Unsupported,
                    "natively an outbox needs a store: OutboxBuilder::file(path) or memory()",
                ))
            }
            #[cfg(target_arch = "wasm32")]
            StoreChoice::Default => Box::new(idb::IdbStore::open(&self.name).await?),
        };
        store.load().await?;
        let inner = Shared::new(Inner {
            name: self.name,
            client: self.client,
            store,
            config: self.config,
            state: Lock::new(State::default()),
            notify: Shared::new(Notify::default()),
            #[cfg(target_arch = "wasm32")]
            online: std::cell::OnceCell::new(),
        });
        driver::start(&inner)?;
        let alive = Shared::new(Alive(inner.notify.clone()));
        Ok(Outbox {
            inner,
            _alive: alive,
        })
    }
}

/// A durable outbox: see [the module](crate::outbox). Clones share it;
/// dropping the last one stops its delivery (what is stored stays, for
/// the next open).
#[derive(Clone)]
pub struct Outbox {
    inner: Shared<Inner>,
    /// Dropped with the last clone: stops the task, even mid-round (the
    /// request in flight is aborted; its entry stays stored).
    _alive: Shared<Alive>,
}

/// Closes the outbox's task when the last [`Outbox`] goes.
struct Alive(Shared<Notify>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("name", &self.inner.name)
            .finish()
    }
}

type Listener = Shared<dyn_ss!(Fn(&OutboxEvent))>;

pub(crate) struct Inner {
    name: String,
    client: Client,
    store: Box<dyn Store>,
    config: Config,
    state: Lock<State>,
    notify: Shared<Notify>,
    /// The `online` listener, removed when the outbox goes.
    #[cfg(target_arch = "wasm32")]
    online: std::cell::OnceCell<sys::OnlineListener>,
}

#[derive(Default)]
struct State {
    /// The handles waiting for their entry, with its id (a `Vec`: a
    /// `BTreeMap` costs the wasm several KB of tree code).
    slots: Vec<(u64, Shared<Slot>)>,
    /// `send`s between storing their entry and registering its handle:
    /// while there are any, an outcome with no handle is kept here for
    /// them (the task may deliver an entry in that gap).
    registering: u32,
    unclaimed: Vec<(u64, Outcome)>,
    listeners: Vec<Listener>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.notify.close();
        let slots = std::mem::take(&mut self.state.lock().slots);
        for (_, slot) in slots {
            slot.fill(Err(OutboxError::new(
                Reason::Closed,
                "the outbox was dropped before delivery (the entry stays stored)",
            )));
        }
    }
}

impl Inner {
    fn emit(&self, event: OutboxEvent) {
        let listeners = self.state.lock().listeners.clone();
        for l in listeners {
            l(&event);
        }
    }

    /// Gives entry `id`'s handle (if one waits here) its outcome.
    fn settle(&self, id: u64, outcome: Outcome) {
        let slot = {
            let mut state = self.state.lock();
            let at = state.slots.iter().position(|(i, _)| *i == id);
            match at {
                Some(at) => Some(state.slots.swap_remove(at).1),
                None => {
                    if state.registering > 0 {
                        state.unclaimed.push((id, outcome));
                    }
                    return;
                }
            }
        };
        if let Some(slot) = slot {
            slot.fill(outcome);
        }
    }

    /// The handle of entry `id`, just stored by `send`: its outcome if the
    /// task already settled it, else a slot it will fill.
    fn register(&self, id: u64) -> Shared<Slot> {
        let slot = Shared::new(Slot::default());
        let early = {
            let mut state = self.state.lock();
            state.registering = state.registering.saturating_sub(1);
            let at = state.unclaimed.iter().position(|(i, _)| *i == id);
            let early = at.map(|at| state.unclaimed.swap_remove(at).1);
            if state.registering == 0 {
                state.unclaimed.clear();
            }
            if early.is_none() {
                state.slots.push((id, slot.clone()));
            }
            early
        };
        if let Some(outcome) = early {
            slot.fill(outcome);
        }
        slot
    }
}

impl Outbox {
    /// The outbox's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Stores `request` (its method, URL resolved to an absolute one,
    /// headers and body bytes, with a new `Idempotency-Key` unless it has
    /// one) and wakes delivery. Resolves once it is stored, to a
    /// [`Sending`] handle; an error says why nothing was stored: a
    /// streamed body ([`Reason::Unstorable`]), a body over
    /// `max_body_size` ([`Reason::TooLarge`]), the quota
    /// ([`Reason::Quota`]), a URL that does not resolve
    /// ([`Reason::BadUrl`]). The request's own options, signal and hooks
    /// are not stored: each attempt takes the client's.
    pub async fn send(&self, request: Request) -> Result<Sending, OutboxError> {
        let inner = &self.inner;
        let body = match request.body() {
            None => None,
            Some(b) => match b.as_bytes() {
                Some(bytes) => Some(bytes.to_vec()),
                None => {
                    return Err(OutboxError::new(
                        Reason::Unstorable,
                        format!("a {b:?} body cannot be stored: send text or bytes"),
                    ))
                }
            },
        };
        let len = body.as_ref().map_or(0, |b| b.len() as u64);
        if len > inner.config.max_body_size {
            return Err(OutboxError::new(
                Reason::TooLarge,
                format!(
                    "a body of {len} bytes is over the outbox's cap of {} bytes",
                    inner.config.max_body_size
                ),
            ));
        }
        let url = inner.client.resolve(request.url()).map_err(|e| {
            OutboxError::new(
                Reason::BadUrl,
                format!("the URL {:?} does not resolve", request.url()),
            )
            .with_source(e)
        })?;
        if let Some(quota) = inner.config.quota {
            let held: u64 = inner.store.load().await?.iter().map(Record::body_len).sum();
            if held + len > quota {
                return Err(OutboxError::new(
                    Reason::Quota,
                    format!(
                        "the outbox holds {held} body bytes; {len} more is over its quota of \
                         {quota}"
                    ),
                ));
            }
        }
        let mut headers = request.headers().to_vec();
        let key = match request.header("idempotency-key") {
            Some(k) => k.to_owned(),
            None => {
                let k = uuid_v4(sys::random_bytes());
                headers.push(("idempotency-key".to_owned(), k.clone()));
                k
            }
        };
        let record = Record::new(request.method().as_str(), url, headers, body, key.clone());
        inner.state.lock().registering += 1;
        let id = match inner.store.add(record).await {
            Ok(id) => id,
            Err(e) => {
                let mut state = inner.state.lock();
                state.registering = state.registering.saturating_sub(1);
                if state.registering == 0 {
                    state.unclaimed.clear();
                }
                return Err(e);
            }
        };
        let slot = inner.register(id);
        inner.emit(OutboxEvent::Queued { id });
        inner.notify.wake();
        Ok(Sending { id, key, slot })
    }

    /// How many entries the store holds (pending and failed).
    pub async fn len(&self) -> Result<usize, OutboxError> {
        Ok(self.inner.store.load().await?.len())
    }

    /// Whether the store holds no entry.
    pub async fn is_empty(&self) -> Result<bool, OutboxError> {
        Ok(self.len().await? == 0)
    }

    /// The stored entries, in delivery order, for a UI list.
    pub async fn entries(&self) -> Result<Vec<Entry>, OutboxError> {
        Ok(self
            .inner
            .store
            .load()
            .await?
            .iter()
            .map(Entry::from)
            .collect())
    }

    /// Removes entry `id` (a failed one, or a pending one not to send);
    /// its handle, if any, ends with [`Reason::Removed`]. `false` if it
    /// was not there. (An entry being sent at that moment may still
    /// arrive: its key lets the server apply it once.)
    pub async fn remove(&self, id: u64) -> Result<bool, OutboxError> {
        let gone = self.inner.store.delete(id).await?;
        self.inner.settle(
            id,
            Err(OutboxError::new(Reason::Removed, "removed from the outbox")),
        );
        Ok(gone)
    }

    /// Removes every entry; their handles end with [`Reason::Removed`].
    pub async fn clear(&self) -> Result<(), OutboxError> {
        self.inner.store.clear().await?;
        let slots = std::mem::take(&mut self.inner.state.lock().slots);
        for (_, slot) in slots {
            slot.fill(Err(OutboxError::new(
                Reason::Removed,
                "the outbox was cleared",
            )));
        }
        Ok(())
    }

    /// Calls `listener` with each [`OutboxEvent`] from now on.
    pub fn on_event(
        &self,
        listener: impl Fn(&OutboxEvent) + crate::MaybeSend + crate::MaybeSync + 'static,
    ) {
        self.inner
            .state
            .lock()
            .listeners
            .push(Shared::new(listener));
    }

    /// Delivers now (a waiting retry goes at once) and resolves when that
    /// round ends: the queue empty, or an attempt failed and a retry
    /// waits. It does not fail: what happened is in the events and
    /// [`entries`](Outbox::entries).
    pub fn flush(&self) -> impl Future<Output = ()> + 'static {
        self.inner.notify.flush()
    }
}

/// The handle of a stored request: its id and key, and (awaited) the
/// final response: a 2xx, or a final 4xx (the entry then stays, failed).
/// It fails when delivery gave up ([`Reason::GaveUp`]), the entry was
/// removed ([`Reason::Removed`]) or delivered by another tab
/// ([`Reason::Gone`]), or the outbox was dropped ([`Reason::Closed`]).
/// Dropping it changes nothing: the entry is delivered anyway.
#[derive(Debug)]
pub struct Sending {
    id: u64,
    key: String,
    slot: Shared<Slot>,
}

impl Sending {
    /// The entry's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Its `Idempotency-Key`.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl Future for Sending {
    type Output = Result<Response, OutboxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.slot.0.lock();
        match s.0.take() {
            Some(out) => Poll::Ready(out),
            None => {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Where an entry's outcome waits for its handle.
#[derive(Default)]
struct Slot(Lock<(Option<Outcome>, Option<Waker>)>);

/// What a handle resolves to.
type Outcome = Result<Response, OutboxError>;

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Slot")
    }
}

impl Slot {
    fn fill(&self, outcome: Result<Response, OutboxError>) {
        let waker = {
            let mut s = self.0.lock();
            s.0 = Some(outcome);
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// A random (version 4) UUID from 16 random bytes.
fn uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{byte:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuid_v4_has_its_version_and_variant() {
        let u = super::uuid_v4([0xff; 16]);
        assert_eq!(u, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let u = super::uuid_v4([0; 16]);
        assert_eq!(u, "00000000-0000-4000-8000-000000000000");
    }
}
