//! [`Record`]: one stored request, the unit every store keeps, with its
//! format version (pure: serialised as JSON, the body as base64).

use serde::{Deserialize, Serialize};

use super::error::{OutboxError, Reason};

/// The version of the record format this build writes and reads.
pub const RECORD_VERSION: u32 = 1;

/// Where an entry stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryState {
    /// Waiting to be delivered (or being delivered).
    Pending,
    /// Failed for good: a final 4xx (`status`), or delivery gave up
    /// (`status` of the last response, if any). Kept until the app
    /// removes it.
    Failed {
        /// The final response's status, if there was one.
        status: Option<u16>,
        /// Why, in words.
        reason: String,
    },
}

/// One stored request: everything needed to send it again after a
/// reload. Stores keep it as the JSON of [`Record::encode`].
///
/// ```
/// use fanout::outbox::{EntryState, Record, RECORD_VERSION};
/// let r = Record::new("POST", "http://api.test/posts", vec![], Some(b"{}".to_vec()), "k-1");
/// let back = Record::decode(&r.encode()).unwrap();
/// assert_eq!(back, r);
/// assert_eq!(back.version, RECORD_VERSION);
/// assert_eq!(back.state, EntryState::Pending);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Record {
    /// The format version ([`RECORD_VERSION`] when written by this build).
    pub version: u32,
    /// The store's id for it, increasing in the order of sending (0 until
    /// stored).
    pub id: u64,
    /// The method, as sent (`"POST"`).
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// The request's own headers, the `Idempotency-Key` included.
    pub headers: Vec<(String, String)>,
    /// The body's bytes, if it has one.
    pub body: Option<Vec<u8>>,
    /// The `Idempotency-Key`, made once and the same on every attempt.
    pub key: String,
    /// Pending or failed.
    pub state: EntryState,
    /// Attempts made so far.
    pub attempts: u32,
}

/// A record as stored: flat fields (plain serde code, no buffering of
/// tagged enums), the body in base64, the state as `"pending"` or
/// `"failed"` with its status and reason.
#[derive(Serialize, Deserialize)]
struct Wire {
    v: u32,
    #[serde(default)]
    id: u64,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    #[serde(with = "b64", default)]
    body: Option<Vec<u8>>,
    key: String,
    state: String,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    attempts: u32,
}

impl Record {
    /// A pending record of this version, not stored yet (`id` 0).
    pub fn new(
        method: impl Into<String>,
        url: impl Into<String>,
        headers: Vec<(String, String)>,
        body: Option<Vec<u8>>,
        key: impl Into<String>,
    ) -> Record {
        Record {
            version: RECORD_VERSION,
            id: 0,
            method: method.into(),
            url: url.into(),
            headers,
            body,
            key: key.into(),
            state: EntryState::Pending,
            attempts: 0,
        }
    }

    /// The record as JSON.
    pub fn encode(&self) -> String {
        let (state, status, reason) = match &self.state {
            EntryState::Pending => ("pending", None, None),
            EntryState::Failed { status, reason } => ("failed", *status, Some(reason.clone())),
        };
        let wire = Wire {
            v: self.version,
            id: self.id,
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            key: self.key.clone(),
            state: state.to_owned(),
            status,
            reason,
            attempts: self.attempts,
        };
        serde_json::to_string(&wire).expect("a record serialises")
    }

    /// A record from its JSON: one of this version is read; one of
    /// another version (or no record at all) is an error of reason
    /// [`Reason::Version`] saying which, and nothing is guessed.
    pub fn decode(json: &str) -> Result<Record, OutboxError> {
        #[derive(Deserialize)]
        struct Head {
            v: Option<u32>,
        }
        let head: Head = serde_json::from_slice(json.as_bytes()).map_err(|e| {
            OutboxError::new(
                Reason::Version,
                format!("a stored entry is not a record: {e}"),
            )
        })?;
        let damaged = |what: String| {
            OutboxError::new(
                Reason::Version,
                format!("a stored record of version {RECORD_VERSION} is damaged: {what}"),
            )
        };
        match head.v {
            Some(RECORD_VERSION) => {
                let w: Wire =
                    serde_json::from_slice(json.as_bytes()).map_err(|e| damaged(e.to_string()))?;
                let state = match w.state.as_str() {
                    "pending" => EntryState::Pending,
                    "failed" => EntryState::Failed {
                        status: w.status,
                        reason: w.reason.unwrap_or_default(),
                    },
                    other => return Err(damaged(format!("unknown state {other:?}"))),
                };
                Ok(Record {
                    version: w.v,
                    id: w.id,
                    method: w.method,
                    url: w.url,
                    headers: w.headers,
                    body: w.body,
                    key: w.key,
                    state,
                    attempts: w.attempts,
                })
            }
            Some(v) => Err(OutboxError::new(
                Reason::Version,
                format!(
                    "a stored record has version {v}; this fanout reads version {RECORD_VERSION} \
                     (remove it, or open the outbox with the fanout that wrote it)"
                ),
            )),
            None => Err(OutboxError::new(
                Reason::Version,
                "a stored record has no version field",
            )),
        }
    }

    /// The body's size in bytes (0 without one).
    pub fn body_len(&self) -> u64 {
        self.body.as_ref().map_or(0, |b| b.len() as u64)
    }
}

/// Base64 (standard alphabet, padded) for the body.
mod b64 {
    use serde::{Deserialize, Deserializer, Serializer};

    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub(super) fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ABC[(n >> (18 - 6 * i)) as usize & 63] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub(super) fn decode(s: &str) -> Option<Vec<u8>> {
        let s = s.trim_end_matches('=');
        let mut out = Vec::with_capacity(s.len() * 3 / 4);
        let mut acc = 0u32;
        let mut bits = 0;
        for c in s.bytes() {
            let v = ABC.iter().position(|&a| a == c)? as u32;
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        Some(out)
    }

    pub(super) fn serialize<S: Serializer>(
        body: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match body {
            Some(b) => s.serialize_some(&encode(b)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(s) => decode(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("the body is not base64")),
            None => Ok(None),
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn round_trips() {
            for n in 0..40u8 {
                let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
                assert_eq!(super::decode(&super::encode(&bytes)).unwrap(), bytes);
            }
            assert_eq!(super::encode(b"Man"), "TWFu");
            assert_eq!(super::encode(b"Ma"), "TWE=");
            assert_eq!(super::encode(b"M"), "TQ==");
            assert_eq!(super::decode("not base64!"), None);
        }
    }
}
