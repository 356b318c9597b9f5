//! Header validation and merging (pure Rust), and the response [`Headers`].

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::JsCast;

/// Whether `name` is an RFC 9110 token (a valid header name).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether `value` can be sent as a header value: no CR, LF or NUL, and
/// no character beyond U+00FF (the Fetch API's `Headers` takes a
/// ByteString, one byte per character, and throws on anything else).
pub(crate) fn valid_value(value: &str) -> bool {
    !value
        .chars()
        .any(|c| matches!(c, '\r' | '\n' | '\0') || u32::from(c) > 0xff)
}

/// Checks a header pair, with an error message naming the problem.
pub(crate) fn check(name: &str, value: &str) -> Result<(), String> {
    if !valid_name(name) {
        return Err(format!("invalid header name \"{name}\""));
    }
    if !valid_value(value) {
        return Err(format!(
            "invalid value for header \"{name}\": contains CR, LF, NUL or a character \
             beyond U+00FF"
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
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    /// The platform's `Headers` of a fetch response.
    #[cfg(target_arch = "wasm32")]
    Js(web_sys::Headers),
    /// Headers of a response made in Rust, names lowercased.
    Owned(Vec<(String, String)>),
}

impl Headers {
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn from_raw(raw: web_sys::Headers) -> Headers {
        Headers {
            repr: Repr::Js(raw),
        }
    }

    pub(crate) fn from_pairs(pairs: Vec<(String, String)>) -> Headers {
        Headers {
            repr: Repr::Owned(pairs),
        }
    }

    /// The value of a header (several values joined by `, `).
    pub fn get(&self, name: &str) -> Option<String> {
        match &self.repr {
            #[cfg(target_arch = "wasm32")]
            Repr::Js(raw) => raw.get(name).ok().flatten(),
            Repr::Owned(pairs) => {
                let mut values = pairs
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str());
                let first = values.next()?;
                Some(values.fold(first.to_owned(), |mut acc, v| {
                    acc.push_str(", ");
                    acc.push_str(v);
                    acc
                }))
            }
        }
    }

    /// Whether the header is present.
    pub fn has(&self, name: &str) -> bool {
        match &self.repr {
            #[cfg(target_arch = "wasm32")]
            Repr::Js(raw) => raw.has(name).unwrap_or(false),
            Repr::Owned(pairs) => has(pairs, name),
        }
    }

    /// Every header as `(lowercase name, value)`, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (String, String)> {
        let mut pairs = Vec::new();
        match &self.repr {
            #[cfg(target_arch = "wasm32")]
            Repr::Js(raw) => {
                if let Ok(Some(iter)) = js_sys::try_iter(raw) {
                    for entry in iter.flatten() {
                        let entry: js_sys::Array = entry.unchecked_into();
                        if let (Some(k), Some(v)) =
                            (entry.get(0).as_string(), entry.get(1).as_string())
                        {
                            pairs.push((k, v));
                        }
                    }
                }
            }
            Repr::Owned(own) => {
                for (name, _) in own {
                    if !pairs.iter().any(|(n, _)| n == name) {
                        let value = self.get(name).unwrap_or_default();
                        pairs.push((name.clone(), value));
                    }
                }
                small_sort(&mut pairs);
            }
        }
        pairs.into_iter()
    }

    /// The underlying `web_sys::Headers` of a fetch response; `None` for
    /// the headers of a response made in Rust. Wasm only.
    #[cfg(target_arch = "wasm32")]
    pub fn as_raw(&self) -> Option<&web_sys::Headers> {
        match &self.repr {
            #[cfg(target_arch = "wasm32")]
            Repr::Js(raw) => Some(raw),
            Repr::Owned(_) => None,
        }
    }
}

/// Sorts a few items (the headers of a response or a request): an
/// insertion sort is enough, and far smaller in the wasm than the
/// standard library's sorts (about 5 KB).
pub(crate) fn small_sort<T: PartialOrd>(items: &mut [T]) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && items[j - 1] > items[j] {
            items.swap(j - 1, j);
            j -= 1;
        }
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
    fn owned_headers_join_repeats_and_sort() {
        let h = Headers::from_pairs(pairs(&[("x-b", "1"), ("x-a", "2"), ("x-b", "3")]));
        assert_eq!(h.get("X-B").as_deref(), Some("1, 3"));
        assert!(h.has("x-a") && !h.has("x-c"));
        assert_eq!(
            h.iter().collect::<Vec<_>>(),
            pairs(&[("x-a", "2"), ("x-b", "1, 3")])
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

/// Header validation against a model of RFC 9110's grammar.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// RFC 9110 §5.6.2 `tchar`, listed.
    const TCHAR: &str =
        "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn names_are_tokens(name in "[ -~\u{80}-\u{ff}\r\n\t]{0,12}") {
            let model = !name.is_empty() && name.chars().all(|c| TCHAR.contains(c));
            prop_assert_eq!(valid_name(&name), model);
            prop_assert_eq!(check(&name, "v").is_ok(), model);
        }

        #[test]
        fn values_refuse_cr_lf_nul_and_non_bytes(value in "[\u{0}-\u{7f}é\u{ff}\u{100}☃😀]{0,12}") {
            let model = !value.contains(['\r', '\n', '\0'])
                && value.chars().all(|c| !['\u{100}', '☃', '😀'].contains(&c));
            prop_assert_eq!(valid_value(&value), model);
            prop_assert_eq!(check("x-ok", &value).is_ok(), model);
        }
    }
}
