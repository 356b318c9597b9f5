//! [`FileStore`]: natively, an outbox's records in one file (a header
//! line, then a record's JSON a line), rewritten whole through a
//! temporary file and a rename on every change, so a crash leaves the old
//! file or the new one, never half of one.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::sync::{BoxFuture, Lock};

use super::error::{OutboxError, Reason};
use super::record::Record;
use super::store::Store;

/// A native store in one file (see the module's docs). Its calls do
/// blocking file I/O, which is small: an outbox holds a user's pending
/// writes, not a database.
pub struct FileStore {
    path: PathBuf,
    state: Lock<(u64, BTreeMap<u64, Record>)>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .finish()
    }
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> OutboxError {
    // ENOSPC: the disk is full.
    let reason = if e.raw_os_error() == Some(28) {
        Reason::Quota
    } else {
        Reason::Store
    };
    OutboxError::new(reason, format!("{what} {}: {e}", path.display()))
}

impl FileStore {
    /// Opens (or, if absent, starts) the store at `path`. A record of
    /// another version is an error of reason [`Reason::Version`].
    pub fn open(path: impl Into<PathBuf>) -> Result<FileStore, OutboxError> {
        let path = path.into();
        let mut next = 0;
        let mut records = BTreeMap::new();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let mut lines = text.lines();
                if let Some(head) = lines.next() {
                    let head: serde_json::Value = serde_json::from_str(head).map_err(|e| {
                        OutboxError::new(
                            Reason::Version,
                            format!("{} is not an outbox file: {e}", path.display()),
                        )
                    })?;
                    next = head["next"].as_u64().ok_or_else(|| {
                        OutboxError::new(
                            Reason::Version,
                            format!("{} is not an outbox file", path.display()),
                        )
                    })?;
                }
                for line in lines.filter(|l| !l.trim().is_empty()) {
                    let r = Record::decode(line)?;
                    next = next.max(r.id);
                    records.insert(r.id, r);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&path, "cannot read", e)),
        }
        Ok(FileStore {
            path,
            state: Lock::new((next, records)),
        })
    }

    /// Writes `state` to the file (a temporary file, then a rename).
    fn write(&self, state: &(u64, BTreeMap<u64, Record>)) -> Result<(), OutboxError> {
        let mut text = serde_json::json!({ "fanout_outbox": 1, "next": state.0 }).to_string();
        text.push('\n');
        for r in state.1.values() {
            text.push_str(&r.encode());
            text.push('\n');
        }
        let tmp = self.path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp).map_err(|e| io_error(&tmp, "cannot write", e))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| io_error(&tmp, "cannot write", e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| io_error(&self.path, "cannot replace", e))
    }

    /// Changes the state with `f` and writes it; on a failed write the
    /// state is left as it was.
    fn change<T>(
        &self,
        f: impl FnOnce(&mut (u64, BTreeMap<u64, Record>)) -> T,
    ) -> Result<T, OutboxError> {
        let mut state = self.state.lock();
        let mut new = state.clone();
        let out = f(&mut new);
        self.write(&new)?;
        *state = new;
        Ok(out)
    }
}

impl Store for FileStore {
    fn load(&self) -> BoxFuture<'_, Result<Vec<Record>, OutboxError>> {
        let records = self.state.lock().1.values().cloned().collect();
        Box::pin(async move { Ok(records) })
    }

    fn add(&self, mut record: Record) -> BoxFuture<'_, Result<u64, OutboxError>> {
        let out = self.change(|s| {
            s.0 += 1;
            record.id = s.0;
            s.1.insert(s.0, record);
            s.0
        });
        Box::pin(async move { out })
    }

    fn put(&self, record: Record) -> BoxFuture<'_, Result<(), OutboxError>> {
        let out = self.change(|s| {
            if let Some(slot) = s.1.get_mut(&record.id) {
                *slot = record;
            }
        });
        Box::pin(async move { out })
    }

    fn delete(&self, id: u64) -> BoxFuture<'_, Result<bool, OutboxError>> {
        let out = self.change(|s| s.1.remove(&id).is_some());
        Box::pin(async move { out })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), OutboxError>> {
        let out = self.change(|s| s.1.clear());
        Box::pin(async move { out })
    }
}
