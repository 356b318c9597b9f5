//! The run's final table: one row per step (setup, the dev server, each
//! stage) and, as the very last line, `fanout: N passed, M failed`.

use std::time::Instant;

use super::counts::Counts;
use crate::util;

/// How a stage ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed(String),
    Skipped(String),
}

impl Outcome {
    /// Ok, or failed with `errors`.
    pub fn from_errors(errors: &[String]) -> Outcome {
        if errors.is_empty() {
            Outcome::Ok
        } else {
            Outcome::Failed(errors.join("; "))
        }
    }
}

/// One line of the final table.
pub struct Row {
    pub name: &'static str,
    pub outcome: Outcome,
    pub counts: Option<Counts>,
    pub secs: f64,
}

impl Row {
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed(_))
    }

    /// A row for a step without test counts: ok, or failed with `errors`.
    pub fn from_errors(name: &'static str, errors: &[String], started: Instant) -> Row {
        Row {
            name,
            outcome: Outcome::from_errors(errors),
            counts: None,
            secs: started.elapsed().as_secs_f64(),
        }
    }
}

pub fn totals(rows: &[Row]) -> Counts {
    rows.iter()
        .filter_map(|r| r.counts)
        .fold(Counts::default(), |a, c| Counts {
            passed: a.passed + c.passed,
            failed: a.failed + c.failed,
        })
}

pub fn print_summary(rows: &[Row]) {
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
