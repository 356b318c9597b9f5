//! The aiohttp article's script (`ClientSession` + `asyncio.gather`) in
//! Rust: one `Client`, many posts fetched at once with `fanout::gather`,
//! their titles printed in input order, each failure in its place, and the
//! time it all took.
//!
//! ```sh
//! cargo run -p fanout-devserver       # in another terminal (or cargo xtask serve)
//! cargo run --example titles          # against http://127.0.0.1:8080
//! cargo run --example titles -- http://127.0.0.1:18181
//! ```
//!
//! Natively it runs on tokio over the native transport; the same
//! `fetch_titles` runs in the browser, a Web Worker and Node.js over
//! `fetch`: the client test suite (`tests/suite`) calls this very function
//! in each of them (and natively), so it stays true.

use fanout::{gather, Client, Error};

/// The dev server's default address (`cargo xtask serve`).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

/// The posts to fetch: the dev server's 100, then two that do not exist
/// (404s, printed in their place).
pub fn post_ids() -> Vec<u64> {
    (1..=100).chain([999, 1000]).collect()
}

/// The one client of the program, like aiohttp's `ClientSession`: made
/// once, shared by every request (its connection pool too).
pub fn client(base_url: &str) -> Result<Client, Error> {
    Client::builder()
        .base_url(base_url)
        .timeout(std::time::Duration::from_secs(10))
        .build()
}

#[derive(serde::Deserialize)]
struct Post {
    title: String,
}

/// The title of each post `ids` (`posts/{id}`), all fetched at once, in the
/// order of `ids`. A post that fails (a 4xx or 5xx status included, as
/// `raise_for_status()` does in the article) keeps its place as an `Err`
/// and never hides the others.
pub async fn fetch_titles(
    client: &Client,
    ids: impl IntoIterator<Item = u64>,
) -> Vec<Result<String, Error>> {
    // Collected first: natively `gather` wants a `Send` iterator (its
    // futures are `Send`), which an arbitrary `IntoIterator` may not be.
    let ids: Vec<u64> = ids.into_iter().collect();
    gather(ids.into_iter().map(|id| async move {
        let post: Post = client
            .get(format!("posts/{id}"))
            .error_for_status(true)
            .send()
            .await?
            .json()
            .await?;
        Ok(post.title)
    }))
    .await
}

/// One line per post, in input order: `id. title` (the first 40
/// characters, as in the article), or `id. failed: error`.
pub fn report(ids: &[u64], titles: &[Result<String, Error>]) -> Vec<String> {
    ids.iter()
        .zip(titles)
        .map(|(id, title)| match title {
            Ok(title) if title.chars().count() > 40 => {
                format!("{id}. {}...", title.chars().take(40).collect::<String>())
            }
            Ok(title) => format!("{id}. {title}"),
            Err(e) => format!("{id}. failed: {e}"),
        })
        .collect()
}

/// The closing line: how many, how many failed, how long.
pub fn summary(titles: &[Result<String, Error>], seconds: f64) -> String {
    let failed = titles.iter().filter(|t| t.is_err()).count();
    format!(
        "Fetched {} titles ({failed} failed) in {seconds:.2} seconds.",
        titles.len() - failed
    )
}

/// Runs the program against `base_url`, printing with `print`, and returns
/// how many titles it got; the same code on both targets (only the clock
/// and the printer differ).
pub async fn run(base_url: &str, mut print: impl FnMut(&str)) -> Result<usize, Error> {
    let started = now_seconds();
    let client = client(base_url)?;
    let ids = post_ids();
    let titles = fetch_titles(&client, ids.iter().copied()).await;
    let elapsed = now_seconds() - started;
    print("--- Titles ---");
    for line in report(&ids, &titles) {
        print(&line);
    }
    print(&summary(&titles, elapsed));
    if titles.iter().all(|t| matches!(t, Err(e) if e.is_network())) {
        print(&format!(
            "No answer from {base_url}: is the dev server running? (`cargo run -p fanout-devserver`)"
        ));
    }
    Ok(titles.iter().filter(|t| t.is_ok()).count())
}

#[cfg(not(target_arch = "wasm32"))]
fn now_seconds() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

#[cfg(target_arch = "wasm32")]
fn now_seconds() -> f64 {
    js_sys::Date::now() / 1000.0
}

/// `cargo run --example titles -- [BASE_URL]`.
#[cfg(not(target_arch = "wasm32"))]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    let base_url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    match run(&base_url, |line| println!("{line}")).await {
        Ok(0) => std::process::ExitCode::FAILURE,
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// In a browser the same `run`, printing to the console (against the page's
/// dev server).
#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = console)]
        fn log(s: &str);
    }

    wasm_bindgen_futures::spawn_local(async {
        if let Err(e) = run(DEFAULT_BASE_URL, log).await {
            log(&format!("error: {e}"));
        }
    });
}
