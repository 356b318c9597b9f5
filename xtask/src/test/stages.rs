//! The stages of `cargo xtask test`: one table, [`STAGES`], in run order,
//! with one function per stage.
//!
//! A new stage is one [`Stage`] variant, one row of [`STAGES`] (where in
//! the run it goes, and what it needs) and one function that does the
//! stage's work: most give back the commands to run, which the runner
//! runs, times, counts and judges (see [`super::run_stage`]).

use std::process::Command;

use super::Run;
use crate::build::{build_npm, build_page, build_ssr};
use crate::util::{self, cargo, cmd};

/// The stages (the order they run in is [`STAGES`]'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `cargo test --workspace`.
    Native,
    /// `examples/leptos` compiled natively (`ssr`) and for wasm32
    /// (`hydrate`): [`crate::leptos`].
    Leptos,
    /// The Rust suite (`tests/suite`) natively, over the native transport,
    /// against the dev server (`tests/native_suite.rs`).
    SuiteNative,
    /// `build_page()` and `build_npm()`.
    Build,
    /// The size guard: the demo page and the minimal app against
    /// `size-budget.toml` ([`crate::size`]).
    Size,
    /// wasm tests in headless Chromium.
    Chrome,
    /// wasm tests in headless Firefox.
    Firefox,
    /// wasm tests in Node.js.
    Node,
    /// The fault soak: 10,000 requests with faults, in Chromium and Node.js.
    Soak,
    /// `node --test tests/js/` against `pkg/nodejs`.
    Js,
    /// `node --test tests/e2e/`: playwright-core driving Chromium.
    E2e,
    /// `tsc -p tests/types`.
    Types,
    /// `vite build examples/vite`.
    Bundler,
}

/// Every stage, in run order: the table the runner follows. The dev server
/// starts before the first selected stage at or after the first row that
/// talks to it (chrome: after the builds, which so have the machine to
/// themselves); a row that talks to it placed earlier moves that start up.
pub(super) const STAGES: &[Spec] = &[
    Spec::new(Stage::Native, "native", native).counts(),
    Spec::new(Stage::Leptos, "leptos", leptos).requires("examples/leptos/"),
    Spec::new(Stage::Build, "build", build),
    Spec::new(Stage::Size, "size", size).uses(Uses::Page),
    Spec::new(Stage::SuiteNative, "suite-native", suite_native)
        .server()
        .counts(),
    Spec::new(Stage::Chrome, "chrome", chrome).server().counts(),
    Spec::new(Stage::Firefox, "firefox", firefox)
        .server()
        .counts(),
    Spec::new(Stage::Node, "node", node).server().counts(),
    Spec::new(Stage::Soak, "soak", soak).server().counts(),
    Spec::new(Stage::Js, "js", js)
        .server()
        .counts()
        .uses(Uses::Npm)
        .requires("tests/js/"),
    Spec::new(Stage::Types, "types", types)
        .uses(Uses::Npm)
        .requires("tests/types/tsconfig.json"),
    Spec::new(Stage::Bundler, "bundler", bundler)
        .uses(Uses::Npm)
        .requires("examples/vite/"),
    // Last: its JS API test loads the Vite build the bundler stage makes.
    Spec::new(Stage::E2e, "e2e", e2e)
        .server()
        .counts()
        .uses(Uses::Page)
        .requires("tests/e2e/"),
];

/// One row of [`STAGES`]: a stage, what it needs and what it does.
pub(super) struct Spec {
    pub(super) stage: Stage,
    /// The name used on the command line and in the report.
    pub(super) name: &'static str,
    /// Talks to the dev server: skipped without one, and its commands get
    /// the server's URLs in their environment (`FANOUT_TEST_API`...).
    pub(super) server: bool,
    /// Must print test counts (a run of no tests is a failure).
    pub(super) counts: bool,
    /// The package of the build stage it uses, if any: the build stage
    /// runs whenever it does, and it is skipped if that build failed.
    pub(super) uses: Uses,
    /// A path (from the root) without which it is skipped; a directory
    /// ends with `/`.
    pub(super) requires: Option<&'static str>,
    /// Does the stage's work.
    pub(super) run: fn(&mut Run) -> Work,
}

