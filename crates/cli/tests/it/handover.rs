//! Hand-over (SPEC §1): a distributor replaced under load refuses no
//! client — by `distribute --hand-over` over the control socket, and by
//! systemd's file descriptor store (this test plays the service manager's
//! side of sd_notify(3) and sd_listen_fds(3): systemd itself cannot run
//! here, it is not PID 1).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::Net;
use crate::distribute::{Backend, Distributor, LIMIT, Start, lines_with, profile};

/// What the clients saw.
#[derive(Debug, Default)]
struct Tally {
    ok: u64,
    refused: u64,
    failed: Vec<String>,
}

/// Clients in a loop through the DVIPA until finished: each connects, asks
/// and reads its answer (bounded in count and time).
struct Load {
    stop: Arc<AtomicBool>,
    served: Arc<AtomicU64>,
    threads: Vec<JoinHandle<Tally>>,
}

impl Load {
    fn start(addr: SocketAddr, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicU64::new(0));
        let threads = (0..clients)
            .map(|_| {
                let (stop, served) = (stop.clone(), served.clone());
                std::thread::spawn(move || {
                    let mut t = Tally::default();
                    for _ in 0..200_000 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        match once(addr) {
                            Ok(()) => {
                                t.ok += 1;
                                served.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                                t.refused += 1;
                            }
                            Err(e) => t.failed.push(e.to_string()),
                        }
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    t
                })
            })
            .collect();
        Load {
            stop,
            served,
            threads,
        }
    }

    /// Wait until `n` more clients were served.
    fn wait_served(&self, n: u64) {
        let want = self.served.load(Ordering::Relaxed) + n;
        let end = Instant::now() + LIMIT;
        while self.served.load(Ordering::Relaxed) < want {
            assert!(Instant::now() < end, "clients are not served");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn finish(self) -> Tally {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Tally::default();
        for t in self.threads {
            let t = t.join().unwrap();
            all.ok += t.ok;
            all.refused += t.refused;
            all.failed.extend(t.failed);
        }
        all
    }
}

/// One client: connect, ask, read a name back.
fn once(addr: SocketAddr) -> std::io::Result<()> {
    let mut c = TcpStream::connect_timeout(&addr, LIMIT)?;
    c.set_read_timeout(Some(LIMIT))?;
    c.write_all(b"who\n")?;
    let mut buf = [0u8; 16];
    match c.read(&mut buf)? {
        0 => Err(std::io::Error::other("closed before any answer")),
        _ => Ok(()),
    }
}

fn quiet(net: &Net) -> Start<'_> {
    // No access log: thousands of clients would fill the piped stderr.
    Start::new(net).extra("[log]\naccess = false\n")
}

#[test]
fn restarts_with_hand_over_refuse_no_client_under_load() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let mut d = quiet(&net).run();
    d.wait_for(|| d.active().is_some());
    let load = Load::start(net.addr(10), 4);
    load.wait_served(50);
    // Three restarts in a row, each handing over to the next.
    for _ in 0..3 {
        let next = d.successor();
        // The predecessor stops once the successor accepts, and drains.
        let (status, err) = d.wait();
        assert!(status.success(), "{err}");
        assert_eq!(lines_with(&err, "ZHA3032I").len(), 1, "{err}");
        assert!(lines_with(&err, "ZHA3033W").is_empty(), "{err}");
        d = next;
        load.wait_served(50);
    }
    let t = load.finish();
    eprintln!(
        "clients across 3 hand-overs: {} served, {} refused, {} failed",
        t.ok,
        t.refused,
        t.failed.len()
    );
    assert_eq!(t.refused, 0, "{t:?}");
    assert!(t.failed.is_empty(), "{t:?}");
    assert!(t.ok >= 200, "{t:?}");
    // The last one runs on the sockets handed over, answers on the control
    // socket it was handed, and stops like any other.
    assert!(d.active().is_some());
    let (status, err) = d.stop();
    assert!(status.success(), "{err}");
    assert!(!lines_with(&err, "ZHA3031I").is_empty(), "{err}");
    assert!(!lines_with(&err, "ZHA3016I").is_empty(), "{err}");
}

