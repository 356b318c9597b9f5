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
mod tests {
    use super::*;

    #[test]
    fn is_absolute_is_a_scheme_in_split() {
        for s in [
            "http://h/",
            "HTTP:x",
            "a:",
            ":x",
            "1a:b",
            "a1+.-:b",
            "a b:c",
            "a/b:c",
            "a?b:c",
            "a#b:c",
            "posts/1",
            "",
            "é:x",
            "a\\:b",
            "mailto:x",
            "//h/x",
            "?a:b",
        ] {
            assert_eq!(is_absolute(s), split(s).scheme.is_some(), "{s:?}");
        }
    }

    #[test]
    fn join_plain_is_resolve_or_nothing() {
        let bases = [
            "http://h/",
            "http://h:8/api/v1/",
            "https://u:p@h/a/b",
            "http://h/a/../b/",
            "http://h/%2e/",
            "http://[::1]:8/x/",
        ];
        let refs = [
            "posts/1",
            "posts/1?r=a-1&delay=5",
            "posts/1#frag",
            "posts/1?q=../x#y",
            "a/b/c/",
            "x.json",
            "a..b/c",
            "./x",
            "../x",
            "a/./b",
            "a/../b",
            "a/%2e%2E/b",
            "a/.%2e",
            ".",
            "..",
            "a:b",
            "mailto:x",
            "http://other/x",
            "//other/x",
            "/abs",
            "?q",
            "#f",
            "",
            " posts/1",
            "posts/1 ",
            "po\tsts",
            "a\\b",
            "a b",
            "a/b:c",
            "é/ü?ß",
        ];
        let mut joined = 0;
        for b in bases {
            let base = parse_base(b).unwrap();
            for r in refs {
                if let Some(url) = join_plain(&base, r) {
                    joined += 1;
                    assert_eq!(url, resolve(&base.url, r), "{b} + {r:?}");
                    assert_eq!(check_target(&url), Ok(()), "{url}");
                }
            }
        }
        // Plain bases and plain references take the short way.
        assert_eq!(joined, 4 * 9, "{joined}");
        let base = parse_base("http://h/api/").unwrap();
        assert_eq!(
            join_plain(&base, "posts/1?r=1").as_deref(),
            Some("http://h/api/posts/1?r=1")
        );
        assert_eq!(join_plain(&base, "../x"), None);
        assert_eq!(
            join_plain(&parse_base("http://h/a/../").unwrap(), "x"),
            None
        );
    }

