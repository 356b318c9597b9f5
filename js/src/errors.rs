//! The errors JS sees: the exported error classes (`FanoutError` and its
//! subclasses), a library [`Error`] as a JS error (`js_error`), a value a
//! hook threw carried through the library, `HTTPError`s with their body,
//! and `beforeError`.

use crate::body::read_text;
use crate::js::{js_message, json_parse, set};
use crate::media::is_json;
use crate::response::ResponseHead;
use fanout::{Error, Method};
use js_sys::{Function, Object, Promise};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

/// A bad argument: `name` `TypeError` on the JS side.
pub(crate) fn type_error(message: impl Into<String>) -> Error {
    Error::builder(message)
}

// The error classes: `FanoutError` (extends `Error`) and its subclasses,
// exported as classes so that `instanceof` works in every build. They are
// wasm-bindgen classes (nothing is evaluated, so a strict CSP is fine)
// whose prototypes are chained at first use: `HTTPError.prototype` →
// `FanoutError.prototype` → `Error.prototype`. An error keeps the JS
// `Error` the library makes (message, stack, fields); only its prototype
// is set. Their constructors are not for calling.

/// The base class of every error fanout throws or rejects with.
#[wasm_bindgen(js_name = FanoutError, skip_typescript)]
pub struct FanoutErrorClass {
    pub(crate) _unused: u8,
}

/// A 4xx or 5xx status while `throwHttpErrors` is on.
#[wasm_bindgen(js_name = HTTPError, skip_typescript)]
pub struct HttpErrorClass {
    pub(crate) _unused: u8,
}

/// `timeoutMs` or `totalTimeoutMs` elapsed.
#[wasm_bindgen(js_name = TimeoutError, skip_typescript)]
pub struct TimeoutErrorClass {
    pub(crate) _unused: u8,
}

/// No response: a refused or dropped connection, DNS, CORS.
#[wasm_bindgen(js_name = NetworkError, skip_typescript)]
pub struct NetworkErrorClass {
    pub(crate) _unused: u8,
}

/// A body that is not the JSON it should be.
#[wasm_bindgen(js_name = DecodeError, skip_typescript)]
pub struct DecodeErrorClass {
    pub(crate) _unused: u8,
}

/// A durable outbox's failure (`reason` says which).
#[wasm_bindgen(js_name = OutboxError, skip_typescript)]
pub struct OutboxErrorClass {
    pub(crate) _unused: u8,
}

/// The prototypes of the error classes, chained.
pub(crate) struct ErrorProtos {
    pub(crate) base: Object,
    pub(crate) outbox: Object,
    pub(crate) http: Object,
    pub(crate) timeout: Object,
    pub(crate) network: Object,
    pub(crate) decode: Object,
}

impl ErrorProtos {
    pub(crate) fn new() -> ErrorProtos {
        let proto = |v: JsValue| Object::get_prototype_of(&v);
        let base = proto(FanoutErrorClass { _unused: 0 }.into());
        Object::set_prototype_of(&base, &proto(js_sys::Error::new("").into()));
        let sub = |v: JsValue| {
            let p = proto(v);
            Object::set_prototype_of(&p, &base);
            p
        };
        ErrorProtos {
            http: sub(HttpErrorClass { _unused: 0 }.into()),
            timeout: sub(TimeoutErrorClass { _unused: 0 }.into()),
            network: sub(NetworkErrorClass { _unused: 0 }.into()),
            decode: sub(DecodeErrorClass { _unused: 0 }.into()),
            outbox: sub(OutboxErrorClass { _unused: 0 }.into()),
            base,
        }
    }
}

thread_local! {
    pub(crate) static ERROR_PROTOS: ErrorProtos = ErrorProtos::new();
}

