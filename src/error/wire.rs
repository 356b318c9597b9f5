//! An [`Error`] as data (feature `serde`): its kind and the kind's details
//! (`status` and `status_text`, the decode `path` and `body_start`, the
//! size `limit`), `method`, `url`, `message`, `attempts` and its cause's
//! text as `source`. So a `Result<T, fanout::Error>` can be a server
//! function's or a Leptos `Resource`'s value, rendered on the server and
//! read back in the browser. After a round trip every predicate answers
//! as before, and `source()` gives the cause's text (the cause itself, a
//! JS exception or a serde error, stays where it happened).
//!
//! ```
//! let e = fanout::Error::from_status(503, "Service Unavailable")
//!     .with_request(fanout::Method::Get, "http://api.test/x");
//! let json = serde_json::to_string(&e).unwrap();
//! let back: fanout::Error = serde_json::from_str(&json).unwrap();
//! assert_eq!(back.status(), Some(503));
//! assert_eq!(back.to_string(), e.to_string());
//! ```

use super::{Error, Inner, Kind};
use crate::method::Method;

#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    #[serde(flatten)]
    kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    message: String,
    #[serde(default)]
    attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

/// The text of a cause that crossed as data.
#[derive(Debug)]
struct Cause(String);

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Cause {}

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = &self.inner;
        Wire {
            kind: i.kind.clone(),
            method: i.method.map(|m| m.as_str().to_owned()),
            url: i.url.clone(),
            message: i.message.clone(),
            attempts: i.attempts,
            source: i.source.as_ref().map(|e| e.to_string()),
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Error {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Error, D::Error> {
        let w = Wire::deserialize(d)?;
        let method = match w.method {
            None => None,
            Some(m) => Some(m.parse::<Method>().map_err(serde::de::Error::custom)?),
        };
        Ok(Error {
            inner: Box::new(Inner {
                kind: w.kind,
                method,
                url: w.url,
                message: w.message,
                attempts: w.attempts,
                source: w.source.map(|t| {
                    std::sync::Arc::new(Cause(t))
                        as std::sync::Arc<dyn std::error::Error + Send + Sync>
                }),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Error, Method};

    fn round_trip(e: &Error) -> Error {
        serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap()
    }

    #[test]
    fn every_kind_survives_a_round_trip() {
        let decode = Error::decode("invalid JSON at [1]", "[1, \"x\"]");
        let cases = [
            Error::builder("bad"),
            Error::network("down").with_request(Method::Post, "http://h/x"),
            Error::timeout(std::time::Duration::from_millis(5)),
            Error::aborted("stop"),
            Error::from_status(404, "Not Found").with_attempts(3),
            decode,
            Error::body("cut"),
        ];
        for e in &cases {
            let back = round_trip(e);
            assert_eq!(back.to_string(), e.to_string());
            assert_eq!(back.js_name(), e.js_name());
            assert_eq!(back.status(), e.status());
            assert_eq!(back.decode_path(), e.decode_path());
            assert_eq!(back.body_start(), e.body_start());
            assert_eq!(back.attempts(), e.attempts());
            assert_eq!(back.method(), e.method());
            assert_eq!(
                (back.is_timeout(), back.is_network(), back.is_builder()),
                (e.is_timeout(), e.is_network(), e.is_builder())
            );
            assert_eq!(
                std::error::Error::source(&back).map(|c| c.to_string()),
                std::error::Error::source(e).map(|c| c.to_string())
            );
        }
        let bad =
            serde_json::from_str::<Error>(r#"{"kind":"network","method":"BREW","message":"x"}"#);
        assert!(bad.is_err());
    }
}
