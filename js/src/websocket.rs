//! `client.websocket`: a `FanoutWebSocket`, an async iterator of
//! `FanoutMessage`s with `send`, `sendJson` and `close`, over the
//! library's `WebSocket` (which reconnects and loses nothing it can know
//! about).

use crate::client::JsClient;
use crate::errors::{decode_error, js_error, type_error};
use crate::fields::{url_arg, Fields};
use crate::js::{call_back, describe, js_message, json_parse, json_stringify, promise, set};
use crate::keys::WEBSOCKET_KEYS;
use crate::options::retry;
use crate::stream::{JsStream, StreamState};
use fanout::{Client as Session, Error, Message, SocketEvent, SocketSink, SocketState};
use futures_util::StreamExt;
use js_sys::{Array, ArrayBuffer, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// One message: `data` (a string, or a `Uint8Array` for a binary one),
/// `isText`, and `text()`, `bytes()`, `json()`.
#[wasm_bindgen(js_name = FanoutMessage, skip_typescript)]
pub struct JsMessage {
    data: JsValue,
}

impl JsMessage {
    fn new(m: Message) -> JsMessage {
        let data = match m {
            Message::Text(s) => JsValue::from_str(&s),
            Message::Binary(b) => Uint8Array::from(&b[..]).into(),
        };
        JsMessage { data }
    }
}

#[wasm_bindgen(js_class = FanoutMessage)]
impl JsMessage {
    /// The text, or the bytes of a binary message.
    #[wasm_bindgen(getter)]
    pub fn data(&self) -> JsValue {
        self.data.clone()
    }

    /// Whether it is a text message.
    #[wasm_bindgen(getter, js_name = isText)]
    pub fn is_text(&self) -> bool {
        self.data.is_string()
    }

    /// The text (a binary message decoded as UTF-8, invalid bytes replaced).
    pub fn text(&self) -> String {
        match self.data.as_string() {
            Some(s) => s,
            None => String::from_utf8_lossy(&self.data.unchecked_ref::<Uint8Array>().to_vec())
                .into_owned(),
        }
    }

    /// The bytes (a text message's UTF-8).
    pub fn bytes(&self) -> Uint8Array {
        match self.data.as_string() {
            Some(s) => Uint8Array::from(s.as_bytes()),
            None => self.data.clone().unchecked_into(),
        }
    }

    /// `JSON.parse` of the text; a `DecodeError` if it is not JSON.
    pub fn json(&self) -> Result<JsValue, JsValue> {
        let text = self.text();
        json_parse(&JsValue::from_str(&text)).map_err(|e| {
            let start: String = text.chars().take(120).collect();
            js_error(decode_error(&js_message(&e), start))
        })
    }
}

/// The socket as JS sees it.
#[wasm_bindgen(js_name = FanoutWebSocket, skip_typescript)]
pub struct JsWebSocket {
    sink: SocketSink,
    messages: JsStream,
}

fn state_name(s: SocketState) -> &'static str {
    match s {
        SocketState::Connecting => "connecting",
        SocketState::Open => "open",
        SocketState::Reconnecting => "reconnecting",
        SocketState::Closed => "closed",
    }
}

fn event_object(e: &SocketEvent) -> JsValue {
    let obj = Object::new();
    match e {
        SocketEvent::Open { reconnects } => {
            set(&obj, "type", &"open".into());
            set(&obj, "reconnects", &(*reconnects).into());
        }
        SocketEvent::Reconnecting {
            attempt,
            delay,
            code,
            reason,
            resend,
        } => {
            set(&obj, "type", &"reconnecting".into());
            set(&obj, "attempt", &(*attempt).into());
            set(&obj, "delayMs", &(delay.as_millis() as f64).into());
            set(&obj, "code", &(*code).into());
            set(&obj, "reason", &JsValue::from_str(reason));
            set(&obj, "resend", &(*resend as f64).into());
        }
        SocketEvent::Closed { code, reason } => {
            set(&obj, "type", &"closed".into());
            set(&obj, "code", &(*code).into());
            set(&obj, "reason", &JsValue::from_str(reason));
        }
        _ => set(&obj, "type", &"other".into()),
    }
    obj.into()
}

