//! `cargo xtask serve [--port N] [--https [--https-port N]]`: builds the
//! demo page (the `www/` crate, into `www/pkg`) and runs the dev server in
//! the foreground until Ctrl-C; with `--https`, also over HTTPS with
//! HTTP/2 (default port 8443), with a self-signed certificate.
//! The process itself is built, started and stopped by
//! [`crate::devserver`].

use std::os::unix::process::ExitStatusExt;
use std::process::ExitCode;

use crate::build::build_page;
use crate::devserver::{self, DevServer};
use crate::setup;
use crate::util::Result;

/// Port used when neither `--port` nor `FANOUT_PORT` is given.
pub const DEFAULT_PORT: u16 = 8080;
/// The HTTPS port of `--https` without `--https-port`.
pub const DEFAULT_HTTPS_PORT: u16 = 8443;

const USAGE: &str = "usage: serve [--port N] [--https [--https-port N]]";

/// Parses `serve`'s arguments; `env_port` is `FANOUT_PORT`. Returns the
/// port and the HTTPS port, if HTTPS was asked for.
pub fn parse_args(args: &[String], env_port: Option<&str>) -> Result<(u16, Option<u16>)> {
    let mut https = false;
    let mut https_port = None;
    let mut rest = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--https" {
            https = true;
        } else if arg == "--https-port" {
            let value = iter.next().ok_or("--https-port needs a value")?;
            https_port = Some(value.clone());
        } else if let Some(value) = arg.strip_prefix("--https-port=") {
            https_port = Some(value.to_owned());
        } else {
            rest.push(arg.clone());
        }
    }
    let port = parse_port(&rest, env_port)?;
    let https_port = match https_port {
        Some(raw) => Some(
            raw.trim()
                .parse::<u16>()
                .map_err(|_| format!("--https-port: invalid port {raw:?}"))?,
        ),
        None if https => Some(DEFAULT_HTTPS_PORT),
        None => None,
    };
    Ok((port, https_port))
}

/// Parses `serve`'s `--port`; `env_port` is `FANOUT_PORT`.
pub fn parse_port(args: &[String], env_port: Option<&str>) -> Result<u16> {
    let parse = |raw: &str, what: &str| -> Result<u16> {
        raw.trim()
            .parse::<u16>()
            .map_err(|_| format!("{what}: invalid port {raw:?}").into())
    };
    let mut port = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--port" || arg == "-p" {
            let value = args.next().ok_or("--port needs a value")?;
            port = Some(parse(value, "--port")?);
        } else if let Some(value) = arg.strip_prefix("--port=") {
            port = Some(parse(value, "--port")?);
        } else {
            return Err(format!("serve: unexpected argument {arg:?}; {USAGE}").into());
        }
    }
    match (port, env_port.filter(|p| !p.trim().is_empty())) {
        (Some(port), _) => Ok(port),
        (None, Some(env)) => parse(env, "FANOUT_PORT"),
        (None, None) => Ok(DEFAULT_PORT),
    }
}

/// Ignores SIGINT in this process, so that Ctrl-C (which the terminal also
/// sends to the server, in the same process group) stops only the server,
/// and we live on to wait for it and pass on its exit status.
fn ignore_sigint() {
    extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGINT: i32 = 2;
    const SIG_IGN: usize = 1;
    // SAFETY: libc's signal() with SIG_IGN installs no handler code.
    unsafe {
        signal(SIGINT, SIG_IGN);
    }
}

pub fn serve(args: &[String]) -> Result<ExitCode> {
    let env_port = std::env::var("FANOUT_PORT").ok();
    let (port, https_port) = parse_args(args, env_port.as_deref())?;
    setup::ensure(setup::BUILD)?;
    build_page()?;
    devserver::build()?;
    // Spawned before SIGINT is ignored: an ignored signal stays ignored
    // across exec, and the server must get Ctrl-C.
    let server = DevServer::spawn_with(port, https_port, "")?;
    ignore_sigint();
    println!("{}", server.line);
    println!("open {}/ in a browser; Ctrl-C stops", server.url);
    if let Some(https) = &server.https_url {
        println!(
            "HTTP/2: {https}/ (self-signed: the server's message above says how to trust it; \
             the page's ?api={https} sends its requests there)"
        );
    }
    crate::util::flush();
    let status = server.wait()?;
    let code = match (status.code(), status.signal()) {
        (Some(code), _) => code,
        // Killed by a signal: the shell's convention.
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    };
    Ok(ExitCode::from(code.clamp(0, 255) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn port_from_flag_env_or_default() {
        assert_eq!(
            parse_port(&args(&["--port", "9000"]), Some("7000")).unwrap(),
            9000
        );
        assert_eq!(parse_port(&args(&["--port=0"]), None).unwrap(), 0);
        assert_eq!(parse_port(&args(&[]), Some("7000")).unwrap(), 7000);
        assert_eq!(parse_port(&args(&[]), Some("")).unwrap(), DEFAULT_PORT);
        assert_eq!(parse_port(&args(&[]), None).unwrap(), DEFAULT_PORT);
        assert!(parse_port(&args(&["--port"]), None).is_err());
        assert!(parse_port(&args(&["--port", "x"]), None).is_err());
        assert!(parse_port(&args(&["--bogus"]), None).is_err());
        assert!(parse_port(&args(&[]), Some("70000")).is_err());
    }

    #[test]
    fn https_flags() {
        assert_eq!(parse_args(&args(&[]), None).unwrap(), (DEFAULT_PORT, None));
        assert_eq!(
            parse_args(&args(&["--https"]), None).unwrap(),
            (DEFAULT_PORT, Some(DEFAULT_HTTPS_PORT))
        );
        assert_eq!(
            parse_args(&args(&["--port", "1", "--https-port=0"]), None).unwrap(),
            (1, Some(0))
        );
        assert!(parse_args(&args(&["--https-port", "x"]), None).is_err());
    }
}
