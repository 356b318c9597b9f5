//! The "Offline writes" panel of `index.html`: comments posted through
//! fanout's durable outbox ([`fanout::outbox`], IndexedDB), an "offline"
//! switch that makes the dev server refuse this panel's requests
//! (`/faults/offline`), the queue with each entry's state (it survives a
//! reload: the outbox opens with what the last page left), and the
//! comments the server applied (its `/idempotency/log`), each once.
//!
//! Entry points: [`start_offline`] (open the outbox and draw),
//! [`post_comment`] and [`set_offline`]. Text reaches the DOM as text only.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

use fanout::outbox::{EntryState, Outbox};
use fanout::Client;

use crate::dom::{document, element, field, read_json, string_field, text_el};
use crate::settings::offline_client;

/// The dev server's tag (and fault scope) of this panel's requests.
const TAG: &str = "demo-offline";
/// The outbox's name (its IndexedDB database is `fanout-outbox:NAME`).
const OUTBOX: &str = "demo-comments";
/// The longest comment shown, in characters.
const MAX_SHOWN: usize = 300;

struct Panel {
    client: Client,
    outbox: Outbox,
    doc: Document,
    queue: Element,
    comments: Element,
    status: Element,
}

thread_local! {
    static PANEL: RefCell<Option<Rc<Panel>>> = const { RefCell::new(None) };
}

fn panel() -> Result<Rc<Panel>, JsValue> {
    PANEL
        .with(|p| p.borrow().clone())
        .ok_or_else(|| JsValue::from_str("the offline panel is not started"))
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&e.to_string())
}

/// Opens the outbox (IndexedDB: the queue a previous page left is there)
/// and draws the panel. `options`: `{ api }`, as for the other panels.
/// Resolves to whether the server refuses this panel now (for the switch).
#[wasm_bindgen(js_name = startOffline)]
pub async fn start_offline(options: JsValue) -> Result<bool, JsValue> {
    let client = offline_client(&options)?;
    let doc = document()?;
    let outbox = client
        .outbox(OUTBOX)
        .backoff(
            Duration::from_millis(500),
            Duration::from_secs(4),
            Duration::from_secs(4),
        )
        .open()
        .await
        .map_err(js_err)?;
    // Each event redraws the panel (after the event, not inside it).
    outbox.on_event(|_| wasm_bindgen_futures::spawn_local(redraw()));
    let p = Rc::new(Panel {
        client,
        outbox,
        queue: element(&doc, "offline-queue")?,
        comments: element(&doc, "offline-comments")?,
        status: element(&doc, "offline-status")?,
        doc,
    });
    // `{"offline":{"demo-offline":{...}}}` while this panel is refused.
    let state = async { p.client.get("faults/offline").send().await?.text().await }.await;
    let offline = state.is_ok_and(|s| s.contains(&format!("\"{TAG}\"")));
    PANEL.with(|slot| *slot.borrow_mut() = Some(p));
    draw().await?;
    Ok(offline)
}

/// Stores a comment in the outbox; it goes out when the server takes it.
#[wasm_bindgen(js_name = postComment)]
pub async fn post_comment(text: String) -> Result<(), JsValue> {
    let p = panel()?;
    let req = p
        .client
        .post(format!("comments?tag={TAG}"))
        .header("content-type", "application/json")
        .text(new_comment(&text)?)
        .build()
        .map_err(js_err)?;
    let sending = p.outbox.send(req).await.map_err(js_err)?;
    p.status
        .set_text_content(Some(&format!("Comment #{} stored; sending…", sending.id())));
    draw().await
}

/// Turns the dev server's refusal of this panel's requests on (503s for
/// an hour) or off (then delivers at once).
#[wasm_bindgen(js_name = setOffline)]
pub async fn set_offline(on: bool) -> Result<(), JsValue> {
    let p = panel()?;
    let seconds = if on { 3600 } else { 0 };
    p.client
        .get(format!(
            "faults/offline?scope={TAG}&mode=503&seconds={seconds}"
        ))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(js_err)?;
    if !on {
        p.outbox.flush().await;
    }
    draw().await
}

