//! `top`'s screen: the state ([`App`]), what a key does to it, and the
//! drawing (ratatui), kept apart from the terminal and the control socket
//! so that tests draw it on ratatui's test backend.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};
use zha_distributor::protocol::{Flag, ServiceRow, TargetRow, VaryAction, View};
use zha_distributor::web::{ago, flag_name, role, why_not};

/// The views, switched with Tab or 1-3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Targets,
    Group,
    Events,
}

impl Tab {
    const ALL: [Tab; 3] = [Tab::Targets, Tab::Group, Tab::Events];

    fn name(self) -> &'static str {
        match self {
            Tab::Targets => "Targets",
            Tab::Group => "Group",
            Tab::Events => "Events",
        }
    }
}

/// A change asked for, waiting for its confirmation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub action: VaryAction,
    /// The system name (or the target address when it has none).
    pub target: String,
    pub port: u16,
    /// What the question says: `SYSA on 127.0.0.10..8443`.
    pub what: String,
}

/// What a key asks of the loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ask {
    Quit,
    Vary(Change),
}

/// The keys, as the screen's last line says them.
pub const KEYS: &str = "q quit · Tab/1-3 views · ↑↓ select · Q quiesce · R resume";

/// Everything the screen shows.
pub struct App {
    /// The last view the distributor sent.
    pub view: Option<View>,
    /// Why the last look failed (the control socket gone …), if it did.
    pub trouble: Option<String>,
    pub tab: Tab,
    /// The selected target, an index into [`App::targets`].
    pub selected: usize,
    pub confirm: Option<Change>,
    /// The answer to the last change, or another note.
    pub note: Option<String>,
    /// Where the view comes from (the control socket).
    pub source: String,
    /// Lines kept in view below the tables (`up`'s hints).
    pub hints: Vec<String>,
    /// Events to show instead of the view's (`up`: every stack's).
    pub events: Option<Vec<String>>,
    pub color: bool,
    /// Unix seconds now (a parameter, so that tests draw the same screen).
    pub now: f64,
}

impl App {
    pub fn new(source: String, color: bool) -> App {
        App {
            view: None,
            trouble: None,
            tab: Tab::Targets,
            selected: 0,
            confirm: None,
            note: None,
            source,
            hints: Vec::new(),
            events: None,
            color,
            now: 0.0,
        }
    }

    /// Every target of every service, in order: what ↑↓ move over.
    pub fn targets(&self) -> Vec<(&ServiceRow, &TargetRow)> {
        self.view
            .iter()
            .flat_map(|v| &v.services)
            .flat_map(|s| s.targets.iter().map(move |t| (s, t)))
            .collect()
    }

    /// A new view from the distributor.
    pub fn update(&mut self, v: View) {
        // Another process (a restart): the note of the last one goes.
        if self.view.as_ref().is_some_and(|old| old.pid != v.pid) {
            self.note = None;
        }
        self.view = Some(v);
        self.trouble = None;
        let n = self.targets().len();
        if self.selected >= n {
            self.selected = n.saturating_sub(1);
        }
    }

    /// What a key does.
    pub fn key(&mut self, key: Key) -> Option<Ask> {
        if let Some(c) = self.confirm.take() {
            return match key {
                Key::Char('y') | Key::Char('Y') => Some(Ask::Vary(c)),
                Key::Interrupt => Some(Ask::Quit),
                _ => {
                    self.note = Some("nothing changed".into());
                    None
                }
            };
        }
        match key {
            Key::Char('q') | Key::Esc | Key::Interrupt => return Some(Ask::Quit),
            Key::Tab | Key::Right => self.tab = next(self.tab, 1),
            Key::BackTab | Key::Left => self.tab = next(self.tab, 2),
            Key::Char(c @ '1'..='3') => self.tab = Tab::ALL[c as usize - '1' as usize],
            Key::Up | Key::Char('k') => self.selected = self.selected.saturating_sub(1),
            Key::Down | Key::Char('j') if self.selected + 1 < self.targets().len() => {
                self.selected += 1;
            }
            Key::Char('Q') => self.ask(VaryAction::Quiesce),
            Key::Char('R') => self.ask(VaryAction::Resume),
            _ => {}
        }
        None
    }

