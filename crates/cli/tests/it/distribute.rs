//! `zosmf-ha distribute` as a process: real backends in other processes
//! killed with SIGKILL, SIGHUP reload, SIGTERM drain, the control commands
//! from the command line, EMFILE back-off, and a log output that breaks.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::*;

/// Every wait here is bounded by this.
pub(crate) const LIMIT: Duration = Duration::from_secs(15);

const PORT: u16 = 8443;

pub(crate) use zha_testkit::Backend;

/// The profile of SYSA: it owns the DVIPA and distributes it to SYSA
/// (preferred) and SYSB.
pub(crate) fn profile(net: &Net, switchback: &str) -> String {
    format!(
        "IPCONFIG SYSPLEXROUTING DYNAMICXCF {a} 255.0.0.0 1\nVIPADYNAMIC\n  VIPADEFINE 255.255.255.0 {d}\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY {switchback} {d} PORT {PORT}\n    DESTIP {a} PREFERRED {b} BACKUP\nENDVIPADYNAMIC\n",
        a = net.ip(11),
        b = net.ip(12),
        d = net.ip(10)
    )
}

/// Where the distributor's stderr goes.
pub(crate) enum Log {
    Piped,
    File(std::fs::File),
}

pub(crate) struct Distributor {
    pub(crate) child: Child,
    /// Shared with a successor started on the same files.
    pub(crate) dir: std::sync::Arc<tempfile::TempDir>,
    pub(crate) config: PathBuf,
    /// `--system NAME`: the commands name the stack.
    pub(crate) system: Option<std::ffi::OsString>,
}

pub(crate) struct Start<'a> {
    pub(crate) net: &'a Net,
    pub(crate) profile: String,
    /// The [probe] and [connect] tables' lines.
    pub(crate) probe: String,
    pub(crate) connect: String,
    pub(crate) extra: String,
    /// A shell command run before the distributor is exec'ed in its place
    /// (`ulimit -n 64`, `umask 000`).
    pub(crate) shell: Option<String>,
    /// The [state] dir [default: the temporary folder].
    pub(crate) state: Option<PathBuf>,
    pub(crate) log: Log,
    pub(crate) json: bool,
    /// More environment for the process.
    pub(crate) env: Vec<(String, String)>,
    /// More arguments for `distribute` (`--system SYSA --group DIR`).
    pub(crate) args: Vec<std::ffi::OsString>,
    /// Run in this network namespace (`ip netns exec`).
    pub(crate) ns: Option<String>,
    /// `forwarding = "kernel"`.
    pub(crate) kernel: bool,
    /// A program (and its arguments) that runs the distributor, e.g.
    /// `setpriv … --`.
    pub(crate) wrap: Vec<String>,
}

