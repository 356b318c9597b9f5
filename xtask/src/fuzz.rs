//! `cargo xtask fuzz [SECONDS] [TARGET...]`: runs the cargo-fuzz targets
//! of `fuzz/` (one per hand-written parser) for a bounded time each, with
//! `cargo +nightly fuzz run <target> -- -max_total_time=SECONDS`, and ends
//! with a table of runs and crashes.
//!
//! Not a stage of `cargo xtask test`: cargo-fuzz needs a nightly toolchain
//! (`rustup toolchain install nightly`), which CI's fresh machine may not
//! have. `cargo-fuzz` itself is installed on first use. A crash leaves its
//! input in `fuzz/artifacts/<target>/`; replay it with
//! `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>`.

use std::process::{Command, ExitCode};
use std::time::Duration;

use crate::util::{self, cmd, run, Result};

/// The targets, in run order (`fuzz/Cargo.toml` declares each).
pub const TARGETS: &[&str] = &[
    "retry_after",
    "json_error_path",
    "headers",
    "lines",
    "sse",
    "url_resolve",
];

/// Seconds per target when none are given.
const DEFAULT_SECS: u64 = 60;

/// The parsed command line.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub secs: u64,
    pub targets: Vec<&'static str>,
}

pub const USAGE: &str = "usage: cargo xtask fuzz [SECONDS] [TARGET...]\n\
targets: retry_after json_error_path headers lines sse url_resolve (default: all, 60 s each)";

pub fn parse_args(args: &[String]) -> Result<Options> {
    let mut secs = None;
    let mut targets = Vec::new();
    for arg in args {
        if let Ok(n) = arg.parse::<u64>() {
            if secs.replace(n).is_some() || n == 0 {
                return Err(format!("one positive number of seconds, please\n{USAGE}").into());
            }
        } else if let Some(t) = TARGETS.iter().find(|t| **t == arg.as_str()) {
            targets.push(*t);
        } else {
            return Err(format!("unknown fuzz target {arg:?}\n{USAGE}").into());
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    Ok(Options {
        secs: secs.unwrap_or(DEFAULT_SECS),
        targets,
    })
}

/// `cargo +nightly ...` through rustup's proxy, without the variables the
/// outer (stable) cargo set, which would pin the nested one to stable.
fn nightly_cargo() -> Command {
    let mut command = cmd("cargo");
    command.arg("+nightly");
    for var in [
        "CARGO",
        "RUSTC",
        "RUSTDOC",
        "RUSTUP_TOOLCHAIN",
        "RUSTC_WRAPPER",
    ] {
        command.env_remove(var);
    }
    command
}

fn ensure_tools() -> Result {
    if util::capture(nightly_cargo().arg("--version")).is_none() {
        return Err(
            "cargo xtask fuzz needs a nightly toolchain: rustup toolchain install nightly".into(),
        );
    }
    if util::capture(nightly_cargo().args(["fuzz", "--version"])).is_none() {
        println!("installing cargo-fuzz (cargo install cargo-fuzz --locked)");
        run(nightly_cargo().current_dir(std::env::temp_dir()).args([
            "install",
            "cargo-fuzz",
            "--locked",
        ]))?;
    }
    Ok(())
}

/// libFuzzer's last `#N DONE ...` or `Done N runs in S second(s)` line:
/// the number of runs.
pub fn runs(output: &str) -> Option<u64> {
    output.lines().rev().find_map(|line| {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Done ") {
            return rest.split_whitespace().next()?.parse().ok();
        }
        let rest = line.strip_prefix('#')?;
        let (n, rest) = rest.split_once(char::is_whitespace)?;
        rest.trim_start()
            .starts_with("DONE")
            .then(|| n.parse().ok())?
    })
}

pub fn fuzz(args: &[String]) -> Result<ExitCode> {
    let options = parse_args(args)?;
    ensure_tools()?;
    let mut rows = Vec::new();
    for target in &options.targets {
        println!();
        println!("==> fuzz: {target} for {} s", options.secs);
        util::flush();
        let mut command = nightly_cargo();
        command.args([
            "fuzz",
            "run",
            target,
            "--",
            &format!("-max_total_time={}", options.secs),
        ]);
        // Building comes first, and can take minutes.
        let teed = util::tee(&mut command, Duration::from_secs(options.secs + 1800));
        let ok = teed.status.is_some_and(|s| s.success());
        let crashed = teed.output.contains("==ERROR")
            || teed.output.contains("panicked at")
            || teed.output.contains("Test unit written to");
        // A build that fails is not a crash the fuzzer found.
        let error = teed.error.or_else(|| {
            (!ok && !crashed && teed.output.contains("error: could not compile"))
                .then(|| "the target did not build (see the output above)".to_owned())
        });
        rows.push((*target, runs(&teed.output), ok && !crashed, error));
    }
    println!();
    println!("| target | seconds | runs | result |");
    println!("|---|---|---|---|");
    let mut failed = 0;
    for (target, runs, ok, error) in &rows {
        let runs = runs.map_or("?".to_owned(), |n| n.to_string());
        let result = match (ok, error) {
            (true, _) => "ok, no crash".to_owned(),
            (false, Some(e)) => format!("FAILED: {e}"),
            (false, None) => "FAILED: crash (see fuzz/artifacts)".to_owned(),
        };
        if !ok {
            failed += 1;
        }
        println!("| {target} | {} | {runs} | {result} |", options.secs);
    }
    println!("fanout fuzz: {} targets, {failed} failed", rows.len());
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_seconds_and_targets() {
        assert_eq!(
            parse_args(&[]).unwrap(),
            Options {
                secs: 60,
                targets: TARGETS.to_vec()
            }
        );
        assert_eq!(
            parse_args(&args(&["5", "sse", "lines"])).unwrap(),
            Options {
                secs: 5,
                targets: vec!["sse", "lines"]
            }
        );
        assert!(parse_args(&args(&["0"])).is_err());
        assert!(parse_args(&args(&["5", "6"])).is_err());
        assert!(parse_args(&args(&["nope"])).is_err());
    }

    #[test]
    fn every_target_is_declared_in_fuzz_cargo_toml() {
        let manifest = std::fs::read_to_string(util::root().join("fuzz/Cargo.toml")).unwrap();
        for t in TARGETS {
            assert!(manifest.contains(&format!("name = \"{t}\"")), "{t}");
            assert!(util::root()
                .join(format!("fuzz/fuzz_targets/{t}.rs"))
                .is_file());
        }
    }

    #[test]
    fn reads_libfuzzer_run_counts() {
        let out = "#65536\tpulse  cov: 10\n#1234567\tDONE   cov: 527 ft: 2000 corp: 80/2Kb exec/s: 20575 rss: 60Mb\nDone 1234567 runs in 61 second(s)\n";
        assert_eq!(runs(out), Some(1234567));
        assert_eq!(runs("#99\tDONE   cov: 1\n"), Some(99));
        assert_eq!(runs("nothing"), None);
    }
}