    fn ask(&mut self, action: VaryAction) {
        let Some((s, t)) = self.targets().get(self.selected).copied() else {
            self.note = Some("no target to change".into());
            return;
        };
        let target = t.system.clone().unwrap_or_else(|| t.target.to_string());
        // `vary` names a target and a port, not a DVIPA: say what it
        // changes when the port is distributed for several DVIPAs.
        let port = s.dest.port();
        let dvipas = self
            .view
            .iter()
            .flat_map(|v| &v.services)
            .filter(|o| {
                o.dest.port() == port
                    && o.targets
                        .iter()
                        .any(|x| x.system == t.system && x.target == t.target)
            })
            .count();
        let what = if dvipas > 1 {
            format!("{target} on port {port} (every DVIPA with that port: {dvipas})")
        } else {
            format!("{target} on {}", zha_distributor::display::dotted(s.dest))
        };
        self.confirm = Some(Change {
            action,
            target,
            port: s.dest.port(),
            what,
        });
    }
}

fn next(t: Tab, by: usize) -> Tab {
    let i = Tab::ALL.iter().position(|x| *x == t).unwrap_or(0);
    Tab::ALL[(i + by) % Tab::ALL.len()]
}

/// A key, from the terminal or a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Up,
    Down,
    Left,
    Right,
    Tab,
    BackTab,
    Esc,
    /// Ctrl-C.
    Interrupt,
    Other,
}

impl Key {
    pub fn of(k: &ratatui::crossterm::event::KeyEvent) -> Key {
        use ratatui::crossterm::event::{KeyCode, KeyModifiers};
        match k.code {
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => Key::Interrupt,
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Esc => Key::Esc,
            _ => Key::Other,
        }
    }
}

fn style(app: &App, f: Flag) -> Style {
    if !app.color {
        return Style::default();
    }
    match f {
        Flag::Active => Style::default()
            .fg(Color::Green)
            .add_modifier(Modifier::BOLD),
        Flag::Backup => Style::default(),
        Flag::Quiesced => Style::default().fg(Color::Yellow),
        Flag::Unavailable => Style::default().fg(Color::Red),
    }
}

fn bad(app: &App) -> Style {
    if app.color {
        Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::BOLD)
    }
}

/// The header line: whose view, the group, the mode, the process.
pub fn header(app: &App) -> String {
    match &app.view {
        None => format!("zosmf-ha top · {}", app.source),
        Some(v) => {
            let who = v
                .system
                .as_deref()
                .map_or_else(|| "a lone distributor".to_owned(), |s| format!("stack {s}"));
            let group = if v.system.is_some() {
                format!(" · group {}", v.members.join(" "))
            } else {
                String::new()
            };
            format!(
                "zosmf-ha top · {who}{group} · forwarding {} · pid {} · up {} · {} UTC",
                v.forwarding.as_deref().unwrap_or("proxy"),
                v.pid,
                ago(app.now - v.started),
                v.time
            )
        }
    }
}

/// The cells of a target's row: system, target, role, state, why, health,
/// last probe, open, total, conn/s.
pub fn cells(app: &App, t: &TargetRow) -> [String; 10] {
    let health = match (t.listening, t.healthy) {
        (Some(false), _) => "not listening".to_owned(),
        (_, Some(true)) => "healthy".to_owned(),
        (_, Some(false)) => "unhealthy".to_owned(),
        (Some(true), None) => "listening".to_owned(),
        (None, _) => "-".to_owned(),
    };
    let probe = t.probe.as_ref().map_or_else(
        || "-".to_owned(),
        |p| {
            format!(
                "{} {:.1}ms {} ago",
                if p.passed { "ok" } else { "fail" },
                p.ms,
                ago(app.now - p.at)
            )
        },
    );
    [
        t.system.clone().unwrap_or_else(|| "-".into()),
        zha_distributor::display::dotted(t.target),
        role(t.srv_type, t.rank),
        flag_name(t.flag).to_owned(),
        why_not(t),
        health,
        probe,
        t.active_conn.to_string(),
        t.total_conn.to_string(),
        format!("{:.1}", t.rate),
    ]
}

const HEADS: [&str; 10] = [
    "System",
    "Target",
    "Role",
    "State",
    "Why",
    "Health",
    "Last probe",
    "Open",
    "Total",
    "Conn/s",
];