impl<'a> Start<'a> {
    pub(crate) fn new(net: &'a Net) -> Start<'a> {
        Start {
            net,
            profile: profile(net, "AUTOSWITCHBACK"),
            probe: "interval = \"100ms\"\ntimeout = \"300ms\"\n".into(),
            connect: "timeout = \"300ms\"\n".into(),
            extra: String::new(),
            shell: None,
            state: None,
            log: Log::Piped,
            json: false,
            env: Vec::new(),
            args: Vec::new(),
            ns: None,
            kernel: false,
            wrap: Vec::new(),
        }
    }

    pub(crate) fn wrapped(mut self, wrap: &[&str]) -> Self {
        self.wrap = wrap.iter().map(|w| (*w).to_owned()).collect();
        self
    }

    pub(crate) fn extra(mut self, extra: &str) -> Self {
        self.extra = extra.to_owned();
        self
    }

    pub(crate) fn run(self) -> Distributor {
        self.try_run()
            .unwrap_or_else(|(st, err)| panic!("did not start ({st}):\n{err}"))
    }

    /// Start; if it ends instead, its exit status and stderr.
    pub(crate) fn try_run(self) -> Result<Distributor, (std::process::ExitStatus, String)> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("PROFILE.TCPIP");
        std::fs::write(&p, &self.profile).unwrap();
        let config = dir.path().join("zosmf-ha.toml");
        std::fs::write(
            &config,
            format!(
                "{}[probe]\n{}[connect]\n{}[state]\ndir = \"{}\"\n[systems]\nSYSA = \"{}\"\nSYSB = \"{}\"\n{}",
                if self.kernel {
                    "forwarding = \"kernel\"\n"
                } else {
                    ""
                },
                self.probe,
                self.connect,
                self.state.as_deref().unwrap_or(dir.path()).display(),
                self.net.ip(11),
                self.net.ip(12),
                self.extra
            ),
        )
        .unwrap();
        let bin = env!("CARGO_BIN_EXE_zosmf-ha");
        let mut cmd = match &self.shell {
            None => {
                let mut line: Vec<&str> = Vec::new();
                if let Some(ns) = &self.ns {
                    line.extend(["ip", "netns", "exec", ns]);
                }
                line.extend(self.wrap.iter().map(String::as_str));
                line.push(bin);
                let mut c = Command::new(line[0]);
                c.args(&line[1..]);
                c.args(["distribute", "--profile"])
                    .arg(&p)
                    .arg("--config")
                    .arg(&config);
                c
            }
            Some(first) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!(
                        "{first} && exec \"$0\" distribute --profile \"$1\" --config \"$2\""
                    ))
                    .arg(bin)
                    .arg(&p)
                    .arg(&config);
                c
            }
        };
        if self.json {
            cmd.arg("--log-json");
        }
        cmd.args(&self.args);
        match self.log {
            Log::Piped => cmd.stderr(Stdio::piped()),
            Log::File(f) => cmd.stderr(f),
        };
        let child = cmd
            .env("ZOSMF_HA_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .spawn()
            .unwrap();
        let system = self
            .args
            .iter()
            .position(|a| a == "--system")
            .and_then(|i| self.args.get(i + 1).cloned());
        let mut d = Distributor {
            child,
            dir: std::sync::Arc::new(dir),
            config,
            system,
        };
        let end = Instant::now() + LIMIT;
        while !d.netstat(&["vdpt"]).is_some_and(|o| o.contains("Dest:")) {
            if !d.alive() {
                return Err(d.wait());
            }
            assert!(Instant::now() < end, "the distributor does not answer");
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(d)
    }
}

impl Distributor {
    pub(crate) fn start(net: &Net) -> Distributor {
        Start::new(net).run()
    }

    /// The arguments that start another distributor on the same profile
    /// and settings (a restart).
    pub(crate) fn args(&self) -> Vec<std::ffi::OsString> {
        vec![
            "distribute".into(),
            "--profile".into(),
            self.dir.path().join("PROFILE.TCPIP").into(),
            "--config".into(),
            self.config.clone().into(),
        ]
    }

    /// Start `cmd` as a distributor on the same files (stderr piped).
    pub(crate) fn spawn_like(&self, mut cmd: Command) -> Distributor {
        let child = cmd
            .stderr(Stdio::piped())
            .env("ZOSMF_HA_LOG", "info")
            .spawn()
            .unwrap();
        Distributor {
            child,
            dir: self.dir.clone(),
            config: self.config.clone(),
            system: self.system.clone(),
        }
    }

    /// `distribute --hand-over` on the same files: the successor.
    pub(crate) fn successor(&self) -> Distributor {
        let mut c = Command::new(env!("CARGO_BIN_EXE_zosmf-ha"));
        c.args(self.args()).arg("--hand-over");
        self.spawn_like(c)
    }

    pub(crate) fn zha(&self, args: &[&str]) -> std::process::Output {
        let mut c = bin();
        c.args(args).arg("--config").arg(&self.config);
        if let Some(s) = &self.system {
            c.arg("--system").arg(s);
        }
        c.output().unwrap()
    }

    pub(crate) fn netstat(&self, args: &[&str]) -> Option<String> {
        let mut a = vec!["netstat"];
        a.extend_from_slice(args);
        let o = self.zha(&a);
        o.status.success().then(|| stdout(&o))
    }