/// `send`'s data as a message: a string, an `ArrayBuffer` or a view.
fn message(data: &JsValue) -> Result<Message, Error> {
    if let Some(s) = data.as_string() {
        return Ok(Message::Text(s));
    }
    if let Some(buf) = data.dyn_ref::<ArrayBuffer>() {
        return Ok(Message::Binary(Uint8Array::new(buf).to_vec()));
    }
    if ArrayBuffer::is_view(data) {
        let get = |k: &str| Reflect::get(data, &JsValue::from_str(k)).unwrap_or_default();
        let buffer: ArrayBuffer = get("buffer").unchecked_into();
        let offset = get("byteOffset").as_f64().unwrap_or(0.0) as u32;
        let len = get("byteLength").as_f64().unwrap_or(0.0) as u32;
        return Ok(Message::Binary(
            Uint8Array::new_with_byte_offset_and_length(&buffer, offset, len).to_vec(),
        ));
    }
    Err(type_error(format!(
        "websocket send() takes a string, an ArrayBuffer or a typed array, not {} \
         (sendJson() sends a value as JSON)",
        describe(data)
    )))
}

/// The `protocols` option: a string or an array of strings.
fn protocols(f: &Fields, v: &JsValue) -> Result<Vec<String>, Error> {
    let bad = || f.bad("protocols", "a string or an array of strings", v);
    if let Some(s) = v.as_string() {
        return Ok(vec![s]);
    }
    if !Array::is_array(v) {
        return Err(bad());
    }
    v.unchecked_ref::<Array>()
        .iter()
        .map(|p| p.as_string().ok_or_else(bad))
        .collect()
}

/// The `finalCodes` option: an array of close codes (1000 to 4999).
fn final_codes(f: &Fields, v: &JsValue) -> Result<Vec<u16>, Error> {
    let bad = || f.bad("finalCodes", "an array of close codes (1000 to 4999)", v);
    if !Array::is_array(v) {
        return Err(bad());
    }
    v.unchecked_ref::<Array>()
        .iter()
        .map(|c| match c.as_f64() {
            Some(n) if n.fract() == 0.0 && (1000.0..=4999.0).contains(&n) => Ok(n as u16),
            _ => Err(bad()),
        })
        .collect()
}

pub(crate) fn open(client: &Session, url: &JsValue, options: &JsValue) -> Result<JsValue, Error> {
    let url = url_arg(url, "websocket url")?;
    let f = Fields::new(options, "websocket options", &[WEBSOCKET_KEYS])?;
    let mut b = client.websocket(&url);
    if let Some(v) = f.get("protocols")? {
        b = b.protocols(protocols(&f, &v)?);
    }
    if let Some(v) = f.get("reconnect")? {
        b = b.reconnect(retry(&v, &f.field("reconnect"))?);
    }
    if let Some(v) = f.get("finalCodes")? {
        b = b.final_codes(final_codes(&f, &v)?);
    }
    if let Some(every) = f.ms("heartbeatMs", false)? {
        let ping = match f.get("heartbeatMessage")? {
            None => Message::Text("ping".into()),
            Some(v) => message(&v).map_err(|_| {
                f.bad(
                    "heartbeatMessage",
                    "a string, an ArrayBuffer or a typed array",
                    &v,
                )
            })?,
        };
        b = b.heartbeat(every, ping);
    } else if f.get("heartbeatMessage")?.is_some() {
        return Err(type_error(format!(
            "{}: heartbeatMessage needs heartbeatMs",
            f.what
        )));
    }
    if let Some(d) = f.ms("idleTimeoutMs", false)? {
        b = b.idle_timeout(d);
    }
    if let Some(n) = f.int("sendBuffer", 1.0, 1e9)? {
        b = b.send_buffer(n as usize);
    }
    if let Some(cb) = f.function("onEvent")? {
        b = b.on_event(move |e| call_back(&cb, &event_object(e)));
    }
    let (sink, stream) = b.start()?.split();
    let items = stream
        .map(|r| r.map(|m| JsValue::from(JsMessage::new(m))))
        .boxed_local();
    let socket = JsWebSocket {
        sink,
        messages: JsStream {
            state: Rc::new(RefCell::new(StreamState::Ready(items))),
            closed: web_sys::AbortController::new().expect("AbortController"),
            signal: None,
        },
    };
    let value = JsValue::from(socket);
    // `[Symbol.asyncIterator]() { return this }`, as `FanoutStream` does.
    if let Ok(value_of) = Reflect::get(&Object::new(), &JsValue::from_str("valueOf")) {
        let _ = Reflect::set(&value, &js_sys::Symbol::async_iterator(), &value_of);
    }
    Ok(value)
}

