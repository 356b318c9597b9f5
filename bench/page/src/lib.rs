//! The benchmark page's wasm module: one async export per implementation
//! and workload, each doing the same work as the plain-JS version in
//! `bench/www/bench.js` and returning a number that depends on every decoded
//! field (so nothing can be skipped, and the page checks it).
//!
//! URLs carry a unique `r=<tag>-<i>` query parameter, so Chromium's HTTP
//! cache (and its per-URL cache lock) never serves or serializes them.
#![warn(rust_2018_idioms)]

use std::fmt::Display;

use fanout::{gather, Client};
use futures_util::future::join_all;
use min_decode::{Path, Photo, Post, Weigh};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

fn js_err(e: impl Display) -> JsValue {
    JsValue::from_str(&e.to_string())
}

/// The path and query of the `i`-th post request: ids cycle 1..=100.
fn post_path(tag: &str, i: u32, delay: u32) -> String {
    let id = i % 100 + 1;
    if delay > 0 {
        format!("posts/{id}?r={tag}-{i}&delay={delay}")
    } else {
        format!("posts/{id}?r={tag}-{i}")
    }
}

/// Sums the weights, or fails with the first error.
fn total<T: Weigh, E: Display>(results: Vec<Result<T, E>>) -> Result<u32, JsValue> {
    let mut sum = 0u32;
    for r in results {
        sum = sum.wrapping_add(r.map_err(js_err)?.weigh());
    }
    Ok(sum)
}

/// Sums already-weighed results, or fails with the first error.
fn sum(results: Vec<Result<u32, JsValue>>) -> Result<u32, JsValue> {
    results
        .into_iter()
        .try_fold(0u32, |acc, r| Ok(acc.wrapping_add(r?)))
}

fn fanout_client(base: &str) -> Result<Client, JsValue> {
    Client::builder()
        .base_url(format!("{base}/"))
        .build()
        .map_err(js_err)
}

// Workloads 1 and 3: `n` posts at once (`delay` ms of added latency each).

/// fanout: `gather` over typed `json::<Post>()` requests.
#[wasm_bindgen]
pub async fn posts_fanout(base: String, tag: String, n: u32, delay: u32) -> Result<u32, JsValue> {
    let client = fanout_client(&base)?;
    let results = gather((0..n).map(|i| {
        let client = client.clone();
        let path = post_path(&tag, i, delay);
        async move { client.get(path).send().await?.json::<Post>().await }
    }))
    .await;
    total(results)
}

/// fanout with `futures::future::join_all` instead of `gather` (separates
/// the scheduler's cost from the request's).
#[wasm_bindgen]
pub async fn posts_fanout_join(
    base: String,
    tag: String,
    n: u32,
    delay: u32,
) -> Result<u32, JsValue> {
    let client = fanout_client(&base)?;
    let results = join_all((0..n).map(|i| {
        let client = client.clone();
        let path = post_path(&tag, i, delay);
        async move { client.get(path).send().await?.json::<Post>().await }
    }))
    .await;
    total(results)
}

/// gloo-net 0.7 with `join_all`.
#[wasm_bindgen]
pub async fn posts_gloo(base: String, tag: String, n: u32, delay: u32) -> Result<u32, JsValue> {
    let results = join_all((0..n).map(|i| {
        let url = format!("{base}/{}", post_path(&tag, i, delay));
        async move {
            gloo_net::http::Request::get(&url)
                .send()
                .await?
                .json::<Post>()
                .await
        }
    }))
    .await;
    total(results)
}

/// reqwest (wasm backend) with `join_all`.
#[wasm_bindgen]
pub async fn posts_reqwest(base: String, tag: String, n: u32, delay: u32) -> Result<u32, JsValue> {
    let client = reqwest::Client::new();
    let results = join_all((0..n).map(|i| {
        let req = client.get(format!("{base}/{}", post_path(&tag, i, delay)));
        async move { req.send().await?.json::<Post>().await }
    }))
    .await;
    total(results)
}

