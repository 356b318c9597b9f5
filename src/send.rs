//! fanout's futures are not `Send`, and `SingleThreaded` (cargo feature
//! `send`) for code that insists.
//!
//! A request holds JavaScript objects (the fetch's promise, its
//! `AbortController`, the response), which live on the one JS thread, so
//! its futures are `!Send`, as in every wasm HTTP client. That is no
//! limit in a browser or in Node.js: run them with
//! `wasm_bindgen_futures::spawn_local`, or the frameworks' local spawners,
//! which take `!Send` futures:
//!
//! - **Leptos**: `LocalResource::new(move || fetch_posts(client.clone()))`,
//!   or `spawn_local` in an action; a `Resource` (which needs `Send` for
//!   server rendering) can't hold one directly: fetch in a `LocalResource`
//!   on the client.
//! - **Yew**: `wasm_bindgen_futures::spawn_local(async move { ... })` in a
//!   callback or `use_effect`, or `yew::platform::spawn_local`.
//! - **Dioxus**: `use_resource(move || async move { ... })` and `spawn`,
//!   which run on the local executor.
//!
//! Where an API still demands `Send` (a trait with a `Send` bound written
//! for multi-threaded servers), `SingleThreaded` wraps a future and
//! declares it `Send`. That is sound only where there is one thread: it
//! exists only on `wasm32` without the `atomics` target feature (the
//! default wasm target), where no other thread exists to send anything to.
//! With wasm threads, or natively, it is not there, and the compiler says
//! so.

#[cfg(all(
    feature = "send",
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]
pub use single::SingleThreaded;

#[cfg(all(
    feature = "send",
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]
mod single {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pin_project_lite::pin_project! {
        /// A future (or any value) declared `Send` and `Sync`, for code that
        /// requires them, on single-threaded wasm only (see the [module
        /// docs](super)).
        ///
        /// ```ignore
        /// let fut = fanout::send::SingleThreaded(async move {
        ///     client.get("posts/1").send().await?.text().await
        /// });
        /// needs_send(fut);
        /// ```
        #[derive(Debug)]
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

    // SAFETY: on wasm32 without the `atomics` target feature there is one
    // thread of execution and no way to start another, so a value can never
    // be sent to, or shared with, another thread.
    unsafe impl<T> Send for SingleThreaded<T> {}
    // SAFETY: as above.
    unsafe impl<T> Sync for SingleThreaded<T> {}

    impl<F: Future> Future for SingleThreaded<F> {
        type Output = F::Output;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            self.project().inner.poll(cx)
        }
    }
}
