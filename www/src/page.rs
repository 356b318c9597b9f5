//! The elements of `index.html` that a batch renders into ([`Page`]), and
//! what it shows in them: the status line, the progress bar and the list of
//! titles. The comparison, the dedupe count and the waterfall have their
//! own modules (`compare`, `dedupe`, `waterfall`).

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

use fanout::Error;

use crate::dom::{document, element, text_el};
use crate::posts::{ending, reason, Fetched};

/// The elements of `index.html` that the demo renders into.
pub(crate) struct Page {
    pub(crate) doc: Document,
    status: Element,
    progress: Element,
    list: Element,
    pub(crate) waterfall: Element,
    pub(crate) compare: Element,
    pub(crate) dedupe: Element,
}

impl Page {
    pub(crate) fn find() -> Result<Page, JsValue> {
        let doc = document()?;
        let by_id = |id: &str| element(&doc, id);
        Ok(Page {
            status: by_id("status")?,
            progress: by_id("progress")?,
            list: by_id("titles")?,
            waterfall: by_id("waterfall")?,
            compare: by_id("compare")?,
            dedupe: by_id("dedupe-count")?,
            doc,
        })
    }

    pub(crate) fn set_status(&self, text: &str, warn: bool) {
        self.status.set_text_content(Some(text));
        let _ = self
            .status
            .set_attribute("class", if warn { "status warn" } else { "status" });
    }

    /// Replaces the list with `n` placeholders, "post N: loading…".
    pub(crate) fn reset_list(&self, n: u32) -> Result<Vec<Element>, JsValue> {
        self.list.set_text_content(None);
        let _ = self.list.set_attribute("aria-busy", "true");
        let mut items = Vec::with_capacity(n as usize);
        for id in 1..=n {
            let li = text_el(&self.doc, "li", &format!("post {id}: loading…"))?;
            li.set_attribute("class", "pending")?;
            self.list.append_child(&li)?;
            items.push(li);
        }
        Ok(items)
    }

    pub(crate) fn start_progress(&self, n: u32) {
        let _ = self.progress.set_attribute("max", &n.to_string());
        let _ = self.progress.set_attribute("value", "0");
        let _ = self.progress.remove_attribute("hidden");
    }

    pub(crate) fn set_progress(&self, done: usize) {
        let _ = self.progress.set_attribute("value", &done.to_string());
    }

    pub(crate) fn finish_progress(&self) {
        let _ = self.progress.set_attribute("hidden", "");
        let _ = self.list.remove_attribute("aria-busy");
    }

    pub(crate) fn hide_compare(&self) {
        let _ = self.compare.set_attribute("hidden", "");
    }
}

/// The longest text a list item shows, in characters; longer is cut with
/// `…`. A hostile 100,000-character title otherwise costs a full layout of
/// it (`overflow-wrap: anywhere`) on every later update of the list: about
/// 20 s for one batch in Chromium.
const MAX_ITEM_CHARS: usize = 300;

/// `text`, cut to [`MAX_ITEM_CHARS`].
fn clipped(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_ITEM_CHARS) {
        None => text.into(),
        Some((end, _)) => format!("{}…", &text[..end]).into(),
    }
}

/// Fills one list item with its post's outcome: the title as text, or
/// "post N: reason" (`sent`: whether the request had started), each cut
/// to [`MAX_ITEM_CHARS`].
pub(crate) fn show_item(li: &Element, id: u32, result: &Result<Fetched, Error>, sent: bool) {
    match result {
        Ok(f) => {
            li.set_text_content(Some(&clipped(&f.title)));
            if f.attempts > 1 {
                let _ = li.set_attribute("data-attempts", &f.attempts.to_string());
            }
        }
        Err(e) => {
            let text = format!("post {id}: {}", reason(e, sent));
            li.set_text_content(Some(&clipped(&text)));
        }
    }
    let _ = li.set_attribute("class", ending(result).class());
    let _ = li.remove_attribute("aria-busy");
}
