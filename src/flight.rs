//! A single flight: one future whose result many callers await, driven by
//! whichever of them is polled (no task is spawned), and dropped (so its
//! work cancelled) only when the last caller has gone. Behind
//! [`ClientBuilder::dedupe`](crate::ClientBuilder::dedupe) and the token
//! refresh of [`auth::Refresh`](crate::auth::Refresh).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::sync::{BoxFuture, Lock, MaybeSend, Shared};
use crate::wakers::Wakers;

/// The flight's state, shared by its callers.
struct Inner<T> {
    work: Lock<Option<BoxFuture<'static, T>>>,
    result: Lock<Option<T>>,
    wakers: Arc<Wakers>,
}

/// A caller's handle on a flight: a future of the flight's result.
pub(crate) struct Flight<T: Clone> {
    inner: Shared<Inner<T>>,
}

impl<T: Clone + 'static> Flight<T> {
    /// Starts a flight of `work` (nothing runs until a caller polls).
    pub(crate) fn new(work: impl Future<Output = T> + MaybeSend + 'static) -> Flight<T> {
        Flight {
            inner: Shared::new(Inner {
                work: Lock::new(Some(Box::pin(work))),
                result: Lock::new(None),
                wakers: Arc::new(Wakers::default()),
            }),
        }
    }

    /// A handle that does not keep the flight alive: for a table of flights
    /// that new callers join.
    pub(crate) fn downgrade(&self) -> WeakFlight<T> {
        WeakFlight(Shared::downgrade(&self.inner))
    }

    /// Whether the result is in (a finished flight is not joined again).
    pub(crate) fn is_done(&self) -> bool {
        self.inner.result.lock().is_some()
    }
}

impl<T: Clone> Clone for Flight<T> {
    fn clone(&self) -> Flight<T> {
        Flight {
            inner: self.inner.clone(),
        }
    }
}

impl<T: Clone> Future for Flight<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let inner = &self.inner;
        if let Some(r) = inner.result.lock().as_ref() {
            return Poll::Ready(r.clone());
        }
        inner.wakers.register(cx.waker());
        let Some(mut slot) = inner.work.try_lock() else {
            // Polled from inside the work itself: it will wake us.
            return Poll::Pending;
        };
        let Some(work) = slot.as_mut() else {
            return Poll::Pending;
        };
        let waker = Waker::from(inner.wakers.clone());
        match work.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(r) => {
                *slot = None;
                drop(slot);
                *inner.result.lock() = Some(r.clone());
                inner.wakers.wake_by_ref();
                Poll::Ready(r)
            }
        }
    }
}

/// A flight that new callers may still join, if any caller is left.
pub(crate) struct WeakFlight<T>(crate::sync::WeakShared<Inner<T>>);

impl<T: Clone> WeakFlight<T> {
    /// A new caller's handle, unless every caller has gone (and so the
    /// work was dropped).
    pub(crate) fn join(&self) -> Option<Flight<T>> {
        self.0.upgrade().map(|inner| Flight { inner })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};

    /// Ready on the second poll, counting its polls and drops.
    struct Work {
        polls: Arc<AtomicU32>,
        dropped: Arc<AtomicBool>,
    }

    impl Future for Work {
        type Output = u32;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            let n = self.polls.fetch_add(1, SeqCst) + 1;
            if n < 2 {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(7)
            }
        }
    }

    impl Drop for Work {
        fn drop(&mut self) {
            self.dropped.store(true, SeqCst);
        }
    }

    fn work() -> (Work, Arc<AtomicU32>, Arc<AtomicBool>) {
        let (polls, dropped) = (
            Arc::new(AtomicU32::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let w = Work {
            polls: polls.clone(),
            dropped: dropped.clone(),
        };
        (w, polls, dropped)
    }

    #[test]
    fn many_callers_one_run() {
        let (w, polls, _) = work();
        let a = Flight::new(w);
        let b = a.downgrade().join().unwrap();
        let c = a.clone();
        let all = futures_util::future::join3(a, b, c);
        assert_eq!(futures::executor::block_on(all), (7, 7, 7));
        assert_eq!(polls.load(SeqCst), 2, "the work ran once");
    }

    #[test]
    fn a_caller_gone_leaves_the_work_to_the_others() {
        let (w, _, dropped) = work();
        let mut a = Flight::new(w);
        let b = a.clone();
        assert!((&mut a).now_or_never().is_none());
        drop(a);
        assert!(!dropped.load(SeqCst));
        assert_eq!(futures::executor::block_on(b), 7);
    }

    #[test]
    fn the_last_caller_gone_drops_the_work() {
        let (w, _, dropped) = work();
        let mut a = Flight::new(w);
        let weak = a.downgrade();
        assert!((&mut a).now_or_never().is_none());
        let b = weak.join().unwrap();
        drop(a);
        assert!(!dropped.load(SeqCst));
        drop(b);
        assert!(dropped.load(SeqCst));
        assert!(weak.join().is_none());
    }
}
