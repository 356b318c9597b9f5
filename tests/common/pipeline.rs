//! The pipeline (middleware, `execute`, options) over `MockTransport`: no
//! server. Included by `tests/native.rs` (plain `cargo test`) and by the
//! wasm suite (`tests/suite/pipeline.rs`: Chromium, Firefox, worker, Node),
//! so the same cases run natively and in every JS context.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fanout::mock::{MockTransport, Reply};
use fanout::{Client, Error, Method, Middleware, Next, Request, Response, Retry};
use futures_util::FutureExt;

const BASE: &str = "http://api.test/v1/";

fn client_with(mock: &MockTransport) -> fanout::ClientBuilder {
    Client::builder()
        .base_url(BASE)
        .retry(Retry::none())
        .transport(mock.clone())
}

/// Records its entry and exit in a shared log.
struct Recorder {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
}

impl Middleware for Recorder {
    fn handle<'a>(
        &'a self,
        req: Request,
        next: Next<'a>,
    ) -> fanout::BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            self.log
                .lock()
                .unwrap()
                .push(format!("enter {}", self.name));
            let result = next.run(req).await;
            self.log.lock().unwrap().push(format!("exit {}", self.name));
            result
        })
    }
}

pub async fn middleware_runs_in_order_added_first_outermost() {
    let mock = MockTransport::new().route(Method::Get, "/v1/x", Reply::text(200, "x"));
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut builder = client_with(&mock);
    for name in ["a", "b", "c"] {
        builder = builder.with(Recorder {
            name,
            log: log.clone(),
        });
    }
    let client = builder.build().unwrap();
    let resp = client.get("x").send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "x");
    assert_eq!(
        *log.lock().unwrap(),
        ["enter a", "enter b", "enter c", "exit c", "exit b", "exit a"]
    );
    assert_eq!(mock.requests().len(), 1);
}

/// Answers `/cached` itself.
struct Cache;

impl Middleware for Cache {
    fn handle<'a>(
        &'a self,
        req: Request,
        next: Next<'a>,
    ) -> fanout::BoxFuture<'a, Result<Response, Error>> {
        if req.url().ends_with("/cached") {
            return Box::pin(async { Ok(Response::new(200, "from the cache")) });
        }
        next.run(req)
    }
}

pub async fn middleware_can_short_circuit() {
    let mock = MockTransport::new();
    let client = client_with(&mock).with(Cache).build().unwrap();
    let resp = client.get("cached").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.url(), format!("{BASE}cached"));
    assert_eq!(resp.text().await.unwrap(), "from the cache");
    assert!(mock.requests().is_empty(), "nothing reached the transport");
    // Other requests pass through.
    assert_eq!(client.get("other").send().await.unwrap().status(), 404);
    assert_eq!(mock.requests().len(), 1);
}

/// Sends again once on a 503, by calling `next` twice.
struct RetryOnce503;

impl Middleware for RetryOnce503 {
    fn handle<'a>(
        &'a self,
        req: Request,
        next: Next<'a>,
    ) -> fanout::BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            let again = req.try_clone().expect("no stream body");
            let first = next.run(req).await?;
            if first.status() != 503 {
                return Ok(first);
            }
            drop(first);
            next.run(again).await
        })
    }
}

pub async fn middleware_can_call_next_twice() {
    let hits = Arc::new(Mutex::new(0));
    let counter = hits.clone();
    let mock = MockTransport::new().route_fn(Method::Get, "/v1/flaky", move |_| {
        *counter.lock().unwrap() += 1;
        if *counter.lock().unwrap() == 1 {
            Reply::status(503)
        } else {
            Reply::text(200, "second time")
        }
    });
    let client = client_with(&mock).with(RetryOnce503).build().unwrap();
    let resp = client.get("flaky").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "second time");
    assert_eq!(*hits.lock().unwrap(), 2);
    assert_eq!(mock.requests().len(), 2);
}

/// Adds a header to every request.
struct AddHeader(&'static str, &'static str);

impl Middleware for AddHeader {
    fn handle<'a>(
        &'a self,
        mut req: Request,
        next: Next<'a>,
    ) -> fanout::BoxFuture<'a, Result<Response, Error>> {
        Box::pin(async move {
            req.set_header(self.0, self.1)?;
            next.run(req).await
        })
    }
}

