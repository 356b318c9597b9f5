//! `client.gather`: many requests at once, each outcome in its place.

use crate::body::read_as;
use crate::body::As;
use crate::errors::before_error;
use crate::errors::raise_for_status;
use crate::errors::type_error;
use crate::errors::Failure;
use crate::fields::get;
use crate::fields::url_arg;
use crate::fields::Fields;
use crate::js::console_error;
use crate::js::describe;
use crate::js::js_message;
use crate::js::report_error;
use crate::js::set;
use crate::options::OPTION_KEYS;
use crate::request::Spec;
use crate::request::REQUEST_KEYS;
use fanout::Client as Session;
use fanout::Error;
use fanout::Method;
use fanout::Outcome;
use fanout::Progress;
use futures_util::future::select;
use futures_util::future::Either;
use js_sys::Array;
use js_sys::Function;
use js_sys::Object;
use std::rc::Rc;
use std::str::FromStr;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

pub(crate) const GATHER_KEYS: &[&str] = &["limit", "failFast", "onProgress", "signal", "as"];

pub(crate) struct GatherOpts {
    pub(crate) limit: Option<usize>,
    pub(crate) fail_fast: bool,
    pub(crate) on_progress: Option<Function>,
    pub(crate) signal: Option<AbortSignal>,
    pub(crate) how: As,
}

pub(crate) type Input = Result<Spec, Error>;

pub(crate) fn parse_gather(
    client: &Session,
    inputs: &JsValue,
    options: &JsValue,
) -> Result<(Vec<Input>, GatherOpts), Error> {
    let f = Fields::new(options, "gather options", &[GATHER_KEYS])?;
    let on_progress = match f.get("onProgress")? {
        None => None,
        Some(v) => Some(
            v.dyn_into::<Function>()
                .map_err(|v| f.bad("onProgress", "a function", &v))?,
        ),
    };
    let signal = match f.get("signal")? {
        None => None,
        Some(v) => Some(
            v.dyn_into::<AbortSignal>()
                .map_err(|v| f.bad("signal", "an AbortSignal", &v))?,
        ),
    };
    let how = match f.get("as")? {
        None => As::Json,
        Some(v) => match v.as_string().as_deref() {
            Some("json") => As::Json,
            Some("text") => As::Text,
            Some("bytes") => As::Bytes,
            Some("response") => As::Response,
            _ => return Err(f.bad("as", "'json', 'text', 'bytes' or 'response'", &v)),
        },
    };
    let opts = GatherOpts {
        limit: f.count("limit")?,
        fail_fast: f.bool("failFast")?.unwrap_or(false),
        on_progress,
        signal,
        how,
    };
    let not_iterable = || {
        type_error(format!(
            "gather inputs must be an array of paths or request objects, not {}",
            describe(inputs)
        ))
    };
    if !inputs.is_object() {
        return Err(not_iterable());
    }
    let iter = js_sys::try_iter(inputs)
        .map_err(|e| type_error(format!("gather inputs: {}", js_message(&e))))?
        .ok_or_else(not_iterable)?;
    let mut specs = Vec::new();
    for item in iter {
        let item = item.map_err(|e| type_error(format!("gather inputs: {}", js_message(&e))))?;
        specs.push(parse_input(client, &item));
    }
    Ok((specs, opts))
}

/// One input: a path string or URL (a GET), or a `GatherRequest`.
pub(crate) fn parse_input(client: &Session, item: &JsValue) -> Input {
    const WHAT: &str = "gather input";
    if let Some(path) = item.as_string() {
        return Ok(Spec::new(Method::Get, path));
    }
    if !item.is_object() || Array::is_array(item) {
        return Err(type_error(format!(
            "a gather input must be a path, a URL or a request object, not {}",
            describe(item)
        )));
    }
    if get(item, "path", WHAT)?.is_undefined() {
        if let Some(href) = get(item, "href", WHAT)?.as_string() {
            return parse_input(client, &JsValue::from_str(&href));
        }
    }
    let f = Fields::new(
        item,
        WHAT,
        &[&["method", "path"], REQUEST_KEYS, OPTION_KEYS],
    )?;
    let method = match f.get("method")? {
        None => Method::Get,
        Some(v) => match v.as_string() {
            Some(m) => Method::from_str(&m)?,
            None => return Err(f.bad("method", "a method name such as 'GET'", &v)),
        },
    };
    let path = match f.get("path")? {
        Some(v) => url_arg(&v, "gather input.path")?,
        None => {
            return Err(type_error(
                "a gather input must be a path, a URL or an object with a path",
            ))
        }
    };
    Spec::parse(client, method, path, &f)
}

