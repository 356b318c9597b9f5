//! Test counts, read from a stage's output: libtest's summary lines and
//! node's test runner's.

use crate::util;

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

#[cfg(test)]
mod tests {
    use super::*;

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
