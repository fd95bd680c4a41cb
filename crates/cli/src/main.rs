//! The `zosmf-ha` binary: parses flags, builds a validated configuration and
//! dispatches to a command. The work is done by the library crates.
//!
//! Exit status: 0 no errors (warnings allowed), 1 errors found, 2 the input
//! could not be read or the command was misused. A closed pipe on stdout is
//! not an error.

mod args;
mod child;
mod cmd;
mod logging;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Check(args) => cmd::check::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Distribute(args) => cmd::distribute::run(args),
        Command::Netstat(args) => cmd::distribute::netstat(args),
        Command::Top(args) => cmd::top::run(args),
        Command::Vary(args) => cmd::distribute::vary(args),
        Command::Reload(args) => cmd::distribute::reload(args),
        Command::Plan(args) => cmd::plan::run(args),
        Command::Server(args) => cmd::server::run(args),
        Command::Up(args) => cmd::up::run(args),
        Command::Probe(args) => cmd::probe::run(args),
        Command::Completions(args) => cmd::docs::completions(args),
        Command::Man(args) => cmd::docs::man(args),
    };
    match res {
        Ok(code) => code,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(&format!("zosmf-ha: error: {e:#}"));
            ExitCode::from(2)
        }
    }
}
