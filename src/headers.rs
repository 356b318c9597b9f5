//! Header validation and merging (pure Rust), and the response [`Headers`].

use wasm_bindgen::JsCast;

/// Whether `name` is an RFC 9110 token (a valid header name).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether `value` can be sent as a header value (no CR, LF or NUL).
pub(crate) fn valid_value(value: &str) -> bool {
    !value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0))
}

/// Checks a header pair, with an error message naming the problem.
pub(crate) fn check(name: &str, value: &str) -> Result<(), String> {
    if !valid_name(name) {
        return Err(format!("invalid header name \"{name}\""));
    }
    if !valid_value(value) {
        return Err(format!(
            "invalid value for header \"{name}\": contains CR, LF or NUL"
        ));
    }
    Ok(())
}

/// Merges the client's default headers with a request's own: a header the
/// request sets (by name, case-insensitively) replaces every default of that
/// name; the request's own repeated headers are all kept.
pub(crate) fn merge(
    defaults: &[(String, String)],
    own: &[(String, String)],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = defaults
        .iter()
        .filter(|(d, _)| !own.iter().any(|(o, _)| o.eq_ignore_ascii_case(d)))
        .cloned()
        .collect();
    out.extend(own.iter().cloned());
    out
}

/// Whether `headers` has a header named `name` (case-insensitively).
pub(crate) fn has(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// The headers of a [`Response`](crate::Response): a thin view of the
/// browser's `Headers`. Names are case-insensitive; a cross-origin response
/// shows only the CORS-safelisted headers and those the server exposes.
///
/// ```no_run
/// # async fn run(resp: fanout::Response) {
/// let headers = resp.headers();
/// if let Some(ct) = headers.get("content-type") {
///     println!("{ct}");
/// }
/// for (name, value) in headers.iter() {
///     println!("{name}: {value}");
/// }
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Headers {
    raw: web_sys::Headers,
}

impl Headers {
    pub(crate) fn from_raw(raw: web_sys::Headers) -> Headers {
        Headers { raw }
    }

    /// The value of a header (several values joined by `, `).
    pub fn get(&self, name: &str) -> Option<String> {
        self.raw.get(name).ok().flatten()
    }

    /// Whether the header is present.
    pub fn has(&self, name: &str) -> bool {
        self.raw.has(name).unwrap_or(false)
    }

    /// Every header as `(lowercase name, value)`, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (String, String)> {
        let mut pairs = Vec::new();
        if let Ok(Some(iter)) = js_sys::try_iter(&self.raw) {
            for entry in iter.flatten() {
                let entry: js_sys::Array = entry.unchecked_into();
                if let (Some(k), Some(v)) = (entry.get(0).as_string(), entry.get(1).as_string()) {
                    pairs.push((k, v));
                }
            }
        }
        pairs.into_iter()
    }

    /// The underlying `web_sys::Headers`.
    pub fn as_raw(&self) -> &web_sys::Headers {
        &self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn request_header_wins_case_insensitively() {
        let d = pairs(&[("Accept", "application/json"), ("X-Token", "t")]);
        let own = pairs(&[("accept", "text/plain")]);
        assert_eq!(
            merge(&d, &own),
            pairs(&[("X-Token", "t"), ("accept", "text/plain")])
        );
    }

    #[test]
    fn repeated_own_headers_are_kept() {
        let d = pairs(&[("x-a", "1")]);
        let own = pairs(&[("x-b", "1"), ("x-b", "2")]);
        assert_eq!(
            merge(&d, &own),
            pairs(&[("x-a", "1"), ("x-b", "1"), ("x-b", "2")])
        );
    }

    #[test]
    fn validation() {
        assert!(check("x-ok", "v").is_ok());
        assert!(check("bad name", "v").is_err());
        assert!(check("", "v").is_err());
        assert!(check("x", "a\r\nb").is_err());
        assert!(valid_name("Content-Type"));
        assert!(has(&pairs(&[("Content-Type", "x")]), "content-type"));
    }
}
