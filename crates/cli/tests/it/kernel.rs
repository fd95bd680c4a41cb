//! `forwarding = "kernel"` (SPEC §8) as a user runs it, each test in a
//! network namespace of its own (its nftables tables and conntrack are the
//! namespace's: the host's ruleset is never touched): the stacks run
//! `distribute --system` in it, the backends too, and the clients are
//! threads that entered it. Needs root, iproute2, nftables and python3; a
//! test that cannot set up says so in one line and fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::distribute::{Backend, LIMIT, Start};
use crate::*;
use zha_testkit::Ns;

/// A namespace with SYSA's and SYSB's echo backends, and a group folder.
struct Lab {
    ns: Ns,
    net: Net,
    backends: Vec<Backend>,
    folder: tempfile::TempDir,
}

impl Lab {
    fn new(tag: &str) -> Lab {
        zha_testkit::require("nft", "apt-get install -y nftables");
        let ns = Ns::new(tag);
        let net = Net::new();
        let backends = vec![
            Backend::start_in_as(Some(&ns.name), net.addr(11), "SYSA", "echo"),
            Backend::start_in_as(Some(&ns.name), net.addr(12), "SYSB", "echo"),
        ];
        Lab {
            ns,
            net,
            backends,
            folder: tempfile::tempdir().unwrap(),
        }
    }

    fn dvipa(&self) -> SocketAddr {
        self.net.addr(10)
    }

