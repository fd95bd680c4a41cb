//! `zosmf-ha distribute` as a process: real backends in other processes
//! killed with SIGKILL, SIGHUP reload, SIGTERM drain, the control commands
//! from the command line, and EMFILE back-off.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::*;

/// Every wait here is bounded by this.
const LIMIT: Duration = Duration::from_secs(15);

/// A backend in its own process: answers each line with its name.
struct Backend(Child);

impl Backend {
    fn start(addr: SocketAddr, name: &str) -> Backend {
        let script = r#"
import socket, sys, threading
host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(128)
print("ready", flush=True)
def serve(c):
    try:
        f = c.makefile("rb")
        for line in f:
            c.sendall(name + b"\n")
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;
        let mut child = Command::new("python3")
            .args([
                "-c",
                script,
                &addr.ip().to_string(),
                &addr.port().to_string(),
                name,
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 is needed by this test");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        Backend(child)
    }

    fn kill9(&mut self) {
        let _ = self.0.kill(); // SIGKILL
        let _ = self.0.wait();
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.kill9();
    }
}

struct Distributor {
    child: Child,
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
}

impl Distributor {
    fn start(net: u8, profile: &str, extra: &str) -> Distributor {
        Distributor::start_with(net, profile, extra, None)
    }

    fn start_with(net: u8, profile: &str, extra: &str, ulimit: Option<u32>) -> Distributor {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("PROFILE.TCPIP");
        std::fs::write(&p, profile).unwrap();
        let config = dir.path().join("zosmf-ha.toml");
        std::fs::write(
            &config,
            format!(
                "[probe]\ninterval = \"100ms\"\ntimeout = \"300ms\"\n[connect]\ntimeout = \"300ms\"\n[state]\ndir = \"{}\"\n[systems]\nSYSA = \"127.{net}.0.11\"\nSYSB = \"127.{net}.0.12\"\n{extra}",
                dir.path().display()
            ),
        )
        .unwrap();
        let bin = env!("CARGO_BIN_EXE_zosmf-ha");
        let mut cmd = match ulimit {
            None => {
                let mut c = Command::new(bin);
                c.args(["distribute", "--profile"])
                    .arg(&p)
                    .arg("--config")
                    .arg(&config);
                c
            }
            Some(n) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!(
                        "ulimit -n {n} && exec \"$0\" distribute --profile \"$1\" --config \"$2\""
                    ))
                    .arg(bin)
                    .arg(&p)
                    .arg(&config);
                c
            }
        };
        let child = cmd
            .stderr(Stdio::piped())
            .env("ZOSMF_HA_LOG", "info")
            .spawn()
            .unwrap();
        let d = Distributor { child, dir, config };
        d.wait_for(|| d.netstat(&["vdpt"]).is_some_and(|o| o.contains("Dest:")));
        d
    }

    fn zha(&self, args: &[&str]) -> std::process::Output {
        bin()
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .output()
            .unwrap()
    }

    fn netstat(&self, args: &[&str]) -> Option<String> {
        let mut a = vec!["netstat"];
        a.extend_from_slice(args);
        let o = self.zha(&a);
        o.status.success().then(|| stdout(&o))
    }

