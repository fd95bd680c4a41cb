//! The ids of the distributor's log messages and events, for `zosmf-ha
//! explain`. Events of the engine (ZHA3001-ZHA3010) and messages of the
//! daemon (ZHA3011-ZHA3024).

use zha_diag::CodeInfo;

const fn c(
    code: &'static str,
    severities: &'static str,
    title: &'static str,
    explanation: &'static str,
) -> CodeInfo {
    CodeInfo {
        code,
        severities,
        title,
        explanation,
    }
}

pub const CODES: &[CodeInfo] = &[
    c(
        "ZHA3001",
        "I",
        "a target is listening",
        "A probe connected to the target (DESTIP:port) again, `rise` times in a row (or at its first probe). It can take new connections when it is also healthy and not quiesced.",
    ),
    c(
        "ZHA3002",
        "W",
        "a target is not listening",
        "The target refused or did not answer `fall` probes in a row, or a real client connect to it failed (passive detection marks it down at once). New connections go to the next target in takeover order; existing ones are not touched.",
    ),
    c(
        "ZHA3003",
        "I",
        "new connections go to another target",
        "The active target of a DVIPA..port changed: the preferred one became unavailable, came back (AUTOSWITCHBACK), was quiesced, the configuration changed, or no target was available and the best one still listening is used. The message gives the reason. Connections already open stay where they are.",
    ),
    c(
        "ZHA3004",
        "E",
        "no target can take a new connection",
        "Every target of the DVIPA..port is down or quiesced. New clients are closed at once (never left hanging) and counted in zosmf_ha_rejected_total. The distributor keeps probing; the first target that listens again becomes active.",
    ),
    c(
        "ZHA3005",
        "I",
        "a target was quiesced",
        "`zosmf-ha vary quiesce` made the target ineligible for new connections; its open connections continue. If it was active, new connections move to the next target. `zosmf-ha vary resume` undoes it.",
    ),
    c(
        "ZHA3006",
        "I",
        "a target was resumed",
        "`zosmf-ha vary resume` made the target eligible for new connections again; with AUTOSWITCHBACK a resumed preferred target becomes active again as soon as it is available, with NOAUTOSWITCHBACK the active one stays.",
    ),
    c(
        "ZHA3007",
        "I",
        "a new configuration was applied",
        "A reload (`zosmf-ha reload` or SIGHUP) replaced the running profile; the message lists what changed (services and targets added or removed, policies). Target states, quiesce flags and open connections are kept.",
    ),
    c(
        "ZHA3008",
        "W",
        "the active target before the restart is ignored",
        "Under NOAUTOSWITCHBACK the distributor keeps the active target across restarts in its state folder. That target is no longer in the profile or is not available at start, so the usual first choice applies.",
    ),
    c(
        "ZHA3009",
        "I",
        "a target is healthy",
        "The application probe (e.g. GET /zosmf/info) answered with an accepted status `rise` times in a row ([probe.http] accept, 200-499 by default: a 401 means alive, a 503 not ready). With HEALTHSWITCH the target can take new connections again.",
    ),
    c(
        "ZHA3010",
        "W",
        "a target is not healthy",
        "The target listens but its application probe failed `fall` times in a row (a 503 while z/OSMF initializes, a stopped server that accepts and never answers, a TLS failure). With HEALTHSWITCH it gets no new connections while another target is available.",
    ),
    c(
        "ZHA3011",
        "W",
        "a distribution the distributor does not run",
        "The profile distributes a DVIPA with another method than HOTSTANDBY (BASEWLM is the default). zosmf-ha runs hot standby only; that distribution is skipped.",
    ),
    c(
        "ZHA3012",
        "W",
        "the state file cannot be read or written",
        "The file of active targets kept across restarts (active.json in the [state] dir) could not be read, or is not valid (it is then ignored), or could not be saved. Check the folder and its permissions; NOAUTOSWITCHBACK may switch back after a restart without it.",
    ),
    c(
        "ZHA3013",
        "I",
        "listening on a DVIPA port",
        "The distributor accepts clients for DVIPA..port on the address shown: the DVIPA itself, or the [listen] address and port remapping of the settings when the DVIPA is not on this machine or the port needs root.",
    ),
    c(
        "ZHA3014",
        "I",
        "draining",
        "On SIGTERM or SIGINT the distributor stops accepting and lets open connections finish, for at most [limits] drain_timeout (30 s by default). Nothing is cut while it drains; the message says how many connections are still open.",
    ),
    c(
        "ZHA3015",
        "W",
        "drain time over",
        "Connections still open when the drain time ([limits] drain_timeout, 30 s by default) ended were closed, so that the distributor stops in bounded time. Clients see their connection end.",
    ),
    c(
        "ZHA3016",
        "I",
        "stopped",
        "The distributor ended: every listener closed, open connections finished or were closed at the end of the drain time, the control socket removed. The active targets are kept in the state folder for the next start.",
    ),
    c(
        "ZHA3017",
        "I",
        "reloaded on SIGHUP",
        "SIGHUP read the running profile again and applied it as a diff, as `zosmf-ha reload` does: listeners added or removed, targets and policies changed, open connections and target states kept.",
    ),
    c(
        "ZHA3018",
        "E",
        "reload rejected",
        "The profile given to reload (or read again on SIGHUP) has errors, or a new port cannot be bound: nothing was changed; the message holds the findings.",
    ),
    c(
        "ZHA3019",
        "W",
        "out of file descriptors",
        "accept() or the connect to a target failed with EMFILE, ENFILE, ENOMEM, ENOBUFS or EADDRNOTAVAIL: this machine is out of descriptors, memory or ports. The distributor pauses accepting (100 ms, or 5 ms doubling up to 1 s when accept fails) instead of spinning, does not mark the target down, and resumes when resources are free. Raise the limit (ulimit -n) or lower [limits] max_connections.",
    ),
    c(
        "ZHA3020",
        "I",
        "a client connection ended",
        "The access log line: client, DVIPA..port, target, bytes each way, duration, retries and how it ended (done, refused, lost in flight, idle timeout …). [log] access = false turns it off.",
    ),
    c(
        "ZHA3021",
        "W",
        "no signal handlers",
        "SIGTERM, SIGINT and SIGHUP handlers could not be installed, so the distributor cannot drain or reload on signals; stop it with SIGKILL and use `zosmf-ha reload` instead of SIGHUP.",
    ),
    c(
        "ZHA3022",
        "I",
        "stopping on a signal",
        "SIGTERM or SIGINT: the distributor stops accepting new clients at once and lets the open connections finish for at most the drain time, then ends.",
    ),
    c(
        "ZHA3023",
        "I",
        "the control socket",
        "netstat, vary and reload reach the distributor on this Unix socket, readable and writable by its owner only. Give the same --config (or --control PATH) to those commands to reach this distributor.",
    ),
    c(
        "ZHA3024",
        "I",
        "the metrics address",
        "Prometheus metrics are served at this address, path /metrics: target states, the active target, switches, connections (total and open), connect failures, retries, refused clients and requests lost in flight.",
    ),
];