#[wasm_bindgen(js_class = FanoutWebSocket)]
impl JsWebSocket {
    /// The next message, as an async iterator's `next()`.
    pub fn next(&self) -> Promise {
        self.messages.next()
    }

    /// Ends the iteration (`break` out of `for await`) and closes the
    /// socket (1000).
    #[wasm_bindgen(js_name = "return")]
    pub fn return_(&self) -> Promise {
        let _ = self.sink.close(1000, "");
        self.messages.return_()
    }

    /// Queues `data` (a string, an `ArrayBuffer` or a typed array); the
    /// promise resolves once it was handed to an open connection, and
    /// rejects with a `BufferFullError`, a `ClosedError` or a `TypeError`.
    pub fn send(&self, data: JsValue) -> Promise {
        let sent = message(&data).map(|m| self.sink.send(m));
        promise(async move {
            match sent {
                Ok(fut) => fut.await.map(|()| JsValue::UNDEFINED).map_err(js_error),
                Err(e) => Err(js_error(e)),
            }
        })
    }

    /// Sends `JSON.stringify(value)` as a text message.
    #[wasm_bindgen(js_name = sendJson)]
    pub fn send_json(&self, value: JsValue) -> Promise {
        let text = match json_stringify(&value).map(|v| v.as_string()) {
            Ok(Some(s)) => s,
            Ok(None) => {
                return promise(async move {
                    Err(js_error(type_error(format!(
                        "sendJson(): {} has no JSON form",
                        describe(&value)
                    ))))
                })
            }
            Err(e) => {
                let e = type_error(format!("sendJson(): {}", js_message(&e)));
                return promise(async move { Err(js_error(e)) });
            }
        };
        self.send(JsValue::from_str(&text))
    }

    /// Closes the socket for good with `code` (default 1000; else 3000 to
    /// 4999) and `reason`; throws a `TypeError` for a bad code or reason.
    pub fn close(&self, code: JsValue, reason: JsValue) -> Result<(), JsValue> {
        let code = if code.is_undefined() {
            1000
        } else {
            match code.as_f64() {
                Some(n) if n.fract() == 0.0 && (0.0..=65535.0).contains(&n) => n as u16,
                _ => {
                    return Err(js_error(type_error(format!(
                        "close(): the code must be 1000 or 3000 to 4999, not {}",
                        describe(&code)
                    ))))
                }
            }
        };
        let reason = if reason.is_undefined() {
            String::new()
        } else {
            match reason.as_string() {
                Some(r) => r,
                None => {
                    return Err(js_error(type_error(format!(
                        "close(): the reason must be a string, not {}",
                        describe(&reason)
                    ))))
                }
            }
        };
        self.sink.close(code, &reason).map_err(js_error)
    }

    /// `'connecting'`, `'open'`, `'reconnecting'` or `'closed'`.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        state_name(self.sink.state()).to_owned()
    }

    /// How many times it has reconnected.
    #[wasm_bindgen(getter)]
    pub fn reconnects(&self) -> u32 {
        self.sink.reconnects()
    }
}

#[wasm_bindgen(js_class = Client)]
impl JsClient {
    /// A WebSocket on the client's base URL; see the `Client` interface.
    #[wasm_bindgen(skip_typescript)]
    pub fn websocket(&self, url: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        open(&self.inner, &url, &options).map_err(js_error)
    }
}
