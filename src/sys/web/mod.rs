//! The platform on wasm. Every raw JavaScript call fanout makes lives here: `fetch`, timers, the
//! clock, `AbortController` and stream readers. The rest of the crate speaks
//! Rust types.
//!
//! All bindings are to *globals* (`globalThis.fetch`, `setTimeout`,
//! `performance.now`), so they work the same in a Window, a Web Worker and
//! Node.js; nothing here assumes `window()`.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::RequestInit;

use crate::error::JsError;
use crate::options::{CacheMode, Credentials, Redirect};

mod abort;
#[cfg(feature = "outbox")]
mod outbox;
mod promise;
mod timer;

pub use abort::{until_aborted, UntilAborted};
pub(crate) use abort::{AbortGuard, AbortReason};
#[cfg(feature = "outbox")]
pub(crate) use outbox::{indexed_db, outbox_lock, random_bytes, spawn, OnlineListener};
pub(crate) use promise::settled;
pub(crate) use timer::{sleep, Sleep, Timer};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(input: &str, init: &RequestInit) -> Result<Promise, JsValue>;

    /// The platform's `URL`: only its constructor and `href`.
    #[wasm_bindgen(js_name = URL)]
    type PlatformUrl;
    #[wasm_bindgen(constructor, js_class = URL, catch)]
    fn new_url(input: &str, base: Option<&str>) -> Result<PlatformUrl, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn href(this: &PlatformUrl) -> String;

    /// `setTimeout` returns a number in browsers and a `Timeout` object in
    /// Node.js, so the handle stays an opaque `JsValue`.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);

    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;

    /// A settle callback of [`settled`], for `Function.prototype.bind`
    /// with one argument: the callback bound to a promise's slot.
    type SettleFn;
    #[wasm_bindgen(method, js_name = bind)]
    fn bind_slot(this: &SettleFn, this_arg: &JsValue, slot: f64) -> JsValue;

    /// A promise, for `then(ok, err)` with its derived promise left in JS.
    type Thenable;
    #[wasm_bindgen(method, js_name = then)]
    fn then_slot(this: &Thenable, ok: &JsValue, err: &JsValue);

    /// What a `ReadableStreamDefaultReader`'s `read()` resolves to; its
    /// getters cross into JS without a property-name string.
    type ReadResult;
    #[wasm_bindgen(method, getter)]
    fn done(this: &ReadResult) -> bool;
    #[wasm_bindgen(method, getter)]
    fn value(this: &ReadResult) -> JsValue;

    /// A `Headers`, for `get` with the name as a JS string made once
    /// (a valid name: `get` throws for invalid ones only, so no `catch`).
    type RawHeaders;
    #[wasm_bindgen(method, js_name = get)]
    fn get_by(this: &RawHeaders, name: &JsValue) -> Option<String>;

    /// `None` where the global is missing (Node.js): the `Option` makes the
    /// binding test `typeof location` instead of throwing a ReferenceError.
    #[wasm_bindgen(thread_local_v2, js_name = location)]
    static LOCATION: Option<js_sys::Object>;

    /// `None` where the constructor is missing (Node.js, service workers).
    #[cfg(feature = "upload")]
    #[wasm_bindgen(thread_local_v2, js_name = XMLHttpRequest)]
    static XHR_CTOR: Option<js_sys::Object>;

    /// `None` where the constructor is missing (Node.js before 22).
    #[cfg(feature = "websocket")]
    #[wasm_bindgen(thread_local_v2, js_name = WebSocket)]
    static WEBSOCKET_CTOR: Option<js_sys::Object>;

    /// The `Request` constructor, to ask its prototype whether `fetch`
    /// takes a streamed body.
    #[cfg(feature = "upload")]
    #[wasm_bindgen(thread_local_v2, js_name = Request)]
    static REQUEST_CTOR: Option<js_sys::Object>;
}

/// `new URL(input, base).href`: the platform's WHATWG URL parser, so
/// that fanout joins and reads URLs exactly as `fetch` will (and carries
/// no parser of its own). `None` where it throws.
pub(crate) fn parse_url(input: &str, base: Option<&str>) -> Option<String> {
    PlatformUrl::new_url(input, base).ok().map(|u| u.href())
}

/// A new `XMLHttpRequest`, or `None` where the platform has none (Node.js,
/// native builds).
#[cfg(feature = "upload")]
pub(crate) fn xhr() -> Option<Result<web_sys::XmlHttpRequest, JsValue>> {
    if XHR_CTOR.with(|c| c.is_none()) {
        return None;
    }
    Some(web_sys::XmlHttpRequest::new())
}

/// Whether the platform has a global `WebSocket`.
#[cfg(feature = "websocket")]
pub(crate) fn has_websocket() -> bool {
    WEBSOCKET_CTOR.with(|c| c.is_some())
}

/// Whether `fetch` takes a `ReadableStream` body (`duplex: "half"`):
/// `Request.prototype` has `duplex` (Node.js 18+, Chromium 105+); Firefox
/// and Safari would send the stream's string form instead.
#[cfg(feature = "upload")]
pub(crate) fn request_streams() -> bool {
    REQUEST_CTOR.with(|c| {
        let Some(ctor) = c else { return false };
        js_sys::Reflect::get(ctor, &JsValue::from_str("prototype"))
            .ok()
            .filter(|p| p.is_object())
            .and_then(|p| {
                js_sys::Reflect::has(p.unchecked_ref(), &JsValue::from_str("duplex")).ok()
            })
            .unwrap_or(false)
    })
}

