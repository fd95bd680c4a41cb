//! `zosmf-ha top` end to end, in a real terminal: tmux runs it (a server
//! of this test's own), the test reads the screen with `capture-pane`,
//! types keys with `send-keys`, kills the distributor under it and starts
//! it again.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::Net;
use crate::distribute::{Backend, LIMIT, Start};

/// A tmux server of this test's own, killed at the end.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(command: &str) -> Tmux {
        let tmux = zha_testkit::require("tmux", "apt-get install -y tmux");
        let socket = format!("zha-top-{}-{}", std::process::id(), rand_suffix());
        let ok = Command::new(&tmux)
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "150",
                "-y",
                "40",
            ])
            .arg(command)
            .env("TERM", "xterm-256color")
            .status()
            .unwrap();
        assert!(ok.success(), "tmux did not start");
        Tmux { socket }
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "0"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0"])
            .args(keys)
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// The screen once `ok` holds of it.
    fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + LIMIT;
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(Instant::now() < end, "{what}; the screen:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos().into())
}

/// The row of a system on the screen.
fn row<'a>(screen: &'a str, system: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.trim_start().starts_with(system))
        .unwrap_or("")
}

#[test]
fn top_follows_the_distributor_quiesces_with_a_key_and_reconnects() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let d = Start::new(&net).run();
    d.wait_for(|| d.active().is_some_and(|a| a.ends_with(".11:8443")));
    let tmux = Tmux::start(&format!(
        "{} top --interval 200ms --config {}",
        env!("CARGO_BIN_EXE_zosmf-ha"),
        d.config.display()
    ));
    let s = tmux.wait("SYSA is not shown active", |s| {
        row(s, "SYSA").contains("Active") && row(s, "SYSB").contains("Backup")
    });
    assert!(
        s.contains("1 Targets") && s.contains("forwarding proxy"),
        "{s}"
    );

    // Q on the selected (first) target asks; y quiesces it.
    tmux.keys(&["Q"]);
    tmux.wait("no confirmation", |s| s.contains("Quiesce SYSA on"));
    tmux.keys(&["y"]);
    tmux.wait("SYSA is not shown quiesced", |s| {
        row(s, "SYSA").contains("Quiesced") && row(s, "SYSB").contains("Active")
    });
    assert!(
        d.netstat(&["vdpt"]).is_some_and(|v| v.contains("Quiesced")),
        "the distributor did not quiesce"
    );
    // The group view, and back.
    tmux.keys(&["2"]);
    tmux.wait("no group view", |s| s.contains("A lone distributor"));
    tmux.keys(&["1"]);

    // The distributor dies: top says so, keeps the last view.
    let args = d.args();
    let mut d = d;
    let _ = d.child.kill();
    let _ = d.child.wait();
    tmux.wait("the lost control socket is not said", |s| {
        s.contains("cannot reach a distributor") && row(s, "SYSA").contains("Quiesced")
    });
    // It comes back (a fresh start: the quiesce is gone): top follows.
    let mut c = Command::new(env!("CARGO_BIN_EXE_zosmf-ha"));
    c.args(args);
    let d2 = d.spawn_like(c);
    d2.wait_for(|| d2.active().is_some_and(|a| a.ends_with(".11:8443")));
    tmux.wait("top did not reconnect", |s| {
        !s.contains("cannot reach a distributor") && row(s, "SYSA").contains("Active")
    });
    // q quits.
    tmux.keys(&["q"]);
    let end = Instant::now() + LIMIT;
    loop {
        let alive = Command::new("tmux")
            .args(["-L", &tmux.socket, "has-session"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !alive {
            break;
        }
        assert!(Instant::now() < end, "q did not end top");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn top_once_prints_text_and_says_when_nothing_answers() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let d = Start::new(&net).run();
    d.wait_for(|| d.active().is_some_and(|a| a.ends_with(".11:8443")));
    let o = d.zha(&["top", "--once"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains(&format!("{}..8443 -> SYSA", net.ip(10))),
        "{out}"
    );
    assert!(row(&out, "SYSA").contains("Active"), "{out}");
    // Without a terminal it prints a view per interval, and stops once
    // its reader has gone (`top | head`).
    let mut c = crate::bin();
    c.args(["top", "--interval", "100ms", "--config"])
        .arg(&d.config)
        .stdout(std::process::Stdio::piped());
    let mut top = c.spawn().unwrap();
    let mut first = [0u8; 64];
    use std::io::Read;
    top.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(top.stdout.take());
    let end = Instant::now() + LIMIT;
    let status = loop {
        if let Some(st) = top.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > end {
            let _ = top.kill();
            panic!("top went on writing to a closed pipe");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    drop(d);
    let dir = tempfile::tempdir().unwrap();
    let o = crate::bin()
        .args(["top", "--once", "--control"])
        .arg(dir.path().join("none.sock"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("cannot reach a distributor"));
}
