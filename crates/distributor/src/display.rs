//! NETSTAT-style displays (SPEC §5): VDPT, VCRT and VIPADCFG, as text laid
//! out like z/OS and as JSON. Pure functions of a [`View`]; the client side
//! (`zosmf-ha netstat`) renders what the distributor sends.

use std::fmt::Write;
use std::net::SocketAddr;

use crate::protocol::{Flag, Moveable, Report, SrvType, View, VipaKind, VipaRow};

/// The report as text.
pub fn text(v: &View, report: Report, detail: bool) -> String {
    match report {
        Report::Vdpt => vdpt(v, detail),
        Report::Vcrt => vcrt(v, detail),
        Report::Vipadcfg => vipadcfg(v, detail),
        Report::Vipadyn => vipadyn(v),
        Report::Status => vdpt(v, true) + &vipadyn(v),
    }
}

/// NETSTAT VIPADYN: this stack's DVIPAs, as z/OS lays them out, with the
/// rank, MOVEABLE and the owner the group sees.
pub fn vipadyn(v: &View) -> String {
    let mut out = String::new();
    header(v, &mut out);
    match &v.system {
        Some(s) => {
            let _ = writeln!(out, "Stack: {s}  Group: {}", v.members.join(" "));
        }
        None => out.push_str("Stack: lone (no --system): it owns what it distributes\n"),
    }
    out.push_str("Dynamic VIPA:\n");
    for r in &v.vipadyn {
        let origin = match r.origin {
            VipaKind::Define => "VIPADefine",
            VipaKind::Backup => "VIPABackup",
        };
        let status = if r.active { "Active" } else { "Backup" };
        let moveable = match r.moveable {
            Moveable::Immediate => "Immediate",
            Moveable::WhenIdle => "WhenIdle",
        };
        let _ = writeln!(out, "  IpAddr: {}", r.addr);
        let _ = writeln!(
            out,
            "    Status: {status:<10} Origin: {origin:<12} DistStat: {}",
            if r.distributed { "Dist" } else { "" }
        );
        let _ = writeln!(
            out,
            "    Rank: {:03}  Moveable: {moveable:<10} Owner: {}",
            r.rank,
            r.owner.as_deref().unwrap_or(if v.system.is_none() {
                "this stack"
            } else {
                "none"
            })
        );
    }
    out
}

/// The report as JSON, one object with `version` and `report`: VDPT's
/// `services`, VCRT's `connections`, VIPADYN's and VIPADCFG's `vipas`
/// (VIPADCFG's `distribute` too), the stack's `system` and `members`.
pub fn json(v: &View, report: Report) -> serde_json::Value {
    let name = serde_json::to_value(report).unwrap_or(serde_json::Value::Null);
    let value = match report {
        Report::Vdpt => serde_json::to_value(&v.services).map(|rows| {
            serde_json::json!({ "version": JSON_VERSION, "report": name, "services": rows })
        }),
        Report::Vcrt => serde_json::to_value(&v.connections).map(|rows| {
            serde_json::json!({ "version": JSON_VERSION, "report": name, "connections": rows })
        }),
        Report::Vipadyn => serde_json::to_value(&v.vipadyn).map(|rows| {
            serde_json::json!({
                "version": JSON_VERSION,
                "report": name,
                "system": v.system,
                "members": v.members,
                "vipas": rows,
            })
        }),
        Report::Status => serde_json::to_value(v).map(|mut all| {
            all["version"] = JSON_VERSION.into();
            all["report"] = name.clone();
            all
        }),
        Report::Vipadcfg => serde_json::to_value(&v.vipas).and_then(|vipas| {
            Ok(serde_json::json!({
                "version": JSON_VERSION,
                "report": name,
                "vipas": vipas,
                "distribute": serde_json::to_value(&v.services)?,
                "system": v.system,
                "members": v.members,
            }))
        }),
    };
    value.unwrap_or(serde_json::Value::Null)
}

/// The version of `netstat --format json`'s documents: raised when a field
/// changes meaning or goes (new fields do not raise it).
pub const JSON_VERSION: u32 = 1;

/// The rows of a `netstat vdpt --format json` document.
pub fn vdpt_rows(json: &str) -> Option<Vec<crate::protocol::ServiceRow>> {
    let mut v: serde_json::Value = serde_json::from_str(json).ok()?;
    serde_json::from_value(v.get_mut("services")?.take()).ok()
}

/// `10.0.0.10..443`, as NETSTAT writes an address and port.
pub fn dotted(a: SocketAddr) -> String {
    format!("{}..{}", a.ip(), a.port())
}

fn srv_type(t: SrvType) -> &'static str {
    match t {
        SrvType::Preferred => "Preferred",
        SrvType::Backup => "Backup",
    }
}

