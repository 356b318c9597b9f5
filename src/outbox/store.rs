//! [`Store`]: where an outbox keeps its records, and [`MemoryStore`].

use crate::sync::{BoxFuture, Lock, MaybeSend, MaybeSync};

use super::error::OutboxError;
use super::record::Record;

/// Where an outbox keeps its records: IndexedDB in browsers and workers,
/// a file natively, memory when asked for, or your own.
///
/// Each call finishes its write durably before its future resolves. Ids
/// come from the store (`add`), increasing in the order of the calls: the
/// outbox delivers in id order.
pub trait Store: MaybeSend + MaybeSync + 'static {
    /// Every record, in id order.
    fn load(&self) -> BoxFuture<'_, Result<Vec<Record>, OutboxError>>;
    /// Stores a new record and returns its id (the record's `id` is
    /// ignored).
    fn add(&self, record: Record) -> BoxFuture<'_, Result<u64, OutboxError>>;
    /// Replaces the stored record of `record.id` (its attempts or state);
    /// a record no longer there stays gone.
    fn put(&self, record: Record) -> BoxFuture<'_, Result<(), OutboxError>>;
    /// Removes the record `id`; `false` if it was not there.
    fn delete(&self, id: u64) -> BoxFuture<'_, Result<bool, OutboxError>>;
    /// Removes every record.
    fn clear(&self) -> BoxFuture<'_, Result<(), OutboxError>>;
}

/// A store in memory: it lasts as long as the outbox (nothing survives a
/// reload). `OutboxBuilder::memory` picks it. The last id given, and the
/// records in id order.
#[derive(Default)]
pub struct MemoryStore(Lock<(u64, Vec<Record>)>);

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("records", &self.0.lock().1.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

impl Store for MemoryStore {
    fn load(&self) -> BoxFuture<'_, Result<Vec<Record>, OutboxError>> {
        let records = self.0.lock().1.clone();
        Box::pin(async move { Ok(records) })
    }

    fn add(&self, mut record: Record) -> BoxFuture<'_, Result<u64, OutboxError>> {
        let id = {
            let mut inner = self.0.lock();
            inner.0 += 1;
            let id = inner.0;
            record.id = id;
            inner.1.push(record);
            id
        };
        Box::pin(async move { Ok(id) })
    }

    fn put(&self, record: Record) -> BoxFuture<'_, Result<(), OutboxError>> {
        if let Some(slot) = self.0.lock().1.iter_mut().find(|r| r.id == record.id) {
            *slot = record;
        }
        Box::pin(async { Ok(()) })
    }

    fn delete(&self, id: u64) -> BoxFuture<'_, Result<bool, OutboxError>> {
        let gone = {
            let mut inner = self.0.lock();
            let before = inner.1.len();
            inner.1.retain(|r| r.id != id);
            inner.1.len() < before
        };
        Box::pin(async move { Ok(gone) })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), OutboxError>> {
        self.0.lock().1.clear();
        Box::pin(async { Ok(()) })
    }
}
