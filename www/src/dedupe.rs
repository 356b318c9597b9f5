//! The dedupe count: with dedupe on, a batch asks for every post twice at
//! once, and then shows how many requests the dev server saw for them (its
//! `/stats` for the tag that the post URLs carry).

use fanout::{Client, Error};
use wasm_bindgen::{JsCast, JsValue};

use crate::dom;

use crate::page::Page;

/// What `GET /stats?tag=T` says of one tag (the fields the page uses).
#[derive(Debug)]
pub(crate) struct TagStats {
    /// Requests that arrived.
    requests: u64,
    /// The most requests any one path (`/posts/7`) got, from the
    /// server's requests per path.
    most_for_one_path: u64,
}

impl TagStats {
    /// The stats from their JSON object (`requests`, `by_path`: an object
    /// of counts).
    fn read(value: &JsValue) -> Result<TagStats, String> {
        let requests = dom::count(&dom::field(value, "requests"), "requests")?;
        let paths = dom::field(value, "by_path");
        let Some(paths) = paths.dyn_ref::<js_sys::Object>() else {
            return Err("invalid JSON at by_path: expected an object".to_owned());
        };
        let mut most_for_one_path = 0;
        for n in js_sys::Object::values(paths).iter() {
            most_for_one_path = most_for_one_path.max(dom::count(&n, "by_path")?);
        }
        Ok(TagStats {
            requests,
            most_for_one_path,
        })
    }
}

/// The dev server's count of the requests tagged `tag`.
pub(crate) async fn server_count(client: &Client, tag: &str) -> Result<TagStats, Error> {
    let resp = client
        .get(format!("stats?tag={tag}"))
        .error_for_status(true)
        .send()
        .await?;
    dom::read_json(resp, TagStats::read).await
}

impl Page {
    pub(crate) fn hide_dedupe(&self) {
        let _ = self.dedupe.set_attribute("hidden", "");
    }

    /// Shows that every post is being asked for twice; `tag` is what the
    /// post URLs carry (also in `data-tag`, for the end-to-end tests).
    pub(crate) fn start_dedupe(&self, tag: &str, n: u32) {
        let _ = self.dedupe.set_attribute("data-tag", tag);
        let _ = self.dedupe.set_attribute("class", "dedupe-count");
        self.dedupe.set_text_content(Some(&format!(
            "Dedupe: asking for each of the {n} posts twice at once ({} GETs)…",
            2 * n
        )));
        let _ = self.dedupe.remove_attribute("hidden");
    }

    /// The server's count of the batch's post requests (`stopped`: the
    /// batch was stopped before its end).
    pub(crate) fn show_dedupe(&self, n: u32, stopped: bool, seen: &Result<TagStats, Error>) {
        let (text, class) = match seen {
            Ok(stats) if stopped => (
                format!(
                    "Dedupe: stopped; the server saw {} request{} for the posts.",
                    stats.requests,
                    if stats.requests == 1 { "" } else { "s" }
                ),
                "dedupe-count",
            ),
            Ok(stats) => {
                let per_post = match stats.most_for_one_path {
                    0 => String::new(),
                    1 => ", one per post".to_owned(),
                    m => format!(", up to {m} for one post"),
                };
                let requests = if stats.requests == 1 {
                    "request"
                } else {
                    "requests"
                };
                (
                    format!(
                        "Dedupe: {} GETs asked for {n} posts, twice each at once; the server saw {} {requests}{per_post}.",
                        2 * n,
                        stats.requests
                    ),
                    "dedupe-count",
                )
            }
            Err(e) => (
                format!("Dedupe: could not read the server's count: {e}"),
                "dedupe-count warn",
            ),
        };
        self.dedupe.set_text_content(Some(&text));
        let _ = self.dedupe.set_attribute("class", class);
    }
}
