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
//! panel's `data-tag`), for the server's `/stats`.

use std::cell::{Cell, RefCell};
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{join, select, Either};
use futures_util::StreamExt;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

use fanout::{CacheMode, Client, Error, Event, Reconnect, Transfer};

use crate::switch::Switch;
use crate::{int_field, now_ms, text_el};

/// Largest number of events a feed asks for.
const MAX_EVENTS: u32 = 1000;
/// Largest gap between two events.
const MAX_INTERVAL_MS: u32 = 5000;
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
// Settings and runs
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct LiveSettings {
    api: String,
    count: u32,
    interval_ms: u32,
    drop_after: u32,
}

impl LiveSettings {
    /// Reads the options object (see [`start_live`]); missing fields and
    /// `NaN`s get their defaults, numbers are rounded and clamped.
    fn from_js(options: &JsValue) -> Result<LiveSettings, JsValue> {
        let get = |key: &str| -> Result<JsValue, JsValue> {
            if options.is_object() {
                js_sys::Reflect::get(options, &JsValue::from_str(key))
            } else {
                Ok(JsValue::UNDEFINED)
            }
        };
        let number = |key: &str, lo: u32, hi: u32, default: u32| -> Result<u32, JsValue> {
            Ok(int_field(get(key)?.as_f64(), lo, hi, default))
        };
        Ok(LiveSettings {
            api: get("api")?
                .as_string()
                .unwrap_or_default()
                .trim()
                .to_owned(),
            count: number("count", 1, MAX_EVENTS, 30)?,
            interval_ms: number("intervalMs", 0, MAX_INTERVAL_MS, 200)?,
            drop_after: number("dropAfter", 0, MAX_EVENTS, 8)?,
        })
    }

    /// The session of a run; the browser's HTTP cache is bypassed so that
    /// the download really moves its megabyte.
    fn client(&self) -> Result<Client, JsValue> {
        let mut builder = Client::builder().cache(CacheMode::NoStore);
        if !self.api.is_empty() {
            builder = builder.base_url(self.api.as_str());
        }
        Ok(builder.build()?)
    }

    /// The feed's URL (see the dev server's `/sse`).
    fn sse_url(&self, tag: &str) -> String {
        let mut url = format!(
            "sse?count={}&interval_ms={}&retry={RETRY_MS}&tag={tag}",
            self.count, self.interval_ms
        );
        if self.drop_after > 0 {
            url.push_str(&format!("&drop_after={}", self.drop_after));
        }
        url
    }
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
        .sse(settings.sse_url(tag))
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
        resp.on_progress(move |t| progress.download_progress(t))
            .json::<Vec<serde::de::IgnoredAny>>()
            .await
    }
    .await;
    match result {
        Ok(photos) => panel.download_done(photos.len(), (now_ms() - start) / 1000.0),
        Err(e) => panel.download_failed(&e),
    }
}

// ---------------------------------------------------------------------------
// The panel
// ---------------------------------------------------------------------------

/// Where the feed stands.
#[derive(Debug, Default)]
struct FeedState {
    /// Events received.
    events: u32,
    /// The event number expected next.
    next: u64,
    /// Event numbers skipped, and received again.
    missing: u64,
    repeated: u32,
    /// Reconnections after a dropped connection.
    drops: u32,
    /// Whether the feed has ended (complete, failed or stopped).
    ended: bool,
}

/// Where the download stands.
#[derive(Debug, Default, Clone, Copy)]
struct DownloadState {
    last: Option<Transfer>,
    ended: bool,
}

/// The elements of the Live panel, and what it shows.
struct LivePanel {
    doc: Document,
    root: Element,
    status: Element,
    events: Element,
    progress: Element,
    download: Element,
    feed: RefCell<FeedState>,
    transfer: Cell<DownloadState>,
}

impl LivePanel {
    fn find() -> Result<LivePanel, JsValue> {
        let doc = crate::document()?;
        let by_id = |id: &str| crate::element(&doc, id);
        Ok(LivePanel {
            root: by_id("live")?,
            status: by_id("live-status")?,
            events: by_id("live-events")?,
            progress: by_id("live-progress")?,
            download: by_id("live-download")?,
            doc,
            feed: RefCell::new(FeedState::default()),
            transfer: Cell::new(DownloadState::default()),
        })
    }

