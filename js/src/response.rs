//! `FanoutResponse`: the exported class, and the objects `response.js`
//! makes for each response.

use crate::body::JsBody;
use crate::js::key_string;
use crate::states::BodyState;
use js_sys::{Array, Object, Promise, Reflect};
use std::cell::RefCell;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;

/// A `client.get(...)` promise with `json()`, `text()` and `bytes()` (ky's
/// `ResponsePromise`): each awaits the response and reads its body, so
/// `await client.get(u).json()` is the body and `await client.get(u)` still
/// the response. Works on whatever the promise resolves to that has the
/// method (a `FanoutResponse`, or a platform `Response` a hook returned).
/// `wanted`: where `json()` and `text()` leave the `Accept` they want
/// (`accept`), for a request not yet sent.
pub(crate) fn response_promise(promise: Promise, wanted: &Object) -> Promise {
    // The methods are made in JS (`src/response.js`): one call from here.
    response_promise_js(&promise, wanted);
    promise
}

/// A response whose headers have arrived (named `FanoutResponse` so that it
/// does not shadow the Fetch API's global `Response`). Read the body once
/// with `json()`, `text()` or `bytes()`.
///
/// An unread response holds its place under the client's `limit` (and its
/// connection) until its body is read, or it is freed: call `free()` (or
/// `using`) on a response whose body you will not read, rather than waiting
/// for the garbage collector. A response without a body (HEAD, 204, 304)
/// holds nothing.
///
/// A response is a JS object: once its body is read it holds nothing in
/// wasm memory.
// This class names the type and holds the prototype of every response;
// `src/response.js` makes the objects and puts the getters and methods on
// that prototype. Only the unread body (`FanoutBody`) is in wasm memory,
// taken and freed by the reader that reads it.
#[wasm_bindgen(js_name = FanoutResponse)]
pub struct JsResponseClass {
    pub(crate) _unused: u8,
}

#[wasm_bindgen(module = "/src/response.js")]
extern "C" {
    /// A `FanoutResponse` as `src/response.js` makes it.
    type ResponseObject;

    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(constructor)]
    fn new(
        raw: &JsValue,
        body: &JsValue,
        status: u16,
        attempts: u32,
        method: &JsValue,
        url: &JsValue,
        status_text: &JsValue,
        pairs: &JsValue,
    ) -> ResponseObject;

    /// Puts the getters and methods on the exported class's prototype and
    /// hands over the `FanoutBody` class.
    fn install(proto: &JsValue, body: &JsValue);

    /// An `afterResponse` hook's result: its body taken (a `FanoutBody`)
    /// if it is a `FanoutResponse` that has one, else a [`BodyState`].
    #[wasm_bindgen(js_name = takeBody)]
    fn take_body(value: &JsValue) -> JsValue;

    /// Gives a request's promise its `json()`, `text()` and `bytes()`.
    #[wasm_bindgen(js_name = responsePromise)]
    fn response_promise_js(promise: &Promise, wanted: &Object);
}

/// Takes the body out of `value` if it is a `FanoutResponse` that has one
/// (`response.js` then marks it read); else why it has none.
pub(crate) fn take_response_body(value: &JsValue) -> Result<fanout::Response, BodyState> {
    let body = take_body(value);
    if let Some(n) = body.as_f64() {
        return Err(BodyState::from_js(n as u32));
    }
    match JsBody::try_from_js_value(body) {
        Ok(b) => b.take().map(|(resp, _)| resp).ok_or(BodyState::Used),
        Err(_) => Err(BodyState::Foreign),
    }
}

thread_local! {
    /// The response classes put together: as the module starts, and
    /// before the first response is made (a test harness may not run the
    /// start function).
    pub(crate) static RESPONSE_CLASS: () = install_response_class();
}

/// Puts the response classes together.
pub(crate) fn install_response_class() {
    let proto = Object::get_prototype_of(&JsResponseClass { _unused: 0 }.into());
    let body = JsValue::from(JsBody {
        inner: RefCell::new(None),
    });
    let body_class = Reflect::get(&body, &key_string("constructor")).unwrap_or_default();
    install(&proto, &body_class);
}

/// A `FanoutResponse` for `resp`, its body unread (`rust`: to be read by
/// fanout's Rust readers, which report download progress).
pub(crate) fn js_response(resp: fanout::Response, rust: bool) -> JsValue {
    let head = ResponseHead::of(&resp);
    if resp.as_raw().is_some() && resp.has_null_body() {
        // Nothing to read: the response is dropped here, so it holds no
        // place under the client's limits.
        head.into_js(&JsValue::UNDEFINED)
    } else {
        head.into_js(&JsBody::wrap(resp, rust))
    }
}

/// What a `FanoutResponse` is made of, besides its body.
pub(crate) struct ResponseHead {
    pub(crate) raw: JsValue,
    pub(crate) status: u16,
    pub(crate) attempts: u32,
    pub(crate) method: JsValue,
    pub(crate) url: JsValue,
    pub(crate) status_text: JsValue,
    pub(crate) pairs: JsValue,
}

impl ResponseHead {
    pub(crate) fn of(resp: &fanout::Response) -> ResponseHead {
        let mut head = ResponseHead {
            raw: JsValue::UNDEFINED,
            status: resp.status(),
            attempts: resp.attempts(),
            method: key_string(resp.method().as_str()),
            url: JsValue::UNDEFINED,
            status_text: JsValue::UNDEFINED,
            pairs: JsValue::UNDEFINED,
        };
        match resp.as_raw() {
            // The JS side reads the URL (the platform's, or the body's when
            // that is empty), the status text and the headers from `raw`.
            Some(raw) => {
                head.raw = raw.into();
                if resp.has_null_body() {
                    head.url = resp.url().into();
                }
            }
            None => {
                head.url = resp.url().into();
                head.status_text = resp.status_text().into();
                let pairs = Array::new();
                for (name, value) in resp.headers().iter() {
                    pairs.push(&Array::of2(&name.into(), &value.into()));
                }
                head.pairs = pairs.into();
            }
        }
        head
    }

    /// The response, with `body`: a `FanoutBody`, `undefined` (no body) or
    /// `null` (read).
    pub(crate) fn into_js(self, body: &JsValue) -> JsValue {
        RESPONSE_CLASS.with(|_| ());
        ResponseObject::new(
            &self.raw,
            body,
            self.status,
            self.attempts,
            &self.method,
            &self.url,
            &self.status_text,
            &self.pairs,
        )
        .into()
    }
}
