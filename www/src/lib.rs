//! The demo page's wasm (crate `fanout-demo`): the Rust side of
//! `index.html`, built on fanout's public API only.
//!
//! `cargo xtask build` (or `cargo xtask serve`) builds this crate with
//! wasm-pack into `www/pkg/` (`fanout.js` and `fanout_bg.wasm`). The page's
//! JavaScript (`www/main.js`) only loads that module and wires the forms to
//! its entry points: [`run`], [`compare`] and [`stop`] for the batch of
//! posts, [`start_live`] and [`stop_live`] for the "Live" panel.
//! Everything the page shows about a batch is rendered here: the list of
//! titles (filled in as each post arrives, in post order), the progress bar,
//! the status line, the request waterfall (an inline SVG built with DOM
//! calls), the sequential-versus-concurrent comparison and, with dedupe on,
//! the number of requests the server saw (its `/stats`). The Live panel
//! (module `live`) shows a Server-Sent Events feed with its reconnections
//! and a download with a progress bar. The "Offline writes" panel
//! (module `offline`) posts comments through fanout's durable outbox,
//! with a switch that makes the dev server refuse them.
//!
//! One concept a module: `settings` reads a call's options (one reader for
//! both panels); `ticket` lets one batch own the page at a time (and
//! [`stop`] it); `posts` says which URL each post is fetched from and
//! fetches it; `batch` runs a batch ([`run`]) and tallies its report;
//! `page` holds the batch's elements, its status line, progress bar and
//! list; `compare`, `dedupe` and `waterfall` draw those parts of the page;
//! `live` runs the Live panel, which `live_panel` draws; `dom` is the few
//! browser calls they share; `switch` is a stop switch.
//!
//! Fetched text only ever reaches the DOM through `set_text_content`, never
//! as HTML, and nothing here sets a `style` attribute: the page's
//! Content-Security-Policy allows neither inline scripts nor inline styles.
// The bindings exist only in wasm: natively this crate is empty (the
// library's native side is `Send`, and JS values are not).
#![cfg(target_arch = "wasm32")]
// The page bounds floats with `max`/`min`, not `f64::clamp`: clamp's
// assertion message formats `f64` with `Debug`, which links core's
// exponential float formatting into the wasm (`bench/SIZE.md`).
#![allow(clippy::manual_clamp)]

mod batch;
mod compare;
mod dedupe;
mod dom;
mod live;
mod live_panel;
mod live_ws;
mod offline;
mod page;
mod posts;
mod settings;
mod switch;
mod ticket;
mod waterfall;

pub use batch::run;
pub use compare::compare;
pub use live::{start_live, stop_live};
pub use live_ws::{live_socket_drop, live_socket_send, start_live_socket};
pub use offline::{post_comment, set_offline, start_offline};
pub use ticket::stop;
