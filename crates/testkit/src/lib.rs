//! What zosmf-ha's tests share (a dev-dependency only):
//!
//! - [`Net`]: a block of loopback addresses, 127.A.B.0/24, that no other
//!   test uses while this one holds it — in this process or in another
//!   (two `cargo test` runs, cargo-nextest's process per test). The claim is
//!   a TCP socket bound, without SO_REUSEADDR, to 127.A.B.254 on a fixed
//!   port: the kernel refuses a second bind and releases the first when
//!   the holder ends, however it ends. Nothing is left on disk.
//! - [`corpus`]: the folder of real z/OS files, or one line saying where
//!   it should be.
//! - [`require`]: a tool a test runs, or one line saying how to install it.
//! - [`Backend`]: a backend server in a Python process of its own (in a
//!   network namespace if asked), killed when dropped.
//! - [`Ns`]: a network namespace of the test's own, named after the test
//!   process, with its loopback up; deleted (and what runs in it with it)
//!   when dropped.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The port of the claim socket on 127.A.B.254.
const CLAIM_PORT: u16 = 65_432;
/// Blocks are 127.A.B.0/24 with A in this range (127.0.x and 127.1.x are
/// left to the machine and to `zosmf-ha up`'s defaults).
const FIRST_A: u16 = 20;
const LAST_A: u16 = 250;

/// A block of loopback addresses for one test: 127.A.B.1 to 127.A.B.253.
pub struct Net {
    pub a: u8,
    pub b: u8,
    _claim: socket2::Socket,
}

impl Net {
    /// Claim a free block. Panics (with one line) only if none of the
    /// 59,000 blocks can be claimed.
    pub fn claim() -> Net {
        let blocks = u32::from(LAST_A - FIRST_A + 1) * 256;
        // Start where another process is unlikely to: its id and the time.
        let seed = std::process::id().wrapping_mul(2_654_435_761)
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
        let start = seed % blocks;
        for i in 0..blocks {
            let n = (start + i) % blocks;
            let a = u8::try_from(u32::from(FIRST_A) + n / 256).unwrap_or(u8::MAX);
            let b = u8::try_from(n % 256).unwrap_or(0);
            if let Some(sock) = try_claim(a, b) {
                return Net { a, b, _claim: sock };
            }
        }
        panic!("no free loopback block 127.{FIRST_A}-{LAST_A}.x.0/24 could be claimed");
    }

    /// 127.A.B.host
    pub fn ip(&self, host: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(127, self.a, self.b, host))
    }

    pub fn addr(&self, host: u8, port: u16) -> SocketAddr {
        SocketAddr::new(self.ip(host), port)
    }
}

fn try_claim(a: u8, b: u8) -> Option<socket2::Socket> {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).ok()?;
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, a, b, 254)), CLAIM_PORT);
    s.bind(&addr.into()).ok()?;
    Some(s)
}

/// The corpus of real z/OS files: `ZHA_CORPUS`, else `shared/corpus` beside
/// the repository. A test that needs it and does not find it fails with one
/// line saying what is missing.
pub fn corpus() -> PathBuf {
    let dir = std::env::var_os("ZHA_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            ))
        });
    assert!(
        dir.join("tcpip").is_dir() && dir.join("parmlib").is_dir(),
        "the corpus of real z/OS files is missing at {}: put shared/corpus beside this repository or set ZHA_CORPUS to its folder",
        dir.display()
    );
    dir
}

/// A program a test runs, found on PATH; else the test fails with one line
/// saying how to install it.
pub fn require(program: &str, install: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(program);
        if p.is_file() {
            return p;
        }
    }
    panic!("this test needs `{program}`, which is not on PATH: {install}");
}

/// A backend in its own process. `name`: answers each line with its name;
/// `close`: reads what the client sends and closes without answering (a
/// server that dies with the request in flight); `silent`: accepts and
/// never answers; `http`: answers whatever comes with HTTP 200 and closes;
/// `echo`: greets with its name and the client address it sees
/// (`SYSA 127.0.0.1:40000`), then sends back every byte it gets.
pub struct Backend(pub Child);

impl Backend {
    pub fn start(addr: SocketAddr, name: &str) -> Backend {
        Backend::start_as(addr, name, "name")
    }

