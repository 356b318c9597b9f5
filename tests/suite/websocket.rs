//! WebSocket through the client, against the dev server's `/ws/echo`,
//! `/ws/ticker` and `/ws/refuse`: echoes, order, reconnection with
//! nothing lost, what never left sent again, the bounded queue, close
//! codes, a refused upgrade, bad URLs, and dropping the socket. Where the
//! platform has no WebSocket (Node.js 20 without
//! `--experimental-websocket`), each test checks the typed error instead.

use std::time::Duration;

use fanout::{Message, Retry, SocketEvent, SocketState, WebSocket};
use futures_util::future::{join_all, select, Either};
use futures_util::StreamExt;
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::{client, now, sleep, stats, tag};

/// Whether this platform has a WebSocket.
#[cfg(target_arch = "wasm32")]
fn has_websocket() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &"WebSocket".into()).unwrap_or(false)
}

#[cfg(not(target_arch = "wasm32"))]
fn has_websocket() -> bool {
    true
}

/// Connects to `path`, or (without a WebSocket) checks the typed error
/// and gives `None`.
async fn open(builder: fanout::WebSocketBuilder) -> Option<WebSocket> {
    let result = builder.connect().await;
    if has_websocket() {
        Some(result.unwrap())
    } else {
        let e = result.unwrap_err();
        assert!(e.is_unsupported(), "{e}");
        assert_eq!(e.js_name(), "NotSupportedError");
        assert!(e.to_string().contains("WebSocket"), "{e}");
        None
    }
}

/// Reads the socket (driving it) until `done` says so or `ms` pass; gives
/// what arrived.
async fn read_until(
    socket: &mut WebSocket,
    ms: f64,
    mut done: impl FnMut(&WebSocket, &[Message]) -> bool,
) -> Vec<Message> {
    let deadline = now() + ms;
    let mut got = Vec::new();
    while !done(socket, &got) && now() < deadline {
        let next = socket.next();
        let tick = Box::pin(sleep(Duration::from_millis(15)));
        match select(next, tick).await {
            Either::Left((Some(Ok(m)), _)) => got.push(m),
            Either::Left((Some(Err(e)), _)) => panic!("unexpected error item: {e}"),
            Either::Left((None, _)) => break,
            Either::Right(_) => {}
        }
    }
    got
}

fn texts(msgs: &[Message]) -> Vec<String> {
    msgs.iter().map(|m| m.text().unwrap().to_owned()).collect()
}

/// The tag's WebSocket counters.
async fn ws_stats(tag: &str) -> Value {
    stats(tag).await["ws"].clone()
}

/// Waits (up to 3 s) until the server counts no open connection for `tag`.
async fn ws_settled(tag: &str) -> Value {
    let deadline = now() + 3000.0;
    loop {
        let s = ws_stats(tag).await;
        if s["open"] == 0 || now() > deadline {
            return s;
        }
        sleep(Duration::from_millis(25)).await;
    }
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn echoes_text_binary_and_json() {
    let t = tag("ws-echo");
    let Some(mut socket) = open(client().websocket(format!("ws/echo?tag={t}"))).await else {
        return;
    };
    assert_eq!(socket.state(), SocketState::Open);
    assert!(socket.url().starts_with("ws://"), "{}", socket.url());
    socket.send("héllo ☃").await.unwrap();
    socket.send(vec![0u8, 1, 2, 255]).await.unwrap();
    socket
        .send_json(&serde_json::json!({"n": 7, "tags": ["a"]}))
        .await
        .unwrap();
    let got = read_until(&mut socket, 5000.0, |_, g| g.len() == 3).await;
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], Message::Text("héllo ☃".into()));
    assert_eq!(got[1], Message::Binary(vec![0, 1, 2, 255]));
    assert!(got[1].text().unwrap_err().is_decode());
    let v: Value = got[2].json().unwrap();
    assert_eq!(v["n"], 7);
    let e = got[0].json::<Value>().unwrap_err();
    assert!(e.is_decode(), "{e}");
    let s = ws_stats(&t).await;
    assert_eq!(s["messages_in"], 3);
    assert_eq!(s["connections"], 1);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_thousand_messages_arrive_in_order() {
    let t = tag("ws-1000");
    let Some(mut socket) = open(client().websocket(format!("ws/echo?tag={t}"))).await else {
        return;
    };
    let sends: Vec<_> = (0..1000).map(|i| socket.send(format!("{i}:m"))).collect();
    for r in join_all(sends).await {
        r.unwrap();
    }
    let got = read_until(&mut socket, 20_000.0, |_, g| g.len() == 1000).await;
    let want: Vec<String> = (0..1000).map(|i| format!("{i}:m")).collect();
    assert_eq!(texts(&got), want);
    let s = ws_stats(&t).await;
    assert_eq!(s["messages_in"], 1000);
    assert_eq!(s["unique"], 1000);
    assert_eq!(s["duplicates"], 0);
}

