//! WebSocket routes: `/ws/echo` (echoes every message, text and binary),
//! `/ws/ticker` (numbered messages) and `/ws/refuse` (refuses the upgrade
//! with 403), with the faults a reconnecting client must survive: a
//! connection dropped after N messages, every K milliseconds, after N
//! messages received, or when the client sends `!drop`. `/stats` counts
//! connections and messages (its `ws` object, per tag too).
//!
//! Parameters (all optional):
//! - `tag=T`: the statistics tag; a ticker's numbering continues across
//!   the connections of one tag;
//! - `tick_ms=I` (ticker default 100, echo default none): a numbered
//!   message `{"n":N}` every `I` ms; `count=N` (ticker): close with 1000
//!   after the N-th;
//! - `drop_after=N`: drop the connection (no close frame: the client sees
//!   1006) after sending N numbered messages on it;
//! - `drop_every_ms=K`: drop it K ms after it opens;
//! - `drop_after_in=N`: drop the tag's first connection once it has
//!   received N messages (what it has not read yet is lost with it);
//! - `close=CODE&reason=R`: close with that code once the connection is
//!   open (after `close_after` messages received, default 0).
//!
//! Messages from the client (echo): `!drop` drops the connection at once;
//! `!close CODE REASON` closes it with that code and reason. Anything
//! else is echoed and counted; a message `ID:...` (an ID of up to 32
//! bytes before the colon) is also counted as `unique` or `duplicates` for
//! the tag, so a test can see that nothing arrived twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::util::{json as json_response, pair_u64, pair_value, query_pairs};
use crate::AppState;

/// Longest `tick_ms`, `drop_every_ms`.
const MAX_MS: u64 = 60_000;

/// The counters of one tag (or of everything).
#[derive(Debug, Default)]
struct Counters {
    connections: u64,
    open: u64,
    messages_in: u64,
    messages_out: u64,
    bytes_in: u64,
    drops: u64,
    unique: u64,
    duplicates: u64,
    /// Close codes the clients sent.
    close_codes: Vec<u16>,
    /// The last numbered message sent (a ticker's numbering continues).
    ticks: u64,
    seen: HashSet<String>,
}

impl Counters {
    fn to_json(&self) -> Value {
        json!({
            "connections": self.connections,
            "open": self.open,
            "messages_in": self.messages_in,
            "messages_out": self.messages_out,
            "bytes_in": self.bytes_in,
            "drops": self.drops,
            "unique": self.unique,
            "duplicates": self.duplicates,
            "close_codes": self.close_codes,
        })
    }
}

#[derive(Debug, Default)]
struct Inner {
    global: Counters,
    tags: HashMap<String, Counters>,
}

/// The WebSocket statistics of one app.
#[derive(Debug, Default)]
pub(crate) struct WsStats(Mutex<Inner>);

impl WsStats {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies `f` to the global counters and to the tag's.
    fn each(&self, tag: Option<&str>, mut f: impl FnMut(&mut Counters)) {
        let mut inner = self.lock();
        f(&mut inner.global);
        if let Some(tag) = tag {
            f(inner.tags.entry(tag.to_owned()).or_default());
        }
    }

    /// The `ws` object of `GET /stats`.
    pub(crate) fn snapshot(&self) -> Value {
        let inner = self.lock();
        let mut v = inner.global.to_json();
        let tags: BTreeMap<&str, Value> = inner
            .tags
            .iter()
            .map(|(t, c)| (t.as_str(), c.to_json()))
            .collect();
        v["tags"] = json!(tags);
        v
    }

    /// The `ws` object of `GET /stats?tag=T`.
    pub(crate) fn tag_snapshot(&self, tag: &str) -> Value {
        match self.lock().tags.get(tag) {
            Some(c) => c.to_json(),
            None => Counters::default().to_json(),
        }
    }

    /// Clears everything (open gauges included: a test resets between
    /// its own connections).
    pub(crate) fn reset(&self, tag: Option<&str>) {
        let mut inner = self.lock();
        match tag {
            Some(t) => {
                inner.tags.remove(t);
            }
            None => *inner = Inner::default(),
        }
    }
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ws/echo", get(echo))
        .route("/ws/ticker", get(ticker))
        .route("/ws/refuse", get(refuse))
}