    pub fn start_as(addr: SocketAddr, name: &str, mode: &str) -> Backend {
        Backend::start_in_as(None, addr, name, mode)
    }

    /// `start` in network namespace `ns`.
    pub fn start_in(ns: &str, addr: SocketAddr, name: &str) -> Backend {
        Backend::start_in_as(Some(ns), addr, name, "name")
    }

    /// `start_as` in network namespace `ns` (when given).
    pub fn start_in_as(ns: Option<&str>, addr: SocketAddr, name: &str, mode: &str) -> Backend {
        let script = r#"
import socket, sys, threading, time
host, port, name, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(128)
print("ready", flush=True)
def serve(c):
    try:
        if mode == "close":
            c.recv(65536)
        elif mode == "silent":
            time.sleep(3600)
        elif mode == "echo":
            peer = c.getpeername()
            c.sendall(name + (" %s:%d\n" % (peer[0], peer[1])).encode())
            while True:
                b = c.recv(65536)
                if not b:
                    break
                c.sendall(b)
        elif mode == "http":
            c.recv(65536)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(name), name))
        else:
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
        Backend::python_in(
            ns,
            script,
            &[&addr.ip().to_string(), &addr.port().to_string(), name, mode],
            name,
        )
    }

    /// A Python backend: `script` with `args`, started once it prints
    /// `ready`.
    pub fn python(script: &str, args: &[&str], name: &str) -> Backend {
        Backend::python_in(None, script, args, name)
    }

    /// `python` in network namespace `ns`.
    fn python_in(ns: Option<&str>, script: &str, args: &[&str], name: &str) -> Backend {
        let python = require("python3", "apt-get install -y python3");
        let mut cmd = match ns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(python);
                c
            }
            None => Command::new(python),
        };
        let mut child = cmd
            .arg("-c")
            .arg(script)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the backend of {name}: {e}"));
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        assert_eq!(line.trim(), "ready", "the backend of {name} did not start");
        Backend(child)
    }

    pub fn kill9(&mut self) {
        let _ = self.0.kill(); // SIGKILL
        let _ = self.0.wait();
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A network namespace of the test's own, with its loopback up; deleted
/// when dropped, however the test ends.
pub struct Ns {
    pub name: String,
}

static NEXT_NS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Ns {
    /// `zha-<tag>-<pid>-<n>`. Fails with one line when namespaces cannot be
    /// made here (root and iproute2 are needed).
    pub fn new(tag: &str) -> Ns {
        require("ip", "apt-get install -y iproute2");
        let name = format!(
            "zha-{tag}-{}-{}",
            std::process::id(),
            NEXT_NS.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "this test needs network namespaces (root and iproute2): `ip netns add {name}` failed"
        );
        let ns = Ns { name };
        let ok = Command::new("ip")
            .args(["-n", &ns.name, "link", "set", "lo", "up"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cannot bring lo up in {}", ns.name);
        ns
    }

    /// Run `f` on a thread inside the namespace (sockets it opens and
    /// processes it starts are in it).
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        self.spawn(f)
            .join()
            .unwrap_or_else(|_| panic!("a thread in {} failed", self.name))
    }

    /// `run` without waiting: the thread's handle.
    pub fn spawn<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::thread::JoinHandle<T> {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let file =
                std::fs::File::open(&path).unwrap_or_else(|e| panic!("cannot open {path}: {e}"));
            rustix::thread::move_into_link_name_space(
                std::os::fd::AsFd::as_fd(&file),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )
            .unwrap_or_else(|e| panic!("cannot enter {path}: {e}"));
            f()
        })
    }

    /// `ip netns exec <ns> program`: a command that runs in the namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).arg(program);
        c
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        // Whatever still runs in it goes first (a namespace is deleted only
        // once its last process is gone).
        let _ = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
            .map(|o| {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            });
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_held_until_dropped() {
        let n = Net::claim();
        assert!(
            try_claim(n.a, n.b).is_none(),
            "a held block cannot be claimed twice"
        );
        let m = Net::claim();
        assert_ne!((m.a, m.b), (n.a, n.b));
        let (a, b) = (n.a, n.b);
        drop(n);
        assert!(try_claim(a, b).is_some(), "a dropped block is free again");
        assert_eq!(m.ip(10), IpAddr::V4(Ipv4Addr::new(127, m.a, m.b, 10)));
    }
}