async fn redraw() {
    if let Err(e) = draw().await {
        if let Ok(p) = panel() {
            let msg = e.as_string().unwrap_or_else(|| "could not draw".into());
            p.status.set_text_content(Some(&msg));
        }
    }
}

/// The JSON of a new comment, `{"postId":1,"body":TEXT}`, by the
/// platform's `JSON.stringify` (the page links no serde_json of its own).
fn new_comment(text: &str) -> Result<String, JsValue> {
    let comment = js_sys::Object::new();
    js_sys::Reflect::set(&comment, &"postId".into(), &1.into())?;
    js_sys::Reflect::set(&comment, &"body".into(), &text.into())?;
    js_sys::JSON::stringify(&comment)?
        .as_string()
        .ok_or_else(|| JsValue::from_str("JSON.stringify gave no string"))
}

/// The bodies of the server's `/idempotency/log` (`{"applied":[{"body":
/// "..."}, ...]}`): each applied request's body, as the server got it.
fn applied_bodies(log: &JsValue) -> Result<Vec<String>, String> {
    let applied = field(log, "applied");
    if !js_sys::Array::is_array(&applied) {
        return Err("invalid JSON at applied: expected an array".into());
    }
    js_sys::Array::from(&applied)
        .iter()
        .map(|a| string_field(&a, "body"))
        .collect()
}

/// A comment's text: the `body` field of the JSON the client sent, or the
/// whole body when it is not such JSON.
fn comment_text(body: &str) -> String {
    js_sys::JSON::parse(body)
        .ok()
        .and_then(|c| field(&c, "body").as_string())
        .unwrap_or_else(|| body.to_owned())
}

fn cut(text: &str) -> String {
    let mut s: String = text.chars().take(MAX_SHOWN).collect();
    if text.chars().count() > MAX_SHOWN {
        s.push('…');
    }
    s
}

/// Draws the queue (from the outbox) and the comments (from the server).
async fn draw() -> Result<(), JsValue> {
    let p = panel()?;
    let entries = p.outbox.entries().await.map_err(js_err)?;
    p.queue.set_text_content(None);
    for e in &entries {
        let state = match &e.state {
            EntryState::Pending if e.attempts == 0 => "queued".to_owned(),
            EntryState::Pending => format!("waiting to retry ({} attempts)", e.attempts),
            EntryState::Failed { reason, .. } => format!("failed: {reason}"),
            _ => "?".to_owned(),
        };
        let li = text_el(&p.doc, "li", &format!("#{} {} · {state}", e.id, e.method))?;
        li.set_attribute(
            "data-state",
            if matches!(e.state, EntryState::Pending) {
                "pending"
            } else {
                "failed"
            },
        )?;
        p.queue.append_child(&li)?;
    }
    if entries.is_empty() {
        let li = text_el(&p.doc, "li", "Nothing waiting.")?;
        p.queue.append_child(&li)?;
    }
    let log = async {
        let resp = p
            .client
            .get(format!("idempotency/log?tag={TAG}"))
            .send()
            .await?;
        read_json(resp, applied_bodies).await
    }
    .await;
    match log {
        Ok(log) => {
            p.comments.set_text_content(None);
            for body in &log {
                let li = text_el(&p.doc, "li", &cut(&comment_text(body)))?;
                p.comments.append_child(&li)?;
            }
            p.status.set_text_content(Some(&format!(
                "{} waiting in the outbox; the server applied {} comments.",
                entries.len(),
                log.len()
            )));
        }
        Err(e) => p.status.set_text_content(Some(&format!(
            "{} waiting in the outbox; the server is unreachable ({e}).",
            entries.len()
        ))),
    }
    Ok(())
}