/// An [`Error`] as the JS error fanout rejects with: an instance of its
/// class (`HTTPError`, ... or `FanoutError` for `AbortError` and
/// `TypeError`, which keep their `name`).
pub(crate) fn js_error(e: Error) -> JsValue {
    if let Some(thrown) = thrown_value(&e) {
        return thrown;
    }
    let name = e.js_name();
    let value = JsValue::from(e);
    ERROR_PROTOS.with(|p| {
        let proto = match name {
            "HTTPError" => &p.http,
            "TimeoutError" => &p.timeout,
            "NetworkError" => &p.network,
            "DecodeError" => &p.decode,
            _ => &p.base,
        };
        Object::set_prototype_of(value.unchecked_ref::<Object>(), proto);
    });
    value
}

/// An outbox's error as JS sees it: an `OutboxError` (a `FanoutError`)
/// with `name` `'OutboxError'`, its `reason` (`'too_large'`, ...), and
/// the request's error, if one caused it, as `cause`.
pub(crate) fn outbox_error(e: fanout::outbox::OutboxError) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("OutboxError");
    let o: &Object = err.unchecked_ref();
    set(o, "reason", &JsValue::from_str(e.reason().as_str()));
    set(o, "attempts", &JsValue::from_f64(0.0));
    if let Some(cause) = e.error() {
        set(o, "cause", &js_error(cause.clone()));
    }
    ERROR_PROTOS.with(|p| Object::set_prototype_of(o, &p.outbox));
    err.into()
}

pub(crate) fn decode_error(message: &str, body_start: String) -> Error {
    Error::decode(format!("invalid JSON: {message}"), body_start)
}

/// A request that failed, on its way to JS: the one error type of the
/// request path ([`Call::respond`](crate::request::Call::respond)).
pub(crate) enum Failure {
    /// The library's error.
    Lib(Error),
    /// A 4xx or 5xx under `throwHttpErrors` ([`raise_for_status`]): the
    /// error, its `response` (the body read) and the body as `data`.
    Http {
        error: Error,
        response: JsValue,
        data: JsValue,
    },
    /// A value a JS hook threw: it travelled through the library inside an
    /// `Error` (see [`HookThrew`]) and is rejected with as it is.
    Thrown(JsValue),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        match thrown_value(&error) {
            Some(value) => Failure::Thrown(value),
            None => Failure::Lib(error),
        }
    }
}

impl From<fanout::Cancelled> for Failure {
    fn from(c: fanout::Cancelled) -> Failure {
        Failure::Lib(c.into())
    }
}

impl Failure {
    /// Whether the request went out: not for a bad argument or a URL or
    /// header the library refused (nor for a hook that threw before).
    pub(crate) fn sent(&self) -> bool {
        match self {
            Failure::Lib(e) => !e.is_builder(),
            Failure::Http { .. } => true,
            Failure::Thrown(_) => false,
        }
    }

    /// Names the request, if the error does not yet.
    pub(crate) fn named(self, method: Method, url: &str) -> Failure {
        match self {
            Failure::Lib(e) if e.url().is_none() => Failure::Lib(e.with_request(method, url)),
            other => other,
        }
    }

    pub(crate) fn into_js(self) -> JsValue {
        match self {
            Failure::Lib(e) => js_error(e),
            Failure::Http {
                error,
                response,
                data,
            } => {
                let value = js_error(error);
                set(value.unchecked_ref(), "response", &response);
                set(value.unchecked_ref(), "data", &data);
                value
            }
            Failure::Thrown(value) => value,
        }
    }

    /// The JS value the request rejects with: this error through the
    /// `beforeError` hooks, in order. The one place they run.
    pub(crate) async fn reject(self, hooks: &[&[Function]]) -> JsValue {
        let error = self.into_js();
        if hooks.iter().all(|l| l.is_empty()) {
            return error;
        }
        before_error(hooks, error).await
    }
}

