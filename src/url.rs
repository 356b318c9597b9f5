//! URL joining and origins, through the platform's URL parser.
//!
//! # The joining rule
//!
//! A request URL is resolved against the client's base URL by the
//! platform's own parser, `new URL(input, base)` (on wasm, the browser's or
//! Node.js's `URL`; natively, the `url` crate, the same WHATWG algorithm:
//! see `sys::parse_url`), with one twist: **the base URL's path is treated
//! as a directory** (a missing trailing `/` is added). With the base
//! `http://api.test/v1`:
//!
//! | input | result |
//! |---|---|
//! | `posts/1` | `http://api.test/v1/posts/1` |
//! | `/posts/1` | `http://api.test/posts/1` (from the origin's root) |
//! | `../x` | `http://api.test/x` |
//! | `?q=1` | `http://api.test/v1/?q=1` |
//! | `https://other.test/x` | `https://other.test/x` (another origin) |
//! | `//other.test/x` | `http://other.test/x` (another origin) |
//!
//! The result is the platform's serialization (`href`): the URL `fetch`
//! sends, and the one fanout's origin check reads. A URL that ends up on
//! another origin than the base never carries the client's default
//! headers: such a request is refused unless the client was built with
//! [`allow_cross_origin_default_headers`](crate::ClientBuilder::allow_cross_origin_default_headers).
//!
//! The only joining done here is [`join_plain`], the common case of a
//! client's requests (a plain relative path under the base), which gives
//! the platform's result without a call into it.

use crate::sys;

/// Whether `b` is a byte the URL parser keeps as it is in a path, a query
/// and a fragment of an http(s) URL (no percent-encoding, no rewriting):
/// ASCII, not a control or space, and none of the quotes, angle brackets,
/// backslash, caret, backtick, braces, bar and square brackets (`?` and
/// `#` are kept: [`join_plain`] reads them).
fn kept(b: u8) -> bool {
    b > b' ' && b < 0x7f && !b"\"<>\\^`{|}'[]".contains(&b)
}

/// Whether `seg` is a dot segment (`.`, `..`, or either with `%2e` in any
/// case), which the URL parser removes.
fn is_dot_segment(seg: &[u8]) -> bool {
    let mut rest = seg;
    let mut dots = 0;
    while !rest.is_empty() {
        if rest[0] == b'.' {
            rest = &rest[1..];
        } else if rest.len() >= 3 && rest[0] == b'%' && rest[1] == b'2' && rest[2] | 0x20 == b'e' {
            rest = &rest[3..];
        } else {
            return false;
        }
        dots += 1;
    }
    matches!(dots, 1 | 2)
}

/// The platform's `new URL(reference, base.url).href`, without calling it,
/// for the common case of a client's requests: `reference` a relative path
/// (`posts/1?r=2`) with no scheme, no dot segment and only bytes the parser
/// keeps as they are. `None` when `reference` is anything else; the result
/// is then the platform's to give.
pub(crate) fn join_plain(base: &Base, reference: &str) -> Option<String> {
    let bytes = reference.as_bytes();
    if matches!(bytes.first(), None | Some(b'/' | b'?' | b'#')) {
        return None;
    }
    // One pass over the path (up to `?` or `#`), segment by segment; the
    // rest only for what the URL parser would rewrite.
    let mut seg_start = 0;
    let mut first_segment = true;
    let mut in_path = true;
    for (i, &b) in bytes.iter().enumerate() {
        if !kept(b) {
            return None;
        }
        if !in_path {
            continue;
        }
        match b {
            b'/' | b'?' | b'#' => {
                if is_dot_segment(&bytes[seg_start..i]) {
                    return None;
                }
                seg_start = i + 1;
                first_segment = false;
                in_path = b == b'/';
            }
            b':' if first_segment => return None,
            _ => {}
        }
    }
    if in_path && is_dot_segment(&bytes[seg_start..]) {
        return None;
    }
    let mut url = String::with_capacity(base.url.len() + reference.len());
    url.push_str(&base.url);
    url.push_str(reference);
    Some(url)
}

/// Resolves `reference` against `base` (or alone, when absolute) with the
/// platform's parser, and checks that the result is a URL a request can go
/// to: `http:` or `https:` (the parser has checked the host and port).
/// Anything else (`http://[::1`, `file:`, `data:`, `javascript:`) would
/// come back from `fetch` as a network error, and be retried as one.
pub(crate) fn resolve(base: Option<&str>, reference: &str) -> Result<String, String> {
    match sys::parse_url(reference, base) {
        Some(href) if is_http(&href) => Ok(href),
        Some(_) => Err(format!(
            "invalid URL \"{reference}\": only http:// and https:// URLs can be fetched"
        )),
        None => Err(format!(
            "invalid URL \"{reference}\": the URL parser refuses it (bad host or port?)"
        )),
    }
}