pub async fn middleware_changes_reach_the_transport() {
    let mock = MockTransport::new();
    let client = client_with(&mock)
        .default_header("accept", "application/json")
        .with(AddHeader("x-tenant", "acme"))
        .build()
        .unwrap();
    client.get("x").header("x-own", "1").send().await.unwrap();
    let seen = &mock.requests()[0];
    assert_eq!(seen.header("x-tenant"), Some("acme"));
    assert_eq!(seen.header("x-own"), Some("1"));
    assert_eq!(
        seen.header("accept"),
        Some("application/json"),
        "defaults merged before the layers"
    );
}

pub async fn middleware_errors_name_the_request() {
    let mock = MockTransport::new();
    let client = client_with(&mock)
        .with(AddHeader("bad name", "x"))
        .build()
        .unwrap();
    let e = client.get("x").send().await.unwrap_err();
    assert!(e.is_builder(), "{e}");
    assert_eq!(e.url(), Some("http://api.test/v1/x"));
    assert!(mock.requests().is_empty());
}

pub async fn mock_routes_and_records() {
    let mock = MockTransport::new()
        .route(
            Method::Get,
            "/v1/posts/1",
            Reply::json(200, &serde_json::json!({"id": 1, "title": "t"})).header("x-a", "1"),
        )
        .route_fn(Method::Post, "/v1/echo", |req| {
            Reply::new(
                201,
                req.body().and_then(|b| b.as_bytes()).unwrap_or_default(),
            )
        })
        .route(Method::Get, "/v1/files/*", Reply::text(200, "a file"));
    let client = client_with(&mock)
        .default_header("x-app", "test")
        .build()
        .unwrap();

    let resp = client.get("posts/1?full=1").send().await.unwrap();
    assert_eq!(resp.headers().get("x-a").as_deref(), Some("1"));
    assert_eq!(
        resp.headers().get("content-type").as_deref(),
        Some("application/json")
    );
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["title"], "t");

    let resp = client.post("echo").text("ping").send().await.unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.text().await.unwrap(), "ping");

    let file = client.get("files/a/b.txt").send().await.unwrap();
    assert_eq!(file.text().await.unwrap(), "a file");
    assert_eq!(client.post("posts/1").send().await.unwrap().status(), 404);

    let seen = mock.requests();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].method(), Method::Get);
    assert_eq!(seen[0].url(), "http://api.test/v1/posts/1?full=1");
    assert_eq!(seen[0].header("x-app"), Some("test"));
    assert_eq!(seen[1].method(), Method::Post);
    assert_eq!(
        seen[1].body().and_then(|b| b.as_bytes()),
        Some(&b"ping"[..])
    );
    assert_eq!(
        seen[1].header("content-type"),
        Some("text/plain;charset=UTF-8")
    );
}

pub async fn mock_delay_is_waited_for_and_bounded_by_the_timeout() {
    let mock = MockTransport::new()
        .route(
            Method::Get,
            "/v1/slow",
            Reply::text(200, "late").delay(Duration::from_millis(300)),
        )
        .route(
            Method::Get,
            "/v1/quick",
            Reply::text(200, "soon").delay(Duration::from_millis(5)),
        );
    let client = client_with(&mock)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let resp = client.get("quick").send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "soon");
    // The request's own timeout wins over the client's.
    let e = client
        .get("slow")
        .timeout(Duration::from_millis(20))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert_eq!(mock.cancelled(), 1);
    assert_eq!(mock.in_flight(), 0);
}

