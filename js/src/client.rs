//! The exported `Client`: its options and its request methods.

use crate::errors::{js_error, type_error};
use crate::fields::{pairs, parse_method, url_arg, Fields};
use crate::gather::{parse_gather, run_gather};
use crate::hooks::parse_hooks;
use crate::js::{describe, js_message, key_string, promise};
use crate::keys::{AUTH_KEYS, CLIENT_KEYS};
use crate::options::{parse_options, OPTION_KEYS};
use crate::request::Call;
use crate::response::{js_response, response_promise};
use fanout::{Client as Session, Error, Method};
use js_sys::{Function, Object, Promise, Reflect};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A client, its `throwHttpErrors` (default true) and its
/// `hooks.beforeError`.
pub(crate) fn build_client(options: &JsValue) -> Result<JsClient, Error> {
    let f = Fields::new(options, "Client options", &[CLIENT_KEYS, OPTION_KEYS])?;
    let mut opts = parse_options(&f)?;
    // Unlike the Rust client, a JS client rejects 4xx and 5xx responses
    // unless told otherwise (like ky); the binding does it, to attach the
    // body (`raise_for_status`).
    let throw_http = opts.error_for_status.take().unwrap_or(true);
    let mut b = Session::builder().error_for_status(false).options(opts);
    let mut base = None;
    if let Some(v) = f.get("baseUrl")? {
        let url = url_arg(&v, &f.field("baseUrl"))?;
        base = Some(url.clone());
        b = b.base_url(url);
    }
    if let Some(on) = f.bool("dedupe")? {
        b = b.dedupe(on);
    }
    if let Some(v) = f.get("auth")? {
        b = b.with(auth_refresh(&v, &f.field("auth"), base.as_deref())?);
    }
    let mut accept = false;
    if let Some(v) = f.get("headers")? {
        let headers = pairs(&v, &f.field("headers"), false)?;
        accept = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("accept"));
        b = b.default_headers(headers);
    }
    if let Some(n) = f.count("limit")? {
        b = b.limit(n);
    }
    if let Some(n) = f.count("limitPerHost")? {
        b = b.limit_per_host(n);
    }
    if let Some(on) = f.bool("allowCrossOriginHeaders")? {
        b = b.allow_cross_origin_default_headers(on);
    }
    let mut before_error = Vec::new();
    if let Some(v) = f.get("hooks")? {
        let h = parse_hooks(&v, &f.field("hooks"), options)?;
        b = b.hooks(h.lib);
        before_error = h.before_error;
    }
    Ok(JsClient {
        inner: b.build()?,
        throw_http,
        before_error: before_error.into(),
        accept,
    })
}

/// `auth: { refresh, origin?, token? }`: bearer tokens for one origin (by
/// default the `baseUrl`'s) from the async function `refresh`, called
/// once for any number of concurrent 401s ([`fanout::auth::Refresh`]).
pub(crate) fn auth_refresh(
    value: &JsValue,
    what: &str,
    base: Option<&str>,
) -> Result<fanout::auth::Refresh, Error> {
    let f = Fields::new(value, what, &[AUTH_KEYS])?;
    let refresh = f
        .function("refresh")?
        .ok_or_else(|| type_error(format!("{what}.refresh must be a function, not undefined")))?;
    let origin = match f.get("origin")? {
        Some(v) => url_arg(&v, &f.field("origin"))?,
        None => base.map(str::to_owned).ok_or_else(|| {
            type_error(format!("{what}.origin is needed when there is no baseUrl"))
        })?,
    };
    let token = match f.get("token")? {
        None => None,
        Some(v) => Some(
            v.as_string()
                .ok_or_else(|| f.bad("token", "a string", &v))?,
        ),
    };
    let r = fanout::auth::Refresh::try_new(&origin, move || {
        let called = refresh.call0(&JsValue::UNDEFINED);
        async move {
            let failed =
                |e: JsValue| Error::network(format!("auth.refresh failed: {}", js_message(&e)));
            let mut v = called.map_err(failed)?;
            if let Some(p) = v.dyn_ref::<Promise>() {
                v = wasm_bindgen_futures::JsFuture::from(p.clone())
                    .await
                    .map_err(failed)?;
            }
            v.as_string().ok_or_else(|| {
                type_error(format!(
                    "auth.refresh must resolve to a string token, not {}",
                    describe(&v)
                ))
            })
        }
    })
    .map_err(|_| {
        type_error(format!(
            "{what}.origin must be an absolute http(s) URL, not {}",
            describe(&JsValue::from_str(&origin))
        ))
    })?;
    Ok(match token {
        Some(t) => r.with_token(t),
        None => r,
    })
}

