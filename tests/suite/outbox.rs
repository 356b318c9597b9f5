//! The durable outbox against the dev server, in every context: 50 POSTs
//! queued while the server refuses (`/faults/offline`), the outbox
//! "reloaded" twice (dropped and opened again on the same store, once in
//! the middle of a replay, its request in flight aborted), then the server
//! back: `/stats` must show 50 distinct keys, each applied once, in the
//! order queued, and the outbox empty. Also: a final 4xx stays failed, two
//! outboxes on one store (two tabs) deliver each entry once, typed errors.
//!
//! The store: IndexedDB in pages and workers (what survives a real
//! reload), a file natively, memory in Node.js (which has no IndexedDB:
//! the default store is a typed error there, checked below; a memory
//! store does not outlive its outbox, so there the "reloads" keep one
//! outbox).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fanout::outbox::{EntryState, Outbox, OutboxEvent, Reason};
use fanout::Client;
use serde_json::{json, Value};
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::{client, context, now, sleep, stats, tag, FetchJson};

const FAST: Duration = Duration::from_millis(40);

/// Whether the outbox's store survives dropping it here.
fn durable() -> bool {
    context() != "node"
}

async fn open(c: &Client, name: &str) -> Outbox {
    let b = c
        .outbox(name)
        .backoff(FAST, Duration::from_millis(300), Duration::from_millis(300));
    #[cfg(not(target_arch = "wasm32"))]
    let b = b.file(std::env::temp_dir().join(format!("fanout-suite-{name}.jsonl")));
    #[cfg(target_arch = "wasm32")]
    let b = if durable() { b } else { b.memory() };
    b.open().await.unwrap()
}

async fn offline(t: &str, mode: &str, seconds: u32) {
    let _: Value = client()
        .get(format!(
            "faults/offline?scope={t}&mode={mode}&seconds={seconds}"
        ))
        .fetch_json()
        .await;
}

/// Waits up to `secs` seconds for `cond` (which may `.await`) to hold.
macro_rules! until {
    ($secs:expr, $what:expr, $cond:expr) => {{
        let deadline = now() + $secs * 1000.0;
        while !$cond {
            assert!(now() < deadline, "timed out waiting for {}", $what);
            sleep(Duration::from_millis(50)).await;
        }
    }};
}