/// What one connection was asked to do.
#[derive(Debug, Clone)]
struct Plan {
    tag: Option<String>,
    echo: bool,
    tick: Option<Duration>,
    count: Option<u64>,
    drop_after: Option<u64>,
    drop_every: Option<Duration>,
    drop_after_in: Option<u64>,
    close: Option<(u16, String)>,
    close_after: u64,
}

impl Plan {
    fn new(uri: &Uri, echo: bool) -> Plan {
        let pairs = query_pairs(uri);
        let ms = |name: &str| pair_u64(&pairs, name).map(|v| Duration::from_millis(v.min(MAX_MS)));
        let tick = match ms("tick_ms") {
            Some(d) if d.is_zero() => None,
            Some(d) => Some(d),
            None if echo => None,
            None => Some(Duration::from_millis(100)),
        };
        Plan {
            tag: pair_value(&pairs, "tag").map(str::to_owned),
            echo,
            tick,
            count: pair_u64(&pairs, "count"),
            drop_after: pair_u64(&pairs, "drop_after"),
            drop_every: ms("drop_every_ms").filter(|d| !d.is_zero()),
            drop_after_in: pair_u64(&pairs, "drop_after_in"),
            close: pair_u64(&pairs, "close").map(|c| {
                (
                    c.min(u64::from(u16::MAX)) as u16,
                    pair_value(&pairs, "reason").unwrap_or("").to_owned(),
                )
            }),
            close_after: pair_u64(&pairs, "close_after").unwrap_or(0),
        }
    }
}

/// `GET /ws/echo`.
async fn echo(State(state): State<AppState>, uri: Uri, ws: WebSocketUpgrade) -> Response {
    let plan = Plan::new(&uri, true);
    ws.on_upgrade(move |socket| session(state, plan, socket))
}

/// `GET /ws/ticker`.
async fn ticker(State(state): State<AppState>, uri: Uri, ws: WebSocketUpgrade) -> Response {
    let plan = Plan::new(&uri, false);
    ws.on_upgrade(move |socket| session(state, plan, socket))
}

/// `GET /ws/refuse`: 403 instead of the upgrade.
async fn refuse() -> Response {
    json_response(
        StatusCode::FORBIDDEN,
        &json!({ "error": "fanout-devserver: /ws/refuse refuses every upgrade" }),
    )
    .into_response()
}

/// How a session ended on the server's side.
enum End {
    /// Dropped without a close frame.
    Drop,
    /// Closed with this frame.
    Close(u16, String),
    /// The client closed, or went away.
    Gone,
}

/// The id of a message `ID:...`, if it has one.
fn message_id(text: &[u8]) -> Option<&[u8]> {
    let colon = text.iter().take(33).position(|&b| b == b':')?;
    (colon > 0).then(|| &text[..colon])
}

async fn session(state: AppState, plan: Plan, mut socket: WebSocket) {
    let stats = &state.ws;
    let tag = plan.tag.as_deref();
    let mut first = false;
    stats.each(tag, |c| {
        c.connections += 1;
        c.open += 1;
    });
    if let Some(t) = tag {
        first = stats.lock().tags.get(t).is_some_and(|c| c.connections == 1);
    }
    let end = run(stats, &plan, first, &mut socket).await;
    match end {
        End::Drop => {
            stats.each(tag, |c| c.drops += 1);
            drop(socket);
        }
        End::Close(code, reason) => {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            let _ = socket.send(Message::Close(Some(frame))).await;
            // Reads on until the client's answer ends the handshake.
            while let Some(Ok(_)) = socket.recv().await {}
        }
        End::Gone => while let Some(Ok(_)) = socket.recv().await {},
    }
    stats.each(tag, |c| c.open = c.open.saturating_sub(1));
}

