//! Failover, switch-back and the policies of SPEC §1, with real sockets.

use std::time::Duration;

use zha_distributor::protocol::{Flag, Reply, VaryAction};

use crate::support::*;

#[tokio::test]
async fn killed_preferred_fails_over_and_switches_back() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(&net, &net.profile(&[None, Some(100)], true), "").await;
    d.wait_active(Some(net.sys(1))).await;
    assert_eq!(ask(d.addr).await.unwrap(), "SYSA");

    a.kill();
    // The very next client is served by the backup (retry on refused).
    assert_eq!(ask(d.addr).await.unwrap(), "SYSB");
    d.wait_active(Some(net.sys(2))).await;

    let _a2 = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    d.wait_active(Some(net.sys(1))).await;
    assert_eq!(ask(d.addr).await.unwrap(), "SYSA");
}

#[tokio::test]
async fn noautoswitchback_stays_also_across_a_restart() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let profile = net.profile(&[None, Some(100)], false);
    let d = Dist::start(&net, &profile, "").await;
    d.wait_active(Some(net.sys(1))).await;
    a.kill();
    assert_eq!(ask(d.addr).await.unwrap(), "SYSB");
    d.wait_active(Some(net.sys(2))).await;
    let _a2 = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    // Long enough for several probe rounds: it stays on SYSB.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(d.active().await, Some(net.sys(2)));
    assert_eq!(ask(d.addr).await.unwrap(), "SYSB");

    // Restart the distributor with the same state folder: the very first
    // client goes to SYSB, before any probe has reported.
    let dir = d.stop().await;
    let d = Dist::start_in(&net, dir, &profile, "").await;
    assert_eq!(
        ask(d.addr).await.unwrap(),
        "SYSB",
        "the first client after a restart"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(d.active().await, Some(net.sys(2)), "{}", d.vdpt().await);
    assert_eq!(ask(d.addr).await.unwrap(), "SYSB");
}

#[tokio::test]
async fn silent_preferred_times_out_and_the_client_is_served() {
    let net = Net::new();
    let _silent = Silent::start(net.sys(1));
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(&net, &net.profile(&[None, Some(100)], true), "").await;
    // Whatever the probes say yet, the client is served within the connect timeout.
    let t = std::time::Instant::now();
    assert_eq!(ask(d.addr).await.unwrap(), "SYSB");
    assert!(t.elapsed() < Duration::from_secs(3));
    d.wait_active(Some(net.sys(2))).await;
    assert_eq!(d.target(1).await.flag, Flag::Unavailable);
}

#[tokio::test]
async fn a_stopped_server_fails_the_application_probe() {
    let net = Net::new();
    let (a, _b, d) = http_pair(&net, "").await;
    d.wait_active(Some(net.sys(1))).await;
    // SYSA still accepts connections but answers nothing (SIGSTOP-like).
    a.frozen.store(true, std::sync::atomic::Ordering::Relaxed);
    d.wait_active(Some(net.sys(2))).await;
    let t = d.target(1).await;
    assert_eq!((t.listening, t.healthy), (Some(true), Some(false)), "{t:?}");
    // 503 means "not ready": also unhealthy.
    a.frozen.store(false, std::sync::atomic::Ordering::Relaxed);
    a.status.store(503, std::sync::atomic::Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(d.active().await, Some(net.sys(2)));
    // 401 means alive: healthy again, and back.
    a.status.store(401, std::sync::atomic::Ordering::Relaxed);
    d.wait_active(Some(net.sys(1))).await;
}

/// SPEC §1's accepted statuses, by default: a 404 (a wrong path) is not
/// availability, a 403 (credentials wanted) is.
#[tokio::test]
async fn a_404_fails_the_application_probe_and_a_403_passes() {
    let net = Net::new();
    let (a, _b, d) = http_pair(&net, "").await;
    d.wait_active(Some(net.sys(1))).await;
    a.status.store(404, std::sync::atomic::Ordering::Relaxed);
    d.wait_active(Some(net.sys(2))).await;
    let t = d.target(1).await;
    assert_eq!((t.listening, t.healthy), (Some(true), Some(false)), "{t:?}");
    a.status.store(403, std::sync::atomic::Ordering::Relaxed);
    d.wait_active(Some(net.sys(1))).await;
}

#[tokio::test]
async fn three_targets_by_rank() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let c = Backend::start(net.sys(3), "SYSC", Kind::Name).await;
    // SYSB BACKUP 50, SYSC BACKUP 100: SYSC takes over first.
    let d = Dist::start(&net, &net.profile(&[None, Some(50), Some(100)], true), "").await;
    d.wait_active(Some(net.sys(1))).await;
    a.kill();
    assert_eq!(ask(d.addr).await.unwrap(), "SYSC");
    c.kill();
    assert_eq!(ask(d.addr).await.unwrap(), "SYSB");
    d.wait_active(Some(net.sys(2))).await;
}

