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
//! and a download with a progress bar.
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

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::pin::pin;

use futures_util::future::{join, select, Either};
use wasm_bindgen::prelude::*;
use web_sys::{AbortController, AbortSignal, Document, Element};

use fanout::{gather, CacheMode, Client, Error, Outcome, Retry};

use crate::posts::Post;
use crate::switch::Switch;

mod live;
mod posts;
mod switch;

pub use live::{start_live, stop_live};

#[wasm_bindgen]
extern "C" {
    /// Milliseconds on the page's monotonic clock, the one fanout stamps
    /// [`Outcome`] and [`fanout::Response::started_ms`] with.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn now_ms() -> f64;
}

/// JSONPlaceholder has posts 1 to 100.
const MAX_POSTS: u32 = 100;
/// Upper bound of the "added latency" control.
const MAX_DELAY_MS: u32 = 10_000;
const SVG_NS: &str = "http://www.w3.org/2000/svg";

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/// Fetches posts `1..=count` concurrently and renders them as they arrive.
///
/// `options` is a plain object; every field is optional:
///
/// * `api` (string): the JSONPlaceholder-compatible base URL; empty means
///   the page's own origin;
/// * `count` (1–100, default 100): how many posts;
/// * `limit` (default 0): at most this many requests in flight, 0 for no
///   limit;
/// * `delayMs` (0–10000, default 0): latency the dev server adds to every
///   response (`?delay=`);
/// * `failRate` (0–100, default 0): the percentage of posts to request from
///   a failing endpoint instead;
/// * `retries` (default `true`): retry failed requests (fanout's default
///   policy); with retries on, the injected failures fail once and then
///   succeed;
/// * `failFast` (default `false`): cancel the rest of the batch at the first
///   failure;
/// * `dedupe` (default `false`): ask for every post twice at once, through a
///   client built with `dedupe(true)`, and show how many requests the server
///   saw (its `/stats` for a tag that the post URLs carry).
///
/// A new call (or [`stop`]) aborts the batch in flight. Rejects, without
/// touching the page, if the options or the API URL are invalid or the page
/// lacks one of the elements it renders into.
#[wasm_bindgen]
pub async fn run(options: JsValue) -> Result<(), JsValue> {
    let settings = Settings::from_js(&options)?;
    let page = Page::find()?;
    let client = settings.client()?;
    let ticket = Ticket::begin()?;
    page.hide_compare();
    let Some(report) = batch(&page, &client, &settings, settings.limit, &ticket, None).await?
    else {
        return Ok(());
    };
    page.set_status(&report.status_line(), report.stopped || report.failed > 0);
    Ok(())
}

/// Runs the same batch twice, first sequentially (one request at a time),
/// then with the concurrency limit of `options` (see [`run`]), and shows
/// both times side by side with the speed-up.
#[wasm_bindgen]
pub async fn compare(options: JsValue) -> Result<(), JsValue> {
    let settings = Settings::from_js(&options)?;
    let page = Page::find()?;
    let client = settings.client()?;
    let ticket = Ticket::begin()?;
    page.show_compare_pending(&settings)?;

    let phases = [("sequential", Some(1)), ("concurrent", settings.limit)];
    let mut reports: Vec<Report> = Vec::with_capacity(2);
    for (i, (name, limit)) in phases.into_iter().enumerate() {
        let label = format!("Compare, run {} of 2 ({name})", i + 1);
        let Some(report) = batch(&page, &client, &settings, limit, &ticket, Some(&label)).await?
        else {
            return Ok(());
        };
        if report.stopped {
            page.hide_compare();
            page.set_status(&report.status_line(), true);
            return Ok(());
        }
        reports.push(report);
    }
    if let [seq, conc] = reports.as_slice() {
        page.show_compare(&settings, seq, conc)?;
        let speedup = speedup(seq.secs, conc.secs);
        let mut line = format!(
            "Sequential {:.2} s, concurrent {:.2} s: {speedup} faster",
            seq.secs, conc.secs
        );
        let failed = seq.failed + conc.failed;
        if failed > 0 {
            let _ = write!(line, " ({failed} failed)");
        }
        page.set_status(&line, failed > 0);
    }
    Ok(())
}

/// Stops the batch in flight, if any: its requests are aborted and the page
/// shows what had arrived. Does nothing when no batch is running.
#[wasm_bindgen]
pub fn stop() {
    let active = ACTIVE.with(|active| active.borrow().clone());
    if let Some(claim) = active {
        claim.abort();
    }
}

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

