//! `cargo xtask`: fanout's task runner (std only, so it compiles in seconds).
//!
//! ```text
//! cargo xtask setup                      install what is missing
//! cargo xtask build                      release wasm packages (www/pkg, pkg/*)
//! cargo xtask serve [--port N]           demo page + dev server
//! cargo xtask test [--skip-firefox] [STAGE...]
//! cargo xtask fuzz [SECONDS] [TARGET...]  (nightly; not part of test)
//! cargo xtask size                       the size guard alone (size-budget.toml)
//! ```

mod bench;
mod build;
mod devserver;
mod fuzz;
mod leptos;
mod serve;
mod setup;
mod size;
mod test;
mod util;

use std::process::ExitCode;

/// The usage, `{stages}` standing for the test stages' names.
const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup                         install what is missing (rust target, wasm-pack,
                                wasm-bindgen-cli, geckodriver, browsers, npm tools)
  build                         release builds: the demo page (www/pkg) and the
                                npm packages (pkg/web, pkg/bundler, pkg/nodejs)
  serve [--port N]              build the demo page and run the dev server
                                (default port: $FANOUT_PORT, else 8080)
  test [--skip-firefox] [STAGE...]
                                run the test stages (all by default), in order:
{stages}
  size                          build the demo page and the minimal app and check
                                their gzip sizes against size-budget.toml (+2 %)
  fuzz [SECONDS] [TARGET...]    run each cargo-fuzz target of fuzz/ for SECONDS
                                (default 60) with cargo +nightly fuzz; not part
                                of test (needs a nightly toolchain)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{}", usage());
        return ExitCode::from(2);
    };
    let result = match command.as_str() {
        "setup" => no_args("setup", rest).and_then(|()| setup::ensure(setup::ALL)),
        "build" => no_args("build", rest).and_then(|()| {
            setup::ensure(setup::BUILD)?;
            build::build_page()?;
            build::build_npm()
        }),
        "bench" => bench::bench(rest),
        "size" => size::size(rest),
        "serve" => return report(serve::serve(rest)),
        "test" => return report(test::test(rest)),
        "fuzz" => return report(fuzz::fuzz(rest)),
        "help" | "-h" | "--help" => {
            println!("{}", usage());
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("unknown command {other:?}\n\n{}", usage());
            return ExitCode::from(2);
        }
    };
    report(result.map(|()| ExitCode::SUCCESS))
}

/// [`USAGE`] with the test stages' names, wrapped under the descriptions.
fn usage() -> String {
    const INDENT: usize = 32;
    const WIDTH: usize = 80;
    let mut lines: Vec<String> = Vec::new();
    for name in test::stage_names() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + name.len() <= WIDTH => {
                line.push(' ');
                line.push_str(name);
            }
            _ => lines.push(format!("{:INDENT$}{name}", "")),
        }
    }
    USAGE.replace("{stages}", &lines.join("\n"))
}

fn no_args(command: &str, rest: &[String]) -> util::Result {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(format!("{command} takes no arguments (got {arg:?})").into()),
    }
}

fn report(result: util::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            util::flush();
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