/// Starts a fetch with the global `fetch`.
pub(crate) fn fetch(url: &str, init: &RequestInit) -> Result<Promise, JsValue> {
    global_fetch(url, init)
}

/// Milliseconds on the page's monotonic clock (`performance.now()`).
pub(crate) fn now_ms() -> f64 {
    performance_now()
}

/// Milliseconds since the Unix epoch (`Date.now()`), for `Retry-After` dates.
#[cfg(feature = "retry")]
pub(crate) fn epoch_ms() -> f64 {
    js_sys::Date::now()
}

/// A number in `[0, 1)` for retry jitter.
#[cfg(any(feature = "retry", feature = "websocket"))]
pub(crate) fn random() -> f64 {
    js_sys::Math::random()
}

/// `location.href` where the global exists (Window, Worker), else `None`
/// (Node.js).
pub(crate) fn location_href() -> Option<String> {
    LOCATION.with(|loc| {
        let loc = loc.as_ref()?;
        js_sys::Reflect::get(loc, &JsValue::from_str("href"))
            .ok()
            .and_then(|v| v.as_string())
    })
}

/// The `message` of a thrown JS value, or its string form.
pub(crate) fn js_message(value: &JsValue) -> String {
    js_error(value).message().to_owned()
}

/// A thrown JS value as a [`JsError`]: its `name` and `message` (Node's
/// fetch hides the real reason in `cause`, appended after a colon), or the
/// string form of a value that is not an `Error`.
pub(crate) fn js_error(value: &JsValue) -> JsError {
    if let Some(err) = value.dyn_ref::<js_sys::Error>() {
        let mut msg: String = err.message().into();
        if let Ok(cause) = js_sys::Reflect::get(err, &JsValue::from_str("cause")) {
            if let Some(c) = cause.dyn_ref::<js_sys::Error>() {
                msg.push_str(": ");
                msg.push_str(&String::from(c.message()));
            }
        }
        return JsError::new(String::from(err.name()), msg);
    }
    let msg = value
        .as_string()
        .or_else(|| {
            js_sys::JSON::stringify(value)
                .ok()
                .and_then(|s| s.as_string())
        })
        .unwrap_or_else(|| "unknown JavaScript error".to_owned());
    JsError::new("", msg)
}

/// Reads one chunk from a `ReadableStreamDefaultReader`: `Ok(None)` at the end.
pub(crate) async fn read_chunk(
    reader: &web_sys::ReadableStreamDefaultReader,
) -> Result<Option<js_sys::Uint8Array>, JsValue> {
    let result: ReadResult = settled(&reader.read()).await?.unchecked_into();
    if result.done() {
        return Ok(None);
    }
    Ok(Some(result.value().unchecked_into()))
}

/// A fetch response's `Content-Length`, if it has a valid one: three
/// calls into JS (the headers, `get`, the string back), not the four of
/// `Response::headers().get(...)` with its name passed each time.
pub(crate) fn content_length(raw: &web_sys::Response) -> Option<u64> {
    thread_local! {
        static NAME: JsValue = JsValue::from_str("content-length");
    }
    let headers: RawHeaders = raw.headers().unchecked_into();
    let value = NAME.with(|name| headers.get_by(name))?;
    value.trim().parse().ok()
}

/// The Fetch API's value for a [`Credentials`] mode.
pub(crate) fn credentials(c: Credentials) -> web_sys::RequestCredentials {
    match c {
        Credentials::Omit => web_sys::RequestCredentials::Omit,
        Credentials::SameOrigin => web_sys::RequestCredentials::SameOrigin,
        Credentials::Include => web_sys::RequestCredentials::Include,
    }
}

/// The Fetch API's value for a [`CacheMode`].
pub(crate) fn cache_mode(c: CacheMode) -> web_sys::RequestCache {
    match c {
        CacheMode::Default => web_sys::RequestCache::Default,
        CacheMode::NoStore => web_sys::RequestCache::NoStore,
        CacheMode::Reload => web_sys::RequestCache::Reload,
        CacheMode::NoCache => web_sys::RequestCache::NoCache,
        CacheMode::ForceCache => web_sys::RequestCache::ForceCache,
        CacheMode::OnlyIfCached => web_sys::RequestCache::OnlyIfCached,
    }
}

/// The Fetch API's value for a [`Redirect`] mode.
pub(crate) fn redirect(r: Redirect) -> web_sys::RequestRedirect {
    match r {
        Redirect::Follow => web_sys::RequestRedirect::Follow,
        Redirect::Error => web_sys::RequestRedirect::Error,
        Redirect::Manual => web_sys::RequestRedirect::Manual,
    }
}

/// The text of the page's element with this `id`: `None` without a
/// document (a worker, Node.js) or such an element.
#[cfg(feature = "snapshot")]
pub(crate) fn element_text(id: &str) -> Option<String> {
    let global = js_sys::global();
    let document = js_sys::Reflect::get(&global, &JsValue::from_str("document")).ok()?;
    if !document.is_object() {
        return None;
    }
    let find: Function = js_sys::Reflect::get(&document, &JsValue::from_str("getElementById"))
        .ok()?
        .dyn_into()
        .ok()?;
    let element = find.call1(&document, &JsValue::from_str(id)).ok()?;
    if !element.is_object() {
        return None;
    }
    js_sys::Reflect::get(&element, &JsValue::from_str("textContent"))
        .ok()?
        .as_string()
}
