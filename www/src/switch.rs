//! A one-shot stop switch: work raced against [`Switch::wait`] is dropped,
//! and so cancelled (fanout aborts the fetch of a dropped future), once the
//! switch is flipped.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// A stop switch, shared by its clones.
#[derive(Clone, Default)]
pub(crate) struct Switch(Rc<Inner>);

#[derive(Default)]
struct Inner {
    on: Cell<bool>,
    wakers: RefCell<Vec<Waker>>,
}

impl Switch {
    /// Flips the switch: every [`wait`](Switch::wait) resolves.
    pub(crate) fn flip(&self) {
        if !self.0.on.replace(true) {
            let wakers = std::mem::take(&mut *self.0.wakers.borrow_mut());
            for w in wakers {
                w.wake();
            }
        }
    }

    /// Whether the switch was flipped.
    pub(crate) fn is_on(&self) -> bool {
        self.0.on.get()
    }

    /// Resolves once the switch is flipped.
    pub(crate) fn wait(&self) -> Wait<'_> {
        Wait(self)
    }
}

/// The future of [`Switch::wait`].
pub(crate) struct Wait<'a>(&'a Switch);

impl Future for Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.is_on() {
            return Poll::Ready(());
        }
        let mut wakers = self.0 .0.wakers.borrow_mut();
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
