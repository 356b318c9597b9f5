//! `/auth/{key}/...`: tokens, the protected resource and the counts.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{get, send, test_app, with_body};

async fn data(app: &axum::Router, key: &str, token: Option<&str>) -> StatusCode {
    let mut req = Request::get(format!("/auth/{key}/data"));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    send(app, req.body(Body::empty()).unwrap()).await.status
}

#[tokio::test]
async fn only_the_latest_token_opens_the_data() {
    let (app, _dir) = test_app();
    assert_eq!(data(&app, "k", None).await, StatusCode::UNAUTHORIZED);
    let t1 = with_body(&app, "POST", "/auth/k/token", "").await;
    assert_eq!(t1.status, StatusCode::OK);
    assert_eq!(t1.body, "k-t1");
    assert_eq!(data(&app, "k", Some("k-t1")).await, StatusCode::OK);
    let t2 = with_body(&app, "POST", "/auth/k/token", "").await;
    assert_eq!(t2.body, "k-t2");
    assert_eq!(
        data(&app, "k", Some("k-t1")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(data(&app, "k", Some("k-t2")).await, StatusCode::OK);
    // Keys are separate.
    assert_eq!(
        data(&app, "other", Some("k-t2")).await,
        StatusCode::UNAUTHORIZED
    );
    let counts = get(&app, "/auth/k/count").await.json();
    assert_eq!(counts["tokens"], 2);
    assert_eq!(counts["requests"], 4);
    assert_eq!(counts["unauthorized"], 2);
}

#[tokio::test]
async fn a_failing_token_endpoint_issues_nothing() {
    let (app, _dir) = test_app();
    let r = with_body(&app, "POST", "/auth/f/token?fail=1", "").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(get(&app, "/auth/f/count").await.json()["tokens"], 0);
}
