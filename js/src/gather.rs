//! `client.gather`: many requests at once, each outcome in its place.

use crate::body::{read_as, As};
use crate::errors::{type_error, Failure};
use crate::fields::{get, url_arg, Fields};
use crate::js::{console_error, describe, js_message, report_error, set};
use crate::keys::REQUEST_KEYS;
use crate::keys::{GATHER_INPUT_KEYS, GATHER_KEYS};
use crate::options::OPTION_KEYS;
use crate::request::Call;
use fanout::{Client as Session, Error, Method, Outcome, Progress};
use js_sys::{Array, Function, Object};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

pub(crate) struct GatherOpts {
    pub(crate) limit: Option<usize>,
    pub(crate) fail_fast: bool,
    pub(crate) on_progress: Option<Function>,
    pub(crate) signal: Option<AbortSignal>,
    pub(crate) how: As,
}

pub(crate) type Input = Result<Call, Error>;

/// The batch's options, and its inputs as given: each is parsed when its
/// turn comes (`Batch::run`), so a bad one fails in its place at once and
/// a batch holds no parsed request it has not started.
pub(crate) fn parse_gather(
    inputs: &JsValue,
    options: &JsValue,
) -> Result<(Vec<JsValue>, GatherOpts), Error> {
    let f = Fields::new(options, "gather options", &[GATHER_KEYS])?;
    let how = f.one_of(
        "as",
        &[
            ("json", As::Json),
            ("text", As::Text),
            ("bytes", As::Bytes),
            ("response", As::Response),
        ],
    )?;
    let opts = GatherOpts {
        limit: f.count("limit")?,
        fail_fast: f.bool("failFast")?.unwrap_or(false),
        on_progress: f.function("onProgress")?,
        signal: f.signal("signal")?,
        how: how.unwrap_or(As::Json),
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
    let mut items = Vec::new();
    for item in iter {
        items.push(item.map_err(|e| type_error(format!("gather inputs: {}", js_message(&e))))?);
    }
    Ok((items, opts))
}

/// One input: a path string or URL (a GET), or a `GatherRequest`.
pub(crate) fn parse_input(client: &Session, item: &JsValue) -> Input {
    const WHAT: &str = "gather input";
    if let Some(path) = item.as_string() {
        return Call::parse(client, Method::Get, path, &Fields::none(WHAT));
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
    let f = Fields::new(item, WHAT, &[GATHER_INPUT_KEYS, REQUEST_KEYS, OPTION_KEYS])?;
    let method = f.method("method")?.unwrap_or(Method::Get);
    let path = match f.get("path")? {
        Some(v) => url_arg(&v, "gather input.path")?,
        None => {
            return Err(type_error(
                "a gather input must be a path, a URL or an object with a path",
            ))
        }
    };
    Call::parse(client, method, path, &f)
}

/// A failed input, as its outcome shows it.
pub(crate) enum Failed {
    /// Before or outside its request (a bad input, or cancelled by
    /// `failFast`): no `beforeError`.
    Early(Failure),
    /// Its request failed: what it rejects with, and whether it was sent.
    Rejected { error: JsValue, sent: bool },
}

impl From<fanout::Cancelled> for Failed {
    fn from(c: fanout::Cancelled) -> Failed {
        Failed::Early(c.into())
    }
}

/// Each input's method and URL, once known.
type Targets = Rc<std::cell::RefCell<Vec<Option<(Method, String)>>>>;

/// What every input shares.
#[derive(Clone)]
struct Batch {
    client: Session,
    throw: bool,
    hooks: Rc<[Function]>,
    how: As,
    /// Each started input's method and URL, for its outcome.
    targets: Targets,
}

impl Batch {
    /// Input `index`, parsed now (its turn), sent and read, its failure
    /// through `beforeError`.
    async fn run(self, index: usize, item: JsValue) -> Result<(JsValue, u32), Failed> {
        let call = parse_input(&self.client, &item);
        if let Ok(c) = &call {
            self.targets.borrow_mut()[index] = Some((c.method, c.url.clone()));
        }
        let mut call = call.map_err(|e| Failed::Early(e.into()))?;
        match self.run_one(&mut call).await {
            Ok(done) => Ok(done),
            Err(f) => {
                let sent = f.sent();
                let error = call.reject(f, &self.hooks).await;
                Err(Failed::Rejected { error, sent })
            }
        }
    }

    /// The request path, then the body read.
    async fn run_one(&self, call: &mut Call) -> Result<(JsValue, u32), Failure> {
        let (method, url) = (call.method, call.url.clone());
        let result = async {
            let (resp, rust) = call.respond(&self.client, self.throw).await?;
            let attempts = resp.attempts();
            Ok::<_, Failure>((read_as(resp, self.how, rust, None).await?, attempts))
        }
        .await;
        result.map_err(|f| f.named(method, &url))
    }
}

pub(crate) async fn run_gather(
    client: Session,
    throw: bool,
    hooks: Rc<[Function]>,
    items: Vec<JsValue>,
    opts: GatherOpts,
) -> Array {
    // For cancelled inputs, which fail outside their request: filled in as
    // each starts (one never started is parsed for it at the end).
    let targets: Targets = Rc::new(std::cell::RefCell::new(vec![None; items.len()]));
    let GatherOpts {
        limit,
        fail_fast,
        on_progress,
        signal,
        how,
    } = opts;
    let batch = Batch {
        client: client.clone(),
        throw,
        hooks,
        how,
        targets: targets.clone(),
    };
    let futures =
        (items.iter().cloned().enumerate()).map(move |(i, item)| batch.clone().run(i, item));
    let mut gathered = fanout::gather(futures)
        .limit_opt(limit)
        .fail_fast(fail_fast);
    if let Some(signal) = &signal {
        gathered = gathered.abort_signal(signal);
    }
    if let Some(f) = on_progress {
        gathered = gathered.on_progress(move |p| progress(&f, p));
    }
    let outcomes = gathered.detailed().await;
    let out = Array::new();
    for o in outcomes {
        let started = targets.borrow().get(o.index).cloned().flatten();
        let target = started.or_else(|| {
            let call = parse_input(&client, items.get(o.index)?).ok()?;
            Some((call.method, call.url.clone()))
        });
        out.push(&outcome(o, target));
    }
    out
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
    o: Outcome<(JsValue, u32), Failed>,
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
        Err(failed) => {
            // A bad input (its options, or a URL or header the library
            // refused) was never sent, however early it failed.
            let (error, sent) = match failed {
                Failed::Rejected { error, sent } => (error, sent),
                Failed::Early(f) => {
                    let sent = target.is_some() && f.sent();
                    let f = match target {
                        Some((method, url)) => f.named(method, &url),
                        None => f,
                    };
                    (f.into_js(), sent)
                }
            };
            set(&obj, "ok", &JsValue::FALSE);
            set(&obj, "error", &error);
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
