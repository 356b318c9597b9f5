//! What a page's call asks for: its options object, read by one reader
//! ([`Fields`]) into the settings of a batch ([`Settings`], for `run` and
//! `compare`) or of the Live panel ([`LiveSettings`]), and the client each
//! builds from them.

use wasm_bindgen::prelude::*;

use fanout::{CacheMode, Client, ClientBuilder, Retry};

/// JSONPlaceholder has posts 1 to 100.
pub(crate) const MAX_POSTS: u32 = 100;
/// Upper bound of the "added latency" control.
const MAX_DELAY_MS: u32 = 10_000;
/// Largest number of events a feed asks for.
const MAX_EVENTS: u32 = 1000;
/// Largest gap between two events.
const MAX_INTERVAL_MS: u32 = 5000;

/// An options object as the page passes it: every field optional, and
/// anything that is not an object read as one with no fields. Missing
/// fields and `NaN`s (an empty number field) get their defaults, numbers
/// are rounded and clamped to their ranges.
struct Fields<'a>(&'a JsValue);

impl Fields<'_> {
    fn get(&self, key: &str) -> Result<JsValue, JsValue> {
        if self.0.is_object() {
            js_sys::Reflect::get(self.0, &JsValue::from_str(key))
        } else {
            Ok(JsValue::UNDEFINED)
        }
    }

    /// A number field: rounded and clamped to `lo..=hi`, `default` when
    /// missing.
    fn number(&self, key: &str, lo: u32, hi: u32, default: u32) -> Result<u32, JsValue> {
        Ok(match self.get(key)?.as_f64() {
            Some(x) if x.is_finite() => x.round().max(f64::from(lo)).min(f64::from(hi)) as u32,
            _ => default,
        })
    }

    fn flag(&self, key: &str, default: bool) -> Result<bool, JsValue> {
        Ok(self.get(key)?.as_bool().unwrap_or(default))
    }

    /// `api`, trimmed: the base URL, empty for the page's own origin.
    fn api(&self) -> Result<String, JsValue> {
        Ok(self
            .get("api")?
            .as_string()
            .unwrap_or_default()
            .trim()
            .to_owned())
    }
}

/// `builder` with `api` as its base URL (none when empty), built.
fn client(builder: ClientBuilder, api: &str) -> Result<Client, JsValue> {
    let builder = if api.is_empty() {
        builder
    } else {
        builder.base_url(api)
    };
    Ok(builder.build()?)
}

/// Validated settings of one batch.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    api: String,
    pub(crate) count: u32,
    pub(crate) limit: Option<usize>,
    pub(crate) delay_ms: u32,
    pub(crate) fail_rate: u32,
    pub(crate) retries: bool,
    pub(crate) fail_fast: bool,
    pub(crate) dedupe: bool,
}

impl Settings {
    /// Reads the options object (see [`crate::run`]).
    pub(crate) fn from_js(options: &JsValue) -> Result<Settings, JsValue> {
        let fields = Fields(options);
        let limit = fields.number("limit", 0, MAX_POSTS, 0)?;
        Ok(Settings {
            api: fields.api()?,
            count: fields.number("count", 1, MAX_POSTS, MAX_POSTS)?,
            limit: (limit > 0).then_some(limit as usize),
            delay_ms: fields.number("delayMs", 0, MAX_DELAY_MS, 0)?,
            fail_rate: fields.number("failRate", 0, 100, 0)?,
            retries: fields.flag("retries", true)?,
            fail_fast: fields.flag("failFast", false)?,
            dedupe: fields.flag("dedupe", false)?,
        })
    }

    /// The session every request of a run goes through. The browser's HTTP
    /// cache is bypassed so that timings are real round trips; with dedupe
    /// on, identical GETs in flight at once share one fetch.
    pub(crate) fn client(&self) -> Result<Client, JsValue> {
        let builder = Client::builder()
            .cache(CacheMode::NoStore)
            .dedupe(self.dedupe)
            .retry(if self.retries {
                Retry::new()
            } else {
                Retry::none()
            });
        client(builder, &self.api)
    }
}

/// How a limit reads in prose: "one at a time", "up to 6 at a time".
pub(crate) fn limit_phrase(limit: Option<usize>) -> String {
    match limit {
        None => "all at once".to_owned(),
        Some(1) => "one at a time".to_owned(),
        Some(n) => format!("up to {n} at a time"),
    }
}

/// Validated settings of one run of the Live panel.
#[derive(Debug, Clone)]
pub(crate) struct LiveSettings {
    api: String,
    pub(crate) count: u32,
    pub(crate) interval_ms: u32,
    pub(crate) drop_after: u32,
}

impl LiveSettings {
    /// Reads the options object (see [`crate::start_live`]).
    pub(crate) fn from_js(options: &JsValue) -> Result<LiveSettings, JsValue> {
        let fields = Fields(options);
        Ok(LiveSettings {
            api: fields.api()?,
            count: fields.number("count", 1, MAX_EVENTS, 30)?,
            interval_ms: fields.number("intervalMs", 0, MAX_INTERVAL_MS, 200)?,
            drop_after: fields.number("dropAfter", 0, MAX_EVENTS, 8)?,
        })
    }

    /// The session of a run; the browser's HTTP cache is bypassed so that
    /// the download really moves its megabyte.
    pub(crate) fn client(&self) -> Result<Client, JsValue> {
        client(Client::builder().cache(CacheMode::NoStore), &self.api)
    }
}

/// The session of the "Offline writes" panel, from its options object
/// (`api`, as for the other panels); the browser's HTTP cache is bypassed.
pub(crate) fn offline_client(options: &JsValue) -> Result<Client, JsValue> {
    client(
        Client::builder().cache(CacheMode::NoStore),
        &Fields(options).api()?,
    )
}
