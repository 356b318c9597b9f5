//! URL joining and origins: pure Rust, tested natively.
//!
//! # The joining rule
//!
//! A request URL is resolved against the client's base URL exactly as
//! RFC 3986 §5 (and the browser's `new URL(input, base)`) resolves a
//! reference, with one twist: **the base URL's path is treated as a
//! directory** (a missing trailing `/` is added). With the base
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
//! A URL that ends up on another origin than the base never carries the
//! client's default headers: such a request is refused unless the client
//! was built with
//! [`allow_cross_origin_default_headers`](crate::ClientBuilder::allow_cross_origin_default_headers).

/// The five components of a URI reference (RFC 3986 Appendix B).
#[derive(Debug, PartialEq, Eq)]
struct Parts<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

fn split(s: &str) -> Parts<'_> {
    let (rest, fragment) = match s.find('#') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (rest, query) = match rest.find('?') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (scheme, rest) = match rest.find([':', '/']) {
        Some(i)
            if rest.as_bytes()[i] == b':'
                && i > 0
                && rest.as_bytes()[0].is_ascii_alphabetic()
                && rest[..i]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) =>
        {
            (Some(&rest[..i]), &rest[i + 1..])
        }
        _ => (None, rest),
    };
    let (authority, path) = match rest.strip_prefix("//") {
        Some(r) => {
            let end = r.find('/').unwrap_or(r.len());
            (Some(&r[..end]), &r[end..])
        }
        None => (None, rest),
    };
    Parts {
        scheme,
        authority,
        path,
        query,
        fragment,
    }
}

/// RFC 3986 §5.2.4 (as the WHATWG URL standard does it): `.` and `..`
/// segments go, and one at the end leaves a trailing slash; empty segments
/// stay (`a//x/..` is `a//`).
fn remove_dot_segments(path: &str) -> String {
    // Built in place: `starts` holds where each kept segment begins in
    // `out` (before its `/`), so `..` truncates back to it. (A `Vec` of
    // segments and `join` cost about 1 KB more wasm.)
    let (absolute, body) = match path.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, path),
    };
    let mut out = String::with_capacity(path.len());
    if absolute {
        out.push('/');
    }
    let mut starts: Vec<usize> = Vec::new();
    let push = |out: &mut String, starts: &mut Vec<usize>, seg: &str| {
        starts.push(out.len());
        if starts.len() > 1 {
            out.push('/');
        }
        out.push_str(seg);
    };
    let mut rest = Some(body);
    while let Some(r) = rest {
        let (seg, next) = match r.find('/') {
            Some(i) => (&r[..i], Some(&r[i + 1..])),
            None => (r, None),
        };
        rest = next;
        let dots = dot_segment(seg);
        match dots {
            1 => {}
            2 => {
                if let Some(start) = starts.pop() {
                    out.truncate(start);
                }
            }
            _ => push(&mut out, &mut starts, seg),
        }
        if rest.is_none() && dots > 0 {
            push(&mut out, &mut starts, "");
        }
    }
    out
}

/// 1 for a `.` segment, 2 for `..`, else 0; as the WHATWG URL standard
/// reads them, `%2e` (any case) is a dot too.
fn dot_segment(seg: &str) -> u8 {
    let is_dot = |s: &str| s == "." || s.eq_ignore_ascii_case("%2e");
    if is_dot(seg) {
        return 1;
    }
    let two = ["..", ".%2e", "%2e.", "%2e%2e"];
    if two.iter().any(|d| seg.eq_ignore_ascii_case(d)) {
        2
    } else {
        0
    }
}

fn recompose(p: &Parts<'_>, path: &str) -> String {
    let mut s = String::new();
    if let Some(scheme) = p.scheme {
        s.push_str(scheme);
        s.push(':');
    }
    if let Some(a) = p.authority {
        s.push_str("//");
        s.push_str(a);
    }
    s.push_str(path);
    if let Some(q) = p.query {
        s.push('?');
        s.push_str(q);
    }
    if let Some(f) = p.fragment {
        s.push('#');
        s.push_str(f);
    }
    s
}

