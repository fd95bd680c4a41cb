//! Command-line flags (clap derive); doc comments are the `--help` text.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use zha_client::StatusSet;

/// zosmf-ha: make z/OSMF highly available in a sysplex.
///
/// check reads the IZUPRMxx members and TCP/IP profiles of your systems and
/// reports every mistake that would break z/OSMF hot standby, with the z/OS
/// message the system would issue; plan writes a correct configuration;
/// distribute runs a hot-standby distributor from the same VIPADISTRIBUTE
/// statements; up starts a whole local sysplex to try it all.
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
    /// Explain a finding id (ZHA2006) or the rules behind a z/OS message (EZZ0827I), or list every id
    Explain(ExplainArgs),
    /// Run the hot-standby distributor for a profile's VIPADISTRIBUTE statements
    #[command(long_about = DISTRIBUTE_LONG, after_help = DISTRIBUTE_AFTER)]
    Distribute(DistributeArgs),
    /// Show a running distributor's tables, laid out like z/OS NETSTAT
    Netstat(NetstatArgs),
    /// A live view of a running distributor: targets, the group, events; keys to quiesce and resume
    #[command(after_help = TOP_AFTER)]
    Top(TopArgs),
    /// Quiesce or resume a target; move a stack's DVIPAs in its sysplex group (leave, join, deactivate, reactivate)
    Vary(VaryArgs),
    /// Replace a running distributor's profile by a changed one, applied as a diff
    Reload(ReloadArgs),
    /// Generate a complete hot-standby configuration for N systems from a short description
    #[command(long_about = PLAN_LONG)]
    Plan(PlanArgs),
    /// Run a z/OSMF stand-in server for one system of a sysplex folder
    Server(ServerArgs),
    /// Start a local sysplex on this machine: z/OSMF stand-ins and the distributor
    #[command(long_about = UP_LONG)]
    Up(UpArgs),
    /// Call /zosmf/info repeatedly and show which system answers and how available it is (--format json)
    Probe(ProbeArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell
    #[command(after_help = COMPLETIONS_AFTER)]
    Completions(CompletionsArgs),
    /// Write the manual pages (zosmf-ha.1 and one per command) into a folder
    #[command(after_help = MAN_AFTER)]
    Man(ManArgs),
}

const TOP_AFTER: &str = "\
Keys: q quit · Tab or 1-3 views (targets, group, events) · ↑↓ select a
target · Q quiesce it · R resume it (each asks y to confirm).
When the distributor stops, top says so, keeps the last view and tries
again every second. Without a terminal (or with --once) it prints text.
  zosmf-ha top --config zosmf-ha.toml --system SYSA";

#[derive(Args, Debug)]
pub struct TopArgs {
    /// How often to look
    #[arg(long, default_value = "1s", value_parser = humantime_duration)]
    pub interval: std::time::Duration,

    /// Print the view once as text and exit (1 if the distributor did not answer)
    #[arg(long)]
    pub once: bool,

    #[command(flatten)]
    pub color: ColorArgs,

    #[command(flatten)]
    pub control: ControlArgs,
}

const COMPLETIONS_AFTER: &str = "\
Install, e.g.:
  zosmf-ha completions bash > ~/.local/share/bash-completion/completions/zosmf-ha
  zosmf-ha completions zsh > \"${fpath[1]}/_zosmf-ha\"
  zosmf-ha completions fish > ~/.config/fish/completions/zosmf-ha.fish";

const MAN_AFTER: &str = "\
Install, e.g.:
  zosmf-ha man --out ~/.local/share/man/man1     # then: man zosmf-ha-distribute
  sudo zosmf-ha man --out /usr/local/share/man/man1";

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// The folder to write the pages into (created if needed)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

const PLAN_LONG: &str = "\
Generate a complete z/OSMF hot-standby configuration from plan.toml: one
IZUPRMxx member per system and a shared IZUPRM00, each system's TCP/IP
profile statements (IPCONFIG SYSPLEXROUTING DYNAMICXCF, VIPADEFINE or
VIPABACKUP, VIPADISTRIBUTE HOTSTANDBY), the RACF commands, the procedure
copies, the IZUMKFS file systems, the prerequisites checklist, and the
sysplex.toml that `zosmf-ha check` reads. What plan writes checks clean.

