//! The Live panel's elements and what it shows (see [`crate::live`]): the
//! event feed as a list, each reconnection where it happened, the feed's
//! check (none missing, none repeated) and the download's progress bar.

use std::cell::{Cell, RefCell};

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

use fanout::{Error, Event, Reconnect, Transfer};

use crate::dom::{document, element, fixed, text_el};
use crate::settings::LiveSettings;

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
pub(crate) struct LivePanel {
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
    pub(crate) fn find() -> Result<LivePanel, JsValue> {
        let doc = document()?;
        let by_id = |id: &str| element(&doc, id);
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

    pub(crate) fn reset(&self, tag: &str, settings: &LiveSettings) {
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
    pub(crate) fn set_feed_status(&self) {
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
    pub(crate) fn event(&self, event: &Event) {
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
    pub(crate) fn reconnect(&self, r: &Reconnect) {
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
    pub(crate) fn feed_complete(&self, count: u32) {
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

    pub(crate) fn feed_failed(&self, e: &Error) {
        self.feed.borrow_mut().ended = true;
        self.append("end failed", &format!("The feed failed: {e}"));
        let _ = self.events.remove_attribute("aria-busy");
        self.set_status(&format!("Feed failed: {e}"), "status error");
    }

    /// [`crate::stop_live`] dropped the run.
    pub(crate) fn stopped(&self) {
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

    pub(crate) fn download_progress(&self, t: Transfer) {
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

    pub(crate) fn download_done(&self, photos: usize, secs_taken: f64) {
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

    pub(crate) fn download_failed(&self, e: &Error) {
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
        format!("{} MB", fixed(b / 1e6, 2))
    } else if b >= 1e3 {
        format!("{} kB", fixed(b / 1e3, 0))
    } else {
        format!("{bytes} B")
    }
}

/// "0.5 s", "85 ms".
fn secs(s: f64) -> String {
    if s < 1.0 {
        format!("{} ms", fixed(s * 1000.0, 0))
    } else {
        format!("{} s", fixed(s, 1))
    }
}
