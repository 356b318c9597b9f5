//! The size guard (issue 12): `cargo xtask size`, and the `size` stage of
//! `cargo xtask test`.
//!
//! Measures, as `cargo xtask bench` does (gzip -9 of the `.wasm` plus gzip
//! -9 of the JS glue, release builds with the root's profile and wasm-opt
//! flags):
//!
//! - `minimal`: the minimal app, `bench/min-fanout` (GET one URL, typed
//!   `json()`, default features), built with wasm-pack into
//!   `bench/target/pkg/min-fanout`, the very build the bench's size table
//!   shows;
//! - `demo`: the demo page, `www/pkg` (what `cargo xtask build` makes).
//!
//! and fails when either is more than [`TOLERANCE`] over its budget in
//! [`BUDGET_FILE`]. When a change makes them smaller, lower the budget by
//! hand in the same commit.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::bench;
use crate::build;
use crate::util::{self, cmd, Result};

/// The budget file, at the root of the repository.
pub const BUDGET_FILE: &str = "size-budget.toml";

/// How far past its budget a build may grow: 2 %.
pub const TOLERANCE: f64 = 0.02;

/// One measured build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    pub key: String,
    pub wasm: u64,
    pub glue: u64,
    /// gzip -9 of the wasm plus gzip -9 of the glue.
    pub gzip: u64,
}

/// `cargo xtask size`: builds the demo page and the minimal app, prints
/// the table and fails past the budget.
pub fn size(args: &[String]) -> Result {
    if let Some(arg) = args.first() {
        return Err(format!("size takes no arguments (got {arg:?})").into());
    }
    build::build_page()?;
    check_built()
}

/// Builds the minimal app, measures it and the demo page (`www/pkg`,
/// already built), prints the table and fails past the budget.
pub fn check_built() -> Result {
    let budget = read_budget()?;
    let demo_dir = util::root().join("www").join("pkg");
    let minimal_dir = bench::build_min_fanout()?;
    let rows = vec![
        measure("minimal", &minimal_dir)?,
        measure("demo", &demo_dir)?,
    ];
    let (table, errors) = judge(&rows, &budget);
    println!("{table}");
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; ").into())
    }
}

/// The budget: `key = bytes` lines of [`BUDGET_FILE`].
fn read_budget() -> Result<Vec<(String, u64)>> {
    let path = util::root().join(BUDGET_FILE);
    let text = fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    parse_budget(&text)
}

/// Parses `key = number` lines (TOML's subset this file uses: comments,
/// blank lines, `_` in numbers).
pub fn parse_budget(text: &str) -> Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("{BUDGET_FILE}:{}: expected `key = bytes`", i + 1))?;
        let value: u64 = value
            .trim()
            .replace('_', "")
            .parse()
            .map_err(|e| format!("{BUDGET_FILE}:{}: {e}", i + 1))?;
        out.push((key.trim().to_owned(), value));
    }
    Ok(out)
}

/// The wasm-pack package in `dir`: its raw sizes and gzip -9 total.
fn measure(key: &str, dir: &Path) -> Result<Measured> {
    let wasm = bench::find(dir, "_bg.wasm")
        .ok_or_else(|| format!("{key}: no .wasm in {}", dir.display()))?;
    let glue = bench::glue(dir).ok_or_else(|| format!("{key}: no JS glue in {}", dir.display()))?;
    Ok(Measured {
        key: key.to_owned(),
        wasm: fs::metadata(&wasm)?.len(),
        glue: fs::metadata(&glue)?.len(),
        gzip: gzip_len(&wasm)? + gzip_len(&glue)?,
    })
}

/// The size of `gzip -9 -n -c path` (the command the bench uses).
fn gzip_len(path: &PathBuf) -> Result<u64> {
    let out = cmd("gzip")
        .args(["-9", "-n", "-c"])
        .arg(path)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip {} failed ({})", path.display(), out.status).into());
    }
    Ok(out.stdout.len() as u64)
}

fn kib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}

/// The Markdown table of `rows` against `budget`, and one error per build
/// over its limit or missing from the budget.
pub fn judge(rows: &[Measured], budget: &[(String, u64)]) -> (String, Vec<String>) {
    let mut table = String::from(
        "| build | .wasm | JS glue | gzip -9 (bytes) | budget | limit (+2 %) | result |\n\
         |---|---:|---:|---:|---:|---:|---|\n",
    );
    let mut errors = Vec::new();
    for r in rows {
        let limit = budget
            .iter()
            .find(|(k, _)| *k == r.key)
            .map(|(_, b)| (*b, (*b as f64 * (1.0 + TOLERANCE)).floor() as u64));
        let result = match limit {
            None => {
                errors.push(format!("{}: no budget in {BUDGET_FILE}", r.key));
                "no budget".to_owned()
            }
            Some((_, limit)) if r.gzip > limit => {
                errors.push(format!(
                    "{} is {} bytes gzip, over its limit of {limit} (budget + 2 %)",
                    r.key, r.gzip
                ));
                "OVER".to_owned()
            }
            Some((b, _)) if r.gzip < b => {
                format!("ok, {} bytes under: lower the budget", b - r.gzip)
            }
            Some(_) => "ok".to_owned(),
        };
        let (b, l) = match limit {
            Some((b, l)) => (b.to_string(), l.to_string()),
            None => ("-".into(), "-".into()),
        };
        table.push_str(&format!(
            "| {} | {} KiB | {} KiB | {} ({} KiB) | {b} | {l} | {result} |\n",
            r.key,
            kib(r.wasm),
            kib(r.glue),
            r.gzip,
            kib(r.gzip),
        ));
    }
    (table, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, gzip: u64) -> Measured {
        Measured {
            key: key.into(),
            wasm: 1000,
            glue: 100,
            gzip,
        }
    }

    #[test]
    fn parses_the_budget() {
        let b = parse_budget("# comment\n\nminimal = 1_000 # bytes\ndemo=2000\n").unwrap();
        assert_eq!(b, vec![("minimal".into(), 1000), ("demo".into(), 2000)]);
        assert!(parse_budget("minimal 1000").is_err());
        assert!(parse_budget("minimal = ten").is_err());
    }

    #[test]
    fn fails_only_past_two_percent() {
        let budget = vec![("minimal".to_owned(), 1000)];
        assert!(judge(&[row("minimal", 1020)], &budget).1.is_empty());
        let (table, errors) = judge(&[row("minimal", 1021)], &budget);
        assert_eq!(errors.len(), 1, "{table}");
        assert!(table.contains("OVER"));
        assert!(judge(&[row("minimal", 900)], &budget)
            .0
            .contains("lower the budget"));
        assert_eq!(judge(&[row("demo", 1)], &budget).1.len(), 1);
    }

    #[test]
    fn the_committed_budget_parses_and_covers_both_builds() {
        let b = read_budget().unwrap();
        for key in ["minimal", "demo"] {
            assert!(b.iter().any(|(k, _)| k == key), "{key} missing");
        }
    }
}
