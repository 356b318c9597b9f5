//! `cargo xtask setup`: checks each tool and installs what is missing.
//!
//! Every check is cheap, so running it before each `build`/`serve`/`test` is
//! fast when everything is present. One line per thing: `ok: ...` or
//! `installing: ...` (said before the install starts).

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use crate::util::{self, cargo, cmd, run, which, Result};

/// The wasm-pack release the project builds with.
pub const WASM_PACK_VERSION: &str = "0.15.1";
/// The Rust target of the wasm crate.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The npm packages of `tools/package.json`, shown with their versions.
const NPM_TOOLS: &[&str] = &["binaryen", "playwright-core", "typescript", "vite"];
/// Binaries in `tools/node_modules/.bin` that must be there.
const NPM_BINS: &[&str] = &["wasm-opt", "tsc", "vite"];

/// One thing a command depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dep {
    /// `rustup target add wasm32-unknown-unknown`.
    Target,
    /// wasm-pack [`WASM_PACK_VERSION`].
    WasmPack,
    /// wasm-bindgen-cli at the version of `wasm-bindgen` in Cargo.lock.
    WasmBindgen,
    /// node and npm (Debian's `nodejs npm` when missing).
    Node,
    /// `npm ci` in `tools/` (wasm-opt, playwright-core, tsc, vite).
    NpmTools,
    /// Debian's chromium, chromium-driver and firefox-esr.
    Browsers,
    /// geckodriver, from crates.io.
    Geckodriver,
}

/// Everything (`setup` and `test`).
pub const ALL: &[Dep] = &[
    Dep::Target,
    Dep::WasmPack,
    Dep::WasmBindgen,
    Dep::Node,
    Dep::NpmTools,
    Dep::Browsers,
    Dep::Geckodriver,
];

/// What building the wasm packages needs (`build` and `serve`).
pub const BUILD: &[Dep] = &[
    Dep::Target,
    Dep::WasmPack,
    Dep::WasmBindgen,
    Dep::Node,
    Dep::NpmTools,
];

/// Checks `deps` in order, installing what is missing.
pub fn ensure(deps: &[Dep]) -> Result {
    for dep in deps {
        match dep {
            Dep::Target => target()?,
            Dep::WasmPack => wasm_pack()?,
            Dep::WasmBindgen => wasm_bindgen()?,
            Dep::Node => node()?,
            Dep::NpmTools => npm_tools()?,
            Dep::Browsers => browsers()?,
            Dep::Geckodriver => geckodriver()?,
        }
    }
    util::flush();
    Ok(())
}

fn ok(what: &str) {
    println!("ok: {what}");
}

fn installing(what: &str) {
    println!("installing: {what}");
    util::flush();
}

fn target() -> Result {
    let installed = util::capture(cmd("rustup").args(["target", "list", "--installed"]));
    let Some(installed) = installed else {
        // No rustup: accept a sysroot that already has the target.
        let sysroot = util::capture(cmd("rustc").args(["--print", "sysroot"])).unwrap_or_default();
        if Path::new(&sysroot)
            .join("lib/rustlib")
            .join(WASM_TARGET)
            .is_dir()
        {
            ok(&format!("rust target {WASM_TARGET}"));
            return Ok(());
        }
        return Err(format!(
            "rustup not found and rustc has no {WASM_TARGET} target; install rustup, then \
             `rustup target add {WASM_TARGET}`"
        )
        .into());
    };
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        ok(&format!("rust target {WASM_TARGET}"));
        return Ok(());
    }
    installing(&format!("rust target {WASM_TARGET}"));
    run(cmd("rustup").args(["target", "add", WASM_TARGET]))
}

/// `cargo install` from a neutral directory, so the workspace's
/// `.cargo/config.toml` (a build target, say) does not apply to the tool.
fn cargo_install(args: &[&str]) -> Command {
    let mut command = cargo();
    command
        .current_dir(std::env::temp_dir())
        .arg("install")
        .args(args);
    command
}

/// The version a `tool --version` prints as its second word.
fn tool_version(program: &str) -> Option<String> {
    let out = util::capture(cmd(program).arg("--version"))?;
    parse_version_output(&out)
}

/// `"wasm-pack 0.15.1"` → `"0.15.1"`.
pub fn parse_version_output(out: &str) -> Option<String> {
    let version = out.lines().next()?.split_whitespace().nth(1)?;
    Some(version.trim_start_matches('v').to_owned())
}

