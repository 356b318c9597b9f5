//! Many requests at once: `asyncio.gather(..., return_exceptions=True)` for
//! Rust futures on the single-threaded JS event loop.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::error::{CancelCause, Cancelled};
use crate::sync::{dyn_s, BoxFuture, MaybeSend};
use crate::sys::{self, AbortSignal};

/// What [`Gather::on_progress`] is told after each input completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// How many inputs have completed so far (including this one).
    pub done: usize,
    /// How many inputs the batch has.
    pub total: usize,
    /// The input position that just completed.
    pub index: usize,
    /// Whether it succeeded.
    pub ok: bool,
}

/// One input's result with its timing, from [`Gather::detailed`].
#[derive(Debug)]
pub struct Outcome<T, E> {
    /// The input position.
    pub index: usize,
    /// What the future returned, or `E::from(Cancelled)` if a `fail_fast`
    /// batch cancelled it.
    pub result: Result<T, E>,
    /// When it was first polled (`performance.now()` ms); `None` if never sent.
    pub started_ms: Option<f64>,
    /// When it completed or was cancelled (`performance.now()` ms).
    pub ended_ms: f64,
}

/// A batch of futures run concurrently, with results in input order.
/// Build it with [`gather`]; `.await` it for `Vec<Result<T, E>>`.
///
/// Futures are lazy: one that is not yet polled has not called `fetch`. With a
/// [`limit`](Gather::limit), at most that many are polled at a time, so 10,000
/// inputs never become 10,000 pending fetches.
#[must_use = "a Gather does nothing until it is awaited"]
pub struct Gather<'a, F> {
    futures: Box<dyn_s!(Iterator<Item = F> + 'a)>,
    total: usize,
    limit: Option<usize>,
    fail_fast: bool,
    on_progress: Option<Box<dyn_s!(FnMut(Progress) + 'a)>>,
    signal: Option<AbortSignal>,
}

/// Runs futures concurrently and returns one result per input, in input
/// order, like `asyncio.gather(..., return_exceptions=True)`: a failure is
/// kept in its place and never hides the others.
///
/// ```no_run
/// use fanout::{gather, Client, Error};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Post { title: String }
///
/// # async fn run() -> Result<(), Error> {
/// let client = Client::builder().base_url("http://127.0.0.1:8080/").build()?;
/// let titles: Vec<Result<String, Error>> = gather((1..=100).map(|id| {
///     let client = client.clone();
///     async move {
///         let post: Post = client.get(format!("posts/{id}")).send().await?.json().await?;
///         Ok(post.title)
///     }
/// }))
/// .limit(6)
/// .on_progress(|p| println!("{}/{}", p.done, p.total))
/// .await;
/// assert_eq!(titles.len(), 100);
/// # Ok(()) }
/// ```
pub fn gather<'a, I, F, T, E>(futures: I) -> Gather<'a, F>
where
    I: IntoIterator<Item = F>,
    I::IntoIter: MaybeSend + 'a,
    F: Future<Output = Result<T, E>> + MaybeSend + 'a,
    E: From<Cancelled>,
{
    // Futures are made as they are started when the iterator knows its
    // length (a range or a Vec mapped to futures): 10,000 inputs are not
    // 10,000 futures in memory at once.
    let iter = futures.into_iter();
    let (futures, total): (Box<dyn_s!(Iterator<Item = F> + 'a)>, usize) = match iter.size_hint() {
        (lo, Some(hi)) if lo == hi => (Box::new(iter), lo),
        _ => {
            let all: Vec<F> = iter.collect();
            let n = all.len();
            (Box::new(all.into_iter()), n)
        }
    };
    Gather {
        futures,
        total,
        limit: None,
        fail_fast: false,
        on_progress: None,
        signal: None,
    }
}

impl<'a, F, T, E> Gather<'a, F>
where
    F: Future<Output = Result<T, E>> + MaybeSend + 'a,
    E: From<Cancelled> + MaybeSend + 'a,
    T: MaybeSend + 'a,
{
    /// At most `n` futures in flight at once (like aiohttp's
    /// `TCPConnector(limit=n)`). `0` is treated as 1.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n.max(1));
        self
    }

    /// An optional limit; `None` means no limit.
    pub fn limit_opt(mut self, n: Option<usize>) -> Self {
        self.limit = n.map(|n| n.max(1));
        self
    }

    /// Stop at the first error: every future still in flight is dropped
    /// (which aborts its fetch), inputs not yet started are never started,
    /// and both get `E::from(Cancelled { .. })` in their place.
    pub fn fail_fast(mut self, on: bool) -> Self {
        self.fail_fast = on;
        self
    }

    /// Stop the batch when `signal` fires (at once if it already has):
    /// every future still in flight is dropped (which aborts its fetch),
    /// inputs not yet started are never started, and each gets
    /// `E::from(Cancelled { cause: CancelCause::Signal, .. })` in its place,
    /// reported to [`on_progress`](Gather::on_progress) in input order.
    /// What had completed keeps its result.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client, signal: fanout::AbortSignal) {
    /// let pages = fanout::gather((1..=50).map(|id| client.get(format!("posts/{id}")).send()))
    ///     .limit(6)
    ///     .abort_signal(&signal)
    ///     .await;
    /// # }
    /// ```
    pub fn abort_signal(mut self, signal: &AbortSignal) -> Self {
        self.signal = Some(signal.clone());
        self
    }

    /// Called after each completion, in completion order.
    pub fn on_progress(mut self, f: impl FnMut(Progress) + MaybeSend + 'a) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// Runs the batch and returns each input's result with its timing.
    pub fn detailed(self) -> BoxFuture<'a, Vec<Outcome<T, E>>> {
        Box::pin(self.run(true))
    }

    /// `timed`: read the clock as each input starts and ends (only
    /// [`detailed`](Gather::detailed) returns the times: two
    /// `performance.now()` calls a request saved otherwise).
    async fn run(self, timed: bool) -> Vec<Outcome<T, E>> {
        let now = || if timed { sys::now_ms() } else { 0.0 };
        let (total, fail_fast, mut on_progress) = (self.total, self.fail_fast, self.on_progress);
        let mut abort = self.signal.as_ref().map(sys::until_aborted);
        let limit = self.limit.unwrap_or(usize::MAX);
        let mut waiting = self.futures.enumerate();
        let mut running = FuturesUnordered::new();
        let mut started: Vec<Option<f64>> = vec![None; total];
        let mut slots: Vec<Option<Outcome<T, E>>> = (0..total).map(|_| None).collect();
        let mut done = 0;
        let mut failed = false;
        let mut aborted = false;

        // One input is started at a time and polled at once (`push` queues
        // it for the `poll_next` right after): one that ends on its first
        // poll (a bad input, an aborted batch) is freed before the next is
        // made, so a batch of many such inputs never holds them all.
        std::future::poll_fn(|cx| loop {
            if let Some(a) = abort.as_mut() {
                if Pin::new(a).poll(cx).is_ready() {
                    aborted = true;
                    return Poll::Ready(());
                }
            }
            let mut pushed = false;
            if running.len() < limit {
                if let Some((index, fut)) = waiting.next() {
                    started[index] = Some(now());
                    running.push(Indexed { index, fut });
                    pushed = true;
                }
            }
            match running.poll_next_unpin(cx) {
                Poll::Ready(Some((index, result))) => {
                    done += 1;
                    let ok = result.is_ok();
                    if let Some(f) = on_progress.as_mut() {
                        f(Progress {
                            done,
                            total,
                            index,
                            ok,
                        });
                    }
                    slots[index] = Some(Outcome {
                        index,
                        result,
                        started_ms: started[index],
                        ended_ms: now(),
                    });
                    if fail_fast && !ok {
                        failed = true;
                        return Poll::Ready(());
                    }
                }
                // Nothing running: done, unless one was just started (and
                // ended), when the next may start.
                Poll::Ready(None) if !pushed => return Poll::Ready(()),
                Poll::Pending if !pushed => return Poll::Pending,
                Poll::Ready(None) | Poll::Pending => {}
            }
        })
        .await;

        // Dropping the in-flight futures aborts their fetches.
        drop(running);
        drop(waiting);
        let cause = if aborted {
            if let Some(f) = on_progress.as_mut() {
                report_cut_short(f, &slots, done);
            }
            CancelCause::Signal
        } else {
            debug_assert!(failed || slots.iter().all(Option::is_some));
            CancelCause::Failure
        };
        with_cancelled(slots, &started, now(), cause)
    }
}

/// Reports each input an aborted batch cut short to `on_progress`, in
/// input order, counting on from the `done` that had completed.
fn report_cut_short<T>(
    on_progress: &mut dyn FnMut(Progress),
    slots: &[Option<T>],
    mut done: usize,
) {
    let total = slots.len();
    for index in (0..total).filter(|&i| slots[i].is_none()) {
        done += 1;
        on_progress(Progress {
            done,
            total,
            index,
            ok: false,
        });
    }
}

/// Each input's outcome: the one it came to, or, for an input the batch
/// cut short, [`Cancelled`] (started or not) ending at `now`.
fn with_cancelled<T, E: From<Cancelled>>(
    slots: Vec<Option<Outcome<T, E>>>,
    started: &[Option<f64>],
    now: f64,
    cause: CancelCause,
) -> Vec<Outcome<T, E>> {
    slots
        .into_iter()
        .enumerate()
        .map(|(index, slot)| {
            slot.unwrap_or_else(|| Outcome {
                index,
                result: Err(E::from(Cancelled {
                    started: started[index].is_some(),
                    cause,
                })),
                started_ms: started[index],
                ended_ms: now,
            })
        })
        .collect()
}

impl<'a, F, T, E> IntoFuture for Gather<'a, F>
where
    F: Future<Output = Result<T, E>> + MaybeSend + 'a,
    E: From<Cancelled> + MaybeSend + 'a,
    T: MaybeSend + 'a,
{
    type Output = Vec<Result<T, E>>;
    type IntoFuture = BoxFuture<'a, Vec<Result<T, E>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let outcomes = self.run(false).await;
            outcomes.into_iter().map(|o| o.result).collect()
        })
    }
}

impl<F> fmt::Debug for Gather<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("inputs", &self.total)
            .field("limit", &self.limit)
            .field("fail_fast", &self.fail_fast)
            .field("abort_signal", &self.signal.is_some())
            .finish()
    }
}

pin_project_lite::pin_project! {
    struct Indexed<F> {
        index: usize,
        #[pin]
        fut: F,
    }
}

impl<F: Future> Future for Indexed<F> {
    type Output = (usize, F::Output);
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        this.fut.poll(cx).map(|out| (*this.index, out))
    }
}

#[cfg(test)]
mod tests;
