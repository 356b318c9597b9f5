//! URL joining against the platform's own `new URL(input, base)`, over a
//! generated corpus of bases and references (the native property test in
//! src/url.rs does the same against the `url` crate): every reference
//! fanout accepts goes where the platform would send it, on the origin
//! fanout's cross-origin guard believes; every one the platform can't
//! parse, fanout refuses.

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

/// The platform's URL parser: `new URL(input, base)` in JS, the `url`
/// crate (the WHATWG standard in Rust) natively.
#[cfg(target_arch = "wasm32")]
fn platform(input: &str, base: &str) -> Option<web_sys::Url> {
    web_sys::Url::new_with_base(input, base).ok()
}

#[cfg(not(target_arch = "wasm32"))]
fn platform(input: &str, base: &str) -> Option<NativeUrl> {
    url::Url::parse(base).ok()?.join(input).ok().map(NativeUrl)
}

/// `web_sys::Url`'s two getters this test reads, over the `url` crate.
#[cfg(not(target_arch = "wasm32"))]
struct NativeUrl(url::Url);

#[cfg(not(target_arch = "wasm32"))]
impl NativeUrl {
    fn protocol(&self) -> String {
        format!("{}:", self.0.scheme())
    }
    fn href(&self) -> String {
        self.0.as_str().to_owned()
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn joining_matches_new_url_in_this_platform() {
    let refs = references();
    assert!(refs.len() > 150);
    let mut compared = 0;
    for base in BASES {
        let client = Client::builder().base_url(*base).build().unwrap();
        let base = client.base_url().unwrap().to_owned();
        for r in &refs {
            let ours = client.resolve(r);
            let theirs =
                platform(r, &base).filter(|u| matches!(u.protocol().as_str(), "http:" | "https:"));
            match (ours, theirs) {
                (Ok(ours), Some(theirs)) => {
                    if ours
                        .split("//")
                        .nth(1)
                        .is_some_and(|a| !a.split('/').next().unwrap_or("").is_ascii())
                    {
                        // A non-ASCII host: kept as given (see src/url.rs).
                        continue;
                    }
                    let read = platform(&ours, &base).expect("the platform reads fanout's URL");
                    assert_eq!(read.href(), theirs.href(), "{base} + {r:?} gave {ours}");
                    compared += 1;
                }
                (Err(e), Some(theirs)) => {
                    // Deliberate refusals only: a percent-escaped host.
                    assert!(
                        r.contains('%') && e.is_builder(),
                        "{base} + {r:?}: refused ({e}) but the platform reads {}",
                        theirs.href()
                    );
                }
                (Ok(ours), None) => {
                    panic!("{base} + {r:?}: fanout accepts {ours}, the platform can't parse it")
                }
                (Err(e), None) => assert!(e.is_builder(), "{e}"),
            }
        }
    }
    assert!(compared > 500, "compared {compared}");
}