/// Whether a serialized URL is an http(s) one (the parser lowercases the
/// scheme).
fn is_http(href: &str) -> bool {
    scheme_end(href).is_some()
}

/// Where the authority of a serialized http(s) URL starts (after `://`).
fn scheme_end(href: &str) -> Option<usize> {
    if href.starts_with("http://") {
        Some(7)
    } else if href.starts_with("https://") {
        Some(8)
    } else {
        None
    }
}

/// The path of a URL (no query or fragment), `/` when empty.
#[cfg(feature = "mock")]
pub(crate) fn path_of(url: &str) -> &str {
    let after_scheme = scheme_end(url).map_or(url, |i| &url[i..]);
    let rest = after_scheme
        .find(['/', '?', '#'])
        .map_or("", |i| &after_scheme[i..]);
    let path = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

/// Whether `s` is an absolute URL (has a scheme): what comes before the
/// first `:`, if no `/`, `?` or `#` comes first, and it is a scheme's
/// characters.
pub(crate) fn is_absolute(s: &str) -> bool {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b':' => return i > 0 && bytes[0].is_ascii_alphabetic(),
            b'+' | b'-' | b'.' => {}
            b if b.is_ascii_alphanumeric() => {}
            _ => return false,
        }
    }
    false
}

/// The origin of an http(s) URL as the platform serializes it (what
/// [`resolve`] and [`parse_base`] give, and `location.href`):
/// `scheme://host[:port]`, the user info dropped (the parser has already
/// lowercased the scheme and host and dropped a default port). `None` for
/// other URLs.
pub(crate) fn origin(href: &str) -> Option<String> {
    let start = scheme_end(href)?;
    // One pass over the authority: it ends at the path (or a query or
    // fragment); the user info's own `@` are percent-encoded, so the last
    // one ends it.
    let mut host = start;
    let mut end = href.len();
    for (i, &b) in href.as_bytes().iter().enumerate().skip(start) {
        match b {
            b'/' | b'?' | b'#' => {
                end = i;
                break;
            }
            b'@' => host = i + 1,
            _ => {}
        }
    }
    if host == end {
        return None;
    }
    let mut origin = String::with_capacity(start + end - host);
    origin.push_str(&href[..start]);
    origin.push_str(&href[host..end]);
    Some(origin)
}

/// The origin of any URL text (`HTTP://Api.test:443/v1`), read by the
/// platform's parser. `None` for what it can't parse and non-http(s) URLs.
#[cfg(any(feature = "auth", test))]
pub(crate) fn origin_of(url: &str) -> Option<String> {
    origin(&sys::parse_url(url.trim(), None)?)
}

/// A validated base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Base {
    /// The base as the platform serializes it, its path ending in `/`.
    pub(crate) url: String,
    pub(crate) origin: String,
}

/// Checks that `s` is an absolute http(s) URL without query or fragment and
/// makes its path a directory.
pub(crate) fn parse_base(s: &str) -> Result<Base, String> {
    let bad = |why: &str| format!("invalid base URL \"{s}\": {why}");
    let href = sys::parse_url(s.trim(), None).filter(|h| is_http(h));
    let (Some(mut url), Some(origin)) = (href.clone(), href.as_deref().and_then(origin)) else {
        return Err(bad("expected an absolute http:// or https:// URL"));
    };
    if url.contains(['?', '#']) {
        return Err(bad("a base URL cannot have a query or fragment"));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains whitespace"));
    }
    if !url.ends_with('/') {
        url.push('/');
    }
    Ok(Base { url, origin })
}

/// Appends an encoded query string to `url`, before any fragment.
pub(crate) fn append_query(url: &str, query: &str) -> String {
    if query.is_empty() {
        return url.to_owned();
    }
    let (head, frag) = match url.find('#') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let sep = if !head.contains('?') {
        "?"
    } else if head.ends_with('?') || head.ends_with('&') {
        ""
    } else {
        "&"
    };
    format!("{head}{sep}{query}{frag}")
}

#[cfg(test)]
mod tests;

/// The short ways ([`join_plain`], [`origin`]) against the WHATWG URL
/// standard (the `url` crate), over generated input.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod differential;
