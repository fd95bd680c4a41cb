//! NETSTAT-style displays (SPEC §5): VDPT, VCRT and VIPADCFG, as text laid
//! out like z/OS and as JSON. Pure functions of a [`View`].

use std::fmt::Write;
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;
use zha_standby::{Availability, Role, ServiceKey, Snapshot};

/// Everything the displays show, taken at one moment.
#[derive(Clone, Debug, Serialize)]
pub struct View {
    /// The distributor's name (its profile), for the header.
    pub name: String,
    /// UTC time of day, HH:MM:SS.
    pub time: String,
    pub services: Vec<ServiceRow>,
    pub connections: Vec<ConnRow>,
    pub vipas: Vec<VipaRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServiceRow {
    pub dest: String,
    pub dvipa: IpAddr,
    pub port: u16,
    pub dist_method: &'static str,
    pub auto_switch_back: bool,
    pub health_switch: bool,
    pub active: Option<SocketAddr>,
    pub targets: Vec<TargetRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TargetRow {
    /// The DESTIP address (DYNAMICXCF of the target system).
    pub dest_xcf: IpAddr,
    pub endpoint: SocketAddr,
    pub system: Option<String>,
    /// "Preferred" or "Backup".
    pub srv_type: &'static str,
    pub rank: Option<u8>,
    /// Active / Backup / Quiesced / Unavailable.
    pub flag: &'static str,
    pub ready: u32,
    pub tsr: u32,
    pub listening: Option<bool>,
    pub healthy: Option<bool>,
    pub total_conn: u64,
    pub active_conn: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConnRow {
    pub dest: String,
    pub source: SocketAddr,
    pub dest_xcf: IpAddr,
    pub endpoint: SocketAddr,
}

#[derive(Clone, Debug, Serialize)]
pub struct VipaRow {
    pub addr: IpAddr,
    /// "Define" or "Backup".
    pub kind: &'static str,
    pub rank: Option<u8>,
    pub moveable: &'static str,
}

/// Build the service rows from the engine snapshot, the DESTIP address of
/// each endpoint, and connection counters.
pub fn service_rows(
    snap: &Snapshot,
    destip_of: impl Fn(&ServiceKey, SocketAddr) -> IpAddr,
    counts: impl Fn(&ServiceKey, SocketAddr) -> (u64, u64),
) -> Vec<ServiceRow> {
    snap.services
        .iter()
        .map(|s| ServiceRow {
            dest: format!("{}..{}", s.key.dvipa, s.key.port),
            dvipa: s.key.dvipa,
            port: s.key.port,
            dist_method: "HotStandby",
            auto_switch_back: s.switchback,
            health_switch: s.healthswitch,
            active: s.active,
            targets: s
                .targets
                .iter()
                .map(|t| {
                    let (total, active) = counts(&s.key, t.endpoint);
                    let flag = match (t.active, t.availability) {
                        (_, Availability::Quiesced) => "Quiesced",
                        (true, _) => "Active",
                        (false, Availability::Available) => "Backup",
                        (false, _) => "Unavailable",
                    };
                    TargetRow {
                        dest_xcf: destip_of(&s.key, t.endpoint),
                        endpoint: t.endpoint,
                        system: t.system.clone(),
                        srv_type: match t.role {
                            Role::Preferred => "Preferred",
                            Role::Backup(_) => "Backup",
                        },
                        rank: match t.role {
                            Role::Preferred => None,
                            Role::Backup(r) => Some(r),
                        },
                        flag,
                        ready: u32::from(t.listening != Some(false)),
                        tsr: if t.availability == Availability::Available {
                            100
                        } else {
                            0
                        },
                        listening: t.listening,
                        healthy: t.healthy,
                        total_conn: total,
                        active_conn: active,
                    }
                })
                .collect(),
        })
        .collect()
}

fn header(v: &View, out: &mut String) {
    let _ = writeln!(
        out,
        "zosmf-ha NETSTAT   Distributor: {:<24} {}",
        v.name, v.time
    );
}

/// `NETSTAT VDPT [DETAIL]`: the destination port table.
pub fn vdpt(v: &View, detail: bool) -> String {
    let mut out = String::new();
    header(v, &mut out);
    out.push_str("Dynamic VIPA Destination Port Table:\n");
    for s in &v.services {
        for t in &s.targets {
            let _ = writeln!(out, "Dest:        {}", s.dest);
            let _ = writeln!(out, "  DestXCF:   {}", t.dest_xcf);
            let _ = writeln!(
                out,
                "  TotalConn: {:010}  Rdy: {:03}  TSR: {:03}",
                t.total_conn % 10_000_000_000,
                t.ready,
                t.tsr
            );
            let srv = match t.rank {
                Some(r) => format!("{}  Rank: {r:03}", t.srv_type),
                None => t.srv_type.to_owned(),
            };
            let _ = writeln!(out, "  DistMethod: {}  SrvType: {srv}", s.dist_method);
            let _ = writeln!(out, "  Flg: {}", t.flag);
            if detail {
                let _ = writeln!(out, "  ActiveConn: {:010}", t.active_conn);
                let _ = writeln!(
                    out,
                    "    Target: {}  System: {}  Listening: {}  Healthy: {}",
                    t.endpoint,
                    t.system.as_deref().unwrap_or("-"),
                    yes_no_unknown(t.listening),
                    yes_no_unknown(t.healthy)
                );
            }
        }
    }
    out.push_str(&format!(
        "{} of {} records displayed\n",
        count_targets(v),
        count_targets(v)
    ));
    out
}

fn count_targets(v: &View) -> usize {
    v.services.iter().map(|s| s.targets.len()).sum()
}

fn yes_no_unknown(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "Yes",
        Some(false) => "No",
        None => "n/a",
    }
}

/// `NETSTAT VCRT [DETAIL]`: the connections routed now.
pub fn vcrt(v: &View, detail: bool) -> String {
    let mut out = String::new();
    header(v, &mut out);
    out.push_str("Dynamic VIPA Connection Routing Table:\n");
    for c in &v.connections {
        let _ = writeln!(out, "Dest:      {}", c.dest);
        let _ = writeln!(out, "  Source:  {}..{}", c.source.ip(), c.source.port());
        let _ = writeln!(out, "  DestXCF: {}", c.dest_xcf);
        if detail {
            let _ = writeln!(out, "    Target: {}", c.endpoint);
        }
    }
    let n = v.connections.len();
    let _ = writeln!(out, "{n} of {n} records displayed");
    out
}

/// `NETSTAT VIPADCFG [DETAIL]`: the configuration as applied.
pub fn vipadcfg(v: &View, detail: bool) -> String {
    let mut out = String::new();
    header(v, &mut out);
    out.push_str("Dynamic VIPA Information:\n");
    for kind in ["Backup", "Define"] {
        let rows: Vec<&VipaRow> = v.vipas.iter().filter(|r| r.kind == kind).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  VIPA {kind}:");
        for r in rows {
            let _ = writeln!(out, "    IpAddr: {}", r.addr);
            match r.rank {
                Some(rank) => {
                    let _ = writeln!(out, "      Rank: {rank:06}  Moveable: {}", r.moveable);
                }
                None => {
                    let _ = writeln!(out, "      Moveable: {}", r.moveable);
                }
            }
        }
    }
    out.push_str("  VIPA Distribute:\n");
    for s in &v.services {
        for t in &s.targets {
            let _ = writeln!(out, "    Dest:      {}", s.dest);
            let _ = writeln!(out, "      DestXCF: {}", t.dest_xcf);
            let srv = match t.rank {
                Some(r) => format!("{:<9} Rank: {r:03}", t.srv_type),
                None => t.srv_type.to_owned(),
            };
            let _ = writeln!(
                out,
                "      DistMethod: {:<15} SrvType: {srv}",
                s.dist_method
            );
            let _ = writeln!(
                out,
                "      AutoSwitchBack: {:<11} HealthSwitch: {}",
                yes_no(s.auto_switch_back),
                yes_no(s.health_switch)
            );
            if detail {
                let _ = writeln!(
                    out,
                    "      Target: {}  System: {}",
                    t.endpoint,
                    t.system.as_deref().unwrap_or("-")
                );
            }
        }
    }
    out
}

fn yes_no(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

/// The time of day in UTC, as the header shows it.
pub fn utc_time_of_day(now: std::time::SystemTime) -> String {
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        % 86_400;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> View {
        let t = |n: u8, srv, rank, flag, total| TargetRow {
            dest_xcf: IpAddr::from([10, 1, 1, n]),
            endpoint: SocketAddr::from(([127, 0, 0, 10 + n], 8443)),
            system: Some(format!("SYS{n}")),
            srv_type: srv,
            rank,
            flag,
            ready: 1,
            tsr: 100,
            listening: Some(true),
            healthy: None,
            total_conn: total,
            active_conn: 2,
        };
        View {
            name: "PROFA".into(),
            time: "12:00:00".into(),
            services: vec![ServiceRow {
                dest: "10.0.0.10..443".into(),
                dvipa: IpAddr::from([10, 0, 0, 10]),
                port: 443,
                dist_method: "HotStandby",
                auto_switch_back: true,
                health_switch: true,
                active: None,
                targets: vec![
                    t(1, "Preferred", None, "Active", 12),
                    t(2, "Backup", Some(100), "Backup", 0),
                ],
            }],
            connections: vec![ConnRow {
                dest: "10.0.0.10..443".into(),
                source: "127.0.0.1:40000".parse().unwrap(),
                dest_xcf: IpAddr::from([10, 1, 1, 1]),
                endpoint: "127.0.0.11:8443".parse().unwrap(),
            }],
            vipas: vec![VipaRow {
                addr: IpAddr::from([10, 0, 0, 10]),
                kind: "Define",
                rank: None,
                moveable: "Immediate",
            }],
        }
    }

    #[test]
    fn vdpt_lays_out_like_zos() {
        let s = vdpt(&view(), false);
        assert!(s.contains("Dest:        10.0.0.10..443\n  DestXCF:   10.1.1.1\n  TotalConn: 0000000012  Rdy: 001  TSR: 100\n  DistMethod: HotStandby  SrvType: Preferred\n  Flg: Active\n"), "{s}");
        assert!(
            s.contains("SrvType: Backup  Rank: 100\n  Flg: Backup"),
            "{s}"
        );
        assert!(!s.contains("ActiveConn"));
        assert!(vdpt(&view(), true).contains("ActiveConn: 0000000002"));
    }

    #[test]
    fn vcrt_and_vipadcfg() {
        let s = vcrt(&view(), false);
        assert!(
            s.contains(
                "Dest:      10.0.0.10..443\n  Source:  127.0.0.1..40000\n  DestXCF: 10.1.1.1\n"
            ),
            "{s}"
        );
        let s = vipadcfg(&view(), false);
        assert!(
            s.contains("VIPA Define:\n    IpAddr: 10.0.0.10\n      Moveable: Immediate"),
            "{s}"
        );
        assert!(
            s.contains("AutoSwitchBack: Yes         HealthSwitch: Yes"),
            "{s}"
        );
        assert!(s.contains("SrvType: Backup    Rank: 100"), "{s}");
    }

    #[test]
    fn time_of_day() {
        let t = std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(86_400 * 3 + 3600 * 15 + 60 * 37 + 51);
        assert_eq!(utc_time_of_day(t), "15:37:51");
    }
}
