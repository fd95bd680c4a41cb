//! The catalog of the distributor's messages: every id it logs (the
//! engine's events ZHA3001-3010, 3025-3026 and the daemon's messages),
//! each a constant with its severity, a title and the explanation
//! `zosmf-ha explain` prints. Code logs `codes::SWITCH.id`, never a string
//! literal, so an id cannot be missing from `explain`.

use zha_diag::{CodeInfo, Severity};
use zha_standby::{Event, EventKind};

/// One message: its id with the severity letter (`ZHA3003I`), a title and
/// an explanation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg {
    pub id: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
}

impl Msg {
    /// The id without its severity letter (`ZHA3003`).
    pub fn code(&self) -> &'static str {
        &self.id[..self.id.len() - 1]
    }

    pub fn severity(&self) -> Severity {
        match self.id.as_bytes().last() {
            Some(b'E') => Severity::Error,
            Some(b'W') => Severity::Warning,
            _ => Severity::Info,
        }
    }
}

pub const TARGET_UP: Msg = Msg {
    id: "ZHA3001I",
    title: "a target is listening",
    explanation: "A probe connected to the target (DESTIP:port) again, `rise` times in a row (or at its first probe). It can take new connections when it is also healthy and not quiesced.",
};

pub const TARGET_DOWN: Msg = Msg {
    id: "ZHA3002W",
    title: "a target is not listening",
    explanation: "The target refused or did not answer `fall` probes in a row, or a real client connect to it failed (passive detection marks it down at once). New connections go to the next target in takeover order; existing ones are not touched.",
};

pub const SWITCH: Msg = Msg {
    id: "ZHA3003I",
    title: "new connections go to another target",
    explanation: "The active target of a DVIPA..port changed after the start: the active one became unavailable, the preferred one came back (AUTOSWITCHBACK), a higher-ranked one is available again, the active one was quiesced, the configuration changed, or a target is available again after none was. The reason field says which. Connections already open stay where they are. Moves among targets that are all unavailable are ZHA3026W, not switches; the first choice at start is ZHA3025I.",
};

pub const NO_TARGET: Msg = Msg {
    id: "ZHA3004E",
    title: "no target can take a new connection",
    explanation: "Every target of the DVIPA..port is down or quiesced. New clients are closed at once (never left hanging) and counted in zosmf_ha_rejected_total. The distributor keeps probing; the first target that listens again becomes active.",
};

pub const QUIESCED: Msg = Msg {
    id: "ZHA3005I",
    title: "a target was quiesced",
    explanation: "`zosmf-ha vary quiesce` made the target ineligible for new connections; its open connections continue. If it was active, new connections move to the next target. `zosmf-ha vary resume` undoes it.",
};

pub const RESUMED: Msg = Msg {
    id: "ZHA3006I",
    title: "a target was resumed",
    explanation: "`zosmf-ha vary resume` made the target eligible for new connections again; with AUTOSWITCHBACK a resumed preferred target becomes active again as soon as it is available, with NOAUTOSWITCHBACK the active one stays.",
};

pub const RECONFIGURED: Msg = Msg {
    id: "ZHA3007I",
    title: "a new configuration was applied",
    explanation: "A reload (`zosmf-ha reload` or SIGHUP) replaced the running profile; the message lists what changed (services and targets added or removed, policies). Target states, quiesce flags and open connections are kept.",
};

pub const PERSISTED_IGNORED: Msg = Msg {
    id: "ZHA3008W",
    title: "the active target before the restart is ignored",
    explanation: "Under NOAUTOSWITCHBACK the distributor keeps the active target across restarts in its state folder. That target is no longer in the profile or is not available at start, so the usual first choice applies.",
};

pub const TARGET_HEALTHY: Msg = Msg {
    id: "ZHA3009I",
    title: "a target is healthy",
    explanation: "The application probe (e.g. GET /zosmf/info) answered with an accepted status `rise` times in a row ([probe.http] accept; by default 2xx, 3xx, 401 and 403: a 401 or 403 means alive but wanting credentials, a 404 a wrong path, a 503 not ready). With HEALTHSWITCH the target can take new connections again.",
};

