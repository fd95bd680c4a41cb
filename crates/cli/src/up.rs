//! `zosmf-ha up`: a local sysplex — a z/OSMF stand-in per system and the
//! distributor on the DVIPA, as child processes of this one — with a live
//! status, or a scripted failover scenario.

use std::io::{BufRead, BufReader, IsTerminal};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use zha_distributor::control::{self, Request};
use zha_plex::Sysplex;
use zha_tcpip::{DistMethod, VipaOwner};
use zha_zosmf::client::{Client, Trust};

use crate::cli::{Scenario, UpArgs};

/// Everything `up` runs, found in the sysplex.
pub struct Layout {
    pub name: String,
    pub dvipa: SocketAddr,
    /// The distributing system's profile.
    pub profile: PathBuf,
    pub switchback: bool,
    /// (system, DESTIP address:port), preferred first.
    pub servers: Vec<(String, SocketAddr)>,
    pub preferred: String,
}

/// A line one of the children wrote.
pub struct Line {
    pub from: String,
    pub text: String,
}

struct Proc {
    name: String,
    child: Child,
}

/// The children: servers and the distributor. Dropping it stops them.
pub struct Procs {
    exe: PathBuf,
    work: PathBuf,
    plex_dir: PathBuf,
    delay: Duration,
    lines: mpsc::UnboundedSender<Line>,
    running: Vec<Proc>,
}

impl Procs {
    fn spawn(&mut self, name: &str, mut cmd: Command) -> anyhow::Result<()> {
        cmd.env(crate::child::PARENT_ENV, std::process::id().to_string())
            .env("ZHA_LOG_JSON", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        if let Some(err) = child.stderr.take() {
            let (tx, from) = (self.lines.clone(), name.to_owned());
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    // Log lines are JSON; anything else is a child's error
                    // message (a port in use, a locked USER_DIR …): show it
                    // now, whatever `up` is doing.
                    if !line.starts_with('{') {
                        eprintln!("{from}: {line}");
                        continue;
                    }
                    let _ = tx.send(Line {
                        from: from.clone(),
                        text: line,
                    });
                }
            });
        }
        self.running.push(Proc {
            name: name.to_owned(),
            child,
        });
        Ok(())
    }

    pub fn spawn_server(&mut self, system: &str) -> anyhow::Result<()> {
        let mut cmd = Command::new(&self.exe);
        cmd.args(["server", "--system", system, "--startup-delay"])
            .arg(format!("{}ms", self.delay.as_millis()))
            .arg("--sysplex")
            .arg(&self.plex_dir)
            .arg("--root")
            .arg(self.work.join("root"));
        self.spawn(system, cmd)
    }

    fn spawn_distributor(&mut self, profile: &Path, config: &Path) -> anyhow::Result<()> {
        let mut cmd = Command::new(&self.exe);
        cmd.args(["distribute", "--log-json", "--profile"])
            .arg(profile)
            .arg("--config")
            .arg(config);
        self.spawn("distributor", cmd)
    }

    pub fn pid(&self, name: &str) -> Option<u32> {
        self.running
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.child.id())
    }

    /// SIGKILL: a crash.
    pub fn kill(&mut self, name: &str) {
        if let Some(i) = self.running.iter().position(|p| p.name == name) {
            let mut p = self.running.remove(i);
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
    }

    /// SIGTERM, then wait (SIGKILL after 5 s).
    pub fn stop(&mut self, name: &str) {
        if let Some(i) = self.running.iter().position(|p| p.name == name) {
            let mut p = self.running.remove(i);
            terminate(&mut p.child);
        }
    }

    /// A child that ended on its own, with its exit status.
    pub fn exited(&mut self) -> Option<(String, std::process::ExitStatus)> {
        for (i, p) in self.running.iter_mut().enumerate() {
            if let Ok(Some(st)) = p.child.try_wait() {
                let name = p.name.clone();
                self.running.remove(i);
                return Some((name, st));
            }
        }
        None
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        // The distributor first, so that it does not probe dying servers.
        self.running.sort_by_key(|p| p.name != "distributor");
        for mut p in std::mem::take(&mut self.running) {
            terminate(&mut p.child);
        }
    }
}

fn terminate(child: &mut Child) {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Pid, Signal, kill_process};
        if let Some(pid) = i32::try_from(child.id()).ok().and_then(Pid::from_raw) {
            let _ = kill_process(pid, Signal::TERM);
        }
    }
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