/// A reusable HTTP session over `fetch`, like aiohttp's `ClientSession` or a
/// ky instance: a base URL, default headers, timeouts, retries and
/// concurrency limits shared by every request it sends. Make one and reuse
/// it.
///
/// ```js
/// const client = new Client({ baseUrl: 'http://127.0.0.1:8080/', timeoutMs: 10_000 });
/// const post = await (await client.get('posts/1')).json();
/// ```
///
/// Call `free()` (or `using`) to release it early; it is also released when
/// garbage collected. Requests still running keep what they need alive.
#[wasm_bindgen(js_name = Client)]
pub struct JsClient {
    pub(crate) inner: Session,
    /// The client's `throwHttpErrors`.
    pub(crate) throw_http: bool,
    /// The client's `hooks.beforeError`.
    pub(crate) before_error: Rc<[Function]>,
    /// Whether the client's default headers have an `Accept`.
    pub(crate) accept: bool,
}

impl std::fmt::Debug for JsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[wasm_bindgen(js_class = Client)]
impl JsClient {
    /// Makes a client. Throws a `TypeError`-named error for a bad option
    /// (an invalid `baseUrl` or header, an unknown option name, a wrong
    /// type).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<JsClient, JsValue> {
        build_client(&options).map_err(js_error)
    }

    /// The base URL, its path ending in `/`, or `undefined`.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> Option<String> {
        self.inner.base_url().map(str::to_owned)
    }

    fn send(&self, method: Method, path: &JsValue, options: &JsValue) -> Promise {
        let client = self.inner.clone();
        let call = Call::of_call(&client, method, path, options);
        let (throw, client_accept) = (self.throw_http, self.accept);
        let hooks = self.before_error.clone();
        // `json()` or `text()` called on the promise leaves the `Accept`
        // it wants here. The future is first polled in a microtask, so a
        // reader called at once is known before the request is sent (ky
        // starts its fetch a microtask later for this).
        let wanted = Object::new();
        let asked = wanted.clone();
        let future = async move {
            let mut call = call.map_err(js_error)?;
            let wanted = Reflect::get(&asked, &key_string("accept")).ok();
            if let Some(accept) = wanted
                .and_then(|v| v.as_string())
                .filter(|_| !client_accept)
            {
                call.accept(&accept);
            }
            match call.respond(&client, throw).await {
                Ok((resp, rust)) => Ok(js_response(resp, rust)),
                Err(f) => Err(call.reject(f, &hooks).await),
            }
        };
        response_promise(promise(future), &wanted)
    }

    /// Sends a `GET` request. Resolves to the `FanoutResponse` once its headers
    /// arrive; rejects with a `FanoutError` (`HTTPError` for a 4xx or 5xx
    /// status unless `throwHttpErrors` is off).
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        self.send(Method::Get, &path, &options)
    }

    /// Sends a `POST` request (never retried). Pass the body as `json` or
    /// `body`.
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn post(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        self.send(Method::Post, &path, &options)
    }

    /// Sends a `PUT` request.
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn put(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        self.send(Method::Put, &path, &options)
    }

    /// Sends a `PATCH` request (never retried).
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn patch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        self.send(Method::Patch, &path, &options)
    }

    /// Sends a `DELETE` request.
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        self.send(Method::Delete, &path, &options)
    }

    /// Sends a `HEAD` request.
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn head(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        self.send(Method::Head, &path, &options)
    }

    /// Sends a request with any method (`'GET'`, `'options'`, ...).
    #[wasm_bindgen(unchecked_return_type = "ResponsePromise")]
    pub fn request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "HttpMethod")] method: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | URL")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        match parse_method(&method, "method") {
            Ok(m) => self.send(m, &path, &options),
            Err(e) => response_promise(Promise::reject(&js_error(e)), &Object::new()),
        }
    }

    /// Opens the durable outbox `name` (IndexedDB in browsers and
    /// workers; `memory: true` keeps it in memory, the only store in
    /// Node.js, where the default is an `OutboxError` with `reason`
    /// `'unsupported'`). Its requests go through this client.
    #[wasm_bindgen(unchecked_return_type = "Promise<Outbox>")]
    pub fn outbox(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "OutboxOptions")] options: JsValue,
    ) -> Promise {
        crate::outbox::open(&self.inner, &name, &options)
    }

    /// Sends many requests at once; see the `Client` interface for the
    /// typed overloads.
    #[wasm_bindgen(skip_typescript)]
    pub fn gather(&self, inputs: JsValue, options: JsValue) -> Promise {
        let client = self.inner.clone();
        let setup = parse_gather(&inputs, &options);
        let throw = self.throw_http;
        let hooks = self.before_error.clone();
        promise(async move {
            let (specs, opts) = setup.map_err(js_error)?;
            Ok(run_gather(client, throw, hooks, specs, opts).await.into())
        })
    }
}
