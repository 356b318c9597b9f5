//! Command line of the `fanout-devserver` binary, and the serve loop.
//!
//! ```text
//! fanout-devserver [--port N] [--host H] [--root DIR] [--https-port N]
//! ```
//!
//! `FANOUT_PORT` is used when `--port` is absent; the default port is 8080
//! and `--port 0` picks a free one. The default host is `127.0.0.1`, the
//! default root the current directory. After binding, exactly one line,
//! `fanout dev server listening on http://ADDR` (the real bound address), is
//! printed to stdout; all other output goes to stderr. With `--https-port`
//! the same app (the same statistics) is also served over TLS with HTTP/2
//! ([`crate::tls`]), and the line ends with ` (https: https://ADDR)`.

use std::future::IntoFuture;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::Config;

/// Port used when neither `--port` nor `FANOUT_PORT` is given.
pub const DEFAULT_PORT: u16 = 8080;
/// Host bound by default (never all interfaces).
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// How long in-flight requests (say a `/drip`) may run after a shutdown
/// signal before the server exits anyway (a `/hang` would wait forever).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Usage text for `--help` and errors.
pub const USAGE: &str =
    "usage: fanout-devserver [--port N] [--host H] [--root DIR] [--https-port N]

  --port N        port to listen on (default: $FANOUT_PORT, else 8080; 0 = any free port)
  --host H        address to bind (default: 127.0.0.1)
  --root DIR      directory with index.html and www/ (default: current directory)
  --https-port N  also serve over HTTPS with HTTP/2 on this port (0 = any free port),
                  with a self-signed certificate made at start
";

/// Parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// Port to bind (0 = any free port).
    pub port: u16,
    /// Host or address to bind.
    pub host: String,
    /// Static file root.
    pub root: PathBuf,
    /// Also serve over HTTPS (HTTP/2) on this port.
    pub https_port: Option<u16>,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve with these arguments.
    Serve(Args),
    /// Print [`USAGE`] and exit successfully.
    Help,
}

fn parse_port(raw: &str, what: &str) -> Result<u16, String> {
    raw.trim()
        .parse::<u16>()
        .map_err(|_| format!("{what}: invalid port {raw:?} (expected 0-65535)"))
}

impl Args {
    /// Parses the arguments after the program name; `env_port` is the value
    /// of `FANOUT_PORT` (an empty value counts as unset). Flags take their
    /// value as the next argument or after `=` (`--port=0`).
    pub fn parse<I, S>(args: I, env_port: Option<&str>) -> Result<Command, String>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut port = None;
        let mut host = None;
        let mut root = None;
        let mut https_port = None;
        let mut args = args.into_iter().map(Into::into);
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (flag.to_owned(), Some(value.to_owned()))
                }
                _ => (arg.clone(), None),
            };
            let mut value = |name: &str| {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match flag.as_str() {
                "-h" | "--help" => return Ok(Command::Help),
                "--port" => port = Some(parse_port(&value("--port")?, "--port")?),
                "--host" => host = Some(value("--host")?),
                "--root" => root = Some(PathBuf::from(value("--root")?)),
                "--https-port" => {
                    https_port = Some(parse_port(&value("--https-port")?, "--https-port")?)
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        let port = match (port, env_port.filter(|p| !p.trim().is_empty())) {
            (Some(port), _) => port,
            (None, Some(env)) => parse_port(env, "FANOUT_PORT")?,
            (None, None) => DEFAULT_PORT,
        };
        Ok(Command::Serve(Args {
            port,
            host: host.unwrap_or_else(|| DEFAULT_HOST.to_owned()),
            root: root.unwrap_or_else(|| PathBuf::from(".")),
            https_port,
        }))
    }
}

/// The line printed to stdout once the listener is bound.
pub fn listening_line(addr: SocketAddr) -> String {
    format!("fanout dev server listening on http://{addr}")
}

/// Resolves when the process receives Ctrl-C (SIGINT) or SIGTERM. The signal
/// handlers are installed when this function is called, not when the future
/// is first polled.
fn shutdown_signal() -> io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => eprintln!("fanout-devserver: SIGINT, shutting down"),
                _ = terminate.recv() => eprintln!("fanout-devserver: SIGTERM, shutting down"),
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("fanout-devserver: Ctrl-C, shutting down");
        })
    }
}

