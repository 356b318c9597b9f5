//! fanout's two short ways, [`join_plain`] and [`origin`], against the
//! WHATWG URL standard (the `url` crate, the browser's algorithm), over
//! generated bases and references: `join_plain` gives the very URL the
//! platform gives or nothing, and the origin fanout's cross-origin guard
//! reads in a resolved URL is the platform's.

use super::*;
use proptest::prelude::*;

fn segment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a", "b", ".", "..", "x.y", "", "v1", "A", "%2e", ".%2E", "%2e%2e", "a b", "é", "a\\b",
        "..\\..", "a:b", "~$!*", "a'b", "%41", "...", "[x]",
    ])
}

fn base() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["http", "https", "HTTP"]),
        prop::sample::select(vec![
            "h",
            "api.test",
            "127.0.0.1",
            "[::1]",
            "u:p@Api.Test",
            "xn--bcher-kva.test",
        ]),
        prop::option::of(prop::sample::select(vec!["8080", "1", "80", "443"])),
        prop::collection::vec(
            prop::sample::select(vec!["a", "b", "v1", "c.d", "..", "%2e"]),
            0..4,
        ),
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
        prop::option::of(prop::sample::select(vec!["q=1", "", "a=b&c", "x/../y"])),
        prop::option::of(prop::sample::select(vec!["f", "", "a?b"])),
    )
        .prop_map(|(form, segs, query, fragment)| {
            let path = segs.join("/");
            let mut r = match form {
                0..=3 => path,
                4 => format!("/{path}"),
                5 => format!("//other.test/{path}"),
                6 => format!("https://o.test:8443/{path}"),
                7 => format!("HTTP://O.Test:80/{path}"),
                8 => format!("\\\\other.test\\{path}"),
                _ => format!(" \t//other.test/{path}"),
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
    fn join_plain_and_origin_match_the_whatwg_standard(base in base(), reference in reference()) {
        let theirs = url::Url::parse(&base).unwrap().join(&reference);
        let b = Base { origin: origin(&base).unwrap(), url: base.clone() };
        if let Some(ours) = join_plain(&b, &reference) {
            prop_assert_eq!(Some(ours.as_str()), theirs.as_ref().ok().map(url::Url::as_str), "{} + {:?}", base, reference);
        }
        match (resolve(Some(&base), &reference), theirs) {
            (Ok(ours), Ok(theirs)) => {
                prop_assert_eq!(ours.as_str(), theirs.as_str());
                prop_assert_eq!(origin(&ours), Some(theirs.origin().ascii_serialization()));
            }
            (Err(_), Ok(theirs)) => prop_assert!(!theirs.scheme().starts_with("http"), "{}", theirs),
            (Ok(ours), Err(e)) => prop_assert!(false, "{} + {:?}: {} but {}", base, reference, ours, e),
            (Err(_), Err(_)) => {}
        }
    }
}
