//! `up`'s live status: on a terminal a screen redrawn twice a second that
//! keeps its hints (how to reach the stacks, the children's pids); a plain
//! log of events, owners and switches otherwise. A server or a stack that
//! dies is restarted after a pause, as an automatic restart manager would.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

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

/// The status page a stack's log line announces (ZHA3024I): (stack, URL).
pub fn status_page(l: &Line) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(&l.text).ok()?;
    if v["id"].as_str()? != zha_distributor::codes::METRICS.id {
        return None;
    }
    Some((
        l.from.clone(),
        format!("http://{}/", v["address"].as_str()?),
    ))
}

/// The hints that stay in view: how to reach the sysplex and its children.
pub fn hints(
    local: &Local,
    owner: Option<&str>,
    pids: &[(String, u32)],
    pages: &[(String, String)],
) -> Vec<String> {
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
        format!(
            "status:  {}",
            if pages.is_empty() {
                "(the stacks' status pages, once they say where)".to_owned()
            } else {
                pages
                    .iter()
                    .map(|(s, u)| format!("{u} ({s})"))
                    .collect::<Vec<_>>()
                    .join(" · ")
            }
        ),
        format!("pids:    {}", pids.join(", ")),
        if local.kernel {
            "kernel:  nft list table ip zha_<system> (each stack's table); the servers see the clients' addresses".to_owned()
        } else {
            "proxy:   the stacks hold the connections and retry a failed connect on the next target"
                .to_owned()
        },
        "Ctrl-C (or q on this screen) stops everything.".to_owned(),
    ]
}

/// The stacks and who owns the DVIPA, one line for the screen's hints.
pub fn stacks_line(local: &Local, stacks: &[StackStatus]) -> String {
    let each: Vec<String> = stacks
        .iter()
        .map(|st| {
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
            format!("{} {origin} {state}", super::layout::stack_proc(&st.system))
        })
        .collect();
    format!("stacks:  {}", each.join(" · "))
}

/// The terminal screen: `top`'s, on the owner's stack (else the first
/// that answers), with every stack's events and the hints kept in view.
struct Screen {
    terminal: ratatui::DefaultTerminal,
    app: crate::cmd::top::ui::App,
}

impl Screen {
    fn start() -> anyhow::Result<Screen> {
        let terminal = ratatui::try_init()?;
        let mut app = crate::cmd::top::ui::App::new(
            String::new(),
            crate::output::use_color(crate::args::ColorChoice::Auto),
        );
        app.events = Some(Vec::new());
        Ok(Screen { terminal, app })
    }

    async fn draw(
        &mut self,
        local: &Local,
        stacks: &[StackStatus],
        events: &[String],
        hints: Vec<String>,
    ) -> anyhow::Result<()> {
        let owner = stacks
            .iter()
            .find(|s| s.owns)
            .or_else(|| stacks.iter().find(|s| s.up));
        let socket = owner
            .and_then(|s| local.socket(&s.system))
            .or_else(|| local.stacks.first().map(|s| &s.socket));
        let app = &mut self.app;
        if let Some(path) = socket {
            app.source = path.display().to_string();
            match crate::cmd::top::look(path).await {
                Ok(v) => {
                    app.now = zha_distributor::metrics::unix_now();
                    app.update(v);
                }
                Err(e) => app.trouble = Some(e),
            }
        }
        let mut lines = vec![
            format!(
                "sysplex: {} (zosmf-ha up, work folder {})",
                local.layout.name,
                local.work.display()
            ),
            stacks_line(local, stacks),
        ];
        lines.extend(hints);
        app.hints = lines;
        app.events = Some(events.to_vec());
        self.terminal.draw(|f| crate::cmd::top::ui::draw(f, app))?;
        Ok(())
    }