/// Binds, prints the listening line and serves until Ctrl-C or SIGTERM, then
/// shuts down gracefully (waiting at most [`SHUTDOWN_GRACE`] for requests
/// still running).
pub async fn run(args: Args) -> io::Result<()> {
    // Build the fixtures before accepting connections.
    let fixtures = crate::fixtures::Fixtures::get();
    let signal = shutdown_signal()?;

    let listener = TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot bind {}:{}: {e}", args.host, args.port),
            )
        })?;
    let addr = listener.local_addr()?;
    let app = crate::app(Config::new(args.root.clone()));

    let mut line = listening_line(addr);
    if let Some(port) = args.https_port {
        let tls_listener = TcpListener::bind((args.host.as_str(), port))
            .await
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot bind {}:{port} for https: {e}", args.host),
                )
            })?;
        let tls_addr = tls_listener.local_addr()?;
        let crate::tls::SelfSigned { acceptor, spki, .. } = crate::tls::self_signed()?;
        tokio::spawn(crate::tls::serve(tls_listener, app.clone(), acceptor));
        line.push_str(&format!(" (https: https://{tls_addr})"));
        eprintln!(
            "fanout-devserver: HTTPS with HTTP/2 on https://{tls_addr}, with a self-signed \
             certificate made now for localhost and 127.0.0.1. To trust it in Chromium, start \
             it with --ignore-certificate-errors-spki-list={spki} ; in Firefox, open the URL \
             once and accept the warning (Advanced, Accept the Risk)."
        );
    }

    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    drop(stdout);
    eprintln!(
        "fanout-devserver: serving static files from {} ({} posts, {} photos, /photos is {} bytes)",
        args.root.display(),
        fixtures.posts.len(),
        fixtures.photos.len(),
        fixtures.photos.all_json().len(),
    );

    serve_app(listener, app, signal).await
}

/// Serves [`crate::app`] on `listener` until `shutdown` resolves, then shuts
/// down gracefully, giving running requests at most [`SHUTDOWN_GRACE`].
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_app(listener, crate::app(config), shutdown).await
}

/// [`serve`] with the app already made (shared with the HTTPS listener).
async fn serve_app(
    listener: TcpListener,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    use axum::serve::ListenerExt;

    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop_rx.await;
        })
        .into_future();
    tokio::pin!(server);

    tokio::select! {
        result = &mut server => return result,
        () = shutdown => {}
    }
    let _ = stop_tx.send(());
    match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
        Ok(result) => result,
        Err(_) => {
            eprintln!(
                "fanout-devserver: requests still running after {SHUTDOWN_GRACE:?}; exiting anyway"
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_args(args: &[&str], env: Option<&str>) -> Args {
        match Args::parse(args.iter().copied(), env) {
            Ok(Command::Serve(args)) => args,
            other => panic!("expected Serve, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let args = serve_args(&[], None);
        assert_eq!(args.port, 8080);
        assert_eq!(args.host, "127.0.0.1");
        assert_eq!(args.root, PathBuf::from("."));
    }

    #[test]
    fn env_port_and_override() {
        assert_eq!(serve_args(&[], Some("9000")).port, 9000);
        assert_eq!(serve_args(&[], Some("")).port, 8080);
        assert_eq!(serve_args(&["--port", "0"], Some("9000")).port, 0);
        assert_eq!(serve_args(&["--port=1234"], None).port, 1234);
        assert!(Args::parse(Vec::<String>::new(), Some("nope")).is_err());
    }

    #[test]
    fn host_and_root() {
        let args = serve_args(&["--host", "::1", "--root=/tmp/x", "--port", "1"], None);
        assert_eq!(args.host, "::1");
        assert_eq!(args.root, PathBuf::from("/tmp/x"));
        assert_eq!(args.port, 1);
    }

    #[test]
    fn https_port() {
        assert_eq!(serve_args(&[], None).https_port, None);
        assert_eq!(serve_args(&["--https-port", "0"], None).https_port, Some(0));
        assert_eq!(
            serve_args(&["--https-port=8443"], None).https_port,
            Some(8443)
        );
        assert!(Args::parse(["--https-port", "x"], None).is_err());
    }

    #[test]
    fn errors_and_help() {
        assert!(Args::parse(["--port"], None).is_err());
        assert!(Args::parse(["--port", "70000"], None).is_err());
        assert!(Args::parse(["--bogus"], None).is_err());
        assert!(Args::parse(["8080"], None).is_err());
        assert_eq!(Args::parse(["--help"], None), Ok(Command::Help));
        assert_eq!(Args::parse(["-h"], None), Ok(Command::Help));
    }

    #[test]
    fn ipv6_listening_line() {
        let addr: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(
            listening_line(addr),
            "fanout dev server listening on http://[::1]:80"
        );
    }
}
