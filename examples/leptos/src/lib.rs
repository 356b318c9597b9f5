//! A small Leptos 0.8 app on ONE shared fanout `Client`, from the same code
//! on the server (feature `ssr`) and in the browser (`hydrate` or `csr`):
//!
//! - a `Resource` (rendered on the server, then hydrated): its fetcher must
//!   be `Send + Sync`, its future `Send` and its value serializable. The
//!   shared client is held in a `fanout::send::SingleThreaded` and each
//!   future wrapped in one: natively that is transparent (fanout's client
//!   and futures are `Send` there); on wasm it declares them `Send + Sync`,
//!   which is sound because single-threaded wasm has no other thread. The
//!   value is `Result<String, fanout::Error>` (fanout's `serde` feature);
//! - an `Action::new_local` for a POST: it runs in the browser only, and
//!   takes the client's futures as they are.
//!
//! The API is the dev server (`cargo run -p fanout-devserver` at the
//! repository's root). Build with:
//!
//! ```sh
//! cargo build --features ssr                                      # natively
//! cargo build --target wasm32-unknown-unknown --features hydrate  # the browser
//! ```

use fanout::send::SingleThreaded;
use fanout::{Client, Error};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The dev server's default address.
pub const API: &str = "http://127.0.0.1:8080/";

/// The app's one client, shared by every component through the context:
/// one connection pool, one `limit`, one `dedupe` for all of them.
pub type Api = SingleThreaded<Client>;

/// The title of post `id`: plain fanout, nothing Leptos-specific.
pub async fn post_title(client: Client, id: u32) -> Result<String, Error> {
    #[derive(Deserialize)]
    struct Post {
        title: String,
    }
    let post: Post = client
        .get(format!("posts/{id}"))
        .error_for_status(true)
        .send()
        .await?
        .json()
        .await?;
    Ok(post.title)
}

/// Creates a post: the id the server gives it.
pub async fn create_post(client: Client, title: String) -> Result<u64, Error> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct NewPost {
        user_id: u64,
        title: String,
        body: String,
    }
    #[derive(Deserialize)]
    struct Created {
        id: u64,
    }
    let new = NewPost {
        user_id: 1,
        title,
        body: "sent from Leptos".into(),
    };
    let created: Created = client
        .post("posts")
        .json(&new)
        .error_for_status(true)
        .send()
        .await?
        .json()
        .await?;
    Ok(created.id)
}

#[component]
pub fn App() -> impl IntoView {
    let client = Client::builder()
        .base_url(API)
        .limit(6)
        .dedupe(true)
        .build()
        .expect("a valid base URL");
    provide_context::<Api>(SingleThreaded::new(client));
    let (id, set_id) = signal(1u32);
    view! {
        <h1>"fanout + Leptos"</h1>
        <button on:click=move |_| set_id.update(|id| *id = *id % 100 + 1)>"Next post"</button>
        <PostTitle id />
        <NewPost />
    }
}

/// A `Resource` on the shared client: server-rendered, then hydrated.
#[component]
fn PostTitle(id: ReadSignal<u32>) -> impl IntoView {
    let client = expect_context::<Api>();
    // The fetcher holds a `SingleThreaded<Client>` (`Send + Sync`) and
    // clones the client out of it in each call; its future is wrapped too.
    let title = Resource::new(
        move || id.get(),
        move |id| SingleThreaded::new(post_title((*client).clone(), id)),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match title.await {
                    Ok(title) => view! { <p>{id.get_untracked()} ". " {title}</p> }.into_any(),
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `Action::new_local`: a POST from the browser, no wrapper needed.
#[component]
fn NewPost() -> impl IntoView {
    let client: Client = (*expect_context::<Api>()).clone();
    let create =
        Action::new_local(move |title: &String| create_post(client.clone(), title.clone()));
    let result = move || match create.value().get() {
        None => String::new(),
        Some(Ok(id)) => format!("created post {id}"),
        Some(Err(e)) => e.to_string(),
    };
    view! {
        <button on:click=move |_| {
            create.dispatch("Hello from Leptos".to_owned());
        }>"Create a post"</button>
        <p>{result}</p>
    }
}

/// The browser's entry point after server rendering.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_body(App);
}

/// The browser's entry point for a client-side-only app.
#[cfg(feature = "csr")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(App);
}
