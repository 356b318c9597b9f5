//! The default transport on wasm: the platform's `fetch` (and the upload
//! path: `XMLHttpRequest` in browsers, a streamed body in Node.js).

#[cfg(feature = "upload")]
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
#[cfg(feature = "upload")]
use wasm_bindgen_futures::JsFuture;
#[cfg(feature = "upload")]
use web_sys::ReadableStreamDefaultController;
use web_sys::RequestInit;

use crate::error::{Error, Kind};
use crate::method::Method;
#[cfg(feature = "upload")]
use crate::progress::{ProgressFn, Reporter};
use crate::request::{Body, Request};
use crate::response::{classify, Response};
use crate::sys::{self, AbortGuard};
#[cfg(feature = "upload")]
use crate::xhr;

/// A JS exception while setting a request up, as a builder error.
fn js_err(what: &str, e: JsValue) -> Error {
    let cause = sys::js_error(&e);
    Error::builder(format!("{what}: {}", cause.message())).with_source(cause)
}

/// One attempt over `fetch`. The pipeline calls this directly (no boxed
/// future) when the client has the default transport. A request with an
/// upload-progress callback and a body that can be re-read takes the
/// upload path instead (boxed, so that the common path's future stays as
/// it was).
pub(crate) async fn fetch(req: &Request) -> Result<Response, Error> {
    #[cfg(feature = "upload")]
    if let (Some(f), Some(body)) = (&req.upload_progress, &req.body) {
        if !body.is_stream() {
            return Box::pin(upload(req, body, f)).await;
        }
    }
    fetch_with(req, None, None, None).await
}

/// The upload path (see
/// `RequestBuilder::on_upload_progress` (feature `upload`)):
/// an `XMLHttpRequest` where the platform has one (browser pages and
/// dedicated workers), else `fetch` with the body streamed from a
/// `ReadableStream` (`duplex: "half"`) that counts the bytes as fetch pulls
/// them (Node.js), else (neither: no request streams) `fetch` with one
/// report once the response arrived.
#[cfg(feature = "upload")]
async fn upload(req: &Request, body: &Body, f: &ProgressFn) -> Result<Response, Error> {
    match sys::xhr() {
        Some(Ok(x)) => return xhr::send(req, body, x, f.clone()).await,
        Some(Err(e)) => return Err(js_err("XMLHttpRequest", e)),
        None => {}
    }
    // A FormData's bytes (and its size) are known once it is encoded:
    // encode it as fetch would, and send the bytes with the multipart
    // content type (its boundary).
    let encoded;
    let (body, content_type) = match body.as_form_data() {
        None => (body, None),
        Some(form) => {
            let (bytes, ct) = encode_form(form).await?;
            encoded = Body::from(bytes);
            (&encoded, ct)
        }
    };
    let size = body.as_bytes().map_or(0, |b| b.len() as u64);
    if !sys::request_streams() {
        let resp = fetch_with(req, Some(body.to_js()), content_type, None).await?;
        Reporter::new(f.clone(), Some(size)).loaded_all(size);
        return Ok(resp);
    }
    let (stream, pull) =
        streamed(body.clone(), f.clone()).map_err(|e| js_err("ReadableStream", e))?;
    fetch_with(req, Some(stream.into()), content_type, Some(Box::new(pull))).await
}

/// Encodes a `FormData` as `fetch` would: its bytes and content type.
#[cfg(feature = "upload")]
async fn encode_form(form: &web_sys::FormData) -> Result<(Vec<u8>, Option<String>), Error> {
    let encoded =
        web_sys::Response::new_with_opt_form_data(Some(form)).map_err(|e| js_err("FormData", e))?;
    let content_type = encoded
        .headers()
        .get("content-type")
        .map_err(|e| js_err("FormData", e))?;
    let promise = encoded.array_buffer().map_err(|e| js_err("FormData", e))?;
    let buf = JsFuture::from(promise)
        .await
        .map_err(|e| js_err("FormData", e))?;
    Ok((js_sys::Uint8Array::new(&buf).to_vec(), content_type))
}

/// How much of a streamed body goes in one chunk.
#[cfg(feature = "upload")]
const CHUNK: usize = 64 * 1024;

#[cfg(feature = "upload")]
type PullFn = Closure<dyn FnMut(ReadableStreamDefaultController)>;