/// A text message that tells the server to end the connection: `!drop`
/// (without a close) or `!close CODE REASON`.
fn command(bytes: &[u8]) -> Option<End> {
    if bytes == b"!drop" {
        return Some(End::Drop);
    }
    let rest = bytes.strip_prefix(b"!close ")?;
    let rest = String::from_utf8_lossy(rest).into_owned();
    let (code, reason) = rest.split_once(' ').unwrap_or((&rest, ""));
    Some(End::Close(
        code.trim().parse().unwrap_or(1000),
        reason.to_owned(),
    ))
}

/// Counts a message the client sent: messages and bytes in, and for a
/// tagged socket whether its id (`message_id`) was seen before.
fn count_in(stats: &WsStats, tag: Option<&str>, bytes: &[u8]) {
    let id = message_id(bytes).map(|id| String::from_utf8_lossy(id).into_owned());
    stats.each(tag, |c| {
        c.messages_in += 1;
        c.bytes_in += bytes.len() as u64;
    });
    if let (Some(id), Some(t)) = (id, tag) {
        let mut inner = stats.lock();
        let c = inner.tags.entry(t.to_owned()).or_default();
        if c.seen.insert(id) {
            c.unique += 1;
        } else {
            c.duplicates += 1;
        }
    }
}

async fn run(stats: &WsStats, plan: &Plan, first: bool, socket: &mut WebSocket) -> End {
    let tag = plan.tag.as_deref();
    let mut sent_here = 0u64;
    let mut received = 0u64;
    let started = tokio::time::Instant::now();
    let mut next_tick = plan.tick.map(|d| started + d);
    if plan.close_after == 0 {
        if let Some((code, reason)) = &plan.close {
            return End::Close(*code, reason.clone());
        }
    }
    loop {
        let drop_at = plan.drop_every.map(|d| started + d);
        let far = started + Duration::from_secs(24 * 3600);
        tokio::select! {
            _ = tokio::time::sleep_until(next_tick.unwrap_or(far)), if next_tick.is_some() => {
                if plan.drop_after.is_some_and(|n| sent_here >= n) {
                    return End::Drop;
                }
                let mut n = 0;
                // The tag's numbering (the last counters `each` visits).
                stats.each(tag, |c| {
                    c.ticks += 1;
                    n = c.ticks;
                    c.messages_out += 1;
                });
                if tag.is_none() {
                    n = sent_here + 1;
                }
                if socket.send(Message::Text(json!({ "n": n }).to_string().into())).await.is_err() {
                    return End::Gone;
                }
                sent_here += 1;
                if plan.count.is_some_and(|c| sent_here >= c) {
                    return End::Close(1000, "done".into());
                }
                next_tick = plan.tick.map(|d| tokio::time::Instant::now() + d);
            }
            _ = tokio::time::sleep_until(drop_at.unwrap_or(far)), if drop_at.is_some() => {
                return End::Drop;
            }
            msg = socket.recv() => {
                let msg = match msg {
                    Some(Ok(m)) => m,
                    _ => return End::Gone,
                };
                let (bytes, is_text) = match &msg {
                    Message::Text(t) => (t.as_bytes().to_vec(), true),
                    Message::Binary(b) => (b.to_vec(), false),
                    Message::Close(frame) => {
                        let code = frame.as_ref().map_or(1005, |f| f.code);
                        stats.each(tag, |c| c.close_codes.push(code));
                        return End::Gone;
                    }
                    _ => continue,
                };
                if let Some(end) = is_text.then(|| command(&bytes)).flatten() {
                    return end;
                }
                received += 1;
                count_in(stats, tag, &bytes);
                if plan.echo {
                    stats.each(tag, |c| c.messages_out += 1);
                    if socket.send(msg).await.is_err() {
                        return End::Gone;
                    }
                }
                if first && plan.drop_after_in.is_some_and(|n| received >= n) {
                    return End::Drop;
                }
                if received == plan.close_after {
                    if let Some((code, reason)) = &plan.close {
                        return End::Close(*code, reason.clone());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_part_before_a_near_colon() {
        assert_eq!(message_id(b"12:hello"), Some(&b"12"[..]));
        assert_eq!(message_id(b":x"), None);
        assert_eq!(message_id(b"no colon"), None);
        assert_eq!(message_id(&[b'a'; 40]), None);
    }
}
