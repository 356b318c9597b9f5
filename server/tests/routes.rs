//! Route tests without a socket: `tower::ServiceExt::oneshot` on `app(...)`.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{get, send, test_app, with_body, TempDir};
use fanout_devserver::fixtures::{Fixtures, XSS_TITLE};
use fanout_devserver::{app, Config};
use serde_json::{json, Value};

const JSON_CT: &str = "application/json; charset=utf-8";

fn array_len(v: &Value) -> usize {
    v.as_array().expect("JSON array").len()
}

#[tokio::test]
async fn fixture_counts() {
    let (app, _dir) = test_app();
    for (path, n) in [
        ("/posts", 100),
        ("/comments", 500),
        ("/users", 10),
        ("/todos", 200),
        ("/albums", 100),
        ("/photos", 5000),
    ] {
        let reply = get(&app, path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.header("content-type"), Some(JSON_CT), "{path}");
        assert_eq!(
            reply.header("content-length"),
            Some(reply.body.len().to_string().as_str()),
            "{path}"
        );
        let items = reply.json();
        assert_eq!(array_len(&items), n, "{path}");
        // ids are 1..=n in order
        for (i, item) in items.as_array().unwrap().iter().enumerate() {
            assert_eq!(item["id"], json!(i + 1), "{path}");
        }
    }
}

#[tokio::test]
async fn fixture_shapes() {
    let (app, _dir) = test_app();
    let post = get(&app, "/posts/11").await.json();
    assert_eq!(post["userId"], 2);
    assert!(post["title"].is_string() && post["body"].is_string());
    let comment = get(&app, "/comments/6").await.json();
    assert_eq!(comment["postId"], 2);
    for key in ["name", "email", "body"] {
        assert!(comment[key].is_string(), "{key}");
    }
    let user = get(&app, "/users/3").await.json();
    for key in [
        "/name",
        "/username",
        "/email",
        "/address/street",
        "/address/suite",
        "/address/city",
        "/address/zipcode",
        "/address/geo/lat",
        "/address/geo/lng",
        "/phone",
        "/website",
        "/company/name",
        "/company/catchPhrase",
        "/company/bs",
    ] {
        assert!(user.pointer(key).unwrap().is_string(), "{key}");
    }
    let todo = get(&app, "/todos/200").await.json();
    assert_eq!(todo["userId"], 10);
    assert!(todo["completed"].is_boolean());
    let album = get(&app, "/albums/100").await.json();
    assert_eq!(album["userId"], 10);
    let photo = get(&app, "/photos/5000").await.json();
    assert_eq!(photo["albumId"], 100);
    assert!(photo["url"]
        .as_str()
        .unwrap()
        .starts_with("https://via.placeholder.invalid/600/"));
    assert!(photo["thumbnailUrl"]
        .as_str()
        .unwrap()
        .starts_with("https://via.placeholder.invalid/150/"));
}

#[tokio::test]
async fn photos_payload_is_about_one_megabyte() {
    let (app, _dir) = test_app();
    let reply = get(&app, "/photos").await;
    let len = reply.body.len();
    assert!(
        (900_000..=1_200_000).contains(&len),
        "/photos is {len} bytes"
    );
}

