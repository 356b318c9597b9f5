//! `cargo xtask bench [--profile] [--rounds N] [--warmup N] [--only PART,...]`:
//! fanout against plain JS, gloo-net and reqwest in headless Chromium, plus
//! sizes, memory and the JSON-decoding study (issues 3 and 6), and the
//! native rows: fanout natively beside reqwest natively (issue 24).
//!
//! 1. Builds, all in release mode with the root's profile and wasm-opt flags
//!    (binaryen's wasm-opt from `tools/` first on `PATH`), into `bench/target`:
//!    the bench page (`bench/page` → `bench/www/pkg`), fanout's JS API (the
//!    `js/` crate → `bench/www/pkg-js`), and for the size table the demo
//!    page (the `www/` crate, as `cargo xtask build` makes it), the minimal
//!    apps `bench/min-{fanout,gloo,reqwest}` and one minimal app per decode
//!    path (`bench/min-decode`, `app-*` features).
//!    A package newer than all its inputs is not rebuilt. The minimal apps
//!    of fanout and gloo-net are then copied to `bench/www/cold/` for the
//!    cold-start rows. The native rows' program, `bench/native`, is built
//!    natively with cargo (profile `native` of `bench/Cargo.toml`) into
//!    `bench/target/native`.
//!    `--only native` builds only that (and the dev server).
//! 2. Starts the release dev server on a free port with `--root bench`, so
//!    `/` is `bench/index.html`, `/www/...` is `bench/www/...`, and the API
//!    is on the same origin.
//! 3. Runs `node bench/run.mjs` (playwright-core driving `/usr/bin/chromium`),
//!    which prints the Markdown report and writes `target/bench/results.md`
//!    and `target/bench/results.json`. The arguments of `bench` are passed
//!    on to it, with `--native <program>`: the driver runs the native rows
//!    first, before it starts Chromium (and does not start it for
//!    `--only native`).
//!
//! The bench crates are their own workspace (the root one excludes
//! `bench/`), so `cargo test --workspace` never compiles reqwest natively,
//! and neither does `cargo xtask` itself: reqwest and fanout are
//! dependencies of `bench/native`, never of xtask.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, SystemTime};

use crate::devserver;
use crate::setup;
use crate::util::{self, cargo, cmd, run, Result};

/// Chromium the driver launches (the `CHROMIUM` env var overrides it).
const CHROMIUM: &str = "/usr/bin/chromium";

/// The native rows' program (`bench/native`).
const NATIVE: &str = "fanout-bench-native";

/// The decode paths of the study that get a minimal app (`app-<path>`);
/// `base` fetches without decoding, for the "size added" column.
const DECODE_APPS: &[&str] = &[
    "base",
    "text",
    "swb",
    "slice",
    "slice-path",
    "stream",
    "stream-presized",
    "borrow",
];

fn bench_dir() -> PathBuf {
    util::root().join("bench")
}

/// Where the bench crates build: their own target dir.
fn bench_target() -> PathBuf {
    bench_dir().join("target")
}

/// Where the results go: `target/bench`.
fn out_dir() -> PathBuf {
    util::target_dir().join("bench")
}