    #[test]
    fn only_http_urls_with_a_host_are_targets() {
        for ok in [
            "http://h/x",
            "HTTPS://h:8443/x?q#f",
            "http://[::1]:8080/",
            "http://u:p@h/",
        ] {
            assert_eq!(check_target(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://[::1",
            "http://h:99999/",
            "http:///x",
            "http://h:x/",
            "file:///etc/passwd",
            "data:text/plain,hi",
            "javascript:alert(1)",
            "ftp://h/",
            "posts/1",
        ] {
            assert!(check_target(bad).is_err(), "{bad}");
        }
    }

    fn join(input: &str) -> String {
        resolve(&parse_base("http://api.test/v1").unwrap().url, input)
    }

    #[test]
    fn joining_rule_table() {
        assert_eq!(join("posts/1"), "http://api.test/v1/posts/1");
        assert_eq!(join("/posts/1"), "http://api.test/posts/1");
        assert_eq!(join("../x"), "http://api.test/x");
        assert_eq!(join("?q=1"), "http://api.test/v1/?q=1");
        assert_eq!(join("https://other.test/x"), "https://other.test/x");
        assert_eq!(join("//other.test/x"), "http://other.test/x");
        assert_eq!(join(""), "http://api.test/v1/");
        assert_eq!(join("./a/./b/../c"), "http://api.test/v1/a/c");
        assert_eq!(join("../../../x"), "http://api.test/x");
        assert_eq!(join("posts?id=1#top"), "http://api.test/v1/posts?id=1#top");
    }

    #[test]
    fn base_with_trailing_slash_is_unchanged() {
        let b = parse_base("http://api.test/v1/").unwrap();
        assert_eq!(b.url, "http://api.test/v1/");
        assert_eq!(
            parse_base("http://api.test").unwrap().url,
            "http://api.test/"
        );
        assert_eq!(
            resolve(&parse_base("http://api.test").unwrap().url, "posts"),
            "http://api.test/posts"
        );
    }

    #[test]
    fn rfc3986_normal_examples() {
        // RFC 3986 §5.4.1, base http://a/b/c/d;p?q
        let base = "http://a/b/c/d;p?q";
        for (r, want) in [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            // RFC 3986 says `http://g`; fanout follows the WHATWG URL
            // standard (the browser's), where an http(s) path is never empty.
            ("//g", "http://g/"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q#s"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
            ("g;x=1/../y", "http://a/b/c/y"),
        ] {
            assert_eq!(resolve(base, r), want, "resolving {r:?}");
        }
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin("http://A.test:80/x").as_deref(),
            Some("http://a.test")
        );
        assert_eq!(
            origin("https://a.test:443").as_deref(),
            Some("https://a.test")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080/p?q").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin("http://user:pw@h.test:81/").as_deref(),
            Some("http://h.test:81")
        );
        assert_eq!(origin("/relative"), None);
        assert_eq!(origin("mailto:x@y"), None);
        assert_ne!(origin("http://localhost:1"), origin("http://127.0.0.1:1"));
    }

    #[test]
    fn bad_bases() {
        assert!(parse_base("not a url").is_err());
        assert!(parse_base("/relative").is_err());
        assert!(parse_base("ftp://x.test/").is_err());
        assert!(parse_base("http://x.test/?q=1").is_err());
        assert!(parse_base("http:///nohost").is_err());
        assert!(parse_base("http://[::1").is_err());
        assert!(parse_base("http://h:99999/").is_err());
        assert!(parse_base("http://h:port/").is_err());
        assert!(parse_base("http://[::1]:8080/").is_ok());
        assert!(parse_base("http://[::1]/").is_ok());
        assert!(parse_base("http://u:p@h.test:81/").is_ok());
    }

    #[test]
    fn query_appending() {
        assert_eq!(append_query("http://h/p", "a=1"), "http://h/p?a=1");
        assert_eq!(append_query("http://h/p?x=0", "a=1"), "http://h/p?x=0&a=1");
        assert_eq!(append_query("http://h/p?", "a=1"), "http://h/p?a=1");
        assert_eq!(append_query("http://h/p#f", "a=1"), "http://h/p?a=1#f");
        assert_eq!(append_query("http://h/p", ""), "http://h/p");
    }
}

/// URL joining against the WHATWG URL standard (the `url` crate, which
/// implements the browser's algorithm), over generated bases and
/// references. The grammar keeps to what both should agree on (lowercase
/// hosts, no percent-escapes, no backslashes); the cases where they
/// differ by design are tested apart below.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod differential {
    use super::*;
    use proptest::prelude::*;

    fn segment() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "a", "b", ".", "..", "x.y", "", "v1", "A", "%2e", ".%2E", "%2e%2e", "a b", "é", "a\\b",
            "..\\..",
        ])
    }

    fn base() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["http", "https"]),
            prop::sample::select(vec!["h", "api.test", "127.0.0.1", "[::1]"]),
            prop::option::of(prop::sample::select(vec!["8080", "1"])),
            prop::collection::vec(prop::sample::select(vec!["a", "b", "v1", "c.d"]), 0..4),
        )
            .prop_map(|(scheme, host, port, segs)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                let base = format!("{scheme}://{host}{port}/{}", segs.join("/"));
                parse_base(&base).expect("a valid base").url
            })
    }

    fn reference() -> impl Strategy<Value = String> {
        (
            0..10u8,
            prop::collection::vec(segment(), 0..5),
            prop::option::of(prop::sample::select(vec!["q=1", "", "a=b&c"])),
            prop::option::of(prop::sample::select(vec!["f", ""])),
        )
            .prop_map(|(form, segs, query, fragment)| {
                let path = segs.join("/");
                let mut r = match form {
                    0 | 1 => path,
                    2 => format!("/{path}"),
                    3 => format!("//other.test/{path}"),
                    4 => format!("https://o.test:8443/{path}"),
                    5 => format!("HTTP://O.Test:80/{path}"),
                    6 => format!("\\\\other.test\\{path}"),
                    7 => format!(" \t//other.test/{path}"),
                    8 => format!("/\\other.test/{path}"),
                    _ => String::new(),
                };
                if let Some(q) = query {
                    r.push('?');
                    r.push_str(q);
                }
                if let Some(f) = fragment {
                    r.push('#');
                    r.push_str(f);
                }
                r
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn is_absolute_matches_split(s in "[a-zA-Z0-9+.:/?#é \\\\-]{0,12}") {
            prop_assert_eq!(is_absolute(&s), split(&s).scheme.is_some(), "{:?}", s);
        }

        #[test]
        fn joining_matches_the_whatwg_standard(base in base(), reference in reference()) {
            let ours = resolve(&base, &reference);
            let escaped_host = split(&ours).authority.is_some_and(|a| a.contains('%'));
            match url::Url::parse(&base).unwrap().join(&reference) {
                // Deliberate: fanout refuses percent-escaped hosts.
                Ok(_) if escaped_host => prop_assert!(check_target(&ours).is_err(), "{}", ours),
                // Deliberate: a non-ASCII host is kept as given (the platform
                // sends it as punycode); fanout's origin check compares it as
                // given, so it never matches an ASCII base: a refusal, never
                // a leak.
                Ok(_) if !split(&ours).authority.is_none_or(|a| a.is_ascii()) => {
                    prop_assert_eq!(check_target(&ours), Ok(()));
                }
                Ok(theirs) => {
                    // The same URL once the platform reads fanout's string
                    // (which may keep a host's case, a default port or a
                    // `%2e` that the platform normalizes)...
                    let read = url::Url::parse(&ours);
                    prop_assert_eq!(read.as_ref().ok(), Some(&theirs), "base {} + {:?} gave {}", base, reference, ours);
                    // ...on the same origin, as fanout's guard sees it...
                    prop_assert_eq!(origin(&ours), Some(theirs.origin().ascii_serialization()));
                    prop_assert_eq!(check_target(&ours), Ok(()));
                    // ...and, for plain input, the very same string.
                    let plain = !reference.contains(|c: char| c.is_ascii_uppercase() || c == '%' || c == ' ' || c == '\\' || c == '\t' || !c.is_ascii())
                        && !reference.contains(":80/");
                    if plain {
                        prop_assert_eq!(&ours, theirs.as_str());
                    }
                }
                // The platform can't parse it (`///a`: an empty host): then
                // fanout refuses to send it.
                Err(_) => prop_assert!(check_target(&ours).is_err(), "{}", ours),
            }
        }
    }
}
