//! The control socket (netstat, reload), metrics, and refusing bad input.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zha_distributor::display;
use zha_distributor::protocol::{Reply, Report, Request, VaryAction, VipaKind};

use crate::support::*;

#[tokio::test]
async fn netstat_reports_in_text_and_json() {
    let net = Net::new();
    let (_a, _b, d) = pair(&net, "").await;
    assert_eq!(ask(d.addr).await.unwrap(), "SYSA");
    let v = d.vdpt().await;
    assert!(
        v.contains(&format!("Dest:        {}..{PORT}", net.ip(10))),
        "{v}"
    );
    assert!(v.contains("TotalConn: 0000000001  Rdy: 001  TSR: 100\n  DistMethod: HotStandby  SrvType: Preferred\n  Flg: Active"), "{v}");
    assert!(
        v.contains("SrvType: Backup  Rank: 100\n  Flg: Backup"),
        "{v}"
    );
    let cfg = d.view(Report::Vipadcfg).await;
    assert_eq!(cfg.vipas[0].kind, VipaKind::Define);
    let text = display::text(&cfg, Report::Vipadcfg, false);
    assert!(text.contains("VIPA Define:"), "{text}");
    assert!(text.contains("AutoSwitchBack: Yes"), "{text}");
    // An open connection is in the VCRT, with one address form in JSON.
    let mut c = TcpStream::connect(d.addr).await.unwrap();
    c.write_all(b"x\n").await.unwrap();
    let mut buf = [0u8; 8];
    let _ = tokio::time::timeout(LIMIT, c.read(&mut buf)).await.unwrap();
    let v = d.view(Report::Vcrt).await;
    assert_eq!(v.connections.len(), 1);
    assert_eq!(v.connections[0].source, c.local_addr().unwrap());
    assert_eq!(v.connections[0].dest_xcf, net.ip(11));
    let j = display::json(&v, Report::Vcrt);
    assert_eq!(j["connections"][0]["dest"], net.dvipa().to_string());
    assert_eq!(j["connections"][0]["target"], net.sys(1).to_string());
    assert!(!j.to_string().contains(".."), "{j}");
}

#[tokio::test]
async fn every_bad_request_gets_an_answer() {
    let net = Net::new();
    let d = Dist::start(&net, &net.profile(&[None, Some(100)], true), "").await;
    async fn send(socket: &std::path::Path, bytes: &[u8], close: bool) -> Reply {
        let mut s = tokio::net::UnixStream::connect(socket).await.unwrap();
        s.write_all(bytes).await.unwrap();
        if close {
            s.shutdown().await.unwrap();
        }
        let mut out = String::new();
        tokio::time::timeout(LIMIT, s.read_to_string(&mut out))
            .await
            .unwrap()
            .unwrap();
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out:?}"))
    }
    let cases: [(&[u8], bool, &str); 5] = [
        // An unknown report is an error, not a VDPT.
        (
            b"{\"cmd\":\"netstat\",\"report\":\"vdtp\"}\n",
            false,
            "unknown variant `vdtp`",
        ),
        // Not UTF-8, not JSON, no line end, nothing at all.
        (b"\xff\xfe\x00junk\n", false, "bad request"),
        (b"hello\n", false, "bad request"),
        (b"{\"cmd\":\"netstat\"", true, "bad request"),
        (b"", true, "bad request"),
    ];
    for (bytes, close, want) in cases {
        match send(&d.socket, bytes, close).await {
            Reply::Refused { error } => assert!(error.contains(want), "{bytes:?}: {error}"),
            other => panic!("{bytes:?} answered {other:?}"),
        }
    }
    // And the distributor still answers good requests.
    assert_eq!(d.view(Report::Vdpt).await.services.len(), 1);
}

