//! The URL rules, by example (natively: `sys::parse_url` is the `url`
//! crate here).

use super::*;

#[test]
fn is_absolute_means_a_scheme() {
    for (s, want) in [
        ("http://h/", true),
        ("HTTP:x", true),
        ("a:", true),
        (":x", false),
        ("1a:b", false),
        ("a1+.-:b", true),
        ("a b:c", false),
        ("a/b:c", false),
        ("a?b:c", false),
        ("a#b:c", false),
        ("posts/1", false),
        ("", false),
        ("é:x", false),
        ("a\\:b", false),
        ("mailto:x", true),
        ("//h/x", false),
        ("?a:b", false),
    ] {
        assert_eq!(is_absolute(s), want, "{s:?}");
    }
}

fn platform(base: &str, reference: &str) -> Option<String> {
    sys::parse_url(reference, Some(base))
}

#[test]
fn join_plain_is_the_platform_or_nothing() {
    let bases = [
        "http://h/",
        "http://h:8/api/v1/",
        "https://u:p@h/a/b",
        "http://h/a/../b/",
        "http://h/%2e/",
        "http://[::1]:8/x/",
        "HTTP://H.Test:80/A/",
    ];
    let refs = [
        "posts/1",
        "posts/1?r=a-1&delay=5",
        "posts/1#frag",
        "posts/1?q=../x#y",
        "a/b/c/",
        "x.json",
        "a..b/c",
        "a/...",
        "a/%2e%2e%2e",
        "%7e/x%20y",
        "a/b:c",
        "a/b@c;d=e,f+g$h!i*(j)~",
        "./x",
        "../x",
        "a/./b",
        "a/../b",
        "a/%2e%2E/b",
        "a/.%2e",
        "a/%2E",
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
        "é/ü?ß",
        "a?it's",
        "a#`x`",
        "a{b}",
        "a^b",
        "a|b",
        "a\"b",
        "a<b>",
    ];
    let mut joined = 0;
    for b in bases {
        let base = parse_base(b).unwrap();
        for r in refs {
            let theirs = platform(&base.url, r);
            if let Some(url) = join_plain(&base, r) {
                joined += 1;
                assert_eq!(Some(&url), theirs.as_ref(), "{b} + {r:?}");
            }
        }
    }
    // Plain references take the short way on every base (which the
    // platform has normalized: no dot segment is left in it).
    assert_eq!(joined, bases.len() * 12, "{joined}");
    let base = parse_base("http://h/api/").unwrap();
    assert_eq!(
        join_plain(&base, "posts/1?r=1").as_deref(),
        Some("http://h/api/posts/1?r=1")
    );
    assert_eq!(join_plain(&base, "../x"), None);
    assert_eq!(parse_base("http://h/a/../").unwrap().url, "http://h/");
}

#[test]
fn only_http_urls_with_a_host_are_targets() {
    for ok in [
        "http://h/x",
        "HTTPS://h:8443/x?q#f",
        "http://[::1]:8080/",
        "http://u:p@h/",
    ] {
        assert!(resolve(None, ok).is_ok(), "{ok}");
    }
    assert_eq!(
        resolve(None, "HTTPS://H:443/x?q#f").as_deref(),
        Ok("https://h/x?q#f")
    );
    for bad in [
        "http://[::1",
        "http://h:99999/",
        "http://h:x/",
        "file:///etc/passwd",
        "data:text/plain,hi",
        "javascript:alert(1)",
        "ftp://h/",
        "posts/1",
    ] {
        let e = resolve(None, bad).unwrap_err();
        assert!(e.starts_with(&format!("invalid URL \"{bad}\": ")), "{e}");
    }
    // The WHATWG parser skips extra slashes after an http(s) scheme.
    assert_eq!(resolve(None, "http:///x").as_deref(), Ok("http://x/"));
    assert!(resolve(None, "ftp://h/")
        .unwrap_err()
        .contains("only http:// and https://"));
}