pub async fn mock_network_failure_is_retried_by_the_policy() {
    let mock = MockTransport::new()
        .route(Method::Get, "/v1/down", Reply::network_error("refused"))
        .route(Method::Post, "/v1/down", Reply::network_error("refused"));
    let client = client_with(&mock)
        .retry(
            Retry::new()
                .limit(2)
                .backoff(Duration::from_millis(1), Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let e = client.get("down").send().await.unwrap_err();
    assert!(e.is_network(), "{e}");
    assert_eq!(e.attempts(), 3);
    assert_eq!(e.to_string(), "GET http://api.test/v1/down: refused");
    assert_eq!(mock.requests().len(), 3);
    // A POST is never retried.
    let e = client.post("down").send().await.unwrap_err();
    assert!(e.is_network());
    assert_eq!(e.attempts(), 1);
    assert_eq!(mock.requests().len(), 4);
}

pub async fn mock_hang_times_out_and_drop_aborts() {
    let mock = MockTransport::new().route(Method::Get, "/v1/hang", Reply::hang());
    let client = client_with(&mock).build().unwrap();

    let e = client
        .get("hang")
        .timeout(Duration::from_millis(20))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert_eq!((mock.in_flight(), mock.cancelled()), (0, 1));

    let e = client
        .get("hang")
        .total_timeout(Duration::from_millis(20))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert!(e.to_string().contains("total timeout"), "{e}");
    assert_eq!((mock.in_flight(), mock.cancelled()), (0, 2));

    // Abort on drop: the pending send holds the reply until dropped.
    let mut pending = Box::pin(client.get("hang").send());
    assert!((&mut pending).now_or_never().is_none());
    assert_eq!(mock.in_flight(), 1);
    drop(pending);
    assert_eq!((mock.in_flight(), mock.cancelled()), (0, 3));
}

pub async fn execute_and_try_clone() {
    let mock = MockTransport::new().route_fn(Method::Put, "/v1/items/1", |req| {
        Reply::new(
            200,
            req.body().and_then(|b| b.as_bytes()).unwrap_or_default(),
        )
    });
    let client = client_with(&mock).build().unwrap();
    let req = client
        .put("items/1")
        .json(&serde_json::json!({"n": 1}))
        .header("x-a", "1")
        .build()
        .unwrap();
    let copy = req.try_clone().unwrap();
    assert_eq!(copy.url(), req.url());
    assert_eq!(copy.headers(), req.headers());
    let a = client.execute(req).await.unwrap().text().await.unwrap();
    let b = client.execute(copy).await.unwrap().text().await.unwrap();
    assert_eq!(a, r#"{"n":1}"#);
    assert_eq!(a, b);
    assert_eq!(mock.requests().len(), 2);

    // A hand-made request with a relative URL is joined onto the base URL.
    let mut req = Request::new(Method::Put, "items/1");
    req.set_body(Some("raw".into()));
    let resp = client.execute(req).await.unwrap();
    assert_eq!(resp.url(), "http://api.test/v1/items/1");
    assert_eq!(resp.text().await.unwrap(), "raw");
}

pub async fn options_merge_request_over_client() {
    let mock = MockTransport::new().route(Method::Get, "/v1/missing", Reply::status(404));
    let client = client_with(&mock)
        .error_for_status(true)
        .max_body_size(4)
        .build()
        .unwrap();
    let e = client.get("missing").send().await.unwrap_err();
    assert_eq!(e.status(), Some(404));
    let resp = client
        .get("missing")
        .error_for_status(false)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let seen = mock.requests();
    assert_eq!(seen[0].options().error_for_status, Some(true));
    assert_eq!(seen[1].options().error_for_status, Some(false));
    assert_eq!(
        seen[1].options().max_body_size,
        Some(4),
        "the client's value fills in"
    );

    // The size cap applies to responses made in Rust too.
    let mock = MockTransport::new().route(Method::Get, "/v1/big", Reply::text(200, "too long"));
    let client = client_with(&mock).max_body_size(4).build().unwrap();
    let e = client
        .get("big")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap_err();
    assert!(e.is_too_large(), "{e}");
}

pub async fn cross_origin_guard_is_a_layer() {
    let mock = MockTransport::new();
    let client = client_with(&mock)
        .default_header("authorization", "Bearer t")
        .build()
        .unwrap();
    let e = client
        .get("https://elsewhere.test/x")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_builder(), "{e}");
    // References the platform reads as another host, however they are
    // spelled (backslashes, a tab, leading spaces).
    for sneaky in [
        "\\\\elsewhere.test\\x",
        "/\\elsewhere.test/x",
        " \t//elsewhere.test/x",
        "/\n/elsewhere.test/x",
    ] {
        let e = client.get(sneaky).send().await.unwrap_err();
        assert!(e.is_builder(), "{sneaky:?}: {e}");
        assert!(e.to_string().contains("another origin"), "{sneaky:?}: {e}");
    }
    // A hand-made request gets the same check.
    let e = client
        .execute(Request::new(Method::Get, "https://elsewhere.test/x"))
        .await
        .unwrap_err();
    assert!(e.is_builder(), "{e}");
    assert!(mock.requests().is_empty());
}

pub async fn decode_error_keeps_its_source() {
    use std::error::Error as _;
    let mock = MockTransport::new().route(Method::Get, "/v1/bad", Reply::text(200, "{oops"));
    let client = client_with(&mock).build().unwrap();
    let e = client
        .get("bad")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(e.is_decode());
    let source = e.source().expect("a source");
    assert!(
        source.downcast_ref::<serde_json::Error>().is_some(),
        "{source:?}"
    );
    assert!(
        e.to_string()
            .starts_with("GET http://api.test/v1/bad: invalid JSON"),
        "{e}"
    );
}

pub async fn unusable_urls_are_builder_errors_never_sent() {
    let mock = MockTransport::new().fallback(|_| Reply::network_error("must not be sent"));
    let with_base = client_with(&mock).retry(Retry::new()).build().unwrap();
    let without_base = Client::builder()
        .retry(Retry::new())
        .transport(mock.clone())
        .build()
        .unwrap();
    for url in [
        "http://[::1",
        "http://h:99999/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:text/plain,hi",
    ] {
        for client in [&with_base, &without_base] {
            let e = client.get(url).send().await.unwrap_err();
            assert!(e.is_builder(), "{url}: {e}");
            assert_eq!(e.attempts(), 0, "{url}: never sent");
            assert!(e.to_string().contains("invalid URL"), "{e}");
        }
        let e = with_base
            .execute(Request::new(Method::Get, url))
            .await
            .unwrap_err();
        assert!(e.is_builder(), "{url}: {e}");
    }
    assert!(mock.requests().is_empty());
}

pub async fn hooks_run_client_first_and_add_up() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (l1, l2) = (log.clone(), log.clone());
    let mock = MockTransport::new();
    let client = client_with(&mock)
        .hooks(fanout::Hooks::new().before_request(move |req| {
            l1.lock().unwrap().push("client");
            req.set_header("x-client", "1")
        }))
        .build()
        .unwrap();
    let hooks = fanout::Hooks::new().before_request(move |req| {
        l2.lock().unwrap().push("request");
        req.set_header("x-request", "1")
    });
    client.get("x").hooks(hooks).send().await.unwrap();
    assert_eq!(*log.lock().unwrap(), ["client", "request"]);
    let seen = &mock.requests()[0];
    assert_eq!(
        (seen.header("x-client"), seen.header("x-request")),
        (Some("1"), Some("1"))
    );
    // A request without hooks of its own still runs the client's.
    client.get("y").send().await.unwrap();
    assert_eq!(*log.lock().unwrap(), ["client", "request", "client"]);
}

pub async fn after_response_hooks_retry_and_replace() {
    let hits = Arc::new(Mutex::new(0));
    let counter = hits.clone();
    let mock = MockTransport::new().route_fn(Method::Get, "/v1/job", move |_| {
        *counter.lock().unwrap() += 1;
        match *counter.lock().unwrap() {
            1 => Reply::status(202),
            _ => Reply::text(200, "done"),
        }
    });
    let retries = Arc::new(Mutex::new(Vec::new()));
    let seen = retries.clone();
    let client = client_with(&mock)
        .retry(Retry::new().backoff(Duration::from_millis(1), Duration::from_millis(1)))
        .hooks(
            fanout::Hooks::new()
                .after_response(|resp| {
                    if resp.status() == 202 {
                        fanout::Action::Retry
                    } else {
                        fanout::Action::Continue
                    }
                })
                .before_retry(move |req, err, n| {
                    seen.lock()
                        .unwrap()
                        .push((req.url().to_owned(), err.status(), n));
                }),
        )
        .build()
        .unwrap();
    let resp = client.get("job").send().await.unwrap();
    assert_eq!(resp.attempts(), 2);
    assert_eq!(resp.text().await.unwrap(), "done");
    assert_eq!(
        *retries.lock().unwrap(),
        [(format!("{BASE}job"), Some(202), 1)]
    );

    let client = client_with(&mock)
        .hooks(fanout::Hooks::new().after_response(|resp| {
            if resp.status() == 200 {
                fanout::Action::Replace(Response::new(299, "replaced"))
            } else {
                fanout::Action::Continue
            }
        }))
        .build()
        .unwrap();
    let resp = client.get("job").send().await.unwrap();
    assert_eq!(resp.status(), 299);
    assert_eq!(resp.url(), format!("{BASE}job"));
    assert_eq!(resp.text().await.unwrap(), "replaced");
}

/// A retry a hook asks for past the limit fails the request with an error
/// that `is_forced_retry` (ky's `ForceRetryError`), which `before_error`
/// sees; the refused response is never the answer.
pub async fn forced_retries_past_the_limit_are_an_error() {
    let mock = MockTransport::new().route(Method::Get, "/v1/busy", Reply::status(202));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let client = client_with(&mock)
        .retry(
            Retry::new()
                .limit(2)
                .backoff(Duration::from_millis(1), Duration::from_millis(1)),
        )
        .hooks(
            fanout::Hooks::new()
                .after_response(|_| fanout::Action::Retry)
                .before_error(move |e| {
                    log.lock().unwrap().push(e.is_forced_retry());
                    e
                }),
        )
        .build()
        .unwrap();
    let e = client.get("busy").send().await.unwrap_err();
    assert!(e.is_forced_retry(), "{e}");
    assert_eq!(e.status(), Some(202));
    assert_eq!(e.attempts(), 3);
    assert_eq!(e.js_name(), "ForceRetryError");
    assert!(
        e.to_string().starts_with(&format!("GET {BASE}busy: ")),
        "{e}"
    );
    assert_eq!(
        mock.requests().len(),
        3,
        "the first try and the two retries"
    );
    assert_eq!(*seen.lock().unwrap(), [true]);
}

pub async fn a_failing_hook_stops_the_request_and_before_error_sees_it() {
    let mock = MockTransport::new();
    let client = client_with(&mock)
        .hooks(
            fanout::Hooks::new()
                .before_request(|_| Err(Error::builder("no session")))
                .before_error(|e| {
                    assert!(e.is_builder());
                    Error::aborted(format!("mapped: {}", e.message()))
                }),
        )
        .build()
        .unwrap();
    let e = client.get("x").send().await.unwrap_err();
    assert!(e.is_aborted(), "{e}");
    assert_eq!(e.message(), "mapped: no session");
    assert!(mock.requests().is_empty(), "nothing was sent");
}

/// A future that is pending once (and wakes itself), as an async hook's
/// real work would be.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await
}