    /// Keys typed since the last look: q or Ctrl-C stops `up`; Q/R vary a
    /// target through the stack shown.
    async fn keys(&mut self, stop: &CancellationToken) -> anyhow::Result<()> {
        use crate::cmd::top::ui::{Ask, Key};
        use ratatui::crossterm::event::{self, Event, KeyEventKind};
        while event::poll(Duration::ZERO)? {
            let Event::Key(k) = event::read()? else {
                continue;
            };
            if k.kind != KeyEventKind::Press {
                continue;
            }
            match self.app.key(Key::of(&k)) {
                Some(Ask::Quit) => stop.cancel(),
                Some(Ask::Vary(c)) => {
                    let path = std::path::PathBuf::from(&self.app.source);
                    self.app.note = Some(crate::cmd::top::change(&path, &c).await);
                }
                None => {}
            }
            self.terminal
                .draw(|f| crate::cmd::top::ui::draw(f, &self.app))?;
        }
        Ok(())
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

pub async fn status(
    local: &Local,
    procs: &mut Procs,
    mut rx: mpsc::UnboundedReceiver<Line>,
    stop: CancellationToken,
) -> anyhow::Result<ExitCode> {
    let tty = std::io::stdout().is_terminal();
    let mut screen = if tty { Some(Screen::start()?) } else { None };
    let mut events: Vec<String> = Vec::new();
    let mut pages: Vec<(String, String)> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut keys = tokio::time::interval(Duration::from_millis(100));
    let mut last: Option<(Option<String>, Option<String>)> = None;
    let mut restarts: Vec<(Instant, String)> = Vec::new();
    if !tty {
        let owner = local.owner().await;
        for h in hints(local, owner.as_deref(), &procs.pids(), &[]) {
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
                if let Some((from, url)) = status_page(&l) {
                    if !tty {
                        say(&format!("status page of {from}: {url} (metrics: {url}metrics)"));
                    }
                    pages.retain(|(f, _)| *f != from);
                    pages.push((from, url));
                    pages.sort();
                }
                if let Some(e) = event(&l) {
                    note(e, &mut events);
                }
            }
            _ = keys.tick(), if screen.is_some() => {
                if let Some(s) = screen.as_mut() {
                    s.keys(&stop).await?;
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
                        Some(s) => procs.spawn_stack(&s.plan, &local.config, local.metrics_at(&s.plan.system))?,
                        None => procs.spawn_server(&name)?,
                    }
                    note(format!("{name} restarted"), &mut events);
                }
                let stacks = local.stacks().await;
                let owner = stacks.iter().find(|s| s.owns).map(|s| s.system.clone());
                if let Some(s) = screen.as_mut() {
                    let hints = hints(local, owner.as_deref(), &procs.pids(), &pages);
                    s.draw(local, &stacks, &events, hints).await?;
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
    drop(screen);
    say("\nstopping the local sysplex");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::cmd::up::layout::{Layout, StackPlan};
    use crate::cmd::up::local::LocalStack;
    use zha_distributor::protocol::Flag;

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
        let mut app = crate::cmd::top::ui::App::new("/w/state/SYSB/control.sock".into(), false);
        app.update(crate::cmd::top::ui::fixtures::view([
            Flag::Active,
            Flag::Backup,
            Flag::Backup,
        ]));
        app.events = Some(events);
        app.hints = vec![stacks_line(&local, &stacks)];
        app.hints.extend(hints(
            &local,
            Some("SYSB"),
            &pids,
            &[("SYSA/TCPIP".into(), "http://127.0.0.11:40000/".into())],
        ));
        let s = crate::cmd::top::ui::screen_of(&app, 150, 40);
        assert!(
            s.contains(
                "stacks:  SYSA/TCPIP VIPADEFINE down · SYSB/TCPIP VIPABACKUP 100 owns 127.0.0.10\n"
            ),
            "{s}"
        );
        assert!(s.contains("127.0.0.10..8443 → SYSA"), "{s}");
        assert!(s.contains("event 29"), "the newest event is shown: {s}");
        assert!(
            s.contains("zosmf-ha netstat vdpt --detail --config /w/zosmf-ha.toml --system SYSB"),
            "{s}"
        );
        assert!(s.contains("pids:    SYSA 101, SYSB/TCPIP 103"), "{s}");
        assert!(
            s.contains("status:  http://127.0.0.11:40000/ (SYSA/TCPIP)"),
            "{s}"
        );
        assert!(
            s.contains("curl --cacert /w/ca.pem https://127.0.0.10:8443/zosmf/info"),
            "{s}"
        );
        assert!(
            s.contains("Ctrl-C (or q on this screen) stops everything."),
            "{s}"
        );
    }
}