/// fanout's request path with the body read of [`proposed_json`].
#[wasm_bindgen]
pub async fn posts_fanout_proposed(
    base: String,
    tag: String,
    n: u32,
    delay: u32,
) -> Result<u32, JsValue> {
    let client = fanout_client(&base)?;
    let results = gather((0..n).map(|i| {
        let client = client.clone();
        let path = post_path(&tag, i, delay);
        async move {
            let resp = client.get(path).send().await?;
            Ok::<_, BenchError>(proposed_json::<Post>(resp).await?)
        }
    }))
    .await;
    total(results)
}

/// An error for `gather` inputs that fail with fanout's or JS errors.
#[derive(Debug)]
struct BenchError(String);

impl Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<fanout::Error> for BenchError {
    fn from(e: fanout::Error) -> Self {
        BenchError(e.to_string())
    }
}

impl From<JsValue> for BenchError {
    fn from(e: JsValue) -> Self {
        BenchError(format!("{e:?}"))
    }
}

impl From<fanout::Cancelled> for BenchError {
    fn from(e: fanout::Cancelled) -> Self {
        BenchError(e.to_string())
    }
}

/// A variant of fanout's `Response::json` (which reads `arrayBuffer()`,
/// copies it into wasm memory and parses with plain `from_slice`), measured
/// from outside through `Response::as_raw` (the response, so its permits and
/// abort guard, stays alive until the body is read): bodies over 64 KiB, or
/// of unknown length, are read from the body stream straight into one `Vec`
/// sized by `Content-Length` (no whole-body `ArrayBuffer` next to the `Vec`,
/// and the copying overlaps the download); smaller ones as fanout does.
async fn proposed_json<T: serde::de::DeserializeOwned>(
    resp: fanout::Response,
) -> Result<T, JsValue> {
    let raw = resp
        .as_raw()
        .ok_or_else(|| JsValue::from_str("not a fetch response"))?;
    let bytes = match resp.content_length() {
        Some(n) if n <= 64 * 1024 => min_decode::read_array_buffer(raw).await?,
        _ => min_decode::read_stream_presized(raw).await?,
    };
    drop(resp);
    match serde_json::from_slice(&bytes) {
        Ok(v) => Ok(v),
        Err(_) => min_decode::from_slice_with_path(&bytes),
    }
}

// Workload 2: `/photos` (about 1 MB, 5000 items) into `Vec<Photo>`.

#[wasm_bindgen]
pub async fn photos_fanout(base: String, tag: String) -> Result<u32, JsValue> {
    let client = fanout_client(&base)?;
    let photos: Vec<Photo> = client
        .get(format!("photos?r={tag}"))
        .send()
        .await
        .map_err(js_err)?
        .json()
        .await
        .map_err(js_err)?;
    Ok(photos.weigh())
}

#[wasm_bindgen]
pub async fn photos_fanout_proposed(base: String, tag: String) -> Result<u32, JsValue> {
    let client = fanout_client(&base)?;
    let resp = client
        .get(format!("photos?r={tag}"))
        .send()
        .await
        .map_err(js_err)?;
    Ok(proposed_json::<Vec<Photo>>(resp).await?.weigh())
}

#[wasm_bindgen]
pub async fn photos_gloo(base: String, tag: String) -> Result<u32, JsValue> {
    let photos: Vec<Photo> = gloo_net::http::Request::get(&format!("{base}/photos?r={tag}"))
        .send()
        .await
        .map_err(js_err)?
        .json()
        .await
        .map_err(js_err)?;
    Ok(photos.weigh())
}

#[wasm_bindgen]
pub async fn photos_reqwest(base: String, tag: String) -> Result<u32, JsValue> {
    let photos: Vec<Photo> = reqwest::Client::new()
        .get(format!("{base}/photos?r={tag}"))
        .send()
        .await
        .map_err(js_err)?
        .json()
        .await
        .map_err(js_err)?;
    Ok(photos.weigh())
}

// Workload 5: memory over many requests.

