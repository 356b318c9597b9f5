//! The streaming routes, without a socket: `/sse`, `/ndjson`, `/upload`.

mod common;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use axum::Router;
use common::{get, send, test_app};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// The body's frames one by one, up to the end or the first error
/// (`true` when it broke off).
async fn frames(app: &Router, req: Request<Body>) -> (StatusCode, Vec<Bytes>, bool) {
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let mut body = response.into_body();
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => out.extend(f.into_data().ok()),
            Err(_) => return (status, out, true),
        }
    }
    (status, out, false)
}

fn text(frames: &[Bytes]) -> String {
    String::from_utf8(frames.concat()).unwrap()
}

fn sse_get(uri: &str, last_id: Option<&str>) -> Request<Body> {
    let mut b = Request::get(uri);
    if let Some(id) = last_id {
        b = b.header("last-event-id", id);
    }
    b.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn sse_sends_the_events_with_their_fields() {
    let (app, _dir) = test_app();
    let reply = get(
        &app,
        "/sse?count=3&interval_ms=0&retry=50&comments&multiline&event=post",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    let body = String::from_utf8(reply.body.to_vec()).unwrap();
    assert!(body.starts_with("retry: 50\n: "), "{body}");
    assert_eq!(body.matches("\nevent: post\n").count(), 3, "{body}");
    assert_eq!(body.matches(": comment before").count(), 3);
    for n in 1..=3 {
        assert!(body.contains(&format!("\nid: {n}\ndata: {{\"n\":{n},\ndata: \"title\":")));
    }
    // Each event's data lines, joined with "\n", are one JSON value.
    let event = body.split("\n\n").find(|e| e.contains("id: 2")).unwrap();
    let data: Vec<&str> = event
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    let v: Value = serde_json::from_str(&data.join("\n")).unwrap();
    assert_eq!(v["n"], 2);
    assert!(v["title"].is_string());
    assert!(body.ends_with("}\n\n"));
}

#[tokio::test]
async fn sse_resumes_after_last_event_id_and_ends_with_204() {
    let (app, _dir) = test_app();
    let (status, f, broke) = frames(&app, sse_get("/sse?count=4&interval_ms=0", Some("2"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!broke);
    let body = text(&f);
    assert!(
        !body.contains("id: 1\n") && !body.contains("id: 2\n"),
        "{body}"
    );
    assert!(
        body.contains("id: 3\n") && body.contains("id: 4\n"),
        "{body}"
    );
    let (status, f, _) = frames(&app, sse_get("/sse?count=4", Some("4"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(text(&f).is_empty());
    let (status, _, _) = frames(&app, sse_get("/sse", Some("x"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sse_drop_after_cuts_the_connection() {
    let (app, _dir) = test_app();
    let (_, f, broke) = frames(
        &app,
        sse_get("/sse?count=5&interval_ms=0&drop_after=2", None),
    )
    .await;
    assert!(broke, "the body must break off");
    let body = text(&f);
    assert!(
        body.contains("id: 1\n") && body.contains("id: 2\n"),
        "{body}"
    );
    assert!(!body.contains("id: 3\n"), "{body}");
    // Resuming goes on from there.
    let (_, f, broke) = frames(
        &app,
        sse_get("/sse?count=5&interval_ms=0&drop_after=2", Some("2")),
    )
    .await;
    assert!(broke);
    let body = text(&f);
    assert!(body.contains("id: 3\n") && body.contains("id: 4\n") && !body.contains("id: 5\n"));
}

#[tokio::test]
async fn sse_crlf_bom_and_no_ids() {
    let (app, _dir) = test_app();
    let reply = get(&app, "/sse?count=2&interval_ms=0&crlf&bom&ids=0").await;
    let body = &reply.body[..];
    assert!(body.starts_with(b"\xEF\xBB\xBF: "));
    let s = std::str::from_utf8(body).unwrap();
    assert!(!s.contains("id:"));
    assert_eq!(s.matches('\n').count(), s.matches("\r\n").count());
    assert!(s.ends_with("\r\n\r\n"));
}

#[tokio::test]
async fn sse_stays_in_flight_until_dropped() {
    let (app, _dir) = test_app();
    let response = app
        .clone()
        .oneshot(sse_get("/sse?count=100&interval_ms=1000&tag=sse", None))
        .await
        .unwrap();
    let mut body = response.into_body();
    body.frame().await.unwrap().unwrap();
    assert_eq!(get(&app, "/stats?tag=sse").await.json()["in_flight"], 1);
    drop(body);
    let stats = get(&app, "/stats?tag=sse").await.json();
    assert_eq!(stats["in_flight"], 0);
    assert_eq!(stats["cancelled"], 1);
}

fn ndjson_line(n: u64) -> String {
    format!("{{\"n\":{n},\"text\":\"caf\u{e9} \u{2603} \u{1F600} #{n}\"}}")
}

#[tokio::test]
async fn ndjson_lines_cut_at_awkward_places() {
    let (app, _dir) = test_app();
    let (status, f, broke) = frames(&app, sse_get("/ndjson?n=5&chunk=7", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!broke);
    assert!(f.len() > 5, "many chunks");
    assert!(f.iter().all(|c| c.len() <= 7));
    // A multi-byte character split between two chunks.
    assert!(f.iter().any(|c| std::str::from_utf8(c).is_err()));
    let want: String = (1..=5).map(|n| ndjson_line(n) + "\n").collect();
    assert_eq!(text(&f), want);
    for line in text(&f).lines() {
        serde_json::from_str::<Value>(line).unwrap();
    }
    let reply = get(&app, "/ndjson?n=3&bad=2&crlf&chunk=1000").await;
    assert_eq!(
        reply.header("content-type"),
        Some("application/x-ndjson; charset=utf-8")
    );
    let body = String::from_utf8(reply.body.to_vec()).unwrap();
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 3);
    assert!(serde_json::from_str::<Value>(lines[0]).is_ok());
    assert!(serde_json::from_str::<Value>(lines[1]).is_err());
    assert_eq!(lines[2], ndjson_line(3));
}

#[tokio::test]
async fn upload_counts_the_bytes() {
    let (app, _dir) = test_app();
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..10)
        .map(|_| Ok(Bytes::from(vec![1u8; 10_000])))
        .collect();
    let reply = send(
        &app,
        Request::post("/upload?slow_ms=1")
            .body(Body::from_stream(futures_util::stream::iter(chunks)))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["received"], 100_000);
    assert_eq!(reply.json()["chunks"], 10);
    let reply = send(&app, Request::put("/upload").body(Body::empty()).unwrap()).await;
    assert_eq!(reply.json()["received"], 0);
}