pub async fn async_hooks_are_awaited_in_order_and_may_change_the_request() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let hits = Arc::new(Mutex::new(0));
    let counter = hits.clone();
    let mock = MockTransport::new().route_fn(Method::Get, "/v1/job", move |_| {
        *counter.lock().unwrap() += 1;
        match *counter.lock().unwrap() {
            1 => Reply::text(200, "not yet"),
            _ => Reply::text(200, "done"),
        }
    });
    let client = client_with(&mock)
        .retry(Retry::new().backoff(Duration::from_millis(1), Duration::from_millis(1)))
        .hooks(
            fanout::Hooks::new()
                .before_request(move |_| {
                    l1.lock().unwrap().push("sync 1".to_owned());
                    Ok(())
                })
                .before_request_async(move |mut req| {
                    let log = l2.clone();
                    async move {
                        yield_once().await;
                        log.lock().unwrap().push("async 2".to_owned());
                        req.set_header("x-token", "first")?;
                        Ok(req)
                    }
                })
                // Reads the body of its copy; the caller still gets the
                // original's.
                .after_response_async(|copy| async move {
                    Ok(match copy.text().await?.as_str() {
                        "not yet" => fanout::Action::Retry,
                        _ => fanout::Action::Continue,
                    })
                })
                .before_retry_async(move |mut req, err, n| {
                    let log = l3.clone();
                    async move {
                        yield_once().await;
                        log.lock()
                            .unwrap()
                            .push(format!("retry {n}: {:?}", err.status()));
                        req.set_header("x-token", "second")?;
                        Ok(req)
                    }
                }),
        )
        .build()
        .unwrap();
    let resp = client.get("job").send().await.unwrap();
    assert_eq!(resp.attempts(), 2);
    assert_eq!(resp.text().await.unwrap(), "done");
    assert_eq!(
        *log.lock().unwrap(),
        ["sync 1", "async 2", "retry 1: Some(200)"]
    );
    let sent: Vec<_> = mock
        .requests()
        .iter()
        .map(|r| r.header("x-token").map(str::to_owned))
        .collect();
    assert_eq!(sent, [Some("first".to_owned()), Some("second".to_owned())]);
}

