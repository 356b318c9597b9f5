//! One request as JS describes it: checked and copied out of its options
//! (`Spec`), then built onto a [`fanout::RequestBuilder`].

use crate::errors::{raise_for_status, type_error, Failure};
use crate::fields::{pairs, url_arg, Fields};
use crate::hooks::parse_hooks;
use crate::js::{call_back, describe, js_message, json_stringify, set};
use crate::options::{parse_options, OPTION_KEYS};
use fanout::{Client as Session, Error, Method, Options, RequestBuilder};
use js_sys::{ArrayBuffer, Function, Object, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, FormData, UrlSearchParams};

/// The keys of a request's own options, besides [`OPTION_KEYS`].
pub(crate) const REQUEST_KEYS: &[&str] = &[
    "headers",
    "query",
    "json",
    "body",
    "signal",
    "onDownloadProgress",
    "hooks",
    "onUploadProgress",
];

/// A request body, read from the options when the request is made.
#[derive(Clone)]
pub(crate) enum Payload {
    Json(String),
    Text(String),
    Bytes(Vec<u8>),
    Form(FormData),
    Params(String),
}

/// One request, checked and copied out of its JS options.
pub(crate) struct Spec {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Payload>,
    pub(crate) signal: Option<AbortSignal>,
    /// `onDownloadProgress`.
    pub(crate) on_download: Option<Function>,
    /// `onUploadProgress`.
    pub(crate) on_upload: Option<Function>,
    /// `throwHttpErrors`, checked by the binding (see [`Spec::respond`]).
    pub(crate) throw_http: Option<bool>,
    /// `hooks`: the library's, added after the client's.
    pub(crate) hooks: Option<fanout::Hooks>,
    /// `hooks.beforeError`, run after the client's.
    pub(crate) before_error: Vec<Function>,
    /// The `Accept` that the promise's `json()` or `text()` asks for, sent
    /// unless the request has its own.
    pub(crate) accept: Option<String>,
    /// The shared settings; those unset fall back to the client's.
    pub(crate) options: Options,
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

impl Spec {
    /// `client.get(path, options)` and the like.
    pub(crate) fn of_call(
        client: &Session,
        method: Method,
        path: &JsValue,
        options: &JsValue,
    ) -> Result<Spec, Error> {
        let (path, f) = call_fields(method, path, options, "request options", &[])?;
        Spec::parse(client, method, path, &f)
    }

    /// The request path of `send` and `gather`: the request through the
    /// library's pipeline, `onDownloadProgress` on its response, and a 4xx
    /// or 5xx as an `HTTPError` with its body when `throwHttpErrors` (the
    /// request's, else the client's `throw`) says so. The response comes
    /// back unread, with whether fanout's Rust readers must read it (they
    /// report the progress).
    pub(crate) async fn respond(
        &self,
        client: &Session,
        throw: bool,
    ) -> Result<(fanout::Response, bool), Failure> {
        let resp = self.builder(client).send().await?;
        let (resp, rust) = self.progress(resp);
        let resp = raise_for_status(resp, self.throw_http.unwrap_or(throw), rust).await?;
        Ok((resp, rust))
    }

    /// What the request rejects with: `failure` through the client's
    /// `beforeError` hooks, then the request's.
    pub(crate) async fn reject(&self, failure: Failure, client: &[Function]) -> JsValue {
        failure.reject(&[client, &self.before_error]).await
    }

    pub(crate) fn parse(
        client: &Session,
        method: Method,
        path: String,
        f: &Fields,
    ) -> Result<Spec, Error> {
        Spec::parse_fields(method, path.clone(), f).map_err(|e| {
            let url = client.resolve(&path).unwrap_or(path);
            e.with_request(method, &url)
        })
    }