#[tokio::test]
async fn reload_removes_a_target_with_open_connections_and_adds_a_port() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let _c = Backend::start(net.sys(3), "SYSC", Kind::Name).await;
    let d = Dist::start(&net, &net.profile(&[None, Some(100), Some(50)], true), "").await;
    d.wait_active(Some(net.sys(1))).await;
    a.kill();
    d.wait_active(Some(net.sys(2))).await;
    let mut open = TcpStream::connect(d.addr).await.unwrap();
    open.write_all(b"x\n").await.unwrap();
    let mut buf = [0u8; 8];
    let n = tokio::time::timeout(LIMIT, open.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"SYSB\n");

    // The new profile drops SYSB (the active one) and adds port 9443.
    let new = net.profile(&[None, Some(50)], true).replace(
        "ENDVIPADYNAMIC",
        &format!(
            "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY {d} PORT 9443 DESTIP {a} PREFERRED {c} BACKUP\nENDVIPADYNAMIC",
            d = net.ip(10),
            a = net.ip(11),
            c = net.ip(13)
        ),
    ).replace(&format!("{} BACKUP 50", net.ip(12)), &format!("{} BACKUP 50", net.ip(13)));
    let path = d.dir.path().join("NEW.TCPIP");
    std::fs::write(&path, new).unwrap();
    let _c9443 = Backend::start(
        std::net::SocketAddr::new(net.ip(13), 9443),
        "SYSC-9443",
        Kind::Name,
    )
    .await;
    let r = d
        .call(Request::Reload {
            profile: Some(path),
        })
        .await;
    let Reply::Done { lines } = r else {
        panic!("{r:?}")
    };
    let out = lines.join("\n");
    assert!(out.contains("removed target"), "{out}");
    assert!(out.contains("now listening"), "{out}");
    let got = ask(d.addr).await;
    assert_eq!(got.as_deref(), Ok("SYSC"), "{}", d.vdpt().await);
    // The connection to the removed target goes on.
    open.write_all(b"x\n").await.unwrap();
    let n = tokio::time::timeout(LIMIT, open.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"SYSB\n");
    // The new port works: SYSA is dead there too, SYSC answers.
    assert_eq!(
        ask(std::net::SocketAddr::new(net.ip(10), 9443))
            .await
            .unwrap(),
        "SYSC-9443"
    );
}

#[tokio::test]
async fn an_invalid_profile_is_rejected_whole() {
    let net = Net::new();
    let (_a, _b, d) = pair(&net, "").await;
    let bad = net.profile(&[None, None], true);
    let path = d.dir.path().join("BAD.TCPIP");
    std::fs::write(&path, bad).unwrap();
    let r = d
        .call(Request::Reload {
            profile: Some(path.clone()),
        })
        .await;
    let Reply::Refused { error: e } = r else {
        panic!("{r:?}")
    };
    assert!(e.contains("ZHA2002E"), "{e}");
    assert!(e.contains("BAD.TCPIP:"), "the place of the finding: {e}");
    assert!(e.contains("kept the running configuration"), "{e}");
    assert_eq!(ask(d.addr).await.unwrap(), "SYSA");
    assert_eq!(d.target(2).await.rank, Some(100));

    // And the same profile does not start a distributor at all; the error
    // carries the check report for the caller to render.
    let e = Dist::start_error(&net.profile(&[None, None], true), "").await;
    let zha_distributor::StartError::Profile(p) = &e else {
        panic!("{e}")
    };
    let report = p.report().expect("the check report");
    assert!(
        report.diagnostics.iter().any(|d| d.id() == "ZHA2002E"),
        "{e}"
    );
}

#[tokio::test]
async fn a_port_in_use_stops_the_start_with_a_clear_message() {
    let net = Net::new();
    let _squatter = std::net::TcpListener::bind(net.dvipa()).unwrap();
    let e = Dist::start_error(&net.profile(&[None, Some(1)], true), "")
        .await
        .to_string();
    assert!(
        e.contains(&format!("cannot listen on {}", net.dvipa())),
        "{e}"
    );
}