pub async fn async_hooks_may_stop_a_retry_and_map_the_error() {
    let mock = MockTransport::new().route(Method::Get, "/v1/flaky", Reply::status(503));
    let client = client_with(&mock)
        .retry(Retry::new().backoff(Duration::from_millis(1), Duration::from_millis(1)))
        .hooks(
            fanout::Hooks::new()
                .before_retry_async(|_req, err, _n| async move {
                    yield_once().await;
                    Err(Error::aborted(format!("gave up after {err}")))
                })
                .before_error_async(|e| async move {
                    yield_once().await;
                    assert!(e.is_aborted(), "{e}");
                    // The error names the request and its attempts.
                    assert_eq!(e.url(), Some(&*format!("{BASE}flaky")));
                    assert_eq!(e.attempts(), 1);
                    Error::builder(format!("mapped: {}", e.message()))
                }),
        )
        .build()
        .unwrap();
    let e = client.get("flaky").send().await.unwrap_err();
    assert!(e.is_builder(), "{e}");
    assert!(e.message().starts_with("mapped: gave up after"), "{e}");
    assert!(e.message().contains("503"), "{e}");
    assert_eq!(mock.requests().len(), 1, "the retry was stopped");

    // A failing async after_response: the request ends with its error,
    // not retried.
    let client = client_with(&mock)
        .retry(Retry::new().backoff(Duration::from_millis(1), Duration::from_millis(1)))
        .hooks(
            fanout::Hooks::new()
                .after_response_async(|_copy| async { Err(Error::body("hook failed")) }),
        )
        .build()
        .unwrap();
    let e = client.get("flaky").send().await.unwrap_err();
    assert_eq!(e.message(), "hook failed");
    assert_eq!(e.url(), Some(&*format!("{BASE}flaky")));
    assert_eq!(mock.requests().len(), 2, "one more request, not retried");

    // A failing async before_request: nothing is sent.
    let client = client_with(&mock)
        .hooks(
            fanout::Hooks::new()
                .before_request_async(|_req| async { Err(Error::builder("no session")) }),
        )
        .build()
        .unwrap();
    let e = client.get("flaky").send().await.unwrap_err();
    assert_eq!(e.message(), "no session");
    assert_eq!(e.url(), Some(&*format!("{BASE}flaky")));
    assert_eq!(mock.requests().len(), 2);
}

