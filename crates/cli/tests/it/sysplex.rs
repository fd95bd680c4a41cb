//! The local sysplex end to end, across processes: plan → check → up →
//! probe, curl and the Zowe CLI through the DVIPA, the failover scenario,
//! the USER_DIR lock, and a server started while the distributor runs.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::*;

const LIMIT: Duration = Duration::from_secs(30);

/// A plan for two systems in the block (DVIPA .10, SYSA .11, SYSB .12).
fn plan_toml(net: &Net, switchback: bool) -> String {
    format!(
        "sysplex = \"PLEX{a}\"\ndvipa = \"{d}\"\nport = 8443\nautoswitchback = {switchback}\nxcf_mask = \"255.0.0.0\"\n\
         [[system]]\nname = \"SYSA\"\nxcf = \"{x}\"\npreferred = true\n\
         [[system]]\nname = \"SYSB\"\nxcf = \"{y}\"\n",
        a = net.0.a,
        d = net.ip(10),
        x = net.ip(11),
        y = net.ip(12)
    )
}

/// `zosmf-ha plan` into `<dir>/plex`; returns that folder.
pub(crate) fn plan(dir: &Path, net: &Net, switchback: bool) -> PathBuf {
    let p = dir.join("plan.toml");
    std::fs::write(&p, plan_toml(net, switchback)).unwrap();
    let out = dir.join("plex");
    let o = bin()
        .args(["plan"])
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout(&o).contains("no findings"), "{}", stdout(&o));
    out
}

fn ca(work: &Path) -> PathBuf {
    work.join("root/keyrings/IZUKeyring.IZUDFLT/ca.pem")
}

