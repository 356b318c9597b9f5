//! The dev server against hostile input (issue 13, item 5): static file
//! serving against path traversal, `/redirect` against open redirects,
//! and every place a request value is reflected into a response header
//! (`/headers`, `/redirect`, `/status/...?retry_after=`, CORS) against
//! header injection.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{get, send, test_app, TempDir};
use fanout_devserver::{app, cli, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &[u8] = b"TOP-SECRET-OUTSIDE-THE-WWW-DIR";

/// A root with `index.html`, `www/ok.txt`, and secrets beside and above
/// `www/` that must never be served.
fn root_with_secrets() -> (TempDir, TempDir) {
    let outside = TempDir::new();
    outside.write("secret.txt", SECRET);
    let dir = TempDir::new();
    dir.write("index.html", b"<!doctype html><title>t</title>");
    dir.write("www/ok.txt", b"fine");
    dir.write("www/pkg/fanout.js", b"export {};");
    dir.write("secret.txt", SECRET);
    dir.write("Cargo.toml", SECRET);
    (dir, outside)
}

#[tokio::test]
async fn static_files_do_not_escape_the_www_dir() {
    let (dir, outside) = root_with_secrets();
    let app = app(Config::new(dir.path()));
    assert_eq!(&get(&app, "/www/ok.txt").await.body[..], b"fine");

    let abs = outside.path().join("secret.txt");
    let abs = abs.to_str().unwrap();
    let mut paths: Vec<String> = [
        "/secret.txt",
        "/Cargo.toml",
        "/www/../secret.txt",
        "/www/../../secret.txt",
        "/www/pkg/../../secret.txt",
        "/www/%2e%2e/secret.txt",
        "/www/%2E%2E/secret.txt",
        "/www/.%2e/secret.txt",
        "/www/%2e./secret.txt",
        "/www/..%2fsecret.txt",
        "/www/..%2Fsecret.txt",
        "/www/%2e%2e%2fsecret.txt",
        "/www/..%5csecret.txt",
        "/www/..%5Csecret.txt",
        "/www/%5c..%5csecret.txt",
        "/www/%252e%252e/secret.txt",
        "/www/%252e%252e%252fsecret.txt",
        "/www/..;/secret.txt",
        "/www/%c0%ae%c0%ae/secret.txt",
        "/www/ok.txt%00/../../secret.txt",
        "/www/ok.txt/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/www%2f..%2fsecret.txt",
        "/www//secret.txt",
        "/www/%2fsecret.txt",
        "/www/C:%5csecret.txt",
        "/www/%2fetc%2fpasswd",
        "/www//etc/passwd",
        "/www/../../../../../../etc/passwd",
        "/www/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Absolute paths of the secret, raw and encoded.
    paths.push(format!("/www/{abs}"));
    paths.push(format!("/www/{}", abs.replace('/', "%2f")));
    paths.push(format!("/www{abs}"));
    for path in &paths {
        let reply = get(&app, path).await;
        assert!(
            matches!(
                reply.status,
                StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST
            ),
            "{path}: {}",
            reply.status
        );
        assert!(
            !reply.body.windows(SECRET.len()).any(|w| w == SECRET),
            "{path} served the secret"
        );
        assert!(
            !reply.body.starts_with(b"root:"),
            "{path} served /etc/passwd"
        );
        assert!(reply.header("content-security-policy").is_some(), "{path}");
    }
}

/// A symlink inside `www/` is followed (tower-http's `ServeDir` does), so
/// whoever can write into `www/` decides what is served: the root must hold
/// only what may be public. This test records that behaviour, so that a
/// change to it is seen.
#[cfg(unix)]
#[tokio::test]
async fn symlinks_inside_www_are_followed() {
    let (dir, outside) = root_with_secrets();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        dir.path().join("www/link.txt"),
    )
    .unwrap();
    let app = app(Config::new(dir.path()));
    let reply = get(&app, "/www/link.txt").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(&reply.body[..], SECRET);
}

#[tokio::test]
async fn redirect_is_no_open_redirect() {
    let (app, _dir) = test_app();
    // (encoded ?to=, the Location expected, or None for a 400)
    let cases: &[(&str, Option<&str>)] = &[
        ("/posts/1", Some("/posts/1")),
        ("/echo%3Fa%3D1", Some("/echo?a=1")),
        (
            "http://127.0.0.1:8080/echo",
            Some("http://127.0.0.1:8080/echo"),
        ),
        ("http://localhost:1/x?y=1", Some("http://localhost:1/x?y=1")),
        ("http://%5B::1%5D:8080/", Some("http://[::1]:8080/")),
        ("http://localhost/", Some("http://localhost/")),
        // Other origins, in every spelling.
        ("//evil.example/", None),
        ("///evil.example/", None),
        ("/%2F%2Fevil.example/", None),
        ("/%5Cevil.example/", None),
        ("%5C%5Cevil.example/", None),
        ("/%09/evil.example/", None),
        ("/%0A/evil.example/", None),
        ("/%0D/evil.example/", None),
        ("%20//evil.example/", None),
        ("http://evil.example/", None),
        ("https://evil.example/", None),
        ("https://127.0.0.1/", None),
        ("HTTP://evil.example/", None),
        ("http://127.0.0.1.evil.example/", None),
        ("http://localhost.evil.example/", None),
        ("http://127.0.0.1@evil.example/", None),
        ("http://evil.example@127.0.0.1/", None),
        ("http://127.0.0.1:80@evil.example/", None),
        ("http://127.0.0.1%5C@evil.example/", None),
        ("http://127.0.0.1:/x", None),
        ("http://127.0.0.1:8o/x", None),
        ("http://localhost", None),
        ("http://localhost?x", None),
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("evil.example", None),
        ("", None),
        // Header injection through the Location.
        ("/x%0D%0ASet-Cookie:%20a=b", None),
        ("/x%0ASet-Cookie:%20a=b", None),
        ("/x%00", None),
    ];
    for (to, expected) in cases {
        let reply = get(&app, &format!("/redirect?to={to}")).await;
        match expected {
            Some(location) => {
                assert_eq!(reply.status, StatusCode::FOUND, "{to}");
                assert_eq!(reply.header("location"), Some(*location), "{to}");
            }
            None => {
                assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{to}");
                assert!(reply.header("location").is_none(), "{to}");
            }
        }
        assert!(reply.header("set-cookie").is_none(), "{to}");
    }
}

#[tokio::test]
async fn reflected_query_values_cannot_inject_headers() {
    let (app, _dir) = test_app();
    for uri in [
        "/headers?x-a=1%0D%0ASet-Cookie:%20a=b",
        "/headers?x-a=1%0ASet-Cookie:%20a=b",
        "/headers?x-a=1%0DSet-Cookie:%20a=b",
        "/headers?x-a=1%00",
        "/headers?x-a%0D%0ASet-Cookie:%20a=b=1",
        "/headers?x%20a=1",
        "/headers?content-length=0",
        "/headers?transfer-encoding=chunked",
    ] {
        let reply = get(&app, uri).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(reply.header("set-cookie").is_none(), "{uri}");
        assert!(reply.header("x-a").is_none(), "{uri}");
    }
    // A value that is fine is reflected as one header.
    let ok = get(&app, "/headers?x-a=1%3B%20b").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.header("x-a"), Some("1; b"));

    for uri in [
        "/status/429?retry_after=1%0D%0ASet-Cookie:%20a=b",
        "/status/503?retry_after=1%0Ax",
        "/status/500?retry_after=%00",
    ] {
        let reply = get(&app, uri).await;
        assert!(reply.header("set-cookie").is_none(), "{uri}");
        assert!(reply.header("retry-after").is_none(), "{uri}");
        assert!(reply.status.is_client_error() || reply.status.is_server_error());
    }
}

