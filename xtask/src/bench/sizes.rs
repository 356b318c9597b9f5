//! The builds of the size table (the demo page, the minimal apps, one app
//! per decode path) and the cold-start rows' copies of the minimal apps.

use std::fs;
use std::path::PathBuf;

use super::{
    bench_dir, bench_inputs, bench_target, find, glue, member_inputs, wasm_pack, DECODE_APPS,
};
use crate::util::{self, Result};

/// Builds everything the size table compares and returns `sizes.tsv`:
/// `key<TAB>label<TAB>wasm<TAB>glue`, or `key<TAB>label<TAB>-<TAB>error`.
pub(super) fn build_sizes() -> Result<String> {
    let pkg = bench_target().join("pkg");
    let mut rows: Vec<(String, String, Result<PathBuf>)> = Vec::new();

    let demo = pkg.join("demo");
    rows.push((
        "demo".into(),
        "demo page (www/pkg: the `www/` crate)".into(),
        wasm_pack(
            "--release",
            &util::root().join("www"),
            &demo,
            Some("fanout"),
            &[],
            &member_inputs("www"),
        )
        .map(|()| demo),
    ));
    for (krate, label) in [
        ("min-fanout", "minimal app: fanout"),
        ("min-gloo", "minimal app: gloo-net 0.7 (http, json)"),
        ("min-reqwest", "minimal app: reqwest 0.13 (json)"),
    ] {
        let out = pkg.join(krate);
        let built = wasm_pack(
            "--release",
            &bench_dir().join(krate),
            &out,
            None,
            &[],
            &bench_inputs(&[krate]),
        );
        rows.push((krate.into(), label.into(), built.map(|()| out)));
    }
    for app in DECODE_APPS {
        let out = pkg.join(format!("decode-{app}"));
        let feature = format!("app-{app}");
        let built = wasm_pack(
            "--release",
            &bench_dir().join("min-decode"),
            &out,
            None,
            &["--features", &feature],
            &bench_inputs(&["min-decode"]),
        );
        rows.push((
            format!("decode-{app}"),
            format!("decode study, minimal app: {app}"),
            built.map(|()| out),
        ));
    }

    let mut tsv = String::new();
    for (key, label, built) in rows {
        let line = match built.and_then(|dir| {
            let wasm = find(&dir, "_bg.wasm").ok_or("no .wasm in the package")?;
            let js = glue(&dir).ok_or("no JS glue in the package")?;
            Ok::<_, Box<dyn std::error::Error>>((wasm, js))
        }) {
            Ok((wasm, js)) => format!("{key}\t{label}\t{}\t{}", wasm.display(), js.display()),
            Err(e) => {
                println!("warning: {label}: {e}");
                let e = e.to_string().replace(['\t', '\n'], " ");
                format!("{key}\t{label}\t-\tbuild failed: {e}")
            }
        };
        tsv.push_str(&line);
        tsv.push('\n');
    }
    Ok(tsv)
}

/// The minimal apps of fanout and gloo-net, as the size table built them,
/// copied to `bench/www/cold/{fanout,gloo}` where the dev server serves
/// them: the cold-start rows load each in a fresh page (`bench/run.mjs`).
/// An app whose build failed is left out (its row says so).
pub(super) fn stage_cold_apps() -> Result {
    let cold = bench_dir().join("www").join("cold");
    for (krate, name) in [("min-fanout", "fanout"), ("min-gloo", "gloo")] {
        let from = bench_target().join("pkg").join(krate);
        let to = cold.join(name);
        let _ = fs::remove_dir_all(&to);
        if !from.is_dir() {
            continue;
        }
        fs::create_dir_all(&to)?;
        for entry in fs::read_dir(&from)? {
            let path = entry?.path();
            if path.is_file() {
                fs::copy(&path, to.join(path.file_name().unwrap_or_default()))?;
            }
        }
    }
    Ok(())
}