/// Validated settings of one batch.
#[derive(Debug, Clone)]
struct Settings {
    api: String,
    count: u32,
    limit: Option<usize>,
    delay_ms: u32,
    fail_rate: u32,
    retries: bool,
    fail_fast: bool,
    dedupe: bool,
}

/// A number field: rounded and clamped to `lo..=hi`, `default` when missing.
fn int_field(v: Option<f64>, lo: u32, hi: u32, default: u32) -> u32 {
    match v {
        Some(x) if x.is_finite() => x.round().max(f64::from(lo)).min(f64::from(hi)) as u32,
        _ => default,
    }
}

impl Settings {
    /// Reads the options object (see [`run`]); missing fields and `NaN`s
    /// (an empty number field) get their defaults, numbers are rounded and
    /// clamped to their ranges.
    fn from_js(options: &JsValue) -> Result<Settings, JsValue> {
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
        let flag = |key: &str, default: bool| -> Result<bool, JsValue> {
            Ok(get(key)?.as_bool().unwrap_or(default))
        };
        let limit = number("limit", 0, MAX_POSTS, 0)?;
        Ok(Settings {
            api: get("api")?
                .as_string()
                .unwrap_or_default()
                .trim()
                .to_owned(),
            count: number("count", 1, MAX_POSTS, MAX_POSTS)?,
            limit: (limit > 0).then_some(limit as usize),
            delay_ms: number("delayMs", 0, MAX_DELAY_MS, 0)?,
            fail_rate: number("failRate", 0, 100, 0)?,
            retries: flag("retries", true)?,
            fail_fast: flag("failFast", false)?,
            dedupe: flag("dedupe", false)?,
        })
    }

    /// The session every request of a run goes through. The browser's HTTP
    /// cache is bypassed so that timings are real round trips; with dedupe
    /// on, identical GETs in flight at once share one fetch.
    fn client(&self) -> Result<Client, JsValue> {
        let mut builder = Client::builder()
            .cache(CacheMode::NoStore)
            .dedupe(self.dedupe)
            .retry(if self.retries {
                Retry::new()
            } else {
                Retry::none()
            });
        if !self.api.is_empty() {
            builder = builder.base_url(self.api.as_str());
        }
        Ok(builder.build()?)
    }
}

/// How a limit reads in prose: "one at a time", "up to 6 at a time".
fn limit_phrase(limit: Option<usize>) -> String {
    match limit {
        None => "all at once".to_owned(),
        Some(1) => "one at a time".to_owned(),
        Some(n) => format!("up to {n} at a time"),
    }
}

// ---------------------------------------------------------------------------
// Runs: at most one batch owns the page at a time
// ---------------------------------------------------------------------------

/// How the batch that owns the page is stopped: its requests' signal (each
/// request carries it) and a switch that drops the requests which cannot
/// carry a signal (deduplicated ones: a caller's signal would abort the
/// fetch shared with the other caller; dropping both callers aborts it).
#[derive(Clone)]
struct Claim {
    generation: u64,
    controller: AbortController,
    switch: Switch,
}

impl Claim {
    fn abort(&self) {
        self.controller.abort();
        self.switch.flip();
    }
}

thread_local! {
    /// The batch that owns the page: its generation and its abort switches.
    static ACTIVE: RefCell<Option<Claim>> = const { RefCell::new(None) };
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    static BATCHES: Cell<u64> = const { Cell::new(0) };
}

/// A claim on the page. Taking one aborts the previous batch; the previous
/// batch then sees that it is no longer current and leaves the page alone.
struct Ticket {
    generation: u64,
    signal: AbortSignal,
    switch: Switch,
}

impl Ticket {
    fn begin() -> Result<Ticket, JsValue> {
        let controller = AbortController::new()?;
        let signal = controller.signal();
        let switch = Switch::default();
        let generation = GENERATION.with(|g| {
            g.set(g.get() + 1);
            g.get()
        });
        let claim = Claim {
            generation,
            controller,
            switch: switch.clone(),
        };
        let previous = ACTIVE.with(|a| a.borrow_mut().replace(claim));
        if let Some(old) = previous {
            old.abort();
        }
        Ok(Ticket {
            generation,
            signal,
            switch,
        })
    }

    fn is_current(&self) -> bool {
        GENERATION.with(|g| g.get()) == self.generation
    }

    /// Whether [`stop`] aborted this batch.
    fn stopped(&self) -> bool {
        self.is_current() && self.signal.aborted()
    }

