//! The fault soak: 10,000 requests through `gather` (limit 32, retries on)
//! against the dev server, with faults mixed at random but seeded; then
//! every result is checked against the fault that its input was given,
//! the server's count of requests against the retry rules, its in-flight
//! count against 0, and wasm memory against its size after the first
//! 1,000. Run by `cargo xtask test soak` in Chromium and Node.js.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use fanout::{gather, Cancelled, Client, Error, Retry};
use serde_json::Value;
use wasm_bindgen::JsCast;

pub const API: &str = match option_env!("FANOUT_TEST_API") {
    Some(s) => s,
    None => "http://127.0.0.1:8080",
};

const INPUTS: usize = 10_000;

/// What an input is asked to go through, and so how it must end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// A post: success.
    None,
    /// A 503 every time: 3 attempts, then a status error.
    Unavailable,
    /// A 429 with `Retry-After: 0` every time: 3 attempts, a status error.
    TooMany,
    /// Two 503s then a 200: 3 attempts, success.
    Flaky,
    /// The connection cut mid-body: a body error, 1 attempt.
    Dropped,
    /// No answer: a timeout, 1 attempt (timeouts are not retried).
    Hang,
    /// Invalid JSON: a decode error, 1 attempt.
    Malformed,
    /// A body in slow chunks: success.
    Drip,
}

impl Fault {
    fn requests(self) -> u64 {
        match self {
            Fault::Unavailable | Fault::TooMany | Fault::Flaky => 3,
            _ => 1,
        }
    }
}

/// xorshift64*: the same faults for the same seed, everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn faults(seed: u64) -> Vec<Fault> {
    let mut rng = Rng(seed);
    (0..INPUTS)
        .map(|_| match rng.next() % 100 {
            0..=59 => Fault::None,
            60..=67 => Fault::Unavailable,
            68..=72 => Fault::TooMany,
            73..=77 => Fault::Flaky,
            78..=82 => Fault::Dropped,
            83..=85 => Fault::Hang,
            86..=92 => Fault::Malformed,
            _ => Fault::Drip,
        })
        .collect()
}

/// How an input ended, small so that keeping 10,000 of them costs no
/// memory growth of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    Ok,
    Status(u16),
    Body,
    Timeout,
    Decode,
    Cancelled,
    Other,
}

impl From<Cancelled> for Ended {
    fn from(_: Cancelled) -> Ended {
        Ended::Cancelled
    }
}

impl From<Error> for Ended {
    fn from(e: Error) -> Ended {
        if let Some(s) = e.status() {
            Ended::Status(s)
        } else if e.is_timeout() {
            Ended::Timeout
        } else if e.is_decode() {
            Ended::Decode
        } else if e.is_body() {
            Ended::Body
        } else {
            Ended::Other
        }
    }
}

fn expected(f: Fault) -> Ended {
    match f {
        Fault::None | Fault::Flaky | Fault::Drip => Ended::Ok,
        Fault::Unavailable => Ended::Status(503),
        Fault::TooMany => Ended::Status(429),
        Fault::Dropped => Ended::Body,
        Fault::Hang => Ended::Timeout,
        Fault::Malformed => Ended::Decode,
    }
}

