//! The few types that differ between the two targets, chosen by `cfg`
//! so that the rest of the crate is written once:
//!
//! | alias | wasm (one thread) | native (threads) |
//! |---|---|---|
//! | [`Shared<T>`] | `Rc<T>` | `Arc<T>` |
//! | [`Lock<T>`] | `RefCell<T>` | `Mutex<T>` |
//! | [`BoxFuture`] | `LocalBoxFuture` | `futures_util::future::BoxFuture` (`Send`) |
//! | [`MaybeSend`], [`MaybeSync`] | every type | `Send`, `Sync` |
//! | `dyn_ss!(Trait)` | `dyn Trait` | `dyn Trait + Send + Sync` |
//!
//! On wasm nothing is atomic and nothing is `Send`: no extra bytes, as
//! before. Natively `Client`, `Request`, `Response`, `Error` and the
//! futures of a request are `Send`, so they run on a multi-threaded
//! tokio runtime, in axum handlers and under `tokio::spawn`.

/// A future boxed for dynamic dispatch: `Send` natively, not on wasm
/// (where a request holds JavaScript objects). What
/// [`Transport::send`](crate::Transport::send) and
/// `Middleware::handle` (feature `middleware`) return.
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<'a, T> = futures_util::future::LocalBoxFuture<'a, T>;
/// A future boxed for dynamic dispatch: `Send` natively, not on wasm
/// (where a request holds JavaScript objects). What
/// [`Transport::send`](crate::Transport::send) and
/// `Middleware::handle` (feature `middleware`) return.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = futures_util::future::BoxFuture<'a, T>;

/// `Send` natively; every type on wasm (one thread). The bound on the
/// functions and futures a client keeps (hooks, middleware, transports,
/// progress callbacks), so that one body of code builds for both.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}
/// `Send` natively; every type on wasm (one thread). The bound on the
/// functions and futures a client keeps (hooks, middleware, transports,
/// progress callbacks), so that one body of code builds for both.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: ?Sized + Send> MaybeSend for T {}

/// `Sync` natively; every type on wasm. See [`MaybeSend`].
#[cfg(target_arch = "wasm32")]
pub trait MaybeSync {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSync for T {}
/// `Sync` natively; every type on wasm. See [`MaybeSend`].
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSync: Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: ?Sized + Sync> MaybeSync for T {}

/// Shared ownership: `Rc` on wasm, `Arc` natively.
#[cfg(target_arch = "wasm32")]
pub(crate) type Shared<T> = std::rc::Rc<T>;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type Shared<T> = std::sync::Arc<T>;

/// The weak handle of a [`Shared`].
#[cfg(all(
    any(feature = "dedupe", feature = "auth", feature = "outbox"),
    target_arch = "wasm32"
))]
pub(crate) type WeakShared<T> = std::rc::Weak<T>;
#[cfg(all(
    any(feature = "dedupe", feature = "auth", feature = "outbox"),
    not(target_arch = "wasm32")
))]
pub(crate) type WeakShared<T> = std::sync::Weak<T>;

/// A trait object that is `Send + Sync` natively: `dyn_ss!(Fn(u8))`.
#[cfg(target_arch = "wasm32")]
macro_rules! dyn_ss {
    ($($t:tt)*) => { dyn $($t)* };
}
#[cfg(not(target_arch = "wasm32"))]
macro_rules! dyn_ss {
    ($($t:tt)*) => { dyn $($t)* + Send + Sync };
}
pub(crate) use dyn_ss;

/// A trait object that is `Send` natively: `dyn_s!(FnMut(u8) + 'a)`.
#[cfg(target_arch = "wasm32")]
macro_rules! dyn_s {
    ($($t:tt)*) => { dyn $($t)* };
}
#[cfg(not(target_arch = "wasm32"))]
macro_rules! dyn_s {
    ($($t:tt)*) => { dyn $($t)* + Send };
}
pub(crate) use dyn_s;

/// Interior mutability: a `RefCell` on wasm, a `Mutex` natively. Never
/// held across an `.await`.
#[cfg_attr(
    all(
        target_arch = "wasm32",
        not(any(
            feature = "limit",
            feature = "dedupe",
            feature = "auth",
            feature = "mock",
            feature = "outbox"
        ))
    ),
    allow(dead_code)
)]
#[derive(Default)]
pub(crate) struct Lock<T>(
    #[cfg(target_arch = "wasm32")] std::cell::RefCell<T>,
    #[cfg(not(target_arch = "wasm32"))] std::sync::Mutex<T>,
);

#[cfg_attr(
    all(
        target_arch = "wasm32",
        not(any(
            feature = "limit",
            feature = "dedupe",
            feature = "auth",
            feature = "mock",
            feature = "outbox"
        ))
    ),
    allow(dead_code)
)]
impl<T> Lock<T> {
    pub(crate) const fn new(value: T) -> Lock<T> {
        #[cfg(target_arch = "wasm32")]
        return Lock(std::cell::RefCell::new(value));
        #[cfg(not(target_arch = "wasm32"))]
        Lock(std::sync::Mutex::new(value))
    }

    /// The value, to read or change (a poisoned mutex is taken as it is:
    /// the crate's critical sections do not panic half-way).
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn lock(&self) -> std::cell::RefMut<'_, T> {
        self.0.borrow_mut()
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value, unless it is in use (by the caller itself, further up).
    #[cfg(all(any(feature = "dedupe", feature = "auth"), target_arch = "wasm32"))]
    pub(crate) fn try_lock(&self) -> Option<std::cell::RefMut<'_, T>> {
        self.0.try_borrow_mut().ok()
    }
    #[cfg(all(any(feature = "dedupe", feature = "auth"), not(target_arch = "wasm32")))]
    pub(crate) fn try_lock(&self) -> Option<std::sync::MutexGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

impl<T> std::fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lock")
    }
}

impl<T: Clone> Clone for Lock<T> {
    fn clone(&self) -> Lock<T> {
        Lock::new(self.lock().clone())
    }
}

/// A `u16` set once it is known: a `Cell` on wasm, an atomic natively
/// (so that a `Response` is `Sync` there).
#[derive(Debug, Default)]
pub(crate) struct LazyU16(
    #[cfg(target_arch = "wasm32")] std::cell::Cell<u16>,
    #[cfg(not(target_arch = "wasm32"))] std::sync::atomic::AtomicU16,
);

impl LazyU16 {
    pub(crate) fn new(value: u16) -> LazyU16 {
        #[cfg(target_arch = "wasm32")]
        return LazyU16(std::cell::Cell::new(value));
        #[cfg(not(target_arch = "wasm32"))]
        LazyU16(std::sync::atomic::AtomicU16::new(value))
    }

    pub(crate) fn get(&self) -> u16 {
        #[cfg(target_arch = "wasm32")]
        return self.0.get();
        #[cfg(not(target_arch = "wasm32"))]
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn set(&self, value: u16) {
        #[cfg(target_arch = "wasm32")]
        self.0.set(value);
        #[cfg(not(target_arch = "wasm32"))]
        self.0.store(value, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Clone for LazyU16 {
    fn clone(&self) -> LazyU16 {
        LazyU16::new(self.get())
    }
}
