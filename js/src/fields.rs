//! Reading JS arguments: an options object's fields (`Fields`: unknown
//! names and wrong types are `TypeError`s that name them), header and query
//! pairs, URLs.

use crate::errors::type_error;
use crate::js::{describe, js_message, number_string};
use fanout::{Error, Method};
use js_sys::{Array, Function, Reflect};
use std::str::FromStr;
use std::time::Duration;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

/// The property names of a plain object (string keys only).
pub(crate) fn own_keys(obj: &JsValue, what: &str) -> Result<Vec<String>, Error> {
    let keys =
        Reflect::own_keys(obj).map_err(|e| type_error(format!("{what}: {}", js_message(&e))))?;
    Ok(keys.iter().filter_map(|k| k.as_string()).collect())
}

pub(crate) fn get(obj: &JsValue, key: &str, what: &str) -> Result<JsValue, Error> {
    Reflect::get(obj, &JsValue::from_str(key))
        .map_err(|e| type_error(format!("{what}.{key}: {}", js_message(&e))))
}

/// The fields of an options object. `undefined` and `null` mean "not set"
/// (for the object itself and for each field); an unknown field name is a
/// `TypeError`, so a typo such as `timeout` for `timeoutMs` is not ignored.
///
/// Only the object's own properties count (as ky's `{...options}`): their
/// names are read once, and a field that is not among them is unset
/// without a call into JS, so a request with few options crosses into JS
/// for those alone.
pub(crate) struct Fields {
    pub(crate) obj: Option<JsValue>,
    /// The object's own property names.
    keys: Vec<String>,
    /// What the object is, for messages: `Client options`,
    /// `request options.retry`, ...
    pub(crate) what: String,
}

impl Fields {
    pub(crate) fn new(
        value: &JsValue,
        what: impl Into<String>,
        allowed: &[&[&str]],
    ) -> Result<Fields, Error> {
        let what = what.into();
        if value.is_undefined() || value.is_null() {
            return Ok(Fields::none(what));
        }
        if !value.is_object() || Array::is_array(value) {
            return Err(type_error(format!(
                "{what} must be an object, not {}",
                describe(value)
            )));
        }
        let keys = own_keys(value, &what)?;
        for key in &keys {
            if !allowed.iter().any(|names| names.contains(&key.as_str())) {
                return Err(type_error(format!(
                    "unknown option {key:?} in {what} (known: {})",
                    allowed.concat().join(", ")
                )));
            }
        }
        Ok(Fields {
            obj: Some(value.clone()),
            keys,
            what,
        })
    }

    /// An options object that is not there: every field unset.
    pub(crate) fn none(what: impl Into<String>) -> Fields {
        Fields {
            obj: None,
            keys: Vec::new(),
            what: what.into(),
        }
    }

    /// Whether the object has `key` as an own property (whatever its value).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }

    /// The raw value, `undefined` when absent (`null` is kept).
    pub(crate) fn raw(&self, key: &str) -> Result<JsValue, Error> {
        match &self.obj {
            Some(obj) if self.has(key) => get(obj, key, &self.what),
            _ => Ok(JsValue::UNDEFINED),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Result<Option<JsValue>, Error> {
        if !self.has(key) {
            return Ok(None);
        }
        let v = self.raw(key)?;
        Ok((!v.is_undefined() && !v.is_null()).then_some(v))
    }

    pub(crate) fn bad(&self, key: &str, expected: &str, got: &JsValue) -> Error {
        type_error(format!(
            "{}.{key} must be {expected}, not {}",
            self.what,
            describe(got)
        ))
    }

    pub(crate) fn function(&self, key: &str) -> Result<Option<Function>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v
                .dyn_into::<Function>()
                .map(Some)
                .map_err(|v| self.bad(key, "a function", &v)),
        }
    }

