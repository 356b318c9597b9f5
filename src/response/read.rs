//! The body readers of a [`Response`]: [`text`](Response::text),
//! [`bytes`](Response::bytes), [`json`](Response::json), whole or chunk
//! by chunk (for a size cap or a progress callback), over the platform's
//! reader.

use serde::de::DeserializeOwned;

use super::{decode_json, Response, Source};
use crate::error::{Error, Kind};
use crate::progress::Reporter;

impl Response {
    pub(super) fn too_large(&self, limit: u64) -> Error {
        self.fail(Error::new(
            Kind::TooLarge { limit },
            format!("body is larger than the limit of {limit} bytes"),
        ))
    }

    /// Whether the readers must read the body chunk by chunk: for a size
    /// cap or a progress callback (feature `chunked`; without it, never,
    /// and that code is left out of the wasm).
    pub(super) fn chunked(&self) -> bool {
        cfg!(feature = "chunked") && (self.max_body_size.is_some() || self.progress.is_some())
    }

    /// Takes the body of a response made in Rust, with the size cap
    /// applied; `None` for a fetch response.
    pub(super) fn take_memory_body(&mut self) -> Option<Result<Vec<u8>, Error>> {
        let Source::Memory { body, .. } = &mut self.source else {
            return None;
        };
        let body = std::mem::take(body);
        if !self.chunked() {
            return Some(Ok(body));
        }
        Some(match self.max_body_size {
            Some(limit) if body.len() as u64 > limit => Err(self.too_large(limit)),
            _ => {
                // All of it at once: one call, the final one.
                if let Some(f) = self.progress.take() {
                    let mut r = Reporter::new(f, Some(body.len() as u64));
                    r.loaded_all(body.len() as u64);
                }
                Ok(body)
            }
        })
    }

    /// The body as text (UTF-8, invalid bytes replaced).
    pub async fn text(mut self) -> Result<String, Error> {
        if let Some(body) = self.take_memory_body() {
            return body.map(|b| String::from_utf8_lossy(&b).into_owned());
        }
        #[cfg(feature = "chunked")]
        if self.chunked() {
            let bytes = self.bytes().await?;
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
        #[cfg(target_arch = "wasm32")]
        {
            let value = self.read_with(|raw| raw.text()).await?;
            Ok(value.as_string().unwrap_or_default())
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let bytes = Vec::from(self.read_all().await?);
            Ok(String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
        }
    }

    /// The body as bytes, copied once into wasm memory.
    pub async fn bytes(mut self) -> Result<Vec<u8>, Error> {
        if let Some(body) = self.take_memory_body() {
            return body;
        }
        #[cfg(feature = "chunked")]
        if self.chunked() {
            if let Some(limit) = self.max_body_size {
                if self.content_length().is_some_and(|n| n > limit) {
                    return Err(self.too_large(limit));
                }
            }
            let mut out = Vec::new();
            let mut stream = self.bytes_stream();
            while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
                out.extend_from_slice(&chunk?);
            }
            return Ok(out);
        }
        #[cfg(target_arch = "wasm32")]
        return self.array_buffer().await;
        #[cfg(not(target_arch = "wasm32"))]
        self.read_all().await.map(Vec::from)
    }

    /// Reads a native body whole (no size cap, no progress: the chunked
    /// readers do those), as reqwest's own `bytes()` does: a body of one
    /// chunk is not copied.
    #[cfg(not(target_arch = "wasm32"))]
    async fn read_all(&mut self) -> Result<bytes::Bytes, Error> {
        let Source::Native(n) = &self.source else {
            unreachable!("memory bodies are taken before");
        };
        n.collect().await.map_err(|e| self.fail(e))
    }

    /// Decodes the JSON body into `T`.
    ///
    /// The body is read as bytes straight into wasm memory and parsed with
    /// `serde_json::from_slice`: one copy, no UTF-16 string round trip, and
    /// integers beyond 2^53 keep their precision (`JSON.parse` would round
    /// them). A failure [`is_decode`](Error::is_decode) and tells the path to
    /// the bad field and the start of the body.
    ///
    /// Why this path (`cargo xtask bench`, decode study, headless Chromium,
    /// the 1 MB `/photos` array of 5,000 objects into typed structs, median
    /// time against plain JS `r.json()` in the same run): `arrayBuffer()` +
    /// `serde_json::from_slice` 0.90×; `text()` + `serde_json::from_str`
    /// 1.08× (the UTF-16 string round trip); `JSON.parse` + serde-wasm-bindgen
    /// 1.37× (one boundary call per value). serde-wasm-bindgen would add the
    /// least wasm (21 KiB gzip against 31 KiB), but it is the slowest on big
    /// bodies and rounds integers beyond 2^53.
    ///
    /// ```no_run
    /// # async fn run(client: fanout::Client) -> Result<(), fanout::Error> {
    /// #[derive(serde::Deserialize)]
    /// #[serde(rename_all = "camelCase")]
    /// struct Post { user_id: u32, id: u32, title: String, body: String }
    /// let post: Post = client.get("posts/1").send().await?.json().await?;
    /// # Ok(()) }
    /// ```
    pub async fn json<T: DeserializeOwned>(mut self) -> Result<T, Error> {
        if let Some(body) = self.take_memory_body() {
            return decode_json(&body?).map_err(|e| self.fail(e));
        }
        #[cfg(feature = "chunked")]
        if self.chunked() {
            let (method, url, attempts) = (self.method, self.url(), self.attempts);
            let bytes = self.bytes().await?;
            return decode_json(&bytes)
                .map_err(|e| e.with_request(method, &url).with_attempts(attempts));
        }
        // Borrowing `self` keeps the URL lookup (a call into JS) on the
        // error path only.
        #[cfg(target_arch = "wasm32")]
        let bytes = self.array_buffer().await?;
        #[cfg(not(target_arch = "wasm32"))]
        let bytes = self.read_all().await?;
        decode_json(&bytes).map_err(|e| self.fail(e))
    }

    /// Calls `f` as the body is read, by any reader ([`bytes`](Response::bytes),
    /// [`text`](Response::text), [`json`](Response::json),
    /// [`bytes_stream`](Response::bytes_stream), [`lines`](Response::lines)...):
    /// with the bytes read so far and the total from `Content-Length` when
    /// known (see [`Transfer`](crate::Transfer)). Throttled: on the first chunk, then at
    /// most once per 16 ms (about an animation frame) unless 64 KiB more
    /// came, and once at the end with `total == Some(loaded)`. The readers
    /// then read the body chunk by chunk; the size cap still holds.
    /// `read_with` (on wasm) does not report.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// # futures::executor::block_on(async {
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// let resp = fanout::Response::new(200, vec![7u8; 1000])
    ///     .on_progress(move |t| log.lock().unwrap().push(t.loaded));
    /// assert_eq!(resp.bytes().await.unwrap().len(), 1000);
    /// assert_eq!(seen.lock().unwrap().last(), Some(&1000));
    /// # });
    /// ```
    ///
    /// Feature `chunked`.
    #[cfg(feature = "chunked")]
    pub fn on_progress(
        mut self,
        f: impl Fn(crate::Transfer) + crate::MaybeSend + crate::MaybeSync + 'static,
    ) -> Response {
        self.progress = Some(crate::sync::Shared::new(f));
        self
    }
}
