//! The Leptos example (`examples/leptos/`, its own cargo workspace, so the
//! root's `cargo test --workspace` never compiles Leptos), compiled for both
//! targets from its committed `Cargo.lock` (`cargo check`: every crate is
//! compiled and type-checked, nothing linked, which halves the time):
//! natively with feature `ssr` and for wasm32 with `hydrate`. That keeps the documented pattern (one shared
//! `Client` in a `Resource` whose fetcher is `Send + Sync` and future `Send`,
//! an `Action::new_local`) compiling on both sides. It is built, not run.
//! Cold, they took 3 min 4 s and 2 min 42 s of CPU (user + sys; 6 min 11 s
//! and 3 min 51 s of wall time on two cores shared with other builds, load
//! average 5 to 8); later runs reuse `examples/leptos/target`.

use std::process::Command;

use crate::setup;
use crate::util;

/// The two compilations, each as `cargo` in `examples/leptos/` (stage
/// `leptos` of `cargo xtask test`).
pub fn commands() -> Vec<Command> {
    let dir = util::root().join("examples").join("leptos");
    let builds: [&[&str]; 2] = [
        &["check", "--locked", "--features", "ssr"],
        &[
            "check",
            "--locked",
            "--target",
            setup::WASM_TARGET,
            "--features",
            "hydrate",
        ],
    ];
    builds
        .iter()
        .map(|args| {
            let mut c = util::cargo();
            c.args(*args).current_dir(&dir);
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_both_targets_in_the_example_workspace() {
        let commands = commands();
        assert_eq!(commands.len(), 2);
        let dir = util::root().join("examples/leptos");
        for c in &commands {
            assert_eq!(c.get_current_dir(), Some(dir.as_path()));
            assert!(dir.join("Cargo.lock").is_file());
        }
        let args = |c: &Command| util::describe(c);
        assert!(args(&commands[0]).ends_with("check --locked --features ssr"));
        assert!(args(&commands[1])
            .ends_with("check --locked --target wasm32-unknown-unknown --features hydrate"));
    }
}
