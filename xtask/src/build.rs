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

/// The server-rendered example page (`examples/ssr`): its wasm into
/// `www/ssr/pkg` and its native renderer, `target/debug/fanout-ssr`, which
/// the e2e test runs to render `www/ssr/index.html`.
pub fn build_ssr() -> Result {
    run(cmd("wasm-pack")
        .current_dir(root().join("examples/ssr"))
        .args([
            "build",
            "--release",
            "--target",
            "web",
            "--out-dir",
            "../../www/ssr/pkg",
            "--out-name",
            "fanout_ssr",
            "--no-typescript",
            "--no-pack",
        ]))?;
    run(crate::util::cargo().args(["build", "-p", "fanout-ssr"]))
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
        if *target == "nodejs" {
            commonjs_snippets(&root().join("pkg").join(target).join("snippets"))?;
        }
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

/// Compiles the file named by its argument as a CommonJS module body
/// (without running it): a `SyntaxError` for `export` or `import`.
const CHECK_COMMONJS: &str = "require('vm').compileFunction(\
require('fs').readFileSync(process.argv[1], 'utf8'), \
['exports', 'require', 'module', '__filename', '__dirname'])";

/// The package's JS snippets (`js/src/response.js`) are ES modules, which
/// the `nodejs` build's CommonJS glue `require`s: Node.js loads that only
/// from 20.19 and 22.12 on. Rewrite them as CommonJS in `pkg/nodejs`, so the
/// package loads in every Node.js 20: each top-level `export class` or
/// `export function` loses `export`, and one `module.exports` lists them.
fn commonjs_snippets(dir: &std::path::Path) -> Result {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            commonjs_snippets(&path)?;
            continue;
        }
        if path.extension().is_none_or(|e| e != "js") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let mut names = Vec::new();
        let mut out = String::with_capacity(text.len() + 64);
        for line in text.lines() {
            let rest = line.strip_prefix("export ");
            let name = rest.and_then(|r| {
                let r = r
                    .strip_prefix("class ")
                    .or_else(|| r.strip_prefix("function "))?;
                let end = r
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .unwrap_or(r.len());
                Some(&r[..end]).filter(|n| !n.is_empty())
            });
            match (rest, name) {
                (Some(rest), Some(name)) => {
                    names.push(name.to_owned());
                    out.push_str(rest);
                }
                (Some(_), None) => {
                    return Err(format!(
                        "{}: an export other than `export class NAME` or `export function NAME`: {line}",
                        path.display()
                    )
                    .into())
                }
                _ if line.starts_with("import ") => {
                    return Err(format!(
                        "{}: an import, which CommonJS can't load: {line}",
                        path.display()
                    )
                    .into())
                }
                _ => out.push_str(line),
            }
            out.push('\n');
        }
        if names.is_empty() {
            continue;
        }
        out.push_str(&format!("module.exports = {{ {} }};\n", names.join(", ")));
        std::fs::write(&path, out).map_err(|e| format!("writing {}: {e}", path.display()))?;
        // Parsed as CommonJS (as Node.js before 20.19 would load it): a
        // rewrite that left ES module syntax fails the build, not a user.
        run(cmd("node").arg("-e").arg(CHECK_COMMONJS).arg(&path))?;
    }
    Ok(())
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
