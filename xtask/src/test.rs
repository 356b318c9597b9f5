//! `cargo xtask test [--skip-firefox] [STAGE...]`: every test suite in one
//! run, against one dev server.
//!
//! Stages run in a fixed order and a failed stage does not stop the run, so
//! one run shows everything. Each stage's output is forwarded live and also
//! captured to add up its test counts. The run ends with a table of stages
//! and, as its very last line, `fanout: N passed, M failed`.

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::build::{build_npm, build_page};
use crate::server::{self, DevServer};
use crate::setup;
use crate::size;
use crate::util::{self, cargo, cmd, Result};

/// The stages, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `cargo test --workspace`.
    Native,
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

impl Stage {
    /// All stages in run order.
    pub const ALL: [Stage; 11] = [
        Stage::Native,
        Stage::Build,
        Stage::Size,
        Stage::Chrome,
        Stage::Firefox,
        Stage::Node,
        Stage::Soak,
        Stage::Js,
        Stage::Types,
        Stage::Bundler,
        // Last: its JS API test loads the Vite build the bundler stage makes.
        Stage::E2e,
    ];

    /// The name used on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Native => "native",
            Stage::Build => "build",
            Stage::Size => "size",
            Stage::Chrome => "chrome",
            Stage::Firefox => "firefox",
            Stage::Node => "node",
            Stage::Soak => "soak",
            Stage::Js => "js",
            Stage::E2e => "e2e",
            Stage::Types => "types",
            Stage::Bundler => "bundler",
        }
    }

    fn from_name(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Talks to the dev server.
    fn needs_server(self) -> bool {
        matches!(
            self,
            Stage::Chrome | Stage::Firefox | Stage::Node | Stage::Soak | Stage::Js | Stage::E2e
        )
    }

    /// Uses the packages that the build stage makes.
    fn needs_build(self) -> bool {
        matches!(
            self,
            Stage::Size | Stage::Js | Stage::E2e | Stage::Types | Stage::Bundler
        )
    }

    /// Must print test counts (a run of no tests is a failure).
    fn counts_tests(self) -> bool {
        matches!(
            self,
            Stage::Native
                | Stage::Chrome
                | Stage::Firefox
                | Stage::Node
                | Stage::Soak
                | Stage::Js
                | Stage::E2e
        )
    }
}

/// The parsed command line.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    /// `--skip-firefox`.
    pub skip_firefox: bool,
    /// The stages to run, in run order (the build stage added when needed).
    pub stages: Vec<Stage>,
}

pub const USAGE: &str = "usage: cargo xtask test [--skip-firefox] [STAGE...]\n\
stages, in run order: native build size chrome firefox node soak js e2e types bundler\n\
(no stage names: all of them; with names: those, plus build if size, js, e2e, types or bundler is named)";

/// Parses `test`'s arguments.
pub fn parse_args(args: &[String]) -> Result<Options> {
    let mut skip_firefox = false;
    let mut named = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--skip-firefox" => skip_firefox = true,
            name => match Stage::from_name(name) {
                Some(stage) => named.push(stage),
                None => return Err(format!("unknown stage or flag {name:?}\n{USAGE}").into()),
            },
        }
    }
    let stages = if named.is_empty() {
        Stage::ALL.to_vec()
    } else {
        let build = named.iter().any(|s| s.needs_build());
        Stage::ALL
            .into_iter()
            .filter(|s| named.contains(s) || (*s == Stage::Build && build))
            .collect()
    };
    Ok(Options {
        skip_firefox,
        stages,
    })
}

/// Test counts found in some output.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

