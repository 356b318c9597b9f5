//! The demo page's entry point (feature `demo`): fetches posts concurrently
//! and renders their titles into the page. Fetched text goes into the DOM
//! with `set_text_content` only, never as HTML.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

use crate::{posts, Client};

fn document() -> Result<Document, JsValue> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))
}

fn by_id(doc: &Document, id: &str) -> Result<Element, JsValue> {
    doc.get_element_by_id(id)
        .ok_or_else(|| JsValue::from_str(&format!("the page has no #{id}")))
}

/// Fetches posts `1..=count` from `api_base` concurrently and renders their
/// titles, in post order, into the `<ol id="titles">`; the `#status` line
/// says how long it took. A failed post stays in the list with its reason.
#[wasm_bindgen(js_name = renderTitles)]
pub async fn render_titles(api_base: String, count: u32) -> Result<(), JsValue> {
    let doc = document()?;
    let list = by_id(&doc, "titles")?;
    let status = by_id(&doc, "status")?;
    status.set_text_content(Some(&format!("Fetching {count} posts…")));
    let client = Client::builder().base_url(api_base).build()?;
    let start = crate::sys::now_ms();
    let titles = posts::fetch_titles(&client, 1..=u64::from(count)).await;
    let secs = (crate::sys::now_ms() - start) / 1000.0;
    list.set_text_content(None);
    let mut failed = 0;
    for (i, title) in titles.iter().enumerate() {
        let li = doc.create_element("li")?;
        match title {
            Ok(t) => li.set_text_content(Some(t)),
            Err(e) => {
                failed += 1;
                li.set_class_name("failed");
                li.set_text_content(Some(&format!("post {}: {}", i + 1, e.message())));
            }
        }
        list.append_child(&li)?;
    }
    let ok = titles.len() - failed;
    let mut line = format!("Fetched {ok} titles in {secs:.2} s");
    if failed > 0 {
        line.push_str(&format!(" ({failed} failed)"));
    }
    status.set_text_content(Some(&line));
    Ok(())
}