/// 200 messages in 6 bursts, with the server dropping the socket 5 times
/// between bursts; each next burst is sent at once, while it reconnects.
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn bursts_across_five_drops_arrive_once_in_order() {
    let t = tag("ws-bursts");
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = events.clone();
    let Some(mut socket) = open(
        client()
            .websocket(format!("ws/echo?tag={t}"))
            .reconnect(
                Retry::new()
                    .limit(10)
                    .backoff(Duration::from_millis(30), Duration::from_millis(300)),
            )
            .on_event(move |e| log.lock().unwrap().push(e.clone())),
    )
    .await
    else {
        return;
    };
    let mut got = Vec::new();
    let mut pending = Vec::new();
    // Six bursts (0..34, 34..67, ..., 167..200): five drops between them.
    for burst in 0..6 {
        if burst > 0 {
            socket.send("!drop").await.unwrap();
            // Until the socket sees the drop (it keeps reading meanwhile).
            got.extend(
                read_until(&mut socket, 5000.0, |s, _| s.state() != SocketState::Open).await,
            );
            assert_eq!(socket.state(), SocketState::Reconnecting);
        }
        let (from, to) = (burst * 200 / 6, (burst + 1) * 200 / 6);
        for i in from..to {
            pending.push(socket.send(format!("{i}:burst")));
        }
        let have = got.len();
        got.extend(read_until(&mut socket, 10_000.0, |_, g| have + g.len() >= to).await);
    }
    for r in join_all(pending).await {
        r.unwrap();
    }
    let want: Vec<String> = (0..200).map(|i| format!("{i}:burst")).collect();
    assert_eq!(texts(&got), want);
    assert_eq!(socket.reconnects(), 5);
    let s = ws_stats(&t).await;
    assert_eq!(s["messages_in"], 200, "{s}");
    assert_eq!(s["unique"], 200, "{s}");
    assert_eq!(s["duplicates"], 0, "{s}");
    assert_eq!(s["connections"], 6, "{s}");
    assert_eq!(s["drops"], 5, "{s}");
    let events = events.lock().unwrap().clone();
    let reconnecting = events
        .iter()
        .filter(|e| matches!(e, SocketEvent::Reconnecting { code: 1006, .. }))
        .count();
    let opens = events
        .iter()
        .filter(|e| matches!(e, SocketEvent::Open { .. }))
        .count();
    assert_eq!((reconnecting, opens), (5, 6), "{events:?}");
}

/// Without reconnection, a drop ends the stream with a typed error, and
/// every send after it fails typed.
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn without_reconnect_a_drop_ends_the_stream_and_sends_fail_typed() {
    let t = tag("ws-noreconnect");
    let Some(mut socket) = open(client().websocket(format!("ws/echo?tag={t}"))).await else {
        return;
    };
    for i in 0..40 {
        socket.send(format!("{i}:a")).await.unwrap();
    }
    let got = read_until(&mut socket, 5000.0, |_, g| g.len() == 40).await;
    assert_eq!(got.len(), 40);
    socket.send("!drop").await.unwrap();
    let mut end = None;
    while let Some(item) = socket.next().await {
        if let Err(e) = item {
            end = Some(e);
        }
    }
    let e = end.expect("an error item before the end");
    assert!(e.is_closed(), "{e}");
    assert_eq!(e.close_code(), Some(1006));
    assert_eq!(e.js_name(), "ClosedError");
    assert_eq!(socket.state(), SocketState::Closed);
    let sends: Vec<_> = (40..80).map(|i| socket.send(format!("{i}:b"))).collect();
    for r in join_all(sends).await {
        let e = r.unwrap_err();
        assert!(e.is_closed(), "{e}");
    }
    assert_eq!(ws_stats(&t).await["messages_in"], 40);
}

