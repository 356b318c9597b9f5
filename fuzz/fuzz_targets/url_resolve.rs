//! URL joining: any base and reference, no panic; and the property the
//! cross-origin guard rests on, checked against the WHATWG URL standard
//! (the `url` crate, the browser's algorithm): whenever fanout would send
//! a joined URL and sees it on the base's origin, the platform reads it
//! on that same origin too. And the short way a client joins a plain path
//! (`join_plain`) gives what `resolve` gives. So default headers never leave the base
//! origin through a URL that fanout and the platform read differently.
#![no_main]

use fanout::__fuzz::{check_target, join_plain, origin, parse_base, resolve};
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
    let (base, home) = parse_base(base_text).unwrap();
    let ours = resolve(&base, reference);
    // The client's short way for plain paths gives the same URL.
    if let Some(joined) = join_plain(base_text, reference) {
        assert_eq!(joined, ours, "{base} + {reference:?}: join_plain and resolve differ");
    }
    if check_target(&ours).is_err() {
        return;
    }
    let Some(seen) = origin(&ours) else { return };
    let theirs = url::Url::parse(&ours);
    if seen == home {
        let theirs = theirs.unwrap_or_else(|e| {
            panic!("{base} + {reference:?} = {ours}: the platform can't parse it ({e})")
        });
        assert_eq!(
            theirs.origin().ascii_serialization(),
            home,
            "{base} + {reference:?} = {ours}: same origin for fanout, not for the platform"
        );
    }
});
