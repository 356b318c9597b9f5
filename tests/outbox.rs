//! The outbox natively, over `MockTransport` (no server): delivery order
//! under failures, which answers are final and which are retried, the
//! backoff and `Retry-After`, attempt caps, bad input refused with
//! nothing stored, and the store's versioned record (the file store
//! across a "reload").
#![cfg(not(target_arch = "wasm32"))]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fanout::mock::{MockTransport, Reply};
use fanout::outbox::{EntryState, FileStore, OutboxEvent, Reason, Record, Store, RECORD_VERSION};
use fanout::{Body, Client, Method};

fn client(mock: &MockTransport) -> Client {
    Client::builder()
        .base_url("http://api.test/")
        .transport(mock.clone())
        .build()
        .unwrap()
}

const FAST: (Duration, Duration, Duration) = (
    Duration::from_millis(1),
    Duration::from_millis(4),
    Duration::from_millis(50),
);

fn body_of(req: &fanout::Request) -> String {
    String::from_utf8(req.body().unwrap().as_bytes().unwrap().to_vec()).unwrap()
}

#[tokio::test]
async fn delivers_in_order_with_one_key_each() {
    let mock = MockTransport::new().route(Method::Post, "/items", Reply::status(201));
    let client = client(&mock);
    let outbox = client.outbox("a").memory().open().await.unwrap();
    let mut handles = Vec::new();
    for i in 0..5 {
        let req = client.post("items").text(format!("{i}")).build().unwrap();
        handles.push(outbox.send(req).await.unwrap());
    }
    let keys: Vec<String> = handles.iter().map(|h| h.key().to_owned()).collect();
    for h in handles {
        assert_eq!(h.await.unwrap().status(), 201);
    }
    let seen = mock.requests();
    assert_eq!(
        seen.iter().map(body_of).collect::<Vec<_>>(),
        ["0", "1", "2", "3", "4"]
    );
    let sent_keys: Vec<&str> = seen
        .iter()
        .map(|r| r.header("idempotency-key").unwrap())
        .collect();
    assert_eq!(sent_keys, keys);
    let distinct: std::collections::BTreeSet<_> = keys.iter().collect();
    assert_eq!(distinct.len(), 5);
    assert!(
        keys.iter()
            .all(|k| k.len() == 36 && k.as_bytes()[14] == b'4'),
        "{keys:?}"
    );
    assert_eq!(outbox.len().await.unwrap(), 0);
}

#[tokio::test]
async fn order_holds_under_failures_and_each_retry_keeps_its_key() {
    // Each item fails twice (503, a network error) before it is taken.
    let hits: Arc<Mutex<std::collections::HashMap<String, u32>>> = Arc::default();
    let h = hits.clone();
    let mock = MockTransport::new().route_fn(Method::Post, "/items", move |req| {
        let body = body_of(req);
        let mut hits = h.lock().unwrap();
        let n = hits.entry(body).or_insert(0);
        *n += 1;
        match *n {
            1 => Reply::status(503),
            2 => Reply::network_error("cut"),
            _ => Reply::status(200),
        }
    });
    let client = client(&mock);
    let outbox = client
        .outbox("b")
        .memory()
        .backoff(FAST.0, FAST.1, FAST.2)
        .open()
        .await
        .unwrap();
    let mut handles = Vec::new();
    for i in 0..6 {
        let req = client.post("items").text(format!("{i}")).build().unwrap();
        handles.push(outbox.send(req).await.unwrap());
    }
    for h in handles {
        assert_eq!(h.await.unwrap().status(), 200);
    }
    let seen = mock.requests();
    let bodies: Vec<String> = seen.iter().map(body_of).collect();
    let want: Vec<String> = (0..6).flat_map(|i| vec![i.to_string(); 3]).collect();
    assert_eq!(bodies, want, "a later entry never overtakes an earlier one");
    for chunk in seen.chunks(3) {
        let k = chunk[0].header("idempotency-key").unwrap();
        assert!(chunk.iter().all(|r| r.header("idempotency-key") == Some(k)));
    }
    assert!(outbox.is_empty().await.unwrap());
}