/// A large burst (10 MiB; natively 50 MiB), and the server drops the
/// connection after reading 3 of its messages: what `bufferedAmount` says never left is sent again
/// after the reconnection, and nothing arrives twice.
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn what_never_left_is_sent_again_and_nothing_twice() {
    let t = tag("ws-buffered");
    let Some(mut socket) = open(
        client()
            .websocket(format!("ws/echo?tag={t}&drop_after_in=3"))
            .reconnect(
                Retry::new()
                    .limit(5)
                    .backoff(Duration::from_millis(50), Duration::from_millis(200)),
            ),
    )
    .await
    else {
        return;
    };
    // Natively the kernel's socket buffers on loopback take ~10 MiB
    // before anything waits in the client: a larger burst there.
    let (n, size) = match super::support::context() {
        "native" => (100, 512 * 1024),
        _ => (40, 256 * 1024),
    };
    let pad = "x".repeat(size);
    let sends: Vec<_> = (0..n).map(|i| socket.send(format!("{i}:{pad}"))).collect();
    let ids = |msgs: &[Message]| -> Vec<usize> {
        msgs.iter()
            .map(|m| {
                m.text()
                    .unwrap()
                    .split(':')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect()
    };
    // Node.js's WebSocket (undici) sets `bufferedAmount` to 0 when the
    // connection closes: there nothing can be told to have never left, so
    // nothing is sent again (and nothing twice). Natively a write that
    // fails keeps its message in the queue (it never left): what follows
    // the first message sent after the reconnection all arrives.
    let context = super::support::context();
    let knows_unsent = context != "node";
    let all_after_reconnect =
        |ids: &[usize]| ids.last() == Some(&(n - 1)) && ids.windows(2).all(|w| w[1] == w[0] + 1);
    let got = read_until(&mut socket, 30_000.0, |s, g| {
        s.reconnects() >= 1 && {
            let r = s.resent() as usize;
            let ids = ids(g);
            match context {
                "node" => false,
                "native" => all_after_reconnect(&ids),
                _ => r > 0 && (n - r..n).all(|i| ids.contains(&i)),
            }
        }
    })
    .await;
    for r in join_all(sends).await {
        r.unwrap();
    }
    let mut got = got;
    if !knows_unsent {
        got.extend(read_until(&mut socket, 1000.0, |_, _| false).await);
    }
    let resent = socket.resent() as usize;
    assert_eq!(socket.reconnects(), 1);
    let ids = ids(&got);
    match context {
        "node" => assert_eq!(resent, 0),
        "native" => assert!(all_after_reconnect(&ids), "{ids:?}"),
        _ => {
            assert!(resent > 0, "a burst of {n} × {size} bytes left at once?");
            for i in n - resent..n {
                assert!(
                    ids.contains(&i),
                    "message {i} (never left) was not resent: {ids:?}"
                );
            }
        }
    }
    let mut sorted = ids.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "an echo twice: {ids:?}");
    let s = ws_stats(&t).await;
    assert_eq!(s["duplicates"], 0, "{s}");
    assert!(s["unique"].as_u64().unwrap() >= (3 + resent) as u64, "{s}");
}

/// While the socket reconnects, sends wait in the queue up to its bound;
/// past it they fail typed; after the reconnection the queue goes out.
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_full_send_buffer_is_a_typed_error() {
    let t = tag("ws-full");
    let Some(mut socket) = open(
        client()
            .websocket(format!("ws/echo?tag={t}"))
            .send_buffer(3)
            .reconnect(
                Retry::new()
                    .limit(5)
                    .backoff(Duration::from_millis(400), Duration::from_millis(400)),
            ),
    )
    .await
    else {
        return;
    };
    socket.send("!drop").await.unwrap();
    read_until(&mut socket, 5000.0, |s, _| s.state() != SocketState::Open).await;
    let queued: Vec<_> = (0..3).map(|i| socket.send(format!("{i}:q"))).collect();
    let e = socket.send("3:q").await.unwrap_err();
    assert!(e.is_buffer_full(), "{e}");
    assert_eq!(e.js_name(), "BufferFullError");
    for r in join_all(queued).await {
        r.unwrap();
    }
    let got = read_until(&mut socket, 5000.0, |_, g| g.len() == 3).await;
    assert_eq!(texts(&got), ["0:q", "1:q", "2:q"]);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn close_codes_round_trip() {
    // The client's close: the server sees the code; the stream ends.
    let t = tag("ws-close");
    let Some(mut socket) = open(client().websocket(format!("ws/echo?tag={t}"))).await else {
        return;
    };
    assert!(socket.close(1001, "").unwrap_err().is_builder());
    socket.close(4001, "bye").unwrap();
    assert!(socket.next().await.is_none());
    assert!(socket.send("late").await.unwrap_err().is_closed());
    let s = ws_settled(&t).await;
    assert_eq!(s["close_codes"], serde_json::json!([4001]), "{s}");

    // The server's code and reason reach the client, typed.
    let mut socket = open(client().websocket("ws/echo?close=4002&reason=nope"))
        .await
        .unwrap();
    let e = socket.next().await.unwrap().unwrap_err();
    assert_eq!(e.close_code(), Some(4002), "{e}");
    assert_eq!(e.close_reason(), Some("nope"));
    assert!(socket.next().await.is_none());

    // A code the policy names: no reconnection.
    let mut socket = open(
        client()
            .websocket("ws/echo?close=4003")
            .reconnect(Retry::new())
            .final_codes([4003]),
    )
    .await
    .unwrap();
    let e = socket.next().await.unwrap().unwrap_err();
    assert_eq!(e.close_code(), Some(4003));
    assert_eq!(socket.reconnects(), 0);

    // The server's 1000: the end, no reconnection.
    let mut socket = open(
        client()
            .websocket("ws/ticker?count=2&tick_ms=10")
            .reconnect(Retry::new()),
    )
    .await
    .unwrap();
    let all: Vec<_> = (&mut socket).collect().await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].as_ref().unwrap().json::<Value>().unwrap()["n"], 2);
    assert_eq!(socket.reconnects(), 0);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn a_refused_upgrade_is_a_typed_error() {
    let t = tag("ws-refuse");
    let result = client()
        .websocket(format!("ws/refuse?tag={t}"))
        .reconnect(Retry::new())
        .connect()
        .await;
    let e = result.unwrap_err();
    if !has_websocket() {
        assert!(e.is_unsupported(), "{e}");
        return;
    }
    assert!(e.is_connect(), "{e}");
    assert_eq!(e.js_name(), "ConnectError");
    assert!(e.to_string().contains("/ws/refuse"), "{e}");
    let s = stats(&t).await;
    assert_eq!(s["requests"], 1, "{s}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn bad_urls_are_typed_errors_before_anything_is_sent() {
    for url in [
        "ftp://127.0.0.1/ws",
        "http://[::1/ws",
        "ws://",
        "ws/echo#frag",
        "data:text/plain,x",
    ] {
        let e = client().websocket(url).connect().await.unwrap_err();
        assert!(e.is_builder(), "{url}: {e}");
        assert_eq!(e.js_name(), "TypeError");
        assert!(e.to_string().contains("WebSocket URL"), "{url}: {e}");
    }
    let c = fanout::Client::builder()
        .base_url("https://api.test/v1/")
        .build()
        .unwrap();
    assert_eq!(c.websocket("live").url().unwrap(), "wss://api.test/v1/live");
    assert_eq!(
        c.websocket("ws://127.0.0.1:9/x").url().unwrap(),
        "ws://127.0.0.1:9/x"
    );
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn dropping_the_socket_closes_it() {
    let t = tag("ws-drop");
    let Some(socket) = open(client().websocket(format!("ws/echo?tag={t}"))).await else {
        return;
    };
    assert_eq!(ws_stats(&t).await["open"], 1);
    let (sink, stream) = socket.split();
    drop(stream);
    assert_eq!(ws_stats(&t).await["open"], 1, "one half still holds it");
    drop(sink);
    let s = ws_settled(&t).await;
    assert_eq!(s["open"], 0, "{s}");
    assert_eq!(s["close_codes"], serde_json::json!([1000]), "{s}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn heartbeat_keeps_an_idle_socket_and_silence_reconnects() {
    // The echo answers each ping: never idle.
    let Some(mut socket) = open(
        client()
            .websocket("ws/echo")
            .heartbeat(Duration::from_millis(100), "ping")
            .idle_timeout(Duration::from_millis(400))
            .reconnect(Retry::new()),
    )
    .await
    else {
        return;
    };
    let got = read_until(&mut socket, 1000.0, |_, _| false).await;
    assert!(got.len() >= 5, "{got:?}");
    assert!(got.iter().all(|m| m.text().unwrap() == "ping"));
    assert_eq!(socket.reconnects(), 0);
    // Silence past the idle timeout counts as a drop.
    let Some(mut socket) = open(
        client()
            .websocket("ws/echo")
            .idle_timeout(Duration::from_millis(200))
            .reconnect(Retry::new().backoff(Duration::from_millis(10), Duration::from_millis(10))),
    )
    .await
    else {
        return;
    };
    read_until(&mut socket, 3000.0, |s, _| s.reconnects() >= 1).await;
    assert!(socket.reconnects() >= 1);
}

/// The split halves work at once: one sends while the other reads; the
/// sink is a `futures` `Sink`.
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn split_halves_send_and_read_at_once() {
    use futures_util::SinkExt;
    let Some(socket) = open(client().websocket("ws/echo")).await else {
        return;
    };
    let (mut sink, stream) = socket.split();
    let read = stream.take(50).map(|m| m.unwrap()).collect::<Vec<_>>();
    let write = async {
        for i in 0..50 {
            SinkExt::send(&mut sink, Message::from(format!("{i}")))
                .await
                .unwrap();
        }
    };
    let (got, ()) = futures_util::future::join(read, write).await;
    let want: Vec<String> = (0..50).map(|i| i.to_string()).collect();
    assert_eq!(texts(&got), want);
}

/// The ticker numbers its messages across the connections of a tag, and
/// drops the connection after N messages or every K ms: with reconnection
/// the numbers go on, none missing or repeated.
#[wasm_bindgen_test(unsupported = tokio::test)]
async fn the_ticker_goes_on_across_its_drops() {
    for fault in ["drop_after=3", "drop_every_ms=120"] {
        let t = tag("ws-ticker");
        let Some(mut socket) = open(
            client()
                .websocket(format!("ws/ticker?tag={t}&tick_ms=20&{fault}"))
                .reconnect(
                    Retry::new()
                        .limit(5)
                        .backoff(Duration::from_millis(10), Duration::from_millis(50)),
                ),
        )
        .await
        else {
            return;
        };
        let got = read_until(&mut socket, 10_000.0, |s, g| {
            g.len() >= 9 && s.reconnects() >= 2
        })
        .await;
        let ns: Vec<u64> = got
            .iter()
            .map(|m| m.json::<Value>().unwrap()["n"].as_u64().unwrap())
            .collect();
        let want: Vec<u64> = (1..=ns.len() as u64).collect();
        assert_eq!(ns, want, "{fault}");
        assert!(socket.reconnects() >= 2, "{fault}: {}", socket.reconnects());
        drop(socket);
        let s = ws_settled(&t).await;
        assert!(s["drops"].as_u64().unwrap() >= 2, "{fault}: {s}");
    }
}