pub fn bench(args: &[String]) -> Result {
    let parts = Parts::of(args);
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
    if parts.browser {
        setup::ensure(setup::BUILD)?;
        if !Path::new(&chromium).exists() {
            return Err(format!("{chromium} not found; run `cargo xtask setup`").into());
        }
    } else {
        // The driver alone (node and its npm tools): no wasm, no browser.
        setup::ensure(&[setup::Dep::Node, setup::Dep::NpmTools])?;
    }
    check_profiles()?;
    fs::create_dir_all(out_dir())?;

    println!("== building (release) into {}", bench_target().display());
    let mut sizes_file = None;
    if parts.browser {
        build_page()?;
        let profiling = args.iter().any(|a| a == "--profile");
        if profiling {
            build_page_profiling()?;
        }
        let fanout_js = build_fanout_js(profiling);
        let sizes = build_sizes()?;
        let file = out_dir().join("sizes.tsv");
        fs::write(&file, sizes)?;
        stage_cold_apps()?;
        if let Err(e) = &fanout_js {
            println!("warning: fanout's JS API is left out: {e}");
        }
        sizes_file = Some(file);
    }
    let native = if parts.native {
        match build_native() {
            Ok(program) => Some(program),
            // Alone, the native rows must build; beside the browser's
            // parts, they are left out with a warning (as the JS API).
            Err(e) if parts.browser => {
                println!("warning: the native rows are left out: {e}");
                None
            }
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    devserver::build()?;

    println!("== running");
    let server = BenchServer::spawn()?;
    println!("{}", server.line);
    let mut driver = cmd("node");
    driver
        .arg(bench_dir().join("run.mjs"))
        .arg("--url")
        .arg(format!("{}/", server.url))
        .args(
            server
                .https_url
                .iter()
                .flat_map(|u| ["--url-h2".to_owned(), format!("{u}/")]),
        )
        .arg("--out")
        .arg(out_dir());
    if let Some(file) = &sizes_file {
        driver.arg("--sizes").arg(file);
    }
    if let Some(program) = &native {
        driver.arg("--native").arg(program);
    }
    driver.args(args).env("CHROMIUM", &chromium);
    let result = run(&mut driver);
    drop(server);
    result
}

/// Which kinds of parts a run wants, from its `--only` (none: all).
#[derive(Debug, PartialEq)]
struct Parts {
    /// Any part measured in Chromium (every part but `native`).
    browser: bool,
    /// The native rows (`native`).
    native: bool,
}

impl Parts {
    fn of(args: &[String]) -> Parts {
        let only = args
            .iter()
            .position(|a| a == "--only")
            .and_then(|i| args.get(i + 1));
        match only {
            None => Parts {
                browser: true,
                native: true,
            },
            Some(list) => {
                let parts: Vec<&str> = list.split(',').collect();
                Parts {
                    browser: parts.iter().any(|p| *p != "native"),
                    native: parts.contains(&"native"),
                }
            }
        }
    }
}

/// The native rows' program: `bench/native` built natively (cargo profile
/// `native`: opt-level 3, as a server's release build) into
/// `bench/target/native`; cargo itself skips an up-to-date build.
fn build_native() -> Result<PathBuf> {
    run(cargo()
        .current_dir(bench_dir())
        .env("CARGO_TARGET_DIR", bench_target())
        .args(["build", "--profile", "native", "-p", NATIVE]))?;
    let program = bench_target()
        .join("native")
        .join(format!("{NATIVE}{}", std::env::consts::EXE_SUFFIX));
    if !program.exists() {
        return Err(format!("{} was not built", program.display()).into());
    }
    Ok(program)
}

/// The bench crates must build with the root's release profile and
/// wasm-opt flags, or the sizes would not be what a fanout user ships.
fn check_profiles() -> Result {
    let root = fs::read_to_string(util::root().join("Cargo.toml"))?;
    let bench = fs::read_to_string(bench_dir().join("Cargo.toml"))?;
    let (want, got) = (profile_section(&root), profile_section(&bench));
    if want.is_empty() || want != got {
        return Err(format!(
            "bench/Cargo.toml's [profile.release] ({got:?}) differs from the root's ({want:?})"
        )
        .into());
    }
    let flags = wasm_opt_line(&root).ok_or("no wasm-opt flags in the root Cargo.toml")?;
    for krate in [
        "page",
        "min-fanout",
        "min-gloo",
        "min-reqwest",
        "min-decode",
    ] {
        let manifest = fs::read_to_string(bench_dir().join(krate).join("Cargo.toml"))?;
        if wasm_opt_line(&manifest).as_deref() != Some(flags.as_str()) {
            return Err(format!(
                "bench/{krate}/Cargo.toml's wasm-opt flags differ from the root's: {flags}"
            )
            .into());
        }
    }
    Ok(())
}

/// The lines of a manifest's section `[name]`, trimmed (up to the next
/// section).
fn section<'a>(manifest: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> {
    manifest
        .lines()
        .map(str::trim)
        .skip_while(move |l| l.strip_prefix('[').and_then(|l| l.strip_suffix(']')) != Some(name))
        .skip(1)
        .take_while(|l| !l.starts_with('['))
}

/// The `key = value` lines of a manifest's `[profile.release]`, trimmed.
pub fn profile_section(manifest: &str) -> Vec<String> {
    section(manifest, "profile.release")
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The `wasm-opt = [...]` line of `[package.metadata.wasm-pack.profile.release]`.
pub fn wasm_opt_line(manifest: &str) -> Option<String> {
    section(manifest, "package.metadata.wasm-pack.profile.release")
        .find(|l| l.starts_with("wasm-opt"))
        .map(str::to_owned)
}

/// A `wasm-pack build --target web` of the crate in `dir` with the
/// wasm-pack profile flag `profile` (`--release`, `--profiling`) into
/// `out` (absolute), its files named `<out_name>.js` and
/// `<out_name>_bg.wasm` if given (else after the crate), with `cargo_args`
/// after `--`; skipped when `out` already holds a package newer than every
/// file of `inputs`.
fn wasm_pack(
    profile: &str,
    dir: &Path,
    out: &Path,
    out_name: Option<&str>,
    cargo_args: &[&str],
    inputs: &[PathBuf],
) -> Result {
    let built = fs::read_dir(out)
        .ok()
        .and_then(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "wasm"))
                .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
                .min()
        })
        .filter(|_| glue(out).is_some());
    if let Some(built) = built {
        if inputs.iter().all(|i| newest(i).is_none_or(|t| t <= built)) {
            println!("up to date: {}", out.display());
            return Ok(());
        }
    }
    let mut command = cmd("wasm-pack");
    command
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", bench_target())
        .args([
            "build",
            profile,
            "--target",
            "web",
            "--no-typescript",
            "--no-pack",
            "--out-dir",
        ])
        .arg(out);
    if let Some(name) = out_name {
        command.args(["--out-name", name]);
    }
    if !cargo_args.is_empty() {
        command.arg("--").args(cargo_args);
    }
    run(&mut command)
}