    /// A key unique to this batch, for `/flaky/{key}` (whose hit counters
    /// live on the server and outlive the page).
    fn key(&self) -> String {
        let batch = BATCHES.with(|b| {
            b.set(b.get() + 1);
            b.get()
        });
        let nonce = (js_sys::Math::random() * 1e9) as u64;
        format!("demo-{}-{nonce}-{batch}", js_sys::Date::now() as u64)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        ACTIVE.with(|a| {
            let mut a = a.borrow_mut();
            if matches!(a.as_ref(), Some(c) if c.generation == self.generation) {
                *a = None;
            }
        });
    }
}

// ---------------------------------------------------------------------------
// What is requested
// ---------------------------------------------------------------------------

/// Which URL each post is fetched from: the real post, or an injected
/// failure (`status/503`, or with retries on a `flaky` endpoint that fails
/// once before the post itself is fetched).
struct Plan {
    delay_ms: u32,
    retries: bool,
    /// Every post asked for twice at once; the post URLs carry `?tag=key`
    /// so that the server counts them apart (`/stats?tag=key`).
    dedupe: bool,
    failing: Vec<bool>,
    key: String,
}

impl Plan {
    fn new(settings: &Settings, key: String) -> Plan {
        Plan {
            delay_ms: settings.delay_ms,
            retries: settings.retries,
            dedupe: settings.dedupe,
            failing: failing_posts(settings.count, settings.fail_rate),
            key,
        }
    }

    fn is_failing(&self, id: u32) -> bool {
        self.failing.get(id as usize).copied().unwrap_or(false)
    }

    /// `?delay=` (or `&delay=`), when latency is added.
    fn delay(&self, sep: char) -> String {
        if self.delay_ms > 0 {
            format!("{sep}delay={}", self.delay_ms)
        } else {
            String::new()
        }
    }

    /// The URL that must succeed before the post is fetched, and the post's.
    fn urls(&self, id: u32) -> (Option<String>, String) {
        let mut post = format!("posts/{id}{}", self.delay('?'));
        if self.dedupe {
            let sep = if post.contains('?') { '&' } else { '?' };
            let _ = write!(post, "{sep}tag={}", self.key);
        }
        if !self.is_failing(id) {
            (None, post)
        } else if self.retries {
            let gate = format!("flaky/{}-{id}?fail=1{}", self.key, self.delay('&'));
            (Some(gate), post)
        } else {
            let fault = format!("status/503?tag={}-{id}{}", self.key, self.delay('&'));
            (None, fault)
        }
    }
}

