//! Timers over `setTimeout`: [`Timer`] and the [`Sleep`] future.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{clear_timeout, set_timeout};

/// A one-shot timer that runs `f` after `delay`. Dropping it clears the timer
/// and frees the closure, so no callback ever outlives its owner.
pub(crate) struct Timer {
    handle: JsValue,
    _closure: Closure<dyn FnMut()>,
}

impl Timer {
    pub(crate) fn new(delay: Duration, f: impl FnOnce() + 'static) -> Timer {
        let mut f = Some(f);
        let closure = Closure::<dyn FnMut()>::new(move || {
            if let Some(f) = f.take() {
                f();
            }
        });
        let ms = delay.as_secs_f64() * 1000.0;
        let handle = set_timeout(closure.as_ref().unchecked_ref(), ms.min(2_147_483_647.0));
        Timer {
            handle,
            _closure: closure,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}

impl std::fmt::Debug for Timer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Timer")
    }
}

#[derive(Default)]
struct SleepState {
    fired: bool,
    waker: Option<Waker>,
}

/// A future that completes after a delay; dropping it clears the timer.
pub(crate) struct Sleep {
    state: Rc<std::cell::RefCell<SleepState>>,
    _timer: Timer,
}

/// A future that completes after a delay (`setTimeout` on wasm).
pub(crate) fn sleep(delay: Duration) -> Sleep {
    let state = Rc::new(std::cell::RefCell::new(SleepState::default()));
    let shared = state.clone();
    let timer = Timer::new(delay, move || {
        let mut s = shared.borrow_mut();
        s.fired = true;
        if let Some(w) = s.waker.take() {
            w.wake();
        }
    });
    Sleep {
        state,
        _timer: timer,
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.state.borrow_mut();
        if s.fired {
            Poll::Ready(())
        } else {
            s.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}