    fn reset(&self, tag: &str, settings: &LiveSettings) {
        *self.feed.borrow_mut() = FeedState {
            next: 1,
            ..FeedState::default()
        };
        self.transfer.set(DownloadState::default());
        let _ = self.root.set_attribute("data-tag", tag);
        self.events.set_text_content(None);
        let _ = self.events.set_attribute("aria-busy", "true");
        let cut = match settings.drop_after {
            0 => String::new(),
            n => format!(", the connection cut every {n}"),
        };
        self.set_status(
            &format!(
                "Connecting to the feed ({} events, one every {} ms{cut})…",
                settings.count, settings.interval_ms
            ),
            "status",
        );
        let _ = self.progress.set_attribute("max", "1");
        let _ = self.progress.set_attribute("value", "0");
        self.download
            .set_text_content(Some("Downloading /photos (about 1 MB)…"));
    }

    fn set_status(&self, text: &str, class: &str) {
        self.status.set_text_content(Some(text));
        let _ = self.status.set_attribute("class", class);
    }

    /// Appends an item to the feed's list and keeps the newest in view.
    fn append(&self, class: &str, text: &str) -> Option<Element> {
        let li = text_el(&self.doc, "li", text).ok()?;
        let _ = li.set_attribute("class", class);
        self.events.append_child(&li).ok()?;
        self.events.set_scroll_top(self.events.scroll_height());
        Some(li)
    }

    // -- feed ---------------------------------------------------------------

    /// The running status line: events and reconnections so far.
    fn set_feed_status(&self) {
        let line = {
            let f = self.feed.borrow();
            format!(
                "Live: {} event{}, {} reconnection{}",
                f.events,
                plural(f.events),
                f.drops,
                plural(f.drops)
            )
        };
        self.set_status(&line, "status");
    }

    /// One event: `{"n": N, "title": "..."}` from the dev server, shown as
    /// "N  title" (as text), checked against the number expected next.
    fn event(&self, event: &Event) {
        let parsed = js_sys::JSON::parse(&event.data).ok();
        let field = |name: &str| {
            parsed
                .as_ref()
                .and_then(|v| js_sys::Reflect::get(v, &JsValue::from_str(name)).ok())
        };
        let n = field("n").and_then(|v| v.as_f64()).map(|n| n as u64);
        let title = field("title").and_then(|v| v.as_string());
        let Some(li) = self.doc.create_element("li").ok() else {
            return;
        };
        let class = {
            let mut f = self.feed.borrow_mut();
            f.events += 1;
            match n {
                Some(n) if n == f.next => {
                    f.next = n + 1;
                    "event"
                }
                Some(n) if n > f.next => {
                    f.missing += n - f.next;
                    f.next = n + 1;
                    "event gap"
                }
                Some(_) => {
                    f.repeated += 1;
                    "event repeated"
                }
                None => "event",
            }
        };
        let _ = li.set_attribute("class", class);
        if let Some(n) = n {
            let _ = li.set_attribute("data-n", &n.to_string());
        }
        let _ = li.set_attribute("data-id", &event.id);
        if let Ok(num) = text_el(
            &self.doc,
            "span",
            &n.map(|n| n.to_string()).unwrap_or_default(),
        ) {
            let _ = num.set_attribute("class", "n");
            let _ = li.append_child(&num);
        }
        if let Ok(text) = text_el(&self.doc, "span", title.as_deref().unwrap_or(&event.data)) {
            let _ = text.set_attribute("class", "title");
            let _ = li.append_child(&text);
        }
        let _ = self.events.append_child(&li);
        self.events.set_scroll_top(self.events.scroll_height());
        self.set_feed_status();
    }

    /// A reconnection: where the connection ended, and what is sent next.
    fn reconnect(&self, r: &Reconnect) {
        let after = if r.last_event_id.is_empty() {
            "before the first event".to_owned()
        } else {
            format!("after event {}", r.last_event_id)
        };
        let resume = if r.last_event_id.is_empty() {
            String::new()
        } else {
            format!(" with Last-Event-ID: {}", r.last_event_id)
        };
        let delay = secs(r.delay.as_secs_f64());
        let (class, text) = match &r.cause {
            Some(_) => {
                self.feed.borrow_mut().drops += 1;
                (
                    "reconnect dropped",
                    format!("Connection lost {after}: reconnecting in {delay}{resume}"),
                )
            }
            None => (
                "reconnect closed",
                format!("The server closed the stream {after}: asking for more in {delay}{resume}"),
            ),
        };
        if let Some(li) = self.append(class, &text) {
            if let Some(cause) = &r.cause {
                let _ = li.set_attribute("title", cause);
            }
        }
        self.set_feed_status();
    }

