//! A response's unread body (`FanoutBody`) and its readers: `json()`,
//! `text()`, `bytes()`, `lines()`, `jsonLines()`.

use crate::errors::{decode_error, js_error, type_error};
use crate::fields::Fields;
use crate::js::{call_back, js_message, json_parse, key_string, promise};
use crate::keys::LINE_KEYS;
use crate::response::js_response;
use crate::states::{BodyState, Reader};
use crate::stream::JsStream;
use fanout::{Error, Method};
use futures_util::StreamExt;
use js_sys::{Function, JsString, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use std::str::FromStr;
use wasm_bindgen::prelude::*;

/// How a body is handed to JS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum As {
    Json,
    Text,
    Bytes,
    Response,
}

/// A body that the client's or request's `maxBodySize` caps is read by
/// fanout's Rust readers, which apply the cap; an uncapped one is handed
/// to JS as the platform reads it, without a copy into wasm memory.
pub(crate) async fn read_text(resp: fanout::Response, rust: bool) -> Result<JsValue, Error> {
    if rust || resp.max_body_size().is_some() {
        return Ok(JsValue::from_str(&resp.text().await?));
    }
    resp.read_with(|raw| raw.text()).await
}

pub(crate) async fn read_bytes(resp: fanout::Response, rust: bool) -> Result<JsValue, Error> {
    if rust || resp.max_body_size().is_some() {
        return Ok(Uint8Array::from(&resp.bytes().await?[..]).into());
    }
    let buf = resp.read_with(|raw| raw.array_buffer()).await?;
    Ok(Uint8Array::new(&buf).into())
}

/// `owner`: the `FanoutResponse` being read, if there is one: the error of
/// a body that does not parse names its request from it (read back only
/// then); without one, the URL is taken from `resp` before the read.
pub(crate) async fn read_json(
    resp: fanout::Response,
    rust: bool,
    owner: Option<JsValue>,
) -> Result<JsValue, Error> {
    let (method, attempts) = (resp.method(), resp.attempts());
    let url = match owner {
        Some(_) => None,
        None => Some(resp.url()),
    };
    let text = read_text(resp, rust).await?;
    json_parse(&text).map_err(|e| {
        let body_start = text
            .dyn_ref::<JsString>()
            .map(|s| String::from(s.slice(0, 120)))
            .unwrap_or_default();
        let error = decode_error(&js_message(&e), body_start);
        match (url, owner) {
            (Some(url), _) => error.with_request(method, &url).with_attempts(attempts),
            (None, owner) => {
                let (_, url, _) = owner_request(&owner.unwrap_or_default());
                error.with_request(method, &url).with_attempts(attempts)
            }
        }
    })
}

/// Reads the body as `how` says; `rust`: with fanout's Rust readers
/// (which report download progress).
pub(crate) async fn read_as(
    resp: fanout::Response,
    how: As,
    rust: bool,
    owner: Option<JsValue>,
) -> Result<JsValue, Error> {
    Ok(match how {
        As::Json => read_json(resp, rust, owner).await?,
        As::Text => read_text(resp, rust).await?,
        As::Bytes => read_bytes(resp, rust).await?,
        As::Response => js_response(resp, rust),
    })
}

/// The unread body of a `FanoutResponse`: the only part of it in wasm
/// memory. A reader takes it (the JS side then frees this object), so a
/// response, once read, holds nothing here.
#[wasm_bindgen(js_name = FanoutBody, skip_typescript)]
pub struct JsBody {
    pub(crate) inner: RefCell<Option<(fanout::Response, bool)>>,
}

/// The request a `FanoutResponse` (`owner`) answered, for an error: its
/// method, URL and attempts, read back from JS (on error paths only).
pub(crate) fn owner_request(owner: &JsValue) -> (Method, String, u32) {
    let get = |k: &'static str| Reflect::get(owner, &key_string(k)).unwrap_or_default();
    let method = get("method")
        .as_string()
        .and_then(|m| Method::from_str(&m).ok())
        .unwrap_or(Method::Get);
    let url = get("url").as_string().unwrap_or_default();
    let attempts = get("attempts").as_f64().map_or(1, |n| n as u32);
    (method, url, attempts)
}

pub(crate) fn with_owner(e: Error, owner: &JsValue) -> JsValue {
    let (method, url, attempts) = owner_request(owner);
    js_error(e.with_request(method, &url).with_attempts(attempts))
}

impl JsBody {
    pub(crate) fn wrap(resp: fanout::Response, rust: bool) -> JsValue {
        JsBody {
            inner: RefCell::new(Some((resp, rust))),
        }
        .into()
    }

    pub(crate) fn take(self) -> Option<(fanout::Response, bool)> {
        self.inner.into_inner()
    }

    /// Reads the body as `how` says, as a promise.
    pub(crate) fn read(self, how: As, owner: Option<JsValue>) -> Promise {
        match self.take() {
            Some((resp, rust)) => {
                promise(async move { read_as(resp, how, rust, owner).await.map_err(js_error) })
            }
            // The JS side takes a body once; a second take is a bug there.
            None => Promise::reject(&js_error(type_error("the body was already read"))),
        }
    }

