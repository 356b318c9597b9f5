//! The few browser calls the page makes besides setting text: its
//! document, its elements by id, new elements (HTML and SVG), its clock,
//! JSON bodies read by `JSON.parse`, and numbers written without core's
//! float formatting.

use fanout::{Error, Response};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

#[wasm_bindgen]
extern "C" {
    /// Milliseconds on the page's monotonic clock, the one fanout stamps
    /// [`fanout::Outcome`] and [`fanout::Response::started_ms`] with.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    pub(crate) fn now_ms() -> f64;
}

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// The page's document (the demo runs only in a page).
pub(crate) fn document() -> Result<Document, JsValue> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document: the demo runs in a page"))
}

/// The element `#id`, or an error naming it.
pub(crate) fn element(doc: &Document, id: &str) -> Result<Element, JsValue> {
    doc.get_element_by_id(id)
        .ok_or_else(|| JsValue::from_str(&format!("the page has no #{id}")))
}

/// A new `<tag>` holding `text` (as text).
pub(crate) fn text_el(doc: &Document, tag: &str, text: &str) -> Result<Element, JsValue> {
    let el = doc.create_element(tag)?;
    el.set_text_content(Some(text));
    Ok(el)
}

/// A new SVG element with these attributes.
pub(crate) fn svg_el(
    doc: &Document,
    name: &str,
    attrs: &[(&str, &str)],
) -> Result<Element, JsValue> {
    let el = doc.create_element_ns(Some(SVG_NS), name)?;
    for (k, v) in attrs {
        el.set_attribute(k, v)?;
    }
    Ok(el)
}

/// A JSON body parsed by the platform's `JSON.parse`, then `read` into
/// what the page needs: the page's three bodies (a post, the server's
/// stats, the photos) are read without serde_json, whose decoder, and the
/// float formatting its error messages link, were a fifth of the page's
/// wasm (`bench/SIZE.md`, sixth pass). A body that is not JSON, or not the
/// shape `read` expects, fails as a decode error naming the request, as
/// `Response::json` does.
pub(crate) async fn read_json<T>(
    resp: Response,
    read: impl FnOnce(&JsValue) -> Result<T, String>,
) -> Result<T, Error> {
    let (method, url) = (resp.method(), resp.url());
    let text = resp.text().await?;
    js_sys::JSON::parse(&text)
        .map_err(|e| {
            let why = e
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_default();
            format!("invalid JSON: {why}")
        })
        .and_then(|value| read(&value))
        .map_err(|message| {
            let start: String = text.chars().take(120).collect();
            Error::decode(message, start).with_request(method, &url)
        })
}

/// `value[key]` (undefined when `value` is not an object).
pub(crate) fn field(value: &JsValue, key: &str) -> JsValue {
    if value.is_object() {
        js_sys::Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// `value[key]` as a string, or why not.
pub(crate) fn string_field(value: &JsValue, key: &str) -> Result<String, String> {
    field(value, key)
        .as_string()
        .ok_or_else(|| format!("invalid JSON at {key}: expected a string"))
}

/// A JSON number that is a whole number from 0 up (what a `u64` field
/// takes), or why not; `at` names it in the message.
pub(crate) fn count(value: &JsValue, at: &str) -> Result<u64, String> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n < 18_446_744_073_709_551_616.0 => Ok(n as u64),
        _ => Err(format!(
            "invalid JSON at {at}: expected a whole number from 0 up"
        )),
    }
}

/// A number as an SVG attribute: one decimal, none for a whole number.
pub(crate) fn fmt1(v: f64) -> String {
    let s = fixed(v, 1);
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

/// `v` with `digits` decimals (`{:.2}`), rounded half away from zero, by
/// integer formatting: the page's numbers without core's float
/// formatting (its shortest and exact algorithms, about 20 KB of wasm).
pub(crate) fn fixed(v: f64, digits: u32) -> String {
    let scale = 10u64.pow(digits);
    let n = (v.abs() * scale as f64).round() as u64;
    let sign = if v < 0.0 && n > 0 { "-" } else { "" };
    if digits == 0 {
        format!("{sign}{n}")
    } else {
        let width = digits as usize;
        format!("{sign}{}.{:0width$}", n / scale, n % scale)
    }
}