fn flag(f: Flag) -> &'static str {
    match f {
        Flag::Active => "Active",
        Flag::Backup => "Backup",
        Flag::Quiesced => "Quiesced",
        Flag::Unavailable => "Unavailable",
    }
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
            let _ = writeln!(out, "Dest:        {}", dotted(s.dest));
            let _ = writeln!(out, "  DestXCF:   {}", t.dest_xcf);
            let _ = writeln!(
                out,
                "  TotalConn: {:010}  Rdy: {:03}  TSR: {:03}",
                t.total_conn % 10_000_000_000,
                t.ready,
                t.tsr
            );
            let srv = match t.rank {
                Some(r) => format!("{}  Rank: {r:03}", srv_type(t.srv_type)),
                None => srv_type(t.srv_type).to_owned(),
            };
            let _ = writeln!(out, "  DistMethod: HotStandby  SrvType: {srv}");
            let _ = writeln!(out, "  Flg: {}", flag(t.flag));
            if detail {
                let _ = writeln!(out, "  ActiveConn: {:010}", t.active_conn);
                let _ = writeln!(
                    out,
                    "    Target: {}  System: {}  Listening: {}  Healthy: {}",
                    dotted(t.target),
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
        let _ = writeln!(out, "Dest:      {}", dotted(c.dest));
        let _ = writeln!(out, "  Source:  {}", dotted(c.source));
        let _ = writeln!(out, "  DestXCF: {}", c.dest_xcf);
        if detail {
            let _ = writeln!(out, "    Target: {}", dotted(c.target));
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
    if let Some(system) = &v.system {
        let _ = writeln!(
            out,
            "  Sysplex Group: {}  This Stack: {system}",
            v.members.join(" ")
        );
    }
    for (kind, name) in [(VipaKind::Backup, "Backup"), (VipaKind::Define, "Define")] {
        let rows: Vec<&VipaRow> = v.vipas.iter().filter(|r| r.kind == kind).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  VIPA {name}:");
        for r in rows {
            match r.prefix_len {
                Some(p) => {
                    let _ = writeln!(out, "    IpAddr/PrefixLen: {}/{p}", r.addr);
                }
                None => {
                    let _ = writeln!(out, "    IpAddr/PrefixLen: {}", r.addr);
                }
            }
            let moveable = match r.moveable {
                Moveable::Immediate => "Immediate",
                Moveable::WhenIdle => "WhenIdle",
            };
            match r.rank {
                Some(rank) => {
                    let _ = writeln!(out, "      Rank: {rank:06}  Moveable: {moveable}");
                }
                None => {
                    let _ = writeln!(out, "      Moveable: {moveable}");
                }
            }
        }
    }
    out.push_str("  VIPA Distribute:\n");
    for s in &v.services {
        for t in &s.targets {
            let _ = writeln!(out, "    Dest:      {}", dotted(s.dest));
            let _ = writeln!(out, "      DestXCF: {}", t.dest_xcf);
            let srv = match t.rank {
                Some(r) => format!("{:<9} Rank: {r:03}", srv_type(t.srv_type)),
                None => srv_type(t.srv_type).to_owned(),
            };
            let _ = writeln!(out, "      DistMethod: {:<15} SrvType: {srv}", "HotStandby");
            let _ = writeln!(
                out,
                "      AutoSwitchBack: {:<11} HealthSwitch: {}",
                yes_no(s.auto_switch_back),
                yes_no(s.health_switch)
            );
            let tim_aff = if s.tim_aff == 0 {
                "No".to_owned()
            } else {
                s.tim_aff.to_string()
            };
            let _ = writeln!(
                out,
                "      SysPt:   {:<4} TimAff: {tim_aff:<5} Flg:",
                yes_no(s.sys_pt)
            );
            let _ = writeln!(
                out,
                "      OptLoc:  {}",
                s.opt_loc.map_or("No".to_owned(), |n| n.to_string())
            );
            if detail {
                let _ = writeln!(
                    out,
                    "      Target: {}  System: {}",
                    dotted(t.target),
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
    use crate::protocol::{ConnRow, DistMethod, ServiceRow, TargetRow};

    fn view() -> View {
        let t = |n: u8, srv, rank, flag, total| TargetRow {
            dest_xcf: [10, 1, 1, n].into(),
            target: SocketAddr::from(([127, 0, 0, 10 + n], 8443)),
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
            probe: None,
            rate: 0.0,
        };
        View {
            name: "PROFA".into(),
            time: "12:00:00".into(),
            services: vec![ServiceRow {
                dest: "10.0.0.10:443".parse().unwrap(),
                dist_method: DistMethod::HotStandby,
                auto_switch_back: true,
                health_switch: true,
                sys_pt: false,
                tim_aff: 0,
                opt_loc: None,
                active: None,
                starting: false,
                targets: vec![
                    t(1, SrvType::Preferred, None, Flag::Active, 12),
                    t(2, SrvType::Backup, Some(100), Flag::Backup, 0),
                ],
            }],
            connections: vec![ConnRow {
                dest: "10.0.0.10:443".parse().unwrap(),
                source: "127.0.0.1:40000".parse().unwrap(),
                dest_xcf: [10, 1, 1, 1].into(),
                target: "127.0.0.11:8443".parse().unwrap(),
            }],
            vipas: vec![VipaRow {
                addr: [10, 0, 0, 10].into(),
                prefix_len: Some(24),
                kind: VipaKind::Define,
                rank: None,
                moveable: Moveable::Immediate,
            }],
            ..View::default()
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
        let d = vdpt(&view(), true);
        assert!(d.contains("ActiveConn: 0000000002"));
        assert!(
            d.contains("Target: 127.0.0.11..8443  System: SYS1  Listening: Yes  Healthy: n/a"),
            "{d}"
        );
    }

    #[test]
    fn vcrt_and_vipadcfg() {
        let s = vcrt(&view(), true);
        assert!(
            s.contains(
                "Dest:      10.0.0.10..443\n  Source:  127.0.0.1..40000\n  DestXCF: 10.1.1.1\n    Target: 127.0.0.11..8443\n"
            ),
            "{s}"
        );
        let s = vipadcfg(&view(), false);
        assert!(
            s.contains(
                "VIPA Define:\n    IpAddr/PrefixLen: 10.0.0.10/24\n      Moveable: Immediate"
            ),
            "{s}"
        );
        assert!(
            s.contains(
                "HealthSwitch: Yes\n      SysPt:   No   TimAff: No    Flg:\n      OptLoc:  No\n"
            ),
            "{s}"
        );
        let mut v = view();
        v.services[0].sys_pt = true;
        v.services[0].tim_aff = 60;
        v.services[0].opt_loc = Some(1);
        v.vipas[0].prefix_len = None;
        let s = vipadcfg(&v, false);
        assert!(
            s.contains("SysPt:   Yes  TimAff: 60    Flg:\n      OptLoc:  1\n"),
            "{s}"
        );
        assert!(s.contains("    IpAddr/PrefixLen: 10.0.0.10\n"), "{s}");
        assert!(
            s.contains("AutoSwitchBack: Yes         HealthSwitch: Yes"),
            "{s}"
        );
        assert!(s.contains("SrvType: Backup    Rank: 100"), "{s}");
    }

    #[test]
    fn json_reports() {
        let v = view();
        assert_eq!(json(&v, Report::Vdpt)["version"], JSON_VERSION);
        assert_eq!(json(&v, Report::Vdpt)["report"], "vdpt");
        assert_eq!(
            json(&v, Report::Vdpt)["services"][0]["dest"],
            "10.0.0.10:443"
        );
        assert_eq!(
            json(&v, Report::Vcrt)["connections"][0]["source"],
            "127.0.0.1:40000"
        );
        assert_eq!(json(&v, Report::Vipadcfg)["vipas"][0]["prefix_len"], 24);
        assert_eq!(json(&v, Report::Vipadcfg)["vipas"][0]["kind"], "Define");
        assert_eq!(
            json(&v, Report::Vipadcfg)["distribute"][0]["targets"][1]["rank"],
            100
        );
    }

    #[test]
    fn time_of_day() {
        let t = std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(86_400 * 3 + 3600 * 15 + 60 * 37 + 51);
        assert_eq!(utc_time_of_day(t), "15:37:51");
    }

    #[test]
    fn vipadyn_of_a_lone_stack_and_of_a_group_member() {
        let row = |active, owner: Option<&str>| crate::protocol::VipaDynRow {
            addr: "10.0.0.10".parse().unwrap(),
            active,
            origin: VipaKind::Backup,
            rank: 100,
            moveable: Moveable::Immediate,
            owner: owner.map(str::to_owned),
            distributed: true,
        };
        let mut v = View {
            vipadyn: vec![row(true, None)],
            ..View::default()
        };
        let t = text(&v, Report::Vipadyn, false);
        assert!(t.contains("Stack: lone"), "{t}");
        assert!(
            t.contains("Status: Active") && t.contains("Owner: this stack"),
            "{t}"
        );
        v.system = Some("SYSB".into());
        v.members = vec!["SYSA".into(), "SYSB".into()];
        v.vipadyn = vec![row(false, Some("SYSA"))];
        let t = text(&v, Report::Vipadyn, false);
        assert!(t.contains("Stack: SYSB  Group: SYSA SYSB"), "{t}");
        assert!(
            t.contains("Status: Backup") && t.contains("Rank: 100") && t.contains("Owner: SYSA"),
            "{t}"
        );
        assert_eq!(json(&v, Report::Vipadyn)["vipas"][0]["owner"], "SYSA");
    }
}
