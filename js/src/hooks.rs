//! ky's `hooks` option over the library's async hooks, and `retry()`.

use crate::errors::{hook_error, js_error, type_error};
use crate::fields::{get, pairs, url_arg, Fields};
use crate::js::{describe, js_message, key_string, set};
use crate::keys::HOOK_KEYS;
use crate::response::{js_response, take_response_body};
use crate::states::BodyState;
use fanout::Error;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

thread_local! {
    /// What `retry()` returns: an `afterResponse` hook returns it to ask
    /// for a retry.
    static RETRY_MARKER: Object = {
        let marker = Object::new();
        set(&marker, "retry", &JsValue::TRUE);
        Object::freeze(&marker)
    };
}

/// Asks for a retry when returned by an `afterResponse` hook (ky's
/// `ky.retry()`): the request is sent again like one that got a 503,
/// counted against the retry limit and announced to `beforeRetry`.
///
/// ```js
/// import { Client, retry } from 'fanout';
/// const client = new Client({ hooks: { afterResponse: [
///   async (request, options, response) => (response.status === 202 ? retry() : undefined),
/// ] } });
/// ```
#[wasm_bindgen(js_name = retry, unchecked_return_type = "RetryMarker")]
pub fn retry_marker() -> JsValue {
    RETRY_MARKER.with(|m| m.clone().into())
}

/// Calls hook `f` with `args` and awaits what it returns (a promise or a
/// plain value); a throw or a rejection is the request's error.
pub(crate) async fn call_hook(name: &str, f: &Function, args: &Array) -> Result<JsValue, Error> {
    let out = f
        .apply(&JsValue::UNDEFINED, args)
        .map_err(|e| hook_error(name, e))?;
    if !out.has_type::<Promise>() && !out.is_object() {
        return Ok(out);
    }
    wasm_bindgen_futures::JsFuture::from(Promise::resolve(&out))
        .await
        .map_err(|e| hook_error(name, e))
}

/// The request as a hook sees it: `{ method, url, headers }`, with
/// `headers` a `Headers`. A hook may set `url` and change `headers`;
/// [`read_back`] copies them into the request.
pub(crate) fn hook_request(req: &fanout::Request) -> Result<Object, Error> {
    let obj = Object::new();
    set(&obj, "method", &JsValue::from_str(req.method().as_str()));
    set(&obj, "url", &JsValue::from_str(req.url()));
    let headers = web_sys::Headers::new().map_err(|e| type_error(js_message(&e)))?;
    for (name, value) in req.headers() {
        headers
            .append(name, value)
            .map_err(|e| type_error(format!("header {name:?}: {}", js_message(&e))))?;
    }
    set(&obj, "headers", &headers);
    Ok(obj)
}

/// Copies a hook's changes to `url` and `headers` into the request.
pub(crate) fn read_back(name: &str, obj: &Object, req: &mut fanout::Request) -> Result<(), Error> {
    let what = format!("{name} hook's request");
    let url = get(obj, "url", &what)?;
    match url_arg(&url, &format!("{what}.url")) {
        Ok(u) if u != req.url() => req.set_url(u),
        Ok(_) => {}
        Err(e) => return Err(e),
    }
    let headers = get(obj, "headers", &what)?;
    let pairs = pairs(&headers, &format!("{what}.headers"), false)?;
    let names: Vec<String> = req.headers().iter().map(|(n, _)| n.clone()).collect();
    for n in names {
        req.remove_header(&n);
    }
    for (n, v) in pairs {
        req.append_header(n, v)?;
    }
    Ok(())
}

/// The response an `afterResponse` hook returned, or the action it asked for.
pub(crate) async fn after_response_action(value: JsValue) -> Result<fanout::Action, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(fanout::Action::Continue);
    }
    if RETRY_MARKER.with(|m| Object::is(&value, m)) {
        return Ok(fanout::Action::Retry);
    }
    if let Some(raw) = value.dyn_ref::<web_sys::Response>() {
        return Ok(fanout::Action::Replace(platform_response(raw).await?));
    }
    let error = match take_response_body(&value) {
        Ok(resp) => return Ok(fanout::Action::Replace(resp)),
        Err(BodyState::Empty) => {
            // A response without a body (HEAD, 204, 304).
            let get = |k: &'static str| Reflect::get(&value, &key_string(k)).unwrap_or_default();
            let status = get("status").as_f64().unwrap_or(200.0) as u16;
            return Ok(fanout::Action::Replace(
                fanout::Response::new(status, Vec::new())
                    .with_status_text(get("statusText").as_string().unwrap_or_default())
                    .with_url(get("url").as_string().unwrap_or_default()),
            ));
        }
        Err(BodyState::Used) => {
            "an afterResponse hook returned a FanoutResponse whose body was read".to_owned()
        }
        Err(BodyState::Freed) => {
            "an afterResponse hook returned a FanoutResponse that was freed".to_owned()
        }
        Err(BodyState::Foreign) => format!(
            "an afterResponse hook must return undefined, a Response, a FanoutResponse or \
             retry(), not {}",
            describe(&value)
        ),
    };
    Err(type_error(error))
}

