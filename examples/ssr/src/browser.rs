//! The browser's side: hydration from the page's snapshot.

use std::cell::RefCell;

use fanout::snapshot::Snapshot;
use fanout::Client;
use wasm_bindgen::prelude::*;

use crate::{line, load, SNAPSHOT_ID};

thread_local! {
    /// The page's client, built by `hydrate`.
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
}

fn document() -> Result<web_sys::Document, JsValue> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))
}

/// Hydrates the page: runs [`load`] with a client built from the page's
/// snapshot, checks that every item matches what the server rendered,
/// and returns `{ items, matched, fromSnapshot, remaining }`.
#[wasm_bindgen]
pub async fn hydrate(api: String, tag: String) -> Result<JsValue, JsValue> {
    let snapshot = Snapshot::from_page(SNAPSHOT_ID)
        .map_err(|e| JsValue::from_str(&e.to_string()))?
        .unwrap_or_default();
    let recorded = snapshot.len();
    let client = Client::builder()
        .base_url(api)
        .snapshot(snapshot)
        .build()
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    let page = load(&client, &tag).await;
    let doc = document()?;
    let mut matched = 0;
    let items: Vec<_> = page.titles.iter().chain(&page.created).collect();
    for (i, item) in items.iter().enumerate() {
        let el = doc
            .get_element_by_id(&format!("item-{i}"))
            .ok_or_else(|| JsValue::from_str("a rendered item is missing"))?;
        let text = line(item);
        if el.text_content().as_deref() == Some(text.as_str()) {
            matched += 1;
        }
        el.set_attribute("data-hydrated", "yes")?;
    }
    let remaining = client.snapshot_remaining();
    if let Some(status) = doc.get_element_by_id("status") {
        status.set_text_content(Some(&format!(
            "hydrated: {matched} of {} items match, {} answered from the page",
            items.len(),
            recorded - remaining
        )));
    }
    CLIENT.with(|c| *c.borrow_mut() = Some(client));
    let report = js_sys::Object::new();
    let set = |k: &str, v: JsValue| js_sys::Reflect::set(&report, &k.into(), &v);
    set("items", (items.len() as u32).into())?;
    set("matched", (matched as u32).into())?;
    set("fromSnapshot", ((recorded - remaining) as u32).into())?;
    set("remaining", (remaining as u32).into())?;
    set(
        "created",
        page.created
            .iter()
            .map(|r| JsValue::from_str(&line(r)))
            .collect::<js_sys::Array>()
            .into(),
    )?;
    Ok(report.into())
}

/// A request after hydration, through the same client: the snapshot is
/// used up, so it goes to the network. Returns the post's title.
#[wasm_bindgen]
pub async fn one_more(tag: String) -> Result<String, JsValue> {
    let client = CLIENT
        .with(|c| c.borrow().clone())
        .ok_or_else(|| JsValue::from_str("hydrate first"))?;
    let resp = client
        .get(format!("posts/1?tag={tag}"))
        .send()
        .await
        .map_err(JsValue::from)?;
    let v: serde_json::Value = resp.json().await.map_err(JsValue::from)?;
    Ok(v["title"].as_str().unwrap_or_default().to_owned())
}
