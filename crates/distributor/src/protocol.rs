//! The control protocol between a running distributor and `zosmf-ha
//! netstat`, `vary`, `reload`, `up` and the tests: one JSON request line,
//! one JSON reply line, typed end to end. Addresses with a port are
//! written `ip:port` (`[v6]:port`) everywhere in JSON; the NETSTAT text
//! (`display`) writes them `ip..port` as z/OS does.
//!
//! This module is the protocol only: the socket is `control`, the answers
//! come from the controller.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// A NETSTAT-style report: answered with [`Reply::View`].
    Netstat { report: Report },
    /// Quiesce or resume the targets a system name, DESTIP or endpoint
    /// names. Quiescing the last available target needs `force`.
    Vary {
        action: VaryAction,
        target: String,
        port: Option<u16>,
        #[serde(default)]
        force: bool,
    },
    /// Apply a changed profile (`None`: read the running one again).
    Reload { profile: Option<PathBuf> },
    /// The sysplex group (`--system`): leave or join it, deactivate or
    /// reactivate this stack's claim on a DVIPA (z/OS: VARY
    /// TCPIP,,SYSPLEX,LEAVEGROUP / JOINGROUP / DEACTIVATE / REACTIVATE).
    Group {
        action: GroupAction,
        #[serde(default)]
        dvipa: Option<IpAddr>,
    },
    /// A successor (process `pid`) asks for the listening sockets
    /// (`distribute --hand-over`): answered with [`Reply::HandOver`] and the
    /// sockets over SCM_RIGHTS, then the successor sends `ready` (see
    /// `handover`).
    HandOver {
        pid: u32,
        /// How long the successor may take to accept (its first round).
        #[serde(default = "default_within")]
        within_ms: u64,
    },
    /// Another stack of the sysplex group on this machine (process `pid`)
    /// asks for copies of the listening sockets, to share them (SPEC §7):
    /// answered with [`Reply::Share`] and the sockets over SCM_RIGHTS.
    Share { pid: u32 },
}

fn default_within() -> u64 {
    120_000
}

/// The reports of SPEC §5.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Report {
    /// The destination port table: services and their targets.
    Vdpt,
    /// The connection routing table: the connections open now.
    Vcrt,
    /// The configuration as applied: VIPA Define/Backup and Distribute.
    Vipadcfg,
    /// The DVIPAs of this stack as the sysplex group sees them: status
    /// (Active: this stack owns it; Backup), origin, rank, the owner.
    Vipadyn,
    /// What `top` and the status page show: VDPT with each target's last
    /// probe and connection rate, VIPADYN, the group, the forwarding mode
    /// and the latest events.
    Status,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum VaryAction {
    Quiesce,
    Resume,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GroupAction {
    Leave,
    Join,
    Deactivate,
    Reactivate,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// What a report shows (only the parts it needs are filled).
    View(View),
    /// What was done, a line each.
    Done { lines: Vec<String> },
    /// Nothing was changed, and why.
    Refused { error: String },
    /// The sockets follow (`sockets` of them, in messages of one byte),
    /// with the active targets (`DVIPA..port` → `ip:port`) and the targets
    /// quiesced (`DVIPA..port`, endpoint) of process `pid`.
    HandOver {
        sockets: usize,
        state: std::collections::BTreeMap<String, String>,
        #[serde(default)]
        quiesced: Vec<(String, SocketAddr)>,
        pid: u32,
    },
    /// Copies of the listening sockets follow (`sockets` of them).
    Share { sockets: usize },
}

impl Reply {
    pub fn refused(error: impl Into<String>) -> Reply {
        Reply::Refused {
            error: error.into(),
        }
    }
}

/// Everything the displays show, taken at one moment.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct View {
    /// The distributor's name (its profile's file name), for the header.
    pub name: String,
    /// UTC time of day, HH:MM:SS.
    pub time: String,
    pub services: Vec<ServiceRow>,
    pub connections: Vec<ConnRow>,
    pub vipas: Vec<VipaRow>,
    /// VIPADYN: this stack's DVIPAs in the group.
    #[serde(default)]
    pub vipadyn: Vec<VipaDynRow>,
    /// The system this stack is (`--system`), and the group's live members
    /// in join order; `None` for a lone stack.
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub members: Vec<String>,
    /// Status: "proxy" or "kernel".
    #[serde(default)]
    pub forwarding: Option<String>,
    /// Status: the latest events, oldest first.
    #[serde(default)]
    pub events: Vec<EventRow>,
    /// Status: when the process started (Unix seconds) and its id.
    #[serde(default)]
    pub started: f64,
    #[serde(default)]
    pub pid: u32,
}

/// An event the distributor logged (a switch, a target down …).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EventRow {
    /// Unix seconds.
    pub at: f64,
    /// The message id, e.g. ZHA3003I.
    pub id: String,
    pub text: String,
}

/// A target's last probe.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ProbeRow {
    /// When it ended (Unix seconds).
    pub at: f64,
    pub ms: f64,
    pub passed: bool,
    /// What it found ("connection refused", "HTTP 503" …).
    pub detail: String,
}

impl View {
    /// The service row of a DVIPA:port.
    pub fn service(&self, dest: SocketAddr) -> Option<&ServiceRow> {
        self.services.iter().find(|s| s.dest == dest)
    }
}

