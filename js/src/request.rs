//! One request as JS describes it: checked and copied out of its options
//! (`Spec`), then built onto a [`fanout::RequestBuilder`].

use crate::errors::type_error;
use crate::fields::pairs;
use crate::fields::Fields;
use crate::hooks::parse_hooks;
use crate::js::call_back;
use crate::js::js_message;
use crate::js::json_stringify;
use crate::js::set;
use crate::options::parse_options;
use fanout::Client as Session;
use fanout::Error;
use fanout::Method;
use fanout::Options;
use fanout::RequestBuilder;
use js_sys::ArrayBuffer;
use js_sys::Function;
use js_sys::Object;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;
use web_sys::FormData;
use web_sys::UrlSearchParams;

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
    /// `throwHttpErrors`, checked by the binding (see [`raise_for_status`]).
    pub(crate) throw_http: Option<bool>,
    /// `hooks`: the library's, added after the client's.
    pub(crate) hooks: Option<fanout::Hooks>,
    /// `hooks.beforeError`, run after the client's.
    pub(crate) before_error: Vec<Function>,
    /// The shared settings; those unset fall back to the client's.
    pub(crate) options: Options,
}

impl Spec {
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
        let what = &f.what;
        let headers = match f.get("headers")? {
            Some(v) => pairs(&v, &f.field("headers"), false)?,
            None => Vec::new(),
        };
        let query = match f.get("query")? {
            Some(v) => pairs(&v, &f.field("query"), true)?,
            None => Vec::new(),
        };
        let json = f.raw("json")?;
        let body = f.get("body")?;
        let body = match (json.is_undefined(), body) {
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
        let signal = match f.get("signal")? {
            None => None,
            Some(v) => Some(
                v.dyn_into::<AbortSignal>()
                    .map_err(|v| f.bad("signal", "an AbortSignal", &v))?,
            ),
        };
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