pub const TARGET_UNHEALTHY: Msg = Msg {
    id: "ZHA3010W",
    title: "a target is not healthy",
    explanation: "The target listens but its application probe failed `fall` times in a row (a 503 while z/OSMF initializes, a stopped server that accepts and never answers, a TLS failure). With HEALTHSWITCH it gets no new connections while another target is available.",
};

pub const NOT_RUN: Msg = Msg {
    id: "ZHA3011W",
    title: "a distribution the distributor does not run",
    explanation: "The profile distributes a DVIPA with another method than HOTSTANDBY (BASEWLM is the default). zosmf-ha runs hot standby only; that distribution is skipped.",
};

pub const STATE_FILE: Msg = Msg {
    id: "ZHA3012W",
    title: "the state file cannot be read or written",
    explanation: "The file of active targets kept across restarts (active.json in the [state] dir) could not be read, or is not valid (it is then ignored), or could not be saved. Check the folder and its permissions; NOAUTOSWITCHBACK may switch back after a restart without it.",
};

pub const LISTENING: Msg = Msg {
    id: "ZHA3013I",
    title: "listening on a DVIPA port",
    explanation: "The distributor accepts clients for DVIPA..port on the address shown: the DVIPA itself, or the [listen] address and port remapping of the settings when the DVIPA is not on this machine or the port needs root.",
};

pub const DRAINING: Msg = Msg {
    id: "ZHA3014I",
    title: "draining",
    explanation: "On SIGTERM or SIGINT the distributor stops accepting and lets open connections finish, for at most [limits] drain_timeout (30 s by default). Nothing is cut while it drains; the message says how many connections are still open.",
};

pub const DRAIN_OVER: Msg = Msg {
    id: "ZHA3015W",
    title: "drain time over",
    explanation: "Connections still open when the drain time ([limits] drain_timeout, 30 s by default) ended were closed, so that the distributor stops in bounded time. Clients see their connection end.",
};

pub const STOPPED: Msg = Msg {
    id: "ZHA3016I",
    title: "stopped",
    explanation: "The distributor ended: every listener closed, open connections finished or were closed at the end of the drain time, the control socket removed. The active targets are kept in the state folder for the next start.",
};

pub const RELOADED: Msg = Msg {
    id: "ZHA3017I",
    title: "a new profile was applied",
    explanation: "`zosmf-ha reload` or SIGHUP read the profile (the running one, or the one named) and applied it as a diff: listeners added or removed, targets and policies changed, open connections and target states kept. The message names where the reload came from and what changed.",
};

pub const RELOAD_REJECTED: Msg = Msg {
    id: "ZHA3018E",
    title: "reload rejected; the running configuration is kept",
    explanation: "The profile given to `zosmf-ha reload` (or read again on SIGHUP) has errors, cannot be distributed, or a new port cannot be bound: nothing was changed and the distributor goes on with the configuration it runs. The message counts the findings and shows the first; `zosmf-ha check FILE` shows them all, and `zosmf-ha reload` prints them.",
};

pub const OUT_OF_RESOURCES: Msg = Msg {
    id: "ZHA3019W",
    title: "out of file descriptors",
    explanation: "accept() or the connect to a target failed with EMFILE, ENFILE, ENOMEM, ENOBUFS or EADDRNOTAVAIL: this machine is out of descriptors, memory or ports. The distributor pauses accepting (100 ms, or 5 ms doubling up to 1 s when accept fails) instead of spinning, does not mark the target down, and resumes when resources are free. Raise the limit (ulimit -n) or lower [limits] max_connections.",
};

pub const ACCESS: Msg = Msg {
    id: "ZHA3020I",
    title: "a client connection ended",
    explanation: "The access log line: client, DVIPA..port, target, bytes each way, duration, retries and how it ended (done, refused, lost in flight, idle timeout …). [log] access = false turns it off.",
};