async fn applied_order(t: &str) -> Vec<u64> {
    let log: Value = client()
        .get(format!("idempotency/log?tag={t}"))
        .fetch_json()
        .await;
    log["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            serde_json::from_str::<Value>(e["body"].as_str().unwrap()).unwrap()["n"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn fifty_posts_queued_offline_survive_two_reloads_and_arrive_once_in_order() {
    let t = tag("outbox-50");
    let name = t.clone();
    let c = client();
    // Both kinds of dead network: cut connections, then 503s.
    offline(&t, "network", 60).await;
    // Page 1: queue 50 while the server refuses.
    let ob = open(&c, &name).await;
    let failures = Arc::new(Mutex::new(0u32));
    let f = failures.clone();
    ob.on_event(move |e| {
        if let OutboxEvent::Retrying { .. } = e {
            *f.lock().unwrap() += 1;
        }
    });
    let mut keys = Vec::new();
    for n in 0..50u64 {
        let req = c
            .post(format!("posts?tag={t}&delay=20"))
            .json(&json!({ "n": n, "title": format!("comment {n}") }))
            .build()
            .unwrap();
        keys.push(ob.send(req).await.unwrap().key().to_owned());
    }
    assert_eq!(ob.len().await.unwrap(), 50);
    until!(10.0, "failed attempts", *failures.lock().unwrap() >= 2);
    // Now 503s instead of cut connections.
    offline(&t, "503", 60).await;
    ob.flush().await;
    let first = stats(&t).await;
    assert!(first["requests"].as_u64().unwrap() >= 2, "{first}");
    assert_eq!(first["idempotency"]["applied"], 0, "{first}");
    // Reload 1 (while still offline).
    let ob = if durable() {
        drop(ob);
        open(&c, &name).await
    } else {
        ob
    };
    assert_eq!(ob.len().await.unwrap(), 50, "the queue survived the reload");
    let entries = ob.entries().await.unwrap();
    let stored_keys: Vec<String> = entries.iter().map(|e| e.key.clone()).collect();
    assert_eq!(stored_keys, keys, "same keys, same order");
    assert!(entries[0].attempts >= 2, "{:?}", entries[0]);
    // The server comes back; reload 2 in the middle of the replay.
    let delivered = Arc::new(Mutex::new(0u32));
    let d = delivered.clone();
    ob.on_event(move |e| {
        if let OutboxEvent::Delivered { .. } = e {
            *d.lock().unwrap() += 1;
        }
    });
    offline(&t, "503", 0).await;
    ob.flush().await;
    until!(
        20.0,
        "the replay to start",
        *delivered.lock().unwrap() >= 10
    );
    let ob = if durable() {
        drop(ob); // the request in flight is aborted, as a killed page's
        let left = open(&c, &name).await;
        let n = left.len().await.unwrap();
        assert!(n < 50, "{n} left: the replay was under way");
        left
    } else {
        ob
    };
    until!(30.0, "an empty outbox", ob.len().await.unwrap() == 0);
    let s = stats(&t).await;
    let idem = &s["idempotency"];
    assert_eq!(idem["keys_seen"], 50, "{s}");
    assert_eq!(idem["applied"], 50, "{s}");
    assert_eq!(idem["conflicts"], 0, "{s}");
    assert_eq!(applied_order(&t).await, (0..50).collect::<Vec<_>>());
    // `cancelled`: requests the "killed page" dropped in flight (each
    // sent again, with its key).
    #[cfg(not(target_arch = "wasm32"))]
    println!(
        "outbox 50-POST /stats ({}): {idem}, requests {}, cancelled {}",
        context(),
        s["requests"],
        s["cancelled"]
    );
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_final_4xx_stays_failed_until_removed() {
    let t = tag("outbox-4xx");
    let c = client();
    let ob = open(&c, &t).await;
    let bad = ob
        .send(
            c.post(format!("status/422?tag={t}"))
                .text("x")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let good = ob
        .send(
            c.post(format!("posts?tag={t}"))
                .json(&json!({"n": 1}))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let id = bad.id();
    assert_eq!(bad.await.unwrap().status(), 422);
    assert_eq!(good.await.unwrap().status(), 201);
    let entries = ob.entries().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, id);
    assert!(matches!(
        entries[0].state,
        EntryState::Failed {
            status: Some(422),
            ..
        }
    ));
    assert_eq!(stats(&t).await["by_path"]["/status/422"], 1, "not retried");
    assert!(ob.remove(id).await.unwrap());
    assert!(ob.is_empty().await.unwrap());
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn bad_input_is_a_typed_error_and_nothing_is_stored() {
    let t = tag("outbox-bad");
    let c = client();
    let b = c.outbox(&t).max_body_size(16);
    #[cfg(not(target_arch = "wasm32"))]
    let b = b.file(std::env::temp_dir().join(format!("fanout-suite-{t}.jsonl")));
    #[cfg(target_arch = "wasm32")]
    let b = if durable() {
        b
    } else {
        let e = c.outbox(&t).open().await.unwrap_err();
        assert_eq!(e.reason(), Reason::Unsupported, "{e}");
        b.memory()
    };
    let ob = b.open().await.unwrap();
    let e = ob
        .send(c.post("posts").bytes(vec![0u8; 17]).build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::TooLarge);
    #[cfg(not(target_arch = "wasm32"))]
    let stream = fanout::Body::stream(futures_util::stream::iter(vec![Ok(b"a".to_vec())]));
    #[cfg(target_arch = "wasm32")]
    let stream = fanout::Body::stream(web_sys::ReadableStream::new().unwrap());
    let e = ob
        .send(c.post("posts").body(stream).build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::Unstorable);
    let e = ob
        .send(fanout::Request::new(fanout::Method::Post, "http://[::1"))
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::BadUrl, "{e}");
    assert!(ob.is_empty().await.unwrap());
    assert_eq!(stats(&t).await["requests"], 0);
}

/// Two outboxes on one IndexedDB store at once, as two tabs: under the
/// Web Lock each entry goes out once.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen_test]
async fn two_tabs_deliver_each_entry_once() {
    if !durable() {
        return;
    }
    let t = tag("outbox-tabs");
    let c = client();
    offline(&t, "503", 60).await;
    let a = open(&c, &t).await;
    let b = open(&c, &t).await;
    for n in 0..20u64 {
        let ob = if n % 2 == 0 { &a } else { &b };
        let req = c
            .post(format!("posts?tag={t}"))
            .json(&json!({ "n": n }))
            .build()
            .unwrap();
        ob.send(req).await.unwrap();
    }
    offline(&t, "503", 0).await;
    a.flush().await;
    b.flush().await;
    until!(
        30.0,
        "both empty",
        a.len().await.unwrap() == 0 && b.len().await.unwrap() == 0
    );
    sleep(Duration::from_millis(200)).await;
    let s = stats(&t).await;
    let idem = &s["idempotency"];
    assert_eq!(idem["keys_seen"], 20, "{s}");
    assert_eq!(idem["applied"], 20, "{s}");
    assert_eq!(
        idem["replayed"], 0,
        "each entry sent once once the server took it: {s}"
    );
    assert_eq!(idem["conflicts"], 0, "{s}");
    assert_eq!(applied_order(&t).await, (0..20).collect::<Vec<_>>());
}
