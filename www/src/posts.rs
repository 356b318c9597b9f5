//! The posts a batch fetches: JSONPlaceholder's, which fanout's dev server
//! (`server/`) serves too, at `posts/{id}`; which URL each is fetched from
//! ([`Plan`], with the injected failures), fetching one ([`fetch_one`],
//! [`fetch_twice`]) and how each fetch ended ([`Ending`], [`reason`]).

use std::fmt::Write as _;
use std::pin::pin;

use futures_util::future::{join, select, Either};
use wasm_bindgen::JsValue;
use web_sys::AbortSignal;

use fanout::{Client, Error};

use crate::dom;
use crate::settings::Settings;
use crate::switch::Switch;

/// A post as JSONPlaceholder (and fanout's dev server) serves it.
///
/// The page shows only the title, but every field must be there: a wrong
/// API URL that answers some other JSON fails as a decode error rather than
/// listing empty titles.
#[derive(Debug)]
#[allow(dead_code)] // `user_id`, `id` and `body` are only checked, never read.
pub(crate) struct Post {
    /// The author's user id.
    pub user_id: u64,
    /// The post id.
    pub id: u64,
    /// The title.
    pub title: String,
    /// The text.
    pub body: String,
}

impl Post {
    /// A post from its JSON object (`userId`, `id`, `title`, `body`).
    fn read(value: &JsValue) -> Result<Post, String> {
        Ok(Post {
            user_id: dom::count(&dom::field(value, "userId"), "userId")?,
            id: dom::count(&dom::field(value, "id"), "id")?,
            title: dom::string_field(value, "title")?,
            body: dom::string_field(value, "body")?,
        })
    }
}

/// Which URL each post is fetched from: the real post, or an injected
/// failure (`status/503`, or with retries on a `flaky` endpoint that fails
/// once before the post itself is fetched).
pub(crate) struct Plan {
    delay_ms: u32,
    retries: bool,
    /// Every post asked for twice at once; the post URLs carry `?tag=key`
    /// so that the server counts them apart (`/stats?tag=key`).
    pub(crate) dedupe: bool,
    failing: Vec<bool>,
    pub(crate) key: String,
}

impl Plan {
    pub(crate) fn new(settings: &Settings, key: String) -> Plan {
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
    pub(crate) fn urls(&self, id: u32) -> (Option<String>, String) {
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
pub(crate) struct Fetched {
    pub(crate) title: String,
    /// Attempts it took (more than 1 if a retry rescued it).
    pub(crate) attempts: u32,
    /// When the attempt that succeeded started, if there were earlier ones.
    pub(crate) retried_until: Option<f64>,
}

/// Fetches one post (after its gate, if any). `signal` aborts it; without
/// one, only dropping the future does.
pub(crate) async fn fetch_one(
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
    let post = dom::read_json(resp, Post::read).await?;
    Ok(Fetched {
        title: post.title,
        attempts,
        retried_until,
    })
}

/// Asks for one post twice at once, through the deduplicating client: the
/// two identical GETs share one fetch. They carry no signal (a deduplicated
/// request must not: its signal would abort the other caller's fetch), so
/// [`crate::stop`] drops them instead, which aborts the shared fetch once both are
/// gone.
pub(crate) async fn fetch_twice(
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

/// How one request ended, as the list and the waterfall colour it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    Ok,
    Failed,
    Cancelled,
}

impl Ending {
    pub(crate) fn class(self) -> &'static str {
        match self {
            Ending::Ok => "ok",
            Ending::Failed => "failed",
            Ending::Cancelled => "cancelled",
        }
    }
}

pub(crate) fn ending(result: &Result<Fetched, Error>) -> Ending {
    match result {
        Ok(_) => Ending::Ok,
        Err(e) if e.is_aborted() => Ending::Cancelled,
        Err(_) => Ending::Failed,
    }
}

/// Why a post failed, as the list shows it after "post N: ". `sent` says
/// whether the request had started (for a cancelled one).
pub(crate) fn reason(e: &Error, sent: bool) -> String {
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
