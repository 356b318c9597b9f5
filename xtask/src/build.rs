//! `cargo xtask build`: the release wasm packages, built with wasm-pack.

use crate::util::{cmd, run, Result};

/// The npm package targets, each built into `pkg/<target>`.
pub const NPM_TARGETS: &[&str] = &["web", "bundler", "nodejs"];

/// The demo page's package: `www/pkg`, built with the `demo` feature.
pub fn build_page() -> Result {
    run(cmd("wasm-pack").args([
        "build",
        "--release",
        "--target",
        "web",
        "--out-dir",
        "www/pkg",
        "--no-typescript",
        "--",
        "--features",
        "demo",
    ]))
}

/// The npm packages (name `fanout`, no scope): `pkg/web`, `pkg/bundler` and
/// `pkg/nodejs`, built with the `js` feature.
pub fn build_npm() -> Result {
    for target in NPM_TARGETS {
        let out_dir = format!("pkg/{target}");
        run(cmd("wasm-pack").args([
            "build",
            "--release",
            "--target",
            target,
            "--out-dir",
            &out_dir,
            "--",
            "--features",
            "js",
        ]))?;
    }
    install_vite_example()
}

/// The Vite consumer in `examples/vite` depends on `file:../../pkg/bundler`,
/// so its packages (vite-plugin-wasm, pinned in its lock file) are
/// installed once that build exists.
fn install_vite_example() -> Result {
    let dir = crate::util::root().join("examples").join("vite");
    if !dir.join("package.json").exists() {
        return Ok(());
    }
    run(cmd("npm")
        .current_dir(&dir)
        .args(["ci", "--no-audit", "--no-fund", "--prefer-offline"]))
}