/// `throwHttpErrors`: a 4xx or 5xx response becomes an `HTTPError` with
/// `response` (a `FanoutResponse` whose body was read) and `data`: the body
/// parsed as JSON when its `content-type` is a JSON media type
/// ([`is_json`]) and it parses, else
/// its text; `undefined` if it could not be read.
pub(crate) async fn raise_for_status(
    resp: fanout::Response,
    throw: bool,
    rust: bool,
) -> Result<fanout::Response, Failure> {
    let status = resp.status();
    if !throw || !(400..600).contains(&status) {
        return Ok(resp);
    }
    let error = Error::from_status(status, &resp.status_text())
        .with_request(resp.method(), &resp.url())
        .with_attempts(resp.attempts());
    let json = resp
        .headers()
        .get("content-type")
        .is_some_and(|ct| is_json(&ct));
    // The response the error carries, its body read here (or none).
    let empty = resp.as_raw().is_some() && resp.has_null_body();
    let mut head = ResponseHead::of(&resp);
    // No body for the JS side to ask the URL of, if the platform's is empty.
    head.url = resp.url().into();
    let body = if empty {
        JsValue::UNDEFINED
    } else {
        JsValue::NULL
    };
    let response = head.into_js(&body);
    let data = if empty {
        JsValue::UNDEFINED
    } else {
        match read_text(resp, rust).await {
            Ok(text) if json => json_parse(&text).unwrap_or(text),
            Ok(text) => text,
            Err(_) => JsValue::UNDEFINED,
        }
    };
    Err(Failure::Http {
        error,
        response,
        data,
    })
}

/// A value a hook threw (or its promise rejected with), kept on the JS
/// side until the request's error reaches JS, which then rejects with
/// that very value: ky's behaviour, so nothing about it is lost. The
/// library's `Error` (which must stay `Send`) carries only the key.
#[derive(Debug)]
pub(crate) struct HookThrew(u32);

impl std::fmt::Display for HookThrew {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a hook threw")
    }
}

impl std::error::Error for HookThrew {}

thread_local! {
    /// Values hooks threw, by key; the oldest dropped past 256 (an error
    /// that never reaches JS, for example one a Rust hook replaced).
    static THROWN: RefCell<(u32, Vec<(u32, JsValue)>)> = const { RefCell::new((0, Vec::new())) };
}

/// The error a request ends with when hook `name` threw `value`: a
/// `TypeError`-named error whose message says so, which becomes `value`
/// itself when it reaches JS.
pub(crate) fn hook_error(name: &str, value: JsValue) -> Error {
    let message = format!("{name} hook threw: {}", js_message(&value));
    let key = THROWN.with(|t| {
        let (next, list) = &mut *t.borrow_mut();
        *next = next.wrapping_add(1);
        if list.len() >= 256 {
            list.remove(0);
        }
        list.push((*next, value));
        *next
    });
    type_error(message).with_source(HookThrew(key))
}

/// The value a hook threw, if `e` is the error it made (taken out once).
pub(crate) fn thrown_value(e: &Error) -> Option<JsValue> {
    let key = std::error::Error::source(e)?.downcast_ref::<HookThrew>()?.0;
    THROWN.with(|t| {
        let list = &mut t.borrow_mut().1;
        let at = list.iter().position(|(k, _)| *k == key)?;
        Some(list.remove(at).1)
    })
}

/// Runs `beforeError` hooks (the client's, then the request's) on the
/// error a request rejects with; each gets the error so far and returns
/// the next: an `Error` it returns replaces the error, anything else
/// (`undefined`, `false` from `e => cond && new X()`) keeps it. A hook that
/// throws rejects with what it threw.
async fn before_error(hooks: &[&[Function]], mut error: JsValue) -> JsValue {
    for h in hooks.iter().flat_map(|l| l.iter()) {
        let out = match h.call1(&JsValue::UNDEFINED, &error) {
            Ok(v) => wasm_bindgen_futures::JsFuture::from(Promise::resolve(&v)).await,
            Err(e) => Err(e),
        };
        error = match out {
            Ok(v) if v.is_instance_of::<js_sys::Error>() => v,
            Ok(_) => error,
            Err(v) => v,
        };
    }
    error
}
