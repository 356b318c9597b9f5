//! `FanoutStream`: an async iterator over a Rust stream (`lines()`,
//! `jsonLines()`, `client.sse()`).

use crate::errors::{js_error, type_error};
use crate::js::{promise, set};
use fanout::Error;
use futures_util::future::{select, Either};
use js_sys::{Object, Promise, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

pub(crate) type JsItems = futures_util::stream::LocalBoxStream<'static, Result<JsValue, Error>>;

pub(crate) enum StreamState {
    Ready(JsItems),
    /// A `next()` is running; it holds the stream.
    Busy,
    Closed,
}

/// An async iterator over a Rust stream (`lines()`, `jsonLines()`,
/// `client.sse()`): `next()`, `return()` and `[Symbol.asyncIterator]`.
/// `return()` (a `break` out of `for await`) or the signal drops the
/// stream, which aborts its fetch.
#[wasm_bindgen(js_name = FanoutStream, skip_typescript)]
pub struct JsStream {
    pub(crate) state: Rc<RefCell<StreamState>>,
    /// Fires when `return()` is called, to end a `next()` in flight.
    pub(crate) closed: web_sys::AbortController,
    pub(crate) signal: Option<AbortSignal>,
}

impl std::fmt::Debug for JsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FanoutStream")
    }
}

pub(crate) fn iter_result(value: &JsValue, done: bool) -> JsValue {
    let obj = Object::new();
    set(&obj, "value", value);
    set(&obj, "done", &done.into());
    obj.into()
}

impl JsStream {
    /// The iterator object for `items`, aborted by `signal` too.
    pub(crate) fn wrap(items: JsItems, signal: Option<AbortSignal>) -> JsValue {
        let it = JsStream {
            state: Rc::new(RefCell::new(StreamState::Ready(items))),
            closed: web_sys::AbortController::new().expect("AbortController"),
            signal,
        };
        let value = JsValue::from(it);
        // `[Symbol.asyncIterator]() { return this }` without evaluating JS
        // (the page's CSP forbids it): `Object.prototype.valueOf` returns
        // its `this` object.
        if let Ok(value_of) = Reflect::get(&Object::new(), &JsValue::from_str("valueOf")) {
            let _ = Reflect::set(&value, &js_sys::Symbol::async_iterator(), &value_of);
        }
        value
    }
}

#[wasm_bindgen(js_class = FanoutStream)]
impl JsStream {
    /// The next item: `{ value, done: false }`, or `{ value: undefined,
    /// done: true }` at the end; rejects with the stream's error (after
    /// which it is done).
    pub fn next(&self) -> Promise {
        let taken = std::mem::replace(&mut *self.state.borrow_mut(), StreamState::Busy);
        let mut items = match taken {
            StreamState::Ready(items) => items,
            StreamState::Closed => {
                *self.state.borrow_mut() = StreamState::Closed;
                return Promise::resolve(&iter_result(&JsValue::UNDEFINED, true));
            }
            StreamState::Busy => {
                return Promise::reject(&js_error(type_error(
                    "next() was called again before the previous call settled",
                )))
            }
        };
        let state = self.state.clone();
        let closed = Some(fanout::until_aborted(&self.closed.signal()));
        let user = self
            .signal
            .as_ref()
            .map(|s| (s.aborted(), Some(fanout::until_aborted(s))));
        promise(async move {
            use futures_util::StreamExt as _;
            let stop = async move {
                match (closed, user) {
                    (_, Some((true, _))) => Some(()),
                    (Some(c), Some((_, Some(u)))) => {
                        let _ = select(c, u).await;
                        Some(())
                    }
                    (Some(c), _) => {
                        c.await;
                        None
                    }
                    (None, Some((_, Some(u)))) => {
                        u.await;
                        Some(())
                    }
                    (None, _) => std::future::pending().await,
                }
            };
            let item = match select(items.next(), std::pin::pin!(stop)).await {
                Either::Left((item, _)) => item,
                Either::Right((by_signal, _)) => {
                    *state.borrow_mut() = StreamState::Closed;
                    drop(items);
                    return match by_signal {
                        Some(()) => Err(js_error(Error::aborted("aborted by the AbortSignal"))),
                        None => Ok(iter_result(&JsValue::UNDEFINED, true)),
                    };
                }
            };
            match item {
                Some(Ok(v)) => {
                    let mut s = state.borrow_mut();
                    if matches!(*s, StreamState::Busy) {
                        *s = StreamState::Ready(items);
                    }
                    Ok(iter_result(&v, false))
                }
                Some(Err(e)) => {
                    *state.borrow_mut() = StreamState::Closed;
                    Err(js_error(e))
                }
                None => {
                    *state.borrow_mut() = StreamState::Closed;
                    Ok(iter_result(&JsValue::UNDEFINED, true))
                }
            }
        })
    }

    /// Ends the iteration (what `break` in `for await` calls): the stream
    /// is dropped and its fetch aborted.
    #[wasm_bindgen(js_name = "return")]
    pub fn return_(&self) -> Promise {
        *self.state.borrow_mut() = StreamState::Closed;
        self.closed.abort();
        Promise::resolve(&iter_result(&JsValue::UNDEFINED, true))
    }
}