/// Whether `tool` is at version `want` (then says so, as `label` and
/// `note`); else says that `label` `want` is being installed.
fn has_version(tool: &str, label: &str, want: &str, note: &str) -> bool {
    match tool_version(tool) {
        Some(v) if v == want => {
            ok(&format!("{label} {v}{note}"));
            true
        }
        Some(v) => {
            installing(&format!("{label} {want} (found {v})"));
            false
        }
        None => {
            installing(&format!("{label} {want}"));
            false
        }
    }
}

fn wasm_pack() -> Result {
    if has_version("wasm-pack", "wasm-pack", WASM_PACK_VERSION, "") {
        return Ok(());
    }
    run(&mut cargo_install(&[
        "wasm-pack",
        "--version",
        WASM_PACK_VERSION,
        "--locked",
    ]))
}

/// The version of the `wasm-bindgen` package recorded in `lock` (a
/// Cargo.lock's text).
pub fn lock_version(lock: &str, package: &str) -> Option<String> {
    let wanted = format!("name = \"{package}\"");
    lock.split("[[package]]").find_map(|block| {
        let mut lines = block.lines().map(str::trim);
        if !lines.clone().any(|l| l == wanted) {
            return None;
        }
        lines.find_map(|l| {
            let v = l.strip_prefix("version = \"")?.strip_suffix('"')?;
            Some(v.to_owned())
        })
    })
}

/// The wasm-bindgen version the workspace is locked to.
pub fn wasm_bindgen_version() -> Result<String> {
    let path = util::root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "reading {}: {e} (run `cargo generate-lockfile`)",
            path.display()
        )
    })?;
    lock_version(&lock, "wasm-bindgen")
        .ok_or_else(|| format!("no wasm-bindgen package in {}", path.display()).into())
}

fn wasm_bindgen() -> Result {
    let want = wasm_bindgen_version()?;
    if has_version(
        "wasm-bindgen",
        "wasm-bindgen-cli",
        &want,
        " (as in Cargo.lock)",
    ) {
        return Ok(());
    }
    let locked = run(&mut cargo_install(&[
        "wasm-bindgen-cli",
        "--version",
        &want,
        "--locked",
    ]));
    if let Err(e) = locked {
        // wasm-bindgen-cli's own lock can name versions the registry no
        // longer has; resolve afresh then.
        println!("{e}; retrying without --locked");
        run(&mut cargo_install(&[
            "wasm-bindgen-cli",
            "--version",
            &want,
        ]))?;
    }
    Ok(())
}

fn geckodriver() -> Result {
    if which("geckodriver").is_some() {
        let version = tool_version("geckodriver").unwrap_or_else(|| "(version unknown)".into());
        ok(&format!("geckodriver {version}"));
        return Ok(());
    }
    installing("geckodriver");
    run(&mut cargo_install(&["geckodriver", "--locked"]))
}

fn node() -> Result {
    let mut missing = Vec::new();
    if which("node").is_none() {
        missing.push("nodejs");
    }
    if which("npm").is_none() {
        missing.push("npm");
    }
    if !missing.is_empty() {
        apt_install(&missing)?;
    }
    let node = util::capture(cmd("node").arg("--version")).unwrap_or_else(|| "?".into());
    let npm = util::capture(cmd("npm").arg("--version")).unwrap_or_else(|| "?".into());
    ok(&format!("node {node}, npm {npm}"));
    let major: u32 = node
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        println!("warning: node {node} is older than 20; vite 7 needs node 20.19 or later");
    }
    Ok(())
}

fn browsers() -> Result {
    let mut missing = Vec::new();
    for (path, package) in [
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
    ] {
        if Path::new(path).exists() {
            ok(&format!("{package} ({path})"));
        } else {
            missing.push(package);
        }
    }
    match which("firefox-esr") {
        Some(path) => ok(&format!("firefox-esr ({})", path.display())),
        None => missing.push("firefox-esr"),
    }
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(&missing)
}

static APT_UPDATED: AtomicBool = AtomicBool::new(false);

fn is_root() -> bool {
    util::capture(Command::new("id").arg("-u")).as_deref() == Some("0")
}