/// `batches` sequential `gather`s of `per_batch` posts each. Each request
/// keeps only its weight, so what stays in memory is fanout's own.
#[wasm_bindgen]
pub async fn memory_fanout_batches(
    base: String,
    tag: String,
    batches: u32,
    per_batch: u32,
) -> Result<u32, JsValue> {
    let client = fanout_client(&base)?;
    let mut acc = 0u32;
    for b in 0..batches {
        let batch_tag = format!("{tag}-{b}");
        let results = gather((0..per_batch).map(|i| {
            let client = client.clone();
            let path = post_path(&batch_tag, i, 0);
            async move {
                let post: Post = client.get(path).send().await?.json().await?;
                Ok::<_, fanout::Error>(post.weigh())
            }
        }))
        .await;
        acc = acc.wrapping_add(sum(results
            .into_iter()
            .map(|r| r.map_err(js_err))
            .collect())?);
    }
    Ok(acc)
}

/// One `gather` of `n` posts with `.limit(limit)` (requests are made as
/// they start). Each keeps only its weight.
#[wasm_bindgen]
pub async fn memory_fanout_limit(
    base: String,
    tag: String,
    n: u32,
    limit: u32,
) -> Result<u32, JsValue> {
    let client = fanout_client(&base)?;
    let results = gather((0..n).map(|i| {
        let client = client.clone();
        let path = post_path(&tag, i, 0);
        async move {
            let post: Post = client.get(path).send().await?.json().await?;
            Ok::<_, fanout::Error>(post.weigh())
        }
    }))
    .limit(limit as usize)
    .await;
    sum(results.into_iter().map(|r| r.map_err(js_err)).collect())
}

// The decoding study.

fn path_named(name: &str) -> Result<Path, JsValue> {
    Path::from_name(name).ok_or_else(|| js_err(format!("unknown decode path {name:?}")))
}

/// `n` fetches of `which` ("post": post ids cycling 1..=100, "photos":
/// `/photos`) at once, each body decoded with `path`; `path` "fanout" is
/// fanout's own `Response::json`.
#[wasm_bindgen]
pub async fn decode_net(
    base: String,
    tag: String,
    path: String,
    which: String,
    n: u32,
) -> Result<u32, JsValue> {
    let photos = which == "photos";
    let url = |i: u32| {
        if photos {
            format!("photos?r={tag}-{i}")
        } else {
            post_path(&tag, i, 0)
        }
    };
    if path == "fanout" {
        let client = fanout_client(&base)?;
        let results = join_all((0..n).map(|i| {
            let req = client.get(url(i));
            async move {
                let resp = req.send().await.map_err(js_err)?;
                if photos {
                    Ok::<_, JsValue>(resp.json::<Vec<Photo>>().await.map_err(js_err)?.weigh())
                } else {
                    Ok(resp.json::<Post>().await.map_err(js_err)?.weigh())
                }
            }
        }))
        .await;
        return sum(results);
    }
    let path = path_named(&path)?;
    let results = join_all((0..n).map(|i| {
        let url = format!("{base}/{}", url(i));
        async move {
            let resp = min_decode::fetch(&url).await?;
            decode_one(&resp, path, photos).await
        }
    }))
    .await;
    sum(results)
}

async fn decode_one(resp: &web_sys::Response, path: Path, photos: bool) -> Result<u32, JsValue> {
    if photos {
        min_decode::decode::<Vec<Photo>>(resp, path, min_decode::photos_ref_weight).await
    } else {
        min_decode::decode::<Post>(resp, path, min_decode::post_ref_weight).await
    }
}

/// Decodes each of `responses` (made in JS with `new Response(bytes)`, so no
/// network) in turn with `path`.
#[wasm_bindgen]
pub async fn decode_mem(
    responses: js_sys::Array,
    path: String,
    which: String,
) -> Result<u32, JsValue> {
    let path = path_named(&path)?;
    let photos = which == "photos";
    let mut sum = 0u32;
    for resp in responses.iter() {
        let resp: web_sys::Response = resp.unchecked_into();
        sum = sum.wrapping_add(decode_one(&resp, path, photos).await?);
    }
    Ok(sum)
}

/// Names of the decode paths, in report order.
#[wasm_bindgen]
pub fn decode_paths() -> Vec<JsValue> {
    Path::ALL
        .iter()
        .map(|p| JsValue::from_str(p.name()))
        .collect()
}
