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
//! - **Leptos** (0.8): `LocalResource::new(move || post_title(client.clone(), 42))`
//!   in an app that renders in the browser only. A `Resource` (rendered on
//!   the server, then hydrated) demands a `Send + Sync` fetcher, a `Send`
//!   future and a serializable value: keep the app's one shared `Client` in
//!   a `SingleThreaded` (say, in the context), clone it out in the
//!   fetcher and wrap the future,
//!   `Resource::new(move || id.get(), move |id| SingleThreaded::new(post_title((*client).clone(), id)))`,
//!   and enable the `serde` feature for a `Result<T, fanout::Error>` value.
//!   For a POST, `Action::new_local(move |title: &String| create_post(client.clone(), title.clone()))`
//!   takes the client's futures as they are (dispatch it with `dispatch`).
//!   `examples/leptos` is a complete app, built for both targets (feature
//!   `ssr` natively, `hydrate` for wasm32) by `cargo xtask test`.
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
//! call (the example is on `SingleThreaded`).

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
        ///
        /// One shared `Client` in the shapes Leptos 0.8 asks for (the two
        /// functions below have the bounds of its `Resource::new` and
        /// `Action::new_local`; a `Resource`'s value must also be
        /// serializable: fanout's `serde` feature does that for `Error`):
        ///
        /// ```
        /// use std::future::Future;
        ///
        /// use fanout::send::SingleThreaded;
        /// use fanout::{Client, Error};
        ///
        /// fn resource_new<S, T, Fut>(
        ///     source: impl Fn() -> S + Send + Sync + 'static,
        ///     fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
        /// ) where
        ///     S: PartialEq + Clone + Send + Sync + 'static,
        ///     T: Send + Sync + 'static,
        ///     Fut: Future<Output = T> + Send + 'static,
        /// {
        ///     let _ = (source, fetcher);
        /// }
        ///
        /// fn action_new_local<I, O, Fu>(action_fn: impl Fn(&I) -> Fu + 'static)
        /// where
        ///     Fu: Future<Output = O> + 'static,
        /// {
        ///     let _ = action_fn;
        /// }
        ///
        /// async fn post_title(client: Client, id: u32) -> Result<String, Error> {
        ///     client.get(format!("posts/{id}")).send().await?.text().await
        /// }
        ///
        /// async fn create_post(client: Client, title: String) -> Result<u16, Error> {
        ///     Ok(client.post("posts").text(title).send().await?.status())
        /// }
        ///
        /// let client = SingleThreaded::new(
        ///     Client::builder().base_url("http://127.0.0.1:8080/").build()?,
        /// );
        ///
        /// // A `Resource`: a `Send + Sync` fetcher, a `Send` future.
        /// let shared = client.clone();
        /// resource_new(
        ///     || 42,
        ///     move |id| SingleThreaded::new(post_title((*shared).clone(), id)),
        /// );
        ///
        /// // `Action::new_local`: the plain client and its futures.
        /// let plain: Client = (*client).clone();
        /// action_new_local(move |title: &String| create_post(plain.clone(), title.clone()));
        /// # Ok::<_, Error>(())
        /// ```
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
