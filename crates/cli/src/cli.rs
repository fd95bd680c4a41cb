//! Command-line flags (clap derive); doc comments are the `--help` text.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// zosmf-ha: make z/OSMF highly available in a sysplex.
///
/// Reads the IZUPRMxx members and TCP/IP profiles of your systems and
/// reports every mistake that would break z/OSMF hot standby, with the
/// z/OS message the system would issue.
#[derive(Parser, Debug)]
#[command(name = "zosmf-ha", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a sysplex (sysplex.toml or its folder) or lone members and profiles
    #[command(long_about = CHECK_LONG, after_help = CHECK_AFTER)]
    Check(CheckArgs),
    /// Explain a finding id (ZHA2006), or list every id
    Explain(ExplainArgs),
}

const CHECK_LONG: &str = "\
Check z/OSMF high-availability configuration.

Give a folder holding sysplex.toml (or the .toml file itself) to check a
whole sysplex: every system's IZUPRMxx members and TCP/IP profile, with
INCLUDEs and system symbols, and every HA rule ZHA1000-ZHA2017.

Give one or more files to check them alone: their syntax and the rules that
need no other system. A file whose name starts with IZUPRM is a parmlib
member; otherwise its content decides, or --kind.";

const CHECK_AFTER: &str = "\
Exit status: 0 no errors (warnings allowed), 1 errors found (or warnings with
--deny-warnings), 2 input could not be read or the command was misused.

Examples:
  zosmf-ha check examples/sysplex
  zosmf-ha check examples/sysplex --format json
  zosmf-ha check SYS1.PARMLIB/IZUPRM00 PROFILE.TCPIP
  zosmf-ha check plex/ --resolve zosmf.example.com=10.1.1.10
  zosmf-ha explain ZHA2006";

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// sysplex.toml, a folder holding it, or member and profile files
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Treat lone files as this kind instead of guessing
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,

    /// Output format; json writes only JSON to stdout
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Colour the human output (auto: on a terminal, unless NO_COLOR is set)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Exit with status 1 when there are warnings, too
    #[arg(long)]
    pub deny_warnings: bool,

    /// What a HOSTNAME resolves to, so ZHA1003 can be settled offline (repeatable)
    #[arg(long, value_name = "NAME=ADDR", value_parser = parse_resolve)]
    pub resolve: Vec<(String, IpAddr)>,

    /// A system symbol for lone files, e.g. --symbol SYSNAME=SYSA (repeatable)
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_symbol)]
    pub symbol: Vec<(String, String)>,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// A finding id such as ZHA2006 or ZHA2006E; without one, list them all
    pub id: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindArg {
    /// An IZUPRMxx member
    Parmlib,
    /// A PROFILE.TCPIP
    Profile,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn parse_resolve(s: &str) -> Result<(String, IpAddr), String> {
    zha_plex::check::parse_resolve(s)
}

fn parse_symbol(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE (e.g. SYSNAME=SYSA)"))?;
    let k = k.trim().trim_start_matches('&').trim_end_matches('.');
    if k.is_empty() {
        return Err("the symbol name is empty".into());
    }
    Ok((k.to_ascii_uppercase(), v.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_are_consistent() {
        Cli::command().debug_assert();
    }
}
