//! `cargo xtask test [--skip-firefox] [STAGE...]`: every test suite in one
//! run, against one dev server.
//!
//! Stages run in a fixed order, the table [`stages::STAGES`], and a failed
//! stage does not stop the run, so one run shows everything. Each stage's
//! output is forwarded live and also captured to add up its test counts
//! ([`counts`]). The run ends with a table of stages and, as its very last
//! line, `fanout: N passed, M failed`.

mod counts;
mod stages;
mod summary;

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use self::counts::{count_tests, Counts};
use self::stages::{Spec, Stage, Uses, Work, STAGES};
use self::summary::{print_summary, totals, Outcome, Row};
use crate::devserver::{self, DevServer};
use crate::setup;
use crate::util::{self, Result};

/// The parsed command line.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    /// `--skip-firefox`.
    pub skip_firefox: bool,
    /// The stages to run, in run order (the build stage added when needed).
    pub stages: Vec<Stage>,
}

/// The stages' names, in run order.
pub fn stage_names() -> impl Iterator<Item = &'static str> {
    STAGES.iter().map(|s| s.name)
}

/// `test`'s usage, its stages listed from [`STAGES`].
pub fn usage() -> String {
    let builds: Vec<&str> = STAGES
        .iter()
        .filter(|s| s.uses != Uses::Nothing)
        .map(|s| s.name)
        .collect();
    format!(
        "usage: cargo xtask test [--skip-firefox] [STAGE...]\n\
         stages, in run order: {}\n\
         (no stage names: all of them; with names: those, plus build if {} is named)",
        stage_names().collect::<Vec<_>>().join(" "),
        or_list(&builds)
    )
}