#[tokio::test]
async fn quiesce_and_resume() {
    let net = Net::new();
    let (_a, _b, d) = pair(&net, &format!("[systems]\nSYSA = \"{}\"\n", net.ip(11))).await;
    // An open connection to SYSA keeps working through the quiesce.
    let mut open = tokio::net::TcpStream::connect(d.addr).await.unwrap();
    let r = d.vary(VaryAction::Quiesce, "sysa", None).await;
    let Reply::Done { lines } = r else {
        panic!("{r:?}")
    };
    assert!(lines[0].contains("quiesced SYSA"), "{lines:?}");
    assert_eq!(ask(d.addr).await.unwrap(), "SYSB");
    assert_eq!(d.target(1).await.flag, Flag::Quiesced);
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    open.write_all(b"still there?\n").await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(LIMIT, open.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"SYSA\n");
    let r = d
        .vary(VaryAction::Resume, &net.ip(11).to_string(), Some(PORT))
        .await;
    assert!(matches!(r, Reply::Done { .. }), "{r:?}");
    d.wait_active(Some(net.sys(1))).await;
    // Unknown targets are an error that names the known ones.
    let r = d.vary(VaryAction::Quiesce, "SYSZ", None).await;
    let Reply::Refused { error } = r else {
        panic!("{r:?}")
    };
    assert!(error.contains("no target matches SYSZ"), "{error}");
    assert!(error.contains(&format!("SYSA ({})", net.ip(11))), "{error}");
    assert!(error.contains(&net.ip(12).to_string()), "{error}");
}

#[tokio::test]
async fn vary_names_a_target_by_its_destip_when_the_settings_remap_it() {
    let net = Net::new();
    // The profile's DESTIPs are documentation addresses; [targets] says
    // where they really are on this machine.
    let (a_ip, b_ip) = ("198.51.100.1", "198.51.100.2");
    let profile = net
        .profile(&[None, Some(100)], true)
        .replace(
            &format!("{} PREFERRED", net.ip(11)),
            &format!("{a_ip} PREFERRED"),
        )
        .replace(&format!("{} BACKUP", net.ip(12)), &format!("{b_ip} BACKUP"));
    let _a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let extra = format!(
        "[targets]\n\"{a_ip}:0{PORT}\" = \"{}\"\n\"{b_ip}:{PORT}\" = \"{}\"\n",
        net.sys(1),
        net.sys(2)
    );
    let d = Dist::start(&net, &profile, &extra).await;
    d.wait_active(Some(net.sys(1))).await;
    assert_eq!(ask(d.addr).await.unwrap(), "SYSA");
    assert_eq!(d.target(1).await.dest_xcf.to_string(), a_ip);
    let v = d.vdpt().await;
    assert!(v.contains(&format!("DestXCF:   {a_ip}")), "{v}");
    let r = d.vary(VaryAction::Quiesce, a_ip, None).await;
    assert!(matches!(r, Reply::Done { .. }), "{r:?}");
    assert_eq!(ask(d.addr).await.unwrap(), "SYSB");
    // The last available target needs --force.
    let r = d.vary(VaryAction::Quiesce, b_ip, None).await;
    let Reply::Refused { error } = r else {
        panic!("{r:?}")
    };
    assert!(error.contains("--force"), "{error}");
    assert_eq!(ask(d.addr).await.unwrap(), "SYSB", "nothing was changed");
    let r = d
        .call(zha_distributor::protocol::Request::Vary {
            action: VaryAction::Quiesce,
            target: b_ip.into(),
            port: None,
            force: true,
        })
        .await;
    assert!(matches!(r, Reply::Done { .. }), "{r:?}");
    assert!(ask(d.addr).await.is_err(), "every target quiesced");
}

