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
    /// Run the hot-standby distributor for a profile's VIPADISTRIBUTE statements
    #[command(long_about = DISTRIBUTE_LONG, after_help = DISTRIBUTE_AFTER)]
    Distribute(DistributeArgs),
    /// Show a running distributor's tables, laid out like z/OS NETSTAT
    Netstat(NetstatArgs),
    /// Quiesce or resume a target of a running distributor
    Vary(VaryArgs),
    /// Replace a running distributor's profile by a changed one, applied as a diff
    Reload(ReloadArgs),
}

const DISTRIBUTE_LONG: &str = "\
Run the hot-standby distributor: what the z/OS Sysplex Distributor does for
z/OSMF with DISTMETHOD HOTSTANDBY, as a TCP distributor on this machine.

It listens on every DVIPA:port of the profile's VIPADISTRIBUTE ... HOTSTANDBY
statements and sends each new connection to the active target: the
PREFERRED one while it is available, else the highest-ranked available
BACKUP. A failed connect marks the target down at once and the same client
is tried on the next target. Existing connections are never moved or cut.

The profile is checked first, like `zosmf-ha check`; with errors it does
not start. Settings z/OS does not say (probes, timeouts, port remapping,
control socket, metrics ...) come from --config, all optional.";

const DISTRIBUTE_AFTER: &str = "\
While it runs:
  zosmf-ha netstat vdpt            the targets and which one is active
  zosmf-ha vary quiesce SYSA       no new connections for SYSA
  zosmf-ha reload                  apply a changed profile (or send SIGHUP)
SIGTERM or Ctrl-C stops accepting and lets open connections finish.

A settings file (every key optional):
  [probe]              interval = \"1s\", timeout = \"1s\", rise = 2, fall = 2
  [probe.http]         path = \"/zosmf/info\", ca_file = \"ca.pem\" | insecure = true, accept = \"200-499\"
  [connect]            timeout = \"500ms\", retry = true, replay = false, keepalive = \"60s\", proxy_protocol = false
  [listen]             address = \"127.0.0.10\", ports = { 443 = 8443 }
  [targets]            \"10.1.1.1:443\" = \"127.0.0.11:8443\"
  [systems]            SYSA = \"10.1.1.1\"
  [limits]             max_connections = 10000, idle_timeout = \"1h\", drain_timeout = \"30s\"
  [control]            socket = \"/path/control.sock\"
  [metrics]            address = \"127.0.0.1:9464\"
  [state]              dir = \"/var/lib/zosmf-ha\"
  [pump]               splice = true, buffer = 65536
  [log]                format = \"json\", access = true";

#[derive(Args, Debug)]
pub struct DistributeArgs {
    /// The PROFILE.TCPIP of the distributing system
    #[arg(long, value_name = "FILE")]
    pub profile: PathBuf,

    /// Settings for what z/OS does not say (see below)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// A system symbol for the profile, e.g. --symbol SYSNAME=SYSA (repeatable)
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_symbol)]
    pub symbol: Vec<(String, String)>,

    /// Log lines as JSON instead of text (overrides [log] format)
    #[arg(long)]
    pub log_json: bool,
}

/// Where a running distributor is: its control socket.
#[derive(Args, Debug)]
pub struct ControlArgs {
    /// The control socket [default: from --config, else <state dir>/control.sock]
    #[arg(long, value_name = "PATH", global = true)]
    pub control: Option<PathBuf>,

    /// The distributor's settings file, to find its control socket
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct NetstatArgs {
    /// vdpt: destination port table; vcrt: connections; vipadcfg: configuration
    #[arg(value_enum)]
    pub report: Report,

    /// More fields (ActiveConn, target addresses, probe state)
    #[arg(long)]
    pub detail: bool,

    /// JSON instead of the NETSTAT layout
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub control: ControlArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    Vdpt,
    Vcrt,
    Vipadcfg,
}

#[derive(Args, Debug)]
pub struct VaryArgs {
    #[arg(value_enum)]
    pub action: VaryAction,

    /// A DESTIP address or a system name (from [systems] in the settings)
    pub target: String,

    /// Only for this DVIPA port [default: every port where it is a target]
    #[arg(long)]
    pub port: Option<u16>,

    #[command(flatten)]
    pub control: ControlArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaryAction {
    /// No new connections; existing ones continue
    Quiesce,
    /// Eligible for new connections again
    Resume,
}

#[derive(Args, Debug)]
pub struct ReloadArgs {
    /// The changed profile [default: the one running]
    pub profile: Option<PathBuf>,

    #[command(flatten)]
    pub control: ControlArgs,
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
