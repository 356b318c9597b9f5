//! The settings a client and a request share ([`fanout::Options`]): their
//! JS names and their parser.

#[cfg(target_arch = "wasm32")]
use crate::keys::{CACHE_MODES, CREDENTIALS, REDIRECTS, RETRY_KEYS};
#[cfg(target_arch = "wasm32")]
use crate::{errors::type_error, fields::Fields, js::describe};
#[cfg(target_arch = "wasm32")]
use fanout::{Error, Options, Retry};
#[cfg(target_arch = "wasm32")]
use js_sys::Array;
#[cfg(target_arch = "wasm32")]
use std::time::Duration;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::*;

#[cfg(target_arch = "wasm32")]
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

/// Declares the settings a client and a request share, once: each line is
/// the JS name, the [`fanout::Options`] field it sets, and how its value is
/// read from the options object `f` (`k` is the name). It makes
/// [`OPTION_KEYS`] and [`parse_options`]; a field that the library does
/// not have does not compile, and the tests hold the list equal to the
/// library's fields and to `SharedOptions` in `options.d.ts`.
macro_rules! shared_options {
    ($( $key:literal => $field:ident: |$f:ident, $k:ident| $read:expr, )*) => {
        /// The JS names of the shared settings.
        pub(crate) const OPTION_KEYS: &[&str] = &[$($key),*];

        /// Each JS name with the library's field.
        #[cfg(test)]
        pub(crate) const OPTION_FIELDS: &[(&str, &str)] = &[$(($key, stringify!($field))),*];

        /// The shared settings of a `Client`'s options, a request's options
        /// or a gather input, as a [`fanout::Options`] for
        /// `ClientBuilder::options` or `RequestBuilder::options`.
        #[cfg(target_arch = "wasm32")]
        pub(crate) fn parse_options(f: &Fields) -> Result<Options, Error> {
            let mut o = Options::new();
            $( o.$field = {
                let ($f, $k) = (f, $key);
                $read
            }; )*
            Ok(o)
        }
    };
}

shared_options! {
    "timeoutMs" => timeout: |f, k| f.ms(k, false)?,
    "totalTimeoutMs" => total_timeout: |f, k| f.ms(k, false)?,
    "retry" => retry: |f, k| match f.get(k)? {
        Some(v) => Some(retry(&v, &f.field(k))?),
        None => None,
    },
    "maxBodySize" => max_body_size: |f, k| f.bytes(k)?,
    "throwHttpErrors" => error_for_status: |f, k| f.bool(k)?,
    "credentials" => credentials: |f, k| f.one_of(k, CREDENTIALS)?,
    "cache" => cache: |f, k| f.one_of(k, CACHE_MODES)?,
    "redirect" => redirect: |f, k| f.one_of(k, REDIRECTS)?,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::declarations::{interface_keys, sorted, string_union};
    use crate::keys::{CACHE_MODES, CREDENTIALS, REDIRECTS, RETRY_KEYS};
    use fanout::Options;

    /// The fields of the library's `Options`, read from its `Debug` (its
    /// list, `for_each_option!`, is private to the library).
    fn library_fields() -> Vec<String> {
        let debug = format!("{:?}", Options::new());
        let inner = debug
            .strip_prefix("Options {")
            .and_then(|s| s.strip_suffix('}'))
            .expect("Options { field: value, ... }");
        inner
            .split(',')
            .filter_map(|p| p.split_once(':'))
            .map(|(name, _)| name.trim().to_owned())
            .collect()
    }

    #[test]
    fn every_library_option_has_one_js_name() {
        let ours: Vec<&str> = OPTION_FIELDS.iter().map(|(_, field)| *field).collect();
        assert_eq!(
            ours,
            library_fields(),
            "shared_options! in js/src/options.rs and fanout::Options differ"
        );
        let keys: Vec<&str> = OPTION_FIELDS.iter().map(|(key, _)| *key).collect();
        assert_eq!(keys, OPTION_KEYS);
    }

    #[test]
    fn shared_options_in_the_declarations_are_the_parsed_ones() {
        assert_eq!(
            interface_keys("SharedOptions"),
            sorted(OPTION_KEYS),
            "SharedOptions in js/src/options.d.ts and shared_options! in js/src/options.rs differ"
        );
        assert_eq!(interface_keys("RetryOptions"), sorted(RETRY_KEYS));
    }

    #[test]
    fn fetch_modes_in_the_declarations_are_the_parsed_ones() {
        fn names<T>(table: &[(&'static str, T)]) -> Vec<&'static str> {
            table.iter().map(|(n, _)| *n).collect()
        }
        assert_eq!(string_union("CredentialsMode"), names(CREDENTIALS));
        assert_eq!(string_union("CacheMode"), names(CACHE_MODES));
        assert_eq!(string_union("RedirectMode"), names(REDIRECTS));
    }
}
