//! The bench's native rows (issue 24, item 7): fanout natively beside
//! reqwest natively, in one process on one multi-threaded tokio runtime,
//! against the dev server that `cargo xtask bench` starts.
//!
//! ```text
//! fanout-bench-native --url http://127.0.0.1:P --url-h2 https://127.0.0.1:Q \
//!     [--rounds N] [--warmup N] [--only posts1000,delay-h2] [--impls fanout]
//! ```
//!
//! (`--impls` runs one client alone: for a profiler, e.g. `perf record`.)
//!
//! Workloads (each client keeps one client, and so one connection pool,
//! for all its rounds of a workload):
//!
//! - `posts1000`: `GET /posts/{1..=100, cycling}`, 1,000 requests at once,
//!   each decoded into a `Post`, over HTTP/1.1 on the plain port (fanout:
//!   `gather`; reqwest: `join_all`);
//! - `delay-h2`: `GET /posts/{i}?delay=100`, 100 requests at once over
//!   HTTP/2 on the HTTPS port (the dev server's self-signed certificate
//!   accepted; both clients negotiate `h2` by ALPN).
//!
//! Each runs `warmup` unrecorded rounds and then `rounds` timed ones, the
//! two clients alternating within a round and taking turns at going first
//! (fanout, reqwest; reqwest, fanout; ...). Every run returns a number that
//! depends on every decoded field, which must be the same for both. After
//! the rounds, one unrecorded run per client with a `tag=` on its requests
//! gives the server's peak in flight for them (`/stats?tag=`), and one
//! `/echo` the protocol the client got (its `"version"`).
//!
//! Around each run it also takes the process's CPU time (user + system,
//! `getrusage`): the client's own work, which the machine's load moves
//! less than the wall time.
//!
//! It prints the samples as JSON on stdout (for `bench/run.mjs`, which
//! makes the table) and its progress on stderr. No time is asserted.

use std::fmt::Display;
use std::time::Instant;

use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Post {
    user_id: u32,
    id: u32,
    title: String,
    body: String,
}

impl Post {
    /// A number that depends on every field (as the bench page's `Weigh`).
    fn weigh(&self) -> u32 {
        self.user_id + self.id + (self.title.len() + self.body.len()) as u32
    }
}

const IMPLS: [&str; 2] = ["fanout", "reqwest"];

struct Args {
    url: String,
    url_h2: Option<String>,
    rounds: usize,
    warmup: usize,
    only: Option<Vec<String>>,
    impls: Vec<&'static str>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: String::new(),
        url_h2: None,
        rounds: 7,
        warmup: 1,
        only: None,
        impls: IMPLS.to_vec(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--url" => args.url = val()?,
            "--url-h2" => args.url_h2 = Some(val()?),
            "--rounds" => args.rounds = val()?.parse().map_err(|e| format!("--rounds: {e}"))?,
            "--warmup" => args.warmup = val()?.parse().map_err(|e| format!("--warmup: {e}"))?,
            "--only" => args.only = Some(val()?.split(',').map(str::to_owned).collect()),
            "--impls" => {
                let list = val()?;
                args.impls = IMPLS
                    .into_iter()
                    .filter(|i| list.split(',').any(|l| l == *i))
                    .collect();
            }
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    if args.url.is_empty() {
        return Err("--url is required".into());
    }
    if args.impls.is_empty() {
        return Err(format!("--impls: none of {IMPLS:?}"));
    }
    if args.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    args.url = args.url.trim_end_matches('/').to_owned();
    args.url_h2 = args.url_h2.map(|u| u.trim_end_matches('/').to_owned());
    Ok(args)
}

/// One workload: how many posts, with what added latency, over which base.
#[derive(Clone, Copy)]
struct Workload<'a> {
    key: &'a str,
    title: &'a str,
    base: &'a str,
    n: u32,
    delay: u32,
}

