//! A FIFO async semaphore, the client's connection limits (on one
//! thread on wasm, behind a mutex natively).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::sync::{Lock, Shared};

#[derive(Debug)]
struct State {
    permits: usize,
    next_id: u64,
    waiters: VecDeque<(u64, Option<Waker>)>,
}

/// A FIFO semaphore.
#[derive(Clone, Debug)]
pub(crate) struct Semaphore(Shared<Lock<State>>);

impl Semaphore {
    pub(crate) fn new(permits: usize) -> Semaphore {
        Semaphore(Shared::new(Lock::new(State {
            permits,
            next_id: 0,
            waiters: VecDeque::new(),
        })))
    }

    /// Waits for a permit, first come first served.
    pub(crate) fn acquire(&self) -> Acquire {
        Acquire {
            sem: self.clone(),
            id: None,
        }
    }

    #[cfg(test)]
    pub(crate) fn available(&self) -> usize {
        self.0.lock().permits
    }
}

/// Held while a request runs; dropping it frees the permit.
#[derive(Debug)]
pub(crate) struct Permit {
    sem: Semaphore,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut s = self.sem.0.lock();
        s.permits += 1;
        if let Some((_, Some(w))) = s.waiters.front_mut().map(|(i, w)| (*i, w.take())) {
            w.wake();
        }
    }
}

/// The future of [`Semaphore::acquire`].
#[derive(Debug)]
pub(crate) struct Acquire {
    sem: Semaphore,
    id: Option<u64>,
}

impl Future for Acquire {
    type Output = Permit;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit> {
        let sem = self.sem.clone();
        let mut s = sem.0.lock();
        let first = match self.id {
            None => s.waiters.is_empty(),
            Some(id) => s.waiters.front().map(|(i, _)| *i) == Some(id),
        };
        if first && s.permits > 0 {
            s.permits -= 1;
            if self.id.take().is_some() {
                s.waiters.pop_front();
            }
            // The next waiter may be able to go too.
            if s.permits > 0 {
                if let Some((_, Some(w))) = s.waiters.front_mut().map(|(i, w)| (*i, w.take())) {
                    w.wake();
                }
            }
            return Poll::Ready(Permit {
                sem: self.sem.clone(),
            });
        }
        match self.id {
            Some(id) => {
                if let Some(slot) = s.waiters.iter_mut().find(|(i, _)| *i == id) {
                    slot.1 = Some(cx.waker().clone());
                }
            }
            None => {
                let id = s.next_id;
                s.next_id += 1;
                s.waiters.push_back((id, Some(cx.waker().clone())));
                drop(s);
                self.id = Some(id);
            }
        }
        Poll::Pending
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            let mut s = self.sem.0.lock();
            let was_first = s.waiters.front().map(|(i, _)| *i) == Some(id);
            s.waiters.retain(|(i, _)| *i != id);
            if was_first && s.permits > 0 {
                if let Some((_, Some(w))) = s.waiters.front_mut().map(|(i, w)| (*i, w.take())) {
                    w.wake();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::task::noop_waker;

    fn poll<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        let waker = noop_waker();
        Pin::new(f).poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn limits_and_frees_in_order() {
        let sem = Semaphore::new(2);
        let mut a = sem.acquire();
        let mut b = sem.acquire();
        let mut c = sem.acquire();
        let mut d = sem.acquire();
        let pa = match poll(&mut a) {
            Poll::Ready(p) => p,
            _ => panic!("a should get a permit"),
        };
        let _pb = match poll(&mut b) {
            Poll::Ready(p) => p,
            _ => panic!("b should get a permit"),
        };
        assert!(poll(&mut c).is_pending());
        assert!(poll(&mut d).is_pending());
        assert_eq!(sem.available(), 0);
        drop(pa);
        // d polls first but c queued first: FIFO.
        assert!(poll(&mut d).is_pending());
        assert!(poll(&mut c).is_ready());
    }

    #[test]
    fn dropping_a_waiter_passes_the_turn_on() {
        let sem = Semaphore::new(1);
        let mut a = sem.acquire();
        let pa = match poll(&mut a) {
            Poll::Ready(p) => p,
            _ => unreachable!(),
        };
        let mut b = sem.acquire();
        let mut c = sem.acquire();
        assert!(poll(&mut b).is_pending());
        assert!(poll(&mut c).is_pending());
        drop(b);
        drop(pa);
        assert!(poll(&mut c).is_ready());
        assert_eq!(sem.available(), 1);
    }
}
