//! What an outbox needs of the platform in browsers, workers and
//! Node.js: random bytes (`crypto.getRandomValues`), a spawned task
//! (`spawn_local`), the Web Locks API (`navigator.locks`, with an
//! in-realm lock where it is absent), the global `online` event and
//! `indexedDB`. Globals only, looked up on `globalThis`.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

fn global_get(name: &str) -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// 16 random bytes from `crypto.getRandomValues` (`Math.random` where
/// there is no `crypto`).
pub(crate) fn random_bytes() -> [u8; 16] {
    let mut out = [0u8; 16];
    let array = js_sys::Uint8Array::new_with_length(16);
    let filled = global_get("crypto")
        .and_then(|c| {
            let f: Function = Reflect::get(&c, &JsValue::from_str("getRandomValues"))
                .ok()?
                .dyn_into()
                .ok()?;
            f.call1(&c, &array).ok()
        })
        .is_some();
    if filled {
        array.copy_to(&mut out);
    } else {
        for b in &mut out {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    out
}

/// Spawns an outbox's task on the JS event loop.
pub(crate) fn spawn(task: impl Future<Output = ()> + 'static) -> Result<(), String> {
    wasm_bindgen_futures::spawn_local(task);
    Ok(())
}

/// The `indexedDB` global, where there is one (not in Node.js).
pub(crate) fn indexed_db() -> Option<web_sys::IdbFactory> {
    global_get("indexedDB").and_then(|v| v.dyn_into().ok())
}

/// Calls `f` on each `online` event of the global scope, until dropped
/// (`None` where the global has no `addEventListener`, as in Node.js).
pub(crate) struct OnlineListener {
    target: JsValue,
    closure: Closure<dyn FnMut()>,
}

impl OnlineListener {
    pub(crate) fn new(f: Box<dyn Fn()>) -> Option<OnlineListener> {
        let global: JsValue = js_sys::global().into();
        let add: Function = Reflect::get(&global, &JsValue::from_str("addEventListener"))
            .ok()?
            .dyn_into()
            .ok()?;
        let closure = Closure::<dyn FnMut()>::new(f);
        add.call2(&global, &JsValue::from_str("online"), closure.as_ref())
            .ok()?;
        Some(OnlineListener {
            target: global,
            closure,
        })
    }
}

impl Drop for OnlineListener {
    fn drop(&mut self) {
        if let Some(remove) = Reflect::get(&self.target, &JsValue::from_str("removeEventListener"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        {
            let _ = remove.call2(
                &self.target,
                &JsValue::from_str("online"),
                self.closure.as_ref(),
            );
        }
    }
}

/// The state of one lock request.
#[derive(Default)]
pub(crate) struct LockRequest {
    /// Called with the lock: the function that releases it.
    release: Option<Function>,
    granted: bool,
    /// The future waiting for it went away: release at once when granted.
    abandoned: bool,
    waker: Option<Waker>,
}

/// Holds an outbox's lock until dropped.
pub(crate) enum OutboxLock {
    /// A Web Lock, released by calling `release`.
    Web {
        request: Rc<RefCell<LockRequest>>,
        /// The callback the lock manager calls; freed once it has.
        _callback: Closure<dyn FnMut(JsValue) -> JsValue>,
    },
    /// The in-realm lock of `name`.
    Realm(String),
}

impl Drop for OutboxLock {
    fn drop(&mut self) {
        match self {
            OutboxLock::Web { request, .. } => {
                if let Some(release) = request.borrow_mut().release.take() {
                    let _ = release.call0(&JsValue::UNDEFINED);
                }
            }
            OutboxLock::Realm(name) => {
                let waiters = REALM.with(|r| {
                    let mut r = r.borrow_mut();
                    match r.iter().position(|(n, _)| n == name) {
                        Some(at) => r.swap_remove(at).1,
                        None => Vec::new(),
                    }
                });
                waiters.into_iter().for_each(Waker::wake);
            }
        }
    }
}

thread_local! {
    /// The in-realm locks held, each with the wakers of who waits for it.
    static REALM: RefCell<Vec<(String, Vec<Waker>)>> = const { RefCell::new(Vec::new()) };
}

/// Takes the outbox lock `name`: `navigator.locks.request(name, ...)`
/// where the Web Locks API exists (so that two tabs never deliver one
/// outbox at once), else a lock of this realm.
pub(crate) fn outbox_lock(name: &str) -> Acquire {
    let web = global_get("navigator")
        .and_then(|n| Reflect::get(&n, &JsValue::from_str("locks")).ok())
        .filter(|l| l.is_object())
        .and_then(|locks| {
            let f: Function = Reflect::get(&locks, &JsValue::from_str("request"))
                .ok()?
                .dyn_into()
                .ok()?;
            Some((locks, f))
        });
    let Some((locks, request_fn)) = web else {
        return Acquire::Realm(name.to_owned());
    };
    let request = Rc::new(RefCell::new(LockRequest::default()));
    let state = request.clone();
    let callback = Closure::<dyn FnMut(JsValue) -> JsValue>::new(move |_lock: JsValue| {
        let mut s = state.borrow_mut();
        if s.abandoned {
            return Promise::resolve(&JsValue::UNDEFINED).into();
        }
        let held = Promise::new(&mut |resolve, _| s.release = Some(resolve));
        s.granted = true;
        if let Some(w) = s.waker.take() {
            w.wake();
        }
        held.into()
    });
    match request_fn.call2(&locks, &JsValue::from_str(name), callback.as_ref()) {
        Ok(p) => {
            // Handle a rejection (there should be none) so it is never
            // reported as unhandled.
            if let Ok(p) = p.dyn_into::<Promise>() {
                drop(super::settled(&p));
            }
            Acquire::Web(Some(OutboxLock::Web {
                request,
                _callback: callback,
            }))
        }
        Err(_) => Acquire::Realm(name.to_owned()),
    }
}

/// The future of [`outbox_lock`].
pub(crate) enum Acquire {
    Web(Option<OutboxLock>),
    Realm(String),
}

impl Future for Acquire {
    type Output = OutboxLock;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OutboxLock> {
        match &mut *self {
            Acquire::Web(lock) => {
                let granted = match lock {
                    Some(OutboxLock::Web { request, .. }) => {
                        let mut r = request.borrow_mut();
                        if !r.granted {
                            r.waker = Some(cx.waker().clone());
                        }
                        r.granted
                    }
                    _ => false,
                };
                match granted {
                    true => Poll::Ready(lock.take().expect("polled after completion")),
                    false => Poll::Pending,
                }
            }
            Acquire::Realm(name) => {
                let taken = REALM.with(|r| {
                    let mut r = r.borrow_mut();
                    match r.iter_mut().find(|(n, _)| n == name) {
                        Some((_, waiters)) => {
                            waiters.push(cx.waker().clone());
                            false
                        }
                        None => {
                            r.push((name.clone(), Vec::new()));
                            true
                        }
                    }
                });
                match taken {
                    true => Poll::Ready(OutboxLock::Realm(std::mem::take(name))),
                    false => Poll::Pending,
                }
            }
        }
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        if let Acquire::Web(Some(OutboxLock::Web { request, .. })) = self {
            let mut r = request.borrow_mut();
            r.abandoned = true;
            // Granted but never taken: release it.
            if let Some(release) = r.release.take() {
                let _ = release.call0(&JsValue::UNDEFINED);
            }
        }
    }
}
