//! The one delivery task of an outbox: waits to be woken (a send, a
//! flush, the `online` event, a retry's timer), takes the outbox's lock
//! (a Web Lock in browsers), and delivers the stored entries one at a
//! time, in id order, until the queue is empty or an attempt must wait.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_util::future::{select, Either};

use crate::request::Request;
use crate::response::Response;
use crate::sync::{Lock, Shared, WeakShared};
use crate::sys;

use super::entry::OutboxEvent;
use super::error::{OutboxError, Reason};
use super::record::{EntryState, Record};
use super::rules::{may_retry, verdict, Outcome, Verdict};
use super::Inner;

/// How the outbox tells its task to run, and how `flush` waits.
#[derive(Default)]
pub(crate) struct Notify(Lock<NotifyState>);

#[derive(Default)]
struct NotifyState {
    woken: bool,
    closed: bool,
    driver: Option<Waker>,
    started: u64,
    done: u64,
    flushers: Vec<Waker>,
}

impl Notify {
    /// Asks the task for a round of delivery.
    pub(crate) fn wake(&self) {
        let w = {
            let mut s = self.0.lock();
            s.woken = true;
            s.driver.take()
        };
        if let Some(w) = w {
            w.wake();
        }
    }

    /// The outbox is gone: the task ends, flushes return.
    pub(crate) fn close(&self) {
        let (w, flushers) = {
            let mut s = self.0.lock();
            s.closed = true;
            (s.driver.take(), std::mem::take(&mut s.flushers))
        };
        w.into_iter().chain(flushers).for_each(Waker::wake);
    }

    fn closed(&self) -> bool {
        self.0.lock().closed
    }

    fn start_round(&self) {
        let mut s = self.0.lock();
        s.woken = false;
        s.started += 1;
    }

    fn end_round(&self) {
        let flushers = {
            let mut s = self.0.lock();
            s.done = s.started;
            std::mem::take(&mut s.flushers)
        };
        flushers.into_iter().for_each(Waker::wake);
    }

    /// Wakes the task and resolves when the round after this call ends.
    pub(crate) fn flush(self: &Shared<Self>) -> Flush {
        let target = self.0.lock().started + 1;
        self.wake();
        Flush {
            notify: self.clone(),
            target,
        }
    }
}

/// The future of `Outbox::flush`.
pub(crate) struct Flush {
    notify: Shared<Notify>,
    target: u64,
}

impl Future for Flush {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.notify.0.lock();
        if s.closed || s.done >= self.target {
            return Poll::Ready(());
        }
        s.flushers.push(cx.waker().clone());
        Poll::Pending
    }
}

/// Resolves when the task is woken or the outbox closed.
struct Woken<'a>(&'a Notify);

impl Future for Woken<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.0 .0.lock();
        if s.woken || s.closed {
            return Poll::Ready(());
        }
        s.driver = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Resolves when the outbox is closed (its last handle dropped).
struct Closed<'a>(&'a Notify);

impl Future for Closed<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.0 .0.lock();
        if s.closed {
            return Poll::Ready(());
        }
        s.driver = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Spawns the outbox's task (and, in browsers, its `online` listener).
pub(crate) fn start(inner: &Shared<Inner>) -> Result<(), OutboxError> {
    let weak = Shared::downgrade(inner);
    let notify = inner.notify.clone();
    #[cfg(target_arch = "wasm32")]
    {
        let n = notify.clone();
        if let Some(listener) = sys::OnlineListener::new(Box::new(move || n.wake())) {
            let _ = inner.online.set(listener);
        }
    }
    notify.wake();
    sys::spawn(drive(weak, notify)).map_err(|e| OutboxError::new(Reason::Unsupported, e))
}

/// The task: one round of delivery each time it is woken.
async fn drive(weak: WeakShared<Inner>, notify: Shared<Notify>) {
    let name = match weak.upgrade() {
        Some(inner) => format!("fanout-outbox:{}", inner.name),
        None => return,
    };
    let mut wait: Option<Duration> = None;
    loop {
        let woken = Woken(&notify);
        match wait {
            Some(d) => {
                let woken = std::pin::pin!(woken);
                let _ = select(woken, sys::sleep(d)).await;
            }
            None => woken.await,
        }
        if notify.closed() {
            return;
        }
        let Some(inner) = weak.upgrade() else { return };
        notify.start_round();
        // Held (in browsers, a Web Lock) until the round ends.
        // A round ends early when the outbox is closed: the attempt in
        // flight is dropped (aborted), its entry stays stored.
        let round = async {
            #[allow(clippy::let_unit_value, dropping_copy_types)]
            {
                let guard = sys::outbox_lock(&name).await;
                let wait = deliver(&inner).await;
                drop(guard);
                wait
            }
        };
        match select(std::pin::pin!(round), Closed(&notify)).await {
            Either::Left((w, _)) => wait = w,
            Either::Right(_) => return,
        }
        notify.end_round();
        drop(inner);
    }
}