pub fn run(a: UpArgs) -> anyhow::Result<ExitCode> {
    let work = a
        .work
        .clone()
        .unwrap_or_else(|| zha_distributor::config::default_state_dir().join("up"));
    std::fs::create_dir_all(&work)
        .with_context(|| format!("cannot create the work folder {}", work.display()))?;
    // One `up` per work folder: a second one would fight the first for its
    // ports and USER_DIRs (and rewrite its files).
    let sock = work.join("state/control.sock");
    if std::os::unix::net::UnixStream::connect(&sock).is_ok() {
        eprintln!(
            "zosmf-ha up: a local sysplex is already running with the work folder {} (its distributor answers on {}); stop it first (Ctrl-C in its terminal), or give this one another --work and other addresses",
            work.display(),
            sock.display()
        );
        return Ok(ExitCode::from(2));
    }
    let plex_dir = match &a.dir {
        Some(d) => d.clone(),
        None => {
            let mut spec = zha_plex::plan::local_default();
            spec.autoswitchback = !a.noautoswitchback;
            let files =
                zha_plex::plan::generate(&spec).map_err(|e| anyhow::anyhow!(e.join("; ")))?;
            let dir = work.join("sysplex");
            if crate::plan::write(&dir, &files, true)?.is_none() {
                return Ok(ExitCode::from(2));
            }
            dir
        }
    };
    say(&format!(
        "zosmf-ha up: the sysplex in {}",
        plex_dir.display()
    ));

    // Check it as `zosmf-ha check` would; errors stop here.
    let report = zha_plex::check(
        &zha_plex::OsFs,
        std::slice::from_ref(&plex_dir),
        &Default::default(),
    );
    let s = zha_diag::Summary::of(&report.diagnostics);
    if !report.diagnostics.is_empty() {
        print!(
            "{}",
            zha_diag::render::render_all(
                &report.diagnostics,
                &report.sources,
                zha_diag::render::Style::Plain
            )
        );
    }
    if report.fatal {
        return Ok(ExitCode::from(2));
    }
    if s.errors > 0 {
        eprintln!(
            "zosmf-ha up: the sysplex has errors; fix them first (`zosmf-ha check {}`)",
            plex_dir.display()
        );
        return Ok(ExitCode::from(1));
    }
    let Some(plex) = &report.sysplex else {
        return Ok(ExitCode::from(2));
    };
    let layout = match layout(plex, &report) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("zosmf-ha up: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    say(&format!("check: no errors ({} warnings)", s.warnings));
    // Every address must be free: another program there would answer for us.
    for a in layout
        .servers
        .iter()
        .map(|x| x.1)
        .chain(std::iter::once(layout.dvipa))
    {
        if std::net::TcpStream::connect_timeout(&a, Duration::from_millis(300)).is_ok() {
            eprintln!(
                "zosmf-ha up: {a} is already in use (another `zosmf-ha up`, or another program); stop it first"
            );
            return Ok(ExitCode::from(2));
        }
    }

    // The key ring first: the distributor's probe trusts its CA.
    let first = zha_zosmf::Config::from_sysplex(
        &plex_dir,
        &layout.servers[0].0,
        &work.join("root"),
        a.startup_delay,
    )?;
    let ring = zha_zosmf::keyring::ensure(&first.keyring_dir, &first.cert_names)?;
    let config = work.join("zosmf-ha.toml");
    write_settings(&config, &work, &ring.ca, plex)?;

    let (tx, rx) = mpsc::unbounded_channel();
    let mut procs = Procs {
        exe: std::env::current_exe()?,
        work: work.clone(),
        plex_dir: plex_dir.clone(),
        delay: a.startup_delay,
        lines: tx,
        running: Vec::new(),
    };
    crate::child::run_until_signal(|stop| async move {
        for (sys, addr) in &layout.servers {
            procs.spawn_server(sys)?;
            wait_listening(*addr, &mut procs).await?;
            say(&format!(
                "started the z/OSMF stand-in of {sys} on https://{addr} (pid {})",
                procs.pid(sys).unwrap_or(0)
            ));
        }
        procs.spawn_distributor(&layout.profile, &config)?;
        let socket = zha_distributor::config::parse(&config, &std::fs::read_to_string(&config)?)
            .map_err(|e| anyhow::anyhow!(e))?
            .control_socket();
        wait_control(&socket, &mut procs).await?;
        say(&format!(
            "started the distributor on the DVIPA {} ({})",
            layout.dvipa,
            if layout.switchback {
                "AUTOSWITCHBACK"
            } else {
                "NOAUTOSWITCHBACK"
            }
        ));
        say(&format!(
            "its tables: zosmf-ha netstat vdpt --config {}",
            config.display()
        ));
        let ctx = Ctx {
            layout,
            socket,
            ca: ring.ca.clone(),
            work,
        };
        match a.scenario {
            None => status(&ctx, &mut procs, rx, stop).await,
            Some(Scenario::Failover) => crate::scenario::failover(&ctx, &mut procs, rx, stop).await,
        }
    })
}

/// How long `up` waits before it restarts a server that ended.
const RESTART: Duration = Duration::from_secs(5);

/// What the status loop and the scenario need.
pub struct Ctx {
    pub layout: Layout,
    pub socket: PathBuf,
    pub ca: PathBuf,
    pub work: PathBuf,
}

pub fn say(s: &str) {
    println!("{s}");
}

fn layout(plex: &Sysplex, report: &zha_plex::Report) -> Result<Layout, String> {
    for sys in &plex.systems {
        let Some(st) = &sys.stack else { continue };
        for d in st
            .distributions
            .iter()
            .filter(|d| d.method == DistMethod::HotStandby)
        {
            let owner = st
                .vipa(d.dvipa.value)
                .is_some_and(|v| v.owner == VipaOwner::Define);
            if !owner {
                continue;
            }
            let Some(port) = d.ports.first().map(|p| p.value.lo) else {
                continue;
            };
            let Some(profile) = sys
                .profile
                .map(|f| PathBuf::from(report.sources.file(f).name()))
            else {
                continue;
            };
            let mut servers = Vec::new();
            let mut preferred = String::new();
            let mut ordered: Vec<&zha_tcpip::Target> = d.preferred().into_iter().collect();
            ordered.extend(d.backups());
            for t in ordered {
                let Some(s) = plex
                    .systems
                    .iter()
                    .find(|s| s.dynamic_xcf() == Some(t.addr.value))
                else {
                    return Err(format!(
                        "DESTIP {} is no system of the sysplex",
                        t.addr.value
                    ));
                };
                if preferred.is_empty() {
                    preferred = s.name.clone();
                }
                servers.push((
                    s.name.clone(),
                    SocketAddr::new(t.addr.value, s.settings.http_ssl_port.value),
                ));
            }
            return Ok(Layout {
                name: plex.name.clone(),
                dvipa: SocketAddr::new(d.dvipa.value, port),
                profile,
                switchback: d.switchback,
                servers,
                preferred,
            });
        }
    }
    Err("no system owns (VIPADEFINE) and distributes a hot-standby DVIPA: nothing to run".into())
}

fn write_settings(path: &Path, work: &Path, ca: &Path, plex: &Sysplex) -> anyhow::Result<()> {
    let mut systems = String::new();
    for s in &plex.systems {
        if let Some(a) = s.dynamic_xcf() {
            systems.push_str(&format!("{} = \"{a}\"\n", s.name));
        }
    }
    let text = format!(
        "# Written by zosmf-ha up: the distributor's settings for the local sysplex.\n\
         [probe]\ninterval = \"500ms\"\ntimeout = \"1s\"\n\
         [probe.http]\npath = \"/zosmf/info\"\nca_file = \"{ca}\"\n\
         [systems]\n{systems}\
         [state]\ndir = \"{state}\"\n\
         [log]\naccess = false\n",
        ca = ca.display(),
        state = work.join("state").display()
    );
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

async fn wait_listening(addr: SocketAddr, procs: &mut Procs) -> anyhow::Result<()> {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        if let Some((name, st)) = procs.exited() {
            anyhow::bail!("{name} ended ({st}) before it listened; its message is above");
        }
        if Instant::now() > end {
            anyhow::bail!("nothing listens on {addr} after 20 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_control(socket: &Path, procs: &mut Procs) -> anyhow::Result<()> {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        if netstat(socket).await.is_ok() {
            return Ok(());
        }
        if let Some((name, st)) = procs.exited() {
            anyhow::bail!("{name} ended ({st}); its message is above");
        }
        if Instant::now() > end {
            anyhow::bail!("the distributor does not answer on {}", socket.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The distributor's VDPT as JSON rows.
pub async fn netstat(socket: &Path) -> anyhow::Result<Vec<serde_json::Value>> {
    let r = control::call(
        socket,
        &Request::Netstat {
            report: "vdpt".into(),
            detail: true,
            json: true,
        },
        Duration::from_secs(3),
    )
    .await?;
    if !r.ok {
        anyhow::bail!(r.error.unwrap_or_default());
    }
    Ok(serde_json::from_str(&r.output)?)
}

/// The active target's system name and endpoint, for the first service.
pub async fn active(ctx: &Ctx) -> Option<String> {
    let rows = netstat(&ctx.socket).await.ok()?;
    let svc = rows.first()?;
    let active = svc["active"].as_str()?;
    svc["targets"]
        .as_array()?
        .iter()
        .find(|t| t["endpoint"] == active)
        .and_then(|t| t["system"].as_str().map(str::to_owned))
        .or_else(|| Some(active.to_owned()))
}

/// An event line from a child's JSON log, made readable; `None` for lines
/// not worth showing.
pub fn event(l: &Line) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&l.text).ok()?;
    let msg = v["message"].as_str()?;
    let id = v["id"].as_str().unwrap_or("");
    let level = v["level"].as_str().unwrap_or("INFO");
    if id == "ZHA3020I" || (id.is_empty() && level == "INFO") {
        return None;
    }
    let t = v["timestamp"]
        .as_str()
        .and_then(|t| t.get(11..19))
        .unwrap_or("");
    Some(format!("{t} {:<12} {id:<9} {msg}", l.from))
}

async fn status(
    ctx: &Ctx,
    procs: &mut Procs,
    mut rx: mpsc::UnboundedReceiver<Line>,
    stop: CancellationToken,
) -> anyhow::Result<ExitCode> {
    let tty = std::io::stdout().is_terminal();
    let mut events: Vec<String> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut last_active: Option<String> = None;
    let mut restarts: Vec<(Instant, String)> = Vec::new();
    let curl = format!(
        "curl --cacert {} https://{}/zosmf/info",
        ctx.ca.display(),
        ctx.layout.dvipa
    );
    if !tty {
        say(&format!("try: {curl}"));
        say("Ctrl-C stops everything.");
    }
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            Some(l) = rx.recv() => {
                if let Some(e) = event(&l) {
                    if !tty {
                        say(&e);
                    }
                    events.push(e);
                    if events.len() > 12 {
                        events.remove(0);
                    }
                }
            }
            _ = tick.tick() => {
                if let Some((name, st)) = procs.exited() {
                    if name == "distributor" {
                        say(&format!("the distributor ended unexpectedly ({st}); stopping"));
                        return Ok(ExitCode::from(1));
                    }
                    // A server that dies is restarted after a pause, as an
                    // automatic restart manager would: the failover and the
                    // switch-back both show.
                    let e = format!("{name}'s server ended ({st}); restarting it in {} s", RESTART.as_secs());
                    if !tty {
                        say(&e);
                    }
                    events.push(e);
                    restarts.push((Instant::now() + RESTART, name));
                }
                if let Some(i) = restarts.iter().position(|r| r.0 <= Instant::now()) {
                    let (_, name) = restarts.remove(i);
                    procs.spawn_server(&name)?;
                    let e = format!("{name}'s server restarted");
                    if !tty {
                        say(&e);
                    }
                    events.push(e);
                }
                let rows = netstat(&ctx.socket).await.unwrap_or_default();
                if tty {
                    print!("\x1b[H\x1b[2J{}", screen(ctx, &rows, &events, &curl));
                } else {
                    let a = active(ctx).await;
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

fn screen(ctx: &Ctx, rows: &[serde_json::Value], events: &[String], curl: &str) -> String {
    let mut s = format!(
        "zosmf-ha up: local sysplex {} (work folder {})\n\n",
        ctx.layout.name,
        ctx.work.display()
    );
    for svc in rows {
        let active = svc["active"].as_str().unwrap_or("none");
        s.push_str(&format!(
            "DVIPA {}  ->  active target {}   ({})\n\n",
            svc["dest"].as_str().unwrap_or(""),
            active,
            if svc["auto_switch_back"] == true {
                "AUTOSWITCHBACK"
            } else {
                "NOAUTOSWITCHBACK"
            }
        ));
        s.push_str("  system    target                 role          state         listening healthy  active  total\n");
        for t in svc["targets"].as_array().into_iter().flatten() {
            let role = match t["rank"].as_u64() {
                Some(r) => format!("backup {r}"),
                None => "preferred".into(),
            };
            let yn = |v: &serde_json::Value| match v.as_bool() {
                Some(true) => "yes",
                Some(false) => "no",
                None => "-",
            };
            s.push_str(&format!(
                "  {:<9} {:<22} {:<13} {:<13} {:<9} {:<8} {:>6} {:>6}\n",
                t["system"].as_str().unwrap_or("-"),
                t["endpoint"].as_str().unwrap_or(""),
                role,
                t["flag"].as_str().unwrap_or(""),
                yn(&t["listening"]),
                yn(&t["healthy"]),
                t["active_conn"].as_u64().unwrap_or(0),
                t["total_conn"].as_u64().unwrap_or(0)
            ));
        }
        s.push('\n');
    }
    s.push_str("events:\n");
    for e in events {
        s.push_str(&format!("  {e}\n"));
    }
    s.push_str(&format!("\ntry: {curl}\nCtrl-C stops everything.\n"));
    s
}

/// A client of the DVIPA, trusting the local key ring.
pub fn client(ctx: &Ctx) -> anyhow::Result<Client> {
    Client::new(
        &format!("https://{}/zosmf/info", ctx.layout.dvipa),
        Some(Trust::CaFile(&ctx.ca)),
        Duration::from_secs(5),
        Some(("ibmuser", "sys1")),
    )
}