/// A distributed DVIPA..port.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ServiceRow {
    /// DVIPA:port.
    pub dest: SocketAddr,
    pub dist_method: DistMethod,
    pub auto_switch_back: bool,
    pub health_switch: bool,
    /// SYSPLEXPORTS, TIMEDAFFINITY seconds (0: none) and OPTLOCAL's value
    /// (`None`: NOOPTLOCAL), as the profile says: z/OS's VIPADCFG shows
    /// them; hot standby does not act on them.
    #[serde(default)]
    pub sys_pt: bool,
    #[serde(default)]
    pub tim_aff: u32,
    #[serde(default)]
    pub opt_loc: Option<u32>,
    /// The target new connections go to (its endpoint).
    pub active: Option<SocketAddr>,
    /// The first round of probes is not in yet: `active` is tentative.
    pub starting: bool,
    /// In DESTIP order.
    pub targets: Vec<TargetRow>,
}

impl ServiceRow {
    /// The active target's row.
    pub fn active_target(&self) -> Option<&TargetRow> {
        let a = self.active?;
        self.targets.iter().find(|t| t.target == a)
    }

    /// The row of a system's target.
    pub fn target_of(&self, system: &str) -> Option<&TargetRow> {
        self.targets.iter().find(|t| {
            t.system
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(system))
        })
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum DistMethod {
    HotStandby,
}

/// SrvType: PREFERRED or BACKUP (with `rank`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum SrvType {
    Preferred,
    Backup,
}

/// Flg (SPEC §5): what the target is for new connections.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Flag {
    Active,
    Backup,
    Quiesced,
    Unavailable,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TargetRow {
    /// The DESTIP address (the DYNAMICXCF address of the target system).
    pub dest_xcf: IpAddr,
    /// Where the distributor connects for it.
    pub target: SocketAddr,
    pub system: Option<String>,
    pub srv_type: SrvType,
    pub rank: Option<u8>,
    pub flag: Flag,
    /// Rdy: 1 while it listens (or is not probed yet).
    pub ready: u32,
    /// TSR: 100 when it can take new connections, else 0.
    pub tsr: u32,
    pub listening: Option<bool>,
    /// `None` without an application probe, before its first result, and
    /// while the target does not listen.
    pub healthy: Option<bool>,
    pub total_conn: u64,
    pub active_conn: u64,
    /// Status: the last probe, and new connections per second lately.
    #[serde(default)]
    pub probe: Option<ProbeRow>,
    #[serde(default)]
    pub rate: f64,
}

/// A connection in the VCRT.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConnRow {
    /// DVIPA:port.
    pub dest: SocketAddr,
    pub source: SocketAddr,
    pub dest_xcf: IpAddr,
    pub target: SocketAddr,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum VipaKind {
    Define,
    Backup,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Moveable {
    Immediate,
    WhenIdle,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct VipaRow {
    pub addr: IpAddr,
    /// From the VIPADEFINE/VIPABACKUP mask (IPv4) or prefix (IPv6).
    #[serde(default)]
    pub prefix_len: Option<u8>,
    pub kind: VipaKind,
    pub rank: Option<u8>,
    pub moveable: Moveable,
}

/// A DVIPA of this stack in NETSTAT VIPADYN.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct VipaDynRow {
    pub addr: IpAddr,
    /// This stack owns it and accepts its connections.
    pub active: bool,
    pub origin: VipaKind,
    /// 255 for VIPADEFINE.
    pub rank: u8,
    pub moveable: Moveable,
    /// Who owns it in the group (a lone stack: itself, unnamed).
    pub owner: Option<String>,
    /// This stack distributes it.
    pub distributed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_strict() {
        let ok: Request =
            serde_json::from_str(r#"{"cmd":"netstat","report":"vcrt"}"#).expect("a request");
        assert_eq!(
            ok,
            Request::Netstat {
                report: Report::Vcrt
            }
        );
        // An unknown report is an error, not a VDPT.
        assert!(serde_json::from_str::<Request>(r#"{"cmd":"netstat","report":"vdtp"}"#).is_err());
        assert!(
            serde_json::from_str::<Request>(r#"{"cmd":"netstat","report":"vdpt","x":1}"#).is_err()
        );
        let v: Request = serde_json::from_str(
            r#"{"cmd":"vary","action":"quiesce","target":"SYSA","port":null}"#,
        )
        .expect("force defaults to false");
        assert!(matches!(v, Request::Vary { force: false, .. }));
    }

    #[test]
    fn addresses_are_one_form_in_json() {
        let row = ConnRow {
            dest: "10.0.0.10:443".parse().expect("addr"),
            source: "10.9.9.9:40000".parse().expect("addr"),
            dest_xcf: "10.1.1.1".parse().expect("addr"),
            target: "127.0.0.11:8443".parse().expect("addr"),
        };
        let j = serde_json::to_string(&row).expect("json");
        assert_eq!(
            j,
            r#"{"dest":"10.0.0.10:443","source":"10.9.9.9:40000","dest_xcf":"10.1.1.1","target":"127.0.0.11:8443"}"#
        );
        assert!(!j.contains(".."));
        let back: ConnRow = serde_json::from_str(&j).expect("rows read back");
        assert_eq!(back, row);
    }
}
