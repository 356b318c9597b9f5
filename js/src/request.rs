//! One request as JS describes it: its options checked and put onto the
//! library's [`RequestBuilder`], built into a [`fanout::Request`] beside
//! what only JS has (`Call`); and the one request path that sends it.

use crate::errors::{raise_for_status, type_error, Failure};
use crate::fields::{pairs, url_arg, Fields};
use crate::hooks::parse_hooks;
use crate::js::{call_back, describe, js_message, json_stringify, set};
use crate::keys::REQUEST_KEYS;
use crate::options::{parse_options, OPTION_KEYS};
use fanout::{Client as Session, Error, Method, RequestBuilder};
use js_sys::{ArrayBuffer, Function, Object, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, FormData, UrlSearchParams};

/// A request body, read from the options.
enum Payload {
    Json(String),
    Text(String),
    Bytes(Vec<u8>),
    Form(FormData),
    Params(String),
}

/// What only the JS API has about a request: the rest is in the library's
/// [`fanout::Request`].
#[derive(Default)]
pub(crate) struct JsSide {
    /// `throwHttpErrors`, checked by the binding (see [`Call::respond`]).
    pub(crate) throw_http: Option<bool>,
    /// `hooks.beforeError`, run after the client's.
    pub(crate) before_error: Vec<Function>,
    /// `onDownloadProgress`.
    pub(crate) on_download: Option<Function>,
    /// `signal` (also on the request): a stream (`sse`) ends with it too.
    pub(crate) signal: Option<AbortSignal>,
}

/// A JS call: the library's request, built from its path and options, and
/// what only JS has.
pub(crate) struct Call {
    pub(crate) method: Method,
    /// The absolute URL (the path, if it does not resolve), for errors
    /// outside the request.
    pub(crate) url: String,
    /// The request, or why the library refused to build it (a bad header
    /// or URL): the request path reports that as the request's error.
    /// Boxed: a future that holds a `Call` then holds one request, in the
    /// pipeline's future, not a second one here.
    request: Option<Result<Box<fanout::Request>, Error>>,
    pub(crate) js: JsSide,
}

/// A call's path and options object, checked: `what` names the object in
/// messages, `extra` are the keys it has besides a request's. An error
/// names the request.
pub(crate) fn call_fields(
    method: Method,
    path: &JsValue,
    options: &JsValue,
    what: &str,
    extra: &[&str],
) -> Result<(String, Fields), Error> {
    let path = url_arg(path, "path").map_err(|e| e.with_request(method, &describe(path)))?;
    let f = Fields::new(options, what, &[REQUEST_KEYS, OPTION_KEYS, extra])
        .map_err(|e| e.with_request(method, &path))?;
    Ok((path, f))
}

/// The absolute URL of `path`, or `path` itself if it does not resolve.
pub(crate) fn absolute(client: &Session, path: &str) -> String {
    client.resolve(path).unwrap_or_else(|_| path.to_owned())
}

impl Call {
    /// `client.get(path, options)` and the like.
    pub(crate) fn of_call(
        client: &Session,
        method: Method,
        path: &JsValue,
        options: &JsValue,
    ) -> Result<Call, Error> {
        let (path, f) = call_fields(method, path, options, "request options", &[])?;
        Call::parse(client, method, path, &f)
    }

    /// The request `method` `path` with the options of `f`.
    pub(crate) fn parse(
        client: &Session,
        method: Method,
        path: String,
        f: &Fields,
    ) -> Result<Call, Error> {
        let url = absolute(client, &path);
        let (onto, js) = read_options(method, f).map_err(|e| e.with_request(method, &url))?;
        Ok(Call {
            method,
            url,
            request: Some(onto(client.request(method, &path)).build().map(Box::new)),
            js,
        })
    }

    /// The built request (once), for a caller that sends it its own way
    /// (the outbox stores it).
    pub(crate) fn take_request(&mut self) -> Result<fanout::Request, Error> {
        self.request
            .take()
            .unwrap_or_else(|| Err(type_error("the request was already taken")))
            .map(|r| *r)
    }

