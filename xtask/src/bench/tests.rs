use super::*;

const MANIFEST: &str = r#"
[package]
name = "x"

[profile.release]
# small and fast
opt-level = "s"
lto = true

[package.metadata.wasm-pack.profile.release]
wasm-opt = ["-Os", "--enable-bulk-memory"]
"#;

#[test]
fn reads_the_release_profile() {
    assert_eq!(
        profile_section(MANIFEST),
        vec!["opt-level = \"s\"".to_owned(), "lto = true".to_owned()]
    );
    assert!(profile_section("[package]\nname = \"x\"\n").is_empty());
}

#[test]
fn reads_the_wasm_opt_flags() {
    assert_eq!(
        wasm_opt_line(MANIFEST).as_deref(),
        Some(r#"wasm-opt = ["-Os", "--enable-bulk-memory"]"#)
    );
    assert_eq!(wasm_opt_line("[profile.release]\nlto = true\n"), None);
}

#[test]
fn only_picks_the_browser_or_the_native_parts() {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let both = Parts {
        browser: true,
        native: true,
    };
    assert_eq!(Parts::of(&args(&[])), both);
    assert_eq!(Parts::of(&args(&["--rounds", "9"])), both);
    assert_eq!(
        Parts::of(&args(&["--only", "native", "--rounds", "21"])),
        Parts {
            browser: false,
            native: true
        }
    );
    assert_eq!(
        Parts::of(&args(&["--only", "photos,decode"])),
        Parts {
            browser: true,
            native: false
        }
    );
    assert_eq!(Parts::of(&args(&["--only", "native,delay"])), both);
}

#[test]
fn bench_builds_like_the_root() {
    check_profiles().unwrap();
}
