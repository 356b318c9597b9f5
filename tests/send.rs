//! Natively, the client's types and the futures of a request are `Send`
//! (and the types `Sync`), so they run on a multi-threaded tokio runtime,
//! in axum handlers and under `tokio::spawn`. Checked at compile time: if
//! one of them stops being `Send`, this test no longer builds. (On wasm
//! nothing is `Send`: a request holds JavaScript objects.)
#![cfg(not(target_arch = "wasm32"))]

use fanout::{
    gather, AbortController, AbortSignal, Body, BodyStream, Client, ClientBuilder, Error,
    EventStream, Fetch, Hooks, Request, RequestBuilder, Response, Transport,
};

fn assert_send<T: Send>(_: &T) {}
fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn types_are_send_and_sync() {
    assert_send_sync::<Client>();
    assert_send_sync::<ClientBuilder>();
    assert_send_sync::<Request>();
    assert_send_sync::<RequestBuilder>();
    assert_send_sync::<Response>();
    assert_send_sync::<Error>();
    assert_send_sync::<Body>();
    assert_send_sync::<Hooks>();
    assert_send_sync::<Fetch>();
    assert_send_sync::<AbortController>();
    assert_send_sync::<AbortSignal>();
    assert_send_sync::<fanout::mock::MockTransport>();
    assert_send_sync::<fanout::auth::Refresh>();
    assert_send_sync::<Box<dyn Transport>>();
    assert_send_sync::<Box<dyn fanout::Middleware>>();
    assert_send_sync::<fanout::outbox::Outbox>();
    assert_send_sync::<fanout::outbox::Sending>();
    assert_send_sync::<fanout::outbox::OutboxBuilder>();
    assert_send_sync::<fanout::outbox::OutboxError>();
}

#[test]
fn streams_are_send() {
    fn send<T: Send>() {}
    send::<BodyStream>();
    send::<EventStream>();
    send::<fanout::Lines>();
    send::<fanout::WebSocket>();
    send::<fanout::SocketStream>();
    send::<fanout::SocketSink>();
    send::<fanout::SendMessage>();
    send::<fanout::WebSocketBuilder>();
}

/// Builds the futures without running them (no server needed).
#[test]
fn futures_are_send() {
    let client = Client::new();
    let send = client.get("http://127.0.0.1:1/").send();
    assert_send(&send);
    let execute = client.execute(Request::new(fanout::Method::Get, "http://127.0.0.1:1/"));
    assert_send(&execute);
    let response = Response::new(200, "{}");
    let json = response.json::<serde_json::Value>();
    assert_send(&json);
    let text = Response::new(200, "x").text();
    assert_send(&text);
    let bytes = Response::new(200, "x").bytes();
    assert_send(&bytes);
    let sse = client.sse("http://127.0.0.1:1/").send();
    assert_send(&sse);
    let ws = client.websocket("ws://127.0.0.1:1/").connect();
    assert_send(&ws);
    let c = client.clone();
    let batch = gather((1..=3).map(move |i| {
        let c = c.clone();
        async move {
            c.get(format!("http://127.0.0.1:1/{i}"))
                .send()
                .await?
                .text()
                .await
        }
    }));
    assert_send(&batch);
    let batch = batch.into_future_send();
    assert_send(&batch);
    let detailed = gather(vec![async { Ok::<u8, Error>(1) }]).detailed();
    assert_send(&detailed);
}

trait IntoFutureSend: std::future::IntoFuture + Sized {
    fn into_future_send(self) -> Self::IntoFuture {
        self.into_future()
    }
}
impl<T: std::future::IntoFuture> IntoFutureSend for T {}