    /// The server has no event left.
    fn feed_complete(&self, count: u32) {
        let line = {
            let mut f = self.feed.borrow_mut();
            f.ended = true;
            let check = if f.missing == 0 && f.repeated == 0 && f.events == count {
                "all in order, none missing or repeated".to_owned()
            } else {
                format!("{} missing, {} repeated", f.missing, f.repeated)
            };
            format!(
                "Feed complete: {} event{} ({check}), {} reconnection{}",
                f.events,
                plural(f.events),
                f.drops,
                plural(f.drops)
            )
        };
        self.append("end", "HTTP 204 No Content: the server has no more events.");
        let _ = self.events.remove_attribute("aria-busy");
        self.set_status(&line, "status");
    }

    fn feed_failed(&self, e: &Error) {
        self.feed.borrow_mut().ended = true;
        self.append("end failed", &format!("The feed failed: {e}"));
        let _ = self.events.remove_attribute("aria-busy");
        self.set_status(&format!("Feed failed: {e}"), "status error");
    }

    /// [`stop_live`] dropped the run.
    fn stopped(&self) {
        let feed_line = {
            let mut f = self.feed.borrow_mut();
            let running = !f.ended;
            f.ended = true;
            running.then(|| {
                format!(
                    "Stopped after {} event{} and {} reconnection{}",
                    f.events,
                    plural(f.events),
                    f.drops,
                    plural(f.drops)
                )
            })
        };
        if let Some(line) = feed_line {
            self.append(
                "end stopped",
                "Stopped: the event stream was dropped, which aborted its fetch.",
            );
            let _ = self.events.remove_attribute("aria-busy");
            self.set_status(&line, "status warn");
        }
        let mut d = self.transfer.get();
        if !d.ended {
            d.ended = true;
            self.transfer.set(d);
            let at = match d.last.and_then(|t| t.fraction()) {
                Some(f) => format!("at {}", percent(f)),
                None => "before the first byte".to_owned(),
            };
            self.download
                .set_text_content(Some(&format!("Stopped {at}: the download was aborted.")));
        }
    }

    // -- download -----------------------------------------------------------

    fn download_progress(&self, t: Transfer) {
        let mut d = self.transfer.get();
        d.last = Some(t);
        self.transfer.set(d);
        let max = t.total.unwrap_or(0).max(t.loaded).max(1);
        let _ = self.progress.set_attribute("max", &max.to_string());
        let text = match (t.total, t.fraction()) {
            (Some(total), Some(f)) => {
                let _ = self.progress.set_attribute("value", &t.loaded.to_string());
                format!("{} · {} of {}", percent(f), size(t.loaded), size(total))
            }
            _ => {
                // Unknown total: an indeterminate bar.
                let _ = self.progress.remove_attribute("value");
                format!("{} so far", size(t.loaded))
            }
        };
        self.download.set_text_content(Some(&text));
    }

    fn download_done(&self, photos: usize, secs_taken: f64) {
        let mut d = self.transfer.get();
        d.ended = true;
        self.transfer.set(d);
        let loaded = d.last.map_or(0, |t| t.loaded);
        self.download.set_text_content(Some(&format!(
            "100 % · {} · {photos} photos in {}",
            size(loaded),
            secs(secs_taken)
        )));
    }

    fn download_failed(&self, e: &Error) {
        let mut d = self.transfer.get();
        d.ended = true;
        self.transfer.set(d);
        self.download
            .set_text_content(Some(&format!("The download failed: {e}")));
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// "37 %" (rounded down, so that 100 % means all of it).
fn percent(fraction: f64) -> String {
    format!(
        "{} %",
        (fraction * 100.0).floor().max(0.0).min(100.0) as u32
    )
}

/// "512 kB", "1.03 MB" (decimal units).
fn size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.0} kB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}

/// "0.5 s", "85 ms".
fn secs(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{s:.1} s")
    }
}
