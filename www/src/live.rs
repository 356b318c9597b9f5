//! The "Live" panel of `index.html`: a Server-Sent Events feed from the dev
//! server's `/sse` (fanout's [`Client::sse`]), with each reconnection shown
//! where it happened, and a download of the 1 MB `/photos` with a progress
//! bar ([`fanout::Response::on_progress`]), both at once.
//!
//! The dev server is asked to cut the connection every few events
//! (`drop_after`); fanout then reconnects with `Last-Event-ID`, so the feed
//! must go on with the next event, none missing and none repeated: the
//! panel checks each event's number against the one expected and says so.
//! [`stop_live`] drops the event stream and the download, which aborts
//! their fetches. Every request of a run carries `?tag=live-…` (also in the
//! panel's `data-tag`), for the server's `/stats`. What the panel shows is
//! [`crate::live_panel`]'s.

use std::cell::{Cell, RefCell};
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{join, select, Either};
use futures_util::StreamExt;
use wasm_bindgen::prelude::*;

use fanout::{Client, Reconnect};

use crate::dom::now_ms;
use crate::live_panel::LivePanel;
use crate::settings::LiveSettings;
use crate::switch::Switch;

/// The reconnection delay the server announces (its `retry:` field).
const RETRY_MS: u32 = 500;
/// The cap of the reconnection delay, backoff included.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// Starts the Live panel: the event feed and the download, at once.
/// Resolves when both have ended (or [`stop_live`] stopped them).
///
/// `options` is a plain object; every field is optional:
///
/// * `api` (string): the dev server's base URL; empty means the page's own
///   origin;
/// * `count` (1–1000, default 30): how many events the feed has;
/// * `intervalMs` (0–5000, default 200): the time between two events;
/// * `dropAfter` (0–1000, default 8): the server cuts the connection after
///   this many events (of each connection), to force a reconnection; 0
///   for never.
///
/// A new call stops the run in progress first. Rejects, without touching
/// the page, if the options or the API URL are invalid or the page lacks
/// one of the elements it renders into.
#[wasm_bindgen(js_name = startLive)]
pub async fn start_live(options: JsValue) -> Result<(), JsValue> {
    let settings = LiveSettings::from_js(&options)?;
    let panel = Rc::new(LivePanel::find()?);
    let client = settings.client()?;
    let (generation, stop) = claim();
    let tag = format!(
        "live-{}-{}",
        js_sys::Date::now() as u64,
        (js_sys::Math::random() * 1e9) as u64
    );
    panel.reset(&tag, &settings);

    let stopped = {
        let work = pin!(join(
            feed(&client, &settings, &tag, &panel),
            download(&client, &tag, &panel)
        ));
        // The switch first: once it is flipped, the work is not polled again.
        matches!(select(stop.wait(), work).await, Either::Left(_))
        // The work is dropped here: on Stop, that aborts its fetches.
    };
    let current = release(generation);
    if stopped && current {
        panel.stopped();
    }
    Ok(())
}

/// Stops the Live panel's run, if any: the event stream and the download
/// are dropped, which aborts their fetches, and the panel says where they
/// stood. Does nothing when nothing runs.
#[wasm_bindgen(js_name = stopLive)]
pub fn stop_live() {
    let active = LIVE.with(|live| live.borrow().clone());
    if let Some((_, stop)) = active {
        stop.flip();
    }
}

// ---------------------------------------------------------------------------
// Runs: at most one owns the panel at a time
// ---------------------------------------------------------------------------

/// The feed's URL (see the dev server's `/sse`).
fn sse_url(settings: &LiveSettings, tag: &str) -> String {
    let mut url = format!(
        "sse?count={}&interval_ms={}&retry={RETRY_MS}&tag={tag}",
        settings.count, settings.interval_ms
    );
    if settings.drop_after > 0 {
        url.push_str(&format!("&drop_after={}", settings.drop_after));
    }
    url
}

thread_local! {
    /// The run that owns the panel: its generation and its stop switch.
    static LIVE: RefCell<Option<(u64, Switch)>> = const { RefCell::new(None) };
    static LIVE_GENERATION: Cell<u64> = const { Cell::new(0) };
}

/// Takes the panel for a new run, stopping the previous one (which then
/// leaves the panel alone).
fn claim() -> (u64, Switch) {
    let generation = LIVE_GENERATION.with(|g| {
        g.set(g.get() + 1);
        g.get()
    });
    let stop = Switch::default();
    let previous = LIVE.with(|l| l.borrow_mut().replace((generation, stop.clone())));
    if let Some((_, old)) = previous {
        old.flip();
    }
    (generation, stop)
}

/// Ends run `generation`; returns whether it still owned the panel.
fn release(generation: u64) -> bool {
    LIVE.with(|l| {
        let mut l = l.borrow_mut();
        let current = matches!(l.as_ref(), Some((g, _)) if *g == generation);
        if current {
            *l = None;
        }
        current
    })
}

// ---------------------------------------------------------------------------
// The feed and the download
// ---------------------------------------------------------------------------

/// Reads the event stream to its end: the server's `204 No Content` when
/// a reconnection finds no event left.
async fn feed(client: &Client, settings: &LiveSettings, tag: &str, panel: &Rc<LivePanel>) {
    let on_reconnect = {
        let panel = Rc::clone(panel);
        move |r: &Reconnect| panel.reconnect(r)
    };
    let opened = client
        .sse(sse_url(settings, tag))
        .max_retry_delay(MAX_RETRY_DELAY)
        .on_reconnect(on_reconnect)
        .send()
        .await;
    let mut events = match opened {
        Ok(events) => events,
        Err(e) => return panel.feed_failed(&e),
    };
    panel.set_feed_status();
    while let Some(item) = events.next().await {
        match item {
            Ok(event) => panel.event(&event),
            Err(e) if e.status() == Some(204) => return panel.feed_complete(settings.count),
            Err(e) => return panel.feed_failed(&e),
        }
    }
    panel.feed_complete(settings.count);
}

/// Downloads `/photos` (about 1 MB of JSON), moving the progress bar.
async fn download(client: &Client, tag: &str, panel: &Rc<LivePanel>) {
    let start = now_ms();
    let result = async {
        let resp = client
            .get(format!("photos?tag={tag}"))
            .error_for_status(true)
            .send()
            .await?;
        let progress = Rc::clone(panel);
        let resp = resp.on_progress(move |t| progress.download_progress(t));
        crate::dom::read_json(resp, |value| {
            if js_sys::Array::is_array(value) {
                Ok(js_sys::Array::from(value).length() as usize)
            } else {
                Err("invalid JSON: expected an array of photos".to_owned())
            }
        })
        .await
    }
    .await;
    match result {
        Ok(photos) => panel.download_done(photos, (now_ms() - start) / 1000.0),
        Err(e) => panel.download_failed(&e),
    }
}
