//! The sysplex group across hosts (SPEC §7): "systems" are network
//! namespaces on a bridge that the test makes — SYSA and SYSB, each with
//! its stack (`distribute --system … --etcd … --interface eth0`) and its
//! server, a client, and etcd on the bridge's own namespace — and the DVIPA
//! moves between the systems' interfaces. Everything is named after the
//! test process and removed when the test ends, however it ends; the
//! host's own namespace is never touched. Needs root and iproute2, etcd
//! (Debian's etcd-server) and nftables: a test that cannot set up says so
//! in one line and fails.
//!
//! The commands are those of the README's recipe for real hosts.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::distribute::Backend;
use crate::*;

/// Every wait here is bounded by this.
const LIMIT: Duration = Duration::from_secs(20);
const PORT: u16 = 8443;
const SUBNET: &str = "10.201.1";

static NEXT: AtomicU32 = AtomicU32::new(0);

fn ip(args: &[&str]) -> Result<String, String> {
    let o = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if o.status.success() {
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).trim().to_owned())
    }
}

fn must(args: &[&str]) -> String {
    ip(args).unwrap_or_else(|e| panic!("ip {}: {e}", args.join(" ")))
}

fn addr(host: u8) -> IpAddr {
    format!("{SUBNET}.{host}").parse().unwrap()
}

/// The lab: namespaces `<tag>-br` (the bridge and etcd), `<tag>-a`,
/// `<tag>-b` (the systems) and `<tag>-c` (the client). Dropping it kills
/// what runs in them and deletes them.
struct Lab {
    tag: String,
    dir: tempfile::TempDir,
    etcd: Option<Child>,
    /// The systems' servers, SYSA's first.
    backends: Vec<Backend>,
}