/// A fixed pseudo-random choice of `rate`% of the posts `1..=count` (at least
/// one when `rate > 0`), the same for the same settings: index `id` is true
/// when post `id` fails.
fn failing_posts(count: u32, rate: u32) -> Vec<bool> {
    let mut failing = vec![false; count as usize + 1];
    if rate == 0 {
        return failing;
    }
    let k = ((u64::from(count) * u64::from(rate) + 50) / 100).max(1) as usize;
    // The k posts with the smallest hashes (n ≤ 100: no need to sort).
    for _ in 0..k {
        let pick = (1..=count)
            .filter(|&id| !failing[id as usize])
            .min_by_key(|&id| splitmix64(u64::from(id)));
        if let Some(id) = pick {
            failing[id as usize] = true;
        }
    }
    failing
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A post that arrived.
struct Fetched {
    title: String,
    /// Attempts it took (more than 1 if a retry rescued it).
    attempts: u32,
    /// When the attempt that succeeded started, if there were earlier ones.
    retried_until: Option<f64>,
}

/// Fetches one post (after its gate, if any). `signal` aborts it; without
/// one, only dropping the future does.
async fn fetch_one(
    client: &Client,
    plan: &Plan,
    id: u32,
    signal: Option<&AbortSignal>,
) -> Result<Fetched, Error> {
    let get = |url: String| {
        let req = client.get(url).error_for_status(true);
        match signal {
            Some(s) => req.abort_signal(s),
            None => req,
        }
    };
    let (gate, url) = plan.urls(id);
    let mut attempts = 1;
    let mut retried_until = None;
    if let Some(gate) = gate {
        let resp = get(gate).send().await?;
        if resp.attempts() > 1 {
            attempts = resp.attempts();
            retried_until = Some(resp.started_ms());
        }
        // Read the small body so the connection is reused, not torn down.
        resp.bytes().await?;
    }
    let resp = get(url).send().await?;
    if resp.attempts() > 1 {
        attempts += resp.attempts() - 1;
        retried_until = Some(resp.started_ms());
    }
    let post: Post = resp.json().await?;
    Ok(Fetched {
        title: post.title,
        attempts,
        retried_until,
    })
}

/// Asks for one post twice at once, through the deduplicating client: the
/// two identical GETs share one fetch. They carry no signal (a deduplicated
/// request must not: its signal would abort the other caller's fetch), so
/// [`stop`] drops them instead, which aborts the shared fetch once both are
/// gone.
async fn fetch_twice(
    client: &Client,
    plan: &Plan,
    id: u32,
    switch: &Switch,
) -> Result<Fetched, Error> {
    let both = pin!(join(
        fetch_one(client, plan, id, None),
        fetch_one(client, plan, id, None)
    ));
    // The switch first: once it is flipped, nothing more is rendered.
    match select(switch.wait(), both).await {
        Either::Left(((), _)) => Err(Error::aborted("stopped by the user")),
        Either::Right(((first, second), _)) => {
            let mut fetched = match (first, second) {
                (Ok(f), Ok(_)) => f,
                (Err(e), _) | (Ok(_), Err(e)) => return Err(e),
            };
            // A shared response is a copy made when the fetch ended: its
            // start time is that of the copy, not of the last attempt.
            fetched.retried_until = None;
            Ok(fetched)
        }
    }
}

// ---------------------------------------------------------------------------
// One batch
// ---------------------------------------------------------------------------

/// What a batch came to, for the status line and the comparison.
#[derive(Debug, Clone, Copy, Default)]
struct Report {
    ok: usize,
    failed: usize,
    cancelled: usize,
    stopped_count: usize,
    retried: usize,
    secs: f64,
    stopped: bool,
}

impl Report {
    fn status_line(&self) -> String {
        let titles = if self.ok == 1 { "title" } else { "titles" };
        if self.stopped {
            return format!(
                "Stopped after {:.2} s: fetched {} {titles}, {} stopped",
                self.secs,
                self.ok,
                self.stopped_count + self.cancelled
            );
        }
        let mut line = format!("Fetched {} {titles} in {:.2} s", self.ok, self.secs);
        let mut extra = Vec::new();
        if self.failed > 0 {
            extra.push(format!("{} failed", self.failed));
        }
        if self.cancelled > 0 {
            extra.push(format!("{} cancelled", self.cancelled));
        }
        if self.retried > 0 {
            extra.push(format!("{} after a retry", self.retried));
        }
        if !extra.is_empty() {
            let _ = write!(line, " ({})", extra.join(", "));
        }
        line
    }
}

/// How one request ended, as the list and the waterfall colour it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Ok,
    Failed,
    Cancelled,
}

impl Ending {
    fn class(self) -> &'static str {
        match self {
            Ending::Ok => "ok",
            Ending::Failed => "failed",
            Ending::Cancelled => "cancelled",
        }
    }
}

fn ending(result: &Result<Fetched, Error>) -> Ending {
    match result {
        Ok(_) => Ending::Ok,
        Err(e) if e.is_aborted() => Ending::Cancelled,
        Err(_) => Ending::Failed,
    }
}

/// Why a post failed, as the list shows it after "post N: ". `sent` says
/// whether the request had started (for a cancelled one).
fn reason(e: &Error, sent: bool) -> String {
    let mut text = if e.is_cancelled() && sent {
        "cancelled in flight, another request failed".to_owned()
    } else if e.is_cancelled() {
        "never sent, another request failed".to_owned()
    } else if e.is_aborted() {
        "stopped".to_owned()
    } else if e.is_network() {
        format!("network error ({})", e.message())
    } else {
        e.message().to_owned()
    };
    if e.attempts() > 1 {
        let _ = write!(text, " after {} attempts", e.attempts());
    }
    text
}

