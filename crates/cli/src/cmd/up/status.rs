//! `up`'s live status: on a terminal a screen redrawn twice a second that
//! keeps its hints (how to reach the distributor, the children's pids); a
//! plain log of events and switches otherwise. A server that dies is
//! restarted after a pause, as an automatic restart manager would.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use zha_distributor::protocol::{Flag, ServiceRow, SrvType};

use super::local::Local;
use super::procs::{DISTRIBUTOR, Line, Procs};
use crate::output::say;

/// How long `up` waits before it restarts a server that ended.
const RESTART: Duration = Duration::from_secs(5);

/// An event line from a child's JSON log, made readable; `None` for lines
/// not worth showing.
pub fn event(l: &Line) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&l.text).ok()?;
    let msg = v["message"].as_str()?;
    let id = v["id"].as_str().unwrap_or("");
    let level = v["level"].as_str().unwrap_or("INFO");
    if id == zha_distributor::codes::ACCESS.id || (id.is_empty() && level == "INFO") {
        return None;
    }
    let t = v["timestamp"]
        .as_str()
        .and_then(|t| t.get(11..19))
        .unwrap_or("");
    Some(format!("{t} {:<12} {id:<9} {msg}", l.from))
}

/// The hints that stay in view: how to reach the sysplex and its children.
pub fn hints(local: &Local, pids: &[(String, u32)]) -> Vec<String> {
    let pids: Vec<String> = pids.iter().map(|(n, p)| format!("{n} {p}")).collect();
    vec![
        format!(
            "try:     curl --cacert {} https://{}/zosmf/info",
            local.ca.display(),
            local.layout.dvipa
        ),
        format!(
            "tables:  zosmf-ha netstat vdpt --detail --config {}",
            local.config.display()
        ),
        format!("pids:    {}", pids.join(", ")),
        "Ctrl-C stops everything.".to_owned(),
    ]
}

/// The terminal screen: every service with its targets, the latest events,
/// and the hints.
pub fn screen(local: &Local, rows: &[ServiceRow], events: &[String], hints: &[String]) -> String {
    let mut s = format!(
        "zosmf-ha up: local sysplex {} (work folder {})\n\n",
        local.layout.name,
        local.work.display()
    );
    if rows.is_empty() {
        s.push_str("(the distributor does not answer)\n\n");
    }
    for svc in rows {
        let active = svc
            .active_target()
            .map(|t| format!("{} ({})", t.system.as_deref().unwrap_or("-"), t.target))
            .unwrap_or_else(|| "none".into());
        s.push_str(&format!(
            "DVIPA {}  ->  active target {active}   ({}{})\n\n",
            svc.dest,
            if svc.auto_switch_back {
                "AUTOSWITCHBACK"
            } else {
                "NOAUTOSWITCHBACK"
            },
            if svc.starting { ", first probes" } else { "" }
        ));
        s.push_str("  system    target                 role          state         listening healthy  active  total\n");
        for t in &svc.targets {
            let role = match (t.srv_type, t.rank) {
                (SrvType::Backup, Some(r)) => format!("backup {r}"),
                (SrvType::Backup, None) => "backup".into(),
                (SrvType::Preferred, _) => "preferred".into(),
            };
            let flag = match t.flag {
                Flag::Active => "Active",
                Flag::Backup => "Backup",
                Flag::Quiesced => "Quiesced",
                Flag::Unavailable => "Unavailable",
            };
            let yn = |v: Option<bool>| match v {
                Some(true) => "yes",
                Some(false) => "no",
                None => "-",
            };
            s.push_str(&format!(
                "  {:<9} {:<22} {:<13} {:<13} {:<9} {:<8} {:>6} {:>6}\n",
                t.system.as_deref().unwrap_or("-"),
                t.target.to_string(),
                role,
                flag,
                yn(t.listening),
                yn(t.healthy),
                t.active_conn,
                t.total_conn
            ));
        }
        s.push('\n');
    }
    s.push_str("events:\n");
    for e in events {
        s.push_str(&format!("  {e}\n"));
    }
    s.push('\n');
    for h in hints {
        s.push_str(h);
        s.push('\n');
    }
    s
}

