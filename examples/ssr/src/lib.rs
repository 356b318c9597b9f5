//! A page rendered on the server and hydrated in the browser by the same
//! code, [`load`]: 20 GETs and 2 POSTs to one URL with different bodies.
//! On the server (`src/main.rs`, natively) a recording client runs it and
//! the page embeds the responses as a snapshot; in the browser
//! ([`hydrate`], wasm) a client built from that snapshot runs it again and
//! is answered from the page, sending nothing; a request after that
//! ([`one_more`]) goes to the network.
//!
//! Served by the dev server at `/www/ssr/` (`cargo xtask test`'s e2e stage
//! renders it; by hand: `cargo run -p fanout-ssr -- http://127.0.0.1:8080
//! demo www/ssr/index.html` with the dev server running, after
//! `cargo xtask build`).

use std::future::IntoFuture;

use fanout::{gather, Client, Error};
use serde::Deserialize;

/// What the page shows: a title per post, in order, and the title each
/// POST got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub titles: Vec<Result<String, String>>,
    pub created: Vec<Result<String, String>>,
}

#[derive(Deserialize)]
struct Post {
    title: String,
}

/// The element the snapshot is embedded in.
pub const SNAPSHOT_ID: &str = "fanout-snapshot";

/// The page's data, on either side: the same requests, in the same order.
/// `tag` goes into every URL, so the dev server's `/stats` can count them.
pub async fn load(client: &Client, tag: &str) -> Page {
    let titles = gather((1..=20).map(|id| async move {
        let post: Post = client
            .get(format!("posts/{id}?tag={tag}"))
            .error_for_status(true)
            .send()
            .await?
            .json()
            .await?;
        Ok::<_, Error>(post.title)
    }));
    let created = gather(["first draft", "second draft"].map(|title| async move {
        let post: Post = client
            .post(format!("posts?tag={tag}"))
            .json(&serde_json::json!({ "title": title, "userId": 1 }))
            .error_for_status(true)
            .send()
            .await?
            .json()
            .await?;
        Ok::<_, Error>(post.title)
    }));
    let (titles, created) =
        futures_util::future::join(titles.into_future(), created.into_future()).await;
    let text = |r: Result<String, Error>| r.map_err(|e| e.to_string());
    Page {
        titles: titles.into_iter().map(text).collect(),
        created: created.into_iter().map(text).collect(),
    }
}

/// Escapes text for HTML (the server writes the page as a string; the
/// browser writes text nodes).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One list item's text.
pub fn line(r: &Result<String, String>) -> String {
    match r {
        Ok(t) => t.clone(),
        Err(e) => format!("failed: {e}"),
    }
}

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
pub use browser::{hydrate, one_more};

#[cfg(test)]
mod tests {
    #[test]
    fn escape_leaves_no_markup() {
        let e = super::escape(r#"<img src=x onerror="a()"> & 'b'"#);
        assert!(!e.contains('<') && !e.contains('>') && !e.contains('"'));
        assert_eq!(super::escape("plain"), "plain");
    }
}
