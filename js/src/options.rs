//! The settings a client and a request share ([`fanout::Options`]): their
//! JS names and their parser.

use crate::errors::type_error;
use crate::fields::Fields;
use crate::js::describe;
use fanout::CacheMode;
use fanout::Credentials;
use fanout::Error;
use fanout::Options;
use fanout::Redirect;
use fanout::Retry;
use js_sys::Array;
use std::time::Duration;
use wasm_bindgen::prelude::*;

pub(crate) const RETRY_KEYS: &[&str] = &[
    "limit",
    "backoffMs",
    "maxBackoffMs",
    "jitter",
    "retryOnTimeout",
    "statuses",
    "maxRetryAfterMs",
];

/// `retry`: a number of retries, a boolean, or a `RetryOptions` object.
pub(crate) fn retry(value: &JsValue, what: &str) -> Result<Retry, Error> {
    if let Some(b) = value.as_bool() {
        return Ok(if b { Retry::new() } else { Retry::none() });
    }
    let n = value.as_f64();
    if let Some(n) = n.filter(|n| n.fract() == 0.0 && (0.0..=1000.0).contains(n)) {
        return Ok(Retry::new().limit(n as u32));
    }
    if n.is_some() || !value.is_object() || Array::is_array(value) {
        return Err(type_error(format!(
            "{what} must be a number of retries (0 to 1000), a boolean or an object, not {}",
            describe(value)
        )));
    }
    let f = Fields::new(value, what, &[RETRY_KEYS])?;
    let mut r = Retry::new();
    if let Some(n) = f.int("limit", 0.0, 1000.0)? {
        r = r.limit(n as u32);
    }
    let base = f.ms("backoffMs", true)?;
    let cap = f.ms("maxBackoffMs", true)?;
    if base.is_some() || cap.is_some() {
        let base = base.unwrap_or(Duration::from_millis(300));
        let cap = cap.unwrap_or_else(|| base.max(Duration::from_secs(10)));
        r = r.backoff(base, cap);
    }
    if let Some(b) = f.bool("jitter")? {
        r = r.jitter(b);
    }
    if let Some(b) = f.bool("retryOnTimeout")? {
        r = r.retry_on_timeout(b);
    }
    if let Some(d) = f.ms("maxRetryAfterMs", true)? {
        r = r.max_retry_after(d);
    }
    if let Some(v) = f.get("statuses")? {
        if !Array::is_array(&v) {
            return Err(f.bad("statuses", "an array of status codes", &v));
        }
        let mut statuses = Vec::new();
        for s in v.unchecked_ref::<Array>().iter() {
            match s.as_f64() {
                Some(n) if n.fract() == 0.0 && (100.0..=599.0).contains(&n) => {
                    statuses.push(n as u16)
                }
                _ => return Err(f.bad("statuses", "an array of status codes (100-599)", &s)),
            }
        }
        r = r.statuses(statuses);
    }
    Ok(r)
}

/// The keys of the settings a client and a request share: the fields of
/// [`fanout::Options`], by their JS names. [`parse_options`] reads each;
/// `SharedOptions` in the TypeScript declarations documents them.
pub(crate) const OPTION_KEYS: &[&str] = &[
    "timeoutMs",
    "totalTimeoutMs",
    "retry",
    "maxBodySize",
    "throwHttpErrors",
    "credentials",
    "cache",
    "redirect",
];

/// The shared settings of a `Client`'s options, a request's options or a
/// gather input, as a [`fanout::Options`] for `ClientBuilder::options` or
/// `RequestBuilder::options`. The one place where a JS option name maps
/// onto a library option.
pub(crate) fn parse_options(f: &Fields) -> Result<Options, Error> {
    let mut o = Options::new();
    o.timeout = f.ms("timeoutMs", false)?;
    o.total_timeout = f.ms("totalTimeoutMs", false)?;
    o.retry = match f.get("retry")? {
        Some(v) => Some(retry(&v, &f.field("retry"))?),
        None => None,
    };
    o.max_body_size = f.bytes("maxBodySize")?;
    o.error_for_status = f.bool("throwHttpErrors")?;
    o.credentials = f.one_of(
        "credentials",
        &[
            ("omit", Credentials::Omit),
            ("same-origin", Credentials::SameOrigin),
            ("include", Credentials::Include),
        ],
    )?;
    o.cache = f.one_of(
        "cache",
        &[
            ("default", CacheMode::Default),
            ("no-store", CacheMode::NoStore),
            ("reload", CacheMode::Reload),
            ("no-cache", CacheMode::NoCache),
            ("force-cache", CacheMode::ForceCache),
            ("only-if-cached", CacheMode::OnlyIfCached),
        ],
    )?;
    o.redirect = f.one_of(
        "redirect",
        &[
            ("follow", Redirect::Follow),
            ("error", Redirect::Error),
            ("manual", Redirect::Manual),
        ],
    )?;
    Ok(o)
}
