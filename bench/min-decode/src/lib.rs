//! The decode paths of the JSON-decoding study (issue 3, item 7): ways to
//! get a fetch `Response`'s JSON body into typed Rust structs.
//!
//! | path              | body read as                               | decoded with                        |
//! |-------------------|--------------------------------------------|-------------------------------------|
//! | `text`            | `text()` → `String` (UTF-16 → UTF-8)       | `serde_json::from_str`              |
//! | `swb`             | `json()` (JS objects)                      | `serde_wasm_bindgen::from_value`    |
//! | `slice`           | `arrayBuffer()` → `Uint8Array::to_vec`     | `serde_json::from_slice`            |
//! | `slice-path`      | same                                       | `from_slice` via serde_path_to_error (fanout's `json()` today) |
//! | `stream`          | body reader, each chunk `to_vec` + extend   | `serde_json::from_slice`            |
//! | `stream-presized` | body reader, each chunk copied straight into a `Vec` sized by `Content-Length` | `serde_json::from_slice` |
//! | `borrow`          | `arrayBuffer()` → `to_vec`                  | `from_slice` into `Cow<str>` fields borrowing the buffer |
//!
//! `Uint8Array::to_vec` in js-sys 0.3.107 already copies into uninitialized
//! capacity (no zero-fill), so "`copy_to` into a pre-sized Vec" is the
//! `slice` path.
//!
//! With one `app-*` feature this crate is also a minimal app exporting
//! `run(url)` (fetch one post, decode it with that path) for the size
//! comparison.
#![warn(rust_2018_idioms)]

use std::borrow::Cow;

use js_sys::{Promise, Uint8Array};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str) -> Promise;
}

/// `fetch(url)` (a GET through the global, so it works in any context).
pub async fn fetch(url: &str) -> Result<Response, JsValue> {
    Ok(JsFuture::from(global_fetch(url)).await?.unchecked_into())
}

/// A post of the dev server (`/posts/:id`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Post {
    pub user_id: u32,
    pub id: u32,
    pub title: String,
    pub body: String,
}

/// A photo of the dev server (`/photos`: 5000 of them, about 1 MB).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Photo {
    pub album_id: u32,
    pub id: u32,
    pub title: String,
    pub url: String,
    pub thumbnail_url: String,
}

/// [`Post`] with its strings borrowed from the body where they have no
/// escapes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostRef<'a> {
    pub user_id: u32,
    pub id: u32,
    #[serde(borrow)]
    pub title: Cow<'a, str>,
    #[serde(borrow)]
    pub body: Cow<'a, str>,
}

/// [`Photo`] with borrowed strings.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoRef<'a> {
    pub album_id: u32,
    pub id: u32,
    #[serde(borrow)]
    pub title: Cow<'a, str>,
    #[serde(borrow)]
    pub url: Cow<'a, str>,
    #[serde(borrow)]
    pub thumbnail_url: Cow<'a, str>,
}

/// Something decoded whose size can be summed so the work is observable.
pub trait Weigh {
    /// A number that depends on every field.
    fn weigh(&self) -> u32;
}

impl Weigh for Post {
    fn weigh(&self) -> u32 {
        self.user_id + self.id + (self.title.len() + self.body.len()) as u32
    }
}

impl Weigh for Photo {
    fn weigh(&self) -> u32 {
        self.album_id
            + self.id
            + (self.title.len() + self.url.len() + self.thumbnail_url.len()) as u32
    }
}

impl Weigh for PostRef<'_> {
    fn weigh(&self) -> u32 {
        self.user_id + self.id + (self.title.len() + self.body.len()) as u32
    }
}

impl Weigh for PhotoRef<'_> {
    fn weigh(&self) -> u32 {
        self.album_id
            + self.id
            + (self.title.len() + self.url.len() + self.thumbnail_url.len()) as u32
    }
}

impl<T: Weigh> Weigh for Vec<T> {
    fn weigh(&self) -> u32 {
        self.iter().fold(0u32, |a, t| a.wrapping_add(t.weigh()))
    }
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&e.to_string())
}