#[tokio::test]
async fn a_final_4xx_is_kept_as_failed_and_the_queue_goes_on() {
    let mock = MockTransport::new()
        .route(Method::Post, "/bad", Reply::text(422, "no"))
        .route(Method::Post, "/good", Reply::status(201))
        .route(Method::Post, "/slow", Reply::status(408))
        .route(Method::Post, "/busy", Reply::status(429));
    let client = client(&mock);
    let events: Arc<Mutex<Vec<OutboxEvent>>> = Arc::default();
    let outbox = client
        .outbox("c")
        .memory()
        .max_attempts(2)
        .backoff(FAST.0, FAST.1, FAST.2)
        .open()
        .await
        .unwrap();
    let e = events.clone();
    outbox.on_event(move |ev| e.lock().unwrap().push(ev.clone()));
    let bad = outbox
        .send(client.post("bad").build().unwrap())
        .await
        .unwrap();
    let good = outbox
        .send(client.post("good").build().unwrap())
        .await
        .unwrap();
    let bad_id = bad.id();
    let response = bad.await.unwrap();
    assert_eq!(
        response.status(),
        422,
        "the final response reaches the handle"
    );
    assert_eq!(good.await.unwrap().status(), 201);
    let entries = outbox.entries().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, bad_id);
    assert!(matches!(
        entries[0].state,
        EntryState::Failed {
            status: Some(422),
            ..
        }
    ));
    assert_eq!(
        mock.requests()
            .iter()
            .filter(|r| r.url().ends_with("/bad"))
            .count(),
        1,
        "never retried"
    );
    // 408 and 429 are retried (here up to the cap of 2 attempts).
    for path in ["slow", "busy"] {
        let h = outbox
            .send(client.post(path).build().unwrap())
            .await
            .unwrap();
        let e = h.await.unwrap_err();
        assert_eq!(e.reason(), Reason::GaveUp, "{e}");
        assert_eq!(
            mock.requests()
                .iter()
                .filter(|r| r.url().ends_with(path))
                .count(),
            2
        );
    }
    assert_eq!(outbox.len().await.unwrap(), 3);
    assert!(outbox.remove(bad_id).await.unwrap());
    assert_eq!(outbox.len().await.unwrap(), 2);
    outbox.clear().await.unwrap();
    assert_eq!(outbox.len().await.unwrap(), 0);
    let kinds: Vec<(&str, u64)> = events
        .lock()
        .unwrap()
        .iter()
        .map(|e| (e.kind(), e.id()))
        .collect();
    assert_eq!(
        &kinds[..3],
        [
            ("queued", bad_id),
            ("queued", bad_id + 1),
            ("attempt", bad_id)
        ]
    );
    assert!(kinds.contains(&("failed", bad_id)));
    assert!(kinds.contains(&("delivered", bad_id + 1)));
    assert!(kinds.iter().any(|k| k.0 == "retrying"));
}

