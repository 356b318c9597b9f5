//! `client.sse`: Server-Sent Events as an async iterator.

use crate::client::JsClient;
use crate::errors::js_error;
use crate::js::{call_back, set};
use crate::keys::SSE_KEYS;
use crate::request::{absolute, call_fields, read_options};
use crate::stream::{JsItems, JsStream};
use fanout::{Client as Session, Error, Method};
use futures_util::StreamExt;
use js_sys::Object;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

/// A server-sent event as `{ event, data, id, retry }`.
pub(crate) fn event_object(e: fanout::Event) -> JsValue {
    let obj = Object::new();
    set(&obj, "event", &JsValue::from_str(&e.event));
    set(&obj, "data", &JsValue::from_str(&e.data));
    set(&obj, "id", &JsValue::from_str(&e.id));
    let retry = e
        .retry
        .map(|d| JsValue::from(d.as_millis() as f64))
        .unwrap_or(JsValue::UNDEFINED);
    set(&obj, "retry", &retry);
    obj.into()
}

pub(crate) fn sse_stream(
    client: &Session,
    path: &JsValue,
    options: &JsValue,
) -> Result<(JsItems, Option<AbortSignal>), Error> {
    let (path, f) = call_fields(Method::Get, path, options, "sse options", SSE_KEYS)?;
    let method = f.method("method")?.unwrap_or(Method::Get);
    let (onto, js) =
        read_options(method, &f).map_err(|e| e.with_request(method, &absolute(client, &path)))?;
    let mut b = client.sse(&path).method(method).request(onto);
    if let Some(d) = f.ms("retryDelayMs", true)? {
        b = b.retry_delay(d);
    }
    if let Some(d) = f.ms("maxRetryDelayMs", true)? {
        b = b.max_retry_delay(d);
    }
    if let Some(n) = f.int("maxReconnects", 0.0, u32::MAX as f64)? {
        b = b.max_reconnects(n as u32);
    }
    if let Some(v) = f.get("lastEventId")? {
        match v.as_string() {
            Some(id) => b = b.last_event_id(id),
            None => return Err(f.bad("lastEventId", "a string", &v)),
        }
    }
    if let Some(cb) = f.function("onReconnect")? {
        b = b.on_reconnect(move |r| {
            let obj = Object::new();
            set(&obj, "attempt", &r.attempt.into());
            set(&obj, "delayMs", &(r.delay.as_millis() as f64).into());
            set(&obj, "lastEventId", &JsValue::from_str(&r.last_event_id));
            let cause = r
                .cause
                .as_deref()
                .map(JsValue::from_str)
                .unwrap_or(JsValue::UNDEFINED);
            set(&obj, "cause", &cause);
            call_back(&cb, &obj);
        });
    }
    let signal = js.signal;
    let items = futures_util::stream::once(b.send())
        .map(|opened| match opened {
            Ok(events) => events.map(|e| e.map(event_object)).left_stream(),
            Err(e) => futures_util::stream::once(std::future::ready(Err(e))).right_stream(),
        })
        .flatten()
        .boxed_local();
    Ok((items, signal))
}

#[wasm_bindgen(js_class = Client)]
impl JsClient {
    /// Server-Sent Events over `fetch`, as an async iterator; see the
    /// `Client` interface.
    #[wasm_bindgen(skip_typescript)]
    pub fn sse(&self, path: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let (items, signal) = sse_stream(&self.inner, &path, &options).map_err(js_error)?;
        Ok(JsStream::wrap(items, signal))
    }
}