/// `text()` as a Rust `String`.
pub async fn read_text(resp: &Response) -> Result<String, JsValue> {
    let v = JsFuture::from(resp.text()?).await?;
    v.as_string().ok_or_else(|| js_err("text() gave no string"))
}

/// `json()`: the body parsed by the browser into JS values.
pub async fn read_json_value(resp: &Response) -> Result<JsValue, JsValue> {
    JsFuture::from(resp.json()?).await
}

/// `arrayBuffer()` copied once into wasm memory (`Uint8Array::to_vec`).
pub async fn read_array_buffer(resp: &Response) -> Result<Vec<u8>, JsValue> {
    let buf = JsFuture::from(resp.array_buffer()?).await?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// The body's byte length from `arrayBuffer()`, nothing copied (the
/// baseline app).
pub async fn read_len(resp: &Response) -> Result<u32, JsValue> {
    let buf = JsFuture::from(resp.array_buffer()?).await?;
    Ok(Uint8Array::new(&buf).length())
}

async fn next_chunk(
    reader: &web_sys::ReadableStreamDefaultReader,
) -> Result<Option<Uint8Array>, JsValue> {
    let result = JsFuture::from(reader.read()).await?;
    if js_sys::Reflect::get(&result, &JsValue::from_str("done"))?.is_truthy() {
        return Ok(None);
    }
    Ok(Some(
        js_sys::Reflect::get(&result, &JsValue::from_str("value"))?.unchecked_into(),
    ))
}

fn reader(resp: &Response) -> Option<web_sys::ReadableStreamDefaultReader> {
    resp.body().map(|b| b.get_reader().unchecked_into())
}

/// The body stream read chunk by chunk, each chunk `to_vec`'d and appended
/// (what fanout's `bytes_stream()` + collect does).
pub async fn read_stream(resp: &Response) -> Result<Vec<u8>, JsValue> {
    let mut out = Vec::new();
    if let Some(reader) = reader(resp) {
        while let Some(chunk) = next_chunk(&reader).await? {
            out.extend_from_slice(&chunk.to_vec());
        }
    }
    Ok(out)
}

/// The body stream read chunk by chunk, each chunk copied straight into the
/// spare capacity of one `Vec` allocated from `Content-Length`: one copy per
/// byte, no per-chunk allocation, no concatenated `ArrayBuffer` on the JS
/// side, and the copies overlap the download.
pub async fn read_stream_presized(resp: &Response) -> Result<Vec<u8>, JsValue> {
    let hint = resp
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut out: Vec<u8> = Vec::with_capacity(hint);
    if let Some(reader) = reader(resp) {
        while let Some(chunk) = next_chunk(&reader).await? {
            let n = chunk.length() as usize;
            out.reserve(n);
            let len = out.len();
            chunk.copy_to_uninit(&mut out.spare_capacity_mut()[..n]);
            // SAFETY: copy_to_uninit initialized the n bytes after len.
            unsafe { out.set_len(len + n) };
        }
    }
    Ok(out)
}

/// A decode path of the study.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    Text,
    Swb,
    Slice,
    SlicePath,
    Stream,
    StreamPresized,
    Borrow,
}

impl Path {
    /// Every path, in report order.
    pub const ALL: [Path; 7] = [
        Path::Text,
        Path::Swb,
        Path::Slice,
        Path::SlicePath,
        Path::Stream,
        Path::StreamPresized,
        Path::Borrow,
    ];