pub(crate) async fn run_gather(
    client: Session,
    throw: bool,
    hooks: Rc<[Function]>,
    specs: Vec<Input>,
    opts: GatherOpts,
) -> Array {
    // For cancelled inputs, which fail outside their request.
    let targets: Vec<Option<(Method, String)>> = specs
        .iter()
        .map(|s| s.as_ref().ok().map(|s| (s.method, s.url(&client))))
        .collect();
    let GatherOpts {
        limit,
        fail_fast,
        on_progress,
        signal,
        how,
    } = opts;
    let futures = specs.into_iter().map(move |spec| {
        let client = client.clone();
        let signal = signal.clone();
        let hooks = hooks.clone();
        async move {
            let spec = spec?;
            let own = spec.before_error.clone();
            match run_one(client, throw, spec, signal, how).await {
                Err(f) if !(hooks.is_empty() && own.is_empty()) => Err(Failure {
                    js: Some(before_error(&[&hooks, &own], f.into_js()).await),
                    ..Failure::from(Error::builder(""))
                }),
                other => other,
            }
        }
    });
    let mut batch = fanout::gather(futures)
        .limit_opt(limit)
        .fail_fast(fail_fast);
    if let Some(f) = on_progress {
        batch = batch.on_progress(move |p| progress(&f, p));
    }
    let outcomes = batch.detailed().await;
    let out = Array::new();
    for o in outcomes {
        let target = targets.get(o.index).cloned().flatten();
        out.push(&outcome(o, target));
    }
    out
}

/// One gather input: send, read the body, unless the batch's signal fires.
pub(crate) async fn run_one(
    client: Session,
    throw: bool,
    spec: Spec,
    batch: Option<AbortSignal>,
    how: As,
) -> Result<(JsValue, u32), Failure> {
    let (method, url) = (spec.method, spec.url(&client));
    let work = async move {
        let resp = spec.builder(&client).send().await?;
        let attempts = resp.attempts();
        let (resp, rust) = spec.progress(resp);
        let resp = raise_for_status(resp, spec.throw_http.unwrap_or(throw), rust).await?;
        Ok::<_, Failure>((read_as(resp, how, rust, None).await?, attempts))
    };
    let aborted = || -> Failure {
        Error::aborted("aborted by the gather's AbortSignal")
            .with_request(method, &url)
            .into()
    };
    let Some(signal) = batch else {
        return work.await;
    };
    if signal.aborted() {
        return Err(aborted());
    }
    let fired = fanout::until_aborted(&signal);
    let work = std::pin::pin!(work);
    match select(work, fired).await {
        Either::Left((result, _)) => result,
        // Dropping `work` aborts its fetch.
        Either::Right(_) => Err(aborted()),
    }
}

pub(crate) fn progress(f: &Function, p: Progress) {
    let obj = Object::new();
    set(&obj, "done", &(p.done as f64).into());
    set(&obj, "total", &(p.total as f64).into());
    set(&obj, "index", &(p.index as f64).into());
    set(&obj, "ok", &p.ok.into());
    if let Err(e) = f.call1(&JsValue::UNDEFINED, &obj) {
        // Like an event listener's exception: reported, and the batch goes on.
        if report_error(&e).is_err() {
            console_error(&e);
        }
    }
}

pub(crate) fn outcome(
    o: Outcome<(JsValue, u32), Failure>,
    target: Option<(Method, String)>,
) -> JsValue {
    let obj = Object::new();
    match o.result {
        Ok((value, attempts)) => {
            set(&obj, "ok", &JsValue::TRUE);
            set(&obj, "value", &value);
            set(&obj, "index", &(o.index as f64).into());
            set(&obj, "attempts", &attempts.into());
            set(&obj, "startMs", &o.started_ms.unwrap_or(o.ended_ms).into());
        }
        Err(mut e) => {
            // A bad input (its options, or a URL or header the library
            // refused) was never sent, however early it failed.
            let sent = target.is_some() && !e.error.is_builder();
            if e.error.url().is_none() {
                if let Some((method, url)) = target {
                    e.error = e.error.with_request(method, &url);
                }
            }
            set(&obj, "ok", &JsValue::FALSE);
            set(&obj, "error", &e.into_js());
            set(&obj, "index", &(o.index as f64).into());
            let started = o.started_ms.filter(|_| sent);
            set(
                &obj,
                "startMs",
                &started.map_or(JsValue::NULL, JsValue::from),
            );
        }
    }
    set(&obj, "endMs", &o.ended_ms.into());
    obj.into()
}