#[tokio::test]
async fn post_titles() {
    let (app, _dir) = test_app();
    let post = get(&app, "/posts/42").await.json();
    assert_eq!(post["title"], XSS_TITLE);
    assert_eq!(post["title"], r#"<img src=x onerror="window.__xss=1">"#);
    let posts = get(&app, "/posts").await.json();
    let mut seen = std::collections::HashSet::new();
    for post in posts.as_array().unwrap() {
        let title = post["title"].as_str().unwrap();
        assert!(seen.insert(title.to_owned()), "duplicate title {title}");
        if post["id"] != 42 {
            let words = title.split(' ').count();
            assert!((3..=8).contains(&words), "{title}");
            assert!(title.chars().all(|c| c == ' ' || c.is_ascii_lowercase()));
        }
        assert_eq!(
            post["userId"],
            json!((post["id"].as_u64().unwrap() - 1) / 10 + 1)
        );
    }
}

#[test]
fn fixtures_are_deterministic() {
    let a = Fixtures::build();
    let b = Fixtures::build();
    for name in fanout_devserver::fixtures::RESOURCE_NAMES {
        let (ra, rb) = (a.resource(name).unwrap(), b.resource(name).unwrap());
        assert_eq!(ra.all_json(), rb.all_json(), "{name}");
    }
    assert_eq!(
        Fixtures::get().photos.all_json(),
        a.photos.all_json(),
        "process-wide fixtures equal a fresh build"
    );
}

#[tokio::test]
async fn filtering() {
    let (app, _dir) = test_app();
    let posts = get(&app, "/posts?userId=1").await.json();
    assert_eq!(array_len(&posts), 10);
    // A trailing slash is the same collection, as on JSONPlaceholder.
    assert_eq!(array_len(&get(&app, "/posts/?userId=1").await.json()), 10);
    assert_eq!(get(&app, "/posts/1/").await.json()["id"], 1);
    assert!(posts.as_array().unwrap().iter().all(|p| p["userId"] == 1));

    let comments = get(&app, "/comments?postId=3").await.json();
    assert_eq!(array_len(&comments), 5);
    assert!(comments
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["postId"] == 3));

    // Params AND together; non-field params are ignored by filtering.
    let one = get(&app, "/posts?userId=1&id=3&delay=0&tag=filter")
        .await
        .json();
    assert_eq!(array_len(&one), 1);
    assert_eq!(one[0]["id"], 3);
    let none = get(&app, "/posts?userId=2&id=3").await.json();
    assert_eq!(array_len(&none), 0);
    let all = get(&app, "/posts?tag=x&whatever=1").await.json();
    assert_eq!(array_len(&all), 100);

    // Booleans compare by their string form.
    let todos = get(&app, "/todos?completed=true").await.json();
    assert!(todos
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["completed"] == true));
    assert!(array_len(&todos) > 0);

    // Nested routes.
    let nested = get(&app, "/posts/3/comments").await.json();
    assert_eq!(nested, comments);
    assert_eq!(array_len(&get(&app, "/albums/2/photos").await.json()), 50);
    assert_eq!(array_len(&get(&app, "/users/1/todos").await.json()), 20);

    // json-server pagination.
    let page = get(&app, "/posts?_start=10&_limit=5").await.json();
    assert_eq!(array_len(&page), 5);
    assert_eq!(page[0]["id"], 11);
}

#[tokio::test]
async fn unknown_ids_are_404_json() {
    let (app, _dir) = test_app();
    for path in [
        "/posts/999",
        "/posts/abc",
        "/posts/0",
        "/users/11",
        "/photos/-1",
    ] {
        let reply = get(&app, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.header("content-type"), Some(JSON_CT), "{path}");
        assert_eq!(&reply.body[..], b"{}", "{path}");
    }
}