pub async fn dedupe_shares_one_fetch_between_identical_gets() {
    let mock = MockTransport::new().route(
        Method::Get,
        "/v1/posts/1",
        Reply::text(200, "post one")
            .header("x-a", "1")
            .delay(Duration::from_millis(20)),
    );
    let client = client_with(&mock).dedupe(true).build().unwrap();
    let all = (0..50).map(|_| {
        let c = client.clone();
        async move {
            let resp = c.get("posts/1").send().await?;
            assert_eq!(resp.headers().get("x-a").as_deref(), Some("1"));
            resp.text().await
        }
    });
    let bodies = futures_util::future::join_all(all).await;
    assert_eq!(bodies.len(), 50);
    assert!(bodies
        .iter()
        .all(|b| matches!(b.as_deref(), Ok("post one"))));
    assert_eq!(mock.requests().len(), 1, "one fetch for fifty callers");

    // Other headers, another method or a body: fetched on their own.
    let a = client.get("posts/1").header("x-v", "1").send();
    let b = client.get("posts/1").header("x-v", "2").send();
    let (a, b) = futures_util::future::join(a, b).await;
    assert!(a.is_ok() && b.is_ok());
    assert_eq!(mock.requests().len(), 3);
}

pub async fn dedupe_outlives_a_dropped_caller_and_aborts_when_all_are_gone() {
    let mock = MockTransport::new()
        .route(
            Method::Get,
            "/v1/slow",
            Reply::text(200, "slow").delay(Duration::from_millis(30)),
        )
        .route(Method::Get, "/v1/hang", Reply::hang());
    let client = client_with(&mock).dedupe(true).build().unwrap();

    let mut first = Box::pin(client.get("slow").send());
    assert!(
        (&mut first).now_or_never().is_none(),
        "the first caller starts the fetch"
    );
    let mut second = Box::pin(client.get("slow").send());
    assert!(
        (&mut second).now_or_never().is_none(),
        "the second joins it"
    );
    drop(first);
    let resp = second.await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "slow");
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(mock.cancelled(), 0);

    let mut a = Box::pin(client.get("hang").send());
    let mut b = Box::pin(client.get("hang").send());
    assert!((&mut a).now_or_never().is_none());
    assert!((&mut b).now_or_never().is_none());
    assert_eq!((mock.requests().len(), mock.in_flight()), (2, 1));
    drop(a);
    assert_eq!(mock.in_flight(), 1, "b still waits for it");
    drop(b);
    assert_eq!((mock.in_flight(), mock.cancelled()), (0, 1));
}