/// A platform `Response` a hook returned (`new Response(...)`), read into
/// memory.
async fn platform_response(raw: &web_sys::Response) -> Result<fanout::Response, Error> {
    let body = match raw.array_buffer() {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p)
            .await
            .map_err(|e| hook_error("afterResponse", e))?,
        Err(e) => return Err(hook_error("afterResponse", e)),
    };
    let bytes = Uint8Array::new(&body).to_vec();
    let headers = pairs(
        &raw.headers().into(),
        "afterResponse hook's Response.headers",
        false,
    )?;
    let mut resp = fanout::Response::new(raw.status(), bytes).with_status_text(raw.status_text());
    if !raw.url().is_empty() {
        resp = resp.with_url(raw.url());
    }
    for (n, v) in headers {
        resp = resp.with_header(n, v);
    }
    Ok(resp)
}

/// The hooks of a `hooks` option: the library's (`beforeRequest`,
/// `afterResponse`, `beforeRetry`, run in its pipeline) and the
/// `beforeError` functions, which the binding runs on the JS error.
/// `options` is the request's options object, handed to the hooks as ky
/// does.
pub(crate) struct JsHooks {
    pub(crate) lib: fanout::Hooks,
    pub(crate) before_error: Vec<Function>,
}

/// A hook list: a function or an array of functions.
pub(crate) fn hook_list(f: &Fields, key: &str) -> Result<Vec<Function>, Error> {
    let Some(v) = f.get(key)? else {
        return Ok(Vec::new());
    };
    if let Some(func) = v.dyn_ref::<Function>() {
        return Ok(vec![func.clone()]);
    }
    if !Array::is_array(&v) {
        return Err(f.bad(key, "a function or an array of functions", &v));
    }
    v.unchecked_ref::<Array>()
        .iter()
        .map(|h| {
            h.dyn_into::<Function>()
                .map_err(|h| f.bad(key, "an array of functions", &h))
        })
        .collect()
}

pub(crate) fn parse_hooks(
    value: &JsValue,
    what: &str,
    options: &JsValue,
) -> Result<JsHooks, Error> {
    let f = Fields::new(value, what, &[HOOK_KEYS])?;
    let options = if options.is_object() {
        options.clone()
    } else {
        Object::new().into()
    };
    let mut lib = fanout::Hooks::new();
    for h in hook_list(&f, "beforeRequest")? {
        let options = options.clone();
        lib = lib.before_request_async(move |mut req| {
            let (h, options) = (h.clone(), options.clone());
            async move {
                let obj = hook_request(&req)?;
                let out = call_hook("beforeRequest", &h, &Array::of2(&obj, &options)).await?;
                if !out.is_undefined() {
                    return Err(type_error(format!(
                        "a beforeRequest hook must return undefined (change request.url or \
                         request.headers instead), not {}",
                        describe(&out)
                    )));
                }
                read_back("beforeRequest", &obj, &mut req)?;
                Ok(req)
            }
        });
    }
    for h in hook_list(&f, "afterResponse")? {
        let options = options.clone();
        lib = lib.after_response_async(move |copy| {
            let (h, options) = (h.clone(), options.clone());
            async move {
                let req = fanout::Request::new(copy.method(), copy.url());
                let obj = hook_request(&req)?;
                let resp = js_response(copy, false);
                let out =
                    call_hook("afterResponse", &h, &Array::of3(&obj, &options, &resp)).await?;
                after_response_action(out).await
            }
        });
    }
    for h in hook_list(&f, "beforeRetry")? {
        let options = options.clone();
        lib = lib.before_retry_async(move |mut req, error, n| {
            let (h, options) = (h.clone(), options.clone());
            async move {
                let obj = hook_request(&req)?;
                let state = Object::new();
                set(&state, "request", &obj);
                set(&state, "options", &options);
                set(&state, "error", &js_error(error));
                set(&state, "retryCount", &JsValue::from(n));
                call_hook("beforeRetry", &h, &Array::of1(&state)).await?;
                read_back("beforeRetry", &obj, &mut req)?;
                Ok(req)
            }
        });
    }
    Ok(JsHooks {
        lib,
        before_error: hook_list(&f, "beforeError")?,
    })
}
