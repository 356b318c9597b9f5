//! The server's responses handed to the page (feature `snapshot`): a
//! client that renders a page on the server records the responses it
//! receives ([`ClientBuilder::record`](crate::ClientBuilder::record)),
//! writes them as a JSON [`Snapshot`] that the page embeds
//! ([`Snapshot::to_script_tag`]), and in the browser a client built from
//! it ([`ClientBuilder::snapshot`](crate::ClientBuilder::snapshot))
//! answers each recorded request once from it, sending nothing, then goes
//! to the network as usual. So hydration repeats the server's requests
//! without repeating them on the wire.
//!
//! What is recorded: responses to GETs (other methods only when
//! [`Record::method`] names them) whose body is UTF-8 text up to
//! [`Record::max_body_size`] (1 MiB by default). Not recorded, unless
//! [`Record::with_credentials`] opts in: a request that carried
//! credentials (an `Authorization` or `Cookie` header) and a response that
//! sets a cookie, so no user's data ends up in a page that may be cached
//! and served to others.
//!
//! The key of a request is its method, its absolute URL, the headers that
//! choose the answer (`Accept`, `Accept-Language`, `Content-Type`) and a
//! hash of its body: two POSTs to one URL with different bodies never get
//! each other's answers. A request with a streamed body is neither
//! recorded nor answered.
//!
//! ```
//! # futures::executor::block_on(async {
//! use fanout::mock::{MockTransport, Reply};
//! use fanout::snapshot::{Record, Snapshot};
//! use fanout::{Client, Method};
//!
//! // On the server: record while rendering.
//! let api = MockTransport::new().route(Method::Get, "/posts/1", Reply::text(200, "first"));
//! let server = Client::builder()
//!     .base_url("http://api.test/")
//!     .transport(api.clone())
//!     .record(Record::new())
//!     .build()?;
//! assert_eq!(server.get("posts/1").send().await?.text().await?, "first");
//! let tag = server.snapshot().to_script_tag("fanout-snapshot");
//!
//! // In the browser: the same request is answered from the page.
//! let json = tag.split_once('>').unwrap().1.strip_suffix("</script>").unwrap();
//! let browser = Client::builder()
//!     .base_url("http://api.test/")
//!     .transport(api.clone())
//!     .snapshot(Snapshot::from_json(json)?)
//!     .build()?;
//! assert_eq!(browser.get("posts/1").send().await?.text().await?, "first");
//! assert_eq!(api.requests().len(), 1, "the browser sent nothing");
//! // Once: the next one goes to the network.
//! browser.get("posts/1").send().await?;
//! assert_eq!(api.requests().len(), 2);
//! # Ok::<_, fanout::Error>(()) }).unwrap();
//! ```

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::method::Method;
use crate::request::Request;
use crate::response::Response;
use crate::sync::Lock;

/// What a recording client keeps (see the [module docs](self)).
#[derive(Clone, Debug)]
pub struct Record {
    methods: Vec<Method>,
    max_body: usize,
    credentials: bool,
}

impl Default for Record {
    fn default() -> Record {
        Record::new()
    }
}

impl Record {
    /// GETs, bodies up to 1 MiB, no credentials.
    pub fn new() -> Record {
        Record {
            methods: vec![Method::Get],
            max_body: 1 << 20,
            credentials: false,
        }
    }

    /// Records responses to `method` requests too.
    pub fn method(mut self, method: Method) -> Record {
        if !self.methods.contains(&method) {
            self.methods.push(method);
        }
        self
    }

    /// The largest body recorded, in bytes (a larger one is passed on,
    /// not recorded).
    pub fn max_body_size(mut self, bytes: usize) -> Record {
        self.max_body = bytes;
        self
    }

    /// Records requests with credentials and responses that set cookies
    /// too: only for a page served to that one user and never cached.
    pub fn with_credentials(mut self, on: bool) -> Record {
        self.credentials = on;
        self
    }
}

/// Recorded responses, as JSON for a page to embed (see the [module
/// docs](self)).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Snapshot {
    /// The format's version.
    v: u32,
    entries: Vec<Entry>,
}