#[test]
fn a_successor_that_fails_leaves_the_running_distributor_serving() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let d = quiet(&net).run();
    d.wait_for(|| d.active().is_some());
    // The successor's profile adds a DVIPA that is not on this machine: it
    // gets the sockets, cannot bind the new port, and ends.
    let bad = d.dir.path().join("BAD.TCPIP");
    std::fs::write(
        &bad,
        profile(&net, "AUTOSWITCHBACK").replace(
            "ENDVIPADYNAMIC",
            &format!(
                "  VIPADEFINE 255.255.255.0 192.0.2.77\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 192.0.2.77 PORT 8443\n    DESTIP {} PREFERRED {} BACKUP\nENDVIPADYNAMIC",
                net.ip(11),
                net.ip(12)
            ),
        ),
    )
    .unwrap();
    let mut args = d.args();
    args[2] = bad.into();
    let mut c = Command::new(env!("CARGO_BIN_EXE_zosmf-ha"));
    c.args(args).arg("--hand-over");
    let (status, err) = d.spawn_like(c).wait();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("192.0.2.77"), "{err}");
    // The running one goes on: clients and the control socket.
    d.wait_for(|| once(net.addr(10)).is_ok());
    assert!(d.active().is_some());
    // And a good successor still takes over from it afterwards.
    let next = d.successor();
    let (status, err) = d.wait();
    assert!(status.success(), "{err}");
    assert_eq!(lines_with(&err, "ZHA3033W").len(), 1, "{err}");
    assert_eq!(lines_with(&err, "ZHA3032I").len(), 1, "{err}");
    next.wait_for(|| once(net.addr(10)).is_ok());
    let (status, err) = next.stop();
    assert!(status.success(), "{err}");
}

#[test]
fn hand_over_with_nobody_running_starts_afresh() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let mut d = quiet(&net).run();
    d.signal("TERM");
    let end = Instant::now() + LIMIT;
    while d.alive() {
        assert!(Instant::now() < end, "the distributor did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    let next = d.successor();
    next.wait_for(|| once(net.addr(10)).is_ok());
    let (status, err) = next.stop();
    assert!(status.success(), "{err}");
    assert!(err.contains("nothing to hand over"), "{err}");
}

#[test]
fn the_predecessor_accepts_until_the_successor_has_its_first_round() {
    let net = Net::new();
    let _a = Backend::start_as(net.addr(11), "SYSA", "http");
    // SYSB accepts and never answers: an HTTP probe of it takes the whole
    // probe timeout, so a first round lasts 2 s.
    let _b = Backend::start_as(net.addr(12), "SYSB", "silent");
    let mut d = Start {
        probe: "interval = \"500ms\"\ntimeout = \"2s\"\n[probe.http]\ntls = false\npath = \"/\"\n"
            .into(),
        ..quiet(&net)
    }
    .run();
    d.wait_for(|| d.active().is_some());
    let started = Instant::now();
    let next = d.successor();
    // Within its first round the successor neither accepts nor answers on
    // the control socket: the predecessor still does both.
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        d.alive(),
        "the predecessor stopped before the successor's first round"
    );
    assert!(once(net.addr(10)).is_ok());
    assert!(d.active().is_some());
    let (status, err) = d.wait();
    let took = started.elapsed();
    assert!(status.success(), "{err}");
    assert_eq!(lines_with(&err, "ZHA3032I").len(), 1, "{err}");
    assert!(
        took >= Duration::from_millis(1500),
        "the predecessor stopped {took:?} after the successor started, before its first round could end"
    );
    next.wait_for(|| once(net.addr(10)).is_ok());
    let (status, err) = next.stop();
    assert!(status.success(), "{err}");
}