/// A `ReadableStream` of `body`'s bytes, in [`CHUNK`]s, reporting to `f`
/// as they are taken. The stream's queue holds one chunk (the default
/// high-water mark): `pull` is called again once the reader (fetch) took
/// the chunk before, so each call reports the bytes taken so far, and the
/// call after the last chunk was taken reports the whole body and closes
/// the stream. The closure must outlive the stream: the caller keeps it
/// with the request's [`AbortGuard`].
#[cfg(feature = "upload")]
fn streamed(body: Body, f: ProgressFn) -> Result<(web_sys::ReadableStream, PullFn), JsValue> {
    let size = body.as_bytes().map_or(0, <[u8]>::len);
    let mut reporter = Reporter::new(f, Some(size as u64));
    let (mut offset, mut last) = (0, 0);
    let pull = PullFn::new(move |c: ReadableStreamDefaultController| {
        let bytes = body.as_bytes().unwrap_or_default();
        if last > 0 {
            // The chunk before was taken.
            reporter.advance(last as u64, sys::now_ms());
        }
        if offset >= bytes.len() {
            reporter.finish();
            let _ = c.close();
            return;
        }
        let end = (offset + CHUNK).min(bytes.len());
        let chunk = js_sys::Uint8Array::from(&bytes[offset..end]);
        (last, offset) = (end - offset, end);
        let _ = c.enqueue_with_chunk(&chunk);
    });
    let source = js_sys::Object::new();
    js_sys::Reflect::set(&source, &"pull".into(), pull.as_ref())?;
    let stream = web_sys::ReadableStream::new_with_underlying_source(&source)?;
    Ok((stream, pull))
}

/// One attempt over `fetch`: with `req`'s body, or `body` instead (a
/// stream when `keep` is given: what must live as long as the exchange),
/// and `content_type` replacing the request's.
async fn fetch_with(
    req: &Request,
    body: Option<JsValue>,
    content_type: Option<String>,
    keep: Option<Box<dyn std::any::Any>>,
) -> Result<Response, Error> {
    let mut guard = AbortGuard::new(req.options.timeout, req.signal.as_ref())
        .map_err(|e| js_err("AbortController", e))?;

    // Each setter is a call into JS: set only what differs from fetch's
    // defaults.
    let init = RequestInit::new();
    if req.method != Method::Get {
        init.set_method(req.method.as_str());
    }
    if !req.headers.is_empty() || content_type.is_some() {
        let h = web_sys::Headers::new().map_err(|e| js_err("Headers", e))?;
        for (name, value) in &req.headers {
            if content_type.is_some() && name.eq_ignore_ascii_case("content-type") {
                continue;
            }
            h.append(name, value)
                .map_err(|e| js_err(&format!("header \"{name}\""), e))?;
        }
        if let Some(ct) = &content_type {
            h.append("content-type", ct)
                .map_err(|e| js_err("header \"content-type\"", e))?;
        }
        init.set_headers(&h);
    }
    let streamed = keep.is_some() || req.body.as_ref().is_some_and(Body::is_stream);
    match (body, &req.body) {
        (Some(b), _) => init.set_body(&b),
        (None, Some(b)) => init.set_body(&b.to_js()),
        (None, None) => {}
    }
    if streamed {
        // A streamed request body must say so (the Fetch standard).
        let _ = js_sys::Reflect::set(&init, &"duplex".into(), &"half".into());
    }
    if let Some(keep) = keep {
        guard.keep_alive(keep);
    }
    init.set_signal(Some(&guard.signal()));
    let o = &req.options;
    if let Some(c) = o.credentials {
        init.set_credentials(sys::credentials(c));
    }
    if let Some(c) = o.cache {
        init.set_cache(sys::cache_mode(c));
    }
    if let Some(r) = o.redirect {
        init.set_redirect(sys::redirect(r));
    }

    let started_ms = sys::now_ms();
    let promise = sys::fetch(&req.url, &init).map_err(|e| js_err("fetch", e))?;
    match sys::settled(&promise).await {
        Ok(raw) => Ok(Response::from_fetch(
            raw.unchecked_into(),
            guard,
            req.method,
            req.url.clone(),
            started_ms,
        )),
        Err(e) => Err(classify(&guard, &e, Kind::Network)),
    }
}
