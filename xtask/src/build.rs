//! `cargo xtask build`: the release wasm packages, built with wasm-pack from
//! the crate of each front door: the demo page's (`www/`) and the npm
//! package's (`js/`).

use crate::util::{cmd, root, run, Result};

/// The npm package targets, each built into `pkg/<target>`.
pub const NPM_TARGETS: &[&str] = &["web", "bundler", "nodejs"];

/// The npm package's name (its crate is `fanout-js`, as a workspace can't
/// hold two crates named `fanout`).
const NPM_NAME: &str = "fanout";

/// The demo page's package: the `www/` crate into `www/pkg` (files named
/// `fanout.js` and `fanout_bg.wasm`, as `www/main.js` imports them).
pub fn build_page() -> Result {
    run(cmd("wasm-pack").current_dir(root().join("www")).args([
        "build",
        "--release",
        "--target",
        "web",
        "--out-dir",
        "pkg",
        "--out-name",
        NPM_NAME,
        "--no-typescript",
        "--no-pack",
    ]))
}

/// The npm packages (name `fanout`, no scope): the `js/` crate into
/// `pkg/web`, `pkg/bundler` and `pkg/nodejs`.
pub fn build_npm() -> Result {
    for target in NPM_TARGETS {
        let out_dir = format!("../pkg/{target}");
        run(cmd("wasm-pack").current_dir(root().join("js")).args([
            "build",
            "--release",
            "--target",
            target,
            "--out-dir",
            &out_dir,
            "--out-name",
            NPM_NAME,
        ]))?;
        rename_package(target)?;
    }
    install_vite_example()
}

/// wasm-pack names the package after its crate (`fanout-js`): give
/// `pkg/<target>/package.json` the npm name `fanout`.
fn rename_package(target: &str) -> Result {
    let path = root().join("pkg").join(target).join("package.json");
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let from = "\"name\": \"fanout-js\"";
    if !text.contains(from) {
        return Err(format!("{}: no {from} to rename", path.display()).into());
    }
    let renamed = text.replacen(from, &format!("\"name\": \"{NPM_NAME}\""), 1);
    std::fs::write(&path, renamed).map_err(|e| format!("writing {}: {e}", path.display()).into())
}

/// The Vite consumer in `examples/vite` depends on `file:../../pkg/bundler`,
/// so its packages (vite-plugin-wasm, pinned in its lock file) are
/// installed once that build exists.
fn install_vite_example() -> Result {
    let dir = root().join("examples").join("vite");
    if !dir.join("package.json").exists() {
        return Ok(());
    }
    run(cmd("npm")
        .current_dir(&dir)
        .args(["ci", "--no-audit", "--no-fund", "--prefer-offline"]))
}