/// The path and query of the `i`-th post request: ids cycle 1..=100.
fn post_path(i: u32, delay: u32, tag: Option<&str>) -> String {
    let id = i % 100 + 1;
    let mut path = format!("posts/{id}");
    let mut sep = '?';
    if delay > 0 {
        path.push_str(&format!("{sep}delay={delay}"));
        sep = '&';
    }
    if let Some(tag) = tag {
        path.push_str(&format!("{sep}tag={tag}"));
    }
    path
}

/// Sums the weights, or fails with the first error.
fn total<E: Display>(results: Vec<Result<Post, E>>) -> Result<u32, String> {
    let mut sum = 0u32;
    for r in results {
        sum = sum.wrapping_add(r.map_err(|e| e.to_string())?.weigh());
    }
    Ok(sum)
}

/// The two clients, each made once per workload.
struct Clients {
    fanout: fanout::Client,
    reqwest: reqwest::Client,
    base: String,
}

impl Clients {
    fn new(base: &str) -> Result<Clients, String> {
        let fanout = fanout::Client::builder()
            .base_url(format!("{base}/"))
            .danger_accept_invalid_certs(true)
            .build()
            .map_err(|e| e.to_string())?;
        let reqwest = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Clients {
            fanout,
            reqwest,
            base: base.to_owned(),
        })
    }

    /// `n` posts at once by `imp`: the sum of their weights.
    async fn posts(&self, imp: &str, n: u32, delay: u32, tag: Option<&str>) -> Result<u32, String> {
        match imp {
            "fanout" => {
                let results = fanout::gather((0..n).map(|i| {
                    let client = self.fanout.clone();
                    let path = post_path(i, delay, tag);
                    async move { client.get(path).send().await?.json::<Post>().await }
                }))
                .await;
                total(results)
            }
            "reqwest" => {
                let results = join_all((0..n).map(|i| {
                    let req =
                        self.reqwest
                            .get(format!("{}/{}", self.base, post_path(i, delay, tag)));
                    async move { req.send().await?.json::<Post>().await }
                }))
                .await;
                total(results)
            }
            _ => Err(format!("unknown implementation {imp}")),
        }
    }

    /// The protocol `imp`'s requests go over: the dev server's `/echo`
    /// `"version"` (`HTTP/1.1`, `HTTP/2.0`).
    async fn version(&self, imp: &str) -> Result<String, String> {
        let echo: Value = match imp {
            "fanout" => async { self.fanout.get("echo").send().await?.json::<Value>().await }
                .await
                .map_err(|e| e.to_string())?,
            _ => async {
                let url = format!("{}/echo", self.base);
                self.reqwest.get(url).send().await?.json::<Value>().await
            }
            .await
            .map_err(|e| e.to_string())?,
        };
        Ok(echo["version"].as_str().unwrap_or("?").to_owned())
    }

    /// One tagged, unrecorded run: the server's peak in flight and count
    /// for it (`/stats?tag=`), and the protocol.
    async fn check(&self, imp: &str, w: Workload<'_>) -> Result<Value, String> {
        let tag = format!("native-check-{}-{imp}", w.key);
        let stats_url = |path: &str| format!("{}/{path}?tag={tag}", self.base);
        let reset = self.reqwest.post(stats_url("stats/reset")).send().await;
        reset.map_err(|e| format!("stats reset: {e}"))?;
        self.posts(imp, w.n, w.delay, Some(&tag)).await?;
        let stats: Value = async {
            self.reqwest
                .get(stats_url("stats"))
                .send()
                .await?
                .json()
                .await
        }
        .await
        .map_err(|e: reqwest::Error| format!("stats: {e}"))?;
        Ok(json!({
            "peak": stats["peak_in_flight"],
            "requests": stats["requests"],
            "version": self.version(imp).await?,
        }))
    }
}