/// Delivers entries in order until none is pending (`None`) or one
/// must wait (`Some(delay)`).
async fn deliver(inner: &Inner) -> Option<Duration> {
    let store_retry = Duration::from_secs(5);
    loop {
        let records = match inner.store.load().await {
            Ok(r) => r,
            Err(_) => return Some(store_retry),
        };
        settle_gone(inner, &records);
        let mut record = records
            .into_iter()
            .find(|r| r.state == EntryState::Pending)?;
        record.attempts += 1;
        if inner.store.put(record.clone()).await.is_err() {
            return Some(store_retry);
        }
        let id = record.id;
        inner.emit(OutboxEvent::Attempt {
            id,
            attempt: record.attempts,
        });
        let result = match request_of(&record) {
            Ok(req) => inner.client.execute(req).await,
            Err(e) => Err(e),
        };
        let retry_after = result
            .as_ref()
            .ok()
            .and_then(|r| r.headers().get("retry-after"));
        let outcome = match &result {
            Ok(r) => Outcome::Status(r.status(), retry_after.as_deref()),
            Err(e) if e.is_network() || e.is_timeout() || e.is_aborted() || e.is_cancelled() => {
                Outcome::Network
            }
            Err(_) => Outcome::Broken,
        };
        let status = result.as_ref().ok().map(Response::status);
        match verdict(outcome, sys::epoch_ms()) {
            Verdict::Delivered => {
                if inner.store.delete(id).await.is_err() {
                    // Not removed: the next round sends it again, and its
                    // key has the server answer as it did the first time.
                    return Some(store_retry);
                }
                inner.emit(OutboxEvent::Delivered {
                    id,
                    status: status.unwrap_or(0),
                });
                inner.settle(id, result.map_err(|e| gave_up(e, "")));
            }
            Verdict::Failed => {
                let reason = match &result {
                    Ok(r) => format!("final status {}", r.status()),
                    Err(e) => e.to_string(),
                };
                fail(inner, record, status, reason.clone()).await;
                inner.settle(id, result.map_err(|e| gave_up(e, &reason)));
            }
            Verdict::Retry(retry_after) => {
                if !may_retry(inner.config.max_attempts, record.attempts) {
                    give_up(inner, record, status, result).await;
                    continue;
                }
                let delay = inner.config.backoff.delay(record.attempts, retry_after);
                inner.emit(OutboxEvent::Retrying { id, status, delay });
                return Some(delay);
            }
        }
    }
}

/// The attempt cap is reached: `record` is kept as failed and its handle
/// gets an `OutboxError` (`Reason::GaveUp`) with the last outcome.
async fn give_up(
    inner: &Inner,
    record: Record,
    status: Option<u16>,
    result: Result<Response, crate::Error>,
) {
    let id = record.id;
    let reason = format!(
        "gave up after {} attempts ({})",
        record.attempts,
        match &result {
            Ok(r) => format!("status {}", r.status()),
            Err(e) => e.to_string(),
        }
    );
    fail(inner, record, status, reason.clone()).await;
    let e = OutboxError::new(Reason::GaveUp, reason);
    inner.settle(
        id,
        Err(match result {
            Err(err) => e.with_source(err),
            Ok(_) => e,
        }),
    );
}

/// Keeps `record` as failed, and says so.
async fn fail(inner: &Inner, mut record: Record, status: Option<u16>, reason: String) {
    let id = record.id;
    record.state = EntryState::Failed {
        status,
        reason: reason.clone(),
    };
    // If this write fails the entry stays pending and is tried again:
    // nothing is lost.
    let _ = inner.store.put(record).await;
    inner.emit(OutboxEvent::Failed { id, status, reason });
}

fn gave_up(e: crate::error::Error, reason: &str) -> OutboxError {
    OutboxError::new(Reason::GaveUp, format!("{reason}: {e}")).with_source(e)
}

/// Ends the handles whose entries left the store elsewhere (another tab
/// delivered or removed them).
fn settle_gone(inner: &Inner, records: &[Record]) {
    let gone: Vec<u64> = {
        let state = inner.state.lock();
        state
            .slots
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !records.iter().any(|r| r.id == *id))
            .collect()
    };
    for id in gone {
        inner.settle(
            id,
            Err(OutboxError::new(
                Reason::Gone,
                "delivered or removed by another outbox on the same store (another tab)",
            )),
        );
    }
}

/// The request a record stands for: one attempt (the outbox retries),
/// its status never an error (the outbox reads it).
fn request_of(record: &Record) -> Result<Request, crate::error::Error> {
    let method: crate::method::Method = record
        .method
        .parse()
        .map_err(|_| crate::error::Error::builder(format!("bad method {:?}", record.method)))?;
    let mut req = Request::new(method, record.url.clone());
    for (name, value) in &record.headers {
        req.append_header(name.clone(), value.clone())?;
    }
    req.set_body(record.body.clone().map(Into::into));
    let options = req.options_mut();
    options.retry = Some(crate::retry::Retry::none());
    options.error_for_status = Some(false);
    Ok(req)
}