#[tokio::test]
async fn cors_mirrors_only_what_arrived_as_one_header_value() {
    let (app, _dir) = test_app();
    // The mirrored request headers are whole header values: whatever they
    // hold comes back as the same single value.
    let reply = send(
        &app,
        Request::builder()
            .method("OPTIONS")
            .uri("/posts")
            .header("origin", "http://a.example")
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "x-a, x-b")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://a.example")
    );
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("x-a, x-b")
    );
    assert_eq!(
        reply
            .headers
            .get_all("access-control-allow-origin")
            .iter()
            .count(),
        1
    );

    // Over a socket, a CR or LF inside a header value is refused by the
    // HTTP parser before any route (or the CORS layer) sees it.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (root, _outside) = root_with_secrets();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(cli::serve(listener, Config::new(root.path()), async {
        let _ = stopped.await;
    }));
    for raw in [
        "GET /posts/1 HTTP/1.1\r\nHost: x\r\nOrigin: http://a.example\rSet-Cookie: a=b\r\n\r\n",
        "GET /posts/1 HTTP/1.1\r\nHost: x\r\nOrigin: http://a.example\0x\r\n\r\n",
        "OPTIONS /posts HTTP/1.1\r\nHost: x\r\nOrigin: http://a\r\nAccess-Control-Request-Method: GET\rSet-Cookie: a=b\r\n\r\n",
    ] {
        let answer = raw_exchange(addr, raw).await;
        let head = answer.split("\r\n\r\n").next().unwrap_or("").to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 400"), "{raw:?} -> {head}");
        assert!(!head.contains("set-cookie"), "{raw:?} -> {head}");
        assert!(!head.contains("access-control-allow-origin"), "{raw:?} -> {head}");
    }
    stop.send(()).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}

/// Sends `raw` and reads until the server closes or 2 s pass.
async fn raw_exchange(addr: SocketAddr, raw: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}
