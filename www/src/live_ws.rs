//! The Live panel's WebSocket part: one socket to the dev server's
//! `/ws/echo`, which ticks a numbered message every half second and
//! echoes what the send box sends. "Drop now" asks the server to drop the
//! connection (`!drop`); fanout reconnects, the counter goes on, and what
//! the send box sends meanwhile waits and comes back after the
//! reconnection. Its socket is held here (the page has one).

use std::cell::RefCell;
use std::time::Duration;

use futures_util::StreamExt;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

use fanout::{Client, Retry, SocketEvent, SocketSink};

use crate::dom::{document, element, text_el};

thread_local! {
    /// The sending half of the page's socket.
    static SINK: RefCell<Option<SocketSink>> = const { RefCell::new(None) };
}

/// How many echoes the list keeps.
const MAX_ECHOES: u32 = 20;

/// Opens the page's socket (a second call replaces the first) and renders
/// it until it closes for good. `api`: the dev server's base URL, empty
/// for the page's origin.
#[wasm_bindgen(js_name = startLiveSocket)]
pub async fn start_live_socket(api: String) -> Result<(), JsValue> {
    let doc = document()?;
    let status = element(&doc, "ws-status")?;
    let count = element(&doc, "ws-count")?;
    let reconnects = element(&doc, "ws-reconnects")?;
    let echoes = element(&doc, "ws-echoes")?;
    let builder = Client::builder();
    let client = if api.is_empty() {
        builder.build()?
    } else {
        builder.base_url(api).build()?
    };
    let tag = format!("live-ws-{}", (js_sys::Math::random() * 1e9) as u64);
    let (st, rc) = (status.clone(), reconnects.clone());
    let socket = client
        .websocket(format!("ws/echo?tick_ms=500&tag={tag}"))
        .reconnect(
            Retry::new()
                .limit(1000)
                .backoff(Duration::from_millis(200), Duration::from_secs(3)),
        )
        .on_event(move |e| show_event(&st, &rc, e))
        .start()?;
    status.set_attribute("data-tag", &tag)?;
    status.set_text_content(Some("Connecting…"));
    let (sink, mut stream) = socket.split();
    SINK.with(|s| *s.borrow_mut() = Some(sink));
    let mut ticks = 0u64;
    while let Some(item) = stream.next().await {
        let message = match item {
            Ok(m) => m,
            Err(e) => {
                status.set_text_content(Some(&format!("Closed: {e}")));
                break;
            }
        };
        // A tick is `{"n":N}`; an echo `{"echo":"..."}` (read with
        // `JSON.parse`: no serde code for two shapes).
        let Ok(text) = message.text() else { continue };
        if text.starts_with("{\"n\":") {
            ticks += 1;
            count.set_text_content(Some(&ticks.to_string()));
        } else if text.starts_with("{\"echo\":") {
            show_echo(&doc, &echoes, text)?;
        }
    }
    Ok(())
}

/// The socket's state and reconnects, as its events say.
fn show_event(status: &Element, reconnects: &Element, e: &SocketEvent) {
    match e {
        SocketEvent::Open { reconnects: n } => {
            status.set_text_content(Some("Open"));
            reconnects.set_text_content(Some(&n.to_string()));
        }
        SocketEvent::Reconnecting { attempt, code, .. } => {
            status.set_text_content(Some(&format!(
                "Reconnecting… (closed with {code}, attempt {attempt})"
            )));
        }
        SocketEvent::Closed { code, .. } => {
            status.set_text_content(Some(&format!("Closed ({code})")));
        }
        _ => {}
    }
}

/// An echo `{"echo":"..."}` added to the list (as text), which keeps the
/// last [`MAX_ECHOES`].
fn show_echo(doc: &Document, echoes: &Element, text: &str) -> Result<(), JsValue> {
    let echo = js_sys::JSON::parse(text)
        .ok()
        .and_then(|v| js_sys::Reflect::get(&v, &JsValue::from_str("echo")).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let shown: String = echo.chars().take(300).collect();
    echoes.append_child(&text_el(doc, "li", &shown)?.into())?;
    while echoes.child_element_count() > MAX_ECHOES {
        if let Some(first) = echoes.first_element_child() {
            first.remove();
        }
    }
    Ok(())
}

/// Sends `text` through the page's socket (queued during a drop); the
/// echo shows it.
#[wasm_bindgen(js_name = liveSocketSend)]
pub fn live_socket_send(text: String) -> Result<(), JsValue> {
    let quoted = js_sys::JSON::stringify(&JsValue::from_str(&text))?;
    send(format!("{{\"echo\":{}}}", String::from(quoted)))
}

/// Asks the server to drop the connection now.
#[wasm_bindgen(js_name = liveSocketDrop)]
pub fn live_socket_drop() -> Result<(), JsValue> {
    send("!drop".to_owned())
}

fn send(text: String) -> Result<(), JsValue> {
    SINK.with(|s| match &*s.borrow() {
        // Queued at the call (the future only tells when it was handed
        // to the connection); a full queue or a closed socket fails now.
        Some(sink) => match futures_util::FutureExt::now_or_never(sink.send(text)) {
            Some(Err(e)) => Err(e.into()),
            _ => Ok(()),
        },
        None => Err(JsValue::from_str("the socket is not open yet")),
    })
}