    /// Asks for `accept` (what the promise's `json()` or `text()` wants)
    /// unless the request has an `Accept` of its own.
    pub(crate) fn accept(&mut self, accept: &str) {
        if let Some(Ok(req)) = &mut self.request {
            if !req
                .headers()
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("accept"))
            {
                // A valid name and value: it can't fail.
                let _ = req.append_header("accept", accept);
            }
        }
    }

    /// The request path of `send` and `gather`: the request through the
    /// library's pipeline, `onDownloadProgress` on its response, and a 4xx
    /// or 5xx as an `HTTPError` with its body when `throwHttpErrors` (the
    /// request's, else the client's `throw`) says so. The response comes
    /// back unread, with whether fanout's Rust readers must read it (they
    /// report the progress).
    pub(crate) async fn respond(
        &mut self,
        client: &Session,
        throw: bool,
    ) -> Result<(fanout::Response, bool), Failure> {
        let mut request = self
            .request
            .take()
            .unwrap_or_else(|| Err(type_error("the request was already sent")))?;
        let throw = self.js.throw_http.unwrap_or(throw);
        if !throw {
            // ky: with `throwHttpErrors` off, an error response counts as
            // a success, so no status is retried (network errors still are).
            let retry = (request.options().retry.clone())
                .or_else(|| client.options().retry.clone())
                .unwrap_or_default();
            request.options_mut().retry = Some(retry.statuses([]));
        }
        let resp = client.execute(*request).await?;
        let (resp, rust) = self.progress(resp);
        let resp = raise_for_status(resp, throw, rust).await?;
        Ok((resp, rust))
    }

    /// What the request rejects with: `failure` through the client's
    /// `beforeError` hooks, then the request's.
    pub(crate) async fn reject(&self, failure: Failure, client: &[Function]) -> JsValue {
        failure.reject(&[client, &self.js.before_error]).await
    }

    /// Attaches `onDownloadProgress` to the response; `true` if it did (the
    /// body must then be read by fanout's Rust readers, which report).
    fn progress(&self, resp: fanout::Response) -> (fanout::Response, bool) {
        match &self.js.on_download {
            None => (resp, false),
            Some(f) => {
                let f = f.clone();
                (resp.on_progress(move |t| transfer_progress(&f, t)), true)
            }
        }
    }
}

/// A request's options (`f`): what goes onto the library's request, as a
/// function that puts it onto a [`RequestBuilder`], and what only JS has.
/// Every value is checked here; the function can't fail.
pub(crate) fn read_options(
    method: Method,
    f: &Fields,
) -> Result<(impl FnOnce(RequestBuilder) -> RequestBuilder, JsSide), Error> {
    let headers = match f.get("headers")? {
        Some(v) => pairs(&v, &f.field("headers"), false)?,
        None => Vec::new(),
    };
    let query = match f.get("query")? {
        Some(v) => pairs(&v, &f.field("query"), true)?,
        None => Vec::new(),
    };
    let body = payload(method, f)?;
    let signal = f.signal("signal")?;
    let on_download = f.function("onDownloadProgress")?;
    let on_upload = f.function("onUploadProgress")?;
    let mut options = parse_options(f)?;
    // The binding turns a 4xx or 5xx into an `HTTPError` itself, with the
    // body as `data` (see `raise_for_status`).
    let throw_http = options.error_for_status.replace(false);
    let (hooks, before_error) = match f.get("hooks")? {
        None => (None, Vec::new()),
        Some(v) => {
            let options = f.obj.clone().unwrap_or(JsValue::UNDEFINED);
            let h = parse_hooks(&v, &f.field("hooks"), &options)?;
            (Some(h.lib), h.before_error)
        }
    };
    let js = JsSide {
        throw_http,
        before_error,
        on_download,
        signal: signal.clone(),
    };
    let onto = move |b: RequestBuilder| {
        let typed = !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
        let mut b = b.headers(headers);
        if !query.is_empty() {
            b = b.query(&query);
        }
        if let Some(body) = body {
            b = with_body(b, body, typed);
        }
        if let Some(s) = &signal {
            b = b.abort_signal(s);
        }
        if let Some(h) = hooks {
            b = b.hooks(h);
        }
        if let Some(f) = on_upload {
            b = b.on_upload_progress(move |t| transfer_progress(&f, t));
        }
        b.options(options)
    };
    Ok((onto, js))
}

