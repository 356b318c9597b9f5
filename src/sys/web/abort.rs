//! Aborting: a request's [`AbortGuard`] and the public [`until_aborted`].

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal};

use super::Timer;

/// Why a request's `AbortController` fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AbortReason {
    /// The per-attempt timeout elapsed.
    Timeout(Duration),
    /// The caller's `AbortSignal` fired.
    Signal,
}

/// Owns one request's `AbortController`, its timeout timer and the link to a
/// caller's `AbortSignal`. Dropping it aborts the fetch (a no-op once the body
/// has been read), clears the timer and removes the listener: this is what
/// makes dropping a request or body future cancel the network work.
pub(crate) struct AbortGuard {
    controller: AbortController,
    reason: Rc<Cell<Option<AbortReason>>>,
    /// Set once the body has been read to the end: nothing is left to abort.
    done: Cell<bool>,
    _timer: Option<Timer>,
    link: Option<(AbortSignal, Closure<dyn FnMut()>)>,
    /// What must live as long as the exchange (a streamed request body's
    /// `pull` closure); dropped after the abort.
    kept: Option<Box<dyn std::any::Any>>,
}

impl AbortGuard {
    pub(crate) fn new(
        timeout: Option<Duration>,
        signal: Option<&AbortSignal>,
    ) -> Result<AbortGuard, JsValue> {
        let controller = AbortController::new()?;
        let reason = Rc::new(Cell::new(None));
        let link = match signal {
            Some(signal) if signal.aborted() => {
                reason.set(Some(AbortReason::Signal));
                controller.abort();
                None
            }
            Some(signal) => {
                let (c, r) = (controller.clone(), reason.clone());
                let closure = Closure::<dyn FnMut()>::new(move || {
                    if r.get().is_none() {
                        r.set(Some(AbortReason::Signal));
                    }
                    c.abort();
                });
                signal
                    .add_event_listener_with_callback("abort", closure.as_ref().unchecked_ref())?;
                Some((signal.clone(), closure))
            }
            None => None,
        };
        let timer = timeout.map(|d| {
            let (c, r) = (controller.clone(), reason.clone());
            Timer::new(d, move || {
                if r.get().is_none() {
                    r.set(Some(AbortReason::Timeout(d)));
                }
                c.abort();
            })
        });
        Ok(AbortGuard {
            controller,
            reason,
            done: Cell::new(false),
            _timer: timer,
            link,
            kept: None,
        })
    }

    /// Keeps `value` alive until the guard is dropped (after its abort).
    pub(crate) fn keep_alive(&mut self, value: Box<dyn std::any::Any>) {
        self.kept = Some(value);
    }

    pub(crate) fn signal(&self) -> AbortSignal {
        self.controller.signal()
    }

    /// Marks the exchange finished (the body was read to its end), so that
    /// dropping the guard skips the `abort()` call: a call into JS per
    /// request that would do nothing.
    pub(crate) fn finished(&self) {
        self.done.set(true);
    }

    /// Why the controller fired, if it did.
    pub(crate) fn reason(&self) -> Option<AbortReason> {
        self.reason.get()
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        if !self.done.get() {
            self.controller.abort();
        }
        if let Some((signal, closure)) = self.link.take() {
            let _ = signal
                .remove_event_listener_with_callback("abort", closure.as_ref().unchecked_ref());
        }
    }
}

impl std::fmt::Debug for AbortGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AbortGuard")
            .field("reason", &self.reason.get())
            .finish()
    }
}

/// Completes when `signal` fires (at once if it already has): for racing
/// work that has no fetch of its own against a caller's `AbortSignal`,
/// such as a request waiting on an identical one's fetch (dedupe).
/// Dropping it removes its listener.
///
/// ```no_run
/// # async fn run(signal: web_sys::AbortSignal) {
/// fanout::until_aborted(&signal).await;
/// # }
/// ```
pub fn until_aborted(signal: &AbortSignal) -> UntilAborted {
    let state = Rc::new(std::cell::RefCell::new((false, None::<Waker>)));
    let shared = state.clone();
    let listener = Closure::<dyn FnMut()>::new(move || {
        let waker = {
            let mut s = shared.borrow_mut();
            s.0 = true;
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    });
    let listening = signal
        .add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref())
        .is_ok();
    UntilAborted {
        signal: signal.clone(),
        state,
        listener: listening.then_some(listener),
    }
}

/// The future of [`until_aborted`].
pub struct UntilAborted {
    signal: AbortSignal,
    state: Rc<std::cell::RefCell<(bool, Option<Waker>)>>,
    listener: Option<Closure<dyn FnMut()>>,
}

impl std::fmt::Debug for UntilAborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UntilAborted").finish_non_exhaustive()
    }
}

impl Future for UntilAborted {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.state.borrow_mut();
        if s.0 || self.signal.aborted() {
            Poll::Ready(())
        } else {
            s.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

impl Drop for UntilAborted {
    fn drop(&mut self) {
        if let Some(listener) = &self.listener {
            let _ = self
                .signal
                .remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        }
    }
}
