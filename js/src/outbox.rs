//! `client.outbox(name, options)`: the library's durable outbox for JS.
//! It resolves to an `Outbox` whose `send(path, options)` resolves, once
//! the request is stored, to an `OutboxHandle` (`id`, `key`, and
//! `response()`, the final response). Failures are `OutboxError`s (a
//! `FanoutError` with a `reason`). Events go to `onEvent` as plain
//! objects; a callback that throws is reported, never thrown into fanout.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use fanout::outbox::{Entry, EntryState, Outbox, OutboxError, OutboxEvent, Reason, Sending};
use fanout::{Client as Session, Error, Method};
use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;

use crate::errors::{js_error, outbox_error, type_error};
use crate::fields::Fields;
use crate::js::{call_back, describe, promise, set};
use crate::keys::{OUTBOX_KEYS, OUTBOX_SEND_KEYS};
use crate::request::{call_fields, Call};
use crate::response::js_response;

/// The outbox's settings, read from its options object.
struct Settings {
    memory: bool,
    max_body_size: Option<u64>,
    quota: Option<u64>,
    max_attempts: Option<usize>,
    backoff: (Option<Duration>, Option<Duration>, Option<Duration>),
    on_event: Option<Function>,
}

fn settings(options: &JsValue) -> Result<Settings, Error> {
    let f = Fields::new(options, "outbox options", &[OUTBOX_KEYS])?;
    Ok(Settings {
        memory: f.bool("memory")?.unwrap_or(false),
        max_body_size: f.bytes("maxBodySize")?,
        quota: f.bytes("quota")?,
        max_attempts: f.count("maxAttempts")?,
        backoff: (
            f.ms("retryDelayMs", false)?,
            f.ms("maxRetryDelayMs", false)?,
            f.ms("maxRetryAfterMs", true)?,
        ),
        on_event: f.function("onEvent")?,
    })
}

/// `client.outbox(name, options)`.
pub(crate) fn open(client: &Session, name: &JsValue, options: &JsValue) -> Promise {
    let client = client.clone();
    let name = name.as_string().filter(|n| !n.is_empty()).ok_or_else(|| {
        type_error(format!(
            "outbox name must be a non-empty string, not {}",
            describe(name)
        ))
    });
    let setup = settings(options);
    promise(async move {
        let name = name.map_err(js_error)?;
        let s = setup.map_err(js_error)?;
        let mut b = client.outbox(name);
        if s.memory {
            b = b.memory();
        }
        if let Some(n) = s.max_body_size {
            b = b.max_body_size(n);
        }
        if let Some(n) = s.quota {
            b = b.quota(n);
        }
        if let Some(n) = s.max_attempts {
            b = b.max_attempts(u32::try_from(n).unwrap_or(u32::MAX));
        }
        if s.backoff != (None, None, None) {
            b = b.backoff(
                s.backoff.0.unwrap_or(Duration::from_millis(500)),
                s.backoff.1.unwrap_or(Duration::from_secs(30)),
                s.backoff.2.unwrap_or(Duration::from_secs(300)),
            );
        }
        let inner = b.open().await.map_err(outbox_error)?;
        if let Some(f) = s.on_event {
            inner.on_event(move |e| call_back(&f, &event_js(e)));
        }
        Ok(JsOutbox { inner, client }.into())
    })
}

/// A durable outbox: see `client.outbox` in the TypeScript declarations.
/// `free()` stops its delivery (what is stored stays, for the next open).
#[wasm_bindgen(js_name = Outbox)]
pub struct JsOutbox {
    inner: Outbox,
    client: Session,
}