pub const NO_SIGNALS: Msg = Msg {
    id: "ZHA3021W",
    title: "no signal handlers",
    explanation: "SIGTERM, SIGINT and SIGHUP handlers could not be installed, so the distributor cannot drain or reload on signals; stop it with SIGKILL and use `zosmf-ha reload` instead of SIGHUP.",
};

pub const SIGNAL: Msg = Msg {
    id: "ZHA3022I",
    title: "stopping on a signal",
    explanation: "SIGTERM or SIGINT: the distributor stops accepting new clients at once and lets the open connections finish for at most the drain time, then ends.",
};

pub const CONTROL_SOCKET: Msg = Msg {
    id: "ZHA3023I",
    title: "the control socket",
    explanation: "netstat, vary and reload reach the distributor on this Unix socket, readable and writable by its owner only. Give the same --config (or --control PATH) to those commands to reach this distributor.",
};

pub const METRICS: Msg = Msg {
    id: "ZHA3024I",
    title: "the metrics address",
    explanation: "The metrics address ([metrics] address or --metrics): Prometheus metrics at /metrics (target states, the active target and since when, switches, connections, bytes, connect failures, refused clients, probe latency, DVIPA ownership, process metrics), the status page at /, /healthz and /readyz. The field `address` is the address taken (with --metrics ADDR:0, a free port).",
};

pub const FIRST_ACTIVE: Msg = Msg {
    id: "ZHA3025I",
    title: "the first active target",
    explanation: "At start every target is probed at once; until that first round of probes is in (each probe is bounded by the probe timeout), new connections go to the target that was active before the restart (NOAUTOSWITCHBACK), else in takeover order, and nothing is announced. Then the first active target is chosen and announced once: the best available one (AUTOSWITCHBACK), the first one ready, or the one active before the restart (NOAUTOSWITCHBACK). No switch (ZHA3003I) is logged for it.",
};

pub const FALLBACK: Msg = Msg {
    id: "ZHA3026W",
    title: "no target is available: the best one still listening is used",
    explanation: "Every target of the DVIPA..port is down, quiesced or fails its application probe (for example z/OSMF answers 503 while it initializes). SPEC §1: new connections then go to the best target that still listens, rather than being refused. Entering the fallback, and moves among such targets, are logged with this id, not as switches (ZHA3003I). When a target is available again, the fallback ends: with a switch (reason `recovered`) to another target, or with ZHA3029I when the target in use is the one that recovered.",
};

pub const REFUSED: Msg = Msg {
    id: "ZHA3027W",
    title: "client connections refused",
    explanation: "Clients were closed at once because no target could take them (ZHA3004E), every connect failed, or [limits] max_connections was reached. They are counted per DVIPA..port and reason in zosmf_ha_rejected_total; the log says how many, at most once every 10 s, so that a flood of clients does not flood the log.",
};

pub const LOG_LOST: Msg = Msg {
    id: "ZHA3028W",
    title: "log lines were lost",
    explanation: "Standard error was closed (a pipe whose reader went away), full (a full disk), or did not drain fast enough (a paused pager, a slow journal). Logging never stops forwarding: lines are written by a thread of their own, and those that cannot be written, or that do not fit its queue of 8192 lines, are dropped and counted. Once output works again this line says how many were lost.",
};

pub const RECOVERED: Msg = Msg {
    id: "ZHA3029I",
    title: "the fallback is over",
    explanation: "No target was available, and new connections went to the best one still listening (ZHA3026W). That target is available again (for example z/OSMF finished initializing), so new connections go on to it: no switch, the fallback is over.",
};

pub const FD_BUDGET: Msg = Msg {
    id: "ZHA3030W",
    title: "max_connections lowered to fit the file descriptor limit",
    explanation: "Each client connection holds 2 file descriptors, each splice(2) pipe 2 more ([tune] max_pipes, a quarter of max_connections by default), and probes, listeners, the control socket and metrics need some too. At start the distributor raises its soft limit on open files to the hard one; when even that cannot hold [limits] max_connections, it lowers the connection limit to what fits rather than refuse to start (which would take the DVIPA down) or run out of descriptors later (which would stop probes). Raise the limit (LimitNOFILE= under systemd, ulimit -n) or lower max_connections.",
};

