//! Failover, switch-back and the policies of SPEC §1, with real sockets.

use std::time::Duration;

use zha_distributor::control::Request;

use crate::support::*;

#[tokio::test]
async fn killed_preferred_fails_over_and_switches_back() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(&net.profile(&[None, Some(100)], true), "").await;
    d.wait_active(Some(net.sys(1))).await;
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSA");

    a.kill();
    // The very next client is served by the backup (retry on refused).
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSB");
    d.wait_active(Some(net.sys(2))).await;

    let _a2 = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    d.wait_active(Some(net.sys(1))).await;
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSA");
}

#[tokio::test]
async fn noautoswitchback_stays_also_across_a_restart() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let profile = net.profile(&[None, Some(100)], false);
    let d = Dist::start(&profile, "").await;
    d.wait_active(Some(net.sys(1))).await;
    a.kill();
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSB");
    d.wait_active(Some(net.sys(2))).await;
    let _a2 = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    // Long enough for several probe rounds: it stays on SYSB.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(d.active().await, Some(net.sys(2)));
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSB");

    // Restart the distributor with the same state folder.
    let dir = d.stop().await;
    let d = Dist::start_in(dir, &profile, "").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(d.active().await, Some(net.sys(2)), "{}", d.vdpt().await);
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSB");
}

#[tokio::test]
async fn silent_preferred_times_out_and_the_client_is_served() {
    let net = Net::new();
    let _silent = Silent::start(net.sys(1));
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(&net.profile(&[None, Some(100)], true), "").await;
    // Whatever the probes say yet, the client is served within the connect timeout.
    let t = std::time::Instant::now();
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSB");
    assert!(t.elapsed() < Duration::from_secs(3));
    d.wait_active(Some(net.sys(2))).await;
    assert!(d.vdpt().await.contains("Flg: Unavailable"));
}

#[tokio::test]
async fn a_stopped_server_fails_the_application_probe() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Http).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Http).await;
    let extra = "[probe.http]\npath = \"/zosmf/info\"\ntls = false\n";
    let d = Dist::start(&net.profile(&[None, Some(100)], true), extra).await;
    d.wait_active(Some(net.sys(1))).await;
    // SYSA still accepts connections but answers nothing (SIGSTOP-like).
    a.frozen.store(true, std::sync::atomic::Ordering::Relaxed);
    d.wait_active(Some(net.sys(2))).await;
    let detail = d.vdpt().await;
    assert!(detail.contains("Healthy: No"), "{detail}");
    // 503 means "not ready": also unhealthy.
    a.frozen.store(false, std::sync::atomic::Ordering::Relaxed);
    a.status.store(503, std::sync::atomic::Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(d.active().await, Some(net.sys(2)));
    // 401 means alive: healthy again, and back.
    a.status.store(401, std::sync::atomic::Ordering::Relaxed);
    d.wait_active(Some(net.sys(1))).await;
}

#[tokio::test]
async fn three_targets_by_rank() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let c = Backend::start(net.sys(3), "SYSC", Kind::Name).await;
    // SYSB BACKUP 50, SYSC BACKUP 100: SYSC takes over first.
    let d = Dist::start(&net.profile(&[None, Some(50), Some(100)], true), "").await;
    d.wait_active(Some(net.sys(1))).await;
    a.kill();
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSC");
    c.kill();
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSB");
    d.wait_active(Some(net.sys(2))).await;
}

#[tokio::test]
async fn quiesce_and_resume() {
    let net = Net::new();
    let _a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(
        &net.profile(&[None, Some(100)], true),
        &format!("[systems]\nSYSA = \"{}\"\n", net.ip(11)),
    )
    .await;
    d.wait_active(Some(net.sys(1))).await;
    // An open connection to SYSA keeps working through the quiesce.
    let mut open = tokio::net::TcpStream::connect(net.dvipa()).await.unwrap();
    let r = d
        .call(Request::Vary {
            quiesce: true,
            target: "sysa".into(),
            port: None,
        })
        .await;
    assert!(r.ok, "{r:?}");
    assert!(r.output.contains("quiesced"));
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSB");
    assert!(d.vdpt().await.contains("Flg: Quiesced"));
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    open.write_all(b"still there?\n").await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(LIMIT, open.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"SYSA\n");
    let r = d
        .call(Request::Vary {
            quiesce: false,
            target: net.ip(11).to_string(),
            port: Some(PORT),
        })
        .await;
    assert!(r.ok, "{r:?}");
    d.wait_active(Some(net.sys(1))).await;
    // Unknown targets are an error, not a silent no-op.
    let r = d
        .call(Request::Vary {
            quiesce: true,
            target: "SYSZ".into(),
            port: None,
        })
        .await;
    assert!(!r.ok);
    assert!(r.error.unwrap().contains("no target matches SYSZ"));
}

#[tokio::test]
async fn no_target_left_closes_the_client_at_once() {
    let net = Net::new();
    let d = Dist::start(&net.profile(&[None, Some(100)], true), "").await;
    let t = std::time::Instant::now();
    let r = ask(net.dvipa()).await;
    assert!(r.is_err(), "{r:?}");
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "never hung: {:?}",
        t.elapsed()
    );
    d.wait_active(None).await;
    let t = std::time::Instant::now();
    assert!(ask(net.dvipa()).await.is_err());
    assert!(t.elapsed() < Duration::from_millis(500));
}