/// A token endpoint and a protected resource on a mock, counting refreshes.
fn auth_mock(fail: bool) -> (MockTransport, Arc<Mutex<u32>>) {
    let issued = Arc::new(Mutex::new(0u32));
    let (i1, i2) = (issued.clone(), issued.clone());
    let mock = MockTransport::new()
        .route_fn(Method::Post, "/v1/token", move |_| {
            if fail {
                return Reply::status(500).delay(Duration::from_millis(10));
            }
            *i1.lock().unwrap() += 1;
            Reply::text(200, format!("t{}", i1.lock().unwrap())).delay(Duration::from_millis(10))
        })
        .route_fn(Method::Get, "/v1/data", move |req| {
            let want = format!("Bearer t{}", i2.lock().unwrap());
            // A little latency, so that all the requests of a batch are in
            // flight before the first 401 comes back, as over a network.
            if req.header("authorization") == Some(want.as_str()) {
                Reply::text(200, "secret").delay(Duration::from_millis(5))
            } else {
                Reply::status(401).delay(Duration::from_millis(5))
            }
        });
    (mock, issued)
}

fn refresh_over(mock: &MockTransport) -> fanout::auth::Refresh {
    let tokens = client_with(mock).build().unwrap();
    fanout::auth::Refresh::new("http://api.test", move || {
        let c = tokens.clone();
        async move {
            c.post("token")
                .send()
                .await?
                .error_for_status()?
                .text()
                .await
        }
    })
    .with_token("stale")
}

pub async fn one_refresh_for_many_401s() {
    let (mock, issued) = auth_mock(false);
    let refresh = refresh_over(&mock);
    let client = client_with(&mock).with(refresh).build().unwrap();
    let all = (0..20).map(|i| client.get(format!("data?i={i}")).send());
    let results = futures_util::future::join_all(all).await;
    for r in results {
        let resp = r.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), "secret");
    }
    assert_eq!(*issued.lock().unwrap(), 1, "exactly one refresh");
    let data: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.url().contains("/data"))
        .collect();
    assert_eq!(
        data.len(),
        40,
        "each sent once with the stale token, once with the new"
    );
    // Later requests use the new token at once.
    client.get("data").send().await.unwrap();
    assert_eq!(*issued.lock().unwrap(), 1);
    // Another origin never gets the token.
    client.get("https://other.test/x").send().await.unwrap();
    let last = mock.requests().pop().unwrap();
    assert_eq!(last.url(), "https://other.test/x");
    assert_eq!(last.header("authorization"), None);
}

pub async fn a_failed_refresh_fails_every_waiting_request() {
    let (mock, _) = auth_mock(true);
    let client = client_with(&mock)
        .with(refresh_over(&mock))
        .build()
        .unwrap();
    let all = (0..20).map(|i| client.get(format!("data?i={i}")).send());
    let results = futures_util::future::join_all(all).await;
    let tokens_asked = mock
        .requests()
        .iter()
        .filter(|r| r.url().ends_with("/token"))
        .count();
    assert_eq!(tokens_asked, 1, "one refresh, shared by all");
    for r in results {
        let e = r.unwrap_err();
        assert_eq!(e.status(), Some(401), "{e}");
        assert!(e.to_string().contains("token refresh failed"), "{e}");
        assert!(std::error::Error::source(&e).is_some());
    }
}