/// One recorded response.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Entry {
    key: String,
    status: u16,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    status_text: String,
    url: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Snapshot {
    /// How many responses it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The snapshot as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A snapshot from its JSON; an error that
    /// [`is_builder`](Error::is_builder) if it is not one.
    pub fn from_json(json: &str) -> Result<Snapshot, Error> {
        serde_json::from_str(json)
            .map_err(|e| Error::builder(format!("not a fanout snapshot: {e}")).with_source(e))
    }

    /// The snapshot as a `<script type="application/json">` element with
    /// this `id`, safe to put in a page: `<`, `>`, `&` and the line
    /// separators are escaped inside the JSON strings, so no body can
    /// close the element or start markup.
    ///
    /// ```
    /// let tag = fanout::snapshot::Snapshot::default().to_script_tag("fanout-snapshot");
    /// assert!(tag.starts_with(r#"<script type="application/json" id="fanout-snapshot">"#));
    /// ```
    pub fn to_script_tag(&self, id: &str) -> String {
        let mut json = String::new();
        for c in self.to_json().chars() {
            match c {
                '<' => json.push_str("\\u003c"),
                '>' => json.push_str("\\u003e"),
                '&' => json.push_str("\\u0026"),
                '\u{2028}' => json.push_str("\\u2028"),
                '\u{2029}' => json.push_str("\\u2029"),
                c => json.push(c),
            }
        }
        let id: String = id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        format!(r#"<script type="application/json" id="{id}">{json}</script>"#)
    }

    /// The snapshot a page embeds in the element with this `id` (its
    /// text), if there is one: `Ok(None)` where there is no such element
    /// (or no document: a worker, Node.js). Browsers only.
    #[cfg(target_arch = "wasm32")]
    pub fn from_page(id: &str) -> Result<Option<Snapshot>, Error> {
        crate::sys::element_text(id)
            .map(|text| Snapshot::from_json(&text))
            .transpose()
    }
}

/// A client's recording and replaying state.
#[derive(Debug, Default)]
pub(crate) struct Tape {
    record: Option<Record>,
    recorded: Lock<Vec<Entry>>,
    /// Recorded responses not yet used (each answers once).
    replay: Lock<Vec<Entry>>,
}

impl Tape {
    pub(crate) fn new(record: Option<Record>, replay: Option<Snapshot>) -> Option<Tape> {
        if record.is_none() && replay.is_none() {
            return None;
        }
        Some(Tape {
            record,
            recorded: Lock::new(Vec::new()),
            replay: Lock::new(replay.map(|s| s.entries).unwrap_or_default()),
        })
    }

    /// What the client recorded so far.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            v: 1,
            entries: self.recorded.lock().clone(),
        }
    }

    /// How many replayable responses are left.
    pub(crate) fn remaining(&self) -> usize {
        self.replay.lock().len()
    }

    /// The recorded answer to `req`, taken (it answers once).
    pub(crate) fn replay(&self, req: &Request) -> Option<Response> {
        let mut replay = self.replay.lock();
        if replay.is_empty() {
            return None;
        }
        let key = key(req)?;
        let i = replay.iter().position(|e| e.key == key)?;
        let e = replay.remove(i);
        drop(replay);
        let mut resp = Response::new(e.status, e.body.into_bytes())
            .with_status_text(e.status_text)
            .with_url(e.url);
        for (n, v) in e.headers {
            resp = resp.with_header(n, v);
        }
        resp.set_request(req.method, &req.url);
        Some(resp)
    }

    /// Records `resp` if it should be: its body is read whole, and the
    /// caller gets a response of the same status, headers and body.
    pub(crate) async fn record(&self, req: &Request, resp: Response) -> Result<Response, Error> {
        let Some(rule) = &self.record else {
            return Ok(resp);
        };
        let credentials = ["authorization", "cookie"]
            .iter()
            .any(|h| req.header(h).is_some());
        let key = match key(req) {
            Some(k) if rule.methods.contains(&req.method) && (rule.credentials || !credentials) => {
                k
            }
            _ => return Ok(resp),
        };
        let (status, status_text, url) = (resp.status(), resp.status_text(), resp.url());
        let headers: Vec<(String, String)> = resp.headers().iter().collect();
        let (method, attempts, started) = (resp.method(), resp.attempts(), resp.started_ms());
        let body = resp.bytes().await?;
        let sets_cookie = headers.iter().any(|(n, _)| n == "set-cookie");
        if body.len() <= rule.max_body && (rule.credentials || !sets_cookie) {
            if let Ok(text) = std::str::from_utf8(&body) {
                self.recorded.lock().push(Entry {
                    key,
                    status,
                    status_text: status_text.clone(),
                    url: url.clone(),
                    headers: headers.clone(),
                    body: text.to_owned(),
                });
            }
        }
        let mut copy = Response::new(status, body)
            .with_status_text(status_text)
            .with_url(url);
        for (n, v) in headers {
            copy = copy.with_header(n, v);
        }
        copy.set_request(method, &req.url);
        copy.set_attempts(attempts);
        copy.set_started_ms(started);
        Ok(copy)
    }
}

/// The key of a request: method, URL, the headers that choose the answer
/// and the body's hash; `None` for a body that cannot be hashed (a stream,
/// a `FormData`).
fn key(req: &Request) -> Option<String> {
    let body = match &req.body {
        None => Some(&[][..]),
        Some(b) => b.as_bytes(),
    }?;
    let mut key = format!("{} {}", req.method, req.url);
    for name in ["accept", "accept-language", "content-type"] {
        if let Some(v) = req.header(name) {
            key.push('\n');
            key.push_str(name);
            key.push(':');
            key.push_str(v.trim());
        }
    }
    if req.body.is_some() {
        key.push_str(&format!("\nbody:{:016x}:{}", fnv1a(body), body.len()));
    }
    Some(key)
}

/// The 64-bit FNV-1a hash: stable across builds and targets (the server's
/// and the browser's must agree), unlike `std`'s hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