/// What the WHATWG URL parser does to its input before anything else, so
/// that fanout reads a reference as the platform will: leading and
/// trailing C0 controls and spaces removed, ASCII tabs and newlines
/// removed anywhere, and (for http and https, the only schemes fanout
/// sends) `\` read as `/` before the query. Without it `\\evil.test\x`
/// or `\t//evil.test` would look like a path here and reach another host
/// in `fetch`.
fn normalize_input(s: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = s.trim_matches(|c: char| c <= ' ');
    let unusual = |c: char| matches!(c, '\t' | '\n' | '\r' | '\\');
    if !trimmed.contains(unusual) {
        return std::borrow::Cow::Borrowed(trimmed);
    }
    let mut out = String::with_capacity(trimmed.len());
    let mut in_query = false;
    for c in trimmed.chars() {
        match c {
            '\t' | '\n' | '\r' => {}
            '?' | '#' => {
                in_query = true;
                out.push(c);
            }
            '\\' if !in_query => out.push('/'),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`resolve`]'s result without its work, for the common case of a
/// client's requests: `base` a [`Base`] whose path is plain, `reference` a
/// relative path (`posts/1?r=2`) with no scheme, no dot segment, nothing
/// the URL parser would rewrite (spaces, controls, `\\`). `None` when
/// `reference` is anything else; the result is then [`resolve`]'s to give.
pub(crate) fn join_plain(base: &Base, reference: &str) -> Option<String> {
    let bytes = reference.as_bytes();
    if !base.plain || matches!(bytes.first(), None | Some(b'/' | b'?' | b'#')) {
        return None;
    }
    // One pass over the path (up to `?` or `#`), segment by segment; the
    // rest only for what the URL parser would rewrite.
    let mut seg_start = 0;
    let mut first_segment = true;
    let mut in_path = true;
    for (i, &b) in bytes.iter().enumerate() {
        if b <= b' ' || b == b'\\' || b == 0x7f {
            return None;
        }
        if !in_path {
            continue;
        }
        match b {
            b'/' | b'?' | b'#' => {
                if dot_segment(&reference[seg_start..i]) != 0 {
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
    if in_path && dot_segment(&reference[seg_start..]) != 0 {
        return None;
    }
    let mut url = String::with_capacity(base.url.len() + reference.len());
    url.push_str(&base.url);
    url.push_str(reference);
    Some(url)
}

/// Resolves `reference` against the absolute http(s) URL `base`
/// (RFC 3986 §5.2.2, read as the WHATWG URL standard reads it).
pub(crate) fn resolve(base: &str, reference: &str) -> String {
    let reference = normalize_input(reference);
    let reference = reference.as_ref();
    let b = split(base);
    let r = split(reference);
    let (scheme, authority, path, query);
    if r.scheme.is_some() {
        scheme = r.scheme;
        authority = r.authority;
        path = remove_dot_segments(r.path);
        query = r.query;
    } else if r.authority.is_some() {
        scheme = b.scheme;
        authority = r.authority;
        path = remove_dot_segments(r.path);
        query = r.query;
    } else {
        scheme = b.scheme;
        authority = b.authority;
        if r.path.is_empty() {
            path = b.path.to_owned();
            query = r.query.or(b.query);
        } else {
            path = if r.path.starts_with('/') {
                remove_dot_segments(r.path)
            } else {
                let merged = if b.authority.is_some() && b.path.is_empty() {
                    format!("/{}", r.path)
                } else {
                    let dir = &b.path[..b.path.rfind('/').map_or(0, |i| i + 1)];
                    format!("{dir}{}", r.path)
                };
                remove_dot_segments(&merged)
            };
            query = r.query;
        }
    }
    let parts = Parts {
        scheme,
        authority,
        path: "",
        query,
        fragment: r.fragment,
    };
    // An http(s) URL's path is never empty (`http://h` is `http://h/`).
    let special =
        scheme.is_some_and(|s| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"));
    if special && authority.is_some() && path.is_empty() {
        return recompose(&parts, "/");
    }
    recompose(&parts, &path)
}

/// The path of a URL (no query or fragment), `/` when empty.
#[cfg(feature = "mock")]
pub(crate) fn path_of(url: &str) -> &str {
    let path = split(url).path;
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

/// Whether `s` is an absolute URL (has a scheme).
pub(crate) fn is_absolute(s: &str) -> bool {
    // `split(s).scheme.is_some()` without the rest of `split`'s work: a
    // scheme is what comes before the first `:`, if no `/`, `?` or `#`
    // comes first.
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

/// The origin of an absolute http(s) URL: `scheme://host[:port]`, lowercase,
/// default ports dropped. `None` for other URLs.
pub(crate) fn origin(url: &str) -> Option<String> {
    let p = split(url);
    let scheme = p.scheme?.to_ascii_lowercase();
    let authority = p.authority?;
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    if host_port.is_empty() {
        return None;
    }
    let host_port = host_port.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    let host_port = host_port
        .strip_suffix(default_port)
        .unwrap_or(&host_port)
        .to_owned();
    Some(format!("{scheme}://{host_port}"))
}

/// A validated base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Base {
    /// The base with its path ending in `/`.
    pub(crate) url: String,
    pub(crate) origin: String,
    /// Its path has no dot segment, so [`join_plain`] may append to it.
    pub(crate) plain: bool,
}

/// Checks that `s` is an absolute http(s) URL without query or fragment and
/// makes its path a directory.
pub(crate) fn parse_base(s: &str) -> Result<Base, String> {
    let p = split(s.trim());
    let origin = origin(s.trim()).ok_or_else(|| {
        format!("invalid base URL \"{s}\": expected an absolute http:// or https:// URL")
    })?;
    if p.query.is_some() || p.fragment.is_some() {
        return Err(format!(
            "invalid base URL \"{s}\": a base URL cannot have a query or fragment"
        ));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("invalid base URL \"{s}\": contains whitespace"));
    }
    if !valid_authority(p.authority.unwrap_or_default()) {
        return Err(format!("invalid base URL \"{s}\": bad host or port"));
    }
    let mut path = p.path.to_owned();
    if !path.ends_with('/') {
        path.push('/');
    }
    let plain = !path.split('/').any(|seg| dot_segment(seg) != 0);
    let url = recompose(
        &Parts {
            query: None,
            fragment: None,
            ..p
        },
        &path,
    );
    Ok(Base { url, origin, plain })
}

/// Checks that `url` is one a request can go to: absolute, `http:` or
/// `https:`, with a valid host and port. Anything else (`http://[::1`,
/// `file:`, `data:`, `javascript:`) would come back from `fetch` as a
/// network error, and be retried as one.
pub(crate) fn check_target(url: &str) -> Result<(), String> {
    let p = split(url);
    let scheme = p.scheme.unwrap_or_default();
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(format!(
            "invalid URL \"{url}\": only http:// and https:// URLs can be fetched"
        ));
    }
    match p.authority {
        Some(a) if valid_authority(a) => Ok(()),
        _ => Err(format!("invalid URL \"{url}\": bad host or port")),
    }
}

/// Checks `[userinfo@]host[:port]`: a non-empty host (an IPv6 literal in
/// brackets, or a name without brackets) and a numeric port.
fn valid_authority(authority: &str) -> bool {
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = match host_port.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, after))
                if !v6.is_empty()
                    && v6
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') =>
            {
                match after {
                    "" => return true,
                    _ => ("v6", after.strip_prefix(':')),
                }
            }
            _ => return false,
        },
        None => match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        },
    };
    // A percent-escape in a host is refused (the platform would decode it,
    // and the origin fanout checks default headers against would differ).
    // The WHATWG forbidden host code points, as the platform refuses them.
    let forbidden = |c: char| c <= ' ' || c == '\x7f' || "[]:/\\#?%<>^|@".contains(c);
    let host_ok = !host.is_empty() && !host.contains(forbidden);
    let port_ok = match port {
        None => true,
        Some(p) => p.is_empty() || (p.len() <= 5 && p.parse::<u16>().is_ok()),
    };
    host_ok && port_ok
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

/// Joining against the WHATWG URL standard, over generated input.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod differential;