pub const HANDED_IN: Msg = Msg {
    id: "ZHA3031I",
    title: "listening sockets handed over by a predecessor",
    explanation: "This distributor started with listening sockets it did not open: handed over on the control socket by the distributor it replaces (`distribute --hand-over`), or passed back by systemd from its file descriptor store. They were never closed, so no client was refused: clients that came meanwhile waited in the kernel's accept queue. After a hand-over on the control socket, the successor accepts once its first round of probes is over, and only then does the predecessor stop accepting (ZHA3032I). Sockets the profile no longer needs are closed.",
};

pub const HANDED_OVER: Msg = Msg {
    id: "ZHA3032I",
    title: "listening sockets handed over to a successor",
    explanation: "A successor started with `distribute --hand-over` took this distributor's listening sockets, control socket and active targets over the control socket, finished its first round of probes and accepts now. This distributor stops accepting and drains its open connections as on SIGTERM ([limits] drain_timeout); the sockets stay open in the successor, so no client is refused.",
};

pub const HAND_OVER_ABANDONED: Msg = Msg {
    id: "ZHA3033W",
    title: "a hand-over was abandoned",
    explanation: "In the running distributor: a successor asked for the listening sockets but did not say it accepts — it failed to start, was stopped, or its first round did not end in time. This distributor never stopped accepting and goes on as before. In the successor: the running distributor did not acknowledge its `ready` (it had given up waiting), so the successor stops and leaves it running. Read the successor's error, fix it, and start it again with --hand-over.",
};

pub const FD_STORE: Msg = Msg {
    id: "ZHA3034W",
    title: "systemd did not keep a listening socket",
    explanation: "Under systemd (NOTIFY_SOCKET set) the distributor stores every listening socket in the service manager (FDSTORE=1) so that a restart hands them to the next process instead of refusing clients. Sending one to NOTIFY_SOCKET failed, so a restart will refuse clients for a moment. Note that systemd keeps stored sockets only when the unit sets FileDescriptorStoreMax= (at least the number of ports plus 2, see contrib/systemd/zosmf-ha-distribute.service); without it systemd drops them, which the distributor cannot see (systemd's journal says so).",
};

pub const GROUP: Msg = Msg {
    id: "ZHA3040W",
    title: "the sysplex group cannot be read",
    explanation: "A stack started with `distribute --system` reads the sysplex group every 10 ms: who is a member, who owns each DVIPA, the owner's open connections. The group's folder (or etcd) could not be read, or this stack is no longer a member: it serves no DVIPA until the group answers again, so that two stacks never accept for one DVIPA on its word alone. The same id says when it answers again.",
};

pub const OWNER: Msg = Msg {
    id: "ZHA3041I",
    title: "this stack owns a DVIPA, or no longer does",
    explanation: "With `distribute --system`, only the stack that owns a DVIPA accepts its connections (SPEC §7: the live VIPADEFINE stack, else the highest-ranked live VIPABACKUP stack). This stack became the owner and accepts, or lost the DVIPA (a takeback, `vary deactivate`, the group lost) and stops accepting; connections it accepted go on.",
};

pub const TAKEOVER: Msg = Msg {
    id: "ZHA3042I",
    title: "a DVIPA taken over or taken back",
    explanation: "This stack took a DVIPA: over from an owner that left the group (it ended, died, or left), or back as its VIPADEFINE stack (MOVEABLE IMMEDIATE at once, WHENIDLE when the owner had no connection to it), or as its first owner. The move is recorded in the group with a compare-and-put, so when two stacks decide at once only one wins.",
};