/// The events to show, newest first.
fn events(app: &App) -> Vec<String> {
    match &app.events {
        Some(e) => e.iter().rev().cloned().collect(),
        None => app
            .view
            .iter()
            .flat_map(|v| v.events.iter().rev())
            .map(|e| format!("{:>7} ago  {}  {}", ago(app.now - e.at), e.id, e.text))
            .collect(),
    }
}

/// Draw the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let hints = app.hints.len() as u16;
    // The note (the answer to a change) on a line of its own, whole.
    let foot_height = if app.note.is_some() { 2 } else { 1 };
    let [head, tabs, body, hint_area, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(if hints > 0 { hints + 1 } else { 0 }),
        Constraint::Length(foot_height),
    ])
    .areas(f.area());

    let mut head_lines = vec![Line::from(header(app))];
    head_lines.push(match &app.trouble {
        Some(t) => Line::from(Span::styled(
            format!("{t} — showing the last view, trying again every second"),
            bad(app),
        )),
        None => Line::from(format!("from {}", app.source)),
    });
    f.render_widget(Paragraph::new(head_lines), head);

    let mut spans = Vec::new();
    for (i, t) in Tab::ALL.iter().enumerate() {
        let label = format!(" {} {} ", i + 1, t.name());
        spans.push(if *t == app.tab {
            Span::styled(label, Style::default().add_modifier(Modifier::REVERSED))
        } else {
            Span::raw(label)
        });
        spans.push(Span::raw(" "));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), tabs);

    match app.tab {
        Tab::Targets => targets(f, app, body),
        Tab::Group => group(f, app, body),
        Tab::Events => {
            let lines: Vec<Line> = events(app).into_iter().map(Line::from).collect();
            f.render_widget(
                Paragraph::new(lines).block(
                    Block::default()
                        .borders(Borders::TOP)
                        .title(" latest events "),
                ),
                body,
            );
        }
    }

    if hints > 0 {
        let lines: Vec<Line> = app.hints.iter().map(|h| Line::from(h.as_str())).collect();
        f.render_widget(
            Paragraph::new(lines).block(Block::default().borders(Borders::TOP)),
            hint_area,
        );
    }
    let mut foot_lines = Vec::new();
    if let Some(n) = &app.note {
        foot_lines.push(Line::from(Span::styled(
            n.as_str(),
            Style::default().add_modifier(Modifier::BOLD),
        )));
    }
    foot_lines.push(Line::from(KEYS));
    f.render_widget(Paragraph::new(foot_lines), foot);

    if let Some(c) = &app.confirm {
        let verb = match c.action {
            VaryAction::Quiesce => "Quiesce",
            VaryAction::Resume => "Resume",
        };
        let area = centered(f.area(), 60, 5);
        f.render_widget(Clear, area);
        f.render_widget(
            Paragraph::new(vec![
                Line::from(format!("{verb} {}?", c.what)),
                Line::from("y: yes   any other key: no"),
            ])
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::ALL).title(" confirm ")),
            area,
        );
    }
}

fn centered(r: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(r.width);
    let h = h.min(r.height);
    Rect::new(r.x + (r.width - w) / 2, r.y + (r.height - h) / 2, w, h)
}