#[tokio::test]
async fn no_target_left_closes_the_client_at_once() {
    let net = Net::new();
    let d = Dist::start(&net, &net.profile(&[None, Some(100)], true), "").await;
    let t = std::time::Instant::now();
    let r = ask(d.addr).await;
    assert!(r.is_err(), "{r:?}");
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "never hung: {:?}",
        t.elapsed()
    );
    d.wait_active(None).await;
    let t = std::time::Instant::now();
    assert!(ask(d.addr).await.is_err());
    assert!(t.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn a_dead_target_is_not_shown_healthy() {
    let net = Net::new();
    let metrics = format!("[metrics]\naddress = \"{}:0\"\n", net.ip(99));
    let (a, _b, d) = http_pair(&net, &metrics).await;
    let m = d.running.as_ref().unwrap().metrics_addr.unwrap();
    let gauge = format!(
        "zosmf_ha_target_healthy{{service=\"{}..{PORT}\",target=\"{}\",system=\"\"}}",
        net.ip(10),
        net.sys(1)
    );
    d.wait_active(Some(net.sys(1))).await;
    d.wait_service(|s| s.targets[0].healthy == Some(true)).await;
    assert!(metrics_page(m).await.contains(&format!("{gauge} 1")));
    a.kill();
    d.wait_active(Some(net.sys(2))).await;
    d.wait_service(|s| s.targets[0].listening == Some(false))
        .await;
    let t = d.target(1).await;
    assert_eq!(t.healthy, None, "a dead target has no health verdict");
    let text = d.vdpt().await;
    assert!(text.contains("Listening: No  Healthy: n/a"), "{text}");
    let page = metrics_page(m).await;
    assert!(page.contains(&format!("{gauge} 0")), "{page}");
}

#[tokio::test]
async fn servers_that_start_not_ready_cause_no_switch() {
    // Both servers listen but answer 503 (z/OSMF before IZUG400I) when the
    // distributor starts; the preferred becomes ready first, then the
    // backup. Monitoring must see no switch: only the first choice.
    let net = Net::new();
    let metrics = format!("[metrics]\naddress = \"{}:0\"\n", net.ip(99));
    // The servers answer 503 from the start: set before the distributor
    // starts, through the backends' shared status.
    let a = Backend::start(net.sys(1), "SYSA", Kind::Http).await;
    let b = Backend::start(net.sys(2), "SYSB", Kind::Http).await;
    a.status.store(503, std::sync::atomic::Ordering::Relaxed);
    b.status.store(503, std::sync::atomic::Ordering::Relaxed);
    let d = Dist::start(
        &net,
        &net.profile(&[None, Some(100)], true),
        &format!("[probe.http]\npath = \"/zosmf/info\"\ntls = false\n{metrics}"),
    )
    .await;
    let metrics = d.running.as_ref().unwrap().metrics_addr.unwrap();
    // The first round is in: no target available, the best listening one used.
    d.wait_service(|s| !s.starting && s.targets.iter().all(|t| t.healthy == Some(false)))
        .await;
    assert_eq!(d.active().await, Some(net.sys(1)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.status.store(200, std::sync::atomic::Ordering::Relaxed);
    d.wait_service(|s| s.targets[0].healthy == Some(true)).await;
    b.status.store(200, std::sync::atomic::Ordering::Relaxed);
    d.wait_service(|s| s.targets.iter().all(|t| t.healthy == Some(true)))
        .await;
    assert_eq!(d.active().await, Some(net.sys(1)));
    let page = metrics_page(metrics).await;
    let switches: Vec<&str> = page
        .lines()
        .filter(|l| l.starts_with("zosmf_ha_switches_total{"))
        .collect();
    // Every reason is there from the start (a first switch is an increase).
    assert_eq!(switches.len(), 7, "{switches:?}");
    assert!(
        switches.iter().all(|l| l.ends_with(" 0")),
        "switches at start-up: {switches:?}"
    );
}

#[tokio::test]
async fn clients_that_send_half_a_request_cannot_flip_the_active_target() {
    // NOAUTOSWITCHBACK: a switch would stick. SYSA closes connections whose
    // request is not complete within its header timeout.
    let net = Net::new();
    let _a = Backend::start(net.sys(1), "SYSA", Kind::HeaderTimeout).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(&net, &net.profile(&[None, Some(100)], false), "").await;
    d.wait_active(Some(net.sys(1))).await;
    for _ in 0..3 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut c = tokio::net::TcpStream::connect(d.addr).await.unwrap();
        c.write_all(b"GET /zosmf/info HTTP/1.1").await.unwrap();
        let mut buf = [0u8; 16];
        let n = tokio::time::timeout(LIMIT, c.read(&mut buf))
            .await
            .unwrap()
            .unwrap_or(0);
        assert_eq!(n, 0, "closed by SYSA's header timeout");
    }
    // The probes that the early closes asked for find SYSA listening.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(d.active().await, Some(net.sys(1)), "{}", d.vdpt().await);
    assert_eq!(d.target(1).await.listening, Some(true));
    assert_eq!(ask(d.addr).await.unwrap(), "SYSA");
}
