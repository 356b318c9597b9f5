//! The platform on wasm. Every raw JavaScript call fanout makes lives here: `fetch`, timers, the
//! clock, `AbortController` and stream readers. The rest of the crate speaks
//! Rust types.
//!
//! All bindings are to *globals* (`globalThis.fetch`, `setTimeout`,
//! `performance.now`), so they work the same in a Window, a Web Worker and
//! Node.js; nothing here assumes `window()`.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal, RequestInit};

use crate::error::JsError;
use crate::options::{CacheMode, Credentials, Redirect};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(input: &str, init: &RequestInit) -> Result<Promise, JsValue>;

    /// `setTimeout` returns a number in browsers and a `Timeout` object in
    /// Node.js, so the handle stays an opaque `JsValue`.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);

    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;

    /// A settle callback of [`settled`], for `Function.prototype.bind`
    /// with one argument: the callback bound to a promise's slot.
    type SettleFn;
    #[wasm_bindgen(method, js_name = bind)]
    fn bind_slot(this: &SettleFn, this_arg: &JsValue, slot: f64) -> JsValue;

    /// A promise, for `then(ok, err)` with its derived promise left in JS.
    type Thenable;
    #[wasm_bindgen(method, js_name = then)]
    fn then_slot(this: &Thenable, ok: &JsValue, err: &JsValue);

    /// What a `ReadableStreamDefaultReader`'s `read()` resolves to; its
    /// getters cross into JS without a property-name string.
    type ReadResult;
    #[wasm_bindgen(method, getter)]
    fn done(this: &ReadResult) -> bool;
    #[wasm_bindgen(method, getter)]
    fn value(this: &ReadResult) -> JsValue;

    /// A `Headers`, for `get` with the name as a JS string made once
    /// (a valid name: `get` throws for invalid ones only, so no `catch`).
    type RawHeaders;
    #[wasm_bindgen(method, js_name = get)]
    fn get_by(this: &RawHeaders, name: &JsValue) -> Option<String>;

    /// `None` where the global is missing (Node.js): the `Option` makes the
    /// binding test `typeof location` instead of throwing a ReferenceError.
    #[wasm_bindgen(thread_local_v2, js_name = location)]
    static LOCATION: Option<js_sys::Object>;

    /// `None` where the constructor is missing (Node.js, service workers).
    #[cfg(feature = "upload")]
    #[wasm_bindgen(thread_local_v2, js_name = XMLHttpRequest)]
    static XHR_CTOR: Option<js_sys::Object>;

    /// The `Request` constructor, to ask its prototype whether `fetch`
    /// takes a streamed body.
    #[cfg(feature = "upload")]
    #[wasm_bindgen(thread_local_v2, js_name = Request)]
    static REQUEST_CTOR: Option<js_sys::Object>;
}

/// A new `XMLHttpRequest`, or `None` where the platform has none (Node.js,
/// native builds).
#[cfg(feature = "upload")]
pub(crate) fn xhr() -> Option<Result<web_sys::XmlHttpRequest, JsValue>> {
    if XHR_CTOR.with(|c| c.is_none()) {
        return None;
    }
    Some(web_sys::XmlHttpRequest::new())
}

/// Whether `fetch` takes a `ReadableStream` body (`duplex: "half"`):
/// `Request.prototype` has `duplex` (Node.js 18+, Chromium 105+); Firefox
/// and Safari would send the stream's string form instead.
#[cfg(feature = "upload")]
pub(crate) fn request_streams() -> bool {
    REQUEST_CTOR.with(|c| {
        let Some(ctor) = c else { return false };
        js_sys::Reflect::get(ctor, &JsValue::from_str("prototype"))
            .ok()
            .filter(|p| p.is_object())
            .and_then(|p| {
                js_sys::Reflect::has(p.unchecked_ref(), &JsValue::from_str("duplex")).ok()
            })
            .unwrap_or(false)
    })
}

/// Starts a fetch with the global `fetch`.
pub(crate) fn fetch(url: &str, init: &RequestInit) -> Result<Promise, JsValue> {
    global_fetch(url, init)
}

/// Milliseconds on the page's monotonic clock (`performance.now()`).
pub(crate) fn now_ms() -> f64 {
    performance_now()
}

/// Milliseconds since the Unix epoch (`Date.now()`), for `Retry-After` dates.
#[cfg(feature = "retry")]
pub(crate) fn epoch_ms() -> f64 {
    js_sys::Date::now()
}

/// A number in `[0, 1)` for retry jitter.
#[cfg(feature = "retry")]
pub(crate) fn random() -> f64 {
    js_sys::Math::random()
}

