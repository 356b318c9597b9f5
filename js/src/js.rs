//! Small JS helpers shared by every module: `JSON`, `reportError`, the
//! boxed `future_to_promise`, describing a value for a message, setting a
//! property by a cached key, calling a user's callback.

use js_sys::{Array, Function, Object, Promise, Reflect};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    pub(crate) fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    pub(crate) fn json_stringify(value: &JsValue) -> Result<JsValue, JsValue>;

    /// Reports an exception to the host (`window.onerror`, the console)
    /// without throwing it at the caller; missing in Node.js.
    #[wasm_bindgen(js_name = reportError, catch)]
    pub(crate) fn report_error(error: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(js_namespace = console, js_name = error)]
    pub(crate) fn console_error(error: &JsValue);
}

/// `wasm_bindgen_futures::future_to_promise`, with the future boxed first:
/// its task keeps the future it is given and the one it awaits side by
/// side, so an unboxed request future (several KB) would be stored twice
/// in every task.
pub(crate) fn promise(
    future: impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
) -> Promise {
    wasm_bindgen_futures::future_to_promise(Box::pin(future))
}

/// The message of a thrown JS value: an `Error`'s `message`, or the value
/// as a string.
pub(crate) fn js_message(value: &JsValue) -> String {
    if let Some(err) = value.dyn_ref::<js_sys::Error>() {
        return err.message().into();
    }
    value
        .as_string()
        .or_else(|| json_stringify(value).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| "unknown JavaScript error".to_owned())
}

/// A short description of a value for error messages.
pub(crate) fn describe(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if let Some(s) = value.as_string() {
        let short: String = s.chars().take(40).collect();
        format!("{short:?}")
    } else if value.as_f64().is_some() {
        number_string(value)
    } else if let Some(b) = value.as_bool() {
        format!("{b}")
    } else if Array::is_array(value) {
        "an array".into()
    } else {
        let kind = value.js_typeof().as_string().unwrap_or_default();
        match kind.as_str() {
            "object" => "an object".into(),
            "function" | "undefined" => kind.clone(),
            _ => format!("a {kind}"),
        }
    }
}

/// A JS number as JS writes it (`String(n)`), without Rust's float
/// formatting code in the wasm.
pub(crate) fn number_string(value: &JsValue) -> String {
    value
        .unchecked_ref::<js_sys::Number>()
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

pub(crate) fn set(obj: &Object, key: &'static str, value: &JsValue) {
    let _ = Reflect::set(obj, &key_string(key), value);
}

/// The JS string of a property name the binding uses, made once: a
/// string passed from wasm to JS is decoded on each crossing (a
/// `TextDecoder` call), and some names are set on every response.
pub(crate) fn key_string(key: &'static str) -> JsValue {
    thread_local! {
        static KEYS: RefCell<Vec<(&'static str, JsValue)>> = const { RefCell::new(Vec::new()) };
    }
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        // Names are literals: the same one is (almost always) the same
        // pointer, and there are a few dozen of them.
        let found = keys
            .iter()
            .find(|(k, _)| std::ptr::eq(*k, key) || *k == key)
            .map(|(_, v)| v.clone());
        found.unwrap_or_else(|| {
            let v = JsValue::from_str(key);
            keys.push((key, v.clone()));
            v
        })
    })
}

/// Calls a user's callback; an exception is reported (like an event
/// listener's), never thrown into fanout.
pub(crate) fn call_back(f: &Function, arg: &JsValue) {
    if let Err(e) = f.call1(&JsValue::UNDEFINED, arg) {
        if report_error(&e).is_err() {
            console_error(&e);
        }
    }
}