#[tokio::test]
async fn writes() {
    let (app, _dir) = test_app();
    let created = with_body(
        &app,
        "POST",
        "/posts",
        r#"{"title":"foo","body":"bar","userId":1}"#,
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(
        created.json(),
        json!({"title": "foo", "body": "bar", "userId": 1, "id": 101})
    );
    assert_eq!(
        &created.body[..],
        br#"{"userId":1,"id":101,"title":"foo","body":"bar"}"#,
        "JSONPlaceholder field order"
    );

    let put = with_body(&app, "PUT", "/posts/1", r#"{"title":"new"}"#).await;
    assert_eq!(put.status, StatusCode::OK);
    let put = put.json();
    assert_eq!(put["id"], 1);
    assert_eq!(put["title"], "new");
    assert_eq!(put["userId"], 1);
    assert!(put["body"].is_string());

    let patch = with_body(&app, "PATCH", "/posts/2", r#"{"body":"b","extra":true}"#).await;
    assert_eq!(patch.status, StatusCode::OK);
    let patch = patch.json();
    assert_eq!(
        (patch["id"].clone(), patch["body"].clone()),
        (json!(2), json!("b"))
    );
    assert_eq!(patch["extra"], true);

    let deleted = with_body(&app, "DELETE", "/posts/1", "").await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(&deleted.body[..], b"{}");

    assert_eq!(
        with_body(&app, "PUT", "/posts/999", "{}").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        with_body(&app, "POST", "/posts", "{not json").await.status,
        StatusCode::BAD_REQUEST
    );
    // Nothing is stored.
    assert_eq!(array_len(&get(&app, "/posts").await.json()), 100);
}

#[tokio::test]
async fn bigint_keeps_precision_in_the_text() {
    let (app, _dir) = test_app();
    let reply = get(&app, "/bigint").await;
    let text = std::str::from_utf8(&reply.body).unwrap();
    assert!(text.contains("9007199254740993"));
    assert!(text.contains("18446744073709551615"));
    assert!(text.contains("-9007199254740993"));
    assert_eq!(reply.json()["big"].as_u64(), Some(u64::MAX));
}

#[tokio::test]
async fn status_codes() {
    let (app, _dir) = test_app();
    let teapot = get(&app, "/status/418").await;
    assert_eq!(teapot.status.as_u16(), 418);
    assert_eq!(teapot.json(), json!({"status": 418}));
    assert_eq!(teapot.header("retry-after"), None);

    let unavailable = get(&app, "/status/503").await;
    assert_eq!(unavailable.status.as_u16(), 503);
    assert_eq!(unavailable.header("retry-after"), Some("0"));
    let limited = get(&app, "/status/429?retry_after=7").await;
    assert_eq!(limited.header("retry-after"), Some("7"));

    for bad in ["/status/101", "/status/600", "/status/abc"] {
        assert_eq!(
            get(&app, bad).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    // Any method.
    let posted = with_body(&app, "POST", "/status/500", "{}").await;
    assert_eq!(posted.status.as_u16(), 500);
}

#[tokio::test]
async fn malformed_and_wrong_type() {
    let (app, _dir) = test_app();
    let malformed = get(&app, "/malformed").await;
    assert_eq!(malformed.status, StatusCode::OK);
    assert_eq!(malformed.header("content-type"), Some(JSON_CT));
    assert!(serde_json::from_slice::<Value>(&malformed.body).is_err());

    let wrong = get(&app, "/wrong-type").await.json();
    assert_eq!(wrong["userId"], "one");
}

#[tokio::test]
async fn redirect() {
    let (app, _dir) = test_app();
    let reply = get(&app, "/redirect?to=/posts/1").await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(reply.header("location"), Some("/posts/1"));
    let reply = get(&app, "/redirect?to=//evil.invalid/").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn echo() {
    let (app, _dir) = test_app();
    let reply = send(
        &app,
        Request::builder()
            .method("PUT")
            .uri("/echo?a=1&b=two%20words")
            .header("x-custom", "Value")
            .body(Body::from("raw body ü"))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-echo"), Some("yes"));
    let v = reply.json();
    assert_eq!(v["method"], "PUT");
    assert_eq!(v["path"], "/echo");
    assert_eq!(v["query"], json!({"a": "1", "b": "two words"}));
    assert_eq!(v["headers"]["x-custom"], "Value");
    assert_eq!(v["body"], "raw body ü");
}

#[tokio::test]
async fn flaky_fails_then_succeeds() {
    let (app, _dir) = test_app();
    let uri = "/flaky/k?fail=2&status=500&retry_after=1";
    let first = get(&app, uri).await;
    assert_eq!(first.status.as_u16(), 500);
    assert_eq!(first.json(), json!({"attempt": 1}));
    assert_eq!(first.header("retry-after"), Some("1"));
    let second = get(&app, uri).await;
    assert_eq!(second.json(), json!({"attempt": 2}));
    let third = get(&app, uri).await;
    assert_eq!(third.status, StatusCode::OK);
    assert_eq!(third.json(), json!({"ok": true, "attempts": 3, "body": ""}));

    let count = get(&app, "/flaky/k/count").await.json();
    assert_eq!(count, json!({"key": "k", "hits": 3}));
    // The count endpoint itself is not a hit, and keys are independent.
    assert_eq!(get(&app, "/flaky/k/count").await.json()["hits"], 3);
    let other = get(&app, "/flaky/other").await;
    assert_eq!(other.status.as_u16(), 503, "default: fail=1, status=503");
    assert_eq!(other.header("retry-after"), None);

    // An HTTP-date Retry-After is passed through verbatim.
    let date = "Wed, 21 Oct 2015 07:28:00 GMT";
    let dated = get(
        &app,
        "/flaky/dated?retry_after=Wed%2C%2021%20Oct%202015%2007%3A28%3A00%20GMT",
    )
    .await;
    assert_eq!(dated.header("retry-after"), Some(date));

    // /stats/reset resets the flaky counters too.
    let reset = with_body(&app, "POST", "/stats/reset", "").await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_eq!(get(&app, "/flaky/k/count").await.json()["hits"], 0);
    assert_eq!(get(&app, uri).await.json(), json!({"attempt": 1}));
}

#[tokio::test]
async fn stats_count_and_reset() {
    let (app, _dir) = test_app();
    get(&app, "/posts/1?tag=t1").await;
    get(&app, "/posts/1?tag=t1").await;
    get(&app, "/users?tag=t2").await;
    get(&app, "/posts/2").await;
    // Not counted: stats, flaky count, static files.
    get(&app, "/flaky/x/count").await;
    get(&app, "/").await;

    let stats = get(&app, "/stats").await.json();
    assert_eq!(stats["requests"], 4);
    assert_eq!(stats["in_flight"], 0);
    assert_eq!(stats["peak_in_flight"], 1);
    assert_eq!(stats["by_path"]["/posts/1"], 2);
    assert_eq!(stats["by_path"]["/posts/2"], 1);
    assert!(stats["by_path"].get("/stats").is_none());
    assert!(stats["by_path"].get("/flaky/x/count").is_none());
    let t1 = &stats["tags"]["t1"];
    assert_eq!(t1["requests"], 2);
    assert_eq!(t1["completed"], 2);
    assert_eq!(t1["cancelled"], 0);
    assert_eq!(t1["in_flight"], 0);
    assert_eq!(t1["peak_in_flight"], 1);

    let t2 = get(&app, "/stats?tag=t2").await.json();
    assert_eq!(t2["requests"], 1);
    let unknown = get(&app, "/stats?tag=nope").await.json();
    assert_eq!(unknown["requests"], 0);
    assert_eq!(unknown["peak_in_flight_by_host"], json!({}));

    // Reset one tag.
    with_body(&app, "POST", "/stats/reset?tag=t1", "").await;
    assert_eq!(get(&app, "/stats?tag=t1").await.json()["requests"], 0);
    assert_eq!(get(&app, "/stats?tag=t2").await.json()["requests"], 1);
    assert_eq!(get(&app, "/stats").await.json()["requests"], 4);

    // Reset everything (DELETE /stats works too).
    with_body(&app, "DELETE", "/stats", "").await;
    let stats = get(&app, "/stats").await.json();
    assert_eq!(stats["requests"], 0);
    assert_eq!(stats["tags"], json!({}));
    assert_eq!(stats["by_path"], json!({}));

    // Each app() has its own state.
    let (other, _dir2) = test_app();
    get(&app, "/posts").await;
    assert_eq!(get(&other, "/stats").await.json()["requests"], 0);
}

#[tokio::test]
async fn stats_track_concurrency_per_tag_and_host() {
    let (app, _dir) = test_app();
    let request = |host: &'static str| {
        let app = app.clone();
        async move {
            common::send(
                &app,
                Request::get("/posts/1?tag=conc&delay=100")
                    .header("host", host)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    let replies = tokio::join!(
        request("127.0.0.1:1"),
        request("127.0.0.1:1"),
        request("localhost:1"),
    );
    assert_eq!(replies.0.status, StatusCode::OK);
    let tag = get(&app, "/stats?tag=conc").await.json();
    assert_eq!(tag["requests"], 3);
    assert_eq!(tag["peak_in_flight"], 3);
    assert_eq!(tag["in_flight"], 0);
    assert_eq!(tag["completed"], 3);
    assert_eq!(
        tag["peak_in_flight_by_host"],
        json!({"127.0.0.1:1": 2, "localhost:1": 1})
    );
}

#[tokio::test]
async fn dropped_request_counts_as_cancelled() {
    let (app, _dir) = test_app();
    let pending = tower::ServiceExt::oneshot(
        app.clone(),
        Request::get("/posts/1?tag=drop&delay=5000")
            .body(Body::empty())
            .unwrap(),
    );
    // Poll it a little, then drop it (like a client abort).
    let timed_out = tokio::time::timeout(Duration::from_millis(50), pending).await;
    assert!(timed_out.is_err());
    let tag = get(&app, "/stats?tag=drop").await.json();
    assert_eq!(tag["requests"], 1);
    assert_eq!(tag["in_flight"], 0);
    assert_eq!(tag["cancelled"], 1);
    assert_eq!(tag["completed"], 0);
}

#[tokio::test]
async fn streaming_body_stays_in_flight_until_sent() {
    use http_body_util::BodyExt;
    let (app, _dir) = test_app();
    let response = tower::ServiceExt::oneshot(
        app.clone(),
        Request::get("/drip?chunks=3&interval_ms=20&chunk_size=5&tag=drip")
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(get(&app, "/stats?tag=drip").await.json()["in_flight"], 1);
    assert!(response.headers().get("content-length").is_none());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"xxxxxxxxxxxxxxx");
    let tag = get(&app, "/stats?tag=drip").await.json();
    assert_eq!(tag["in_flight"], 0);
    assert_eq!(tag["completed"], 1);
}

#[tokio::test]
async fn cors_preflight_mirrors_origin() {
    let (app, _dir) = test_app();
    let reply = send(
        &app,
        Request::builder()
            .method("OPTIONS")
            .uri("/posts")
            .header("origin", "http://127.0.0.1:9999")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type, x-trace")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.status);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://127.0.0.1:9999")
    );
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(reply.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("content-type, x-trace")
    );
    assert_eq!(reply.header("access-control-max-age"), Some("600"));
    // Preflights are not counted.
    assert_eq!(get(&app, "/stats").await.json()["requests"], 0);
}

#[tokio::test]
async fn cors_on_simple_requests_and_exposed_headers() {
    let (app, _dir) = test_app();
    let reply = send(
        &app,
        Request::get("/headers?x-trace=abc&link=%3C%2Fposts%3E")
            .header("origin", "http://localhost:9999")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-trace"), Some("abc"));
    assert_eq!(reply.header("link"), Some("</posts>"));
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://localhost:9999")
    );
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
    let exposed: Vec<&str> = reply
        .header("access-control-expose-headers")
        .unwrap()
        .split(',')
        .map(str::trim)
        .collect();
    for name in [
        "content-length",
        "content-type",
        "retry-after",
        "x-echo",
        "date",
        "etag",
        "link",
        "x-trace",
    ] {
        assert!(exposed.contains(&name), "{name} not exposed: {exposed:?}");
    }
    // No Origin, no CORS headers.
    let plain = get(&app, "/posts/1").await;
    assert!(plain.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn static_files() {
    let dir = TempDir::new();
    dir.write("index.html", b"<!doctype html><title>demo</title>");
    dir.write("www/pkg/fanout_bg.wasm", b"\0asm\x01\0\0\0");
    dir.write("www/pkg/fanout.js", b"export {};");
    dir.write("www/pkg/fanout.d.ts", b"export {};");
    dir.write("www/style.css", b"body{}");
    dir.write("www/data.json", b"{}");
    dir.write("www/icon.svg", b"<svg/>");
    dir.write("secret.txt", b"not served");
    let app = app(Config::new(dir.path()));

    let index = get(&app, "/").await;
    assert_eq!(index.status, StatusCode::OK);
    assert_eq!(&index.body[..], b"<!doctype html><title>demo</title>");
    assert!(index
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(
        index.header("content-security-policy"),
        Some(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             connect-src 'self' http: https: ws: wss:"
        )
    );
    assert_eq!(index.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(index.header("cache-control"), Some("no-cache"));

    for (path, ct) in [
        ("/www/pkg/fanout_bg.wasm", "application/wasm"),
        ("/www/pkg/fanout.js", "text/javascript"),
        ("/www/style.css", "text/css"),
        ("/www/data.json", "application/json"),
        ("/www/icon.svg", "image/svg+xml"),
    ] {
        let reply = get(&app, path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.header("content-type"), Some(ct), "{path}");
        assert!(reply.header("content-security-policy").is_some(), "{path}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    }
    let ts = get(&app, "/www/pkg/fanout.d.ts").await;
    assert_eq!(ts.status, StatusCode::OK);
    assert!(!ts.header("content-type").unwrap().starts_with("video/"));
    assert_eq!(
        &get(&app, "/www/pkg/fanout_bg.wasm").await.body[..],
        b"\0asm\x01\0\0\0"
    );

    // Anything else is a 404, with the static headers; no listings, no escapes.
    for path in [
        "/secret.txt",
        "/www/",
        "/www",
        "/www/pkg/",
        "/www/../secret.txt",
        "/www/%2e%2e/secret.txt",
        "/nope",
    ] {
        let reply = get(&app, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(reply.header("content-security-policy").is_some(), "{path}");
    }
    // API responses do not carry the CSP.
    assert!(get(&app, "/posts/1")
        .await
        .header("content-security-policy")
        .is_none());
}

#[tokio::test]
async fn missing_index_is_404() {
    let (app, _dir) = test_app();
    let reply = get(&app, "/").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.header("content-security-policy").is_some());
}

#[tokio::test]
async fn delay_param() {
    let (app, _dir) = test_app();
    for path in [
        "/posts/1?delay=60",
        "/echo?delay=60",
        "/status/201?delay=60",
    ] {
        let start = Instant::now();
        let reply = get(&app, path).await;
        assert!(reply.status.is_success(), "{path}");
        assert!(
            start.elapsed() >= Duration::from_millis(60),
            "{path} took {:?}",
            start.elapsed()
        );
    }
    let start = Instant::now();
    get(&app, "/posts/1?delay=abc").await;
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn bytes_and_big() {
    let (app, _dir) = test_app();
    let bytes = get(&app, "/bytes?n=1000").await;
    assert_eq!(
        bytes.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(bytes.body.len(), 1000);
    assert!(bytes
        .body
        .iter()
        .enumerate()
        .all(|(i, b)| *b == (i % 256) as u8));

    let big = get(&app, "/big?kb=64").await;
    assert_eq!(
        big.header("content-length"),
        Some(big.body.len().to_string().as_str())
    );
    let len = big.body.len();
    assert!((64 * 1024..=64 * 1024 + 16).contains(&len), "{len}");
    let strings = big.json();
    assert!(strings.as_array().unwrap().iter().all(Value::is_string));

    let chunked = get(&app, "/big-chunked?kb=64").await;
    assert!(chunked.header("content-length").is_none());
    assert_eq!(chunked.body, big.body);
    assert_eq!(&get(&app, "/big-chunked?kb=0").await.body[..], b"[]");
}

#[tokio::test]
async fn drop_announces_more_than_it_sends() {
    use http_body_util::BodyExt;
    let (app, _dir) = test_app();
    let response = tower::ServiceExt::oneshot(
        app.clone(),
        Request::get("/drop?after=10").body(Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("content-length").unwrap(), "100000");
    let mut body = response.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(first.len(), 10);
    assert!(body.frame().await.unwrap().is_err(), "the body must fail");
}

#[tokio::test]
async fn unknown_api_like_paths_are_404() {
    let (app, _dir) = test_app();
    assert_eq!(
        get(&app, "/nothing-here").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get(&app, "/stats/nope").await.status, StatusCode::NOT_FOUND);
}