pub async fn status(
    local: &Local,
    procs: &mut Procs,
    mut rx: mpsc::UnboundedReceiver<Line>,
    stop: CancellationToken,
) -> anyhow::Result<ExitCode> {
    let tty = std::io::stdout().is_terminal();
    let mut events: Vec<String> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut last_active: Option<String> = None;
    let mut restarts: Vec<(Instant, String)> = Vec::new();
    if !tty {
        for h in hints(local, &procs.pids()) {
            say(&h);
        }
    }
    let note = |e: String, events: &mut Vec<String>| {
        if !tty {
            say(&e);
        }
        events.push(e);
        if events.len() > 12 {
            events.remove(0);
        }
    };
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            Some(l) = rx.recv() => {
                if let Some(e) = event(&l) {
                    note(e, &mut events);
                }
            }
            _ = tick.tick() => {
                if let Some((name, st)) = procs.exited() {
                    if name == DISTRIBUTOR {
                        say(&format!("the distributor ended unexpectedly ({st}); stopping"));
                        return Ok(ExitCode::from(1));
                    }
                    note(
                        format!("{name}'s server ended ({st}); restarting it in {} s", RESTART.as_secs()),
                        &mut events,
                    );
                    restarts.push((Instant::now() + RESTART, name));
                }
                if let Some(i) = restarts.iter().position(|r| r.0 <= Instant::now()) {
                    let (_, name) = restarts.remove(i);
                    procs.spawn_server(&name)?;
                    note(format!("{name}'s server restarted"), &mut events);
                }
                if tty {
                    let rows = local.services().await.unwrap_or_default();
                    let screen = screen(local, &rows, &events, &hints(local, &procs.pids()));
                    crate::output::print(&format!("\x1b[H\x1b[2J{screen}")).ok();
                } else {
                    let a = local.active().await;
                    if a != last_active {
                        say(&format!("active: {}", a.clone().unwrap_or_else(|| "none".into())));
                        last_active = a;
                    }
                }
            }
        }
    }
    say("\nstopping the local sysplex");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::cmd::up::layout::Layout;
    use zha_distributor::protocol::{DistMethod, TargetRow};

    #[test]
    fn the_screen_keeps_its_hints() {
        let local = Local {
            layout: Layout {
                name: "LOCAL".into(),
                dvipa: "127.0.0.10:8443".parse().unwrap(),
                profile: PathBuf::from("SYSA.TCPIP"),
                switchback: true,
                servers: vec![],
                preferred: "SYSA".into(),
            },
            socket: PathBuf::from("/w/state/control.sock"),
            config: PathBuf::from("/w/zosmf-ha.toml"),
            ca: PathBuf::from("/w/ca.pem"),
            work: PathBuf::from("/w"),
        };
        let row = ServiceRow {
            dest: "127.0.0.10:8443".parse().unwrap(),
            dist_method: DistMethod::HotStandby,
            auto_switch_back: true,
            health_switch: true,
            active: Some("127.0.0.11:8443".parse().unwrap()),
            starting: false,
            targets: vec![TargetRow {
                dest_xcf: "127.0.0.11".parse().unwrap(),
                target: "127.0.0.11:8443".parse().unwrap(),
                system: Some("SYSA".into()),
                srv_type: SrvType::Preferred,
                rank: None,
                flag: Flag::Active,
                ready: 1,
                tsr: 100,
                listening: Some(true),
                healthy: Some(true),
                total_conn: 3,
                active_conn: 1,
            }],
        };
        let pids = vec![("SYSA".to_owned(), 101), ("distributor".to_owned(), 103)];
        let events: Vec<String> = (0..30).map(|i| format!("event {i}")).collect();
        let s = screen(&local, &[row], &events, &hints(&local, &pids));
        assert!(s.contains("active target SYSA (127.0.0.11:8443)"), "{s}");
        assert!(
            s.contains("zosmf-ha netstat vdpt --detail --config /w/zosmf-ha.toml"),
            "{s}"
        );
        assert!(s.contains("pids:    SYSA 101, distributor 103"), "{s}");
        assert!(
            s.contains("curl --cacert /w/ca.pem https://127.0.0.10:8443/zosmf/info"),
            "{s}"
        );
        assert!(s.trim_end().ends_with("Ctrl-C stops everything."), "{s}");
    }
}
