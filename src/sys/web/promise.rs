//! `settled`: a JS promise awaited in place of `JsFuture`, through one
//! callback made once and a slab of slots.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{SettleFn, Thenable};

/// How many bits of a slot id are its index in [`SLOTS`]; the rest is the
/// slot's generation, so that an id stays exact in an `f64` (53 bits).
const SLOT_BITS: u32 = 24;

/// What a promise being awaited through [`settled`] has come to.
enum SlotState {
    Free,
    Waiting(Option<Waker>),
    Done(Result<JsValue, JsValue>),
}

/// The promises being awaited through [`settled`]: a slab of slots, each
/// with a generation bumped when it is freed, so that the callback of a
/// promise whose future was dropped (a stale id) finds nothing to settle.
struct Slots {
    slots: Vec<(u32, SlotState)>,
    free: Vec<u32>,
}

/// The one settle callback: what it is bound to (see [`on_settle`]), the
/// promise's value. `FnMut`, as the crate's other closures, so the JS glue
/// has one closure wrapper.
type SettleClosure = Closure<dyn FnMut(f64, JsValue)>;

thread_local! {
    static SLOTS: std::cell::RefCell<Slots> = const {
        std::cell::RefCell::new(Slots { slots: Vec::new(), free: Vec::new() })
    };
    /// The callback every awaited promise shares, made once.
    static SETTLE: SettleClosure = SettleClosure::new(on_settle);
}

/// The settle callback: bound to a slot id (0 or more), the promise was
/// fulfilled; to `-1 - id`, rejected.
fn on_settle(bound: f64, value: JsValue) {
    if bound >= 0.0 {
        settle(bound, Ok(value));
    } else {
        settle(-1.0 - bound, Err(value));
    }
}

/// A settle callback's work: the result into its slot (if the id is still
/// current), and the waiting task woken.
fn settle(id: f64, result: Result<JsValue, JsValue>) {
    let id = id as u64;
    let (index, generation) = (
        (id & ((1 << SLOT_BITS) - 1)) as usize,
        (id >> SLOT_BITS) as u32,
    );
    let waker = SLOTS.with(|s| {
        let mut s = s.borrow_mut();
        match s.slots.get_mut(index) {
            Some((g, state)) if *g == generation && matches!(state, SlotState::Waiting(_)) => {
                match std::mem::replace(state, SlotState::Done(result)) {
                    SlotState::Waiting(w) => w,
                    _ => None,
                }
            }
            _ => None,
        }
    });
    if let Some(w) = waker {
        w.wake();
    }
}

/// The id a slot's callbacks are bound to: index and generation.
fn slot_id(index: u32, generation: u32) -> f64 {
    ((u64::from(generation) << SLOT_BITS) | u64::from(index)) as f64
}

/// Awaits a JS promise: what `wasm_bindgen_futures::JsFuture` does, for
/// less per promise. `JsFuture` makes two closures for each promise (each a
/// JS function with its own state, registered for finalization, and freed
/// by a call back into wasm); here every promise shares one callback made
/// once, bound with `Function.prototype.bind` to the promise's slot in a
/// slab for its fulfilment and to `-1 - slot` for its rejection (no
/// `eval`, so a strict CSP is fine). Dropping the future frees its slot;
/// the promise's late callback then finds a newer generation there and
/// does nothing.
pub(crate) fn settled(promise: &Promise) -> Settled {
    let (index, generation) = SLOTS.with(|s| {
        let mut s = s.borrow_mut();
        let index = match s.free.pop() {
            Some(i) => i,
            None => {
                s.slots.push((0, SlotState::Free));
                (s.slots.len() - 1) as u32
            }
        };
        let slot = &mut s.slots[index as usize];
        slot.1 = SlotState::Waiting(None);
        (index, slot.0)
    });
    let id = slot_id(index, generation);
    SETTLE.with(|f| {
        let f = f.as_ref().unchecked_ref::<SettleFn>();
        let ok = f.bind_slot(&JsValue::UNDEFINED, id);
        let err = f.bind_slot(&JsValue::UNDEFINED, -1.0 - id);
        promise.unchecked_ref::<Thenable>().then_slot(&ok, &err);
    });
    Settled { index, done: false }
}

/// The future of [`settled`]: the promise's value, or its rejection.
pub(crate) struct Settled {
    index: u32,
    done: bool,
}

impl Settled {
    /// Frees the slot: a new generation, back on the free list.
    fn release(&mut self) {
        self.done = true;
        SLOTS.with(|s| {
            let mut s = s.borrow_mut();
            let slot = &mut s.slots[self.index as usize];
            slot.0 = (slot.0 + 1) & ((1 << (53 - SLOT_BITS)) - 1);
            slot.1 = SlotState::Free;
            s.free.push(self.index);
        });
    }
}

impl Future for Settled {
    type Output = Result<JsValue, JsValue>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.done {
            // Polled again after it was ready: its slot is another's now.
            return Poll::Pending;
        }
        let result = SLOTS.with(|s| {
            let mut s = s.borrow_mut();
            let state = &mut s.slots[self.index as usize].1;
            match state {
                SlotState::Done(_) => match std::mem::replace(state, SlotState::Free) {
                    SlotState::Done(r) => Some(r),
                    _ => None,
                },
                SlotState::Waiting(w) => {
                    match w {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        _ => *w = Some(cx.waker().clone()),
                    }
                    None
                }
                SlotState::Free => None,
            }
        });
        match result {
            Some(r) => {
                self.release();
                Poll::Ready(r)
            }
            None => Poll::Pending,
        }
    }
}

impl Drop for Settled {
    fn drop(&mut self) {
        if !self.done {
            self.release();
        }
    }
}

impl std::fmt::Debug for Settled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Settled")
    }
}