    /// The name used by the bench page.
    pub fn name(self) -> &'static str {
        match self {
            Path::Text => "text",
            Path::Swb => "swb",
            Path::Slice => "slice",
            Path::SlicePath => "slice-path",
            Path::Stream => "stream",
            Path::StreamPresized => "stream-presized",
            Path::Borrow => "borrow",
        }
    }

    /// The path called `name`.
    pub fn from_name(name: &str) -> Option<Path> {
        Path::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// Decodes borrowed structs from `bytes` and returns their weight (the
/// borrowing path's second half).
pub type BorrowedWeigh = fn(&[u8]) -> Result<u32, JsValue>;

/// `bytes` decoded as a [`PostRef`], weighed.
#[cfg(feature = "borrow")]
pub fn post_ref_weight(bytes: &[u8]) -> Result<u32, JsValue> {
    Ok(serde_json::from_slice::<PostRef<'_>>(bytes)
        .map_err(js_err)?
        .weigh())
}

/// `bytes` decoded as `Vec<PhotoRef>`, weighed.
#[cfg(feature = "borrow")]
pub fn photos_ref_weight(bytes: &[u8]) -> Result<u32, JsValue> {
    Ok(serde_json::from_slice::<Vec<PhotoRef<'_>>>(bytes)
        .map_err(js_err)?
        .weigh())
}

/// Reads `resp`'s body with `path` into `T` (the borrowing path: into the
/// borrowed structs of `borrowed`) and returns its weight.
#[cfg(feature = "all")]
pub async fn decode<T>(resp: &Response, path: Path, borrowed: BorrowedWeigh) -> Result<u32, JsValue>
where
    T: serde::de::DeserializeOwned + Weigh,
{
    Ok(match path {
        Path::Text => serde_json::from_str::<T>(&read_text(resp).await?)
            .map_err(js_err)?
            .weigh(),
        Path::Swb => serde_wasm_bindgen::from_value::<T>(read_json_value(resp).await?)?.weigh(),
        Path::Slice => serde_json::from_slice::<T>(&read_array_buffer(resp).await?)
            .map_err(js_err)?
            .weigh(),
        Path::SlicePath => from_slice_with_path::<T>(&read_array_buffer(resp).await?)?.weigh(),
        Path::Stream => serde_json::from_slice::<T>(&read_stream(resp).await?)
            .map_err(js_err)?
            .weigh(),
        Path::StreamPresized => serde_json::from_slice::<T>(&read_stream_presized(resp).await?)
            .map_err(js_err)?
            .weigh(),
        Path::Borrow => borrowed(&read_array_buffer(resp).await?)?,
    })
}

/// `serde_json::from_slice` through serde_path_to_error, exactly as
/// fanout's `decode_json` does (path tracking plus the trailing-data check).
#[cfg(feature = "slice-path")]
pub fn from_slice_with_path<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, JsValue> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| js_err(format!("at {}: {}", e.path(), e.inner())))?;
    de.end().map_err(js_err)?;
    Ok(value)
}

// The minimal apps: fetch one post and decode it with one path.

#[cfg(any(
    feature = "app-base",
    feature = "app-text",
    feature = "app-swb",
    feature = "app-slice",
    feature = "app-slice-path",
    feature = "app-stream",
    feature = "app-stream-presized",
    feature = "app-borrow"
))]
#[wasm_bindgen]
pub async fn run(url: String) -> Result<u32, JsValue> {
    let resp = fetch(&url).await?;
    #[cfg(feature = "app-base")]
    return read_len(&resp).await;
    #[cfg(feature = "app-text")]
    return Ok(serde_json::from_str::<Post>(&read_text(&resp).await?)
        .map_err(js_err)?
        .weigh());
    #[cfg(feature = "app-swb")]
    return Ok(serde_wasm_bindgen::from_value::<Post>(read_json_value(&resp).await?)?.weigh());
    #[cfg(feature = "app-slice")]
    return Ok(
        serde_json::from_slice::<Post>(&read_array_buffer(&resp).await?)
            .map_err(js_err)?
            .weigh(),
    );
    #[cfg(feature = "app-slice-path")]
    return Ok(from_slice_with_path::<Post>(&read_array_buffer(&resp).await?)?.weigh());
    #[cfg(feature = "app-stream")]
    return Ok(serde_json::from_slice::<Post>(&read_stream(&resp).await?)
        .map_err(js_err)?
        .weigh());
    #[cfg(feature = "app-stream-presized")]
    return Ok(
        serde_json::from_slice::<Post>(&read_stream_presized(&resp).await?)
            .map_err(js_err)?
            .weigh(),
    );
    #[cfg(feature = "app-borrow")]
    return post_ref_weight(&read_array_buffer(&resp).await?);
}
