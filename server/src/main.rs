//! `fanout-devserver [--port N] [--host H] [--root DIR]`: see
//! [`fanout_devserver::cli`].

use std::process::ExitCode;

use fanout_devserver::cli::{self, Args, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let env_port = std::env::var("FANOUT_PORT").ok();
    let args = match Args::parse(std::env::args().skip(1), env_port.as_deref()) {
        Ok(Command::Serve(args)) => args,
        Ok(Command::Help) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("fanout-devserver: {message}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    match cli::run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fanout-devserver: {e}");
            ExitCode::FAILURE
        }
    }
}