    pub(crate) fn parse_fields(method: Method, path: String, f: &Fields) -> Result<Spec, Error> {
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
        let (hooks, before_error) = match f.get("hooks")? {
            None => (None, Vec::new()),
            Some(v) => {
                let options = f.obj.clone().unwrap_or(JsValue::UNDEFINED);
                let h = parse_hooks(&v, &f.field("hooks"), &options)?;
                (Some(h.lib), h.before_error)
            }
        };
        Ok(Spec {
            hooks,
            before_error,
            headers,
            query,
            body,
            signal,
            on_download,
            on_upload,
            throw_http: options.error_for_status.take(),
            options,
            ..Spec::new(method, path)
        })
    }

    /// A request with no options.
    pub(crate) fn new(method: Method, path: String) -> Spec {
        Spec {
            method,
            path,
            headers: Vec::new(),
            query: Vec::new(),
            body: None,
            signal: None,
            on_download: None,
            on_upload: None,
            throw_http: None,
            hooks: None,
            before_error: Vec::new(),
            accept: None,
            options: Options::new(),
        }
    }

    /// Attaches `onDownloadProgress` to the response; `true` if it did (the
    /// body must then be read by fanout's Rust readers, which report).
    pub(crate) fn progress(&self, resp: fanout::Response) -> (fanout::Response, bool) {
        match &self.on_download {
            None => (resp, false),
            Some(f) => {
                let f = f.clone();
                (resp.on_progress(move |t| transfer_progress(&f, t)), true)
            }
        }
    }

    /// The absolute URL, for errors that happen outside the request.
    pub(crate) fn url(&self, client: &Session) -> String {
        client
            .resolve(&self.path)
            .unwrap_or_else(|_| self.path.clone())
    }

    pub(crate) fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    pub(crate) fn builder(&self, client: &Session) -> RequestBuilder {
        self.apply(client.request(self.method, &self.path))
    }

    /// Everything but the method and the path, onto `b`.
    pub(crate) fn apply(&self, b: RequestBuilder) -> RequestBuilder {
        let mut b = b.headers(self.headers.iter().cloned());
        if !self.query.is_empty() {
            b = b.query(&self.query);
        }
        if let Some(accept) = self
            .accept
            .as_deref()
            .filter(|_| !self.has_header("accept"))
        {
            b = b.header("accept", accept);
        }
        let typed = |b: RequestBuilder, ct: &str| {
            if self.has_header("content-type") {
                b
            } else {
                b.header("content-type", ct)
            }
        };
        b = match &self.body {
            None => b,
            Some(Payload::Json(s)) => typed(b, "application/json").text(s.as_str()),
            Some(Payload::Text(s)) => b.text(s.as_str()),
            Some(Payload::Bytes(v)) => b.bytes(v.clone()),
            Some(Payload::Form(form)) => b.form_data(form),
            Some(Payload::Params(s)) => {
                typed(b, "application/x-www-form-urlencoded;charset=UTF-8").text(s.as_str())
            }
        };
        if let Some(s) = &self.signal {
            b = b.abort_signal(s);
        }
        if let Some(h) = &self.hooks {
            b = b.hooks(h.clone());
        }
        if let Some(f) = &self.on_upload {
            let f = f.clone();
            b = b.on_upload_progress(move |t| transfer_progress(&f, t));
        }
        // The binding turns a 4xx or 5xx into an `HTTPError` itself, with
        // the body as `data` (see `raise_for_status`).
        let mut options = self.options.clone();
        options.error_for_status = Some(false);
        b.options(options)
    }
}

/// The body of the options, `json` or `body`. A GET or HEAD request has
/// none: one given is the caller's mistake, refused before anything is sent
/// (ky's rule; the platform would refuse to build the request).
fn payload(method: Method, f: &Fields) -> Result<Option<Payload>, Error> {
    let what = &f.what;
    let json = f.raw("json")?;
    let body = f.get("body")?;
    let key = if json.is_undefined() { "body" } else { "json" };
    let payload = match (json.is_undefined(), body) {
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

pub(crate) fn body_input(value: &JsValue, f: &Fields) -> Result<Payload, Error> {
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
