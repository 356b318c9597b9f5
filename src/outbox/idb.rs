//! [`IdbStore`]: the outbox's store in browsers and workers, one
//! IndexedDB database per outbox (`fanout-outbox:NAME`, object store
//! `entries`, ids from its key generator), each record as its JSON.
//! Every write resolves when its transaction completes.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    IdbDatabase, IdbObjectStoreParameters, IdbRequest, IdbTransaction, IdbTransactionMode,
};

use crate::sync::BoxFuture;
use crate::sys;

use super::error::{OutboxError, Reason};
use super::record::Record;
use super::store::Store;

const STORE: &str = "entries";

/// An outbox's IndexedDB database.
pub(crate) struct IdbStore {
    db: IdbDatabase,
}

impl Drop for IdbStore {
    fn drop(&mut self) {
        self.db.close();
    }
}

/// An error of the store, named after the platform's (a
/// `QuotaExceededError` is [`Reason::Quota`]).
fn idb_error(what: &str, e: &JsValue) -> OutboxError {
    let name = js_sys::Reflect::get(e, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    let reason = if name == "QuotaExceededError" {
        Reason::Quota
    } else {
        Reason::Store
    };
    OutboxError::new(reason, format!("IndexedDB: {what}: {}", sys::js_message(e)))
}

/// A promise of `req`'s result.
fn request_done(req: &IdbRequest) -> Promise {
    Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    })
}

/// A promise of `tx`'s completion.
fn tx_done(tx: &IdbTransaction) -> Promise {
    Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onerror(Some(&reject));
        tx.set_onabort(Some(&reject));
    })
}

/// The request's error (or the transaction's) after a failure.
fn failure(
    req: Option<&IdbRequest>,
    tx: &IdbTransaction,
    what: &str,
    event: JsValue,
) -> OutboxError {
    let err = req
        .and_then(|r| r.error().ok().flatten())
        .or_else(|| tx.error())
        .map(JsValue::from)
        .unwrap_or(event);
    idb_error(what, &err)
}

impl IdbStore {
    /// Opens (or makes) the database of outbox `name`.
    pub(crate) async fn open(name: &str) -> Result<IdbStore, OutboxError> {
        let factory = sys::indexed_db().ok_or_else(|| {
            OutboxError::new(
                Reason::Unsupported,
                "no IndexedDB here (Node.js?): open the outbox with memory() or your own store",
            )
        })?;
        let req = factory
            .open_with_u32(&format!("fanout-outbox:{name}"), 1)
            .map_err(|e| idb_error("cannot open", &e))?;
        let on_upgrade = {
            let req = req.clone();
            Closure::<dyn FnMut()>::new(move || {
                if let Ok(db) = req.result() {
                    let db: IdbDatabase = db.unchecked_into();
                    let params = IdbObjectStoreParameters::new();
                    params.set_auto_increment(true);
                    let _ = db.create_object_store_with_optional_parameters(STORE, &params);
                }
            })
        };
        req.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
        let opened = sys::settled(&request_done(&req)).await;
        req.set_onupgradeneeded(None);
        drop(on_upgrade);
        opened.map_err(|e| {
            let err = req.error().ok().flatten().map(JsValue::from).unwrap_or(e);
            idb_error("cannot open", &err)
        })?;
        let db: IdbDatabase = req
            .result()
            .map_err(|e| idb_error("cannot open", &e))?
            .unchecked_into();
        Ok(IdbStore { db })
    }

    fn tx(
        &self,
        mode: IdbTransactionMode,
    ) -> Result<(IdbTransaction, web_sys::IdbObjectStore), OutboxError> {
        let tx = self
            .db
            .transaction_with_str_and_mode(STORE, mode)
            .map_err(|e| idb_error("cannot start a transaction", &e))?;
        let store = tx
            .object_store(STORE)
            .map_err(|e| idb_error("no object store", &e))?;
        Ok((tx, store))
    }

    async fn load_all(&self) -> Result<Vec<Record>, OutboxError> {
        let (tx, store) = self.tx(IdbTransactionMode::Readonly)?;
        let values = store.get_all().map_err(|e| idb_error("getAll", &e))?;
        let keys = store
            .get_all_keys()
            .map_err(|e| idb_error("getAllKeys", &e))?;
        let done = tx_done(&tx);
        sys::settled(&done)
            .await
            .map_err(|e| failure(Some(&values), &tx, "cannot read", e))?;
        let values: Array = values
            .result()
            .map_err(|e| idb_error("getAll", &e))?
            .unchecked_into();
        let keys: Array = keys
            .result()
            .map_err(|e| idb_error("getAllKeys", &e))?
            .unchecked_into();
        let mut out = Vec::with_capacity(values.length() as usize);
        for (value, key) in values.iter().zip(keys.iter()) {
            let json = value.as_string().ok_or_else(|| {
                OutboxError::new(Reason::Version, "a stored entry is not a record")
            })?;
            let mut record = Record::decode(&json)?;
            record.id = key.as_f64().unwrap_or(0.0) as u64;
            out.push(record);
        }
        Ok(out)
    }

    async fn write(
        &self,
        what: &str,
        f: impl FnOnce(&web_sys::IdbObjectStore) -> Result<IdbRequest, JsValue>,
    ) -> Result<JsValue, OutboxError> {
        let (tx, store) = self.tx(IdbTransactionMode::Readwrite)?;
        let req = f(&store).map_err(|e| idb_error(what, &e))?;
        let done = tx_done(&tx);
        sys::settled(&done)
            .await
            .map_err(|e| failure(Some(&req), &tx, what, e))?;
        req.result().map_err(|e| idb_error(what, &e))
    }

    async fn exists(&self, id: u64) -> Result<bool, OutboxError> {
        let (tx, store) = self.tx(IdbTransactionMode::Readonly)?;
        let req = store
            .count_with_key(&JsValue::from_f64(id as f64))
            .map_err(|e| idb_error("count", &e))?;
        sys::settled(&request_done(&req))
            .await
            .map_err(|e| failure(Some(&req), &tx, "count", e))?;
        Ok(req.result().ok().and_then(|v| v.as_f64()).unwrap_or(0.0) > 0.0)
    }
}

impl Store for IdbStore {
    fn load(&self) -> BoxFuture<'_, Result<Vec<Record>, OutboxError>> {
        Box::pin(self.load_all())
    }

    fn add(&self, mut record: Record) -> BoxFuture<'_, Result<u64, OutboxError>> {
        Box::pin(async move {
            record.id = 0;
            let json = JsValue::from_str(&record.encode());
            let key = self.write("cannot store", |s| s.add(&json)).await?;
            Ok(key.as_f64().unwrap_or(0.0) as u64)
        })
    }

    fn put(&self, record: Record) -> BoxFuture<'_, Result<(), OutboxError>> {
        Box::pin(async move {
            // A record another tab removed stays removed (a small window
            // remains between the two transactions).
            if !self.exists(record.id).await? {
                return Ok(());
            }
            let key = JsValue::from_f64(record.id as f64);
            let json = JsValue::from_str(&record.encode());
            self.write("cannot update", |s| s.put_with_key(&json, &key))
                .await
                .map(drop)
        })
    }

    fn delete(&self, id: u64) -> BoxFuture<'_, Result<bool, OutboxError>> {
        Box::pin(async move {
            let there = self.exists(id).await?;
            let key = JsValue::from_f64(id as f64);
            self.write("cannot remove", |s| s.delete(&key)).await?;
            Ok(there)
        })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), OutboxError>> {
        Box::pin(async move { self.write("cannot clear", |s| s.clear()).await.map(drop) })
    }
}
