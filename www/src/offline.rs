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

use serde::Deserialize;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

use fanout::outbox::{EntryState, Outbox};
use fanout::Client;

use crate::dom::{document, element, text_el};
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
        .json(&NewComment {
            post_id: 1,
            body: &text,
        })
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

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct NewComment<'a> {
    post_id: u32,
    body: &'a str,
}

#[derive(Deserialize)]
struct Log {
    applied: Vec<Applied>,
}

#[derive(Deserialize)]
struct Applied {
    body: String,
}

#[derive(Deserialize)]
struct Comment {
    body: String,
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
    let log: Result<Log, _> = async {
        p.client
            .get(format!("idempotency/log?tag={TAG}"))
            .send()
            .await?
            .json()
            .await
    }
    .await;
    match log {
        Ok(log) => {
            p.comments.set_text_content(None);
            for a in &log.applied {
                let text = fanout::Response::new(200, a.body.as_bytes())
                    .json::<Comment>()
                    .await
                    .map(|c| c.body)
                    .unwrap_or_else(|_| a.body.clone());
                let li = text_el(&p.doc, "li", &cut(&text))?;
                p.comments.append_child(&li)?;
            }
            p.status.set_text_content(Some(&format!(
                "{} waiting in the outbox; the server applied {} comments.",
                entries.len(),
                log.applied.len()
            )));
        }
        Err(e) => p.status.set_text_content(Some(&format!(
            "{} waiting in the outbox; the server is unreachable ({e}).",
            entries.len()
        ))),
    }
    Ok(())
}
