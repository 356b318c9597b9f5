//! The URL rules, by example.

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
