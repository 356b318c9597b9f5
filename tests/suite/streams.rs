//! Streams both ways: lines, NDJSON, download progress and Server-Sent
//! Events, against the dev server's `/ndjson`, `/bytes`, `/drip` and `/sse`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fanout::{Event, Transfer};
use futures_util::StreamExt;
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::{client, settled, stats, tag};

fn ndjson_line(n: u64) -> String {
    format!("{{\"n\":{n},\"text\":\"caf\u{e9} \u{2603} \u{1F600} #{n}\"}}")
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn lines_over_awkward_chunks_are_the_servers_lines() {
    for query in [
        "n=40&chunk=7&interval_ms=1",
        "n=40&chunk=3&crlf",
        "n=40&chunk=5000",
    ] {
        let lines: Vec<String> = client()
            .get(format!("ndjson?{query}"))
            .send()
            .await
            .unwrap()
            .lines()
            .map(|l| l.unwrap())
            .collect()
            .await;
        let want: Vec<String> = (1..=40).map(ndjson_line).collect();
        assert_eq!(lines, want, "{query}");
    }
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn json_lines_report_a_bad_line_and_go_on() {
    #[derive(serde::Deserialize, Debug)]
    struct Line {
        n: u64,
        text: String,
    }
    let items: Vec<Result<Line, fanout::Error>> = client()
        .get("ndjson?n=6&bad=3&chunk=4")
        .send()
        .await
        .unwrap()
        .json_lines()
        .collect()
        .await;
    assert_eq!(items.len(), 6);
    let err = items[2].as_ref().unwrap_err();
    assert!(err.is_decode(), "{err}");
    assert!(err.message().starts_with("line 3:"), "{err}");
    assert!(err.to_string().contains("/ndjson"), "{err}");
    let ok: Vec<u64> = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|l| l.n)
        .collect();
    assert_eq!(ok, [1, 2, 4, 5, 6]);
    assert!(items[0].as_ref().unwrap().text.contains('\u{1F600}'));
}

/// Records the progress calls.
fn recorder() -> (impl Fn(Transfer) + 'static, Arc<Mutex<Vec<Transfer>>>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let c = calls.clone();
    (move |t| c.lock().unwrap().push(t), calls)
}

fn assert_monotonic_to(calls: &[Transfer], size: u64, total_known: bool) {
    assert!(!calls.is_empty());
    assert!(
        calls.windows(2).all(|w| w[0].loaded <= w[1].loaded),
        "{calls:?}"
    );
    let last = calls.last().unwrap();
    assert_eq!((last.loaded, last.total), (size, Some(size)), "{calls:?}");
    for t in &calls[..calls.len() - 1] {
        assert_eq!(t.total.is_some(), total_known, "{calls:?}");
        assert!(t.loaded <= size);
    }
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn download_progress_with_and_without_content_length() {
    // With Content-Length, read with bytes().
    let (f, calls) = recorder();
    let body = client()
        .get("bytes?n=300000")
        .send()
        .await
        .unwrap()
        .on_progress(f)
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), 300_000);
    assert_monotonic_to(&calls.lock().unwrap(), 300_000, true);
    // Chunked (no length), read with text().
    let (f, calls) = recorder();
    let text = client()
        .get("drip?chunks=5&chunk_size=1000&interval_ms=5")
        .send()
        .await
        .unwrap()
        .on_progress(f)
        .text()
        .await
        .unwrap();
    assert_eq!(text.len(), 5000);
    assert_monotonic_to(&calls.lock().unwrap(), 5000, false);
    // json() and the size cap still hold.
    let (f, calls) = recorder();
    let photos: Vec<Value> = client()
        .get("photos")
        .send()
        .await
        .unwrap()
        .on_progress(f)
        .json()
        .await
        .unwrap();
    assert_eq!(photos.len(), 5000);
    let size = calls.lock().unwrap().last().unwrap().loaded;
    assert!(size > 1_000_000);
    assert_monotonic_to(&calls.lock().unwrap(), size, true);
    let (f, _) = recorder();
    let err = client()
        .get("drip?chunks=5&chunk_size=1000&interval_ms=0")
        .max_body_size(2500)
        .send()
        .await
        .unwrap()
        .on_progress(f)
        .bytes()
        .await
        .unwrap_err();
    assert!(err.is_too_large(), "{err}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn dropping_a_progress_download_aborts_it() {
    let t = tag("progress-drop");
    let (f, calls) = recorder();
    let mut stream = client()
        .get("drip?chunks=1000&chunk_size=100&interval_ms=100")
        .query(&[("tag", &t)])
        .send()
        .await
        .unwrap()
        .on_progress(f)
        .bytes_stream();
    stream.next().await.unwrap().unwrap();
    assert_eq!(calls.lock().unwrap()[0].loaded, 100);
    assert_eq!(stats(&t).await["in_flight"], 1);
    drop(stream);
    let s = settled(&t).await;
    assert_eq!(s["in_flight"], 0, "{s}");
    assert_eq!(s["cancelled"], 1, "{s}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn sse_delivers_every_event_once_across_forced_reconnects() {
    let t = tag("sse");
    let reconnects = Arc::new(Mutex::new(Vec::new()));
    let log = reconnects.clone();
    let mut stream = client()
        .sse(format!(
            "sse?count=7&interval_ms=0&retry=20&drop_after=3&multiline&comments&tag={t}"
        ))
        .on_reconnect(move |r| log.lock().unwrap().push(r.last_event_id.clone()))
        .send()
        .await
        .unwrap();
    let mut events: Vec<Event> = Vec::new();
    let end = loop {
        match stream.next().await {
            Some(Ok(e)) => events.push(e),
            Some(Err(e)) => break e,
            None => panic!("the stream must end with the server's 204"),
        }
    };
    assert!(stream.next().await.is_none());
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6", "7"]);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.event, "message");
        let v: Value = serde_json::from_str(&e.data).unwrap();
        assert_eq!(v["n"], i as u64 + 1);
    }
    assert_eq!(events[0].retry, None); // the retry came before, alone
    assert_eq!(end.status(), Some(204), "{end}");
    // Cut after 3 and 6, then closed after 7: the 204 answered the last.
    assert_eq!(*reconnects.lock().unwrap(), ["3", "6", "7"]);
    assert_eq!(stream.reconnects(), 3);
    let s = settled(&t).await;
    assert_eq!(s["requests"], 4, "{s}");
    assert_eq!(s["in_flight"], 0, "{s}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn dropping_an_sse_stream_aborts_the_fetch() {
    let t = tag("sse-drop");
    let mut stream = client()
        .sse(format!("sse?count=1000&interval_ms=100&tag={t}"))
        .send()
        .await
        .unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.id, "1");
    assert_eq!(stats(&t).await["in_flight"], 1);
    drop(stream);
    let s = settled(&t).await;
    assert_eq!(s["in_flight"], 0, "{s}");
    assert_eq!(s["cancelled"], 1, "{s}");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn sse_refuses_what_is_not_an_event_stream() {
    let e = client().sse("posts/1").send().await.unwrap_err();
    assert!(e.is_decode(), "{e}");
    assert!(e.to_string().contains("text/event-stream"), "{e}");
    let e = client().sse("status/204").send().await.unwrap_err();
    assert_eq!(e.status(), Some(204), "{e}");
    let e = client().sse("status/503").send().await.unwrap_err();
    assert!(e.is_status() && e.status() == Some(503), "{e}");
    // A timeout covers the connection only: a stream slower than it lives.
    let mut s = client()
        .sse("sse?count=3&interval_ms=300&retry=10")
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap();
    let mut n = 0;
    while let Some(e) = s.next().await {
        if e.is_err() {
            break;
        }
        n += 1;
    }
    assert_eq!(n, 3);
}