async fn one(client: Client, tag: Rc<str>, i: usize, fault: Fault) -> Result<(), Ended> {
    let path = match fault {
        Fault::None => format!("posts/{}", i % 100 + 1),
        Fault::Unavailable => "status/503".into(),
        Fault::TooMany => "status/429".into(),
        Fault::Flaky => format!("flaky/{tag}-{i}?fail=2"),
        Fault::Dropped => "drop?after=100".into(),
        Fault::Hang => "hang".into(),
        Fault::Malformed => "malformed".into(),
        Fault::Drip => "drip?chunks=3&interval_ms=5&chunk_size=10".into(),
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    // Only a hang waits for its timeout; the others get room enough that a
    // loaded machine does not turn them into timeouts.
    let timeout = if fault == Fault::Hang { 300 } else { 10_000 };
    let resp = client
        .get(format!("{path}{sep}tag={tag}"))
        .timeout(Duration::from_millis(timeout))
        .send()
        .await?;
    match fault {
        Fault::Dropped | Fault::Drip => {
            let text = resp.text().await?;
            if fault == Fault::Drip && text.len() != 30 {
                return Err(Ended::Other);
            }
        }
        _ => {
            let v: Value = resp.json().await?;
            if fault == Fault::None && v["id"] != (i % 100 + 1) as u64 {
                return Err(Ended::Other);
            }
        }
    }
    Ok(())
}

fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

async fn stats(tag: &str) -> Value {
    let c = Client::builder().base_url(API).build().unwrap();
    c.get("stats")
        .query(&[("tag", tag)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn soak(context: &str) {
    let seed = 0x5eed_f00d_u64;
    let faults = faults(seed);
    let tag: Rc<str> = format!("soak-{context}-{}", js_sys::Date::now() as u64).into();
    let mut client = Client::builder().base_url(API);
    if context == "browser" {
        // A browser holds requests past its 6 connections per host (HTTP/1.1)
        // in its own queue, where their timeout runs: keep them in fanout's,
        // where it does not.
        client = client.limit_per_host(6);
    }
    let client = client
        .error_for_status(true)
        .retry(
            Retry::new()
                .limit(2)
                .backoff(Duration::from_millis(5), Duration::from_millis(20)),
        )
        .build()
        .unwrap();

    let after_first_1000 = Rc::new(Cell::new(0.0));
    let mark = after_first_1000.clone();
    let started = js_sys::Date::now();
    let results = gather(
        faults
            .iter()
            .enumerate()
            .map(|(i, &f)| one(client.clone(), tag.clone(), i, f)),
    )
    .limit(32)
    .on_progress(move |p| {
        if p.done == 1000 {
            mark.set(wasm_memory_bytes());
        }
    })
    .await;
    let secs = (js_sys::Date::now() - started) / 1000.0;
    let end_memory = wasm_memory_bytes();

    assert_eq!(results.len(), INPUTS, "one result per input");
    let mut wrong = Vec::new();
    let mut counts = std::collections::BTreeMap::new();
    for (i, (r, f)) in results.iter().zip(&faults).enumerate() {
        let got = match r {
            Ok(()) => Ended::Ok,
            Err(e) => *e,
        };
        *counts.entry(format!("{f:?}")).or_insert(0u32) += 1;
        if got != expected(*f) {
            wrong.push((i, *f, got));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} inputs ended wrong, first: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );

    // Nothing is left in flight at the server...
    let mut s = stats(&tag).await;
    for _ in 0..60 {
        if s["in_flight"] == 0 {
            break;
        }
        let p = js_sys::Promise::new(&mut |resolve, _| {
            let _ = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
                .unwrap()
                .unchecked_into::<js_sys::Function>()
                .call2(&wasm_bindgen::JsValue::NULL, &resolve, &50.into());
        });
        wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
        s = stats(&tag).await;
    }
    assert_eq!(s["in_flight"], 0, "in flight at the end");

    // ...and it saw what the retry rules allow, path by path: 3 attempts
    // for each 503, 429 and flaky input, 1 for the others. A hang may be
    // aborted by its timeout while still queued in the browser, so never
    // reach the server: at most one each, and nearly all of them.
    let count = |f: Fault| faults.iter().filter(|&&x| x == f).count() as u64;
    let by_path = &s["by_path"];
    let seen = |p: &str| by_path[p].as_u64().unwrap_or(0);
    let posts: u64 = (1..=100).map(|i| seen(&format!("/posts/{i}"))).sum();
    let flaky: u64 = by_path
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with("/flaky/"))
        .map(|(_, v)| v.as_u64().unwrap())
        .sum();
    let seen_by_kind = [
        ("posts", posts, count(Fault::None)),
        ("503", seen("/status/503"), 3 * count(Fault::Unavailable)),
        ("429", seen("/status/429"), 3 * count(Fault::TooMany)),
        ("flaky", flaky, 3 * count(Fault::Flaky)),
        ("drop", seen("/drop"), count(Fault::Dropped)),
        ("malformed", seen("/malformed"), count(Fault::Malformed)),
        ("drip", seen("/drip"), count(Fault::Drip)),
    ];
    for (what, got, want) in seen_by_kind {
        if context == "browser" {
            // Chromium itself sends a request again when the keep-alive
            // connection it picked turns out closed (after a /drop cut one,
            // or a hang was aborted): a few more, never fewer.
            assert!(
                got >= want && got <= want + want / 100 + 2,
                "requests for {what}: {got}, want {want}"
            );
        } else {
            assert_eq!(got, want, "requests for {what}");
        }
    }
    let (hangs, hang_inputs) = (seen("/hang"), count(Fault::Hang));
    assert!(
        hangs <= hang_inputs && hangs * 100 >= hang_inputs * 95,
        "{hangs} of {hang_inputs} hangs reached the server"
    );
    let want: u64 = faults.iter().map(|f| f.requests()).sum();

    let growth = end_memory - after_first_1000.get();
    web_sys_log(&format!(
        "soak ({context}): {INPUTS} inputs in {secs:.1} s, {} requests, faults {counts:?}, \
         wasm memory {:.0} KiB after 1,000, growth after that {:.0} KiB",
        want,
        after_first_1000.get() / 1024.0,
        growth / 1024.0
    ));
    assert!(after_first_1000.get() > 0.0);
    assert_eq!(growth, 0.0, "wasm memory grew after the first 1,000 inputs");
}

fn web_sys_log(s: &str) {
    wasm_bindgen_test::console_log!("{s}");
}