/// `body` onto `b`, with its content type unless the caller set one
/// (`typed`).
fn with_body(b: RequestBuilder, body: Payload, typed: bool) -> RequestBuilder {
    let content_type = |b: RequestBuilder, ct: &str| {
        if typed {
            b.header("content-type", ct)
        } else {
            b
        }
    };
    match body {
        Payload::Json(s) => content_type(b, "application/json").text(s),
        Payload::Text(s) => b.text(s),
        Payload::Bytes(v) => b.bytes(v),
        Payload::Form(form) => b.form_data(&form),
        Payload::Params(s) => {
            content_type(b, "application/x-www-form-urlencoded;charset=UTF-8").text(s)
        }
    }
}

/// The body of the options, `json` or `body`. A GET or HEAD request has
/// none: one given is the caller's mistake, refused before anything is sent
/// (ky's rule; the platform would refuse to build the request).
fn payload(method: Method, f: &Fields) -> Result<Option<Payload>, Error> {
    let what = &f.what;
    let json = f.raw("json")?;
    let body = f.get("body")?;
    let no_json = !f.has("json") || json.is_undefined();
    let key = if no_json { "body" } else { "json" };
    let payload = match (no_json, body) {
        (false, Some(_)) => {
            return Err(type_error(format!(
                "{what} can have json or body, not both"
            )))
        }
        (false, None) => {
            let text = json_stringify(&json)
                .map_err(|e| type_error(format!("{what}.json: {}", js_message(&e))))?;
            match text.as_string() {
                Some(s) => Some(Payload::Json(s)),
                None => return Err(f.bad("json", "a value JSON.stringify can encode", &json)),
            }
        }
        (true, Some(b)) => Some(body_input(&b, f)?),
        (true, None) => None,
    };
    if payload.is_some() && matches!(method, Method::Get | Method::Head) {
        return Err(type_error(format!(
            "{what}.{key}: a {} request cannot have a body",
            method.as_str()
        )));
    }
    Ok(payload)
}

fn body_input(value: &JsValue, f: &Fields) -> Result<Payload, Error> {
    if let Some(s) = value.as_string() {
        return Ok(Payload::Text(s));
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return Ok(Payload::Bytes(bytes.to_vec()));
    }
    if let Some(buf) = value.dyn_ref::<ArrayBuffer>() {
        return Ok(Payload::Bytes(Uint8Array::new(buf).to_vec()));
    }
    if let Some(form) = value.dyn_ref::<FormData>() {
        return Ok(Payload::Form(form.clone()));
    }
    if let Some(params) = value.dyn_ref::<UrlSearchParams>() {
        return Ok(Payload::Params(params.to_string().into()));
    }
    Err(f.bad(
        "body",
        "a string, Uint8Array, ArrayBuffer, FormData or URLSearchParams",
        value,
    ))
}

/// `onDownloadProgress` and `onUploadProgress`: `({ loaded, total, percent })`.
pub(crate) fn transfer_progress(f: &Function, t: fanout::Transfer) {
    let obj = Object::new();
    set(&obj, "loaded", &(t.loaded as f64).into());
    let opt = |v: Option<f64>| v.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
    set(&obj, "total", &opt(t.total.map(|n| n as f64)));
    set(&obj, "percent", &opt(t.fraction()));
    call_back(f, &obj);
}