fn targets(f: &mut Frame, app: &App, area: Rect) {
    let Some(v) = &app.view else {
        f.render_widget(Paragraph::new("waiting for the distributor …"), area);
        return;
    };
    let widths = [
        Constraint::Length(8),
        Constraint::Length(21),
        Constraint::Length(10),
        Constraint::Length(11),
        Constraint::Min(10),
        Constraint::Length(13),
        Constraint::Length(18),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(6),
    ];
    // The tables as tall as they need (leaving the events 3 lines at
    // least); the events take the rest.
    let need: u16 = v.services.iter().map(|s| s.targets.len() as u16 + 2).sum();
    let [tables, events_area] = Layout::vertical([
        Constraint::Length(need.min(area.height.saturating_sub(3))),
        Constraint::Min(3),
    ])
    .areas(area);
    let events_height = events_area.height;
    // One block per service: its heading, the column names, its targets.
    let mut constraints: Vec<Constraint> = v
        .services
        .iter()
        .map(|s| Constraint::Length(s.targets.len() as u16 + 2))
        .collect();
    constraints.push(Constraint::Min(0));
    let areas = Layout::vertical(constraints).split(tables);
    let mut i = 0;
    for (s, at) in v.services.iter().zip(areas.iter()) {
        let active = s
            .active_target()
            .map(|t| t.system.clone().unwrap_or_else(|| t.target.to_string()))
            .unwrap_or_else(|| "nobody".into());
        // The DVIPA's owner in the sysplex group, as this stack sees it.
        let owner = v
            .vipadyn
            .iter()
            .find(|r| r.addr == s.dest.ip())
            .and_then(|r| r.owner.as_deref())
            .map_or(String::new(), |o| format!(" · owner {o}"));
        let heading = format!(
            " {} → {active}{} · {}{owner} ",
            zha_distributor::display::dotted(s.dest),
            if s.starting { " (first probes)" } else { "" },
            if s.auto_switch_back {
                "AUTOSWITCHBACK"
            } else {
                "NOAUTOSWITCHBACK"
            },
        );
        let mut rows = Vec::new();
        for t in &s.targets {
            let mut st = style(app, t.flag);
            if i == app.selected {
                st = st.add_modifier(Modifier::REVERSED);
            }
            rows.push(
                Row::new(
                    cells(app, t)
                        .into_iter()
                        .map(Cell::from)
                        .collect::<Vec<_>>(),
                )
                .style(st),
            );
            i += 1;
        }
        f.render_widget(
            Table::new(rows, widths)
                .header(
                    Row::new(HEADS.to_vec())
                        .style(Style::default().add_modifier(Modifier::UNDERLINED)),
                )
                .column_spacing(1)
                .block(Block::default().borders(Borders::TOP).title(Span::styled(
                    heading,
                    Style::default().add_modifier(Modifier::BOLD),
                ))),
            *at,
        );
    }
    let lines: Vec<Line> = events(app)
        .into_iter()
        .take(events_height.saturating_sub(1) as usize)
        .map(Line::from)
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::TOP)
                .title(" latest events "),
        ),
        events_area,
    );
}

fn group(f: &mut Frame, app: &App, area: Rect) {
    let Some(v) = &app.view else {
        f.render_widget(Paragraph::new("waiting for the distributor …"), area);
        return;
    };
    let mut lines = vec![match &v.system {
        Some(s) => Line::from(format!(
            "This stack: {s}   Members: {}",
            if v.members.is_empty() {
                "none (this stack is not a member)".to_owned()
            } else {
                v.members.join(" ")
            }
        )),
        None => Line::from("A lone distributor (no --system): it owns what it distributes"),
    }];
    lines.push(Line::from(""));
    lines.push(Line::from(
        "DVIPA            Here     Origin       Rank  Owner",
    ));
    for r in &v.vipadyn {
        lines.push(Line::from(format!(
            "{:<16} {:<8} {:<12} {:>4}  {}",
            r.addr.to_string(),
            if r.active { "Active" } else { "Backup" },
            match r.origin {
                zha_distributor::protocol::VipaKind::Define => "VIPADefine",
                zha_distributor::protocol::VipaKind::Backup => "VIPABackup",
            },
            r.rank,
            r.owner.as_deref().unwrap_or(if v.system.is_none() {
                "this stack"
            } else {
                "none"
            })
        )));
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// The screen as plain text, for output that is no terminal.
pub fn plain(app: &App) -> String {
    let mut s = header(app);
    s.push('\n');
    if let Some(t) = &app.trouble {
        s.push_str(&format!("{t}\n"));
    }
    if let Some(v) = &app.view {
        s.push_str(&format!(
            "  {:<8} {:<21} {:<10} {:<11} {:<24} {:<13} {:<20} {:>5} {:>7} {:>6}\n",
            HEADS[0],
            HEADS[1],
            HEADS[2],
            HEADS[3],
            HEADS[4],
            HEADS[5],
            HEADS[6],
            HEADS[7],
            HEADS[8],
            HEADS[9]
        ));
        for svc in &v.services {
            let active = svc
                .active_target()
                .map(|t| t.system.clone().unwrap_or_else(|| t.target.to_string()))
                .unwrap_or_else(|| "nobody".into());
            s.push_str(&format!(
                "{} -> {active}\n",
                zha_distributor::display::dotted(svc.dest)
            ));
            for t in &svc.targets {
                let c = cells(app, t);
                s.push_str(&format!(
                    "  {:<8} {:<21} {:<10} {:<11} {:<24} {:<13} {:<20} {:>5} {:>7} {:>6}\n",
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]
                ));
            }
        }
    }
    s
}

/// The screen of `app` on a test terminal of this size, as text (lines
/// without trailing blanks): what snapshot tests compare.
#[cfg(test)]
pub fn screen_of(app: &App, width: u16, height: u16) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height))
        .expect("a test terminal");
    let _ = t.draw(|f| draw(f, app));
    let b = t.backend().buffer();
    (0..b.area.height)
        .map(|y| {
            let l: String = (0..b.area.width).map(|x| b[(x, y)].symbol()).collect();
            l.trim_end().to_owned() + "\n"
        })
        .collect()
}