/// The newest modification time of `path` or anything under it, skipping
/// `target` directories and build output.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    let mut best = None;
    for entry in fs::read_dir(path).ok()?.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        if matches!(
            name.to_str(),
            Some("target" | "pkg" | "pkg-js" | "pkg-prof" | "node_modules")
        ) {
            continue;
        }
        best = best.max(newest(&entry.path()));
    }
    best
}

/// The inputs of a build of the root crate.
fn fanout_inputs() -> Vec<PathBuf> {
    let root = util::root();
    vec![
        root.join("src"),
        root.join("Cargo.toml"),
        root.join("Cargo.lock"),
    ]
}

/// The inputs of a build of the workspace crate in `<root>/<krate>` (`js`,
/// `www`), which depends on the root crate.
fn member_inputs(krate: &str) -> Vec<PathBuf> {
    let dir = util::root().join(krate);
    let mut inputs = fanout_inputs();
    inputs.push(dir.join("Cargo.toml"));
    inputs.push(dir.join("src"));
    inputs
}

/// The inputs of a build of `bench/<krate>`.
fn bench_inputs(krates: &[&str]) -> Vec<PathBuf> {
    let mut inputs = fanout_inputs();
    inputs.push(bench_dir().join("Cargo.toml"));
    inputs.push(bench_dir().join("Cargo.lock"));
    inputs.extend(krates.iter().map(|k| bench_dir().join(k)));
    inputs
}

fn build_page() -> Result {
    build_page_as("--release", "pkg")
}

/// The same page with function names kept (the `profiling` wasm-opt flags
/// of bench/page/Cargo.toml add `-g`), for `--profile`: `bench/www/pkg-prof`.
fn build_page_profiling() -> Result {
    build_page_as("--profiling", "pkg-prof")
}