#[tokio::test]
async fn listeners_added_by_reload_are_tuned_like_the_first() {
    let net = Net::new();
    let _a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _a9443 = Backend::start(SocketAddr::new(net.ip(11), 9443), "SYSA-9443", Kind::Name).await;
    let d = Dist::start_binding(&net.profile(&[None, Some(100)], true), "").await;
    let path = d.dir.path().join("MORE.TCPIP");
    let more = net.profile(&[None, Some(100)], true).replace(
        "ENDVIPADYNAMIC",
        &format!(
            "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY {} PORT 9443 DESTIP {} PREFERRED {} BACKUP\nENDVIPADYNAMIC",
            net.ip(10),
            net.ip(11),
            net.ip(12)
        ),
    );
    std::fs::write(&path, more).unwrap();
    let r = d
        .call(Request::Reload {
            profile: Some(path),
        })
        .await;
    assert!(matches!(r, Reply::Done { .. }), "{r:?}");
    // `ss` shows a listener's backlog as its Send-Q (the kernel caps it at
    // net.core.somaxconn): the same deep queue on both.
    let ss = zha_testkit::require("ss", "apt-get install -y iproute2");
    let ss_lines = |args: &[&str], addr: String| -> String {
        let out = std::process::Command::new(&ss)
            .args(args)
            .arg(addr)
            .output()
            .expect("ss runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let backlog = |port: u16| -> Option<u64> {
        let text = ss_lines(&["-ltnH", "src"], format!("{}:{port}", net.ip(10)));
        text.lines().next()?.split_whitespace().nth(2)?.parse().ok()
    };
    let somaxconn: u64 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(4096);
    let first = backlog(PORT).expect("the first listener in ss");
    let added = backlog(9443).expect("the added listener in ss");
    assert_eq!(
        first,
        (zha_distributor::listener::BACKLOG as u64).min(somaxconn)
    );
    assert_eq!(added, first, "reload's listener has another backlog");
    // A client accepted on the added port has keepalive, inherited from the
    // listener (ss shows its timer).
    let mut c = TcpStream::connect(SocketAddr::new(net.ip(10), 9443))
        .await
        .unwrap();
    c.write_all(b"x\n").await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(LIMIT, c.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"SYSA-9443\n");
    let accepted = ss_lines(
        &["-tnoH", "state", "established", "src"],
        format!("{}:9443", net.ip(10)),
    );
    assert!(accepted.contains("keepalive"), "{accepted}");
}

#[tokio::test]
async fn metrics_are_served() {
    let net = Net::new();
    let _a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(
        &net,
        &net.profile(&[None, Some(100)], true),
        &format!(
            "[metrics]\naddress = \"{}:0\"\n[systems]\nSYSA = \"{}\"\n",
            net.ip(99),
            net.ip(11)
        ),
    )
    .await;
    let m = d.running.as_ref().unwrap().metrics_addr.unwrap();
    d.wait_active(Some(net.sys(1))).await;
    assert_eq!(ask(d.addr).await.unwrap(), "SYSA");
    let body = metrics_page(m).await;
    // Labels carry the system's name where the settings give it.
    let line = format!(
        "zosmf_ha_connections_total{{service=\"{}..{PORT}\",target=\"{}\",system=\"SYSA\"}} 1",
        net.ip(10),
        net.sys(1)
    );
    assert!(body.contains(&line), "{body}");
    assert!(
        body.contains(&format!(
            "zosmf_ha_target_available{{service=\"{}..{PORT}\",target=\"{}\",system=\"\"}} 1",
            net.ip(10),
            net.sys(2)
        )),
        "{body}"
    );
    assert!(body.contains("zosmf_ha_active_target"), "{body}");
}

#[tokio::test]
async fn the_metrics_address_bounds_its_connections_and_their_headers() {
    let net = Net::new();
    let d = Dist::start(
        &net,
        &net.profile(&[None, Some(100)], true),
        &format!(
            "[metrics]\naddress = \"{}:0\"\nmax_connections = 8\nheader_timeout = \"300ms\"\n",
            net.ip(99)
        ),
    )
    .await;
    let m = d.running.as_ref().unwrap().metrics_addr.unwrap();
    // 50 clients that never finish their request header.
    let mut partial = Vec::new();
    for _ in 0..50 {
        let mut c = TcpStream::connect(m).await.unwrap();
        let _ = c.write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\n").await;
        partial.push(c);
    }
    // Every one is closed by the server: the 42 over the limit at once, the
    // others at the header timeout.
    let t = std::time::Instant::now();
    for mut c in partial {
        let mut buf = [0u8; 256];
        let n = tokio::time::timeout(LIMIT, c.read(&mut buf)).await;
        let closed = match n {
            Ok(Ok(_)) | Ok(Err(_)) => true,
            Err(_) => false,
        };
        assert!(closed, "a partial request was held for {:?}", t.elapsed());
    }
    // A whole request is answered.
    let page = metrics_page(m).await;
    assert!(page.contains("zosmf_ha_active_target"), "{page}");
}

#[tokio::test]
async fn a_draining_predecessor_leaves_its_successors_control_socket() {
    let net = Net::new();
    let _a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let old = Dist::start_binding(
        &net.profile(&[None, Some(100)], true),
        "[limits]\ndrain_timeout = \"10s\"\n",
    )
    .await;
    old.wait_active(Some(net.sys(1))).await;
    // An open connection keeps the old one draining after its stop.
    let mut open = TcpStream::connect(net.dvipa()).await.unwrap();
    open.write_all(b"x\n").await.unwrap();
    let mut buf = [0u8; 8];
    let _ = tokio::time::timeout(LIMIT, open.read(&mut buf))
        .await
        .unwrap();
    old.stop.cancel();
    // The successor, on the same control socket, starts while it drains.
    let socket = old.socket.clone();
    let mut new = None;
    let end = tokio::time::Instant::now() + LIMIT;
    while new.is_none() {
        let extra = format!("[control]\nsocket = \"{}\"\n", socket.display());
        match Dist::try_start(&net.profile(&[None, Some(100)], true), &extra).await {
            Ok(d) => new = Some(d),
            Err(e) => assert!(tokio::time::Instant::now() < end, "{e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let new = new.unwrap();
    // The old one ends its drain and goes.
    drop(open);
    let mut old = old;
    let done = old.running.take().unwrap().done;
    tokio::time::timeout(LIMIT, done).await.unwrap().unwrap();
    // The successor's socket is still there and answers.
    assert_eq!(new.view(Report::Vdpt).await.services.len(), 1);
}

#[tokio::test]
async fn a_hand_over_keeps_the_predecessor_accepting_until_ready() {
    let net = Net::new();
    let _a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let mut d = Dist::start(&net, &net.profile(&[None, Some(100)], true), "").await;
    d.wait_active(Some(net.sys(1))).await;
    d.vary(VaryAction::Quiesce, &net.sys(2).to_string(), None)
        .await;
    // A successor gets the listener and the control socket, the active
    // targets and what is quiesced.
    let r = zha_distributor::handover::request(&d.socket, LIMIT)
        .await
        .unwrap()
        .expect("a distributor runs there");
    assert_eq!(r.pid, std::process::id());
    assert_eq!(r.sockets.len(), 2);
    assert_eq!(r.state.get(&net.key()), Some(&net.sys(1)));
    assert_eq!(r.quiesced, vec![(net.key(), net.sys(2))]);
    // A second successor meanwhile is refused.
    let second = zha_distributor::handover::request(&d.socket, LIMIT).await;
    assert!(
        second
            .as_ref()
            .err()
            .is_some_and(|e| e.to_string().contains("already under way")),
        "{:?}",
        second.err()
    );
    // Until `ready` the predecessor accepts and answers.
    assert_eq!(ask(d.addr).await.unwrap(), "SYSA");
    assert!(d.view(Report::Vdpt).await.services[0].active.is_some());
    // The successor goes away without `ready`: the distributor goes on, and
    // a later hand-over can start.
    drop(r);
    assert_eq!(ask(d.addr).await.unwrap(), "SYSA");
    let end = tokio::time::Instant::now() + LIMIT;
    let mut r = loop {
        match zha_distributor::handover::request(&d.socket, LIMIT).await {
            Ok(Some(r)) => break r,
            _ if tokio::time::Instant::now() < end => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => panic!("{:?}", other.err()),
        }
    };
    // `ready`, acknowledged: the predecessor stops by itself. The listener
    // lives on in the successor's copy: a client is queued, not refused.
    let sockets = std::mem::take(&mut r.sockets);
    r.ready().await.unwrap();
    let done = d.running.take().unwrap().done;
    tokio::time::timeout(LIMIT, done).await.unwrap().unwrap();
    let queued = TcpStream::connect(d.addr).await;
    assert!(queued.is_ok(), "{queued:?}");
    drop(sockets);
}

#[tokio::test]
async fn a_hand_over_answered_with_junk_changes_nothing() {
    use tokio::io::AsyncBufReadExt;
    let net = Net::new();
    let (_a, _b, d) = pair(&net, "").await;
    // Something else than `ready` is no `ready`; nothing after it is
    // acknowledged, and the distributor goes on.
    for junk in [&b"go\n"[..], b"ready now\n", b""] {
        let mut s = tokio::net::UnixStream::connect(&d.socket).await.unwrap();
        s.write_all(b"{\"cmd\":\"hand_over\",\"pid\":1}\n")
            .await
            .unwrap();
        let mut line = String::new();
        let mut rd = tokio::io::BufReader::new(&mut s);
        rd.read_line(&mut line).await.unwrap();
        assert!(line.contains("\"reply\":\"hand_over\""), "{line}");
        let _ = s.write_all(junk).await;
        let _ = s.shutdown().await;
        let mut rest = Vec::new();
        let read = tokio::time::timeout(LIMIT, s.read_to_end(&mut rest)).await;
        assert!(read.is_ok(), "no end after {junk:?}");
        assert!(
            !String::from_utf8_lossy(&rest).contains("ok"),
            "acknowledged {junk:?}"
        );
        assert_eq!(ask(d.addr).await.unwrap(), "SYSA");
    }
    assert!(d.view(Report::Vdpt).await.services[0].active.is_some());
}