    /// SYSA's stack (VIPADEFINE), kernel forwarding, in the namespace.
    fn start(&self) -> Start<'_> {
        Start {
            ns: Some(self.ns.name.clone()),
            kernel: true,
            args: vec![
                "--system".into(),
                "SYSA".into(),
                "--group".into(),
                self.folder.path().join("group").into(),
            ],
            ..Start::new(&self.net)
        }
    }

    /// The nftables tables of the namespace.
    fn tables(&self) -> String {
        let o = std::process::Command::new("ip")
            .args(["netns", "exec", &self.ns.name, "nft", "list", "tables"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_owned()
    }

    fn nft(&self, script: &str) {
        let mut c = std::process::Command::new("ip")
            .args(["netns", "exec", &self.ns.name, "nft", "-f", "-"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        assert!(c.wait().unwrap().success(), "nft: {script}");
    }
}

/// A connection through the DVIPA: who answered and the address it saw.
struct Conn {
    stream: TcpStream,
    who: String,
    seen: String,
}

fn open(addr: SocketAddr, from: Option<std::net::IpAddr>) -> std::io::Result<Conn> {
    let stream = match from {
        None => TcpStream::connect_timeout(&addr, Duration::from_secs(3))?,
        Some(ip) => {
            let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
            s.bind(&SocketAddr::new(ip, 0).into())?;
            s.connect_timeout(&addr.into(), Duration::from_secs(3))?;
            s.into()
        }
    };
    stream.set_read_timeout(Some(Duration::from_secs(3)))?;
    let mut line = String::new();
    BufReader::new(stream.try_clone()?).read_line(&mut line)?;
    let mut words = line.split_whitespace();
    let who = words.next().unwrap_or_default().to_owned();
    let seen = words.next().unwrap_or_default().to_owned();
    if who.is_empty() {
        return Err(std::io::Error::other("closed before the greeting"));
    }
    Ok(Conn { stream, who, seen })
}

/// Send `n` bytes of a pattern and read them back: the echo must be the
/// same, byte for byte.
fn echo(c: &mut Conn, n: usize, salt: u8) -> bool {
    let data: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(31) ^ salt).collect();
    let mut back = vec![0u8; n];
    for (chunk, into) in data.chunks(8192).zip(back.chunks_mut(8192)) {
        if c.stream.write_all(chunk).is_err() || c.stream.read_exact(into).is_err() {
            return false;
        }
    }
    back == data
}

/// Who answers a new connection now (inside the namespace).
fn who(lab: &Lab) -> String {
    let dvipa = lab.dvipa();
    lab.ns
        .run(move || open(dvipa, None).map_or_else(|e| format!("error: {e}"), |c| c.who))
}

fn wait_who(lab: &Lab, want: &str) {
    let end = Instant::now() + LIMIT;
    loop {
        let got = who(lab);
        if got == want {
            return;
        }
        assert!(
            Instant::now() < end,
            "new connections go to {got}, not {want}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A client in the namespace opening a connection every 5 ms until
/// stopped: who answered each (or why it failed) and when it started.
struct Load {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<(Instant, Result<String, String>)>>,
}

impl Load {
    fn start(lab: &Lab) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let (s, dvipa) = (stop.clone(), lab.dvipa());
        let thread = lab.ns.spawn(move || {
            let mut out = Vec::new();
            let end = Instant::now() + Duration::from_secs(60);
            while !s.load(Ordering::Relaxed) && Instant::now() < end {
                let at = Instant::now();
                out.push((
                    at,
                    open(dvipa, None).map(|c| c.who).map_err(|e| e.to_string()),
                ));
                std::thread::sleep(Duration::from_millis(5));
            }
            out
        });
        Load { stop, thread }
    }

    fn finish(self) -> Vec<(Instant, Result<String, String>)> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

/// The switch under load: open connections stay on SYSA byte for byte
/// while new ones go to SYSB (quiesce), then back (resume); `netstat vcrt`
/// (conntrack) lists the open ones with their target; no new connection
/// fails.
#[test]
fn a_switch_keeps_open_connections_byte_for_byte_and_sends_new_ones_on() {
    let lab = Lab::new("kq");
    let d = lab.start().run();
    wait_who(&lab, "SYSA");
    let dvipa = lab.dvipa();
    // Three long connections, moving bytes all along the switch.
    let streaming = Arc::new(AtomicBool::new(true));
    let long: Vec<_> = (0..3u8)
        .map(|i| {
            let go = streaming.clone();
            lab.ns.spawn(move || {
                let mut c = open(dvipa, None).expect("a long connection");
                let who = c.who.clone();
                let mut rounds = 0;
                let end = Instant::now() + Duration::from_secs(60);
                while go.load(Ordering::Relaxed) && Instant::now() < end {
                    if !echo(&mut c, 64 * 1024, i.wrapping_add(rounds as u8)) {
                        return (who, rounds, false);
                    }
                    rounds += 1;
                }
                (who, rounds, true)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let load = Load::start(&lab);
    std::thread::sleep(Duration::from_millis(200));
    let o = d.zha(&["vary", "quiesce", "SYSA"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    wait_who(&lab, "SYSB");
    std::thread::sleep(Duration::from_millis(300));
    let vcrt = d.netstat(&["vcrt"]).unwrap();
    let o = d.zha(&["vary", "resume", "SYSA"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    wait_who(&lab, "SYSA");
    std::thread::sleep(Duration::from_millis(200));
    let outcomes = load.finish();
    streaming.store(false, Ordering::Relaxed);
    for t in long {
        let (who, rounds, ok) = t.join().unwrap();
        assert_eq!(who, "SYSA", "a long connection started on SYSA");
        assert!(
            ok,
            "a long connection's echo differed or broke after {rounds} rounds"
        );
        assert!(rounds >= 3, "a long connection moved only {rounds} rounds");
    }
    let failed: Vec<_> = outcomes.iter().filter(|(_, r)| r.is_err()).collect();
    assert!(failed.is_empty(), "failed: {failed:?}");
    let sysb = outcomes
        .iter()
        .filter(|(_, r)| r.as_deref() == Ok("SYSB"))
        .count();
    assert!(
        sysb > 0,
        "no new connection went to SYSB while SYSA was quiesced"
    );
    // The open connections in conntrack's table, on SYSA.
    let on_sysa = vcrt
        .matches(&format!("DestXCF: {}", lab.net.ip(11)))
        .count();
    assert!(on_sysa >= 3, "netstat vcrt:\n{vcrt}");
    let (st, err) = d.stop();
    assert!(st.success(), "{err}");
    assert_eq!(lab.tables(), "", "the table outlived the stack");
    drop(lab.backends);
}

/// The z/OSMF server behind kernel forwarding sees the client's own
/// address; a reload changes where new connections go, and one the kernel
/// cannot serve (a target with no route) changes nothing.
#[test]
fn the_target_sees_the_client_and_a_reload_is_all_or_nothing() {
    let lab = Lab::new("kr");
    let d = lab.start().run();
    wait_who(&lab, "SYSA");
    let (dvipa, client) = (lab.dvipa(), lab.net.ip(77));
    let seen = lab
        .ns
        .run(move || open(dvipa, Some(client)).map(|c| c.seen).unwrap());
    assert!(
        seen.starts_with(&format!("{client}:")),
        "the target saw {seen}, not the client {client}"
    );
    // SYSB preferred now.
    let profile = d.dir.path().join("PROFILE.TCPIP");
    let text = std::fs::read_to_string(&profile).unwrap();
    let swapped = text
        .replace(&format!("{} PREFERRED", lab.net.ip(11)), "@A@")
        .replace(
            &format!("{} BACKUP", lab.net.ip(12)),
            &format!("{} PREFERRED", lab.net.ip(12)),
        )
        .replace("@A@", &format!("{} BACKUP", lab.net.ip(11)));
    std::fs::write(&profile, &swapped).unwrap();
    let o = d.zha(&["reload"]);
    assert!(
        o.status.success(),
        "{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    wait_who(&lab, "SYSB");
    // A third target on a network this host has no route to: refused whole.
    let bad = swapped.replace(
        &format!("{} BACKUP", lab.net.ip(11)),
        &format!("{} BACKUP 198.51.100.7 BACKUP 50", lab.net.ip(11)),
    );
    std::fs::write(&profile, bad).unwrap();
    let o = d.zha(&["reload"]);
    let err = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("198.51.100.7") && err.contains("no route"),
        "{err}"
    );
    assert_eq!(who(&lab), "SYSB", "a refused reload changed the routes");
    let (st, err) = d.stop();
    assert!(st.success(), "{err}");
}

/// A stack SIGKILLed leaves its table (new connections still go to its
/// last target); started again, it takes the table over whole; stopped,
/// the table goes. A table of the same name that is not the stack's is
/// refused and left as it was.
#[test]
fn a_killed_stacks_table_is_taken_over_at_restart_and_a_strangers_is_refused() {
    let lab = Lab::new("ks");
    let mut d = lab.start().run();
    wait_who(&lab, "SYSA");
    d.child.kill().unwrap();
    let _ = d.child.wait();
    assert!(lab.tables().contains("zha_sysa"), "{}", lab.tables());
    assert_eq!(who(&lab), "SYSA", "the stale table still forwards");
    let again = Start {
        profile: std::fs::read_to_string(d.dir.path().join("PROFILE.TCPIP")).unwrap(),
        ..lab.start()
    }
    .run();
    wait_who(&lab, "SYSA");
    let o = again.zha(&["vary", "quiesce", "SYSA"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    wait_who(&lab, "SYSB");
    let (st, err) = again.stop();
    assert!(st.success(), "{err}");
    assert_eq!(lab.tables(), "");

    // Somebody else's table named zha_sysa.
    lab.nft("table ip zha_sysa {\n  comment \"ours, not zosmf-ha's\"\n  chain c {\n  }\n}\n");
    let Err((st, err)) = lab.start().try_run() else {
        panic!("started over somebody else's table");
    };
    assert_eq!(st.code(), Some(2), "{err}");
    assert!(err.contains("is not this stack's"), "{err}");
    let listed = std::process::Command::new("ip")
        .args([
            "netns",
            "exec",
            &lab.ns.name,
            "nft",
            "list",
            "table",
            "ip",
            "zha_sysa",
        ])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("ours, not zosmf-ha's") && listed.contains("chain c"),
        "{listed}"
    );
}

/// The active target SIGKILLed under a client opening a connection every
/// 5 ms: the kernel cannot retry, so attempts reset before the distributor
/// knew fail; conntrack's first reset marks SYSA down and new connections
/// go to SYSB. Reports how many failed and the detection time.
#[test]
fn the_active_target_killed_under_load_fails_only_the_attempts_before_the_verdict() {
    let mut lab = Lab::new("kf");
    let d = lab.start().run();
    wait_who(&lab, "SYSA");
    let load = Load::start(&lab);
    std::thread::sleep(Duration::from_millis(500));
    let killed = Instant::now();
    lab.backends[0].kill9();
    std::thread::sleep(Duration::from_millis(1500));
    let outcomes = load.finish();
    // A connection started just before the kill may be cut in flight
    // (SPEC §1: a server's crash); it counts with the kill's.
    let window = killed - Duration::from_millis(100);
    let after: Vec<_> = outcomes.iter().filter(|(at, _)| *at >= window).collect();
    let failed: Vec<_> = after.iter().filter(|(_, r)| r.is_err()).collect();
    let first_b = after
        .iter()
        .find(|(_, r)| r.as_deref() == Ok("SYSB"))
        .map(|(at, _)| at.duration_since(killed));
    let before_fail = outcomes
        .iter()
        .filter(|(at, r)| *at < window && r.is_err())
        .count();
    eprintln!(
        "kernel forwarding, active target SIGKILLed: {} of {} connections failed, new connections on SYSB after {:?}",
        failed.len(),
        after.len(),
        first_b
    );
    assert_eq!(before_fail, 0, "connections failed before the kill");
    let first_b = first_b.expect("no connection went to SYSB");
    // Every failure comes before the switch (what the kernel sent to SYSA
    // before the verdict), none after.
    for (at, r) in &failed {
        assert!(
            at.saturating_duration_since(killed) <= first_b,
            "failed after the switch: {r:?}"
        );
    }
    let vdpt = d.netstat(&["vdpt"]).unwrap();
    let (st, err) = d.stop();
    assert!(st.success(), "{err}");
    assert!(
        failed.len() <= 20,
        "{} failed; the stack's log:\n{err}",
        failed.len()
    );
    assert!(
        after
            .iter()
            .skip_while(|(_, r)| r.as_deref() != Ok("SYSB"))
            .all(|(_, r)| r.as_deref() == Ok("SYSB")),
        "after the switch every connection goes to SYSB"
    );
    assert!(vdpt.contains("Rdy: 000"), "SYSA still ready:\n{vdpt}");
    assert!(
        err.contains("reset the connection attempt (conntrack)"),
        "{err}"
    );
}

/// Settings the proxy applies itself are refused in kernel mode, with
/// their place; a stack without CAP_NET_ADMIN says what it needs and
/// leaves nothing behind.
#[test]
fn proxy_settings_and_missing_privileges_are_refused_at_start() {
    let lab = Lab::new("kb");
    let Err((st, err)) = Start {
        connect: "timeout = \"300ms\"\nretry = false\n".into(),
        ..lab.start()
    }
    .try_run() else {
        panic!("started with [connect] retry in kernel mode");
    };
    assert_eq!(st.code(), Some(2), "{err}");
    assert!(
        err.contains("[connect] retry applies to forwarding = \"proxy\" only")
            && err.contains(":7:"),
        "{err}"
    );
    zha_testkit::require("setpriv", "apt-get install -y util-linux");
    let Err((st, err)) = Start {
        shell: None,
        ..lab.start()
    }
    .wrapped(&["setpriv", "--bounding-set", "-net_admin", "--"])
    .try_run() else {
        panic!("started without CAP_NET_ADMIN");
    };
    assert_eq!(st.code(), Some(2), "{err}");
    assert!(err.contains("CAP_NET_ADMIN"), "{err}");
    assert_eq!(lab.tables(), "", "a refused start left a table");
    // Nor a member of the group.
    let member = lab.folder.path().join("group/members/SYSA.json");
    assert!(
        !member.exists(),
        "a refused start stayed a member: {}",
        member.display()
    );
}

/// `up --forwarding kernel --scenario system-failure` in a namespace: the
/// whole local sysplex on the kernel path, SYSA's stack and server killed,
/// SYSB's stack takes the DVIPA over (removing SYSA's table), SYSA takes
/// it back; only connections sent before the failover was complete may
/// fail, and they are counted apart.
#[test]
fn up_runs_the_system_failure_scenario_on_the_kernel_path() {
    zha_testkit::require("nft", "apt-get install -y nftables");
    let ns = Ns::new("ku");
    let work = tempfile::tempdir().unwrap();
    let o = ns
        .command(env!("CARGO_BIN_EXE_zosmf-ha"))
        .args([
            "up",
            "--forwarding",
            "kernel",
            "--scenario",
            "system-failure",
        ])
        .args(["--startup-delay", "500ms", "--work"])
        .arg(work.path())
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let out = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("SYSB's stack took the DVIPA over"), "{out}");
    assert!(out.contains("SYSA's stack took the DVIPA back"), "{out}");
    assert!(out.contains("verdict: PASS"), "{out}");
    let tables = ns.command("nft").args(["list", "tables"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&tables.stdout).trim(),
        "",
        "tables left by up"
    );
}

/// Without root, `up --forwarding kernel` says why in one line.
#[test]
fn up_with_kernel_forwarding_without_root_says_why() {
    zha_testkit::require("setpriv", "apt-get install -y util-linux");
    let o = std::process::Command::new("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_zosmf-ha"))
        .args([
            "up",
            "--forwarding",
            "kernel",
            "--work",
            "/nonexistent/zha-up",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--forwarding kernel needs root"), "{err}");
}

/// The z/OSMF stand-in logs the client address it sees: through kernel
/// forwarding, the client's own; through the proxy with `proxy_protocol`,
/// the client's too, carried by the PROXY v2 header.
#[test]
fn the_stand_in_sees_the_clients_address_through_the_kernel_and_through_proxy_v2() {
    use crate::sysplex::{Proc, plan};
    zha_testkit::require("nft", "apt-get install -y nftables");
    zha_testkit::require("curl", "apt-get install -y curl");
    let ns = Ns::new("kc");
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let plex = plan(dir.path(), &net, true);
    let root = dir.path().join("root");
    let mut servers: Vec<Proc> = ["SYSA", "SYSB"]
        .iter()
        .map(|s| {
            let mut c = ns.command(env!("CARGO_BIN_EXE_zosmf-ha"));
            c.args([
                "server",
                "--access-log",
                "--startup-delay",
                "0s",
                "--system",
                s,
            ])
            .arg("--sysplex")
            .arg(&plex)
            .arg("--root")
            .arg(&root);
            Proc::spawn(c)
        })
        .collect();
    for (s, p) in ["SYSA", "SYSB"].iter().zip(servers.iter_mut()) {
        p.expect(&format!(
            "{s}: the z/OSMF Web application services are initialized"
        ));
    }
    let client = net.ip(77);
    let url = format!("https://{}:8443/zosmf/info", net.ip(10));
    let curl = |ns: &Ns| {
        let o = ns
            .command("curl")
            .args([
                "-sk",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "5",
            ])
            .args(["--interface", &client.to_string(), &url])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    for (mode, extra) in [("kernel", ""), ("proxy", "proxy_protocol = true\n")] {
        let config = dir.path().join(format!("{mode}.toml"));
        std::fs::write(
            &config,
            format!(
                "forwarding = \"{mode}\"\n[probe]\ninterval = \"100ms\"\n[connect]\n{extra}[state]\ndir = \"{}\"\n[systems]\nSYSA = \"{}\"\nSYSB = \"{}\"\n",
                dir.path().join(mode).display(),
                net.ip(11),
                net.ip(12)
            ),
        )
        .unwrap();
        let mut c = ns.command(env!("CARGO_BIN_EXE_zosmf-ha"));
        c.arg("distribute")
            .arg("--profile")
            .arg(plex.join("SYSA.TCPIP"))
            .arg("--config")
            .arg(&config)
            .args(["--system", "SYSA", "--group"])
            .arg(dir.path().join(mode).join("group"))
            .env("ZOSMF_HA_LOG", "info");
        let mut stack = Proc::spawn(c);
        stack.expect("SYSA owns");
        let end = Instant::now() + LIMIT;
        while curl(&ns) != "200" {
            assert!(Instant::now() < end, "{mode}: no answer through the DVIPA");
            std::thread::sleep(Duration::from_millis(100));
        }
        let line = servers[0].expect(&format!("from {client}:"));
        assert_eq!(line.contains("(PROXY v2 from"), mode == "proxy", "{line}");
        // A clean stop: the kernel stack removes its table.
        let pid = stack.child.id().to_string();
        assert!(
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let (code, out) = stack.wait();
        assert_eq!(code, 0, "{out}");
    }
}

/// The active target stops answering (its SYNs dropped, no reset): after
/// the connect timeout conntrack's unanswered attempt is a failed connect,
/// SYSA is down, and the attempt's entry is deleted — so the client's own
/// SYN retransmission is a new connection, which goes to SYSB: no client
/// fails, the slowest waits for its retransmission.
#[test]
fn an_unanswering_target_is_judged_after_the_connect_timeout_and_clients_retransmit_to_the_next() {
    let lab = Lab::new("kt");
    let d = Start {
        // Probes too slow to see it first: the verdict is conntrack's.
        probe: "interval = \"30s\"\ntimeout = \"1s\"\n".into(),
        connect: "timeout = \"500ms\"\n".into(),
        ..lab.start()
    }
    .run();
    wait_who(&lab, "SYSA");
    lab.nft(&format!(
        "table ip blackhole {{\n  chain input {{\n    type filter hook input priority 0; policy accept;\n    ip daddr {} tcp dport 8443 drop\n  }}\n}}\n",
        lab.net.ip(11)
    ));
    let cut = Instant::now();
    let dvipa = lab.dvipa();
    let clients: Vec<_> = (0..3)
        .map(|_| {
            lab.ns.spawn(move || {
                let started = Instant::now();
                let r = open(dvipa, None).map(|c| c.who).map_err(|e| e.to_string());
                (r, started.elapsed())
            })
        })
        .collect();
    let outcomes: Vec<_> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    eprintln!(
        "kernel forwarding, target unanswering: clients {:?}, switched {:?} after the cut",
        outcomes,
        cut.elapsed()
    );
    for (r, took) in &outcomes {
        assert_eq!(
            r.as_deref(),
            Ok("SYSB"),
            "a client failed or stayed ({took:?})"
        );
        assert!(*took < Duration::from_secs(5), "{took:?}");
    }
    assert_eq!(who(&lab), "SYSB");
    let (st, err) = d.stop();
    assert!(st.success(), "{err}");
    assert!(err.contains("no answer within 500ms (conntrack)"), "{err}");
}

/// A second stack started by mistake under the running one's name is
/// refused by the group before it touches the running stack's table; a
/// table deleted behind the stack's back is made again within seconds.
#[test]
fn a_second_stack_of_the_same_name_leaves_the_table_and_a_deleted_table_comes_back() {
    let lab = Lab::new("kn");
    let d = lab.start().run();
    wait_who(&lab, "SYSA");
    let Err((st, err)) = lab.start().try_run() else {
        panic!("a second SYSA started");
    };
    assert_eq!(st.code(), Some(2), "{err}");
    assert_eq!(
        who(&lab),
        "SYSA",
        "the second SYSA emptied the running one's table"
    );
    lab.nft("delete table ip zha_sysa\n");
    wait_who(&lab, "SYSA");
    let (st, err) = d.stop();
    assert!(st.success(), "{err}");
}

/// A packet of a connection conntrack no longer knows (its entry deleted,
/// as after a timeout) is not sent to a target: the host resets it, and
/// the active target stays available (a client's word is no verdict).
#[test]
fn a_forgotten_connection_is_reset_by_the_host_and_is_no_verdict() {
    use zha_distributor::conntrack::Conntrack;
    let lab = Lab::new("kg");
    let d = lab.start().run();
    wait_who(&lab, "SYSA");
    let dvipa = lab.dvipa();
    let ended = lab.ns.run(move || {
        let mut c = open(dvipa, None).unwrap();
        let local = c.stream.local_addr().unwrap();
        Conntrack::requests().unwrap().delete(local, dvipa).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let _ = c.stream.write_all(b"after\n");
        let mut buf = [0u8; 16];
        c.stream.read(&mut buf).map_err(|e| e.kind())
    });
    assert!(
        matches!(ended, Err(std::io::ErrorKind::ConnectionReset) | Ok(0)),
        "{ended:?}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let vdpt = d.netstat(&["vdpt"]).unwrap();
    assert_eq!(vdpt.matches("Rdy: 001").count(), 2, "{vdpt}");
    let (st, err) = d.stop();
    assert!(st.success(), "{err}");
    assert!(
        !err.contains("(conntrack)"),
        "a verdict from a forgotten connection:\n{err}"
    );
}

/// Two stacks on one machine, SYSA's table registered first: SYSA's stack
/// SIGKILLed leaves its table, which would go on sending new connections
/// where SYSA's stack last sent them; SYSB, taking the DVIPA over, removes
/// it (a dead member's), and new connections follow SYSB's own table.
#[test]
fn a_stack_that_takes_over_removes_the_dead_members_table() {
    let lab = Lab::new("kd");
    let mut sysa = lab.start().run();
    wait_who(&lab, "SYSA");
    let sysb = Start {
        profile: crate::distribute::profile(&lab.net, "AUTOSWITCHBACK").replace(
            "VIPADEFINE 255.255.255.0",
            "VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0",
        ),
        args: vec![
            "--system".into(),
            "SYSB".into(),
            "--group".into(),
            lab.folder.path().join("group").into(),
        ],
        ..lab.start()
    }
    .run();
    assert!(lab.tables().contains("zha_sysb"), "{}", lab.tables());
    sysa.child.kill().unwrap();
    let _ = sysa.child.wait();
    let end = Instant::now() + LIMIT;
    while lab.tables().contains("zha_sysa") {
        assert!(
            Instant::now() < end,
            "the dead member's table stayed:\n{}",
            lab.tables()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // SYSB forwards now (to SYSA's server, still the preferred target).
    wait_who(&lab, "SYSA");
    let o = sysb.zha(&["vary", "quiesce", "SYSA"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    wait_who(&lab, "SYSB");
    let (st, err) = sysb.stop();
    assert!(st.success(), "{err}");
    assert!(err.contains("removed the nftables table of SYSA"), "{err}");
}

/// Kernel forwarding counts bytes each way from conntrack's counters where
/// the host keeps them (here: this test's namespace turns them on).
#[test]
fn bytes_each_way_come_from_conntrack_where_it_counts_them() {
    let lab = Lab::new("kb");
    // This namespace's conntrack counts bytes, and forgets closed
    // connections after a second (its own sysctls; the host's are not
    // touched).
    for setting in [
        "net.netfilter.nf_conntrack_acct=1",
        "net.netfilter.nf_conntrack_tcp_timeout_time_wait=1",
        "net.netfilter.nf_conntrack_tcp_timeout_close_wait=1",
        "net.netfilter.nf_conntrack_tcp_timeout_fin_wait=1",
        "net.netfilter.nf_conntrack_tcp_timeout_last_ack=1",
        "net.netfilter.nf_conntrack_tcp_timeout_close=1",
    ] {
        let on = lab
            .ns
            .command("sysctl")
            .args(["-qw", setting])
            .status()
            .unwrap();
        assert!(on.success(), "cannot set {setting} in the test's namespace");
    }
    let metrics = SocketAddr::new(lab.net.ip(99), 19464);
    let d = lab
        .start()
        .extra(&format!("[metrics]\naddress = \"{metrics}\"\n"))
        .run();
    wait_who(&lab, "SYSA");
    let dvipa = lab.dvipa();
    lab.ns.run(move || {
        let mut c = open(dvipa, None).expect("a connection");
        assert!(echo(&mut c, 100_000, 7), "the echo differed");
    });
    let value = |direction: &str| -> Option<f64> {
        let o = lab
            .ns
            .command("curl")
            .args(["-s", &format!("http://{metrics}/metrics")])
            .output()
            .ok()?;
        let line = format!(
            "zosmf_ha_bytes_total{{service=\"{}..8443\",target=\"{}\",system=\"SYSA\",direction=\"{direction}\"}} ",
            lab.net.ip(10),
            lab.net.addr(11)
        );
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .find_map(|l| l.strip_prefix(&line).and_then(|v| v.parse().ok()))
    };
    // Conntrack forgets a closed connection at its next garbage
    // collection, which a dump of the table (netstat vcrt) brings forward.
    let end = Instant::now() + Duration::from_secs(30);
    while value("to_target").unwrap_or(0.0) < 100_000.0 {
        let _ = d.netstat(&["vcrt"]);
        if Instant::now() > end {
            let v = value("to_target");
            let (_, err) = d.stop();
            panic!("no bytes counted: to_target {v:?}\n{err}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(value("to_client").unwrap_or(0.0) >= 100_000.0);
    let (st, err) = d.stop();
    assert!(st.success(), "{err}");
}

/// The `[limits]` timeouts are the entries' own: an open connection
/// through the DVIPA expires after `idle_timeout` (77 s here), not after
/// conntrack's default of five days.
#[test]
fn the_limits_are_the_timeouts_of_the_forwarded_connections() {
    let lab = Lab::new("kt");
    let d = lab
        .start()
        .extra("[limits]\nidle_timeout = \"77s\"\n")
        .run();
    wait_who(&lab, "SYSA");
    let dvipa = lab.dvipa();
    let held = lab.ns.spawn(move || {
        let c = open(dvipa, None).expect("a connection");
        std::thread::sleep(Duration::from_millis(1500));
        drop(c);
    });
    std::thread::sleep(Duration::from_millis(700));
    let ct = lab
        .ns
        .command("cat")
        .arg("/proc/net/nf_conntrack")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&ct.stdout).into_owned();
    held.join().unwrap();
    // `ipv4 2 tcp 6 <seconds left> ESTABLISHED src=… dst=<DVIPA> …`.
    let left: Vec<u64> = table
        .lines()
        .filter(|l| l.contains(" ESTABLISHED ") && l.contains(&format!("dst={} ", dvipa.ip())))
        .filter_map(|l| l.split_whitespace().nth(4)?.parse().ok())
        .collect();
    assert!(
        !left.is_empty(),
        "no forwarded connection in conntrack:\n{table}"
    );
    assert!(
        left.iter().all(|s| *s <= 77),
        "the idle timeout is not the entries' (seconds left {left:?}):\n{table}"
    );
    let (st, err) = d.stop();
    assert!(st.success(), "{err}");
}
