//! URL joining: any base and reference, no panic; and the properties the
//! cross-origin guard rests on, checked against the WHATWG URL standard
//! (the `url` crate, the browser's algorithm): the short way a client
//! joins a plain path (`join_plain`) gives exactly the platform's URL, and
//! the origin fanout reads in a resolved URL is the platform's. So default
//! headers never leave the base origin through a URL that fanout and the
//! platform read differently.
#![no_main]

use fanout::__fuzz::{join_plain, origin, parse_base, resolve};
use libfuzzer_sys::fuzz_target;

const BASES: &[&str] = &[
    "http://api.test/v1/",
    "https://127.0.0.1:8443/a/b",
    "http://[::1]:8080/",
    "http://h/",
    "https://example.com/x/y/z/",
];

fuzz_target!(|input: (u8, &str, &str)| {
    let (pick, base_text, reference) = input;
    // Any text as a base: checked, and when accepted, an http(s) origin.
    if let Ok((url, origin_of_base)) = parse_base(base_text) {
        assert!(url.ends_with('/'), "{url}");
        assert!(origin_of_base.starts_with("http://") || origin_of_base.starts_with("https://"));
        let _ = resolve(&url, reference);
    }
    let base_text = BASES[usize::from(pick) % BASES.len()];
    let (base, _) = parse_base(base_text).unwrap();
    let theirs = url::Url::parse(&base).unwrap().join(reference);
    // The client's short way for plain paths gives the platform's URL.
    if let Some(joined) = join_plain(base_text, reference) {
        assert_eq!(
            Some(joined.as_str()),
            theirs.as_ref().ok().map(url::Url::as_str),
            "{base} + {reference:?}: join_plain and the platform differ"
        );
    }
    let Ok(ours) = resolve(&base, reference) else { return };
    let theirs = theirs.expect("fanout resolved what the platform can't");
    assert_eq!(
        origin(&ours),
        Some(theirs.origin().ascii_serialization()),
        "{base} + {reference:?} = {ours}: fanout's origin is not the platform's"
    );
});