/// The service manager's side of sd_notify(3): a datagram socket whose
/// messages may carry descriptors; those sent with FDSTORE=1 are kept
/// under their FDNAME, as systemd keeps them for the next start.
struct Manager {
    sock: std::os::unix::net::UnixDatagram,
    path: std::path::PathBuf,
    store: Vec<(String, OwnedFd)>,
}

impl Manager {
    fn new(dir: &std::path::Path) -> Manager {
        let path = dir.join("notify");
        let sock = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(LIMIT)).unwrap();
        Manager {
            sock,
            path,
            store: Vec::new(),
        }
    }

    /// Read messages until one says `want` (bounded by LIMIT each).
    fn until(&mut self, want: &str) {
        use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
        use std::mem::MaybeUninit;
        for _ in 0..1000 {
            let mut buf = [0u8; 4096];
            let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(16))];
            let mut cmsg = RecvAncillaryBuffer::new(&mut space);
            let r = rustix::net::recvmsg(
                &self.sock,
                &mut [std::io::IoSliceMut::new(&mut buf)],
                &mut cmsg,
                RecvFlags::CMSG_CLOEXEC,
            )
            .expect("no message from the distributor");
            let mut fds = Vec::new();
            for m in cmsg.drain() {
                if let RecvAncillaryMessage::ScmRights(got) = m {
                    fds.extend(got);
                }
            }
            let text = String::from_utf8_lossy(&buf[..r.bytes]).into_owned();
            let lines: Vec<&str> = text.lines().collect();
            let name = lines
                .iter()
                .find_map(|l| l.strip_prefix("FDNAME="))
                .unwrap_or("stored")
                .to_owned();
            if lines.contains(&"FDSTORE=1") {
                for fd in fds {
                    self.store.push((name.clone(), fd));
                }
            } else if lines.contains(&"FDSTOREREMOVE=1") {
                self.store.retain(|(n, _)| *n != name);
            }
            if lines.contains(&want) {
                return;
            }
        }
        panic!("no {want} from the distributor");
    }

    /// Start a distributor the way systemd passes the store: descriptors
    /// from 3 on, LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID.
    #[allow(unsafe_code)]
    fn start(&self, like: &Distributor) -> Distributor {
        use std::os::unix::process::CommandExt;
        // Out of the way of 3.., so that no dup2 overwrites another's source.
        let high: Vec<OwnedFd> = self
            .store
            .iter()
            .map(|(_, fd)| rustix::io::fcntl_dupfd_cloexec(fd, 100).unwrap())
            .collect();
        let raw: Vec<i32> = high.iter().map(|f| f.as_raw_fd()).collect();
        let names: Vec<&str> = self.store.iter().map(|(n, _)| n.as_str()).collect();
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg("LISTEN_PID=$$; export LISTEN_PID; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_zosmf-ha"))
            .args(like.args())
            .env("LISTEN_FDS", raw.len().to_string())
            .env("LISTEN_FDNAMES", names.join(":"))
            .env("NOTIFY_SOCKET", &self.path);
        // SAFETY: only dup2(2), async-signal-safe, between fork and exec.
        unsafe {
            c.pre_exec(move || {
                for (i, fd) in raw.iter().enumerate() {
                    if libc::dup2(*fd, 3 + i as i32) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let d = like.spawn_like(c);
        drop(high);
        d
    }
}

#[test]
fn systemd_keeps_every_listening_socket_and_a_restart_on_them_refuses_no_client() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let dir = tempfile::tempdir().unwrap();
    let mut manager = Manager::new(dir.path());
    let mut d = Start {
        env: vec![("NOTIFY_SOCKET".into(), manager.path.display().to_string())],
        ..quiet(&net)
    }
    .run();
    manager.until("READY=1");
    let names: Vec<&str> = manager.store.iter().map(|(n, _)| n.as_str()).collect();
    let listen = format!("listen-{}-8443", net.ip(10));
    assert!(names.contains(&listen.as_str()), "{names:?}");
    assert!(names.contains(&"control"), "{names:?}");
    d.wait_for(|| d.active().is_some());
    let load = Load::start(net.addr(10), 4);
    load.wait_served(50);
    // `systemctl restart`: SIGTERM, wait for the end, start again with the
    // store. Meanwhile clients wait in the accept queue the store keeps.
    d.signal("TERM");
    let end = Instant::now() + LIMIT;
    while d.alive() {
        assert!(Instant::now() < end, "the distributor did not stop");
        std::thread::sleep(Duration::from_millis(10));
    }
    manager.until("STOPPING=1");
    std::thread::sleep(Duration::from_millis(300));
    // A socket in the store the profile no longer uses (a port removed
    // meanwhile): the next start closes it and takes it out of the store.
    let old = std::net::TcpListener::bind(net.0.addr(10, 9999)).unwrap();
    manager.store.push(("listen-old".into(), old.into()));
    let next = manager.start(&d);
    manager.until("READY=1");
    assert!(
        !manager.store.iter().any(|(n, _)| n == "listen-old"),
        "the unused socket is still stored"
    );
    load.wait_served(100);
    let t = load.finish();
    eprintln!(
        "clients across a restart on the stored sockets: {} served, {} refused, {} failed",
        t.ok,
        t.refused,
        t.failed.len()
    );
    assert_eq!(t.refused, 0, "{t:?}");
    assert!(t.failed.is_empty(), "{t:?}");
    let (status, err) = next.stop();
    assert!(status.success(), "{err}");
    assert!(
        lines_with(&err, "ZHA3031I")
            .iter()
            .any(|l| l.contains("passed by systemd")),
        "{err}"
    );
}

/// The unit in contrib/systemd, as systemd runs it: ExecStartPre's
/// `distribute --check`, then ExecStart with NOTIFY_SOCKET (this test's),
/// WATCHDOG_USEC and STATE_DIRECTORY; it says READY=1, pings the watchdog,
/// keeps its state in the state directory, and says STOPPING=1 on SIGTERM.
#[test]
fn the_systemd_unit_runs_as_systemd_would_run_it() {
    let unit =
        std::fs::read_to_string(crate::root().join("contrib/systemd/zosmf-ha-distribute.service"))
            .unwrap();
    let line = |key: &str| -> Vec<String> {
        unit.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in the unit"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert!(unit.lines().any(|l| l == "Type=notify"));
    assert!(unit.lines().any(|l| l.starts_with("Restart=")));
    assert!(unit.lines().any(|l| l.starts_with("StateDirectory=")));
    assert!(
        unit.lines()
            .any(|l| l.starts_with("AmbientCapabilities=") && l.contains("CAP_NET_ADMIN"))
    );
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc/zosmf-ha");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(etc.join("PROFILE.TCPIP"), profile(&net, "AUTOSWITCHBACK")).unwrap();
    std::fs::write(
        etc.join("zosmf-ha.toml"),
        format!(
            "[probe]\ninterval = \"100ms\"\n[systems]\nSYSA = \"{}\"\nSYSB = \"{}\"\n",
            net.ip(11),
            net.ip(12)
        ),
    )
    .unwrap();
    let state = dir.path().join("var/lib/zosmf-ha");
    std::fs::create_dir_all(&state).unwrap();
    let command = |words: Vec<String>| {
        let words: Vec<String> = words
            .into_iter()
            .map(|w| {
                w.replace("/usr/local/bin/zosmf-ha", env!("CARGO_BIN_EXE_zosmf-ha"))
                    .replace("/etc/zosmf-ha/", &format!("{}/", etc.display()))
            })
            .collect();
        let mut c = Command::new(&words[0]);
        c.args(&words[1..])
            .env("STATE_DIRECTORY", &state)
            .env_remove("XDG_STATE_HOME");
        c
    };
    // ExecStartPre.
    let pre = command(line("ExecStartPre=")).output().unwrap();
    let said = String::from_utf8_lossy(&pre.stdout);
    assert!(
        pre.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&pre.stderr)
    );
    assert!(
        said.contains("valid") && said.contains("SYSA preferred"),
        "{said}"
    );
    assert!(
        std::fs::read_dir(&state).unwrap().next().is_none(),
        "--check wrote into the state directory"
    );
    // ExecStart.
    let mut manager = Manager::new(dir.path());
    let mut c = command(line("ExecStart="));
    c.env("NOTIFY_SOCKET", &manager.path)
        .env("WATCHDOG_USEC", "400000")
        .env("ZOSMF_HA_LOG", "info")
        .stderr(std::process::Stdio::piped());
    // A Distributor: killed if the test fails before it stops.
    let etc_dir = etc.clone();
    let d = Distributor {
        child: c.stdout(std::process::Stdio::null()).spawn().unwrap(),
        dir: Arc::new(dir),
        config: etc_dir.join("zosmf-ha.toml"),
        system: None,
    };
    manager.until("READY=1");
    manager.until("WATCHDOG=1");
    manager.until("WATCHDOG=1");
    assert!(
        state.join("control.sock").exists(),
        "no control socket in STATE_DIRECTORY"
    );
    d.signal("TERM");
    manager.until("STOPPING=1");
    let (status, err) = d.wait();
    assert!(status.success(), "{status}: {err}");
    // Log lines: the message id right after the timestamp.
    let ready = lines_with(&err, "ZHA3003I")
        .into_iter()
        .chain(lines_with(&err, "ZHA3025I"))
        .next()
        .unwrap_or_else(|| panic!("no first-active line:\n{err}"));
    let tag = ready.split(' ').nth(1).unwrap_or("");
    assert!(tag.starts_with("ZHA30") && tag.len() == 8, "{ready}");
}

#[test]
fn distribute_check_says_what_would_run_or_why_not() {
    let net = Net::new();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("PROFILE.TCPIP");
    std::fs::write(&p, profile(&net, "AUTOSWITCHBACK")).unwrap();
    let config = dir.path().join("zosmf-ha.toml");
    let run = |settings: &str, more: &[&str]| {
        std::fs::write(&config, settings).unwrap();
        let o = crate::bin()
            .args(["distribute", "--check", "--profile"])
            .arg(&p)
            .arg("--config")
            .arg(&config)
            .args(more)
            .env("ZOSMF_HA_LOG", "warn")
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let state = format!(
        "[state]\ndir = \"{}\"\n",
        dir.path().join("state").display()
    );
    let (code, out, err) = run(&state, &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains(&format!("{}..8443:", net.ip(10))), "{out}");
    assert!(out.contains("forwarding proxy"), "{out}");
    assert!(
        !dir.path().join("state").exists(),
        "--check created the state folder"
    );
    assert!(!out.contains("warning"), "{out}");
    // A [systems] name whose address is no DESTIP is worth a warning.
    let (code, out, err) = run(
        &format!("{state}[systems]\nSYSB = \"{}\"\n", net.ip(13)),
        &[],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains(&format!(
            "warning: [systems] SYSB = \"{}\" is no DESTIP",
            net.ip(13)
        )),
        "{out}"
    );
    // Settings that contradict each other, and a profile with an error.
    let (code, _, err) = run(&format!("forwarding = \"kernel\"\n{state}"), &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--system"), "{err}");
    let (code, _, err) = run(
        &format!("{state}[probe.http]\nca_file = \"/no/such/ca.pem\"\n"),
        &[],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("/no/such/ca.pem"), "{err}");
    let (code, _, err) = run(
        &format!("{state}[hook]\ncommand = [\"/no/such/notify\"]\n"),
        &[],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("/no/such/notify is no executable file"),
        "{err}"
    );
    let (code, out, err) = run(
        &format!("{state}[hook]\ncommand = [\"true\"]\nevents = [\"switch\"]\n"),
        &[],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("on switch: run /"), "{out}");
    std::fs::write(&p, "VIPADYNAMIC\n VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443 DESTIP 10.1.1.1 PREFERRED 10.1.1.2 PREFERRED\nENDVIPADYNAMIC\n").unwrap();
    let (code, _, err) = run(&state, &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("ZHA2002"), "{err}");
}