impl std::fmt::Debug for JsOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[wasm_bindgen(js_class = Outbox)]
impl JsOutbox {
    /// The outbox's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    /// Stores a request (`method` defaults to `'POST'`; `headers`,
    /// `json`, `body` and `query` as for `client.post`) and resolves to
    /// its `OutboxHandle` once stored; rejects with an `OutboxError`
    /// (`reason`: `'unstorable'`, `'too_large'`, `'quota'`, `'bad_url'`)
    /// and stores nothing.
    #[wasm_bindgen(unchecked_return_type = "Promise<OutboxHandle>")]
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "OutboxSendOptions")] options: JsValue,
    ) -> Promise {
        let request = build_request(&self.client, &path, &options);
        let outbox = self.inner.clone();
        promise(async move {
            let request = request?;
            let sending = outbox.send(request).await.map_err(outbox_error)?;
            Ok(JsOutboxHandle {
                id: sending.id() as f64,
                key: sending.key().to_owned(),
                sending: Rc::new(RefCell::new(Some(sending))),
            }
            .into())
        })
    }

    /// How many entries are stored (pending and failed).
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn len(&self) -> Promise {
        let outbox = self.inner.clone();
        promise(async move {
            let n = outbox.len().await.map_err(outbox_error)?;
            Ok(JsValue::from_f64(n as f64))
        })
    }

    /// The stored entries, in delivery order.
    #[wasm_bindgen(unchecked_return_type = "Promise<OutboxEntry[]>")]
    pub fn entries(&self) -> Promise {
        let outbox = self.inner.clone();
        promise(async move {
            let entries = outbox.entries().await.map_err(outbox_error)?;
            Ok(entries.iter().map(entry_js).collect::<Array>().into())
        })
    }

    /// Removes entry `id`; resolves to whether it was there.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn remove(&self, id: f64) -> Promise {
        let outbox = self.inner.clone();
        promise(async move {
            let gone = outbox.remove(id as u64).await.map_err(outbox_error)?;
            Ok(JsValue::from_bool(gone))
        })
    }

    /// Removes every entry.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn clear(&self) -> Promise {
        let outbox = self.inner.clone();
        promise(async move {
            outbox.clear().await.map_err(outbox_error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Delivers now (a waiting retry goes at once); resolves when that
    /// round ends: the queue empty, or a retry waiting. Never rejects.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn flush(&self) -> Promise {
        let flush = self.inner.flush();
        promise(async move {
            flush.await;
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// The request `outbox.send(path, options)` stands for.
fn build_request(
    client: &Session,
    path: &JsValue,
    options: &JsValue,
) -> Result<fanout::Request, JsValue> {
    let (path, f) = call_fields(
        Method::Post,
        path,
        options,
        "outbox send options",
        OUTBOX_SEND_KEYS,
    )
    .map_err(js_error)?;
    let method = f
        .method("method")
        .map_err(js_error)?
        .unwrap_or(Method::Post);
    if let Err(e) = client.resolve(&path) {
        return Err(outbox_error(
            OutboxError::new(Reason::BadUrl, format!("the URL {path:?} does not resolve"))
                .with_source(e),
        ));
    }
    let mut call = Call::parse(client, method, path, &f).map_err(js_error)?;
    call.take_request().map_err(js_error)
}

/// A stored request: its `id`, its `key` (`Idempotency-Key`) and
/// `response()`.
#[wasm_bindgen(js_name = OutboxHandle)]
pub struct JsOutboxHandle {
    id: f64,
    key: String,
    sending: Rc<RefCell<Option<Sending>>>,
}

impl std::fmt::Debug for JsOutboxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxHandle")
            .field("id", &self.id)
            .finish()
    }
}

#[wasm_bindgen(js_class = OutboxHandle)]
impl JsOutboxHandle {
    /// The entry's id (the order of delivery).
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> f64 {
        self.id
    }

    /// Its `Idempotency-Key`.
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> String {
        self.key.clone()
    }

    /// The final response (a 2xx, or a final 4xx, whose entry stays
    /// listed as failed), once delivered; rejects with an `OutboxError`
    /// (`'gave_up'`, `'removed'`, `'gone'`, `'closed'`). Made only when
    /// called (so an ignored handle never leaves an unhandled rejection),
    /// and once: a second call rejects with a `TypeError`.
    #[wasm_bindgen(unchecked_return_type = "Promise<FanoutResponse>")]
    pub fn response(&self) -> Promise {
        let sending = self.sending.borrow_mut().take();
        promise(async move {
            let sending = sending.ok_or_else(|| {
                js_error(type_error("OutboxHandle.response() was already called"))
            })?;
            match sending.await {
                Ok(resp) => Ok(js_response(resp, false)),
                Err(e) => Err(outbox_error(e)),
            }
        })
    }
}

fn obj(pairs: &[(&'static str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        set(&o, k, v);
    }
    o.into()
}

fn num(n: impl Into<f64>) -> JsValue {
    JsValue::from_f64(n.into())
}

fn status_js(status: Option<u16>) -> JsValue {
    status.map_or(JsValue::UNDEFINED, num)
}

/// An entry as JS sees it.
fn entry_js(e: &Entry) -> JsValue {
    let (state, status, reason) = match &e.state {
        EntryState::Failed { status, reason } => {
            ("failed", status_js(*status), JsValue::from_str(reason))
        }
        _ => ("pending", JsValue::UNDEFINED, JsValue::UNDEFINED),
    };
    obj(&[
        ("id", num(e.id as f64)),
        ("method", JsValue::from_str(&e.method)),
        ("url", JsValue::from_str(&e.url)),
        ("key", JsValue::from_str(&e.key)),
        ("state", JsValue::from_str(state)),
        ("status", status),
        ("reason", reason),
        ("attempts", num(e.attempts)),
        ("bodyLength", num(e.body_len as f64)),
    ])
}

/// An event as JS sees it: `{ type, id, ... }`.
fn event_js(e: &OutboxEvent) -> JsValue {
    let mut pairs = vec![
        ("type", JsValue::from_str(e.kind())),
        ("id", num(e.id() as f64)),
    ];
    match e {
        OutboxEvent::Attempt { attempt, .. } => pairs.push(("attempt", num(*attempt))),
        OutboxEvent::Retrying { status, delay, .. } => {
            pairs.push(("status", status_js(*status)));
            pairs.push(("delayMs", num(delay.as_secs_f64() * 1000.0)));
        }
        OutboxEvent::Delivered { status, .. } => pairs.push(("status", num(*status))),
        OutboxEvent::Failed { status, reason, .. } => {
            pairs.push(("status", status_js(*status)));
            pairs.push(("reason", JsValue::from_str(reason)));
        }
        _ => {}
    }
    obj(&pairs)
}