plan.toml:
  sysplex = \"PLEX1\"
  dvipa = \"10.1.1.10\"
  # mask = \"255.255.255.0\", port = 443, apiml_port = 7554,
  # autoswitchback = true, distributor = \"SYSA\", hostname = \"zosmf.example.com\",
  # keyring = \"IZUKeyring.IZUDFLT\", saf_prefix = \"IZUDFLT\", user_dir = \"/global/zosmf\",
  # xcf_mask = \"255.255.255.0\" (the mask on IPCONFIG DYNAMICXCF)
  [[system]]
  name = \"SYSA\"
  xcf = \"10.1.1.1\"          # its DYNAMICXCF address
  preferred = true
  [[system]]
  name = \"SYSB\"
  xcf = \"10.1.1.2\"
  # rank = 100               # BACKUP rank 1-254, higher first; default: descending by order

A hostname that is a DNS name is written into sysplex.toml's [resolve] as a
name of the DVIPA, so check needs no --resolve (make DNS say so too).
Everything is validated before anything is written, and the files are
written all or none. Exit status: 0 written and checked clean, 1 check found
errors in what was written, 2 the description is invalid (the bad value
is named with its allowed range; a file that cannot be read names the first
one, the checks after reading name every one) or a file or stdout could not be written.";

const UP_LONG: &str = "\
Start a complete local sysplex: a z/OSMF stand-in server per system (on its
DYNAMICXCF address, HTTPS) and the hot-standby distributor on the DVIPA,
with the /zosmf/info application probe, and show which system is active.

Without DIR it plans a two-system sysplex on loopback: SYSA 127.0.0.11
(preferred), SYSB 127.0.0.12, DVIPA 127.0.0.10, port 8443 (no root needed).
With DIR it runs the sysplex described there (a folder with sysplex.toml).

Then, in another terminal:
  curl --cacert <work>/root/keyrings/IZUKeyring.IZUDFLT/ca.pem https://127.0.0.10:8443/zosmf/info
  zosmf-ha probe https://127.0.0.10:8443 --cacert <that ca.pem>

--scenario failover (or system-failure) runs a scripted failure under
client load and exits 0 only if no client connection failed. With
--forwarding kernel (root) the kernel cannot retry a connection: those sent
to the dead system before the failover was complete (within 1 s) are
counted apart and allowed; any other failure fails it. Ctrl-C stops
everything.";

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// The description (see above)
    pub plan: PathBuf,

    /// The folder to write into (created if needed)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Replace files that are already there
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub format: FormatArgs,

    #[command(flatten)]
    pub color: ColorArgs,
}

#[derive(Args, Debug)]
pub struct ServerArgs {
    /// The sysplex folder (with sysplex.toml) or the .toml file
    #[arg(long, value_name = "DIR")]
    pub sysplex: PathBuf,

    /// The system whose IZUPRMxx members configure this server
    #[arg(long)]
    pub system: String,

    /// Where z/OS paths (USER_DIR, key rings) live on this machine [default: DIR/root]
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Listen but answer 503 for this long, as z/OSMF before IZUG400I
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = humantime_duration)]
    pub startup_delay: std::time::Duration,

    /// Log each request with the client address this server sees (a PROXY
    /// v2 header's, when the distributor sends one)
    #[arg(long)]
    pub access_log: bool,
}

#[derive(Args, Debug)]
pub struct UpArgs {
    /// A sysplex folder to run [default: a planned two-system sysplex on loopback]
    pub dir: Option<PathBuf>,

    /// The work folder (state, key rings, USER_DIRs) [default: <state dir>/up]
    #[arg(long, value_name = "DIR")]
    pub work: Option<PathBuf>,

    /// Run a scripted scenario and exit with its verdict
    #[arg(long, value_enum)]
    pub scenario: Option<Scenario>,

    /// For the planned sysplex: NOAUTOSWITCHBACK instead of AUTOSWITCHBACK
    #[arg(long)]
    pub noautoswitchback: bool,

    /// The servers' start-up delay (503 until it passes)
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = humantime_duration)]
    pub startup_delay: std::time::Duration,

    /// How the stacks forward connections: proxy (no privileges, retries
    /// for the client) or kernel (nftables and conntrack: the server sees
    /// the client's address; needs root)
    #[arg(long, value_enum, default_value_t = Forwarding::Proxy)]
    pub forwarding: Forwarding,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forwarding {
    /// The distributor terminates the client's connection and opens one to the target
    Proxy,
    /// Netfilter forwards the packets (DNAT, conntrack); needs root
    Kernel,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Crash the preferred server under load, restart it, switch back, then a planned stop
    Failover,
    /// Crash a whole system under load (its TCP/IP stack, which owns the DVIPA, and its z/OSMF server): the next stack takes the DVIPA over; the system returns and takes it back
    SystemFailure,
}

