//! The JS side of errors: [`JsError`], a JS exception kept as an
//! [`Error`]'s source, and an [`Error`] converted into a JS `Error` at the
//! boundary.

use std::fmt;

use super::Error;

/// A JavaScript exception (what `fetch` or a body read rejected with), kept
/// as the [`source`](std::error::Error::source) of a fanout [`Error`]: its
/// `name` and `message` (with Node.js's `cause` appended), copied out of
/// the JS value so that [`Error`] stays `Send + Sync`.
///
/// ```
/// let e = fanout::JsError::new("TypeError", "Failed to fetch");
/// assert_eq!(e.to_string(), "TypeError: Failed to fetch");
/// assert_eq!(format!("{e:?}"), "JsError(TypeError: Failed to fetch)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct JsError {
    name: String,
    message: String,
}

impl JsError {
    /// A JS error with this `name` and `message`.
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> JsError {
        JsError {
            name: name.into(),
            message: message.into(),
        }
    }

    /// The JS error's `name`, such as `TypeError` or `AbortError`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The JS error's `message`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for JsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.name, self.message)
        }
    }
}

/// `JsError(name: message)`: written out rather than derived, which would
/// link `str`'s escaping `Debug` into every app (a `JsError` is a
/// `dyn Error` source, so its `Debug` is always in the wasm).
impl fmt::Debug for JsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JsError(")?;
        fmt::Display::fmt(self, f)?;
        f.write_str(")")
    }
}

impl std::error::Error for JsError {}

/// Converts at the JS boundary into a JS `Error` whose `name` is
/// [`Error::js_name`], with `status`, `url`, `method` and `attempts`
/// fields (and `path` for a decode error).
impl From<Error> for wasm_bindgen::JsValue {
    fn from(err: Error) -> wasm_bindgen::JsValue {
        let js = js_sys::Error::new(&err.to_string());
        js.set_name(err.js_name());
        let set = |k: &str, v: wasm_bindgen::JsValue| {
            let _ = js_sys::Reflect::set(&js, &k.into(), &v);
        };
        set(
            "status",
            err.status()
                .map(wasm_bindgen::JsValue::from)
                .unwrap_or(wasm_bindgen::JsValue::UNDEFINED),
        );
        set(
            "url",
            err.url()
                .map(wasm_bindgen::JsValue::from_str)
                .unwrap_or(wasm_bindgen::JsValue::UNDEFINED),
        );
        set(
            "method",
            err.method()
                .map(|m| wasm_bindgen::JsValue::from_str(m.as_str()))
                .unwrap_or(wasm_bindgen::JsValue::UNDEFINED),
        );
        if let Some(p) = err.decode_path() {
            set("path", wasm_bindgen::JsValue::from_str(p));
        }
        #[cfg(feature = "websocket")]
        if let Some(code) = err.close_code() {
            set("code", wasm_bindgen::JsValue::from(code));
            set(
                "reason",
                wasm_bindgen::JsValue::from_str(err.close_reason().unwrap_or("")),
            );
        }
        set("attempts", wasm_bindgen::JsValue::from(err.attempts()));
        js.into()
    }
}