/// `location.href` where the global exists (Window, Worker), else `None`
/// (Node.js).
pub(crate) fn location_href() -> Option<String> {
    LOCATION.with(|loc| {
        let loc = loc.as_ref()?;
        js_sys::Reflect::get(loc, &JsValue::from_str("href"))
            .ok()
            .and_then(|v| v.as_string())
    })
}

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

/// The `message` of a thrown JS value, or its string form.
pub(crate) fn js_message(value: &JsValue) -> String {
    js_error(value).message().to_owned()
}

/// A thrown JS value as a [`JsError`]: its `name` and `message` (Node's
/// fetch hides the real reason in `cause`, appended after a colon), or the
/// string form of a value that is not an `Error`.
pub(crate) fn js_error(value: &JsValue) -> JsError {
    if let Some(err) = value.dyn_ref::<js_sys::Error>() {
        let mut msg: String = err.message().into();
        if let Ok(cause) = js_sys::Reflect::get(err, &JsValue::from_str("cause")) {
            if let Some(c) = cause.dyn_ref::<js_sys::Error>() {
                msg.push_str(": ");
                msg.push_str(&String::from(c.message()));
            }
        }
        return JsError::new(String::from(err.name()), msg);
    }
    let msg = value
        .as_string()
        .or_else(|| {
            js_sys::JSON::stringify(value)
                .ok()
                .and_then(|s| s.as_string())
        })
        .unwrap_or_else(|| "unknown JavaScript error".to_owned());
    JsError::new("", msg)
}

/// Reads one chunk from a `ReadableStreamDefaultReader`: `Ok(None)` at the end.
pub(crate) async fn read_chunk(
    reader: &web_sys::ReadableStreamDefaultReader,
) -> Result<Option<js_sys::Uint8Array>, JsValue> {
    let result: ReadResult = settled(&reader.read()).await?.unchecked_into();
    if result.done() {
        return Ok(None);
    }
    Ok(Some(result.value().unchecked_into()))
}

/// A fetch response's `Content-Length`, if it has a valid one: three
/// calls into JS (the headers, `get`, the string back), not the four of
/// `Response::headers().get(...)` with its name passed each time.
pub(crate) fn content_length(raw: &web_sys::Response) -> Option<u64> {
    thread_local! {
        static NAME: JsValue = JsValue::from_str("content-length");
    }
    let headers: RawHeaders = raw.headers().unchecked_into();
    let value = NAME.with(|name| headers.get_by(name))?;
    value.trim().parse().ok()
}

/// The Fetch API's value for a [`Credentials`] mode.
pub(crate) fn credentials(c: Credentials) -> web_sys::RequestCredentials {
    match c {
        Credentials::Omit => web_sys::RequestCredentials::Omit,
        Credentials::SameOrigin => web_sys::RequestCredentials::SameOrigin,
        Credentials::Include => web_sys::RequestCredentials::Include,
    }
}

/// The Fetch API's value for a [`CacheMode`].
pub(crate) fn cache_mode(c: CacheMode) -> web_sys::RequestCache {
    match c {
        CacheMode::Default => web_sys::RequestCache::Default,
        CacheMode::NoStore => web_sys::RequestCache::NoStore,
        CacheMode::Reload => web_sys::RequestCache::Reload,
        CacheMode::NoCache => web_sys::RequestCache::NoCache,
        CacheMode::ForceCache => web_sys::RequestCache::ForceCache,
        CacheMode::OnlyIfCached => web_sys::RequestCache::OnlyIfCached,
    }
}

/// The Fetch API's value for a [`Redirect`] mode.
pub(crate) fn redirect(r: Redirect) -> web_sys::RequestRedirect {
    match r {
        Redirect::Follow => web_sys::RequestRedirect::Follow,
        Redirect::Error => web_sys::RequestRedirect::Error,
        Redirect::Manual => web_sys::RequestRedirect::Manual,
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

/// The text of the page's element with this `id`: `None` without a
/// document (a worker, Node.js) or such an element.
#[cfg(feature = "snapshot")]
pub(crate) fn element_text(id: &str) -> Option<String> {
    let global = js_sys::global();
    let document = js_sys::Reflect::get(&global, &JsValue::from_str("document")).ok()?;
    if !document.is_object() {
        return None;
    }
    let find: Function = js_sys::Reflect::get(&document, &JsValue::from_str("getElementById"))
        .ok()?
        .dyn_into()
        .ok()?;
    let element = find.call1(&document, &JsValue::from_str(id)).ok()?;
    if !element.is_object() {
        return None;
    }
    js_sys::Reflect::get(&element, &JsValue::from_str("textContent"))
        .ok()?
        .as_string()
}
