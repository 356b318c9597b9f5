//! Native only: what threads add. One cloned `Client` shared by tasks on a
//! multi-threaded tokio runtime, and cancellation seen from the server's
//! side (`/stats`: `cancelled` counts exchanges whose client went away
//! before the answer).

use std::collections::BTreeSet;
use std::time::Duration;

use fanout::{Client, Error, Retry};

use super::support::{client, settled, tag, Post, API};

/// 1,000 requests spawned on 4 worker threads through one client with
/// `limit(8)`: every one answered, each with its own post, collected in
/// input order, never more than 8 at the server at once, and the tasks
/// really ran on more than one thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_spawned_requests_share_one_client_and_its_limit() {
    let t = tag("spawned");
    let client = Client::builder()
        .base_url(API)
        .limit(8)
        .retry(Retry::none())
        .build()
        .unwrap();
    let handles: Vec<_> = (0..1000u64)
        .map(|i| {
            let (c, t) = (client.clone(), t.clone());
            tokio::spawn(async move {
                let id = i % 100 + 1;
                let post: Post = c
                    .get(format!("posts/{id}?tag={t}"))
                    .error_for_status(true)
                    .send()
                    .await?
                    .json()
                    .await?;
                Ok::<_, Error>((post.id, std::thread::current().id()))
            })
        })
        .collect();
    let mut threads = BTreeSet::new();
    for (i, handle) in handles.into_iter().enumerate() {
        let (id, thread) = handle.await.expect("the task ran").expect("the request");
        assert_eq!(id, i as u64 % 100 + 1, "input {i}");
        threads.insert(format!("{thread:?}"));
    }
    let s = settled(&t).await;
    assert_eq!(s["requests"], 1000, "{s}");
    assert_eq!(s["completed"], 1000, "{s}");
    let peak = s["peak_in_flight"].as_u64().unwrap();
    assert!(
        (1..=8).contains(&peak),
        "peak in flight {peak} past the limit of 8"
    );
    assert!(threads.len() > 1, "all on one thread: {threads:?}");
}

/// A request timeout on a spawned task aborts the exchange: the server
/// sees its client gone (cancelled, nothing left in flight).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_cancels_the_exchange_at_the_server() {
    let t = tag("native-timeout");
    let client = client();
    let e = tokio::spawn(async move {
        client
            .get(format!("hang?tag={t}"))
            .timeout(Duration::from_millis(200))
            .send()
            .await
            .unwrap_err()
    })
    .await
    .unwrap();
    assert!(e.is_timeout(), "{e}");
    let s = settled(&tag_of(&e)).await;
    assert_eq!(s["requests"], 1, "{s}");
    assert_eq!(s["in_flight"], 0, "{s}");
    assert_eq!(s["cancelled"], 1, "{s}");
    assert_eq!(s["completed"], 0, "{s}");
}

/// A request future dropped before its answer closes its connection: the
/// server sees the exchange cancelled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_future_closes_its_connection() {
    let t = tag("native-drop");
    let client = client();
    let send = client.get(format!("posts/1?delay=5000&tag={t}")).send();
    let task = tokio::spawn(send);
    // Until the server has it in flight, then drop it.
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while settled_now(&t).await["in_flight"] != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "never reached the server"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let s = settled(&t).await;
    assert_eq!(s["in_flight"], 0, "{s}");
    assert_eq!(s["cancelled"], 1, "{s}");
    assert_eq!(s["completed"], 0, "{s}");
}

/// The stats right now (no waiting for in-flight requests to end).
async fn settled_now(tag: &str) -> serde_json::Value {
    super::support::stats(tag).await
}

/// The `tag` query parameter of the URL an error names.
fn tag_of(e: &Error) -> String {
    let url = e.url().expect("the error names its URL");
    url.split("tag=").nth(1).unwrap().to_owned()
}