    pub(crate) fn wait_for(&self, mut ok: impl FnMut() -> bool) {
        let end = Instant::now() + LIMIT;
        while !ok() {
            assert!(
                Instant::now() < end,
                "timed out; vdpt:\n{:?}",
                self.netstat(&["vdpt"])
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The active target, from `netstat vdpt --json` read as typed rows.
    pub(crate) fn active(&self) -> Option<String> {
        let rows = zha_distributor::display::vdpt_rows(&self.netstat(&["vdpt", "--json"])?)?;
        rows.first()?.active.map(|a| a.to_string())
    }

    pub(crate) fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    pub(crate) fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Stop with SIGTERM and wait; its exit status and stderr.
    pub(crate) fn stop(self) -> (std::process::ExitStatus, String) {
        self.signal("TERM");
        self.wait()
    }

    /// Wait for the process to end; its exit status and stderr.
    pub(crate) fn wait(mut self) -> (std::process::ExitStatus, String) {
        let end = Instant::now() + LIMIT;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    e.read_to_string(&mut err).unwrap();
                }
                return (st, err);
            }
            assert!(Instant::now() < end, "the distributor did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A metric's value from `/metrics`.
    pub(crate) fn metric(&self, addr: SocketAddr, line_start: &str) -> Option<f64> {
        let mut c = TcpStream::connect_timeout(&addr, LIMIT).ok()?;
        c.set_read_timeout(Some(LIMIT)).unwrap();
        c.write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .ok()?;
        let mut body = String::new();
        c.read_to_string(&mut body).ok()?;
        body.lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    }
}

impl Drop for Distributor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn ask(addr: SocketAddr) -> Result<String, String> {
    let mut c = TcpStream::connect_timeout(&addr, LIMIT).map_err(|e| e.to_string())?;
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c.write_all(b"who\n").map_err(|e| e.to_string())?;
    let mut buf = [0u8; 64];
    let n = c.read(&mut buf).map_err(|e| e.to_string())?;
    if n == 0 {
        return Err("closed before any byte".into());
    }
    Ok(String::from_utf8_lossy(&buf[..n]).trim().to_owned())
}

#[test]
fn a_killed_backend_process_fails_over_and_the_cli_controls_it() {
    let net = Net::new();
    let mut a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let d = Distributor::start(&net);
    let sysa = net.addr(11).to_string();
    d.wait_for(|| d.active() == Some(sysa.clone()));
    assert_eq!(ask(net.addr(10)).unwrap(), "SYSA");

    a.kill9();
    assert_eq!(
        ask(net.addr(10)).unwrap(),
        "SYSB",
        "the next client after a SIGKILL"
    );
    let v = d.netstat(&["vdpt", "--detail"]).unwrap();
    assert!(
        v.contains("Flg: Unavailable") && v.contains("Flg: Active"),
        "{v}"
    );

    let _a = Backend::start(net.addr(11), "SYSA");
    d.wait_for(|| d.active() == Some(sysa.clone()));

    // vary from the command line.
    let o = d.zha(&["vary", "quiesce", "SYSA"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(ask(net.addr(10)).unwrap(), "SYSB");
    let o = d.zha(&["vary", "resume", "SYSZ"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no target matches SYSZ"), "{err}");
    assert!(
        err.contains(&format!("SYSA ({})", net.ip(11))) && err.contains("SYSB"),
        "the known targets are named: {err}"
    );
    // SYSB is the last available target: quiescing it asks for --force.
    let o = d.zha(&["vary", "quiesce", "SYSB"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(ask(net.addr(10)).unwrap(), "SYSB", "nothing was changed");
    assert!(d.zha(&["vary", "resume", "sysa"]).status.success());
    d.wait_for(|| d.active() == Some(sysa.clone()));

    // The control socket is the owner's only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(d.dir.path().join("control.sock"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// The lines of a log with this id.
pub(crate) fn lines_with<'a>(log: &'a str, id: &str) -> Vec<&'a str> {
    log.lines().filter(|l| l.contains(id)).collect()
}

#[test]
fn reloads_are_logged_in_one_line_and_sigterm_drains() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let d = Distributor::start(&net);
    d.wait_for(|| d.active().is_some());
    // A changed profile: NOAUTOSWITCHBACK. SIGHUP applies it.
    std::fs::write(
        d.dir.path().join("PROFILE.TCPIP"),
        profile(&net, "NOAUTOSWITCHBACK"),
    )
    .unwrap();
    d.signal("HUP");
    d.wait_for(|| {
        d.netstat(&["vipadcfg"])
            .is_some_and(|o| o.contains("AutoSwitchBack: No"))
    });
    // A broken profile on SIGHUP changes nothing.
    std::fs::write(
        d.dir.path().join("PROFILE.TCPIP"),
        "VIPADYNAMIC\n VIPADEFINE 255.255.255.0\n",
    )
    .unwrap();
    d.signal("HUP");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        d.netstat(&["vipadcfg"])
            .unwrap()
            .contains("AutoSwitchBack: No")
    );
    // reload from the command line names the errors, where they are.
    let o = d.zha(&["reload"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("kept the running configuration"), "{err}");
    assert!(err.contains("PROFILE.TCPIP:"), "{err}");

    // An open connection keeps the distributor draining after SIGTERM until it ends.
    let mut open = TcpStream::connect(net.addr(10)).unwrap();
    open.write_all(b"x\n").unwrap();
    let mut buf = [0u8; 8];
    assert!(open.read(&mut buf).unwrap() > 0);
    d.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        TcpStream::connect_timeout(&net.addr(10), Duration::from_millis(300)).is_err(),
        "no new connections while draining"
    );
    open.write_all(b"x\n").unwrap();
    let n = open.read(&mut buf).unwrap();
    assert_eq!(
        &buf[..n],
        b"SYSA\n",
        "the open connection still works while draining"
    );
    drop(open);
    let (status, err) = d.wait();
    assert!(status.success(), "{err}");
    assert!(
        err.contains("ZHA3022I") && err.contains("ZHA3016I"),
        "{err}"
    );
    // Both rejected reloads, the signal's and the command's, are in the log,
    // each one line that says the running configuration was kept.
    let rejected = lines_with(&err, "ZHA3018E");
    assert_eq!(rejected.len(), 2, "{err}");
    assert!(
        rejected[0].contains("SIGHUP") && rejected[1].contains("zosmf-ha reload"),
        "{err}"
    );
    for l in &rejected {
        assert!(l.contains("kept the running configuration"), "{l}");
    }
    let next = err
        .lines()
        .skip_while(|l| !l.contains("ZHA3018E"))
        .nth(1)
        .unwrap_or("");
    // Every line is `timestamp ID-or-LEVEL text`.
    let tag = next.split(' ').nth(1).unwrap_or("");
    assert!(
        ["INFO", "WARN", "ERROR"].contains(&tag)
            || (tag.starts_with("ZHA")
                && tag.len() == 8
                && humantime::parse_rfc3339(next.split(' ').next().unwrap_or("")).is_ok()),
        "the rejection is one line, not a record: {next:?}\n{err}"
    );
    assert!(lines_with(&err, "ZHA3017I")[0].contains("SIGHUP"), "{err}");
}

#[test]
fn a_profile_with_errors_does_not_start() {
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("P");
    std::fs::write(
        &p,
        profile(&net, "AUTOSWITCHBACK").replace("BACKUP", "PREFERRED"),
    )
    .unwrap();
    let o = bin()
        .args(["distribute", "--profile"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ZHA2002E") && err.contains("does not start"),
        "{err}"
    );
    // Rendered as `check` renders it: the line and a caret.
    assert!(err.contains("-->") && err.contains('^'), "{err}");
}

#[test]
fn a_low_descriptor_limit_lowers_max_connections_and_keeps_probes_working() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    // Soft and hard limit 64: the distributor cannot raise it.
    let d = Start {
        shell: Some("ulimit -n 64".into()),
        ..Start::new(&net)
    }
    .run();
    d.wait_for(|| d.active().is_some());
    // Hold many connections: only what fits the budget is served, the rest
    // is refused at once; the process never runs out of descriptors.
    let mut held = Vec::new();
    let mut served = 0;
    for _ in 0..60 {
        let Ok(mut c) = TcpStream::connect_timeout(&net.addr(10), Duration::from_millis(500))
        else {
            continue;
        };
        c.set_read_timeout(Some(LIMIT)).unwrap();
        let _ = c.write_all(b"who\n");
        let mut buf = [0u8; 8];
        if c.read(&mut buf).unwrap_or(0) > 0 {
            served += 1;
        }
        held.push(c);
    }
    assert!((1..60).contains(&served), "{served} served");
    // It must not spin: little CPU while full.
    let ticks = |pid: u32| -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let f: Vec<&str> = s.rsplit(')').next().unwrap().split_whitespace().collect();
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    };
    let t0 = ticks(d.child.id());
    std::thread::sleep(Duration::from_secs(1));
    let used = ticks(d.child.id()) - t0;
    assert!(used < 30, "{used} ticks in one second: a busy loop");
    // The probes kept working: both targets are still listening, and the
    // control socket answers.
    let v = d.netstat(&["vdpt", "--detail"]).unwrap();
    assert_eq!(v.matches("Listening: Yes").count(), 2, "{v}");
    drop(held);
    d.wait_for(|| ask(net.addr(10)).is_ok());
    let (_, err) = d.stop();
    assert!(err.contains("ZHA3030W"), "the budget was not said:\n{err}");
    assert!(
        err.contains("ZHA3027W"),
        "the refusals were not said:\n{err}"
    );
    assert!(!err.contains("Too many open files"), "{err}");
}

/// Clients through the distributor, each answered.
fn traffic(net: &Net, n: usize) {
    for i in 0..n {
        assert_eq!(
            ask(net.addr(10)).as_deref(),
            Ok("SYSA"),
            "client {i} while the log output is broken"
        );
    }
}

#[test]
fn a_full_log_output_never_stops_forwarding() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let mut d = Start {
        log: Log::File(full),
        ..Start::new(&net)
    }
    .run();
    // Every access line fails to be written (ENOSPC).
    traffic(&net, 30);
    assert!(d.alive(), "the distributor died of its log");
    let (status, _) = d.stop();
    assert!(status.success(), "{status}");
}

#[test]
fn a_closed_log_output_never_stops_forwarding() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    // `distribute … 2>&1 | head -2`: the reader goes after two lines.
    let mut d = Start::new(&net).run();
    let err = d.child.stderr.take().unwrap();
    let mut r = BufReader::new(err);
    let mut line = String::new();
    for _ in 0..2 {
        line.clear();
        r.read_line(&mut line).unwrap();
    }
    drop(r);
    traffic(&net, 30);
    assert!(d.alive(), "the distributor died of its log");
    assert!(d.netstat(&["vdpt"]).is_some());
    let (status, _) = d.stop();
    assert!(status.success(), "{status}");
}

#[test]
fn a_log_output_that_does_not_drain_never_stops_forwarding() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    // stderr is a pipe nobody reads (a paused pager): it fills after a few
    // hundred access lines.
    let mut d = Start::new(&net).run();
    let t = Instant::now();
    traffic(&net, 1500);
    assert!(d.alive());
    println!("1500 clients in {:?} with a stalled log", t.elapsed());
    // Now read it: the queue's drops are said once output works again.
    let mut err = String::new();
    let mut r = d.child.stderr.take().unwrap();
    d.signal("TERM");
    r.read_to_string(&mut err).unwrap();
    let (status, _) = d.wait();
    assert!(status.success(), "{status}");
    assert!(
        err.contains("ZHA3016I"),
        "the last lines are written at the end"
    );
}

#[test]
fn json_logs_carry_one_target_and_events_carry_their_fields() {
    let net = Net::new();
    let mut a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let d = Start {
        json: true,
        ..Start::new(&net)
    }
    .run();
    let sysa = net.addr(11).to_string();
    d.wait_for(|| d.active() == Some(sysa.clone()));
    assert_eq!(ask(net.addr(10)).unwrap(), "SYSA");
    a.kill9();
    assert_eq!(ask(net.addr(10)).unwrap(), "SYSB");
    let (_, err) = d.stop();
    let events: Vec<serde_json::Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let access: Vec<(&str, &serde_json::Value)> = err
        .lines()
        .zip(&events)
        .filter(|(_, v)| v["id"] == "ZHA3020I")
        .collect();
    assert!(access.len() >= 2, "{err}");
    for (raw, v) in &access {
        assert_eq!(raw.matches("\"target\":").count(), 1, "{raw}");
        assert!(v["target"].as_str().unwrap().ends_with(":8443"), "{raw}");
        assert_eq!(v["service"], format!("{}..{PORT}", net.ip(10)), "{raw}");
    }
    // The switch to SYSB: its fields, not only its message.
    let switch = events
        .iter()
        .find(|v| v["id"] == "ZHA3003I")
        .unwrap_or_else(|| panic!("no switch in\n{err}"));
    assert_eq!(switch["service"], format!("{}..{PORT}", net.ip(10)));
    assert_eq!(switch["target"], net.addr(12).to_string());
    assert_eq!(switch["system"], "SYSB");
    assert_eq!(switch["from"], net.addr(11).to_string());
    assert_eq!(switch["reason"], "unavailable");
    let down = events
        .iter()
        .find(|v| v["id"] == "ZHA3002W")
        .unwrap_or_else(|| panic!("no target down in\n{err}"));
    assert_eq!(down["target"], net.addr(11).to_string());
    assert_eq!(down["destip"], net.ip(11).to_string());
}

#[test]
fn paths_in_the_settings_are_relative_to_the_settings_file() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    // A real CA file beside the settings, named relatively.
    let ring = zha_zosmf::keyring::ensure(&conf.join("ring"), &["127.0.0.1".into()]).unwrap();
    std::fs::copy(&ring.ca, conf.join("ca.pem")).unwrap();
    std::fs::write(conf.join("PROFILE.TCPIP"), profile(&net, "AUTOSWITCHBACK")).unwrap();
    std::fs::write(
        conf.join("zosmf-ha.toml"),
        "[probe.http]\nca_file = \"ca.pem\"\n[state]\ndir = \"state\"\n",
    )
    .unwrap();
    // Started from another folder (as under systemd, where it is /).
    let elsewhere = tempfile::tempdir().unwrap();
    let mut child = bin()
        .current_dir(elsewhere.path())
        .args(["distribute", "--profile"])
        .arg(conf.join("PROFILE.TCPIP"))
        .arg("--config")
        .arg(conf.join("zosmf-ha.toml"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + LIMIT;
    while !conf.join("state/control.sock").exists() {
        if let Some(st) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("did not start ({st}):\n{err}");
        }
        assert!(Instant::now() < end, "no control socket in conf/state");
        std::thread::sleep(Duration::from_millis(50));
    }
    // netstat finds it through the same settings, from a third folder.
    let o = bin()
        .current_dir(dir.path())
        .args(["netstat", "vdpt", "--config", "conf/zosmf-ha.toml"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn refused_clients_are_counted_and_logged_with_a_limit() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let d = Start::new(&net)
        .extra("[limits]\nmax_connections = 1\n[log]\naccess = false\n")
        .run();
    d.wait_for(|| d.active().is_some());
    let mut held = TcpStream::connect(net.addr(10)).unwrap();
    held.write_all(b"x\n").unwrap();
    let mut buf = [0u8; 8];
    assert!(held.read(&mut buf).unwrap() > 0);
    for _ in 0..5 {
        assert!(ask(net.addr(10)).is_err(), "over the limit");
    }
    drop(held);
    let (_, err) = d.stop();
    let refused = lines_with(&err, "ZHA3027W");
    assert!(!refused.is_empty(), "{err}");
    assert!(refused[0].contains("max_connections"), "{err}");
    // Rate-limited: far fewer lines than clients refused.
    assert!(refused.len() <= 2, "{err}");
    let total: u64 = refused
        .iter()
        .filter_map(|l| l.split("refused=").nth(1))
        .filter_map(|v| v.split_whitespace().next())
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    assert_eq!(total, 5, "every refusal counted: {err}");
}

/// The access log's retries and the retries metric agree, for a failed
/// connect and for a replayed request.
#[test]
fn retries_count_alike_in_the_log_and_the_metric() {
    for replayed in [false, true] {
        let net = Net::new();
        // SYSA accepts and closes before any answer (replayed), or listens
        // and is killed before the next probe sees it (a failed connect).
        let mut a = if replayed {
            Backend::start_as(net.addr(11), "SYSA", "close")
        } else {
            Backend::start(net.addr(11), "SYSA")
        };
        let _b = Backend::start(net.addr(12), "SYSB");
        let metrics = SocketAddr::new(net.ip(99), 9464);
        let d = Start {
            probe: "interval = \"30s\"\ntimeout = \"300ms\"\n".into(),
            connect: "timeout = \"300ms\"\nreplay = true\n".into(),
            ..Start::new(&net)
        }
        .extra(&format!("[metrics]\naddress = \"{metrics}\"\n"))
        .run();
        let sysa = net.addr(11).to_string();
        d.wait_for(|| d.active() == Some(sysa.clone()));
        if !replayed {
            a.kill9();
        }
        assert_eq!(ask(net.addr(10)).as_deref(), Ok("SYSB"));
        let series = format!(
            "zosmf_ha_retries_total{{service=\"{}..{PORT}\"}}",
            net.ip(10)
        );
        let metric = d.metric(metrics, &series);
        let (_, err) = d.stop();
        let logged: Vec<u64> = lines_with(&err, "ZHA3020I")
            .iter()
            .filter_map(|l| l.split("retries=").nth(1))
            .filter_map(|v| v.split_whitespace().next())
            .filter_map(|v| v.parse::<u64>().ok())
            .collect();
        assert_eq!(logged, [1], "one client, one retry ({replayed}):\n{err}");
        assert_eq!(metric, Some(1.0), "the metric agrees ({replayed})");
    }
}

fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn state_files_are_private_whatever_the_umask() {
    let net = Net::new();
    let mut a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("fresh/state");
    let d = Start {
        shell: Some("umask 000".into()),
        state: Some(state.clone()),
        ..Start::new(&net)
    }
    .run();
    let sysa = net.addr(11).to_string();
    d.wait_for(|| d.active() == Some(sysa.clone()));
    a.kill9();
    assert_eq!(ask(net.addr(10)).unwrap(), "SYSB");
    // The switch was saved: the state file exists.
    let active = state.join("active.json");
    let end = Instant::now() + LIMIT;
    while !active.exists() {
        assert!(Instant::now() < end, "no state file");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&active), 0o600);
    assert_eq!(mode(&state.join("control.sock")), 0o600);
    // A save may be under way while we look; a temp file that outlives
    // its save (none is written after the switch) is a leak.
    let end = Instant::now() + LIMIT;
    loop {
        let names: Vec<String> = std::fs::read_dir(&state)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        if !names.iter().any(|n| n.ends_with(".tmp")) {
            break;
        }
        assert!(Instant::now() < end, "temp file left behind: {names:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_state_folder_another_user_can_write_is_refused() {
    let net = Net::new();
    let setpriv = zha_testkit::require("setpriv", "apt-get install -y util-linux");
    let dir = tempfile::tempdir().unwrap();
    // A folder everybody may write into, where `nobody` makes the state
    // folder and plants a link to a file of root's.
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    let state = shared.join("state");
    let st = Command::new(&setpriv)
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c"])
        .arg("mkdir -m 777 \"$0\" && ln -s \"$1\" \"$0/.active.json.tmp\" && ln -s \"$1\" \"$0/active.json\"")
        .arg(&state)
        .arg(&victim)
        .status()
        .unwrap();
    assert!(st.success(), "setpriv could not act as nobody");
    let e = Start {
        state: Some(state.clone()),
        ..Start::new(&net)
    }
    .try_run();
    let (status, err) = match e {
        Ok(_) => panic!("started with a state folder of another user's"),
        Err(e) => e,
    };
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("belongs to user 65534"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    // Root's own folder, open to everybody: refused too.
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let Err((_, err)) = Start {
        state: Some(open),
        ..Start::new(&net)
    }
    .try_run() else {
        panic!("started with a state folder open to everybody")
    };
    assert!(err.contains("can be written by other users"), "{err}");
}

fn mkfifo(path: &std::path::Path) {
    let st = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(st.success());
}

#[test]
fn a_fifo_or_a_device_as_the_profile_never_stalls_the_distributor() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let d = Distributor::start(&net);
    d.wait_for(|| d.active().is_some());
    let fifo = d.dir.path().join("f");
    mkfifo(&fifo);
    for profile in [fifo.as_path(), std::path::Path::new("/dev/zero")] {
        let t = Instant::now();
        let o = d.zha(&["reload", profile.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{profile:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("not a regular file"), "{err}");
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        // Clients and the tables are served meanwhile and after.
        assert_eq!(ask(net.addr(10)).unwrap(), "SYSA");
        assert!(d.netstat(&["vdpt"]).is_some());
    }
    let t = Instant::now();
    let (status, _) = d.stop();
    assert!(status.success());
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "SIGTERM took {:?}",
        t.elapsed()
    );
}

#[test]
fn check_never_waits_on_a_fifo_named_as_a_sysplex_member() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sysplex.toml"),
        "name = \"P\"\n[[system]]\nname = \"SYSA\"\nparmlib = [\"IZUPRM0A\"]\nprofile = \"PROFA\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("PROFA"), "TCPCONFIG\n").unwrap();
    mkfifo(&dir.path().join("IZUPRM0A"));
    let t = Instant::now();
    let o = bin().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("not a regular file"), "{}", stdout(&o));
    assert!(t.elapsed() < Duration::from_secs(10));
    // Named alone on the command line, a device is read up to the limit.
    let o = bin()
        .args(["check", "--kind", "profile", "/dev/zero"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("the limit is"), "{}", stdout(&o));
}

/// A backend in its own process listening on every port `lo..=hi`: it
/// answers each connection with its name and closes.
fn ports_backend(ip: std::net::IpAddr, lo: u16, hi: u16, name: &str) -> Backend {
    let script = r#"
import resource, selectors, socket, sys
host, lo, hi, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < hi - lo + 64:
    print(f"the hard file descriptor limit {hard} cannot hold {hi - lo + 1} listeners", flush=True); sys.exit(1)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
sel = selectors.DefaultSelector()
for p in range(lo, hi + 1):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, p)); s.listen(128); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept(); c.sendall(name + b"\n"); c.close()
        except OSError:
            pass
"#;
    Backend::python(
        script,
        &[&ip.to_string(), &lo.to_string(), &hi.to_string(), name],
        name,
    )
}

/// What the backend behind `addr` says its name is.
fn name_at(addr: SocketAddr) -> Option<String> {
    let mut c = TcpStream::connect_timeout(&addr, LIMIT).ok()?;
    c.set_read_timeout(Some(LIMIT)).unwrap();
    let mut s = String::new();
    c.read_to_string(&mut s).ok()?;
    Some(s.trim().to_owned())
}

#[test]
fn a_thousand_ports_start_answer_netstat_and_fail_over_in_bounded_time() {
    const LO: u16 = 20000;
    const HI: u16 = LO + 1023;
    let net = Net::new();
    let mut a = ports_backend(net.ip(11), LO, HI, "SYSA");
    let _b = ports_backend(net.ip(12), LO, HI, "SYSB");
    let metrics = net.0.addr(13, 9464);
    let start = Instant::now();
    let d = Start {
        profile: format!(
            "IPCONFIG SYSPLEXROUTING DYNAMICXCF {a} 255.0.0.0 1\nVIPADYNAMIC\n  VIPADEFINE 255.255.255.0 {d}\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY {d} PORT {LO}-{HI}\n    DESTIP {a} PREFERRED {b} BACKUP\nENDVIPADYNAMIC\n",
            a = net.ip(11),
            b = net.ip(12),
            d = net.ip(10)
        ),
        probe: "interval = \"500ms\"\ntimeout = \"1s\"\n".into(),
        extra: format!("[metrics]\naddress = \"{metrics}\"\n[log]\naccess = false\n"),
        ..Start::new(&net)
    }
    .run();
    let rows = || -> Vec<zha_distributor::protocol::ServiceRow> {
        d.netstat(&["vdpt", "--json"])
            .and_then(|j| zha_distributor::display::vdpt_rows(&j))
            .unwrap_or_default()
    };
    let on = |ip: std::net::IpAddr| {
        rows()
            .iter()
            .filter(|s| !s.starting && s.active.is_some_and(|a| a.ip() == ip))
            .count()
    };
    // Every port has its first round over and the preferred target active.
    // Bounds loose for two busy cores: it took 0.3-0.5 s here (17.6 s when
    // every probe result republished the whole table).
    let end = Instant::now() + Duration::from_secs(20);
    while on(net.ip(11)) != 1024 {
        assert!(Instant::now() < end, "the first rounds are not over");
        std::thread::sleep(Duration::from_millis(100));
    }
    let first = start.elapsed();
    let t = Instant::now();
    assert_eq!(rows().len(), 1024);
    let netstat = t.elapsed();
    assert!(netstat < Duration::from_secs(5), "netstat took {netstat:?}");
    let dvipa = |port: u16| SocketAddr::new(net.ip(10), port);
    for port in [LO, LO + 511, HI] {
        assert_eq!(name_at(dvipa(port)).as_deref(), Some("SYSA"), "port {port}");
    }
    // SYSA's server process dies: every port switches to SYSB (probe fall
    // 2 at 500 ms; 1.1-1.3 s here).
    let killed = Instant::now();
    a.kill9();
    let end = killed + Duration::from_secs(20);
    while on(net.ip(12)) != 1024 {
        assert!(Instant::now() < end, "not every port switched");
        std::thread::sleep(Duration::from_millis(50));
    }
    let switched = killed.elapsed();
    for port in [LO, LO + 511, HI] {
        assert_eq!(name_at(dvipa(port)).as_deref(), Some("SYSB"), "port {port}");
    }
    let count = d
        .metric(metrics, "zosmf_ha_decision_seconds_count")
        .unwrap();
    let sum = d.metric(metrics, "zosmf_ha_decision_seconds_sum").unwrap();
    eprintln!(
        "1,024 ports: first round {first:?}, netstat {netstat:?}, all switched {switched:?} after SIGKILL, {count} decisions in {:.2} ms on average",
        sum / count * 1000.0
    );
}

/// The same distributor started twice: the second says another one runs
/// with its control socket (not only that the port is taken), and leaves
/// the first alone.
#[test]
fn a_second_start_with_the_same_settings_says_another_runs() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let d = Start::new(&net).run();
    let mut c = Command::new(env!("CARGO_BIN_EXE_zosmf-ha"));
    c.args(d.args());
    let (status, err) = d.spawn_like(c).wait();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("another distributor is running with the control socket"),
        "{err}"
    );
    assert!(
        d.netstat(&["vdpt"]).is_some(),
        "the first one was disturbed"
    );
}