pub const FENCED: Msg = Msg {
    id: "ZHA3043W",
    title: "a stack fenced, or a silent member's membership ended",
    explanation: "Across hosts (etcd) two stacks must never serve one DVIPA at once. So a stack serves a DVIPA only while etcd has confirmed, within the last 300 ms, that it is a member (its lease) and that it owns the DVIPA; past that (etcd did not answer, or the lease is gone) it stops accepting for the DVIPA and takes it off its interface: it is fenced, and serves again once etcd confirms both (joining again if it was taken out). The other stacks end the membership of a member that wrote no beat for 250 ms by revoking its lease, and a stack that takes a DVIPA from another serves it only 300 ms later, after the other has fenced itself. Frequent fencing means etcd answers slower than 300 ms now and then: look at etcd's latency and the network to it.",
};

pub const ADDRESS: Msg = Msg {
    id: "ZHA3044I",
    title: "a DVIPA added to or removed from the interface",
    explanation: "Across hosts, the owner of a DVIPA holds it on its interface (netlink, CAP_NET_ADMIN) and announces it with a gratuitous ARP or an unsolicited neighbour advertisement (CAP_NET_RAW), so that neighbours send to it at once; a stack that loses the DVIPA removes it. When the address cannot be added or removed, the message says why (most often a missing capability: run as root, or give the binary cap_net_admin,cap_net_raw, or AmbientCapabilities= in the unit).",
};

pub const DEFINED_TWICE: Msg = Msg {
    id: "ZHA3045W",
    title: "a DVIPA defined by VIPADEFINE on more than one live stack",
    explanation: "Two or more live stacks of the group have a VIPADEFINE for the DVIPA (`zosmf-ha check` says ZHA2012). As on z/OS, the stack that defined it last owns it, so a stack that restarts takes the DVIPA from the others. Define it on one stack and back it up (VIPABACKUP) on the others.",
};

pub const INHERITED: Msg = Msg {
    id: "ZHA3046I",
    title: "a stack uses another stack's VIPADISTRIBUTE",
    explanation: "A stack of the sysplex group defines (VIPADEFINE) or backs up (VIPABACKUP) a DVIPA without a VIPADISTRIBUTE of its own. As on z/OS, a backup inherits the VIPADISTRIBUTE of a stack that distributes the DVIPA (it is written beside its state, as INHERITED-<dvipa>.TCPIP, and checked like a profile); an owner without one (ZHA2018) sends every connection to its own system's server. It is read at start: a stack started before any stack distributes the DVIPA does not claim it (the message says so); start it again once one does.",
};

pub const SYSTEM_NAME: Msg = Msg {
    id: "ZHA3047W",
    title: "a stack's system name that the settings or the profile contradict",
    explanation: "`distribute --system NAME` names the stack in the group; the settings' [systems] table names each system's DESTIP (its DYNAMICXCF address). The name is not in [systems] (a typo starts a stack under a name no operator expects), or [systems] gives the profile's DYNAMICXCF address to another system (the profile is another system's). The stack runs as told; check the command line, the profile and [systems].",
};

pub const KERNEL: Msg = Msg {
    id: "ZHA3048I",
    title: "kernel forwarding's table or conntrack",
    explanation: "With forwarding = \"kernel\" the stack's nftables table (`ip zha_<system>`) sends new connections to each DVIPA:port to its active target, and conntrack's events tell of failed connects. This message says when the table was taken, or removed (at stop, or a dead group member's by the stack that took its DVIPA over).",
};

pub const KERNEL_TROUBLE: Msg = Msg {
    id: "ZHA3049W",
    title: "kernel forwarding cannot do all it should",
    explanation: "With forwarding = \"kernel\": the stack's nftables table could not be updated or removed (it tries again; `nft list table ip zha_<system>` shows what the kernel has), conntrack's events were lost (its receive buffer overran: counts may be off until the connections end), conntrack's table is nearly full (when it is full the kernel drops new connections silently: raise net.netfilter.nf_conntrack_max or lower [limits] max_connections), or `netstat vcrt` could not read conntrack.",
};

pub const HOOK_FAILED: Msg = Msg {
    id: "ZHA3050W",
    title: "an event hook failed",
    explanation: "The [hook] command could not start, ended with a failure (its exit status and the first line of its stderr are in the message), or did not end within [hook] timeout and was killed; or events came faster than [hook] min_interval lets the command run, and some were not given to it (`dropped`; the next run gets ZHA_DROPPED). Forwarding is never held up by a hook.",
};