    pub(crate) fn signal(&self, key: &str) -> Result<Option<AbortSignal>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v
                .dyn_into::<AbortSignal>()
                .map(Some)
                .map_err(|v| self.bad(key, "an AbortSignal", &v)),
        }
    }

    /// A method name (`'GET'`, `'options'`, ...).
    pub(crate) fn method(&self, key: &str) -> Result<Option<Method>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => parse_method(&v, &self.field(key)).map(Some),
        }
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| self.bad(key, "a boolean", &v)),
        }
    }

    pub(crate) fn number(
        &self,
        key: &str,
        expected: &str,
        ok: impl Fn(f64) -> bool,
    ) -> Result<Option<f64>, Error> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(n) if n.is_finite() && ok(n) => Ok(Some(n)),
                _ => Err(self.bad(key, expected, &v)),
            },
        }
    }

    /// Milliseconds as a `Duration`: positive (or zero if `zero_ok`), at
    /// most 2^31 - 1 (the longest `setTimeout`).
    pub(crate) fn ms(&self, key: &str, zero_ok: bool) -> Result<Option<Duration>, Error> {
        let expected = if zero_ok {
            "a number of milliseconds (0 to 2147483647)"
        } else {
            "a positive number of milliseconds (at most 2147483647)"
        };
        let n = self.number(key, expected, |n| {
            (if zero_ok { n >= 0.0 } else { n > 0.0 }) && n <= 2_147_483_647.0
        })?;
        Ok(n.and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok()))
    }

    /// A whole number in `min..=max`.
    pub(crate) fn int(&self, key: &str, min: f64, max: f64) -> Result<Option<f64>, Error> {
        let expected = if min >= 1.0 {
            "a positive integer"
        } else {
            "a non-negative integer"
        };
        self.number(key, expected, |n| n.fract() == 0.0 && n >= min && n <= max)
    }

    pub(crate) fn count(&self, key: &str) -> Result<Option<usize>, Error> {
        Ok(self
            .int(key, 1.0, u32::MAX as f64)?
            .map(|n| usize::try_from(n as u32).unwrap_or(usize::MAX)))
    }

    pub(crate) fn bytes(&self, key: &str) -> Result<Option<u64>, Error> {
        Ok(self
            .int(key, 0.0, 9_007_199_254_740_991.0)?
            .map(|n| n as u64))
    }

    /// One of the strings of `choices`, as its value.
    pub(crate) fn one_of<T: Copy>(
        &self,
        key: &str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, Error> {
        let Some(v) = self.get(key)? else {
            return Ok(None);
        };
        let s = v.as_string();
        if let Some(&(_, value)) = choices.iter().find(|(name, _)| Some(*name) == s.as_deref()) {
            return Ok(Some(value));
        }
        let names: Vec<String> = choices
            .iter()
            .map(|(name, _)| format!("'{name}'"))
            .collect();
        let expected = match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => "nothing".into(),
        };
        Err(self.bad(key, &expected, &v))
    }

    /// The name of a field, for a nested object's messages.
    pub(crate) fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.what)
    }
}

/// A method name (`'GET'`, `'options'`, ...); `what` names it in messages.
pub(crate) fn parse_method(value: &JsValue, what: &str) -> Result<Method, Error> {
    match value.as_string() {
        Some(m) => Method::from_str(&m).map_err(Error::from),
        None => Err(type_error(format!(
            "{what} must be a method name such as 'GET', not {}",
            describe(value)
        ))),
    }
}

/// A scalar as the string a header or query value gets.
pub(crate) fn scalar(value: &JsValue, what: &str) -> Result<String, Error> {
    if let Some(s) = value.as_string() {
        return Ok(s);
    }
    if let Some(b) = value.as_bool() {
        return Ok(b.to_string());
    }
    if let Some(n) = value.as_f64() {
        if n.is_finite() {
            return Ok(number_string(value));
        }
    } else if value.is_bigint() {
        if let Ok(s) = value.unchecked_ref::<js_sys::BigInt>().to_string(10) {
            return Ok(String::from(s));
        }
    }
    Err(type_error(format!(
        "{what} must be a string, number or boolean, not {}",
        describe(value)
    )))
}

/// Name/value pairs from an object, or from an iterable of pairs (a
/// `Headers`, `Map`, `URLSearchParams` or array). With `arrays`, an object
/// value that is an array repeats its key; `undefined` values are skipped.
pub(crate) fn pairs(
    value: &JsValue,
    what: &str,
    arrays: bool,
) -> Result<Vec<(String, String)>, Error> {
    let err = |e: JsValue| type_error(format!("{what}: {}", js_message(&e)));
    if !value.is_object() {
        return Err(type_error(format!(
            "{what} must be an object or an iterable of [name, value] pairs, not {}",
            describe(value)
        )));
    }
    let mut out = Vec::new();
    if let Some(iter) = js_sys::try_iter(value).map_err(err)? {
        for entry in iter {
            let entry = entry.map_err(err)?;
            if !Array::is_array(&entry) {
                return Err(type_error(format!(
                    "{what} must hold [name, value] pairs, not {}",
                    describe(&entry)
                )));
            }
            let entry: Array = entry.unchecked_into();
            if entry.length() != 2 {
                return Err(type_error(format!(
                    "{what} must hold [name, value] pairs, not an array of {}",
                    entry.length()
                )));
            }
            let name = scalar(&entry.get(0), what)?;
            let value = scalar(&entry.get(1), &format!("{what}[{name:?}]"))?;
            out.push((name, value));
        }
        return Ok(out);
    }
    for name in own_keys(value, what)? {
        let v = get(value, &name, what)?;
        let field = format!("{what}.{name}");
        if v.is_undefined() {
            continue;
        }
        if arrays && Array::is_array(&v) {
            for item in v.unchecked_ref::<Array>().iter() {
                out.push((name.clone(), scalar(&item, &field)?));
            }
        } else {
            out.push((name.clone(), scalar(&v, &field)?));
        }
    }
    Ok(out)
}

/// A URL argument: a string, or a `URL` (anything with a string `href`).
pub(crate) fn url_arg(value: &JsValue, what: &str) -> Result<String, Error> {
    if let Some(s) = value.as_string() {
        return Ok(s);
    }
    if value.is_object() {
        if let Some(href) = get(value, "href", what)?.as_string() {
            return Ok(href);
        }
    }
    Err(type_error(format!(
        "{what} must be a string or a URL, not {}",
        describe(value)
    )))
}