/// Runs one workload: `warmup + rounds` rounds, the clients taking turns
/// at going first; the samples (ms) of the timed rounds by round.
async fn series(
    w: Workload<'_>,
    impls: &[&str],
    rounds: usize,
    warmup: usize,
) -> Result<Value, String> {
    let clients = Clients::new(w.base)?;
    let mut results = serde_json::Map::new();
    let mut by_round: Vec<Vec<f64>> = vec![Vec::new(); impls.len()];
    let mut cpu_by_round: Vec<Vec<f64>> = vec![Vec::new(); impls.len()];
    let mut errors: Vec<Option<String>> = vec![None; impls.len()];
    let mut expected: Option<u32> = None;
    let started = Instant::now();
    for r in 0..warmup + rounds {
        let mut order: Vec<usize> = (0..impls.len()).collect();
        if r % 2 == 1 {
            order.reverse();
        }
        for k in order {
            if errors[k].is_some() {
                continue;
            }
            let (t0, cpu0) = (Instant::now(), cpu_ms());
            let got = clients.posts(impls[k], w.n, w.delay, None).await;
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            let cpu = cpu_ms() - cpu0;
            match got {
                Err(e) => errors[k] = Some(e),
                Ok(weight) if *expected.get_or_insert(weight) != weight => {
                    errors[k] = Some(format!(
                        "decoded weight {weight} differs from {}",
                        expected.unwrap_or_default()
                    ));
                }
                Ok(_) if r >= warmup => {
                    by_round[k].push(ms);
                    cpu_by_round[k].push(cpu);
                }
                Ok(_) => {}
            }
        }
    }
    let mut checks = serde_json::Map::new();
    for (k, imp) in impls.iter().enumerate() {
        if errors[k].is_none() {
            match clients.check(imp, w).await {
                Ok(c) => {
                    checks.insert((*imp).to_owned(), c);
                }
                Err(e) => errors[k] = Some(format!("check: {e}")),
            }
        }
        let line = match &errors[k] {
            Some(e) => format!("failed: {e}"),
            None => format!(
                "{:.1} ms median, {:.1} ms of CPU",
                median(&by_round[k]),
                median(&cpu_by_round[k])
            ),
        };
        eprintln!("  {}: {imp} {line}", w.key);
        results.insert(
            (*imp).to_owned(),
            json!({ "byRound": by_round[k], "cpuByRound": cpu_by_round[k], "error": errors[k] }),
        );
    }
    Ok(json!({
        "key": w.key,
        "title": w.title,
        "impls": impls,
        "n": w.n,
        "delay": w.delay,
        "rounds": rounds,
        "warmup": warmup,
        "weight": expected,
        "secs": started.elapsed().as_secs_f64(),
        "results": results,
        "checks": checks,
    }))
}

/// The CPU time (user + system) of this whole process so far, in ms: its
/// client's work on every runtime thread (the server is another process).
#[cfg(unix)]
fn cpu_ms() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

#[cfg(not(unix))]
fn cpu_ms() -> f64 {
    f64::NAN
}

fn median(xs: &[f64]) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fanout-bench-native: {e}");
            std::process::exit(2);
        }
    };
    let mut workloads = vec![Workload {
        key: "posts1000",
        title: "1,000 posts at once, HTTP/1.1",
        base: &args.url,
        n: 1000,
        delay: 0,
    }];
    match &args.url_h2 {
        Some(h2) => workloads.push(Workload {
            key: "delay-h2",
            title: "100 posts at once, `?delay=100`, HTTP/2",
            base: h2,
            n: 100,
            delay: 100,
        }),
        None => eprintln!("fanout-bench-native: no --url-h2: the HTTP/2 workload is left out"),
    }
    let wanted = |key: &str| {
        args.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|k| k == key))
    };
    let mut out = Vec::new();
    for w in workloads.into_iter().filter(|w| wanted(w.key)) {
        eprintln!("native: {}", w.title);
        match series(w, &args.impls, args.rounds, args.warmup).await {
            Ok(v) => out.push(v),
            Err(e) => {
                eprintln!("fanout-bench-native: {}: {e}", w.key);
                out.push(json!({ "key": w.key, "title": w.title, "error": e }));
            }
        }
    }
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    println!("{}", json!({ "workers": workers, "workloads": out }));
}
