//! Building, starting and stopping the dev server process,
//! `fanout-devserver`, for the commands that use it (`serve`, `test`;
//! `bench` starts its own from [`binary`]).
//!
//! The server prints exactly one line to stdout once it is bound,
//! `fanout dev server listening on http://ADDR`; everything else goes to
//! stderr. [`DevServer`] reads that line, keeps forwarding both streams on
//! background threads (so the server never blocks on a full pipe) and stops
//! the server when dropped, also on an early return or a panic.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::util::{self, cargo, cmd, run, Result};

/// What the server's first stdout line starts with.
pub const LISTENING_PREFIX: &str = "fanout dev server listening on ";
/// How long to wait for that line.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a SIGTERMed server may take to exit before it gets SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Parses the listening line into the base URL (`http://127.0.0.1:PORT`,
/// no trailing slash) and the port.
pub fn parse_listening_line(line: &str) -> Option<(String, u16)> {
    let addr = line.trim().strip_prefix(LISTENING_PREFIX)?.trim();
    let addr = addr.split(" (https: ").next()?.trim();
    let host_port = addr.strip_prefix("http://")?.trim_end_matches('/');
    let (host, port) = host_port.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    if host.is_empty() || host.contains('/') || port == 0 {
        return None;
    }
    Some((format!("http://{host_port}"), port))
}

/// The HTTPS (HTTP/2) base URL of a listening line that has one
/// (`... (https: https://127.0.0.1:PORT)`), without a trailing slash.
pub fn parse_https_url(line: &str) -> Option<String> {
    let (_, rest) = line.split_once(" (https: ")?;
    let url = rest.trim().strip_suffix(')')?.trim_end_matches('/');
    url.starts_with("https://").then(|| url.to_owned())
}

/// `cargo build -p fanout-devserver --release`.
pub fn build() -> Result {
    run(cargo().args(["build", "-p", "fanout-devserver", "--release"]))
}

/// The release binary [`build`] makes.
pub fn binary() -> PathBuf {
    util::target_dir().join("release").join("fanout-devserver")
}

/// Starts the dev server `bin` with `command`, said first.
pub fn start(command: &mut Command, bin: &Path) -> Result<Child> {
    println!("$ {}", util::describe(command));
    util::flush();
    command
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", bin.display()).into())
}

/// A running dev server; stopped (SIGTERM, then SIGKILL) on drop.
pub struct DevServer {
    child: Option<Child>,
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// The bound port.
    pub port: u16,
    /// The listening line as printed.
    pub line: String,
    /// The HTTPS (HTTP/2) base URL, when started with one.
    pub https_url: Option<String>,
    forwarders: Vec<JoinHandle<()>>,
}

impl DevServer {
    /// Starts the built server on `port` (0 = any free port) serving the
    /// workspace root, and waits for its listening line. Its later output is
    /// forwarded with `prefix` before each line.
    /// Also serves HTTPS with HTTP/2 on `https_port` (0 = any free port)
    /// when given.
    pub fn spawn_with(
        port: u16,
        https_port: Option<u16>,
        prefix: &'static str,
    ) -> Result<DevServer> {
        let bin = binary();
        if !bin.exists() {
            return Err(format!("{} not found; build it first", bin.display()).into());
        }
        let mut command: Command = cmd(&bin);
        command
            .arg("--port")
            .arg(port.to_string())
            .arg("--root")
            .arg(util::root())
            .args(https_port.map(|p| format!("--https-port={p}")))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = start(&mut command, &bin)?;

        let (first_tx, first_rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let out_thread = thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = first_tx.send(first);
            }
            drop(first_tx);
            for line in lines.map_while(|l| l.ok()) {
                let _ = writeln!(io::stdout(), "{prefix}{line}");
            }
        });
        let err_thread = thread::spawn(move || forward_lines(stderr, prefix));

        // From here on the guard owns the child, so any error path stops it.
        let mut server = DevServer {
            child: Some(child),
            url: String::new(),
            port: 0,
            line: String::new(),
            https_url: None,
            forwarders: vec![out_thread, err_thread],
        };
        let first = match first_rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let secs = STARTUP_TIMEOUT.as_secs();
                return Err(format!("dev server printed no address within {secs} s").into());
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = server.stop();
                return Err(format!(
                    "dev server exited before printing its address ({})",
                    status.map_or_else(|| "status unknown".into(), |s| s.to_string())
                )
                .into());
            }
        };
        let Some((url, port)) = parse_listening_line(&first) else {
            return Err(format!("unexpected first line from the dev server: {first:?}").into());
        };
        server.url = url;
        server.port = port;
        server.https_url = parse_https_url(&first);
        server.line = first;
        Ok(server)
    }

    /// Waits for the server to exit by itself (`serve`: until Ctrl-C).
    pub fn wait(mut self) -> io::Result<ExitStatus> {
        let mut child = self.child.take().expect("server is running");
        let status = child.wait()?;
        self.join_forwarders();
        Ok(status)
    }

    /// Sends SIGTERM, waits a little, then kills; returns the exit status.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        if let Ok(Some(status)) = child.try_wait() {
            self.join_forwarders();
            return Some(status);
        }
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let status = match util::wait_timeout(&mut child, STOP_GRACE) {
            Ok(Some(status)) => Some(status),
            _ => {
                let _ = child.kill();
                child.wait().ok()
            }
        };
        self.join_forwarders();
        status
    }

    fn join_forwarders(&mut self) {
        for handle in self.forwarders.drain(..) {
            let _ = handle.join();
        }
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn forward_lines(from: impl Read, prefix: &str) {
    for line in BufReader::new(from).lines().map_while(|l| l.ok()) {
        let _ = writeln!(io::stderr(), "{prefix}{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_listening_line() {
        assert_eq!(
            parse_listening_line("fanout dev server listening on http://127.0.0.1:41234\n"),
            Some(("http://127.0.0.1:41234".to_owned(), 41234))
        );
        assert_eq!(
            parse_listening_line("fanout dev server listening on http://[::1]:8080/"),
            Some(("http://[::1]:8080".to_owned(), 8080))
        );
    }

    #[test]
    fn parses_the_https_url() {
        let line = "fanout dev server listening on http://127.0.0.1:41234 (https: https://127.0.0.1:41235)";
        assert_eq!(
            parse_listening_line(line),
            Some(("http://127.0.0.1:41234".to_owned(), 41234))
        );
        assert_eq!(
            parse_https_url(line).as_deref(),
            Some("https://127.0.0.1:41235")
        );
        assert_eq!(
            parse_https_url("fanout dev server listening on http://127.0.0.1:1"),
            None
        );
    }

    #[test]
    fn rejects_other_lines() {
        for line in [
            "Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ...",
            "fanout dev server listening on 127.0.0.1:8080",
            "fanout dev server listening on http://127.0.0.1",
            "fanout dev server listening on http://127.0.0.1:0",
            "fanout dev server listening on http://127.0.0.1:99999",
            "",
        ] {
            assert_eq!(parse_listening_line(line), None, "{line:?}");
        }
    }
}