/// Views for the screens' tests (top's and up's): one DVIPA..port with
/// SYSA preferred, SYSB backup 100, SYSC backup 50, in the given states.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod fixtures {
    use zha_distributor::protocol::{
        DistMethod, EventRow, Flag, Moveable, ProbeRow, ServiceRow, SrvType, TargetRow, View,
        VipaDynRow, VipaKind,
    };

    pub(crate) fn target(n: u8, system: &str, rank: Option<u8>, flag: Flag) -> TargetRow {
        TargetRow {
            dest_xcf: [10, 1, 1, n].into(),
            target: std::net::SocketAddr::from(([127, 0, 0, 10 + n], 8443)),
            system: Some(system.into()),
            srv_type: if rank.is_some() {
                SrvType::Backup
            } else {
                SrvType::Preferred
            },
            rank,
            flag,
            ready: 1,
            tsr: if flag == Flag::Active || flag == Flag::Backup {
                100
            } else {
                0
            },
            listening: Some(flag != Flag::Unavailable),
            healthy: Some(flag != Flag::Unavailable),
            total_conn: 1200 * u64::from(n),
            active_conn: u64::from(n),
            probe: Some(ProbeRow {
                at: 995.0,
                ms: 1.5 * f64::from(n),
                passed: flag != Flag::Unavailable,
                detail: if flag == Flag::Unavailable {
                    "connection refused".into()
                } else {
                    "HTTP 200".into()
                },
            }),
            rate: 2.5 * f64::from(n),
        }
    }

    pub(crate) fn view(flags: [Flag; 3]) -> View {
        View {
            name: "PROFA.TCPIP".into(),
            time: "12:00:00".into(),
            services: vec![ServiceRow {
                dest: "127.0.0.10:8443".parse().unwrap(),
                dist_method: DistMethod::HotStandby,
                auto_switch_back: true,
                health_switch: true,
                sys_pt: false,
                tim_aff: 0,
                opt_loc: None,
                active: flags
                    .iter()
                    .position(|f| *f == Flag::Active)
                    .map(|i| std::net::SocketAddr::from(([127, 0, 0, 11 + i as u8], 8443))),
                starting: false,
                targets: vec![
                    target(1, "SYSA", None, flags[0]),
                    target(2, "SYSB", Some(100), flags[1]),
                    target(3, "SYSC", Some(50), flags[2]),
                ],
            }],
            vipadyn: vec![VipaDynRow {
                addr: "127.0.0.10".parse().unwrap(),
                active: true,
                origin: VipaKind::Define,
                rank: 255,
                moveable: Moveable::Immediate,
                owner: Some("SYSA".into()),
                distributed: true,
            }],
            system: Some("SYSA".into()),
            members: vec!["SYSA".into(), "SYSB".into(), "SYSC".into()],
            forwarding: Some("proxy".into()),
            events: vec![
                EventRow {
                    at: 900.0,
                    id: "ZHA3025I".into(),
                    text: "127.0.0.10..8443: new connections go to 127.0.0.11:8443 (SYSA): first choice".into(),
                },
                EventRow {
                    at: 990.0,
                    id: "ZHA3002W".into(),
                    text: "target 127.0.0.13:8443 (SYSC) is not listening: connection refused".into(),
                },
            ],
            started: 400.0,
            pid: 4242,
            ..View::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::fixtures::view;

    fn app(v: Option<View>) -> App {
        let mut a = App::new("/run/zosmf-ha/SYSA/control.sock".into(), false);
        a.now = 1000.0;
        if let Some(v) = v {
            a.update(v);
        }
        a
    }

    fn screen(a: &App) -> String {
        screen_of(a, 130, 22)
    }

    #[test]
    fn screens_in_the_main_states() {
        let normal = app(Some(view([Flag::Active, Flag::Backup, Flag::Unavailable])));
        insta::assert_snapshot!("targets", screen(&normal));

        let mut quiesced = app(Some(view([
            Flag::Quiesced,
            Flag::Active,
            Flag::Unavailable,
        ])));
        quiesced.note = Some("SYSA quiesced on 127.0.0.10..8443".into());
        insta::assert_snapshot!("quiesced", screen(&quiesced));

        let mut gone = app(Some(view([Flag::Active, Flag::Backup, Flag::Backup])));
        gone.trouble = Some("cannot reach a distributor at /run/zosmf-ha/SYSA/control.sock: Connection refused (os error 111)".into());
        insta::assert_snapshot!("control_socket_gone", screen(&gone));

        let mut group = app(Some(view([Flag::Active, Flag::Backup, Flag::Backup])));
        group.key(Key::Char('2'));
        insta::assert_snapshot!("group", screen(&group));

        let mut events = app(Some(view([Flag::Active, Flag::Backup, Flag::Backup])));
        events.key(Key::Tab);
        events.key(Key::Tab);
        insta::assert_snapshot!("events", screen(&events));

        let mut confirm = app(Some(view([Flag::Active, Flag::Backup, Flag::Backup])));
        confirm.hints = vec![
            "try:     curl https://127.0.0.10:8443/zosmf/info".into(),
            "pids:    SYSA 1, SYSB 2".into(),
        ];
        confirm.key(Key::Down);
        confirm.key(Key::Char('Q'));
        insta::assert_snapshot!("confirm_with_hints", screen(&confirm));

        insta::assert_snapshot!("waiting", screen(&app(None)));
    }

    #[test]
    fn keys_select_confirm_and_cancel() {
        let mut a = app(Some(view([Flag::Active, Flag::Backup, Flag::Backup])));
        assert_eq!(a.key(Key::Char('R')), None);
        assert_eq!(
            a.key(Key::Char('y')),
            Some(Ask::Vary(Change {
                action: VaryAction::Resume,
                target: "SYSA".into(),
                port: 8443,
                what: "SYSA on 127.0.0.10..8443".into(),
            }))
        );
        for _ in 0..5 {
            a.key(Key::Down);
        }
        assert_eq!(a.selected, 2, "the selection stops at the last target");
        a.key(Key::Char('Q'));
        assert!(a.confirm.is_some());
        assert_eq!(a.key(Key::Char('n')), None);
        assert!(a.confirm.is_none());
        assert_eq!(a.note.as_deref(), Some("nothing changed"));
        assert_eq!(a.key(Key::Char('q')), Some(Ask::Quit));
        assert_eq!(a.key(Key::Interrupt), Some(Ask::Quit));
        // A view with fewer targets keeps the selection in range.
        let mut v = view([Flag::Active, Flag::Backup, Flag::Backup]);
        v.services[0].targets.truncate(1);
        a.update(v);
        assert_eq!(a.selected, 0);
    }

    #[test]
    fn colour_only_when_asked() {
        let mut a = app(Some(view([Flag::Active, Flag::Backup, Flag::Unavailable])));
        let mut t = Terminal::new(TestBackend::new(130, 22)).unwrap();
        t.draw(|f| draw(f, &a)).unwrap();
        let plain = t.backend().buffer().clone();
        assert!(
            plain.content.iter().all(|c| c.fg == Color::Reset),
            "colour without --color"
        );
        a.color = true;
        t.draw(|f| draw(f, &a)).unwrap();
        assert!(
            t.backend()
                .buffer()
                .content
                .iter()
                .any(|c| c.fg == Color::Red)
        );
    }
}