/// Installs Debian packages: as root directly, else through sudo, else fails
/// saying what to install.
fn apt_install(packages: &[&str]) -> Result {
    let list = packages.join(" ");
    let sudo = if is_root() {
        false
    } else if which("sudo").is_some() {
        true
    } else {
        return Err(format!(
            "missing Debian packages: {list}; install them as root with \
             `apt-get install -y --no-install-recommends {list}`"
        )
        .into());
    };
    installing(&format!(
        "{list} (apt-get{})",
        if sudo { " via sudo" } else { "" }
    ));
    let apt = |args: &[&str]| {
        let mut command = if sudo {
            let mut c = cmd("sudo");
            c.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            c
        } else {
            let mut c = cmd("apt-get");
            c.env("DEBIAN_FRONTEND", "noninteractive");
            c
        };
        command.args(args);
        command
    };
    if !APT_UPDATED.swap(true, Ordering::SeqCst) {
        run(&mut apt(&["update"]))?;
    }
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend_from_slice(packages);
    run(&mut apt(&args))
}

fn mtime(path: &Path) -> Option<SystemTime> {
    path.metadata().and_then(|m| m.modified()).ok()
}

/// Whether `tools/node_modules` is there, complete and not older than
/// `tools/package-lock.json`.
fn npm_tools_fresh(tools: &Path) -> bool {
    let modules = tools.join("node_modules");
    let Some(lock) = mtime(&tools.join("package-lock.json")) else {
        return false;
    };
    // npm rewrites node_modules/.package-lock.json on every install.
    let installed = [modules.clone(), modules.join(".package-lock.json")]
        .iter()
        .filter_map(|p| mtime(p))
        .max();
    let complete = NPM_BINS
        .iter()
        .all(|bin| modules.join(".bin").join(bin).exists())
        && NPM_TOOLS
            .iter()
            .all(|pkg| modules.join(pkg).join("package.json").exists());
    complete && installed.is_some_and(|t| t >= lock)
}

/// The `"version"` of a package.json's text (the first one, at top level in
/// npm's own formatting).
pub fn package_json_version(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("\"version\":")?;
        Some(
            rest.trim()
                .trim_end_matches(',')
                .trim_matches('"')
                .to_owned(),
        )
    })
}

fn npm_versions(tools: &Path) -> String {
    NPM_TOOLS
        .iter()
        .map(|pkg| {
            let path = tools.join("node_modules").join(pkg).join("package.json");
            let version = std::fs::read_to_string(path)
                .ok()
                .and_then(|t| package_json_version(&t))
                .unwrap_or_else(|| "?".into());
            format!("{pkg} {version}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn npm_tools() -> Result {
    let tools = util::tools_dir();
    if !npm_tools_fresh(&tools) {
        installing("npm tools (npm ci in tools/)");
        let mut command = cmd("npm");
        command
            .current_dir(&tools)
            .args(["ci", "--no-audit", "--no-fund"]);
        run(&mut command)?;
        if !npm_tools_fresh(&tools) {
            return Err("`npm ci` in tools/ did not install wasm-opt, tsc and vite".into());
        }
    }
    ok(&format!("npm tools: {}", npm_versions(&tools)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "00"
dependencies = [
 "wasm-bindgen-macro",
]

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.130"
"#;

    #[test]
    fn finds_locked_version() {
        assert_eq!(
            lock_version(LOCK, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            lock_version(LOCK, "wasm-bindgen-backend").as_deref(),
            Some("0.2.99")
        );
        assert_eq!(lock_version(LOCK, "serde"), None);
    }

    #[test]
    fn workspace_lock_has_wasm_bindgen() {
        let v = wasm_bindgen_version().unwrap();
        assert!(v.starts_with("0.2."), "{v}");
    }

    #[test]
    fn parses_tool_versions() {
        assert_eq!(
            parse_version_output("wasm-pack 0.15.1\n").as_deref(),
            Some("0.15.1")
        );
        assert_eq!(
            parse_version_output("wasm-bindgen 0.2.130").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            parse_version_output("geckodriver 0.37.1\n\nThe source code...").as_deref(),
            Some("0.37.1")
        );
        assert_eq!(parse_version_output("weird"), None);
    }

    #[test]
    fn reads_package_json_version() {
        let text = "{\n  \"name\": \"vite\",\n  \"version\": \"7.3.8\",\n  \"type\": \"module\"\n}";
        assert_eq!(package_json_version(text).as_deref(), Some("7.3.8"));
    }
}
