//! `fanout::snapshot` over a `MockTransport`: what is recorded, how
//! requests are keyed, and that the page's script tag is safe.
#![cfg(not(target_arch = "wasm32"))]

use fanout::mock::{MockTransport, Reply};
use fanout::snapshot::{Record, Snapshot};
use fanout::{Client, Method};

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    futures::executor::block_on(f)
}

fn echo() -> MockTransport {
    MockTransport::new()
        .route_fn(Method::Post, "/posts", |req| {
            Reply::new(
                201,
                req.body().and_then(|b| b.as_bytes()).unwrap_or_default(),
            )
        })
        .route(
            Method::Get,
            "/me",
            Reply::text(200, "private").header("set-cookie", "s=1"),
        )
        .route(Method::Get, "/big", Reply::text(200, "x".repeat(100)))
        .fallback(|req| Reply::text(200, format!("{} {}", req.method(), req.url())))
}

fn client(mock: &MockTransport, record: Option<Record>, snap: Option<Snapshot>) -> Client {
    let mut b = Client::builder()
        .base_url("http://api.test/")
        .transport(mock.clone());
    if let Some(r) = record {
        b = b.record(r);
    }
    if let Some(s) = snap {
        b = b.snapshot(s);
    }
    b.build().unwrap()
}

#[test]
fn posts_with_different_bodies_get_their_own_answers() {
    let mock = echo();
    let server = client(&mock, Some(Record::new().method(Method::Post)), None);
    block(async {
        for body in ["a", "b"] {
            let r = server.post("posts").text(body).send().await.unwrap();
            assert_eq!(r.text().await.unwrap(), body);
        }
    });
    let snap = server.snapshot();
    assert_eq!(snap.len(), 2);
    let browser = client(&mock, None, Some(snap));
    block(async {
        // Asked in the other order: each gets its own.
        for body in ["b", "a"] {
            let r = browser.post("posts").text(body).send().await.unwrap();
            assert_eq!(r.status(), 201);
            assert_eq!(r.text().await.unwrap(), body);
        }
    });
    assert_eq!(mock.requests().len(), 2, "only the server's two");
    assert_eq!(browser.snapshot_remaining(), 0);
}

#[test]
fn credentials_cookies_other_methods_and_big_bodies_are_not_recorded() {
    let mock = echo();
    let server = client(&mock, Some(Record::new().max_body_size(50)), None);
    block(async {
        let send = |b: fanout::RequestBuilder| async move {
            b.send().await.unwrap().text().await.unwrap()
        };
        send(server.get("a").header("authorization", "Bearer t")).await;
        send(server.get("b").header("Cookie", "s=1")).await;
        send(server.get("me")).await;
        assert_eq!(send(server.get("big")).await.len(), 100, "passed on whole");
        send(server.post("posts").text("x")).await;
        send(server.get("kept")).await;
    });
    let snap = server.snapshot();
    assert_eq!(snap.len(), 1, "{snap:?}");
    assert!(
        snap.to_json()
            .contains(r#""key":"GET http://api.test/kept"#),
        "{snap:?}"
    );
    let opted = client(&mock, Some(Record::new().with_credentials(true)), None);
    block(async {
        opted.get("me").send().await.unwrap().text().await.unwrap();
        opted
            .get("a")
            .header("authorization", "t")
            .send()
            .await
            .unwrap();
    });
    assert_eq!(opted.snapshot().len(), 2);
}

#[test]
fn the_script_tag_cannot_be_closed_by_a_body() {
    let mock = MockTransport::new().fallback(|_| Reply::text(200, "</script><b>&\u{2028}"));
    let server = client(&mock, Some(Record::new()), None);
    block(async { server.get("x").send().await.unwrap().text().await.unwrap() });
    let tag = server.snapshot().to_script_tag("s\"><x");
    assert!(
        tag.starts_with(r#"<script type="application/json" id="sx">"#),
        "{tag}"
    );
    let inner = &tag[tag.find('>').unwrap() + 1..tag.len() - "</script>".len()];
    assert!(!inner.contains('<') && !inner.contains('>') && !inner.contains('&'));
    let back = Snapshot::from_json(inner).unwrap();
    let browser = client(&mock, None, Some(back));
    let body = block(async { browser.get("x").send().await.unwrap().text().await.unwrap() });
    assert_eq!(body, "</script><b>&\u{2028}");
    assert_eq!(mock.requests().len(), 1, "answered from the snapshot");
    assert!(Snapshot::from_json("{").unwrap_err().is_builder());
}

#[test]
fn headers_that_choose_the_answer_are_in_the_key() {
    let mock = echo();
    let server = client(&mock, Some(Record::new()), None);
    block(async {
        server
            .get("x")
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    });
    let browser = client(&mock, None, Some(server.snapshot()));
    block(async {
        browser
            .get("x")
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(
            browser.snapshot_remaining(),
            1,
            "another Accept is another request"
        );
        browser
            .get("x")
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(browser.snapshot_remaining(), 0);
    });
}