pub const HOOK_RAN: Msg = Msg {
    id: "ZHA3051I",
    title: "an event hook ran",
    explanation: "The [hook] command ran for an event (switch, takeover, target_down …) and ended with status 0. Its environment carried the event: ZHA_EVENT, ZHA_ID, ZHA_MESSAGE, ZHA_SERVICE, ZHA_DVIPA, ZHA_TARGET, ZHA_SYSTEM, ZHA_FROM, ZHA_REASON, ZHA_STACK, ZHA_TIME, ZHA_DROPPED.",
};

/// Every message, in id order.
pub const CATALOG: &[&Msg] = &[
    &TARGET_UP,
    &TARGET_DOWN,
    &SWITCH,
    &NO_TARGET,
    &QUIESCED,
    &RESUMED,
    &RECONFIGURED,
    &PERSISTED_IGNORED,
    &TARGET_HEALTHY,
    &TARGET_UNHEALTHY,
    &NOT_RUN,
    &STATE_FILE,
    &LISTENING,
    &DRAINING,
    &DRAIN_OVER,
    &STOPPED,
    &RELOADED,
    &RELOAD_REJECTED,
    &OUT_OF_RESOURCES,
    &ACCESS,
    &NO_SIGNALS,
    &SIGNAL,
    &CONTROL_SOCKET,
    &METRICS,
    &FIRST_ACTIVE,
    &FALLBACK,
    &REFUSED,
    &LOG_LOST,
    &RECOVERED,
    &FD_BUDGET,
    &HANDED_IN,
    &HANDED_OVER,
    &HAND_OVER_ABANDONED,
    &FD_STORE,
    &GROUP,
    &OWNER,
    &TAKEOVER,
    &FENCED,
    &ADDRESS,
    &DEFINED_TWICE,
    &INHERITED,
    &SYSTEM_NAME,
    &KERNEL,
    &KERNEL_TROUBLE,
    &HOOK_FAILED,
    &HOOK_RAN,
];

/// The catalog as `explain` reads it.
pub fn catalog() -> Vec<CodeInfo> {
    CATALOG
        .iter()
        .map(|m| CodeInfo {
            code: m.code(),
            severities: &m.id[m.id.len() - 1..],
            title: m.title,
            explanation: m.explanation,
        })
        .collect()
}

/// The message of an engine event.
pub fn of(e: &Event) -> &'static Msg {
    match e.kind {
        EventKind::TargetUp { .. } => &TARGET_UP,
        EventKind::TargetDown { .. } => &TARGET_DOWN,
        EventKind::TargetHealthy { .. } => &TARGET_HEALTHY,
        EventKind::TargetUnhealthy { .. } => &TARGET_UNHEALTHY,
        EventKind::FirstActive { .. } => &FIRST_ACTIVE,
        EventKind::Switch { .. } => &SWITCH,
        EventKind::Fallback { .. } => &FALLBACK,
        EventKind::Recovered { .. } => &RECOVERED,
        EventKind::NoTarget { .. } => &NO_TARGET,
        EventKind::Quiesced { .. } => &QUIESCED,
        EventKind::Resumed { .. } => &RESUMED,
        EventKind::Reconfigured { .. } => &RECONFIGURED,
        EventKind::PersistedIgnored { .. } => &PERSISTED_IGNORED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_well_formed_and_sorted() {
        let mut last = "";
        for m in CATALOG {
            assert_eq!(m.id.len(), 8, "{}", m.id);
            assert!(m.id.starts_with("ZHA3"), "{}", m.id);
            assert!(matches!(&m.id[7..], "I" | "W" | "E"), "{}", m.id);
            assert!(m.id > last, "{} after {last}", m.id);
            last = m.id;
        }
        assert_eq!(SWITCH.code(), "ZHA3003");
        assert_eq!(FALLBACK.severity(), Severity::Warning);
    }
}