impl Lab {
    fn new() -> Lab {
        zha_testkit::require("ip", "apt-get install -y iproute2");
        let k = NEXT.fetch_add(1, Ordering::SeqCst);
        let mut lab = Lab {
            tag: format!("zha{}-{k}", std::process::id()),
            dir: tempfile::tempdir().unwrap(),
            etcd: None,
            backends: Vec::new(),
        };
        let br = lab.ns("br");
        if let Err(e) = ip(&["netns", "add", &br]) {
            panic!(
                "this test needs network namespaces (root and iproute2): `ip netns add {br}` failed: {e}"
            );
        }
        must(&["-n", &br, "link", "add", "zbr", "type", "bridge"]);
        must(&["-n", &br, "link", "set", "zbr", "up"]);
        must(&["-n", &br, "link", "set", "lo", "up"]);
        must(&[
            "-n",
            &br,
            "addr",
            "add",
            &format!("{SUBNET}.1/24"),
            "dev",
            "zbr",
        ]);
        for (name, host) in [("a", 11), ("b", 12), ("c", 100)] {
            let ns = lab.ns(name);
            must(&["netns", "add", &ns]);
            let peer = format!("v{name}");
            must(&[
                "-n", &ns, "link", "add", "eth0", "type", "veth", "peer", "name", &peer, "netns",
                &br,
            ]);
            must(&["-n", &br, "link", "set", &peer, "master", "zbr", "up"]);
            must(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{SUBNET}.{host}/24"),
                "dev",
                "eth0",
            ]);
            must(&["-n", &ns, "link", "set", "eth0", "up"]);
            must(&["-n", &ns, "link", "set", "lo", "up"]);
        }
        for (name, dev) in [("a", "eth0"), ("b", "eth0"), ("c", "eth0"), ("br", "zbr")] {
            lab.wait_up(name, dev);
        }
        lab.start_etcd();
        lab
    }

    /// Wait until a link is up with its queue: the kernel drops what is
    /// sent on a link in its first moments (until its link watch attaches
    /// the queue, up to a second), announcements too — as on a host that
    /// has just booted, before any service starts.
    fn wait_up(&self, name: &str, dev: &str) {
        let ns = self.ns(name);
        let end = Instant::now() + LIMIT;
        loop {
            let out = must(&["-n", &ns, "-j", "link", "show", dev]);
            let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
            if v[0]["operstate"].as_str() == Some("UP")
                && v[0]["qdisc"].as_str().is_some_and(|q| q != "noop")
            {
                return;
            }
            assert!(Instant::now() < end, "{dev} in {ns} does not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn ns(&self, name: &str) -> String {
        format!("{}-{name}", self.tag)
    }

    fn url(&self) -> String {
        format!("http://{SUBNET}.1:2379")
    }

    /// etcd in the bridge's namespace, tuned as the README says (leases of
    /// one second).
    fn start_etcd(&mut self) {
        let etcd = zha_testkit::require("etcd", "apt-get install -y etcd-server");
        let (client, peer) = (self.url(), format!("http://{SUBNET}.1:2380"));
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns("br")])
            .arg(etcd)
            .args(["--name", "zha", "--data-dir"])
            .arg(self.dir.path().join("etcd"))
            .args(["--listen-client-urls", &client])
            .args(["--advertise-client-urls", &client])
            .args(["--listen-peer-urls", &peer])
            .args(["--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &format!("zha={peer}")])
            .args(["--heartbeat-interval", "50", "--election-timeout", "250"])
            .args(["--log-level", "error"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.etcd = Some(child);
        let end = Instant::now() + Duration::from_secs(30);
        while !self.in_ns("c", || TcpStream::connect((addr(1), 2379)).is_ok()) {
            assert!(Instant::now() < end, "etcd did not start at {}", self.url());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Run `f` on a thread inside namespace `name` (a network namespace is
    /// per thread).
    fn in_ns<T: Send + 'static>(&self, name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = PathBuf::from("/run/netns").join(self.ns(name));
        std::thread::spawn(move || {
            enter(&path);
            f()
        })
        .join()
        .unwrap()
    }

    /// A system's profile: SYSA defines the DVIPA, SYSB backs it up; both
    /// distribute it to SYSA (preferred) and SYSB.
    fn profile(&self, system: &str) -> PathBuf {
        let (me, vipa) = match system {
            "SYSA" => (addr(11), "VIPADEFINE".to_owned()),
            _ => (addr(12), "VIPABACKUP 100 MOVEABLE IMMEDIATE".to_owned()),
        };
        let text = format!(
            "IPCONFIG SYSPLEXROUTING DYNAMICXCF {me} 255.255.255.0 1\nVIPADYNAMIC\n  {vipa} 255.255.255.0 {d}\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY AUTOSWITCHBACK {d} PORT {PORT}\n    DESTIP {a} PREFERRED {b} BACKUP\nENDVIPADYNAMIC\n",
            d = addr(10),
            a = addr(11),
            b = addr(12)
        );
        let p = self.dir.path().join(format!("{system}.TCPIP"));
        std::fs::write(&p, text).unwrap();
        p
    }

    fn config(&self, system: &str) -> PathBuf {
        let p = self.dir.path().join(format!("{system}.toml"));
        std::fs::write(
            &p,
            format!(
                "[probe]\ninterval = \"100ms\"\ntimeout = \"300ms\"\n[connect]\ntimeout = \"300ms\"\n[state]\ndir = \"{}\"\n[systems]\nSYSA = \"{}\"\nSYSB = \"{}\"\n",
                self.dir.path().join(format!("state-{system}")).display(),
                addr(11),
                addr(12)
            ),
        )
        .unwrap();
        p
    }

    /// A system's stack in its namespace; its log goes to a file.
    fn stack(&mut self, system: &str) -> Stack {
        self.stack_as(system, &[])
    }

    /// A system's stack, its binary run through `wrapper` (e.g. `setpriv`).
    fn stack_as(&mut self, system: &str, wrapper: &[&str]) -> Stack {
        let ns = self.ns(if system == "SYSA" { "a" } else { "b" });
        let log = self.dir.path().join(format!("{system}.log"));
        let (profile, config) = (self.profile(system), self.config(system));
        let child = Command::new("ip")
            .args(["netns", "exec", &ns])
            .args(wrapper)
            .arg(env!("CARGO_BIN_EXE_zosmf-ha"))
            .args(["distribute", "--system", system, "--etcd", &self.url()])
            .args(["--interface", "eth0", "--sysplex", &self.tag])
            .arg("--profile")
            .arg(&profile)
            .arg("--config")
            .arg(&config)
            .env("ZOSMF_HA_LOG", "info")
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Stack {
            system: system.to_owned(),
            child,
            config,
            log,
        }
    }

    /// Whether a system's interface holds the DVIPA.
    fn holds(&self, name: &str) -> bool {
        must(&["-n", &self.ns(name), "addr", "show", "dev", "eth0"])
            .contains(&format!("{}/32", addr(10)))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for b in &mut self.backends {
            b.kill9();
        }
        if let Some(c) = self.etcd.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for name in ["a", "b", "c", "br"] {
            let _ = ip(&["netns", "del", &self.ns(name)]);
        }
    }
}

struct Stack {
    system: String,
    child: Child,
    config: PathBuf,
    log: PathBuf,
}

impl Stack {
    fn zha(&self, args: &[&str]) -> std::process::Output {
        bin()
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .args(["--system", &self.system])
            .output()
            .unwrap()
    }

    /// Whether this stack owns the DVIPA (its VIPADYN).
    fn owns(&self) -> bool {
        let o = self.zha(&["netstat", "vipadyn", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        v["vipas"][0]["active"].as_bool() == Some(true)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The time of the first log line that contains `what`.
    fn logged(&self, what: &str) -> Option<SystemTime> {
        self.logged_after(what, SystemTime::UNIX_EPOCH)
    }

    /// The time of the first log line after `after` that contains `what`.
    fn logged_after(&self, what: &str, after: SystemTime) -> Option<SystemTime> {
        self.log()
            .lines()
            .filter(|l| l.contains(what))
            .filter_map(|l| humantime::parse_rfc3339(l.split_whitespace().next()?).ok())
            .find(|t| *t >= after)
    }

    fn wait_for(&mut self, what: &str, mut ok: impl FnMut(&Stack) -> bool) {
        let end = Instant::now() + LIMIT;
        while !ok(self) {
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!("{}'s stack ended ({st}):\n{}", self.system, self.log());
            }
            assert!(
                Instant::now() < end,
                "{}: {what} after {LIMIT:?}:\n{}",
                self.system,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One client connection through the DVIPA.
struct Outcome {
    started: Instant,
    connect: Option<Duration>,
    ok: bool,
    /// Why it failed.
    error: String,
    ended: Instant,
}

/// Move this thread into the network namespace at `path`.
fn enter(path: &std::path::Path) {
    let file = std::fs::File::open(path).unwrap();
    rustix::thread::move_into_link_name_space(
        file.as_fd(),
        Some(rustix::thread::LinkNameSpaceType::Network),
    )
    .unwrap();
}

/// A client in namespace `c`: a new connection every 5 ms until `stop`.
fn client(lab: &Lab, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<Outcome>> {
    let path = PathBuf::from("/run/netns").join(lab.ns("c"));
    std::thread::spawn(move || {
        enter(&path);
        let dvipa = SocketAddr::new(addr(10), PORT);
        let mut out = Vec::new();
        let end = Instant::now() + Duration::from_secs(60);
        while !stop.load(Ordering::Relaxed) && Instant::now() < end {
            let started = Instant::now();
            let (connect, ok, error) =
                match TcpStream::connect_timeout(&dvipa, Duration::from_secs(5)) {
                    Err(e) => (None, false, format!("connect: {e}")),
                    Ok(mut c) => {
                        let connect = Some(started.elapsed());
                        let _ = c.set_read_timeout(Some(Duration::from_secs(3)));
                        let mut buf = [0u8; 64];
                        let r = c.write_all(b"who\n").and_then(|()| c.read(&mut buf));
                        match r {
                            Ok(n) if n > 0 => (connect, true, String::new()),
                            Ok(_) => (connect, false, "closed before any byte".into()),
                            Err(e) => (connect, false, format!("after connect: {e}")),
                        }
                    }
                };
            out.push(Outcome {
                started,
                connect,
                ok,
                error,
                ended: Instant::now(),
            });
            std::thread::sleep(Duration::from_millis(5));
        }
        out
    })
}

/// SYSA's stack and server, SYSB's, both started; SYSA owns the DVIPA.
fn sysplex(lab: &mut Lab) -> (Stack, Stack) {
    let a = Backend::start_in(&lab.ns("a"), SocketAddr::new(addr(11), PORT), "SYSA");
    let b = Backend::start_in(&lab.ns("b"), SocketAddr::new(addr(12), PORT), "SYSB");
    lab.backends.push(a);
    lab.backends.push(b);
    let mut sysa = lab.stack("SYSA");
    sysa.wait_for("does not own the DVIPA", |s| s.owns());
    let mut sysb = lab.stack("SYSB");
    sysb.wait_for("does not back the DVIPA up", |s| {
        s.log().contains("its first probes are in")
    });
    assert!(lab.holds("a") && !lab.holds("b"));
    (sysa, sysb)
}

/// How many times the owning host dies in a row.
const DEATHS: usize = 10;
/// The pause after each move of the DVIPA.
const SETTLE: Duration = Duration::from_millis(1500);

#[test]
fn the_owning_host_dies_ten_times_and_no_client_connection_fails() {
    let mut lab = Lab::new();
    let (mut sysa, mut sysb) = sysplex(&mut lab);
    let stop = Arc::new(AtomicBool::new(false));
    let load = client(&lab, stop.clone());
    std::thread::sleep(Duration::from_millis(500));
    let mut deaths: Vec<Instant> = Vec::new();
    // A takeback moves the address from SYSB to SYSA: from SYSB's "no
    // longer owns" to SYSA's "added", as their logs say.
    let mut takebacks: Vec<(Instant, Instant)> = Vec::new();
    let mut takeovers: Vec<Duration> = Vec::new();
    for _ in 0..DEATHS {
        // SYSA dies: its link first, then its processes.
        must(&["-n", &lab.ns("a"), "link", "set", "eth0", "down"]);
        let died = Instant::now();
        let died_at = SystemTime::now();
        let _ = sysa.child.kill();
        let _ = sysa.child.wait();
        lab.backends[0].kill9();
        deaths.push(died);
        sysb.wait_for("does not take the DVIPA over", |s| s.owns());
        assert!(lab.holds("b"), "SYSB's interface does not hold the DVIPA");
        let took = sysb
            .logged_after("SYSB owns ", died_at)
            .and_then(|t| t.duration_since(died_at).ok())
            .unwrap_or_else(|| panic!("no takeover in SYSB's log:\n{}", sysb.log()));
        takeovers.push(took);
        // Moves spaced as in life: a client's SYN lost in one is sent
        // again a second later (and again 2 s after that), before the next.
        std::thread::sleep(SETTLE);
        // SYSA boots again (addresses are not kept across a boot): its
        // server, then its stack, which takes the DVIPA back.
        must(&[
            "-n",
            &lab.ns("a"),
            "addr",
            "del",
            &format!("{}/32", addr(10)),
            "dev",
            "eth0",
        ]);
        must(&["-n", &lab.ns("a"), "link", "set", "eth0", "up"]);
        lab.wait_up("a", "eth0");
        lab.backends[0] = Backend::start_in(&lab.ns("a"), SocketAddr::new(addr(11), PORT), "SYSA");
        sysa = lab.stack("SYSA");
        sysa.wait_for("does not take the DVIPA back", |s| s.owns());
        let end = Instant::now() + LIMIT;
        while lab.holds("b") || !lab.holds("a") {
            assert!(Instant::now() < end, "the DVIPA did not move back to SYSA");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Log times on this machine's clock, as instants.
        let at = |t: Option<SystemTime>, what: &str| {
            let ago = t
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .unwrap_or_else(|| panic!("no {what} in the logs"));
            Instant::now() - ago
        };
        takebacks.push((
            at(
                sysb.logged_after("SYSB no longer owns", died_at),
                "SYSB letting go",
            ),
            at(
                sysa.logged_after("SYSA added", died_at),
                "SYSA adding the DVIPA",
            ),
        ));
        std::thread::sleep(SETTLE);
    }
    stop.store(true, Ordering::Relaxed);
    let outcomes = load.join().unwrap();

    // Connections open on SYSA when it died are cut with it (SPEC §1); an
    // IMMEDIATE takeback across hosts cuts those open through SYSB (SPEC
    // §7: the address moves under them). Both reported apart; every other
    // connection succeeded.
    // Which move cut a connection: the first one after it connected and
    // before it ended.
    let cut_by = |o: &Outcome| {
        let connected = o.started + o.connect?;
        let first = |moves: &[Instant]| {
            moves
                .iter()
                .copied()
                .filter(|m| *m > connected && *m <= o.ended)
                .min()
        };
        // A connection made before the address reached SYSA and ended
        // after it left SYSB.
        let back = takebacks
            .iter()
            .filter(|(from, to)| connected < *to && o.ended > *from)
            .map(|(from, _)| *from)
            .min();
        match (first(&deaths), back) {
            (Some(d), Some(b)) => Some(if d < b { "death" } else { "takeback" }),
            (Some(_), None) => Some("death"),
            (None, Some(_)) => Some("takeback"),
            (None, None) => None,
        }
    };
    let not_ok: Vec<&Outcome> = outcomes.iter().filter(|o| !o.ok).collect();
    let cut = not_ok.iter().filter(|o| cut_by(o) == Some("death")).count();
    let cut_back = not_ok
        .iter()
        .filter(|o| cut_by(o) == Some("takeback"))
        .count();
    let failed = not_ok.iter().filter(|o| cut_by(o).is_none()).count();
    let max_connect = outcomes
        .iter()
        .filter_map(|o| o.connect)
        .max()
        .unwrap_or_default();
    takeovers.sort();
    eprintln!(
        "hosts: {DEATHS} deaths of the owning host; takeover p50 {} ms, max {} ms (from its link going down to SYSB serving); {} connections, {failed} failed, {cut} cut with SYSA, {cut_back} cut by the takeback; max connect {} ms",
        takeovers[DEATHS / 2].as_millis(),
        takeovers[DEATHS - 1].as_millis(),
        outcomes.len(),
        max_connect.as_millis()
    );
    let since = |t: Instant| {
        let d = deaths.iter().filter(|d| **d <= t).max();
        let b = takebacks.iter().map(|b| b.0).filter(|b| *b <= t).max();
        format!(
            "{} ms after a death, {} ms after a takeback",
            d.map_or(-1, |d| (t - *d).as_millis() as i64),
            b.map_or(-1, |b| (t - b).as_millis() as i64)
        )
    };
    for o in outcomes.iter().filter(|o| !o.ok) {
        eprintln!(
            "  not ok: started {}; connect {:?}; {}",
            since(o.started),
            o.connect,
            o.error
        );
    }
    assert!(outcomes.len() > 200, "only {} connections", outcomes.len());
    assert_eq!(
        failed,
        0,
        "failed client connections; SYSB's log:\n{}",
        sysb.log()
    );
    // Loose: SPEC §7's 1 s is a figure to report, not to assert.
    assert!(
        takeovers[DEATHS - 1] < Duration::from_secs(5),
        "{takeovers:?}"
    );
}

#[test]
fn a_partitioned_owner_stops_serving_before_the_backup_starts() {
    let nft = zha_testkit::require("nft", "apt-get install -y nftables");
    let mut lab = Lab::new();
    let (mut sysa, mut sysb) = sysplex(&mut lab);
    // SYSA loses etcd, and only etcd: its clients still reach it.
    let rule = format!(
        "table inet zha_cut {{\n chain out {{\n  type filter hook output priority 0;\n  ip daddr {} tcp dport 2379 drop\n }}\n}}\n",
        addr(1)
    );
    let o = Command::new("ip")
        .args(["netns", "exec", &lab.ns("a")])
        .arg(&nft)
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(rule.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(
        o.status.success(),
        "nft: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    sysb.wait_for("does not take the DVIPA over", |s| s.owns());
    sysa.wait_for("does not fence itself", |s| s.log().contains("fenced"));
    let fenced = sysa.logged("fenced").unwrap();
    let stopped = sysa.logged("no longer owns").unwrap_or(fenced);
    let served = sysb.logged("owns ").unwrap();
    eprintln!(
        "partition: SYSA stopped serving {} ms before SYSB started",
        served
            .duration_since(stopped.min(fenced))
            .map_or(-1, |d| d.as_millis() as i64)
    );
    assert!(
        stopped.min(fenced) < served,
        "two owners: SYSA stopped at {stopped:?}, SYSB served at {served:?}\nSYSA:\n{}\nSYSB:\n{}",
        sysa.log(),
        sysb.log()
    );
    // The address moved: SYSA removed it (by its fence, etcd or not)
    // before SYSB put it on.
    let end = Instant::now() + LIMIT;
    while lab.holds("a") {
        assert!(Instant::now() < end, "SYSA still holds the DVIPA");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(lab.holds("b"));
    let removed = sysa.logged("removed 10.201.1.10 from eth0").unwrap();
    let added = sysb.logged("added 10.201.1.10 to eth0").unwrap();
    assert!(
        removed < added,
        "SYSA removed the DVIPA at {removed:?}, SYSB added it at {added:?}"
    );
    // etcd back: SYSA joins again and takes the DVIPA back (IMMEDIATE).
    let o = Command::new("ip")
        .args(["netns", "exec", &lab.ns("a")])
        .arg(&nft)
        .args(["delete", "table", "inet", "zha_cut"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "nft: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    sysa.wait_for("does not take the DVIPA back", |s| s.owns());
    let end = Instant::now() + LIMIT;
    while !lab.holds("a") || lab.holds("b") {
        assert!(Instant::now() < end, "the DVIPA did not move back to SYSA");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A clean stop (SIGTERM) leaves the group and takes the DVIPA off the
    // interface before the process ends; SYSB takes it over.
    let ok = Command::new("kill")
        .args(["-TERM", &sysa.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let end = Instant::now() + LIMIT;
    while sysa.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < end, "SYSA's stack did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !lab.holds("a"),
        "SYSA's stack stopped and left the DVIPA on its interface"
    );
    sysb.wait_for("does not take the DVIPA over", |s| s.owns());
}

/// Start SYSA's stack without `cap`: it must exit 2 and name it.
fn refused_without(cap: &str, named: &str) {
    zha_testkit::require("setpriv", "apt-get install -y util-linux");
    let mut lab = Lab::new();
    let drop = format!("-{cap}");
    let mut sysa = lab.stack_as("SYSA", &["setpriv", "--bounding-set", &drop, "--"]);
    let end = Instant::now() + LIMIT;
    let status = loop {
        if let Some(st) = sysa.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            Instant::now() < end,
            "it started without {cap}:\n{}",
            sysa.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let log = sysa.log();
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(log.contains(named), "{log}");
    assert!(!lab.holds("a"));
}

#[test]
fn a_stack_without_the_privileges_does_not_start_and_says_which() {
    refused_without("net_raw", "needs CAP_NET_RAW");
    refused_without("net_admin", "needs CAP_NET_ADMIN");
}

#[test]
fn etcd_unreachable_at_start_is_a_clear_error_and_nothing_is_served() {
    let mut lab = Lab::new();
    if let Some(mut e) = lab.etcd.take() {
        let _ = e.kill();
        let _ = e.wait();
    }
    let mut sysa = lab.stack("SYSA");
    let end = Instant::now() + LIMIT;
    let status = loop {
        if let Some(st) = sysa.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < end, "it started without etcd");
        std::thread::sleep(Duration::from_millis(20));
    };
    let log = sysa.log();
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(log.contains("etcd http://10.201.1.1:2379"), "{log}");
    assert!(!lab.holds("a"));
}