#[tokio::test]
async fn network_errors_retry_with_backoff_until_the_cap() {
    let mock = MockTransport::new().route(Method::Put, "/x", Reply::network_error("down"));
    let client = client(&mock);
    let outbox = client
        .outbox("d")
        .memory()
        .max_attempts(4)
        .backoff(Duration::from_millis(20), Duration::from_millis(40), FAST.2)
        .open()
        .await
        .unwrap();
    let start = Instant::now();
    let h = outbox
        .send(client.put("x").text("v").build().unwrap())
        .await
        .unwrap();
    let e = h.await.unwrap_err();
    // Waits of 20, 40, 40 ms between the four attempts.
    assert!(
        start.elapsed() >= Duration::from_millis(100),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(e.reason(), Reason::GaveUp);
    assert!(e.error().unwrap().is_network());
    assert_eq!(mock.requests().len(), 4);
    let entries = outbox.entries().await.unwrap();
    assert_eq!(entries[0].attempts, 4);
    assert!(matches!(
        entries[0].state,
        EntryState::Failed { status: None, .. }
    ));
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let n = Arc::new(AtomicU32::new(0));
    let n2 = n.clone();
    let mock = MockTransport::new().route_fn(Method::Post, "/r", move |_| {
        if n2.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(503).header("retry-after", "1")
        } else {
            Reply::status(200)
        }
    });
    let client = client(&mock);
    let outbox = client
        .outbox("e")
        .memory()
        .backoff(FAST.0, FAST.1, Duration::from_secs(5))
        .open()
        .await
        .unwrap();
    let start = Instant::now();
    let h = outbox
        .send(client.post("r").build().unwrap())
        .await
        .unwrap();
    assert_eq!(h.await.unwrap().status(), 200);
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(n.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn flush_sends_a_waiting_retry_at_once() {
    let n = Arc::new(AtomicU32::new(0));
    let n2 = n.clone();
    let mock = MockTransport::new().route_fn(Method::Post, "/f", move |_| {
        if n2.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::network_error("offline")
        } else {
            Reply::status(204)
        }
    });
    let client = client(&mock);
    let outbox = client
        .outbox("f")
        .memory()
        .backoff(Duration::from_secs(60), Duration::from_secs(60), FAST.2)
        .open()
        .await
        .unwrap();
    let h = outbox
        .send(client.post("f").build().unwrap())
        .await
        .unwrap();
    while n.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let start = Instant::now();
    outbox.flush().await;
    assert_eq!(h.await.unwrap().status(), 204);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn bad_input_is_a_typed_error_and_nothing_is_stored() {
    let mock = MockTransport::new().fallback(|_| Reply::status(200));
    let client = client(&mock);
    let outbox = client
        .outbox("g")
        .memory()
        .max_body_size(8)
        .quota(12)
        .open()
        .await
        .unwrap();
    let stream = Body::stream(futures_util::stream::iter(vec![Ok(b"a".to_vec())]));
    let req = client.post("s").body(stream).build().unwrap();
    assert_eq!(
        outbox.send(req).await.unwrap_err().reason(),
        Reason::Unstorable
    );
    let req = client.post("s").bytes(vec![0u8; 9]).build().unwrap();
    assert_eq!(
        outbox.send(req).await.unwrap_err().reason(),
        Reason::TooLarge
    );
    // Relative, with no base URL: nothing to resolve it against natively.
    let bare = Client::builder().transport(mock.clone()).build().unwrap();
    let bare_box = bare.outbox("g2").memory().open().await.unwrap();
    let req = fanout::Request::new(Method::Post, "not a url");
    let e = bare_box.send(req).await.unwrap_err();
    assert_eq!(e.reason(), Reason::BadUrl, "{e}");
    assert!(e.error().unwrap().is_builder());
    // The quota: 8 bytes fit, 8 more do not (hold the first with a hang).
    let held = MockTransport::new().fallback(|_| Reply::hang());
    let client = self::client(&held);
    let outbox = client.outbox("h").memory().quota(12).open().await.unwrap();
    outbox
        .send(client.post("q").bytes(vec![1u8; 8]).build().unwrap())
        .await
        .unwrap();
    let e = outbox
        .send(client.post("q").bytes(vec![1u8; 8]).build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.reason(), Reason::Quota, "{e}");
    assert_eq!(outbox.len().await.unwrap(), 1);
    assert_eq!(bare_box.len().await.unwrap(), 0);
    assert!(mock.requests().is_empty(), "nothing sent");
    // Natively a store must be named.
    let e = client.outbox("i").open().await.unwrap_err();
    assert_eq!(e.reason(), Reason::Unsupported);
}

#[test]
fn the_record_is_versioned() {
    let mut r = Record::new(
        "POST",
        "http://api.test/x",
        vec![("idempotency-key".into(), "k".into())],
        Some(vec![0, 1, 2, 250, 255]),
        "k",
    );
    r.id = 7;
    let json = r.encode();
    assert!(json.contains(&format!("\"v\":{RECORD_VERSION}")), "{json}");
    assert_eq!(Record::decode(&json).unwrap(), r);
    let newer = json.replace("\"v\":1", "\"v\":2");
    let e = Record::decode(&newer).unwrap_err();
    assert_eq!(e.reason(), Reason::Version);
    assert!(e.to_string().contains("version 2"), "{e}");
    let none = json.replace("\"v\":1,", "");
    assert_eq!(Record::decode(&none).unwrap_err().reason(), Reason::Version);
    assert_eq!(
        Record::decode("[1,2]").unwrap_err().reason(),
        Reason::Version
    );
    // A version 1 record as an earlier build wrote it (fields in another
    // order, defaults left out) is read.
    let old =
        r#"{"v":1,"method":"PUT","url":"http://a.test/","headers":[],"key":"z","state":"pending"}"#;
    let rec = Record::decode(old).unwrap();
    assert_eq!(
        (rec.method.as_str(), rec.body, rec.attempts),
        ("PUT", None, 0)
    );
}

#[tokio::test]
async fn the_file_store_survives_a_reload_and_rejects_other_versions() {
    let dir = std::env::temp_dir().join(format!("fanout-outbox-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("outbox.jsonl");
    let _ = std::fs::remove_file(&path);
    let down = MockTransport::new().fallback(|_| Reply::network_error("offline"));
    let key = {
        let client = self::client(&down);
        let outbox = client
            .outbox("j")
            .file(&path)
            .backoff(Duration::from_secs(60), Duration::from_secs(60), FAST.2)
            .open()
            .await
            .unwrap();
        let h = outbox
            .send(client.post("items").text("kept").build().unwrap())
            .await
            .unwrap();
        let key = h.key().to_owned();
        drop(outbox);
        let e = h.await.unwrap_err();
        assert_eq!(e.reason(), Reason::Closed);
        key
    };
    // The "reload": a new outbox on the same file delivers the entry,
    // with the key it was given the first time.
    let up = MockTransport::new().fallback(|_| Reply::status(201));
    let client = self::client(&up);
    let outbox = client.outbox("j").file(&path).open().await.unwrap();
    outbox.flush().await;
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("idempotency-key"), Some(key.as_str()));
    assert_eq!(body_of(&seen[0]), "kept");
    assert_eq!(outbox.len().await.unwrap(), 0);
    drop(outbox);
    // A record of a newer version is refused, clearly, at open.
    let store = FileStore::open(&path).unwrap();
    store
        .add(Record::new("POST", "http://a.test/", vec![], None, "k"))
        .await
        .unwrap();
    drop(store);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"v\":1", "\"v\":9");
    std::fs::write(&path, text).unwrap();
    let e = client.outbox("j").file(&path).open().await.unwrap_err();
    assert_eq!(e.reason(), Reason::Version, "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