    fn wait_for(&self, mut ok: impl FnMut() -> bool) {
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

    fn active(&self) -> Option<String> {
        let v: serde_json::Value =
            serde_json::from_str(&self.netstat(&["vdpt", "--json"])?).ok()?;
        v[0]["active"].as_str().map(str::to_owned)
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Wait for the process to end; its stderr.
    fn wait(mut self) -> (std::process::ExitStatus, String) {
        let end = Instant::now() + LIMIT;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                let mut err = String::new();
                self.child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                return (st, err);
            }
            assert!(Instant::now() < end, "the distributor did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Distributor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn profile(net: u8, switchback: &str) -> String {
    format!(
        "IPCONFIG SYSPLEXROUTING DYNAMICXCF 127.{net}.0.11 255.0.0.0 1\nVIPADYNAMIC\n  VIPADEFINE 255.255.255.0 127.{net}.0.10\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY {switchback} 127.{net}.0.10 PORT 8443\n    DESTIP 127.{net}.0.11 PREFERRED 127.{net}.0.12 BACKUP\nENDVIPADYNAMIC\n"
    )
}

fn ask(addr: SocketAddr) -> Result<String, String> {
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

fn addr(net: u8, host: u8) -> SocketAddr {
    format!("127.{net}.0.{host}:8443").parse().unwrap()
}

#[test]
fn a_killed_backend_process_fails_over_and_the_cli_controls_it() {
    let net = 120;
    let mut a = Backend::start(addr(net, 11), "SYSA");
    let _b = Backend::start(addr(net, 12), "SYSB");
    let d = Distributor::start(net, &profile(net, "AUTOSWITCHBACK"), "");
    d.wait_for(|| d.active().as_deref() == Some("127.120.0.11:8443"));
    assert_eq!(ask(addr(net, 10)).unwrap(), "SYSA");

    a.kill9();
    assert_eq!(
        ask(addr(net, 10)).unwrap(),
        "SYSB",
        "the next client after a SIGKILL"
    );
    let v = d.netstat(&["vdpt", "--detail"]).unwrap();
    assert!(
        v.contains("Flg: Unavailable") && v.contains("Flg: Active"),
        "{v}"
    );

    let _a = Backend::start(addr(net, 11), "SYSA");
    d.wait_for(|| d.active().as_deref() == Some("127.120.0.11:8443"));

    // vary from the command line.
    let o = d.zha(&["vary", "quiesce", "SYSA"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(ask(addr(net, 10)).unwrap(), "SYSB");
    let o = d.zha(&["vary", "resume", "SYSZ"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no target matches SYSZ"));
    assert!(d.zha(&["vary", "resume", "sysa"]).status.success());
    d.wait_for(|| d.active().as_deref() == Some("127.120.0.11:8443"));

    // The control socket is the owner's only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(d.dir.path().join("control.sock"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn sighup_reloads_and_sigterm_drains() {
    let net = 121;
    let _a = Backend::start(addr(net, 11), "SYSA");
    let _b = Backend::start(addr(net, 12), "SYSB");
    let d = Distributor::start(net, &profile(net, "AUTOSWITCHBACK"), "");
    d.wait_for(|| d.active().is_some());
    // A changed profile: NOAUTOSWITCHBACK. SIGHUP applies it.
    std::fs::write(
        d.dir.path().join("PROFILE.TCPIP"),
        profile(net, "NOAUTOSWITCHBACK"),
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
    // reload from the command line names the errors.
    let o = d.zha(&["reload"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing was changed"));

    // An open connection keeps the distributor draining after SIGTERM until it ends.
    let mut open = TcpStream::connect(addr(net, 10)).unwrap();
    open.write_all(b"x\n").unwrap();
    let mut buf = [0u8; 8];
    assert!(open.read(&mut buf).unwrap() > 0);
    d.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        TcpStream::connect_timeout(&addr(net, 10), Duration::from_millis(300)).is_err(),
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
    assert!(err.contains("reload (SIGHUP) rejected"), "{err}");
}

#[test]
fn a_profile_with_errors_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("P");
    std::fs::write(
        &p,
        profile(122, "AUTOSWITCHBACK").replace("BACKUP", "PREFERRED"),
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
}

#[test]
fn running_out_of_file_descriptors_backs_off_and_recovers() {
    let net = 123;
    let _a = Backend::start(addr(net, 11), "SYSA");
    let _b = Backend::start(addr(net, 12), "SYSB");
    let d = Distributor::start_with(net, &profile(net, "AUTOSWITCHBACK"), "", Some(64));
    d.wait_for(|| d.active().is_some());
    // Hold many connections: the process runs out of descriptors.
    let mut held = Vec::new();
    for _ in 0..60 {
        if let Ok(c) = TcpStream::connect_timeout(&addr(net, 10), Duration::from_millis(500)) {
            held.push(c);
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    // It must not spin: little CPU while stuck.
    let ticks = |pid: u32| -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let f: Vec<&str> = s.rsplit(')').next().unwrap().split_whitespace().collect();
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    };
    let t0 = ticks(d.child.id());
    std::thread::sleep(Duration::from_secs(1));
    let used = ticks(d.child.id()) - t0;
    assert!(used < 30, "{used} ticks in one second: a busy loop");
    drop(held);
    d.wait_for(|| ask(addr(net, 10)).is_ok());
    d.signal("TERM");
    let (_, err) = d.wait();
    assert!(
        err.contains("ZHA3019W"),
        "the descriptor shortage was not hit:\n{err}"
    );
    // Running out of descriptors is this process's problem, not the targets'.
    assert!(
        !err.contains("not listening: connect failed: Too many open files"),
        "{err}"
    );
}
