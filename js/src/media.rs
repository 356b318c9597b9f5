//! Media types (pure, on both targets).

/// Whether a `Content-Type` is a JSON media type: `application/json` or
/// any `type/subtype+json`, with parameters or not (`application/json-seq`
/// and `text/plain; note=json` are not).
pub(crate) fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    let token = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
    token(kind)
        && token(subtype)
        && (essence.eq_ignore_ascii_case("application/json")
            || (subtype.len() > 5
                && subtype
                    .get(subtype.len() - 5..)
                    .is_some_and(|s| s.eq_ignore_ascii_case("+json"))))
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn only_json_media_types_are_json() {
        for ct in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            " application/json ",
            "application/problem+json",
            "application/vnd.api+JSON;charset=UTF-8",
        ] {
            assert!(is_json(ct), "{ct:?}");
        }
        for ct in [
            "application/json-seq",
            "text/plain; note=json",
            "text/json-ish",
            "application/jsonx",
            "application/x-json-stream",
            "json",
            "+json",
            "application/+json",
            "/+json",
            "",
            // A cut inside a character: not JSON, and no panic.
            "application/\u{e9}json",
        ] {
            assert!(!is_json(ct), "{ct:?}");
        }
    }
}
