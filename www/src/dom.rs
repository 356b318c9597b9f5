//! The few browser calls the page makes besides setting text: its
//! document, its elements by id, new elements (HTML and SVG) and its clock.

use wasm_bindgen::prelude::*;
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

/// A number as an SVG attribute: one decimal, none for a whole number.
pub(crate) fn fmt1(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}