/// What of the build stage a stage uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Uses {
    Nothing,
    /// The demo page (`www/pkg`).
    Page,
    /// The npm packages (`pkg/*`).
    Npm,
}

/// What a stage's function did.
pub(super) enum Work {
    /// Commands to run one after the other: their output is forwarded live
    /// and judged (and counted, for a stage that [`Spec::counts`]).
    Commands(Vec<Command>),
    /// Work done here: the errors it met (none: ok).
    Done(Vec<String>),
}

impl Spec {
    /// A stage that needs nothing and counts nothing.
    const fn new(stage: Stage, name: &'static str, run: fn(&mut Run) -> Work) -> Spec {
        Spec {
            stage,
            name,
            server: false,
            counts: false,
            uses: Uses::Nothing,
            requires: None,
            run,
        }
    }

    const fn server(self) -> Spec {
        Spec {
            server: true,
            ..self
        }
    }

    const fn counts(self) -> Spec {
        Spec {
            counts: true,
            ..self
        }
    }

    const fn uses(self, uses: Uses) -> Spec {
        Spec { uses, ..self }
    }

    const fn requires(self, path: &'static str) -> Spec {
        Spec {
            requires: Some(path),
            ..self
        }
    }
}

impl Stage {
    /// All stages in run order.
    pub const ALL: [Stage; STAGES.len()] = {
        let mut all = [Stage::Native; STAGES.len()];
        let mut i = 0;
        while i < STAGES.len() {
            all[i] = STAGES[i].stage;
            i += 1;
        }
        all
    };

    /// The stage's row of [`STAGES`].
    pub(super) fn spec(self) -> &'static Spec {
        STAGES
            .iter()
            .find(|spec| spec.stage == self)
            .expect("every stage has a row in STAGES")
    }

    pub(super) fn from_name(name: &str) -> Option<Stage> {
        STAGES.iter().find(|s| s.name == name).map(|s| s.stage)
    }

    /// Uses the packages that the build stage makes.
    pub(super) fn needs_build(self) -> bool {
        self.spec().uses != Uses::Nothing
    }
}

// ---------------------------------------------------------------------------
// The stages' work
// ---------------------------------------------------------------------------

fn native(_: &mut Run) -> Work {
    let mut native = cargo();
    // Every test binary runs, whichever fails first.
    native.args(["test", "--workspace", "--all-features", "--no-fail-fast"]);
    Work::Commands(vec![native])
}

fn leptos(_: &mut Run) -> Work {
    Work::Commands(crate::leptos::commands())
}

/// `tests/native_suite.rs`, left out of plain `cargo test` (`test = false`:
/// it needs the server, whose URLs reach it at compile time).
fn suite_native(_: &mut Run) -> Work {
    let mut c = cargo();
    c.args(["test", "--all-features", "--test", "native_suite"]);
    Work::Commands(vec![c])
}

/// Records which builds succeeded, for the stages that use them.
fn build(run: &mut Run) -> Work {
    let mut errors = Vec::new();
    match build_page() {
        Ok(()) => run.page_ok = true,
        Err(e) => errors.push(format!("build_page: {e}")),
    }
    match build_npm() {
        Ok(()) => run.npm_ok = true,
        Err(e) => errors.push(format!("build_npm: {e}")),
    }
    if let Err(e) = build_ssr() {
        errors.push(format!("build_ssr: {e}"));
    }
    for e in &errors {
        println!("{e}");
    }
    Work::Done(errors)
}

fn size(_: &mut Run) -> Work {
    match crate::size::check_built() {
        Ok(()) => Work::Done(Vec::new()),
        Err(e) => {
            println!("size: {e}");
            Work::Done(vec![e.to_string()])
        }
    }
}

fn chrome(_: &mut Run) -> Work {
    Work::Commands(wasm_pack_tests(
        &["--headless", "--chrome"],
        &["browser", "worker"],
    ))
}

fn firefox(_: &mut Run) -> Work {
    let mut commands = wasm_pack_tests(&["--headless", "--firefox"], &["browser", "worker"]);
    // The npm package's JS API, which tests/e2e runs in Chromium.
    let mut js_api = cmd("wasm-pack");
    js_api
        .args(["test", "--headless", "--firefox", "--", "--test", "api"])
        .current_dir(util::root().join("js"))
        .env("WASM_BINDGEN_TEST_TIMEOUT", BROWSER_TEST_TIMEOUT_SECS);
    commands.push(js_api);
    Work::Commands(commands)
}