/// Adds up the summary lines in `output`: libtest's (cargo test,
/// wasm-bindgen-test-runner) `test result: ok. N passed; M failed; ...`, and
/// node's test runner `# pass N` / `# fail M` (TAP) or `ℹ pass N` /
/// `ℹ fail M` (spec), where cancelled tests count as failed. `None` when
/// there is no such line at all.
pub fn count_tests(output: &str) -> Option<Counts> {
    let output = util::strip_ansi(output);
    let mut counts = Counts::default();
    let mut found = false;
    for line in output.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("test result:") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let mut passed = None;
            let mut failed = None;
            for pair in words.windows(2) {
                let n = pair[0].parse::<u64>().ok();
                match pair[1].trim_end_matches([';', ',', '.']) {
                    "passed" => passed = passed.or(n),
                    "failed" => failed = failed.or(n),
                    _ => {}
                }
            }
            if let (Some(p), Some(f)) = (passed, failed) {
                counts.passed += p;
                counts.failed += f;
                found = true;
            }
            continue;
        }
        // Node's summary is not indented (nested TAP is).
        let Some(rest) = line
            .trim_end()
            .strip_prefix("# ")
            .or_else(|| line.trim_end().strip_prefix("ℹ "))
        else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (Some(key), Some(value), None) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        let Ok(n) = value.parse::<u64>() else {
            continue;
        };
        match key {
            "pass" => {
                counts.passed += n;
                found = true;
            }
            "fail" | "cancelled" => {
                counts.failed += n;
                found = true;
            }
            _ => {}
        }
    }
    found.then_some(counts)
}

/// How a stage ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ok,
    Failed(String),
    Skipped(String),
}

/// One line of the final table.
struct Row {
    name: &'static str,
    outcome: Outcome,
    counts: Option<Counts>,
    secs: f64,
}

impl Row {
    fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed(_))
    }
}

/// Default limit for one stage; `FANOUT_STAGE_TIMEOUT` (seconds) overrides.
const STAGE_TIMEOUT: Duration = Duration::from_secs(20 * 60);

