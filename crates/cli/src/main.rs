//! The `zosmf-ha` binary: parses flags, builds a validated configuration and
//! dispatches. The work is done by the library crates.
//!
//! Exit status: 0 no errors (warnings allowed), 1 errors found, 2 the input
//! could not be read or the command was misused. A closed pipe on stdout is
//! not an error.

mod check;
mod child;
mod cli;
mod distribute;
mod explain;
mod output;
mod plan;
mod probe;
mod scenario;
mod server;
mod up;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Distribute(args) => distribute::run(args),
        Command::Netstat(args) => distribute::netstat(args),
        Command::Vary(args) => distribute::vary(args),
        Command::Reload(args) => distribute::reload(args),
        Command::Plan(args) => plan::run(args),
        Command::Server(args) => server::run(args),
        Command::Up(args) => up::run(args),
        Command::Probe(args) => probe::run(args),
    };
    match res {
        Ok(code) => code,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zosmf-ha: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
