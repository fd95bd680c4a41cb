//! `up`'s live status: on a terminal a screen redrawn twice a second that
//! keeps its hints (how to reach the stacks, the children's pids); a plain
//! log of events, owners and switches otherwise. A server or a stack that
//! dies is restarted after a pause, as an automatic restart manager would.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use zha_distributor::protocol::{Flag, ServiceRow, SrvType};

use super::layout::is_stack;
use super::local::{Local, StackStatus};
use super::procs::{Line, Procs};
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
pub fn hints(local: &Local, owner: Option<&str>, pids: &[(String, u32)]) -> Vec<String> {
    let pids: Vec<String> = pids.iter().map(|(n, p)| format!("{n} {p}")).collect();
    let first = local.stacks.first().map(|s| s.plan.system.as_str());
    let stack = owner.or(first).unwrap_or("SYSA");
    vec![
        format!(
            "try:     curl --cacert {} https://{}/zosmf/info",
            local.ca.display(),
            local.layout.dvipa
        ),
        format!(
            "tables:  zosmf-ha netstat vdpt --detail --config {} --system {stack}",
            local.config.display()
        ),
        format!(
            "group:   zosmf-ha netstat vipadyn --config {} --system {stack}",
            local.config.display()
        ),
        format!("pids:    {}", pids.join(", ")),
        if local.kernel {
            "kernel:  nft list table ip zha_<system> (each stack's table); the servers see the clients' addresses".to_owned()
        } else {
            "proxy:   the stacks hold the connections and retry a failed connect on the next target"
                .to_owned()
        },
        "Ctrl-C stops everything.".to_owned(),
    ]
}

/// The terminal screen: the stacks and who owns the DVIPA, every service
/// with its targets, the latest events, and the hints.
pub fn screen(
    local: &Local,
    stacks: &[StackStatus],
    rows: &[ServiceRow],
    events: &[String],
    hints: &[String],
) -> String {
    let mut s = format!(
        "zosmf-ha up: local sysplex {} (work folder {})\n\n",
        local.layout.name,
        local.work.display()
    );
    for (i, st) in stacks.iter().enumerate() {
        let origin = local
            .stacks
            .iter()
            .find(|l| l.plan.system == st.system)
            .map(|l| l.plan.origin())
            .unwrap_or_default();
        let state = match (st.up, st.owns) {
            (false, _) => "down".to_owned(),
            (true, true) => format!("owns {}", local.layout.dvipa.ip()),
            (true, false) => "backup".to_owned(),
        };
        s.push_str(&format!(
            "{:<9} {:<12} {:<16} {state}\n",
            if i == 0 { "stacks:" } else { "" },
            super::layout::stack_proc(&st.system),
            origin
        ));
    }
    if !stacks.is_empty() {
        s.push('\n');
    }
    if rows.is_empty() {
        s.push_str("(no stack answers)\n\n");
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
    let mut last: Option<(Option<String>, Option<String>)> = None;
    let mut restarts: Vec<(Instant, String)> = Vec::new();
    if !tty {
        let owner = local.owner().await;
        for h in hints(local, owner.as_deref(), &procs.pids()) {
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
                    let what = if is_stack(&name) { "stack" } else { "server" };
                    note(
                        format!("{name} ({what}) ended ({st}); restarting it in {} s", RESTART.as_secs()),
                        &mut events,
                    );
                    restarts.push((Instant::now() + RESTART, name));
                }
                if let Some(i) = restarts.iter().position(|r| r.0 <= Instant::now()) {
                    let (_, name) = restarts.remove(i);
                    let plan = local.stacks.iter().find(|s| s.plan.proc_name() == name);
                    match plan {
                        Some(s) => procs.spawn_stack(&s.plan, &local.config)?,
                        None => procs.spawn_server(&name)?,
                    }
                    note(format!("{name} restarted"), &mut events);
                }
                let stacks = local.stacks().await;
                let owner = stacks.iter().find(|s| s.owns).map(|s| s.system.clone());
                if tty {
                    let rows = local.services().await.unwrap_or_default();
                    let hints = hints(local, owner.as_deref(), &procs.pids());
                    let screen = screen(local, &stacks, &rows, &events, &hints);
                    crate::output::print(&format!("\x1b[H\x1b[2J{screen}")).ok();
                } else {
                    let now = (owner, local.active().await);
                    if last.as_ref() != Some(&now) {
                        say(&format!(
                            "owner: {}'s stack; active: {}",
                            now.0.clone().unwrap_or_else(|| "no".into()),
                            now.1.clone().unwrap_or_else(|| "none".into())
                        ));
                        last = Some(now);
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
    use crate::cmd::up::layout::{Layout, StackPlan};
    use crate::cmd::up::local::LocalStack;
    use zha_distributor::protocol::{DistMethod, TargetRow};

    #[test]
    fn the_screen_keeps_its_hints() {
        let local = Local {
            layout: Layout {
                name: "LOCAL".into(),
                dvipa: "127.0.0.10:8443".parse().unwrap(),
                stacks: vec![],
                switchback: true,
                servers: vec![],
                preferred: "SYSA".into(),
            },
            stacks: ["SYSA", "SYSB"]
                .iter()
                .enumerate()
                .map(|(i, s)| LocalStack {
                    plan: StackPlan {
                        system: (*s).into(),
                        profile: PathBuf::from(format!("{s}.TCPIP")),
                        rank: (i > 0).then_some(100),
                    },
                    socket: PathBuf::from(format!("/w/state/{s}/control.sock")),
                })
                .collect(),
            config: PathBuf::from("/w/zosmf-ha.toml"),
            ca: PathBuf::from("/w/ca.pem"),
            work: PathBuf::from("/w"),
            kernel: false,
        };
        let row = ServiceRow {
            dest: "127.0.0.10:8443".parse().unwrap(),
            dist_method: DistMethod::HotStandby,
            auto_switch_back: true,
            health_switch: true,
            sys_pt: false,
            tim_aff: 0,
            opt_loc: None,
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
                probe: None,
                rate: 0.0,
            }],
        };
        let pids = vec![("SYSA".to_owned(), 101), ("SYSB/TCPIP".to_owned(), 103)];
        let stacks = [
            StackStatus {
                system: "SYSA".into(),
                up: false,
                owns: false,
            },
            StackStatus {
                system: "SYSB".into(),
                up: true,
                owns: true,
            },
        ];
        let events: Vec<String> = (0..30).map(|i| format!("event {i}")).collect();
        let s = screen(
            &local,
            &stacks,
            &[row],
            &events,
            &hints(&local, Some("SYSB"), &pids),
        );
        assert!(
            s.contains("stacks:   SYSA/TCPIP   VIPADEFINE       down\n"),
            "{s}"
        );
        assert!(
            s.contains("          SYSB/TCPIP   VIPABACKUP 100   owns 127.0.0.10\n"),
            "{s}"
        );
        assert!(s.contains("active target SYSA (127.0.0.11:8443)"), "{s}");
        assert!(
            s.contains("zosmf-ha netstat vdpt --detail --config /w/zosmf-ha.toml --system SYSB"),
            "{s}"
        );
        assert!(s.contains("pids:    SYSA 101, SYSB/TCPIP 103"), "{s}");
        assert!(
            s.contains("curl --cacert /w/ca.pem https://127.0.0.10:8443/zosmf/info"),
            "{s}"
        );
        assert!(s.trim_end().ends_with("Ctrl-C stops everything."), "{s}");
    }
}