pub async fn bad_input_is_a_typed_error_and_nothing_is_sent() {
    let mock = MockTransport::new().fallback(|_| Reply::text(200, "ok"));
    let client = client_with(&mock).build().unwrap();
    let bad_requests = [
        ("empty header name", client.get("x").header("", "v")),
        ("space in a header name", client.get("x").header("a b", "v")),
        ("non-ASCII header name", client.get("x").header("é", "v")),
        (
            "CR LF in a value",
            client.get("x").header("x-a", "1\r\nx-b: 2"),
        ),
        ("NUL in a value", client.get("x").header("x-a", "1\u{0}2")),
        (
            "a value beyond Latin-1",
            client.get("x").header("x-a", "snow \u{2603}"),
        ),
        ("an emoji value", client.get("x").header("x-a", "\u{1f600}")),
        ("zero timeout", client.get("x").timeout(Duration::ZERO)),
        (
            "zero total timeout",
            client.get("x").total_timeout(Duration::ZERO),
        ),
        (
            "retry cap below its base",
            client
                .get("x")
                .retry(Retry::new().backoff(Duration::from_secs(2), Duration::from_secs(1))),
        ),
        ("bad URL", client.get("http://[::1")),
        ("file URL", client.get("file:///etc/passwd")),
    ];
    for (what, req) in bad_requests {
        let e = req.send().await.unwrap_err();
        assert!(e.is_builder(), "{what}: {e}");
        assert!(e.url().is_some(), "{what}: names the request: {e}");
    }
    let bad_clients = [
        ("no base URL scheme", Client::builder().base_url("api.test")),
        (
            "base URL with a query",
            Client::builder().base_url("http://h/?q=1"),
        ),
        ("ftp base URL", Client::builder().base_url("ftp://h/")),
        ("limit 0", Client::builder().limit(0)),
        ("limit_per_host 0", Client::builder().limit_per_host(0)),
        ("zero timeout", Client::builder().timeout(Duration::ZERO)),
        (
            "bad default header",
            Client::builder().default_header("x", "a\nb"),
        ),
        (
            "default header beyond Latin-1",
            Client::builder().default_header("x", "\u{2603}"),
        ),
    ];
    for (what, builder) in bad_clients {
        let e = builder.build().unwrap_err();
        assert!(e.is_builder(), "{what}: {e}");
    }
    assert!(mock.requests().is_empty(), "nothing was sent");

    // Extreme but valid: huge timeouts, a far-future Retry-After.
    let resp = client
        .get("x")
        .timeout(Duration::MAX)
        .total_timeout(Duration::MAX)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "ok");
    let mock =
        MockTransport::new().fallback(|_| Reply::status(503).header("retry-after", "99999999999"));
    let client = client_with(&mock)
        .retry(
            Retry::new()
                .limit(1)
                .max_retry_after(Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let resp = client.get("x").send().await.unwrap();
    assert_eq!(
        (resp.status(), resp.attempts()),
        (503, 2),
        "waited the ceiling, not the header"
    );
}

/// Calls `$m!` with the name of every case, for the harness to declare one
/// test each: `#[test]` natively, `#[wasm_bindgen_test]` in wasm.
#[macro_export]
macro_rules! for_each_pipeline_case {
    ($m:ident) => {
        $m!(
            middleware_runs_in_order_added_first_outermost,
            middleware_can_short_circuit,
            middleware_can_call_next_twice,
            middleware_changes_reach_the_transport,
            middleware_errors_name_the_request,
            mock_routes_and_records,
            mock_delay_is_waited_for_and_bounded_by_the_timeout,
            mock_network_failure_is_retried_by_the_policy,
            mock_hang_times_out_and_drop_aborts,
            execute_and_try_clone,
            options_merge_request_over_client,
            cross_origin_guard_is_a_layer,
            decode_error_keeps_its_source,
            unusable_urls_are_builder_errors_never_sent,
            hooks_run_client_first_and_add_up,
            after_response_hooks_retry_and_replace,
            forced_retries_past_the_limit_are_an_error,
            a_failing_hook_stops_the_request_and_before_error_sees_it,
            async_hooks_are_awaited_in_order_and_may_change_the_request,
            async_hooks_may_stop_a_retry_and_map_the_error,
            dedupe_shares_one_fetch_between_identical_gets,
            dedupe_outlives_a_dropped_caller_and_aborts_when_all_are_gone,
            one_refresh_for_many_401s,
            a_failed_refresh_fails_every_waiting_request,
            bad_input_is_a_typed_error_and_nothing_is_sent
        );
    };
}