/// Fetches the batch, filling the list as posts arrive; then draws the
/// waterfall. `None` if another batch took over the page meanwhile.
async fn batch(
    page: &Page,
    client: &Client,
    settings: &Settings,
    limit: Option<usize>,
    ticket: &Ticket,
    label: Option<&str>,
) -> Result<Option<Report>, JsValue> {
    let n = settings.count;
    let items = page.reset_list(n)?;
    page.clear_waterfall()?;
    page.start_progress(n);
    let what = format!(
        "{n} post{}, {}…",
        if n == 1 { "" } else { "s" },
        limit_phrase(limit)
    );
    let line = match label {
        Some(label) => format!("{label}: fetching {what}"),
        None => format!("Fetching {what}"),
    };
    page.set_status(&line, false);

    let plan = Plan::new(settings, ticket.key());
    if plan.dedupe {
        page.start_dedupe(&plan.key, n);
    } else {
        page.hide_dedupe();
    }
    let (items, plan) = (&items, &plan);
    let (signal, switch) = (&ticket.signal, &ticket.switch);
    let start = now_ms();
    let outcomes: Vec<Outcome<Fetched, Error>> = gather((1..=n).map(move |id| async move {
        let result = if plan.dedupe {
            fetch_twice(client, plan, id, switch).await
        } else {
            fetch_one(client, plan, id, Some(signal)).await
        };
        if ticket.is_current() {
            if let Some(li) = items.get(id as usize - 1) {
                show_item(li, id, &result, true);
            }
        }
        result
    }))
    .limit_opt(limit)
    .fail_fast(settings.fail_fast)
    .on_progress(|p| {
        if ticket.is_current() {
            page.set_progress(p.done);
        }
    })
    .detailed()
    .await;
    let end = now_ms();
    if !ticket.is_current() {
        return Ok(None);
    }

    let mut report = Report {
        secs: (end - start) / 1000.0,
        stopped: ticket.stopped(),
        ..Report::default()
    };
    let mut rows = Vec::with_capacity(outcomes.len());
    for o in &outcomes {
        let id = o.index as u32 + 1;
        // Cancelled inputs never ran their own rendering; show them now.
        if let (Err(e), Some(li)) = (&o.result, items.get(o.index)) {
            if e.is_cancelled() {
                show_item(li, id, &o.result, o.started_ms.is_some());
            }
        }
        let end_ms = o.ended_ms - start;
        let (attempts, retried_until, detail) = match &o.result {
            Ok(f) => {
                report.ok += 1;
                if f.attempts > 1 {
                    report.retried += 1;
                }
                let detail = if f.attempts > 1 {
                    format!("ok after {} attempts", f.attempts)
                } else {
                    "ok".to_owned()
                };
                (f.attempts, f.retried_until.map(|t| t - start), detail)
            }
            Err(e) => {
                if e.is_cancelled() {
                    report.cancelled += 1;
                } else if e.is_aborted() {
                    report.stopped_count += 1;
                } else {
                    report.failed += 1;
                }
                (e.attempts(), None, reason(e, o.started_ms.is_some()))
            }
        };
        rows.push(Row {
            id,
            start: o.started_ms.map(|t| t - start),
            end: end_ms,
            ending: ending(&o.result),
            attempts,
            retried_until,
            detail,
        });
    }
    page.finish_progress();
    page.draw_waterfall(&rows, end - start, limit, &report)?;
    if plan.dedupe {
        let seen = server_count(client, &plan.key).await;
        if !ticket.is_current() {
            return Ok(None);
        }
        page.show_dedupe(n, report.stopped, &seen);
    }
    Ok(Some(report))
}

/// What `GET /stats?tag=T` says of one tag (the fields the page uses).
#[derive(Debug, serde::Deserialize)]
struct TagStats {
    /// Requests that arrived.
    requests: u64,
    /// Requests per path (`/posts/7`).
    by_path: BTreeMap<String, u64>,
}

