//! [`Wakers`]: the wakers of everyone waiting on one piece of shared work
//! (a single flight, a body read by several readers), woken together.

use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};

/// Every waiting caller's waker: the shared work is polled with a waker
/// that wakes them all, so that when the caller that polled it last is
/// gone, the others still hear of its progress.
#[derive(Default)]
pub(crate) struct Wakers(Mutex<Vec<Waker>>);

impl Wake for Wakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakers = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        for w in wakers {
            w.wake();
        }
    }
}

impl Wakers {
    /// Adds `waker`, unless one that wakes the same task is there.
    pub(crate) fn register(&self, waker: &Waker) {
        let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !list.iter().any(|w| w.will_wake(waker)) {
            list.push(waker.clone());
        }
    }
}