fn stage_timeout() -> Duration {
    std::env::var("FANOUT_STAGE_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(STAGE_TIMEOUT)
}

fn banner(name: &str) {
    println!();
    println!("==> stage: {name}");
    util::flush();
}

/// Runs a stage's commands one after the other (all of them, even after a
/// failure, so one run shows everything), teeing their output, and judges
/// the stage.
fn run_counted(stage: Stage, commands: &mut [Command]) -> (Outcome, Option<Counts>) {
    let deadline = Instant::now() + stage_timeout();
    let several = commands.len() > 1;
    let mut output = String::new();
    let mut errors = Vec::new();
    for command in commands.iter_mut() {
        let left = deadline.saturating_duration_since(Instant::now());
        let teed = util::tee(command, left.max(Duration::from_secs(1)));
        output.push_str(&teed.output);
        output.push('\n');
        // Name the command by its last argument when there are several.
        let what = match command.get_args().last() {
            Some(arg) if several => format!("{}: ", arg.to_string_lossy()),
            _ => String::new(),
        };
        if let Some(error) = teed.error {
            errors.push(format!("{what}{error}"));
        } else if let Some(status) = teed.status.filter(|s| !s.success()) {
            errors.push(format!("{what}exited with {status}"));
        }
    }
    judge(stage, &output, errors)
}

/// A stage's outcome from its output and its commands' errors.
fn judge(stage: Stage, output: &str, errors: Vec<String>) -> (Outcome, Option<Counts>) {
    let counts = count_tests(output).filter(|_| stage.counts_tests());
    let outcome = if !errors.is_empty() {
        Outcome::Failed(errors.join("; "))
    } else if !stage.counts_tests() {
        Outcome::Ok
    } else {
        match counts {
            None => Outcome::Failed("no test summary line found".into()),
            Some(c) if c.passed + c.failed == 0 => Outcome::Failed("ran no tests".into()),
            Some(c) if c.failed > 0 => Outcome::Failed(format!("{} failed", c.failed)),
            Some(_) => Outcome::Ok,
        }
    };
    (outcome, counts)
}

/// The environment of the stages that talk to the dev server.
fn with_api(mut command: Command, server: &DevServer) -> Command {
    command
        .env("FANOUT_TEST_API", &server.url)
        .env(
            "FANOUT_TEST_API_H2",
            server.https_url.as_deref().unwrap_or_default(),
        )
        .env(
            "FANOUT_TEST_API_ALT",
            format!("http://localhost:{}", server.port),
        )
        // For `require`/createRequire of the pinned tools (playwright-core).
        .env("NODE_PATH", util::tools_dir().join("node_modules"));
    command
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

/// Runs `cargo xtask test`.
pub fn test(args: &[String]) -> Result<ExitCode> {
    let options = parse_args(args)?;
    let root = util::root();
    let selected = |stage: Stage| options.stages.contains(&stage);
    let mut rows: Vec<Row> = Vec::new();

    // Setup: every check, continuing past a failure so the stages that can
    // still run do.
    let started = Instant::now();
    let mut errors = Vec::new();
    for dep in setup::ALL {
        if let Err(e) = setup::ensure(&[*dep]) {
            println!("setup: {e}");
            errors.push(e.to_string());
        }
    }
    rows.push(Row::from_errors("setup", &errors, started));

    if selected(Stage::Native) {
        banner("native");
        let started = Instant::now();
        let (outcome, counts) = {
            let mut native = cargo();
            native.args(["test", "--workspace", "--all-features"]);
            run_counted(Stage::Native, &mut [native])
        };
        rows.push(Row {
            name: "native",
            outcome,
            counts,
            secs: started.elapsed().as_secs_f64(),
        });
        // With the native stage: examples/leptos built for both targets.
        let started = Instant::now();
        let leptos = crate::leptos::build_leptos_example().map_err(|e| e.to_string());
        rows.push(Row::from_errors("leptos", leptos.err().as_slice(), started));
    }

    let mut page_ok = false;
    let mut npm_ok = false;
    if selected(Stage::Build) {
        banner("build");
        let started = Instant::now();
        let mut errors = Vec::new();
        match build_page() {
            Ok(()) => page_ok = true,
            Err(e) => errors.push(format!("build_page: {e}")),
        }
        match build_npm() {
            Ok(()) => npm_ok = true,
            Err(e) => errors.push(format!("build_npm: {e}")),
        }
        for e in &errors {
            println!("{e}");
        }
        rows.push(Row::from_errors("build", &errors, started));
    }

    if selected(Stage::Size) {
        banner("size");
        let started = Instant::now();
        let outcome = if !page_ok {
            println!("skipped: the demo page's build failed");
            Outcome::Skipped("build failed".into())
        } else {
            match size::check_built() {
                Ok(()) => Outcome::Ok,
                Err(e) => {
                    println!("size: {e}");
                    Outcome::Failed(e.to_string())
                }
            }
        };
        rows.push(Row {
            name: "size",
            outcome,
            counts: None,
            secs: started.elapsed().as_secs_f64(),
        });
    }

    // The dev server, stopped by the guard's Drop however this function
    // is left (a panic included).
    let mut dev_server: Option<DevServer> = None;
    if options.stages.iter().any(|s| s.needs_server()) {
        println!();
        println!("==> dev server");
        util::flush();
        let started = Instant::now();
        let outcome = match server::build()
            .and_then(|()| DevServer::spawn_with(0, Some(0), "[devserver] "))
        {
            Ok(server) => {
                println!("{}", server.line);
                dev_server = Some(server);
                Outcome::Ok
            }
            Err(e) => {
                println!("dev server: {e}");
                Outcome::Failed(e.to_string())
            }
        };
        rows.push(Row {
            name: "server",
            outcome,
            counts: None,
            secs: started.elapsed().as_secs_f64(),
        });
    }

    for stage in Stage::ALL {
        if matches!(stage, Stage::Native | Stage::Build | Stage::Size) || !selected(stage) {
            continue;
        }
        let started = Instant::now();
        let mut row = |outcome: Outcome, counts: Option<Counts>| {
            rows.push(Row {
                name: stage.name(),
                outcome,
                counts,
                secs: started.elapsed().as_secs_f64(),
            })
        };
        let skip = |why: &str| Outcome::Skipped(why.to_owned());

        // What the stage needs that might be missing.
        let (needed, skip_why) = match stage {
            Stage::Firefox if options.skip_firefox => (false, "--skip-firefox"),
            Stage::Js if !root.join("tests/js").is_dir() => (false, "no tests/js/"),
            Stage::E2e if !root.join("tests/e2e").is_dir() => (false, "no tests/e2e/"),
            Stage::Types if !root.join("tests/types/tsconfig.json").is_file() => {
                (false, "no tests/types/tsconfig.json")
            }
            Stage::Bundler if !root.join("examples/vite").is_dir() => (false, "no examples/vite/"),
            _ => (true, ""),
        };
        if !needed {
            banner(stage.name());
            println!("skipped: {skip_why}");
            row(skip(skip_why), None);
            continue;
        }
        let built = match stage {
            Stage::E2e => page_ok,
            Stage::Js | Stage::Types | Stage::Bundler => npm_ok,
            _ => true,
        };
        if !built {
            banner(stage.name());
            println!("skipped: the build it needs failed");
            row(skip("build failed"), None);
            continue;
        }
        let server = match (&dev_server, stage.needs_server()) {
            (Some(server), true) => Some(server),
            (None, true) => {
                banner(stage.name());
                println!("skipped: no dev server");
                row(skip("no dev server"), None);
                continue;
            }
            (_, false) => None,
        };

        banner(stage.name());
        let api = |commands: Vec<Command>| -> Vec<Command> {
            let server = server.expect("a server stage");
            commands.into_iter().map(|c| with_api(c, server)).collect()
        };
        let mut commands: Vec<Command> = match stage {
            Stage::Chrome => api(wasm_pack_tests(
                &["--headless", "--chrome"],
                &["browser", "worker"],
            )),
            Stage::Firefox => {
                let mut commands =
                    wasm_pack_tests(&["--headless", "--firefox"], &["browser", "worker"]);
                // The npm package's JS API, which tests/e2e runs in Chromium.
                let mut js_api = cmd("wasm-pack");
                js_api
                    .args(["test", "--headless", "--firefox", "--", "--test", "api"])
                    .current_dir(util::root().join("js"))
                    .env("WASM_BINDGEN_TEST_TIMEOUT", BROWSER_TEST_TIMEOUT_SECS);
                commands.push(js_api);
                api(commands)
            }
            Stage::Node => api(wasm_pack_tests(&["--node"], &["node"])),
            Stage::Soak => {
                let mut commands = wasm_pack_tests(&["--headless", "--chrome"], &["soak_browser"]);
                commands.extend(wasm_pack_tests(&["--node"], &["soak_node"]));
                api(commands)
            }
            Stage::Js => {
                let mut c = cmd("node");
                c.args(["--test", "tests/js/"]);
                api(vec![c])
            }
            Stage::E2e => {
                let artifacts = util::target_dir().join("e2e");
                let _ = std::fs::create_dir_all(&artifacts);
                let mut c = cmd("node");
                c.args(["--test", "tests/e2e/"])
                    .env("FANOUT_E2E_ARTIFACTS", artifacts);
                api(vec![c])
            }
            Stage::Types => {
                let mut c = cmd(util::tools_bin().join("tsc"));
                c.args(["-p", "tests/types"]);
                vec![c]
            }
            Stage::Bundler => {
                let mut c = cmd(util::tools_bin().join("vite"));
                c.args(["build", "examples/vite"]);
                vec![c]
            }
            Stage::Native | Stage::Build | Stage::Size => unreachable!("run above"),
        };
        let (outcome, counts) = run_counted(stage, &mut commands);
        row(outcome, counts);
    }

    // Stop the server now, so none of its output lands after the summary.
    if let Some(mut server) = dev_server.take() {
        println!();
        println!("==> stopping the dev server");
        util::flush();
        server.stop();
    }

    print_summary(&rows);
    let failed_stage = rows.iter().any(Row::failed);
    let totals = totals(&rows);
    Ok(if failed_stage || totals.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

impl Row {
    /// A row for a step without test counts: ok, or failed with `errors`.
    fn from_errors(name: &'static str, errors: &[String], started: Instant) -> Row {
        Row {
            name,
            outcome: if errors.is_empty() {
                Outcome::Ok
            } else {
                Outcome::Failed(errors.join("; "))
            },
            counts: None,
            secs: started.elapsed().as_secs_f64(),
        }
    }
}

fn totals(rows: &[Row]) -> Counts {
    rows.iter()
        .filter_map(|r| r.counts)
        .fold(Counts::default(), |a, c| Counts {
            passed: a.passed + c.passed,
            failed: a.failed + c.failed,
        })
}

fn print_summary(rows: &[Row]) {
    println!();
    println!("==> summary");
    println!(
        "{:<9} {:<8} {:>7} {:>7} {:>8}  note",
        "stage", "result", "passed", "failed", "seconds"
    );
    for row in rows {
        let (result, note) = match &row.outcome {
            Outcome::Ok => ("ok", ""),
            Outcome::Failed(why) => ("FAILED", why.as_str()),
            Outcome::Skipped(why) => ("skipped", why.as_str()),
        };
        let (passed, failed) = match row.counts {
            Some(c) => (c.passed.to_string(), c.failed.to_string()),
            None => ("-".to_owned(), "-".to_owned()),
        };
        // Keep the table to one line per stage.
        let note = note.lines().next().unwrap_or("");
        let line = format!(
            "{:<9} {:<8} {:>7} {:>7} {:>8.1}  {}",
            row.name, result, passed, failed, row.secs, note
        );
        println!("{}", line.trim_end());
    }
    let totals = totals(rows);
    println!("fanout: {} passed, {} failed", totals.passed, totals.failed);
    util::flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn all_stages_by_default() {
        let options = parse_args(&[]).unwrap();
        assert_eq!(options.stages, Stage::ALL.to_vec());
        assert!(!options.skip_firefox);
    }

    #[test]
    fn subsets_keep_run_order_and_add_build_when_needed() {
        let options = parse_args(&args(&["node", "chrome"])).unwrap();
        assert_eq!(options.stages, vec![Stage::Chrome, Stage::Node]);
        let options = parse_args(&args(&["types", "--skip-firefox", "native"])).unwrap();
        assert_eq!(
            options.stages,
            vec![Stage::Native, Stage::Build, Stage::Types]
        );
        assert!(options.skip_firefox);
        assert!(parse_args(&args(&["chrom"])).is_err());
    }

    #[test]
    fn counts_cargo_test_output() {
        let out = "\
running 3 tests
test a ... ok
test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

   Doc-tests fanout
test result: FAILED. 5 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 1.2s
test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
        assert_eq!(
            count_tests(out),
            Some(Counts {
                passed: 8,
                failed: 2
            })
        );
    }

    #[test]
    fn counts_wasm_bindgen_test_runner_output() {
        let out = "\
Running headless tests in Chrome on `http://127.0.0.1:34567/`
Try find `webdriver.json` for configure browser's capabilities:
Ok
running 12 tests
test browser::get_json ... ok
\u{1b}[32mtest result: ok. 12 passed; 0 failed; 0 ignored; 0 filtered out; finished in 1.53s\u{1b}[0m
";
        assert_eq!(
            count_tests(out),
            Some(Counts {
                passed: 12,
                failed: 0
            })
        );
    }

    #[test]
    fn counts_node_tap_and_spec_output() {
        let tap = "\
TAP version 13
# Subtest: fetches
ok 1 - fetches
    # Subtest: nested
    # pass 99
1..1
# tests 4
# suites 0
# pass 3
# fail 1
# cancelled 0
# skipped 0
# todo 0
# duration_ms 120.5
";
        assert_eq!(
            count_tests(tap),
            Some(Counts {
                passed: 3,
                failed: 1
            })
        );
        let spec = "\
✔ fetches (1.2ms)
ℹ tests 2
ℹ suites 0
ℹ pass 1
ℹ fail 0
ℹ cancelled 1
ℹ duration_ms 245.1
";
        assert_eq!(
            count_tests(spec),
            Some(Counts {
                passed: 1,
                failed: 1
            })
        );
    }

    #[test]
    fn no_summary_means_none() {
        assert_eq!(
            count_tests("Compiling fanout\nerror: no test target named `browser`\n"),
            None
        );
        assert_eq!(count_tests("# pass the salt\n"), None);
        assert_eq!(count_tests(""), None);
    }
}