/// The dev server's count of the requests tagged `tag`.
async fn server_count(client: &Client, tag: &str) -> Result<TagStats, Error> {
    client
        .get(format!("stats?tag={tag}"))
        .error_for_status(true)
        .send()
        .await?
        .json()
        .await
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
fn show_item(li: &Element, id: u32, result: &Result<Fetched, Error>, sent: bool) {
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

// ---------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------

/// The elements of `index.html` that the demo renders into.
struct Page {
    doc: Document,
    status: Element,
    progress: Element,
    list: Element,
    waterfall: Element,
    compare: Element,
    dedupe: Element,
}

fn text_el(doc: &Document, tag: &str, text: &str) -> Result<Element, JsValue> {
    let el = doc.create_element(tag)?;
    el.set_text_content(Some(text));
    Ok(el)
}

/// The page's document (the demo runs only in a page).
fn document() -> Result<Document, JsValue> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document: the demo runs in a page"))
}

/// The element `#id`, or an error naming it.
fn element(doc: &Document, id: &str) -> Result<Element, JsValue> {
    doc.get_element_by_id(id)
        .ok_or_else(|| JsValue::from_str(&format!("the page has no #{id}")))
}

impl Page {
    fn find() -> Result<Page, JsValue> {
        let doc = crate::document()?;
        let by_id = |id: &str| crate::element(&doc, id);
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

    fn set_status(&self, text: &str, warn: bool) {
        self.status.set_text_content(Some(text));
        let _ = self
            .status
            .set_attribute("class", if warn { "status warn" } else { "status" });
    }

    /// Replaces the list with `n` placeholders, "post N: loading…".
    fn reset_list(&self, n: u32) -> Result<Vec<Element>, JsValue> {
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

    fn start_progress(&self, n: u32) {
        let _ = self.progress.set_attribute("max", &n.to_string());
        let _ = self.progress.set_attribute("value", "0");
        let _ = self.progress.remove_attribute("hidden");
    }

    fn set_progress(&self, done: usize) {
        let _ = self.progress.set_attribute("value", &done.to_string());
    }

    fn finish_progress(&self) {
        let _ = self.progress.set_attribute("hidden", "");
        let _ = self.list.remove_attribute("aria-busy");
    }

    fn hide_compare(&self) {
        let _ = self.compare.set_attribute("hidden", "");
    }

    // -- dedupe -------------------------------------------------------------

    fn hide_dedupe(&self) {
        let _ = self.dedupe.set_attribute("hidden", "");
    }

    /// Shows that every post is being asked for twice; `tag` is what the
    /// post URLs carry (also in `data-tag`, for the end-to-end tests).
    fn start_dedupe(&self, tag: &str, n: u32) {
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
    fn show_dedupe(&self, n: u32, stopped: bool, seen: &Result<TagStats, Error>) {
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
                let most = stats.by_path.values().copied().max().unwrap_or(0);
                let per_post = match most {
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

    // -- comparison ---------------------------------------------------------

    fn show_compare_pending(&self, settings: &Settings) -> Result<(), JsValue> {
        self.compare.set_text_content(None);
        self.compare
            .append_child(text_el(&self.doc, "h3", "Sequential vs concurrent")?.as_ref())?;
        self.compare.append_child(
            text_el(
                &self.doc,
                "p",
                &format!(
                    "Running the same {} requests one at a time, then {}…",
                    settings.count,
                    limit_phrase(settings.limit)
                ),
            )?
            .as_ref(),
        )?;
        self.compare.remove_attribute("hidden")?;
        Ok(())
    }

    fn show_compare(
        &self,
        settings: &Settings,
        seq: &Report,
        conc: &Report,
    ) -> Result<(), JsValue> {
        let doc = &self.doc;
        self.compare.set_text_content(None);
        self.compare
            .append_child(text_el(doc, "h3", "Sequential vs concurrent")?.as_ref())?;
        let dl = doc.create_element("dl")?;
        dl.set_attribute("class", "compare-grid")?;
        let conc_label = match settings.limit {
            None => "Concurrent, all at once".to_owned(),
            Some(1) => "Concurrent, limit 1".to_owned(),
            Some(n) => format!("Concurrent, up to {n}"),
        };
        let entries = [
            (
                "compare-sequential",
                "Sequential, one at a time".to_owned(),
                format!("{:.2} s", seq.secs),
            ),
            (
                "compare-concurrent",
                conc_label,
                format!("{:.2} s", conc.secs),
            ),
            (
                "compare-speedup",
                "Speed-up".to_owned(),
                speedup(seq.secs, conc.secs),
            ),
        ];
        for (id, term, value) in entries {
            let group = doc.create_element("div")?;
            group.set_attribute("class", id.trim_start_matches("compare-"))?;
            group.append_child(text_el(doc, "dt", &term)?.as_ref())?;
            let dd = text_el(doc, "dd", &value)?;
            dd.set_attribute("id", id)?;
            group.append_child(&dd)?;
            dl.append_child(&group)?;
        }
        self.compare.append_child(&dl)?;
        self.compare
            .append_child(self.compare_bars(seq.secs, conc.secs)?.as_ref())?;
        self.compare.remove_attribute("hidden")?;
        Ok(())
    }

    /// Two horizontal bars on one time scale.
    fn compare_bars(&self, seq: f64, conc: f64) -> Result<Element, JsValue> {
        let doc = &self.doc;
        let longest = seq.max(conc).max(1e-6);
        let svg = svg_el(
            doc,
            "svg",
            &[
                ("class", "compare-bars"),
                ("viewBox", "0 0 100 22"),
                ("preserveAspectRatio", "none"),
                ("aria-hidden", "true"),
                ("focusable", "false"),
            ],
        )?;
        for (i, (secs, class)) in [(seq, "seq"), (conc, "conc")].into_iter().enumerate() {
            let w = (secs / longest * 100.0).max(0.5);
            let y = if i == 0 { "1" } else { "12" };
            svg.append_child(
                svg_el(
                    doc,
                    "rect",
                    &[
                        ("class", class),
                        ("x", "0"),
                        ("y", y),
                        ("width", &fmt1(w)),
                        ("height", "9"),
                    ],
                )?
                .as_ref(),
            )?;
        }
        Ok(svg)
    }

    // -- waterfall ----------------------------------------------------------

    fn clear_waterfall(&self) -> Result<(), JsValue> {
        self.waterfall.set_text_content(None);
        self.waterfall.append_child(
            text_el(
                &self.doc,
                "p",
                "The waterfall is drawn when the batch has finished.",
            )?
            .as_ref(),
        )?;
        let _ = self.waterfall.set_attribute("class", "waterfall pending");
        Ok(())
    }

    fn draw_waterfall(
        &self,
        rows: &[Row],
        duration: f64,
        limit: Option<usize>,
        report: &Report,
    ) -> Result<(), JsValue> {
        let doc = &self.doc;
        self.waterfall.set_text_content(None);
        let _ = self.waterfall.set_attribute("class", "waterfall");

        let n = rows.len().max(1) as f64;
        let width = f64::from(self.waterfall.client_width())
            .max(300.0)
            .min(1400.0);
        let (left, right, top) = (40.0, 40.0, 26.0);
        let pitch: f64 = match rows.len() {
            0..=12 => 20.0,
            13..=30 => 12.0,
            31..=60 => 9.0,
            _ => 7.0,
        };
        let bar_h = (pitch * 0.72).max(4.0);
        let height = top + n * pitch + 6.0;

        // Time axis: "nice" ticks, ending on one at or after the last end.
        let step = nice_step(duration.max(1.0) / 6.0);
        let ticks = (duration.max(1.0) / step).ceil().max(1.0);
        let span = ticks * step;
        let plot = width - left - right;
        let x = |t: f64| left + (t.max(0.0) / span) * plot;

        let summary = waterfall_summary(rows, duration, limit, report);
        let svg = svg_el(
            doc,
            "svg",
            &[
                ("viewBox", &format!("0 0 {} {}", fmt1(width), fmt1(height))),
                ("width", &fmt1(width)),
                ("height", &fmt1(height)),
                ("role", "img"),
                ("aria-labelledby", "waterfall-title waterfall-desc"),
            ],
        )?;
        let title = svg_el(doc, "title", &[("id", "waterfall-title")])?;
        title.set_text_content(Some("Request waterfall"));
        svg.append_child(&title)?;
        let desc = svg_el(doc, "desc", &[("id", "waterfall-desc")])?;
        desc.set_text_content(Some(&summary));
        svg.append_child(&desc)?;

        let axis = svg_el(doc, "g", &[("class", "axis")])?;
        for i in 0..=(ticks as u32) {
            let t = f64::from(i) * step;
            let tx = fmt1(x(t));
            axis.append_child(
                svg_el(
                    doc,
                    "line",
                    &[
                        ("class", if i == 0 { "grid zero" } else { "grid" }),
                        ("x1", &tx),
                        ("x2", &tx),
                        ("y1", &fmt1(top - 6.0)),
                        ("y2", &fmt1(height - 4.0)),
                    ],
                )?
                .as_ref(),
            )?;
            let anchor = if i == 0 { "start" } else { "middle" };
            let label = svg_el(
                doc,
                "text",
                &[("x", &tx), ("y", "13"), ("text-anchor", anchor)],
            )?;
            label.set_text_content(Some(&tick_label(t, span)));
            axis.append_child(&label)?;
        }
        svg.append_child(&axis)?;

        let bars = svg_el(doc, "g", &[("class", "rows")])?;
        let every = if rows.len() <= 20 { 1 } else { 10 };
        for (i, row) in rows.iter().enumerate() {
            let y = top + i as f64 * pitch + (pitch - bar_h) / 2.0;
            let mid = fmt1(y + bar_h / 2.0);
            if row.id == 1 || row.id % every == 0 {
                let label = svg_el(
                    doc,
                    "text",
                    &[
                        ("class", "row-label"),
                        ("x", &fmt1(left - 6.0)),
                        ("y", &mid),
                        ("text-anchor", "end"),
                        ("dominant-baseline", "central"),
                    ],
                )?;
                label.set_text_content(Some(&row.id.to_string()));
                bars.append_child(&label)?;
            }
            let (x0, x1) = match row.start {
                Some(s) => (x(s), x(row.end)),
                None => (x(row.end), x(row.end)),
            };
            let w = (x1 - x0).max(2.0);
            let class = match (row.ending, row.start) {
                (_, None) => "bar cancelled unsent".to_owned(),
                (e, _) => format!("bar {}", e.class()),
            };
            let bar = svg_el(
                doc,
                "rect",
                &[
                    ("class", &class),
                    ("x", &fmt1(x0)),
                    ("y", &fmt1(y)),
                    ("width", &fmt1(w)),
                    ("height", &fmt1(bar_h)),
                    ("rx", "1"),
                ],
            )?;
            let tip = svg_el(doc, "title", &[])?;
            tip.set_text_content(Some(&row.tooltip()));
            bar.append_child(&tip)?;
            bars.append_child(&bar)?;
            if let Some(until) = row.retried_until {
                let rw = (x(until) - x0).max(0.0).min(w);
                let retry = svg_el(
                    doc,
                    "rect",
                    &[
                        ("class", "retry"),
                        ("x", &fmt1(x0)),
                        ("y", &fmt1(y)),
                        ("width", &fmt1(rw)),
                        ("height", &fmt1(bar_h)),
                    ],
                )?;
                bars.append_child(&retry)?;
            }
            if row.attempts > 1 {
                let label = svg_el(
                    doc,
                    "text",
                    &[
                        ("class", "attempts"),
                        ("x", &fmt1(x0 + w + 4.0)),
                        ("y", &mid),
                        ("dominant-baseline", "central"),
                    ],
                )?;
                label.set_text_content(Some(&format!("×{}", row.attempts)));
                bars.append_child(&label)?;
            }
        }
        svg.append_child(&bars)?;

        let scroller = doc.create_element("div")?;
        scroller.set_attribute("class", "waterfall-scroll")?;
        scroller.append_child(&svg)?;
        self.waterfall.append_child(&scroller)?;
        let caption = text_el(doc, "p", &summary)?;
        caption.set_attribute("class", "waterfall-caption")?;
        self.waterfall.append_child(&caption)?;
        Ok(())
    }
}

/// One request of the waterfall; times are ms since the batch started.
struct Row {
    id: u32,
    start: Option<f64>,
    end: f64,
    ending: Ending,
    attempts: u32,
    retried_until: Option<f64>,
    detail: String,
}

impl Row {
    fn tooltip(&self) -> String {
        match self.start {
            Some(s) => format!(
                "post {}: {:.0}–{:.0} ms ({:.0} ms), {}",
                self.id,
                s,
                self.end,
                self.end - s,
                self.detail
            ),
            None => format!("post {}: {}", self.id, self.detail),
        }
    }
}

/// The waterfall's text alternative (also shown as its caption).
fn waterfall_summary(rows: &[Row], duration: f64, limit: Option<usize>, r: &Report) -> String {
    let mut s = format!(
        "{} request{} over {}, {}: {} succeeded",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        secs_label(duration),
        limit_phrase(limit),
        r.ok
    );
    if r.retried > 0 {
        let _ = write!(s, " ({} after a retry)", r.retried);
    }
    let _ = write!(s, ", {} failed", r.failed);
    let cancelled = r.cancelled + r.stopped_count;
    if cancelled > 0 {
        let _ = write!(s, ", {cancelled} cancelled");
    }
    if let Some(slowest) = rows
        .iter()
        .filter_map(|row| row.start.map(|st| (row.id, row.end - st)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
    {
        let _ = write!(s, ". Slowest: post {} at {:.0} ms", slowest.0, slowest.1);
    }
    s.push('.');
    s
}

/// The smallest step of 1, 2, 2.5 or 5 × 10ⁿ ms (n ≥ 0) that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let mut magnitude = 1.0;
    while magnitude < 1e12 {
        for m in [1.0, 2.0, 2.5, 5.0] {
            if m * magnitude >= raw {
                return m * magnitude;
            }
        }
        magnitude *= 10.0;
    }
    magnitude
}

/// A tick label: ms below 2 s of span, else seconds.
fn tick_label(t: f64, span: f64) -> String {
    if t == 0.0 {
        "0".to_owned()
    } else if span < 2000.0 {
        format!("{t:.0} ms")
    } else {
        let s = format!("{:.2}", t / 1000.0);
        format!("{} s", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

fn secs_label(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// "13.6×", or "—" if the faster time is zero.
fn speedup(slow: f64, fast: f64) -> String {
    if fast > 0.0 {
        format!("{:.1}×", slow / fast)
    } else {
        "—".to_owned()
    }
}

fn fmt1(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

fn svg_el(doc: &Document, name: &str, attrs: &[(&str, &str)]) -> Result<Element, JsValue> {
    let el = doc.create_element_ns(Some(SVG_NS), name)?;
    for (k, v) in attrs {
        el.set_attribute(k, v)?;
    }
    Ok(el)
}
