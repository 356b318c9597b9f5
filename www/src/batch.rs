//! One batch: [`run`] fetches posts `1..=count` concurrently with fanout's
//! `gather`, renders each as it arrives (in post order) and the progress,
//! then draws the waterfall and, with dedupe on, the server's count; the
//! [`Report`] it comes to is the status line (and, twice, the comparison).

use futures_util::future::LocalBoxFuture;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use fanout::{gather, Client, Error, Outcome};

use crate::dedupe::server_count;
use crate::dom::{fixed, now_ms};
use crate::page::{show_item, Page};
use crate::posts::{ending, fetch_one, fetch_twice, reason, Fetched, Plan};
use crate::settings::{limit_phrase, Settings};
use crate::ticket::Ticket;
use crate::waterfall::Row;

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
/// A new call (or [`crate::stop`]) aborts the batch in flight. Rejects, without
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

/// What a batch came to, for the status line and the comparison.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Report {
    pub(crate) ok: usize,
    pub(crate) failed: usize,
    pub(crate) cancelled: usize,
    pub(crate) stopped_count: usize,
    pub(crate) retried: usize,
    pub(crate) secs: f64,
    pub(crate) stopped: bool,
}

impl Report {
    pub(crate) fn status_line(&self) -> String {
        let titles = if self.ok == 1 { "title" } else { "titles" };
        if self.stopped {
            return format!(
                "Stopped after {} s: fetched {} {titles}, {} stopped",
                fixed(self.secs, 2),
                self.ok,
                self.stopped_count + self.cancelled
            );
        }
        let mut line = format!("Fetched {} {titles} in {} s", self.ok, fixed(self.secs, 2));
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
        // Pushed rather than `join`ed: `join` is about 1.2 KB of wasm.
        for (i, e) in extra.iter().enumerate() {
            line.push_str(if i == 0 { " (" } else { ", " });
            line.push_str(e);
        }
        if !extra.is_empty() {
            line.push(')');
        }
        line
    }
}

/// Fetches the batch, filling the list as posts arrive; then draws the
/// waterfall. `None` if another batch took over the page meanwhile.
pub(crate) async fn batch(
    page: &Page,
    client: &Client,
    settings: &Settings,
    limit: Option<usize>,
    ticket: &Ticket,
    label: Option<&str>,
) -> Result<Option<Report>, JsValue> {
    let n = settings.count;
    let items = ready_page(page, n, limit, label)?;
    let plan = Plan::new(settings, ticket.key());
    if plan.dedupe {
        page.start_dedupe(&plan.key, n);
    } else {
        page.hide_dedupe();
    }
    let start = now_ms();
    let outcomes = fetch_all(
        page,
        client,
        &plan,
        &items,
        limit,
        settings.fail_fast,
        ticket,
    )
    .await;
    let end = now_ms();
    if !ticket.is_current() {
        return Ok(None);
    }

    show_cancelled(&outcomes, &items);
    let (report, rows) = tally(&outcomes, start, end, ticket.stopped());
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

/// Readies the page for a batch of `n` posts: the list's placeholders
/// (returned), no waterfall yet, the progress bar at 0 and the status line.
fn ready_page(
    page: &Page,
    n: u32,
    limit: Option<usize>,
    label: Option<&str>,
) -> Result<Vec<Element>, JsValue> {
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
    Ok(items)
}

/// Fetches every post of `plan` through `gather`, each shown in its list
/// item as it arrives and counted on the progress bar, while `ticket` is
/// current. (A plain `fn` handing back `gather`'s future: an `async fn`
/// would wrap it in a state machine of its own.)
fn fetch_all<'a>(
    page: &'a Page,
    client: &'a Client,
    plan: &'a Plan,
    items: &'a [Element],
    limit: Option<usize>,
    fail_fast: bool,
    ticket: &'a Ticket,
) -> LocalBoxFuture<'a, Vec<Outcome<Fetched, Error>>> {
    let n = items.len() as u32;
    let (signal, switch) = (&ticket.signal, &ticket.switch);
    gather((1..=n).map(move |id| async move {
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
    .fail_fast(fail_fast)
    .on_progress(|p| {
        if ticket.is_current() {
            page.set_progress(p.done);
        }
    })
    .detailed()
}

/// Cancelled inputs never ran their own rendering; shows them now.
fn show_cancelled(outcomes: &[Outcome<Fetched, Error>], items: &[Element]) {
    for o in outcomes {
        if let (Err(e), Some(li)) = (&o.result, items.get(o.index)) {
            if e.is_cancelled() {
                show_item(li, o.index as u32 + 1, &o.result, o.started_ms.is_some());
            }
        }
    }
}

/// What the batch came to, and its waterfall's rows (times in ms since
/// `start`).
fn tally(
    outcomes: &[Outcome<Fetched, Error>],
    start: f64,
    end: f64,
    stopped: bool,
) -> (Report, Vec<Row>) {
    let mut report = Report {
        secs: (end - start) / 1000.0,
        stopped,
        ..Report::default()
    };
    let rows = outcomes.iter().map(|o| report.add(o, start)).collect();
    (report, rows)
}

impl Report {
    /// Counts one request in, and gives back its row of the waterfall.
    fn add(&mut self, o: &Outcome<Fetched, Error>, start: f64) -> Row {
        let (attempts, retried_until, detail) = match &o.result {
            Ok(f) => {
                self.ok += 1;
                if f.attempts > 1 {
                    self.retried += 1;
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
                    self.cancelled += 1;
                } else if e.is_aborted() {
                    self.stopped_count += 1;
                } else {
                    self.failed += 1;
                }
                (e.attempts(), None, reason(e, o.started_ms.is_some()))
            }
        };
        Row {
            id: o.index as u32 + 1,
            start: o.started_ms.map(|t| t - start),
            end: o.ended_ms - start,
            ending: ending(&o.result),
            attempts,
            retried_until,
            detail,
        }
    }
}