    pub(crate) fn take_lines(
        self,
    ) -> Result<futures_util::stream::LocalBoxStream<'static, Result<String, Error>>, JsValue> {
        match self.take() {
            Some((resp, _)) => Ok(resp.lines().boxed_local()),
            None => Err(js_error(type_error("the body was already read"))),
        }
    }
}

#[wasm_bindgen(js_class = FanoutBody)]
impl JsBody {
    // The readers take `self`: the call frees this object (and the JS side
    // drops it), so all that is left in wasm memory is the read itself.

    /// The URL the response answered, when the platform's `url` is empty.
    #[wasm_bindgen(js_name = requestUrl)]
    pub fn request_url(&self) -> String {
        self.inner
            .borrow()
            .as_ref()
            .map(|(r, _)| r.url())
            .unwrap_or_default()
    }

    /// `owner`: the `FanoutResponse`, for the error of a body that is not
    /// JSON.
    pub fn json(self, owner: JsValue) -> Promise {
        self.read(As::Json, Some(owner))
    }

    pub fn text(self) -> Promise {
        self.read(As::Text, None)
    }

    pub fn bytes(self) -> Promise {
        self.read(As::Bytes, None)
    }

    pub fn lines(self) -> Result<JsValue, JsValue> {
        let lines = self.take_lines()?;
        Ok(JsStream::wrap(
            lines.map(|l| l.map(JsValue::from)).boxed_local(),
            None,
        ))
    }

    /// `onBadLine`: what `lineOptions` returned.
    #[wasm_bindgen(js_name = jsonLines)]
    pub fn json_lines(self, on_bad: JsValue, owner: JsValue) -> Result<JsValue, JsValue> {
        let on_bad = on_bad.dyn_into::<Function>().ok();
        let lines = self.take_lines()?;
        Ok(json_lines(lines, on_bad, owner))
    }

    /// Checks `jsonLines`' options (before the body is taken); returns its
    /// `onBadLine`.
    #[wasm_bindgen(js_name = lineOptions)]
    pub fn line_options(options: JsValue, owner: JsValue) -> Result<JsValue, JsValue> {
        let f = Fields::new(&options, "jsonLines options", &[LINE_KEYS]).map_err(|e| {
            let (method, url, _) = owner_request(&owner);
            js_error(e.with_request(method, &url))
        })?;
        let on_bad = f.function("onBadLine").map_err(js_error)?;
        Ok(on_bad.map(JsValue::from).unwrap_or_default())
    }

    /// The error of a request promise's `json()`, `text()` or `bytes()`
    /// when what it resolved to has no such method.
    #[wasm_bindgen(js_name = noReader)]
    pub fn no_reader(name: &str) -> JsValue {
        js_error(type_error(format!(
            "the response has no {name}() method to call"
        )))
    }

    /// A reader called on a response whose body is not there: `state` a
    /// [`BodyState`], `reader` a [`Reader`] (as `response.js` numbers
    /// them). An empty body reads as empty; otherwise the promise readers
    /// reject, the stream readers throw.
    pub fn none(state: u32, reader: u32, owner: JsValue) -> Result<JsValue, JsValue> {
        let reader = Reader::from_js(reader);
        let error = match (BodyState::from_js(state), reader) {
            (BodyState::Empty, Reader::Json) => decode_error("the body is empty", String::new()),
            (BodyState::Empty, Reader::Text) => {
                return Ok(Promise::resolve(&JsValue::from_str("")).into())
            }
            (BodyState::Empty, Reader::Bytes) => {
                return Ok(Promise::resolve(&Uint8Array::new_with_length(0)).into())
            }
            (BodyState::Empty, _) => {
                return Ok(JsStream::wrap(
                    futures_util::stream::empty().boxed_local(),
                    None,
                ))
            }
            (BodyState::Used, _) => type_error("the body was already read"),
            _ => type_error("the body was already read: the response was freed"),
        };
        let error = with_owner(error, &owner);
        if reader.is_stream() {
            Err(error)
        } else {
            Ok(Promise::reject(&error).into())
        }
    }
}

/// `jsonLines()`: the values of a body's lines.
pub(crate) fn json_lines(
    lines: futures_util::stream::LocalBoxStream<'static, Result<String, Error>>,
    on_bad: Option<Function>,
    owner: JsValue,
) -> JsValue {
    let mut n = 0u64;
    let values = lines.filter_map(move |line| {
        n += 1;
        let out = match line {
            Err(e) => Some(Err(e)),
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => match json_parse(&JsValue::from_str(&l)) {
                Ok(v) => Some(Ok(v)),
                Err(e) => {
                    let start: String = l.chars().take(120).collect();
                    let (method, url, _) = owner_request(&owner);
                    let err =
                        Error::decode(format!("line {n}: invalid JSON: {}", js_message(&e)), start)
                            .with_request(method, &url);
                    match &on_bad {
                        None => Some(Err(err)),
                        Some(f) => {
                            call_back(f, &js_error(err));
                            None
                        }
                    }
                }
            },
        };
        std::future::ready(out)
    });
    JsStream::wrap(values.boxed_local(), None)
}
