//! Paths, the shared command environment and process helpers.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Error type of every fallible xtask function: a message for the user.
pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the root) or
/// `<root>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root().join(dir),
        _ => root().join("target"),
    }
}

/// `<root>/tools`, home of the pinned npm tools.
pub fn tools_dir() -> PathBuf {
    root().join("tools")
}

/// `<root>/tools/node_modules/.bin` (wasm-opt, tsc, vite).
pub fn tools_bin() -> PathBuf {
    tools_dir().join("node_modules").join(".bin")
}

/// `$CARGO_HOME/bin`, else `~/.cargo/bin`.
pub fn cargo_bin() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
            PathBuf::from(home).join(".cargo")
        });
    home.join("bin")
}

/// The `PATH` every external command gets: the npm tools first (so that
/// wasm-pack picks npm binaryen's `wasm-opt`, not an older system one), then
/// cargo's bin directory, then the inherited `PATH` without duplicates.
pub fn tool_path() -> OsString {
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    build_path(&[tools_bin(), cargo_bin()], &inherited)
}

/// Joins `first` and then the entries of `inherited`, dropping duplicates.
pub fn build_path(first: &[PathBuf], inherited: &OsStr) -> OsString {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for dir in first
        .iter()
        .cloned()
        .chain(std::env::split_paths(inherited))
    {
        if !dir.as_os_str().is_empty() && !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    std::env::join_paths(dirs).unwrap_or_else(|_| inherited.to_os_string())
}

/// Finds an executable named `name` on [`tool_path`].
pub fn which(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(&tool_path())
        .map(|dir| dir.join(name))
        .find(|path| {
            path.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// The one way xtask builds a command: run from the workspace root, with
/// [`tool_path`] as `PATH` (also used to look the program up) and
/// wasm-bindgen-test-runner pointed at the root's `webdriver.json`.
pub fn cmd(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    command.current_dir(root()).env("PATH", tool_path()).env(
        "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
        root().join("webdriver.json"),
    );
    command
}

/// A `cargo` command: the cargo that runs xtask (`$CARGO`), else `cargo`.
pub fn cargo() -> Command {
    cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The command line of `command`, for echoing.
pub fn describe(command: &Command) -> String {
    let mut out = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        let arg = arg.to_string_lossy();
        out.push(' ');
        if arg.is_empty() || arg.contains(char::is_whitespace) {
            out.push_str(&format!("{arg:?}"));
        } else {
            out.push_str(&arg);
        }
    }
    out
}

/// Echoes and runs `command` with inherited stdio; fails on a non-zero exit.
pub fn run(command: &mut Command) -> Result {
    let line = describe(command);
    println!("$ {line}");
    flush();
    let status = command
        .status()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})").into())
    }
}

/// Runs `command` quietly and returns its trimmed stdout if it succeeded.
pub fn capture(command: &mut Command) -> Option<String> {
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Flushes stdout (before a child writes to the same terminal).
pub fn flush() {
    let _ = io::stdout().flush();
}

/// What [`tee`] saw.
pub struct Teed {
    /// Exit status; `None` if the command could not start or timed out.
    pub status: Option<ExitStatus>,
    /// Everything the command wrote to stdout and stderr.
    pub output: String,
    /// Why there is no status.
    pub error: Option<String>,
}

/// Echoes and runs `command`, forwarding its stdout and stderr live to ours
/// while also capturing both. Kills it after `timeout`.
pub fn tee(command: &mut Command, timeout: Duration) -> Teed {
    let line = describe(command);
    println!("$ {line}");
    flush();
    let spawned = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            return Teed {
                status: None,
                output: String::new(),
                error: Some(format!("could not start `{line}`: {e}")),
            }
        }
    };
    let captured = Arc::new(Mutex::new(Vec::new()));
    let (done_tx, done_rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        pump(out, io::stdout(), Arc::clone(&captured), done_tx.clone());
    }
    if let Some(err) = child.stderr.take() {
        pump(err, io::stderr(), Arc::clone(&captured), done_tx.clone());
    }
    drop(done_tx);

    let (status, error) = match wait_timeout(&mut child, timeout) {
        Ok(Some(status)) => (Some(status), None),
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            let secs = timeout.as_secs();
            (
                None,
                Some(format!("`{line}` timed out after {secs} s and was killed")),
            )
        }
        Err(e) => (None, Some(format!("waiting for `{line}`: {e}"))),
    };
    // Both pumps end at EOF; a grandchild that kept the pipes open (say an
    // orphaned webdriver) must not hang us, so wait only a little.
    let deadline = Instant::now() + Duration::from_secs(5);
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            break;
        }
    }
    let output =
        String::from_utf8_lossy(&captured.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    Teed {
        status,
        output,
        error,
    }
}

/// Copies `from` to `to` chunk by chunk on a thread, appending to `captured`.
fn pump(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    captured: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Sender<()>,
) {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let _ = to.write_all(&buf[..n]);
                    let _ = to.flush();
                    captured
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend_from_slice(&buf[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = done.send(());
    });
}

/// Waits for `child` up to `timeout`; `Ok(None)` when it is still running.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Removes ANSI escape sequences (colors) from `text`.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            // CSI: parameters, then one final byte in '@'..='~'.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_puts_tools_first_without_duplicates() {
        let first = [
            PathBuf::from("/repo/tools/node_modules/.bin"),
            PathBuf::from("/c/bin"),
        ];
        let path = build_path(&first, OsStr::new("/usr/bin:/c/bin::/bin"));
        assert_eq!(
            path,
            OsString::from("/repo/tools/node_modules/.bin:/c/bin:/usr/bin:/bin")
        );
    }

    #[test]
    fn strips_colors() {
        assert_eq!(strip_ansi("\u{1b}[1m\u{1b}[32mok\u{1b}[0m."), "ok.");
        assert_eq!(strip_ansi("plain ℹ text"), "plain ℹ text");
    }

    #[test]
    fn describes_commands() {
        let mut c = Command::new("node");
        c.args(["--test", "a b"]);
        assert_eq!(describe(&c), "node --test \"a b\"");
    }
}
