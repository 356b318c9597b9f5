//! fanout's futures are `Send` natively and not on wasm, and
//! `SingleThreaded` (cargo feature `send`) for code that insists on `Send`
//! on both.
//!
//! On wasm a request holds JavaScript objects (the fetch's promise, its
//! `AbortController`, the response), which live on the one JS thread, so
//! its futures are `!Send`, as in every wasm HTTP client. That is no
//! limit in a browser or in Node.js: run them with
//! `wasm_bindgen_futures::spawn_local`, or the frameworks' local spawners,
//! which take `!Send` futures. Natively (the native transport) `Client`,
//! `Request`, `Response`, `Error` and a request's futures are `Send`, and
//! run on a multi-threaded tokio runtime.
//!
//! - **Leptos**: `LocalResource::new(move || fetch_posts(client.clone()))`
//!   on the client; for a `Resource` (server rendering, then hydration:
//!   its fetcher must be `Send + Sync`, its future `Send`, its value
//!   serializable) wrap the shared client and the future in
//!   `SingleThreaded` and enable the `serde` feature for
//!   `Result<T, fanout::Error>` (see `examples/leptos`); for actions,
//!   `Action::new_local` on the client.
//! - **Yew**: `wasm_bindgen_futures::spawn_local(async move { ... })` in a
//!   callback or `use_effect`, or `yew::platform::spawn_local`.
//! - **Dioxus**: `use_resource(move || async move { ... })` and `spawn`,
//!   which run on the local executor.
//!
//! `SingleThreaded` wraps a value or a future and is `Send + Sync` on both
//! targets, so one body of code builds for the server and the browser:
//!
//! - on `wasm32` without the `atomics` target feature (the default wasm
//!   target) it declares them so, which is sound because there is one
//!   thread and no way to start another;
//! - natively it declares nothing: it is `Send`/`Sync` exactly when what
//!   it wraps is (fanout's types and futures are), so it cannot lie;
//! - with wasm threads (`atomics`) it does not exist, and the compiler
//!   says so.
//!
//! It is `Clone` when its value is, and derefs to it, so one shared
//! `Client` can be captured by a `Send + Sync` closure and cloned in each
//! call:
//!
//! ```
//! use fanout::send::SingleThreaded;
//!
//! fn needs_send_sync<F: Fn() -> R + Send + Sync + Clone + 'static, R>(f: F) -> F { f }
//!
//! let client = SingleThreaded::new(fanout::Client::new());
//! let fetcher = needs_send_sync(move || {
//!     let client = (*client).clone();
//!     SingleThreaded::new(async move {
//!         client.get("http://127.0.0.1:8080/posts/1").send().await?.text().await
//!     })
//! });
//! # let _ = fetcher;
//! ```

#[cfg(all(
    feature = "send",
    any(not(target_arch = "wasm32"), not(target_feature = "atomics"))
))]
pub use single::SingleThreaded;

#[cfg(all(
    feature = "send",
    any(not(target_arch = "wasm32"), not(target_feature = "atomics"))
))]
mod single {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pin_project_lite::pin_project! {
        /// A value or future that is `Send` and `Sync` on both targets:
        /// declared so on single-threaded wasm, inherited natively (see
        /// the [module docs](super)).
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct SingleThreaded<T> {
            #[pin]
            inner: T,
        }
    }

    impl<T> SingleThreaded<T> {
        /// Wraps `inner`.
        pub fn new(inner: T) -> SingleThreaded<T> {
            SingleThreaded { inner }
        }

        /// The wrapped value.
        pub fn into_inner(self) -> T {
            self.inner
        }
    }

    impl<T> std::ops::Deref for SingleThreaded<T> {
        type Target = T;
        fn deref(&self) -> &T {
            &self.inner
        }
    }

    impl<T> std::ops::DerefMut for SingleThreaded<T> {
        fn deref_mut(&mut self) -> &mut T {
            &mut self.inner
        }
    }

    impl<T> From<T> for SingleThreaded<T> {
        fn from(inner: T) -> SingleThreaded<T> {
            SingleThreaded { inner }
        }
    }

    // SAFETY: on wasm32 without the `atomics` target feature there is one
    // thread of execution and no way to start another, so a value can never
    // be sent to, or shared with, another thread. (Natively no impl is
    // declared: the auto traits follow `T`.)
    #[cfg(target_arch = "wasm32")]
    unsafe impl<T> Send for SingleThreaded<T> {}
    // SAFETY: as above.
    #[cfg(target_arch = "wasm32")]
    unsafe impl<T> Sync for SingleThreaded<T> {}

    impl<F: Future> Future for SingleThreaded<F> {
        type Output = F::Output;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            self.project().inner.poll(cx)
        }
    }
}