/// A child whose stdout lines arrive on a channel; killed when dropped.
pub(crate) struct Proc {
    pub(crate) child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Proc {
    pub(crate) fn spawn(mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        for r in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for l in BufReader::new(r).lines().map_while(Result::ok) {
                    let _ = tx.send(l);
                }
            });
        }
        Proc {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Wait for a line containing `what`.
    pub(crate) fn expect(&mut self, what: &str) -> String {
        let end = Instant::now() + LIMIT;
        while Instant::now() < end {
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(100)) {
                let hit = l.contains(what);
                self.seen.push(l.clone());
                if hit {
                    return l;
                }
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(100)) {
                    self.seen.push(l);
                }
                panic!(
                    "ended ({st}) before printing {what:?}:\n{}",
                    self.seen.join("\n")
                );
            }
        }
        panic!("no {what:?} within {LIMIT:?}:\n{}", self.seen.join("\n"));
    }

    pub(crate) fn wait(mut self) -> (i32, String) {
        let end = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.seen.push(l);
                }
                return (st.code().unwrap_or(-1), self.seen.join("\n"));
            }
            while let Ok(l) = self.lines.try_recv() {
                self.seen.push(l);
            }
            assert!(
                Instant::now() < end,
                "did not end:\n{}",
                self.seen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `up` in its own process group, as a shell starts a job: a Ctrl-C is
/// SIGINT to the whole group.
fn up(plex: &Path, work: &Path, extra: &[&str]) -> Proc {
    use std::os::unix::process::CommandExt;
    let mut c = bin();
    c.arg("up")
        .arg(plex)
        .arg("--work")
        .arg(work)
        .args(["--startup-delay", "500ms"])
        .args(extra)
        .process_group(0);
    Proc::spawn(c)
}

fn listening(a: SocketAddr) -> bool {
    TcpStream::connect_timeout(&a, Duration::from_millis(200)).is_ok()
}

/// Wait until nothing listens on the block's addresses: `up`'s children
/// never outlive it.
fn all_gone(net: &Net) {
    let end = Instant::now() + Duration::from_secs(10);
    while [10, 11, 12].iter().any(|h| listening(net.addr(*h))) {
        assert!(
            Instant::now() < end,
            "a child of up still listens after up ended"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn probe(net: &Net, work: &Path, secs: &str) -> serde_json::Value {
    let o = bin()
        .args([
            "probe",
            &format!("https://{}:8443", net.ip(10)),
            "--json",
            "--rate",
            "20",
            "--duration",
            secs,
            "--cacert",
        ])
        .arg(ca(work))
        .output()
        .unwrap();
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), String::from_utf8_lossy(&o.stderr)))
}

/// Wait until SYSA's stack (the owner) of `up` sees every server
/// initialized and `system` active (a backup that finishes initializing
/// first takes the connections until the preferred one has too).
fn wait_settled(work: &Path, system: &str) {
    let end = Instant::now() + LIMIT;
    loop {
        let o = bin()
            .args(["netstat", "vdpt", "--json", "--system", "SYSA", "--config"])
            .arg(work.join("zosmf-ha.toml"))
            .output()
            .unwrap();
        let rows = zha_distributor::display::vdpt_rows(&String::from_utf8_lossy(&o.stdout))
            .unwrap_or_default();
        if !rows.is_empty()
            && rows.iter().all(|s| {
                s.targets.iter().all(|t| t.tsr == 100)
                    && s.active_target().and_then(|t| t.system.as_deref()) == Some(system)
            })
        {
            break;
        }
        assert!(
            Instant::now() < end,
            "not every server is available: {rows:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Wait until probing shows `system` answering.
fn wait_answering(net: &Net, work: &Path, system: &str) {
    let end = Instant::now() + LIMIT;
    loop {
        let v = probe(net, work, "300ms");
        if v["by_system"][system].as_u64().unwrap_or(0) > 0
            && v["by_system"].as_object().is_some_and(|m| m.len() == 1)
        {
            return;
        }
        assert!(Instant::now() < end, "{system} does not answer: {v}");
    }
}

#[test]
fn plan_check_up_probe_curl_and_zowe() {
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let plex = plan(dir.path(), &net, true);
    let o = bin().arg("check").arg(&plex).output().unwrap();
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let work = dir.path().join("work");
    // The work folder named relatively, from the folder that holds it.
    let mut up = {
        use std::os::unix::process::CommandExt;
        let mut c = bin();
        c.current_dir(dir.path())
            .arg("up")
            .arg(&plex)
            .args(["--work", "work", "--startup-delay", "500ms"])
            .process_group(0);
        Proc::spawn(c)
    };
    up.expect("started SYSA's TCP/IP stack (VIPADEFINE");
    up.expect("started SYSB's TCP/IP stack (VIPABACKUP 100");
    // Its hints, shown without a terminal too.
    up.expect("tables:  zosmf-ha netstat vdpt --detail --config");
    up.expect("pids:    SYSA ");
    // Each stack's status page and metrics: up serves them too.
    let page = up.expect("status page of SYSA/TCPIP: http://");
    let url = page
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    assert!(url.contains(&net.ip(11).to_string()), "{page}");
    wait_settled(&work, "SYSA");
    wait_answering(&net, &work, "SYSA");
    let fetch = |url: &str| {
        ureq::get(url)
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap()
    };
    let html = fetch(&url);
    assert!(
        html.contains("data-system=\"SYSA\" data-state=\"Active\""),
        "{html}"
    );
    let metrics = fetch(&format!("{url}metrics"));
    assert!(
        metrics.contains("zosmf_ha_dvipa_owned{") && metrics.contains("system=\"SYSA\""),
        "{metrics}"
    );
    // A second `up` on the same work folder refuses, and says why.
    let o = bin()
        .arg("up")
        .arg(&plex)
        .arg("--work")
        .arg(&work)
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("already running"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // probe: every request answered, by SYSA.
    let v = probe(&net, &work, "2s");
    assert_eq!(v["failed"], 0, "{v}");
    assert!(v["requests"].as_u64().unwrap() >= 20, "{v}");
    assert_eq!(v["by_system"]["SYSA"], v["requests"], "{v}");

    // curl through the DVIPA gets the /zosmf/info JSON of the active system.
    let o = Command::new("curl")
        .args(["-s", "-i", "--max-time", "10", "--cacert"])
        .arg(ca(&work))
        .arg(format!("https://{}:8443/zosmf/info", net.ip(10)))
        .output()
        .expect("curl is needed by this test");
    let out = stdout(&o);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(
        out.to_ascii_lowercase().contains("x-zha-system: sysa"),
        "{out}"
    );
    let body: serde_json::Value =
        serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["zosmf_hostname"], net.ip(10).to_string());
    assert_eq!(body["zosmf_port"], "8443");
    assert_eq!(body["zosmf_saf_realm"], "IZUDFLT");
    assert!(body["plugins"].is_array());

    // The Zowe CLI against the DVIPA.
    let zowe = std::env::var_os("ZHA_ZOWE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/zowe-cli/node_modules/.bin/zowe"));
    assert!(
        zowe.exists(),
        "the Zowe CLI is not installed: run `bash scripts/test.sh` (it installs it), or set ZHA_ZOWE"
    );
    let home = tempfile::tempdir().unwrap();
    let o = Command::new("timeout")
        .arg("60")
        .arg(&zowe)
        .args([
            "zosmf",
            "check",
            "status",
            "--host",
            &net.ip(10).to_string(),
            "--port",
            "8443",
        ])
        .args(["--user", "ibmuser", "--password", "sys1", "--ru", "false"])
        .env("ZOWE_CLI_HOME", home.path())
        .env("FORCE_COLOR", "0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("successfully connected to z/OSMF"), "{out}");
    assert!(out.contains("8443"), "{out}");

    // Children never outlive `up`, even killed with SIGKILL.
    let _ = up.child.kill();
    let _ = up.child.wait();
    all_gone(&net);
}

#[test]
fn the_failover_scenario_fails_no_client_connection() {
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let plex = plan(dir.path(), &net, true);
    let (status, out) = up(&plex, &dir.path().join("work"), &["--scenario", "failover"]).wait();
    println!("{out}");
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("failed client connections: 0"), "{out}");
    assert!(out.contains("switched back to SYSA"), "{out}");
    assert!(out.contains("verdict: PASS"), "{out}");
}

#[test]
fn the_failover_scenario_without_switchback() {
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let plex = plan(dir.path(), &net, false);
    let (status, out) = up(&plex, &dir.path().join("work"), &["--scenario", "failover"]).wait();
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("stays active (NOAUTOSWITCHBACK)"), "{out}");
    assert!(out.contains("failed client connections: 0"), "{out}");
}

#[test]
fn the_system_failure_scenario_fails_no_client_connection() {
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let plex = plan(dir.path(), &net, true);
    let (status, out) = up(
        &plex,
        &dir.path().join("work"),
        &["--scenario", "system-failure"],
    )
    .wait();
    println!("{out}");
    assert_eq!(status, 0, "{out}");
    assert!(
        out.contains("SYSA fails: its TCP/IP stack (pid")
            && out.contains("SYSB's stack took the DVIPA over"),
        "{out}"
    );
    assert!(out.contains("SYSA's stack took the DVIPA back"), "{out}");
    assert!(out.contains("switched back to SYSA's server"), "{out}");
    assert!(
        out.contains("end: SYSA's stack owns the DVIPA, SYSA active"),
        "{out}"
    );
    assert!(out.contains("failed client connections: 0"), "{out}");
    // Both systems answered: SYSB's server while SYSA was down.
    assert!(
        out.contains("answered by SYSA ") && out.contains("SYSB "),
        "{out}"
    );
    assert!(
        out.contains("takeover: the next stack owned the DVIPA"),
        "{out}"
    );
    assert!(out.contains("verdict: PASS"), "{out}");
    all_gone(&net);
}

#[test]
fn the_system_failure_scenario_keeps_the_groups_active_target_without_switchback() {
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let plex = plan(dir.path(), &net, false);
    let (status, out) = up(
        &plex,
        &dir.path().join("work"),
        &["--scenario", "system-failure"],
    )
    .wait();
    assert_eq!(status, 0, "{out}");
    assert!(
        out.contains("steady state: SYSA's stack owns the DVIPA, SYSA active"),
        "{out}"
    );
    assert!(out.contains("SYSA's stack took the DVIPA back"), "{out}");
    assert!(
        out.contains("SYSB stays active (NOAUTOSWITCHBACK: the group kept the active target)"),
        "{out}"
    );
    assert!(
        out.contains("end: SYSA's stack owns the DVIPA, SYSB active"),
        "{out}"
    );
    assert!(out.contains("failed client connections: 0"), "{out}");
    all_gone(&net);
}

#[test]
fn up_restarts_a_stack_that_dies_and_the_other_stack_serves_meanwhile() {
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let plex = plan(dir.path(), &net, true);
    let work = dir.path().join("work");
    let mut up = up(&plex, &work, &[]);
    up.expect("owner: SYSA's stack; active: SYSA");
    let pids = up
        .seen
        .iter()
        .find(|l| l.starts_with("pids:"))
        .cloned()
        .unwrap_or_default();
    let pid = pids
        .split(", ")
        .find_map(|p| {
            p.trim_start_matches("pids:")
                .trim()
                .strip_prefix("SYSA/TCPIP ")
        })
        .unwrap_or_else(|| panic!("no pid of SYSA's stack in {pids:?}"))
        .to_owned();
    let ok = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    assert!(ok.success());
    // up sees the death, then the new owner, and restarts the stack.
    up.expect("SYSA/TCPIP (stack) ended");
    up.expect("owner: SYSB's stack");
    wait_answering(&net, &work, "SYSA");
    up.expect("SYSA/TCPIP restarted");
    up.expect("owner: SYSA's stack; active: SYSA");
    wait_answering(&net, &work, "SYSA");
    ctrl_c(&up);
    let (status, out) = up.wait();
    assert_eq!(status, 0, "{out}");
    all_gone(&net);
}

fn server(plex: &Path, work: &Path, system: &str) -> Proc {
    let mut c = bin();
    c.args([
        "server",
        "--system",
        system,
        "--startup-delay",
        "0s",
        "--sysplex",
    ])
    .arg(plex)
    .arg("--root")
    .arg(work.join("root"));
    Proc::spawn(c)
}

#[test]
fn a_second_server_on_the_same_user_dir_refuses_to_start() {
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let plex = plan(dir.path(), &net, true);
    let work = dir.path().join("work");
    let mut a = server(&plex, &work, "SYSA");
    a.expect("IZUG349I");
    // The same system again: its USER_DIR is locked.
    let (st, out) = server(&plex, &work, "SYSA").wait();
    assert_eq!(st, 2, "{out}");
    assert!(
        out.contains("is in use by another z/OSMF server") && out.contains("SYSA pid"),
        "{out}"
    );
    // SYSB configured with SYSA's USER_DIR: check says ZHA1008, and it refuses too.
    let m = plex.join("IZUPRM0B");
    std::fs::write(
        &m,
        std::fs::read_to_string(&m)
            .unwrap()
            .replace("/global/zosmf/sysb", "/global/zosmf/sysa"),
    )
    .unwrap();
    let o = bin().arg("check").arg(&plex).output().unwrap();
    assert!(stdout(&o).contains("ZHA1008E"), "{}", stdout(&o));
    let (st, out) = server(&plex, &work, "SYSB").wait();
    assert_eq!(st, 2, "{out}");
    assert!(out.contains("USER_DIR /global/zosmf/sysa"), "{out}");
}

#[test]
fn a_server_started_while_the_distributor_runs_is_picked_up() {
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let plex = plan(dir.path(), &net, true);
    let work = dir.path().join("work");
    // Only SYSB first.
    let mut b = server(&plex, &work, "SYSB");
    b.expect("IZUG400I");
    let cfg = dir.path().join("zosmf-ha.toml");
    std::fs::write(
        &cfg,
        format!(
            "[probe]\ninterval = \"200ms\"\n[probe.http]\nca_file = \"{}\"\n[state]\ndir = \"{}\"\n",
            ca(&work).display(),
            dir.path().join("state").display()
        ),
    )
    .unwrap();
    let mut d = bin();
    d.args(["distribute", "--profile"])
        .arg(plex.join("SYSA.TCPIP"))
        .arg("--config")
        .arg(&cfg);
    let mut d = Proc::spawn(d);
    d.expect("ZHA3013I");
    wait_answering(&net, &work, "SYSB");
    // SYSA comes up: the preferred server is picked up (AUTOSWITCHBACK).
    let mut a = server(&plex, &work, "SYSA");
    a.expect("IZUG400I");
    wait_answering(&net, &work, "SYSA");
}

#[test]
fn up_refuses_addresses_that_are_not_this_machines() {
    let dir = tempfile::tempdir().unwrap();
    // TEST-NET-1: documentation addresses, on no interface of this machine.
    let p = dir.path().join("plan.toml");
    std::fs::write(
        &p,
        "sysplex = \"PLEXDOC\"\ndvipa = \"192.0.2.10\"\nport = 8443\n\
         [[system]]\nname = \"SYSA\"\nxcf = \"192.0.2.11\"\npreferred = true\n\
         [[system]]\nname = \"SYSB\"\nxcf = \"192.0.2.12\"\n",
    )
    .unwrap();
    let plex = dir.path().join("plex");
    let o = bin()
        .arg("plan")
        .arg(&p)
        .arg("--out")
        .arg(&plex)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (status, out) = up(&plex, &dir.path().join("work"), &[]).wait();
    assert_eq!(status, 2, "{out}");
    assert!(
        out.contains("192.0.2.11 is not an address of this machine") && out.contains("127."),
        "{out}"
    );
    assert!(!out.contains("already in use"), "{out}");
    assert!(
        !out.contains("started the z/OSMF stand-in"),
        "nothing was started: {out}"
    );
}

fn ctrl_c(p: &Proc) {
    let ok = Command::new("kill")
        .args(["-INT", "--", &format!("-{}", p.child.id())])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn ctrl_c_during_the_start_blames_no_server() {
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let plex = plan(dir.path(), &net, true);
    let mut up = up(&plex, &dir.path().join("work"), &[]);
    up.expect("started the z/OSMF stand-in of SYSA");
    ctrl_c(&up);
    let (status, out) = up.wait();
    // The Ctrl-C reached `up` alone: no child died of it, so none is blamed.
    assert!(!out.contains(" ended ("), "{out}");
    if out.contains("interrupted during start-up") {
        assert_eq!(status, 130, "{out}");
    } else {
        // The start was over before the signal came: a plain stop.
        assert!(out.contains("stopping the local sysplex"), "{out}");
        assert_eq!(status, 0, "{out}");
    }
    all_gone(&net);
}

#[test]
fn ctrl_c_during_the_scenario_stops_the_load_first_and_counts_no_failure() {
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let plex = plan(dir.path(), &net, true);
    let mut up = up(&plex, &dir.path().join("work"), &["--scenario", "failover"]);
    up.expect("steady state");
    std::thread::sleep(Duration::from_millis(500));
    ctrl_c(&up);
    let (status, out) = up.wait();
    assert_eq!(status, 130, "{out}");
    assert!(out.contains("scenario interrupted"), "{out}");
    assert!(out.contains("failed client connections: 0"), "{out}");
    assert!(!out.contains("verdict: FAIL"), "{out}");
    assert!(!out.contains(" ended ("), "{out}");
}
