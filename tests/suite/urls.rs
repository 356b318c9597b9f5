//! URL joining: the platform's own `new URL(input, base)` (what fanout
//! joins with on wasm) against the `url` crate (the WHATWG standard in
//! Rust, what fanout joins with natively), over a generated corpus of
//! bases and references. In a browser or Node.js this compares the two
//! parsers: they must agree on every URL, and on its origin, which
//! fanout's cross-origin guard reads. Natively it checks fanout's short
//! way for plain paths against the `url` crate.

use fanout::Client;
use wasm_bindgen_test::wasm_bindgen_test;

const BASES: &[&str] = &[
    "http://h/",
    "http://api.test/v1/",
    "https://127.0.0.1:8443/a/b/",
    "http://[::1]:8080/x",
];

const SEGMENTS: &[&str] = &[
    "a", ".", "..", "", "A", "%2e", "%2E%2e", "a b", "x.y", "é", "a\\b", "..\\..",
];

fn references() -> Vec<String> {
    let mut out = Vec::new();
    let mut paths = vec![String::new()];
    for a in SEGMENTS {
        paths.push((*a).to_owned());
        for b in SEGMENTS {
            paths.push(format!("{a}/{b}"));
        }
    }
    let prefixes = [
        "",
        "/",
        "//other.test/",
        "https://o.test:8443/",
        "HTTP://O.Test:80/",
        "\\\\other.test\\",
        " \t//other.test/",
        "/\\other.test/",
        "?",
        "#",
    ];
    for (i, p) in paths.iter().enumerate() {
        let prefix = prefixes[i % prefixes.len()];
        let suffix = ["", "?q=1", "#f", "?a=b#c"][i % 4];
        out.push(format!("{prefix}{p}{suffix}"));
    }
    out
}

#[wasm_bindgen_test(unsupported = test)]
fn joining_matches_the_whatwg_standard_in_this_platform() {
    let refs = references();
    assert!(refs.len() > 150);
    let mut compared = 0;
    for base in BASES {
        let client = Client::builder().base_url(*base).build().unwrap();
        let base = client.base_url().unwrap().to_owned();
        for r in &refs {
            let ours = client.resolve(r);
            let theirs = url::Url::parse(&base).unwrap().join(r).ok();
            let theirs = theirs.filter(|u| matches!(u.scheme(), "http" | "https"));
            match (ours, theirs) {
                (Ok(ours), Some(theirs)) => {
                    assert_eq!(ours, theirs.as_str(), "{base} + {r:?}");
                    compared += 1;
                }
                (Err(e), Some(theirs)) => {
                    panic!("{base} + {r:?}: refused ({e}) but the url crate reads {theirs}")
                }
                (Ok(ours), None) => {
                    panic!("{base} + {r:?}: fanout accepts {ours}, the url crate can't parse it")
                }
                (Err(e), None) => assert!(e.is_builder(), "{e}"),
            }
        }
    }
    assert!(compared > 500, "compared {compared}");
}
