//! Event hooks: the command gets the event in its environment; one that
//! fails, hangs or comes too fast is logged, killed or dropped, and
//! forwarding goes on meanwhile.

use std::time::{Duration, Instant};

use crate::Net;
use crate::distribute::{Backend, LIMIT, Start, ask, lines_with};

/// The files the hook wrote (`<kind>-<pid>`), once `n` are there.
fn written(dir: &std::path::Path, n: usize) -> Vec<(String, String)> {
    let end = Instant::now() + LIMIT;
    loop {
        let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains('-'))
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).unwrap_or_default(),
                )
            })
            .collect();
        if v.len() >= n {
            v.sort();
            return v;
        }
        assert!(Instant::now() < end, "the hook wrote {v:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_hook_gets_the_event_in_its_environment() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let out = tempfile::tempdir().unwrap();
    let d = Start::new(&net)
        .extra(&format!(
            "[hook]\ncommand = [\"/bin/sh\", \"-c\", \"env | grep ^ZHA_ | sort > \\\"$0/$ZHA_EVENT-$$\\\"\", \"{}\"]\nevents = [\"switch\", \"quiesced\"]\nmin_interval = \"0s\"\n",
            out.path().display()
        ))
        .run();
    d.wait_for(|| d.active().is_some_and(|a| a.ends_with(".11:8443")));
    let o = d.zha(&["vary", "quiesce", "SYSA"]);
    assert!(o.status.success());
    let files = written(out.path(), 2);
    let switch = files
        .iter()
        .find(|(n, _)| n.starts_with("switch-"))
        .map(|(_, t)| t.as_str())
        .unwrap_or_else(|| panic!("{files:?}"));
    for want in [
        "ZHA_EVENT=switch".to_owned(),
        "ZHA_ID=ZHA3003I".to_owned(),
        format!("ZHA_SERVICE={}..8443", net.ip(10)),
        format!("ZHA_DVIPA={}", net.ip(10)),
        format!("ZHA_TARGET={}", net.addr(12)),
        "ZHA_SYSTEM=SYSB".to_owned(),
        format!("ZHA_FROM={}", net.addr(11)),
        "ZHA_REASON=quiesced".to_owned(),
        "ZHA_DROPPED=0".to_owned(),
    ] {
        assert!(switch.lines().any(|l| l == want), "{want} not in\n{switch}");
    }
    assert!(
        switch.contains("ZHA_MESSAGE=") && switch.contains("ZHA_TIME="),
        "{switch}"
    );
    assert!(
        files.iter().any(|(n, _)| n.starts_with("quiesced-")),
        "{files:?}"
    );
    // Kinds not asked for do not run it (a resume is `resumed`).
    let o = d.zha(&["vary", "resume", "SYSA"]);
    assert!(o.status.success());
    std::thread::sleep(Duration::from_millis(300));
    let after = written(out.path(), 2);
    assert!(
        !after.iter().any(|(n, _)| n.starts_with("resumed-")),
        "{after:?}"
    );
    let (status, err) = d.stop();
    assert!(status.success(), "{err}");
    assert!(!lines_with(&err, "ZHA3051I").is_empty(), "{err}");
}

/// Whether any process of process group `pgid` is alive (not a zombie).
fn group_alive(pgid: i32) -> bool {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .any(|stat| {
            // pid (comm) state ppid pgrp …: after the last ')'.
            let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
            let f: Vec<&str> = rest.split_whitespace().collect();
            f.len() > 2 && f[0] != "Z" && f[2] == pgid.to_string()
        })
}

#[test]
fn a_hook_that_hangs_or_fails_is_killed_or_logged_and_forwarding_goes_on() {
    let net = Net::new();
    let _a = Backend::start(net.addr(11), "SYSA");
    let _b = Backend::start(net.addr(12), "SYSB");
    let out = tempfile::tempdir().unwrap();
    let pidfile = out.path().join("pid");
    // A quiesce: hangs in a child of the shell (its pid kept, to see its
    // whole group killed). A resume: fails. A switch: ends at once but
    // leaves a process in the background holding its stderr.
    let script = "case $ZHA_EVENT in quiesced) echo $$ > \\\"$0\\\"; sleep 30; true;; resumed) echo boom >&2; exit 3;; *) sleep 5 & exit 0;; esac";
    let d = Start::new(&net)
        .extra(&format!(
            "[hook]\ncommand = [\"/bin/sh\", \"-c\", \"{script}\", \"{}\"]\nevents = [\"quiesced\", \"resumed\", \"switch\"]\ntimeout = \"300ms\"\nmin_interval = \"0s\"\n",
            pidfile.display()
        ))
        .run();
    d.wait_for(|| d.active().is_some_and(|a| a.ends_with(".11:8443")));
    assert!(d.zha(&["vary", "quiesce", "SYSA"]).status.success());
    // While the hook hangs, clients are served and the control task answers.
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(ask(net.addr(10)).unwrap(), "SYSB");
    }
    let asked = Instant::now();
    assert!(d.netstat(&["vdpt"]).is_some());
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "netstat took {:?} while a hook hung",
        asked.elapsed()
    );
    let end = Instant::now() + LIMIT;
    let pid: i32 = loop {
        if let Some(p) = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|p| p.trim().parse().ok())
        {
            break p;
        }
        assert!(Instant::now() < end, "the hook did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    // Killed after its timeout: the shell and its sleep.
    let end = Instant::now() + LIMIT;
    while group_alive(pid) {
        assert!(
            Instant::now() < end,
            "the hung hook's group {pid} was not killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("hung hook gone {:?} after the quiesce", started.elapsed());
    assert!(d.zha(&["vary", "resume", "SYSA"]).status.success());
    std::thread::sleep(Duration::from_millis(800));
    let (status, err) = d.stop();
    assert!(status.success(), "{err}");
    let failed = lines_with(&err, "ZHA3050W");
    assert!(
        failed
            .iter()
            .any(|l| l.contains("for quiesced did not end within 300ms: killed")),
        "{err}"
    );
    assert!(
        failed
            .iter()
            .any(|l| l.contains("for resumed failed (exit status: 3): boom")),
        "{err}"
    );
    assert!(
        !failed.iter().any(|l| l.contains("for switch")),
        "a hook that ended at once was not judged so:\n{err}"
    );
    assert!(
        lines_with(&err, "ZHA3051I")
            .iter()
            .any(|l| l.contains("ran for switch")),
        "{err}"
    );
}

#[test]
fn bad_hook_settings_are_refused_with_their_place() {
    let net = Net::new();
    for (hook, want) in [
        ("command = []", "write the program and its arguments"),
        (
            "command = 3",
            "write the program, or the program and its arguments",
        ),
        (
            "command = [\"x\"]\nevents = [\"reboot\"]",
            "`reboot` is no event kind",
        ),
        ("command = [\"x\"]\ntimeout = \"1h\"", "out of range"),
        ("command = [\"x\"]\nshell = true", "unknown field `shell`"),
    ] {
        let Err((status, err)) = Start::new(&net)
            .extra(&format!("[hook]\n{hook}\n"))
            .try_run()
        else {
            panic!("started with [hook] {hook}");
        };
        assert_eq!(status.code(), Some(2), "{err}");
        assert!(
            err.contains(want) && err.contains("zosmf-ha.toml:"),
            "{hook}: {err}"
        );
    }
}