fn join(input: &str) -> String {
    resolve(Some(&parse_base("http://api.test/v1").unwrap().url), input).unwrap()
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
    // What the platform rewrites, it rewrites here too.
    assert_eq!(join("\\\\evil.test\\x"), "http://evil.test/x");
    assert_eq!(join(" \t//evil.test/x"), "http://evil.test/x");
    assert_eq!(join("é b"), "http://api.test/v1/%C3%A9%20b");
}

#[test]
fn base_with_trailing_slash_is_unchanged() {
    let b = parse_base("http://api.test/v1/").unwrap();
    assert_eq!(b.url, "http://api.test/v1/");
    assert_eq!(b.origin, "http://api.test");
    assert_eq!(
        parse_base("http://api.test").unwrap().url,
        "http://api.test/"
    );
    assert_eq!(
        parse_base("HTTPS://Api.Test:443/V1").unwrap(),
        Base {
            url: "https://api.test/V1/".to_owned(),
            origin: "https://api.test".to_owned(),
        }
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
        // RFC 3986 says `http://g`; the WHATWG URL standard (the
        // browser's) never leaves an http(s) path empty.
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
        assert_eq!(
            resolve(Some(base), r).as_deref(),
            Ok(want),
            "resolving {r:?}"
        );
    }
}

#[test]
fn origins() {
    for (url, want) in [
        ("http://A.test:80/x", Some("http://a.test")),
        ("https://a.test:443", Some("https://a.test")),
        ("http://127.0.0.1:8080/p?q", Some("http://127.0.0.1:8080")),
        ("http://user:pw@h.test:81/", Some("http://h.test:81")),
        ("http://us%40er:p@ss@h.test/", Some("http://h.test")),
        ("http://[::1]:8/", Some("http://[::1]:8")),
        ("/relative", None),
        ("mailto:x@y", None),
        ("ftp://h/", None),
    ] {
        // `origin` reads what the parser serialized; `origin_of` parses.
        assert_eq!(origin_of(url).as_deref(), want, "{url}");
        let href = sys::parse_url(url, None);
        assert_eq!(href.as_deref().and_then(origin).as_deref(), want, "{url}");
    }
    assert_ne!(origin("http://localhost:1/"), origin("http://127.0.0.1:1/"));
}

#[test]
fn bad_bases() {
    for bad in [
        "not a url",
        "/relative",
        "ftp://x.test/",
        "http://x.test/?q=1",
        "http://x.test/?",
        "http://x.test/#",
        "http://[::1",
        "http://h:99999/",
        "http://h:port/",
        "http://h/a b",
        " http://h/",
    ] {
        assert!(parse_base(bad).is_err(), "{bad}");
    }
    assert_eq!(
        parse_base("not a url").unwrap_err(),
        "invalid base URL \"not a url\": expected an absolute http:// or https:// URL"
    );
    assert!(parse_base("http://[::1]:8080/").is_ok());
    assert!(parse_base("http://[::1]/").is_ok());
    assert!(parse_base("http://u:p@h.test:81/").is_ok());
}

#[cfg(feature = "mock")]
#[test]
fn paths() {
    for (url, want) in [
        ("http://h/a/b?q#f", "/a/b"),
        ("http://h/", "/"),
        ("https://u@h:8/x#y", "/x"),
        ("http://h", "/"),
    ] {
        assert_eq!(path_of(url), want, "{url}");
    }
}

#[test]
fn query_appending() {
    assert_eq!(append_query("http://h/p", "a=1"), "http://h/p?a=1");
    assert_eq!(append_query("http://h/p?x=0", "a=1"), "http://h/p?x=0&a=1");
    assert_eq!(append_query("http://h/p?", "a=1"), "http://h/p?a=1");
    assert_eq!(append_query("http://h/p#f", "a=1"), "http://h/p?a=1#f");
    assert_eq!(append_query("http://h/p", ""), "http://h/p");
}
