//! At most one batch owns the page at a time: a new one (`run`, `compare`)
//! takes a [`Ticket`], which aborts the batch before it; that batch then
//! sees it is no longer current and leaves the page alone. [`stop`] aborts
//! the batch that owns the page.

use std::cell::{Cell, RefCell};

use wasm_bindgen::prelude::*;
use web_sys::{AbortController, AbortSignal};

use crate::switch::Switch;

/// Stops the batch in flight, if any: its requests are aborted and the page
/// shows what had arrived. Does nothing when no batch is running.
#[wasm_bindgen]
pub fn stop() {
    let active = ACTIVE.with(|active| active.borrow().clone());
    if let Some(claim) = active {
        claim.abort();
    }
}

/// How the batch that owns the page is stopped: its requests' signal (each
/// request carries it) and a switch that drops the requests which cannot
/// carry a signal (deduplicated ones: a caller's signal would abort the
/// fetch shared with the other caller; dropping both callers aborts it).
#[derive(Clone)]
struct Claim {
    generation: u64,
    controller: AbortController,
    switch: Switch,
}

impl Claim {
    fn abort(&self) {
        self.controller.abort();
        self.switch.flip();
    }
}

thread_local! {
    /// The batch that owns the page: its generation and its abort switches.
    static ACTIVE: RefCell<Option<Claim>> = const { RefCell::new(None) };
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    static BATCHES: Cell<u64> = const { Cell::new(0) };
}

/// A claim on the page. Taking one aborts the previous batch; the previous
/// batch then sees that it is no longer current and leaves the page alone.
pub(crate) struct Ticket {
    generation: u64,
    pub(crate) signal: AbortSignal,
    pub(crate) switch: Switch,
}

impl Ticket {
    pub(crate) fn begin() -> Result<Ticket, JsValue> {
        let controller = AbortController::new()?;
        let signal = controller.signal();
        let switch = Switch::default();
        let generation = GENERATION.with(|g| {
            g.set(g.get() + 1);
            g.get()
        });
        let claim = Claim {
            generation,
            controller,
            switch: switch.clone(),
        };
        let previous = ACTIVE.with(|a| a.borrow_mut().replace(claim));
        if let Some(old) = previous {
            old.abort();
        }
        Ok(Ticket {
            generation,
            signal,
            switch,
        })
    }

    pub(crate) fn is_current(&self) -> bool {
        GENERATION.with(|g| g.get()) == self.generation
    }

    /// Whether [`stop`] aborted this batch.
    pub(crate) fn stopped(&self) -> bool {
        self.is_current() && self.signal.aborted()
    }

    /// A key unique to this batch, for `/flaky/{key}` (whose hit counters
    /// live on the server and outlive the page).
    pub(crate) fn key(&self) -> String {
        let batch = BATCHES.with(|b| {
            b.set(b.get() + 1);
            b.get()
        });
        let nonce = (js_sys::Math::random() * 1e9) as u64;
        format!("demo-{}-{nonce}-{batch}", js_sys::Date::now() as u64)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        ACTIVE.with(|a| {
            let mut a = a.borrow_mut();
            if matches!(a.as_ref(), Some(c) if c.generation == self.generation) {
                *a = None;
            }
        });
    }
}