const PROBE_AFTER: &str = "\
Each second a line (who answered, statuses other than 200, failures,
latency), then the summary; Ctrl-C stops early and prints the summary so
far (requests still in flight are not counted). --format json prints only
the summary, as one JSON document (\"version\": 1) on stdout.

Available means answered with a status in --accept (by default 2xx, 3xx,
401 and 403 - z/OSMF is up but wants credentials; a 404 is a wrong path, a
503 a server not ready). A refused certificate is a failure with its reason
(\"certificate not trusted: UnknownIssuer\", \"certificate name mismatch\").

Exit status: 0 every request answered with an accepted status, 1 not
(failed, cut, another status, or no request done), 2 a misused command: a
bad flag or URL, a CA file or system store that cannot be read, or a server
that speaks the other protocol (TLS to http://, plain HTTP to https://).

Examples:
  zosmf-ha probe https://zosmf.example.com --user IBMUSER:secret
  zosmf-ha probe https://127.0.0.10:8443 --cacert ca.pem --duration 30s
  zosmf-ha probe https://127.0.0.10:8443 --insecure --format json";

#[derive(Args, Debug)]
#[command(after_help = PROBE_AFTER)]
pub struct ProbeArgs {
    /// https://HOST[:PORT][/path] or http://…; the path defaults to /zosmf/info
    pub url: String,

    /// Requests per second
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,

    /// How long to probe
    #[arg(long, default_value = "10s", value_parser = humantime_duration)]
    pub duration: std::time::Duration,

    /// Trust only the CA certificate(s) in this PEM file, instead of the
    /// system's CA store (as curl's --cacert). Without it the system's
    /// store is trusted (SSL_CERT_FILE or SSL_CERT_DIR replace it)
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub cacert: Option<PathBuf>,

    /// Accept any server certificate (no protection against a man in the middle)
    #[arg(long)]
    pub insecure: bool,

    /// Basic credentials
    #[arg(long, value_name = "USER:PASSWORD", value_parser = parse_user)]
    pub user: Option<(String, String)>,

    /// Per-request timeout
    #[arg(long, default_value = "5s", value_parser = humantime_duration)]
    pub timeout: std::time::Duration,

    /// The statuses that count as available: numbers, ranges and classes
    /// joined by commas
    #[arg(long, value_name = "SET", default_value_t = StatusSet::default(), value_parser = parse_status_set)]
    pub accept: StatusSet,

    /// (text: a line each second and a summary; json: only the summary)
    #[command(flatten)]
    pub format: FormatArgs,
}

fn parse_user(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((u, p)) if !u.is_empty() => Ok((u.to_owned(), p.to_owned())),
        Some(_) => Err("the user before the colon is empty: write USER:PASSWORD".into()),
        None => Err("no colon: write USER:PASSWORD (the user, a colon, the password)".into()),
    }
}

fn parse_status_set(s: &str) -> Result<StatusSet, String> {
    s.parse()
        .map_err(|e: zha_client::StatusSetError| e.to_string())
}

fn humantime_duration(s: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("`{s}`: {e} (write e.g. 500ms, 2s, 1m)"))
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
control socket, metrics ...) come from --config, all optional.

With --system NAME it is that system's TCP/IP stack in a sysplex group on
this machine: the stacks meet in --group DIR, share one listening
socket per DVIPA:port, and only the owner of a DVIPA accepts for it (the
live VIPADEFINE stack, else the highest-ranked live VIPABACKUP stack); when
the owner's stack dies, the next one takes the DVIPA over, and the VIPADEFINE
stack takes it back when it returns (MOVEABLE IMMEDIATE or WHENIDLE):
  zosmf-ha distribute --system SYSA --profile PROFA.TCPIP
  zosmf-ha distribute --system SYSB --profile PROFB.TCPIP
Across hosts the group meets in etcd, and the owner puts the DVIPA on its
interface and announces it (root, or CAP_NET_ADMIN and CAP_NET_RAW):
  zosmf-ha distribute --system SYSA --etcd http://10.1.1.5:2379 \\
    --interface eth0 --profile PROFA.TCPIP";

const DISTRIBUTE_AFTER: &str = "\
While it runs:
  zosmf-ha netstat vdpt            the targets and which one is active
  zosmf-ha vary quiesce SYSA       no new connections for SYSA (--force
                                   for the last available target)
  zosmf-ha reload                  apply a changed profile (or send SIGHUP)
  zosmf-ha netstat vipadyn         this stack's DVIPAs in the sysplex group
  zosmf-ha vary leave|join         take the stack out of the group, and back
  zosmf-ha vary deactivate DVIPA   move one DVIPA away (reactivate: back)
(Each takes --config FILE; a stack of a group also --system NAME.)
SIGTERM or Ctrl-C stops accepting and lets open connections finish.
To restart or upgrade without refusing a client, start the new one with
--hand-over: it takes the listening sockets of the one running, which then
drains and exits. Under systemd (Type=notify, FileDescriptorStoreMax=) the
sockets are kept in systemd across restarts.

A settings file (every key optional; defaults in brackets; paths in it are
relative to the file):
  forwarding     [\"proxy\"] or \"kernel\": nftables and conntrack forward, the
                 servers see the clients' addresses, no retry; needs root
                 and --system; [connect] retry, replay, keepalive,
                 proxy_protocol, [listen], [pump], [tune] and drain_timeout
                 are the proxy's and refused with it
  [probe]        interval [1s], timeout [1s], rise [2], fall [2]
  [probe.http]   the application probe, off unless present:
                 path [/zosmf/info], tls [true], ca_file or insecure [false],
                 accept [\"200-399,401,403\": 2xx, 3xx, 401, 403],
                 host [the DVIPA]
  [connect]      timeout [500ms], retry [true], replay [false],
                 keepalive [60s], proxy_protocol [false]
  [listen]       address [the DVIPA], ports [none], e.g. { 443 = 8443 }
  [targets]      where DESTIP:PORT really is, e.g. \"10.1.1.1:443\" = \"127.0.0.11:8443\"
  [systems]      names for vary, e.g. SYSA = \"10.1.1.1\"
  [limits]       max_connections [10000], idle_timeout [1h], drain_timeout [30s],
                 half_closed_timeout [30s], server_timeout [5m]
  [control]      socket [<state dir>/control.sock]
  [metrics]      address [none], e.g. \"127.0.0.1:9464\",
                 max_connections [64], header_timeout [5s]
  [state]        dir [$STATE_DIRECTORY under systemd, else
                 $XDG_STATE_HOME/zosmf-ha or ~/.local/state/zosmf-ha]
  [pump]         splice [true on Linux], buffer [65536]
  [tune]         sndbuf, rcvbuf [0: the kernel's], pipe_size [262144],
                 max_pipes [0: a quarter of max_connections]
  [log]          format [human] or \"json\", access [true]
  [hook]         command [none], e.g. [\"/usr/local/bin/notify\", \"ops\"] (no
                 shell), run on events with ZHA_EVENT, ZHA_SERVICE, ZHA_SYSTEM,
                 ZHA_REASON ... in its environment; events [every kind:
                 switch, first_active, fallback, recovered, no_target,
                 target_up, target_down, target_healthy, target_unhealthy,
                 quiesced, resumed, takeover, takeback], timeout [10s],
                 min_interval [1s]
A value out of its range (probe interval 10ms-1h, timeouts 10ms-10min,
max_connections 1-1000000, buffer 1KiB-16MiB ...) is refused with the
range and its place in the file.";

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

    /// Serve metrics, /healthz, /readyz and the status page here
    /// (overrides [metrics] address; port 0: any free port, logged at start)
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<std::net::SocketAddr>,

    /// Check the profile and the settings together, say what would run,
    /// and exit (0 valid, 2 not): nothing is bound, joined or written
    /// (like `haproxy -c`; the systemd unit's ExecStartPre)
    #[arg(long)]
    pub check: bool,

    /// Replace the distributor running with the same control socket
    /// without refusing a client: receive its listening sockets and
    /// active targets, run a first round of probes, accept, and let it
    /// drain and exit. Starts afresh when none runs.
    #[arg(long)]
    pub hand_over: bool,

    /// Run as this system's stack in the sysplex group (SPEC §7): join the
    /// group, and accept only for the DVIPAs this stack owns (its
    /// VIPADEFINE, or its VIPABACKUP when the owner is gone). Its state
    /// and control socket are in <state dir>/<SYSTEM>, so one settings file
    /// serves every stack (netstat, vary: --system NAME). Not with --hand-over yet: a
    /// stack of a group restarts by leaving and joining (the others take
    /// its DVIPAs meanwhile)
    #[arg(long, value_name = "NAME", conflicts_with = "hand_over")]
    pub system: Option<String>,

    /// The group's folder, shared by the stacks of this machine
    /// [default: <state dir>/group]
    #[arg(long, value_name = "DIR", requires = "system", conflicts_with = "etcd")]
    pub group: Option<PathBuf>,

    /// Stacks on several hosts: the group meets in etcd at URL
    /// (http://HOST:2379), and the owner puts the DVIPA on --interface
    /// (needs CAP_NET_ADMIN and CAP_NET_RAW)
    #[arg(long, value_name = "URL", requires_all = ["system", "interface"])]
    pub etcd: Option<String>,

    /// With --etcd: the interface that carries the DVIPA (e.g. eth0)
    #[arg(long, value_name = "NAME", requires = "etcd")]
    pub interface: Option<String>,

    /// With --etcd (only): the sysplex's name, so that several groups can
    /// share one etcd (its keys are under /zosmf-ha/<SYSPLEX>/)
    #[arg(
        long,
        value_name = "NAME",
        default_value = "SYSPLEX",
        requires = "etcd"
    )]
    pub sysplex: String,
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

    /// The stack of this system in the sysplex group (as started with
    /// `distribute --system`): its control socket is <state dir>/<SYSTEM>/control.sock
    #[arg(long, value_name = "NAME", global = true)]
    pub system: Option<String>,
}

#[derive(Args, Debug)]
pub struct NetstatArgs {
    /// vdpt: destination port table; vcrt: connections; vipadcfg: configuration; vipadyn: this stack's DVIPAs in the sysplex group
    #[arg(value_enum, ignore_case = true)]
    pub report: Report,

    /// More fields (ActiveConn, target addresses, probe state)
    #[arg(long)]
    pub detail: bool,

    #[command(flatten)]
    pub format: FormatArgs,

    #[command(flatten)]
    pub control: ControlArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    Vdpt,
    Vcrt,
    Vipadcfg,
    Vipadyn,
}

#[derive(Args, Debug)]
pub struct VaryArgs {
    #[arg(value_enum)]
    pub action: VaryAction,

    /// quiesce/resume: a system name (from [systems] in the settings), a
    /// DESTIP address, or the address:port the distributor connects to;
    /// deactivate/reactivate: the DVIPA; leave/join: nothing
    pub target: Option<String>,

    /// Only for this DVIPA port [default: every port where it is a target]
    #[arg(long)]
    pub port: Option<u16>,

    /// Quiesce even the last available target (every new client is then
    /// closed, or sent to a server that is not healthy)
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub control: ControlArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaryAction {
    /// No new connections; existing ones continue
    Quiesce,
    /// Eligible for new connections again
    Resume,
    /// This stack leaves the sysplex group (--system): the others take its
    /// DVIPAs over (z/OS: VARY TCPIP,,SYSPLEX,LEAVEGROUP)
    Leave,
    /// This stack joins the group again (JOINGROUP)
    Join,
    /// This stack's claim on a DVIPA stops counting: it moves as if the
    /// stack had left it (DEACTIVATE,DVIPA=)
    Deactivate,
    /// The claim counts again, as a new definition (REACTIVATE,DVIPA=)
    Reactivate,
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
INCLUDEs and system symbols, and every HA rule ZHA1000-ZHA2020.

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
    /// sysplex.toml, a folder holding it, or member and profile files (`-`: standard input)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Treat lone files as this kind instead of guessing
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,

    #[command(flatten)]
    pub format: FormatArgs,

    #[command(flatten)]
    pub color: ColorArgs,

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
    /// A finding id such as ZHA2006 or ZHA2006E, or a z/OS message such as EZZ0827I (the rules that cite it); without one, list every id
    pub id: Option<String>,

    #[command(flatten)]
    pub format: FormatArgs,
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
    /// For people: the layout each command documents
    #[value(alias = "human")]
    Text,
    /// For programs: one JSON document on stdout with a "version" field
    Json,
}

/// `--format text|json`, shared by every command that can print JSON.
/// `--json` (netstat's and probe's old spelling) is a hidden alias of
/// `--format json`, and `human` of `text`.
#[derive(Args, Debug, Clone, Copy)]
pub struct FormatArgs {
    /// text, or json: only JSON on stdout, with a "version" field
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    #[arg(long, hide = true, conflicts_with = "format")]
    pub json: bool,
}

impl FormatArgs {
    pub fn json(&self) -> bool {
        self.json || self.format == Format::Json
    }
}

/// `--color auto|always|never`, shared by every command that colours.
#[derive(Args, Debug, Clone, Copy)]
pub struct ColorArgs {
    /// Colour: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always, never
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
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
