//! `Idempotency-Key` on writes (a repeat gets the stored first answer and
//! is not applied again; counted in `/stats`) and the `/faults/offline`
//! fault (503 with `Retry-After`, or a cut connection).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{get, send, test_app};
use serde_json::Value;

fn keyed(method: &str, uri: &str, key: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn a_repeated_key_gets_the_first_answer_and_is_applied_once() {
    let (app, _dir) = test_app();
    let first = send(
        &app,
        keyed("POST", "/posts?tag=i1", "k-1", r#"{"title":"a"}"#),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED);
    for _ in 0..3 {
        let again = send(
            &app,
            keyed("POST", "/posts?tag=i1", "k-1", r#"{"title":"a"}"#),
        )
        .await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(again.body, first.body);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
    }
    // The same key on another request: 422, not applied.
    let other = send(
        &app,
        keyed("POST", "/posts?tag=i1", "k-1", r#"{"title":"b"}"#),
    )
    .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    // PUT, PATCH and DELETE too; GET ignores the header.
    for (m, uri) in [
        ("PUT", "/posts/1?tag=i1"),
        ("PATCH", "/posts/2?tag=i1"),
        ("DELETE", "/posts/3?tag=i1"),
    ] {
        let key = format!("k-{m}");
        let a = send(&app, keyed(m, uri, &key, r#"{"x":1}"#)).await;
        let b = send(&app, keyed(m, uri, &key, r#"{"x":1}"#)).await;
        assert_eq!(a.status, StatusCode::OK, "{m}");
        assert_eq!(b.header("idempotent-replayed"), Some("true"), "{m}");
    }
    let g = send(&app, keyed("GET", "/posts/1?tag=i1", "k-get", "")).await;
    assert_eq!(g.status, StatusCode::OK);
    let stats = get(&app, "/stats?tag=i1").await.json();
    let idem = &stats["idempotency"];
    assert_eq!(idem["requests"], 11, "{idem}");
    assert_eq!(idem["keys_seen"], 4, "{idem}");
    assert_eq!(idem["applied"], 4, "{idem}");
    assert_eq!(idem["replayed"], 6, "{idem}");
    assert_eq!(idem["conflicts"], 1, "{idem}");
    let log = get(&app, "/idempotency/log?tag=i1").await.json();
    let keys: Vec<&str> = log["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["k-1", "k-PUT", "k-PATCH", "k-DELETE"]);
    assert_eq!(log["applied"][0]["body"], r#"{"title":"a"}"#);
    // Reset forgets the keys: the next one is applied again.
    send(
        &app,
        Request::post("/stats/reset").body(Body::empty()).unwrap(),
    )
    .await;
    let fresh = send(
        &app,
        keyed("POST", "/posts?tag=i1", "k-1", r#"{"title":"a"}"#),
    )
    .await;
    assert_eq!(fresh.header("idempotent-replayed"), None);
}

#[tokio::test]
async fn offline_answers_503_for_its_scope_until_turned_off() {
    let (app, _dir) = test_app();
    let on = get(&app, "/faults/offline?scope=o1&mode=503&seconds=30").await;
    assert_eq!(on.status, StatusCode::OK);
    let refused = send(&app, keyed("POST", "/posts?tag=o1", "k-o", "{}")).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.header("retry-after"), Some("1"));
    // Other tags pass; a refused request was not applied.
    let other = get(&app, "/posts/1?tag=o2").await;
    assert_eq!(other.status, StatusCode::OK);
    let state: Value = get(&app, "/faults/offline").await.json();
    assert_eq!(state["offline"]["o1"]["mode"], "503");
    get(&app, "/faults/offline?scope=o1&seconds=0").await;
    let ok = send(&app, keyed("POST", "/posts?tag=o1", "k-o", "{}")).await;
    assert_eq!(ok.status, StatusCode::CREATED);
    assert_eq!(
        ok.header("idempotent-replayed"),
        None,
        "the refused try was not applied"
    );
    let stats = get(&app, "/stats?tag=o1").await.json();
    assert_eq!(stats["requests"], 2);
    assert_eq!(stats["idempotency"]["applied"], 1);
    let bad = get(&app, "/faults/offline?scope=o1&mode=sometimes").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn network_mode_cuts_the_connection_before_any_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (app, _dir) = test_app();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /faults/offline?scope=n1&mode=network&seconds=30 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    assert!(out.starts_with(b"HTTP/1.1 200"));
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /posts?tag=n1 HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}")
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    assert!(
        out.is_empty(),
        "closed with nothing written: {:?}",
        String::from_utf8_lossy(&out)
    );
    server.abort();
}