/// The bench page built with the wasm-pack `profile` flag into
/// `bench/www/<pkg>`.
fn build_page_as(profile: &str, pkg: &str) -> Result {
    wasm_pack(
        profile,
        &bench_dir().join("page"),
        &bench_dir().join("www").join(pkg),
        None,
        &[],
        &bench_inputs(&["page", "min-decode"]),
    )
}

/// fanout's JS API (the `js/` crate, the npm package's) into
/// `bench/www/pkg-js` as `fanout.js`, which `bench/www/bench.js` imports;
/// if the build fails, any stale package there is removed. With
/// `profiling`, also the names-kept build into `bench/www/pkg-js-prof`
/// (the `?profiling` page's).
fn build_fanout_js(profiling: bool) -> Result {
    let out = bench_dir().join("www").join("pkg-js");
    let mut built = wasm_pack(
        "--release",
        &util::root().join("js"),
        &out,
        Some("fanout"),
        &[],
        &member_inputs("js"),
    );
    if profiling && built.is_ok() {
        built = wasm_pack(
            "--profiling",
            &util::root().join("js"),
            &bench_dir().join("www").join("pkg-js-prof"),
            Some("fanout"),
            &[],
            &member_inputs("js"),
        );
    }
    if built.is_err() {
        let _ = fs::remove_dir_all(&out);
    }
    built
}

/// The minimal app `bench/min-fanout` (default features), built like the
/// size table's into `bench/target/pkg/min-fanout`; returns that package
/// directory. For the size guard ([`crate::size`]).
pub fn build_min_fanout() -> Result<PathBuf> {
    setup::ensure(setup::BUILD)?;
    check_profiles()?;
    let out = bench_target().join("pkg").join("min-fanout");
    wasm_pack(
        "--release",
        &bench_dir().join("min-fanout"),
        &out,
        None,
        &[],
        &bench_inputs(&["min-fanout"]),
    )?;
    Ok(out)
}

/// The first file in `dir` whose name ends with `suffix`.
pub fn find(dir: &Path, suffix: &str) -> Option<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(suffix))
        })
        .collect();
    files.sort();
    files.into_iter().next()
}

/// wasm-pack's JS glue in `dir`: the `.js` file next to `<name>_bg.wasm`.
pub fn glue(dir: &Path) -> Option<PathBuf> {
    let wasm = find(dir, "_bg.wasm")?;
    let name = wasm.file_name()?.to_str()?.strip_suffix("_bg.wasm")?;
    let js = dir.join(format!("{name}.js"));
    js.exists().then_some(js)
}

/// The release dev server serving `bench/` (not the repository root, which
/// is what [`devserver::DevServer`] serves); stopped when dropped.
struct BenchServer {
    child: Child,
    url: String,
    /// The HTTPS (HTTP/2) listener of the same server.
    https_url: Option<String>,
    line: String,
}

impl BenchServer {
    fn spawn() -> Result<BenchServer> {
        let bin = devserver::binary();
        let mut command: Command = cmd(&bin);
        command
            .args(["--port", "0", "--https-port", "0", "--root"])
            .arg(bench_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = devserver::start(&mut command, &bin)?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines.map_while(|l| l.ok()) {}
        });
        let mut server = BenchServer {
            child,
            url: String::new(),
            https_url: None,
            line: String::new(),
        };
        let line = rx
            .recv_timeout(devserver::STARTUP_TIMEOUT)
            .map_err(|_| "the dev server printed no address")?;
        let (url, _port) = devserver::parse_listening_line(&line)
            .ok_or_else(|| format!("unexpected first line from the dev server: {line:?}"))?;
        server.url = url;
        server.https_url = devserver::parse_https_url(&line);
        server.line = line;
        Ok(server)
    }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        if !matches!(
            util::wait_timeout(&mut self.child, Duration::from_secs(10)),
            Ok(Some(_))
        ) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

mod sizes;
use sizes::{build_sizes, stage_cold_apps};

#[cfg(test)]
mod tests;