fn node(_: &mut Run) -> Work {
    let mut commands = wasm_pack_tests(&["--node"], &["node"]);
    // Node.js 20 and 21 have a global `WebSocket` only with
    // `--experimental-websocket`: the run above checks the typed error
    // where it is missing, this one the WebSocket tests with it.
    if node_major().is_some_and(|v| v < 22) {
        for mut c in wasm_pack_tests(&["--node"], &["node"]) {
            c.args(["--", "websocket"])
                .env("NODE_OPTIONS", "--experimental-websocket");
            commands.push(c);
        }
    }
    Work::Commands(commands)
}

/// The major version of `node`, if it runs.
fn node_major() -> Option<u32> {
    let out = std::process::Command::new("node")
        .arg("--version")
        .output()
        .ok()?;
    let v = String::from_utf8_lossy(&out.stdout);
    v.trim()
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

fn soak(_: &mut Run) -> Work {
    let mut commands = wasm_pack_tests(&["--headless", "--chrome"], &["soak_browser"]);
    commands.extend(wasm_pack_tests(&["--node"], &["soak_node"]));
    Work::Commands(commands)
}

fn js(_: &mut Run) -> Work {
    let mut c = cmd("node");
    c.args(["--test", "tests/js/"]);
    let mut commands = vec![c];
    // Node.js 20 and 21: the WebSocket tests again with the global (the
    // run above checks the NotSupportedError without it).
    if node_major().is_some_and(|v| v < 22) {
        let mut ws = cmd("node");
        ws.args([
            "--experimental-websocket",
            "--test",
            "tests/js/websocket.test.mjs",
        ]);
        commands.push(ws);
    }
    Work::Commands(commands)
}

fn types(_: &mut Run) -> Work {
    let mut c = cmd(util::tools_bin().join("tsc"));
    c.args(["-p", "tests/types"]);
    Work::Commands(vec![c])
}

fn bundler(_: &mut Run) -> Work {
    let mut c = cmd(util::tools_bin().join("vite"));
    c.args(["build", "examples/vite"]);
    Work::Commands(vec![c])
}

fn e2e(_: &mut Run) -> Work {
    let artifacts = util::target_dir().join("e2e");
    let _ = std::fs::create_dir_all(&artifacts);
    let mut c = cmd("node");
    c.args(["--test", "tests/e2e/"])
        .env("FANOUT_E2E_ARTIFACTS", artifacts)
        .env(
            "FANOUT_SSR_BIN",
            util::target_dir().join("debug").join("fanout-ssr"),
        );
    Work::Commands(vec![c])
}

/// How long one wasm test binary may run in a browser (all its tests
/// together); wasm-bindgen-test-runner's own default is 20 s.
const BROWSER_TEST_TIMEOUT_SECS: &str = "180";

/// `wasm-pack test <runner_args> -- --test <test>`, one per test target:
/// cargo stops at the first failing test binary and wasm-pack passes its
/// arguments to `cargo build` too (which has no `--no-fail-fast`), so each
/// target gets its own run and one failure does not hide the others.
fn wasm_pack_tests(runner_args: &[&str], tests: &[&str]) -> Vec<Command> {
    tests
        .iter()
        .map(|test| {
            let mut command = cmd("wasm-pack");
            command
                .arg("test")
                .args(runner_args)
                // Every feature (the suites need them all), so their wasm
                // paths are tested.
                .args(["--", "--features", "full", "--test", test]);
            if std::env::var_os("WASM_BINDGEN_TEST_TIMEOUT").is_none() {
                command.env("WASM_BINDGEN_TEST_TIMEOUT", BROWSER_TEST_TIMEOUT_SECS);
            }
            command
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_and_one_name_per_stage() {
        for (i, spec) in STAGES.iter().enumerate() {
            assert_eq!(Stage::ALL[i], spec.stage);
            assert_eq!(spec.stage.spec().name, spec.name);
            assert_eq!(Stage::from_name(spec.name), Some(spec.stage));
            assert!(STAGES[..i].iter().all(|s| s.stage != spec.stage));
        }
    }
}