/// "a, b or c".
fn or_list(words: &[&str]) -> String {
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Parses `test`'s arguments.
pub fn parse_args(args: &[String]) -> Result<Options> {
    let mut skip_firefox = false;
    let mut named = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--skip-firefox" => skip_firefox = true,
            name => match Stage::from_name(name) {
                Some(stage) => named.push(stage),
                None => return Err(format!("unknown stage or flag {name:?}\n{}", usage()).into()),
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

/// What the stages of one run share.
struct Run {
    options: Options,
    /// Whether the build stage built the demo page, and the npm packages.
    page_ok: bool,
    npm_ok: bool,
    /// The dev server, stopped by its guard's Drop however the run is left
    /// (a panic included).
    server: Option<DevServer>,
}

/// Runs `cargo xtask test`.
pub fn test(args: &[String]) -> Result<ExitCode> {
    let options = parse_args(args)?;
    let server_at = server_start(&options.stages);
    let mut run = Run {
        options,
        page_ok: false,
        npm_ok: false,
        server: None,
    };
    let mut rows = vec![setup()];
    for (i, stage) in run.options.stages.clone().into_iter().enumerate() {
        if server_at == Some(i) {
            rows.push(run.start_server());
        }
        rows.push(run_stage(stage.spec(), &mut run));
    }
    run.stop_server();

    print_summary(&rows);
    let failed_stage = rows.iter().any(Row::failed);
    let totals = totals(&rows);
    Ok(if failed_stage || totals.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Setup: every check, continuing past a failure so the stages that can
/// still run do.
fn setup() -> Row {
    let started = Instant::now();
    let mut errors = Vec::new();
    for dep in setup::ALL {
        if let Err(e) = setup::ensure(&[*dep]) {
            println!("setup: {e}");
            errors.push(e.to_string());
        }
    }
    Row::from_errors("setup", &errors, started)
}

/// Where in `stages` (in run order) the dev server starts, if any of them
/// talks to it: before the first one from the first row of [`STAGES`] that
/// talks to it on, so that the stages before it (the builds) do not share
/// the machine with it.
fn server_start(stages: &[Stage]) -> Option<usize> {
    if !stages.iter().any(|s| s.spec().server) {
        return None;
    }
    let first = STAGES.iter().position(|s| s.server)?;
    let rank = |stage: &Stage| Stage::ALL.iter().position(|s| s == stage);
    stages.iter().position(|s| rank(s) >= Some(first))
}

/// Runs one stage, or says why it cannot run, and times it.
fn run_stage(spec: &Spec, run: &mut Run) -> Row {
    let started = Instant::now();
    banner(spec.name);
    let (outcome, counts) = match run.skip_reason(spec) {
        Some((said, note)) => {
            println!("skipped: {said}");
            (Outcome::Skipped(note), None)
        }
        None => match (spec.run)(run) {
            Work::Commands(mut commands) => {
                if let Some(server) = run.server.as_ref().filter(|_| spec.server) {
                    commands = commands.into_iter().map(|c| with_api(c, server)).collect();
                }
                run_counted(spec, &mut commands)
            }
            Work::Done(errors) => (Outcome::from_errors(&errors), None),
        },
    };
    Row {
        name: spec.name,
        outcome,
        counts,
        secs: started.elapsed().as_secs_f64(),
    }
}

impl Run {
    /// Why `spec`'s stage cannot run, if it cannot: what to print, and the
    /// summary's note.
    fn skip_reason(&self, spec: &Spec) -> Option<(String, String)> {
        let both = |why: String| Some((why.clone(), why));
        if spec.stage == Stage::Firefox && self.options.skip_firefox {
            return both("--skip-firefox".into());
        }
        if let Some(path) = spec.requires.filter(|p| !exists(p)) {
            return both(format!("no {path}"));
        }
        let built = match spec.uses {
            Uses::Nothing => true,
            Uses::Page => self.page_ok,
            Uses::Npm => self.npm_ok,
        };
        if !built {
            return Some(("the build it needs failed".into(), "build failed".into()));
        }
        if spec.server && self.server.is_none() {
            return both("no dev server".into());
        }
        None
    }

    /// Builds and starts the dev server, for the stages that talk to it.
    fn start_server(&mut self) -> Row {
        println!();
        println!("==> dev server");
        util::flush();
        let started = Instant::now();
        let mut errors = Vec::new();
        match devserver::build().and_then(|()| DevServer::spawn_with(0, Some(0), "[devserver] ")) {
            Ok(server) => {
                println!("{}", server.line);
                self.server = Some(server);
            }
            Err(e) => {
                println!("dev server: {e}");
                errors.push(e.to_string());
            }
        }
        Row::from_errors("server", &errors, started)
    }

    /// Stops the server now, so none of its output lands after the summary.
    fn stop_server(&mut self) {
        if let Some(mut server) = self.server.take() {
            println!();
            println!("==> stopping the dev server");
            util::flush();
            server.stop();
        }
    }
}

/// Whether `path` (from the root) exists: a directory if it ends with `/`,
/// else a file.
fn exists(path: &str) -> bool {
    let full = util::root().join(path);
    if path.ends_with('/') {
        full.is_dir()
    } else {
        full.is_file()
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
fn run_counted(spec: &Spec, commands: &mut [Command]) -> (Outcome, Option<Counts>) {
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
    judge(spec, &output, errors)
}

/// A stage's outcome from its output and its commands' errors.
fn judge(spec: &Spec, output: &str, errors: Vec<String>) -> (Outcome, Option<Counts>) {
    let counts = count_tests(output).filter(|_| spec.counts);
    let outcome = if !errors.is_empty() {
        Outcome::Failed(errors.join("; "))
    } else if !spec.counts {
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
    fn the_server_starts_after_the_builds() {
        use Stage::*;
        assert_eq!(server_start(&Stage::ALL), Some(4));
        assert_eq!(server_start(&[Native, Build, Chrome]), Some(2));
        // Before types, as the first stage from chrome on, though types
        // does not talk to it.
        assert_eq!(server_start(&[Build, Types, E2e]), Some(1));
        assert_eq!(server_start(&[Native, Build, Size, Types]), None);
    }

    #[test]
    fn usage_lists_the_stages_in_run_order() {
        let usage = usage();
        assert!(usage.contains(
            "stages, in run order: native leptos build size suite-native chrome firefox node soak js types bundler e2e\n"
        ));
        assert!(usage.contains("plus build if size, js, types, bundler or e2e is named"));
    }
}
