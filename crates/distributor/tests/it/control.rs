//! The control socket (netstat, reload), metrics, and refusing bad input.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zha_distributor::control::Request;

use crate::support::*;

#[tokio::test]
async fn netstat_reports_in_text_and_json() {
    let net = Net::new();
    let _a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(&net.profile(&[None, Some(100)], true), "").await;
    d.wait_active(Some(net.sys(1))).await;
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSA");
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
    let cfg = d
        .call(Request::Netstat {
            report: "vipadcfg".into(),
            detail: false,
            json: false,
        })
        .await
        .output;
    assert!(cfg.contains("VIPA Define:"), "{cfg}");
    assert!(cfg.contains("AutoSwitchBack: Yes"), "{cfg}");
    let j = d
        .call(Request::Netstat {
            report: "vipadcfg".into(),
            detail: false,
            json: true,
        })
        .await
        .output;
    let j: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(j["vipas"][0]["kind"], "Define");
    // An open connection is in the VCRT.
    let mut c = TcpStream::connect(net.dvipa()).await.unwrap();
    c.write_all(b"x\n").await.unwrap();
    let mut buf = [0u8; 8];
    let _ = tokio::time::timeout(LIMIT, c.read(&mut buf)).await.unwrap();
    let j = d
        .call(Request::Netstat {
            report: "vcrt".into(),
            detail: false,
            json: true,
        })
        .await
        .output;
    let j: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(j.as_array().unwrap().len(), 1);
    assert_eq!(j[0]["source"], c.local_addr().unwrap().to_string());
}

#[tokio::test]
async fn reload_removes_a_target_with_open_connections_and_adds_a_port() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let _c = Backend::start(net.sys(3), "SYSC", Kind::Name).await;
    let d = Dist::start(&net.profile(&[None, Some(100), Some(50)], true), "").await;
    d.wait_active(Some(net.sys(1))).await;
    a.kill();
    d.wait_active(Some(net.sys(2))).await;
    let mut open = TcpStream::connect(net.dvipa()).await.unwrap();
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
    assert!(r.ok, "{r:?}");
    assert!(r.output.contains("removed target"), "{}", r.output);
    assert!(r.output.contains("now listening"), "{}", r.output);
    let got = ask(net.dvipa()).await;
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
    let _a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(&net.profile(&[None, Some(100)], true), "").await;
    d.wait_active(Some(net.sys(1))).await;
    let bad = net.profile(&[None, None], true);
    let path = d.dir.path().join("BAD.TCPIP");
    std::fs::write(&path, bad).unwrap();
    let r = d
        .call(Request::Reload {
            profile: Some(path),
        })
        .await;
    assert!(!r.ok);
    let e = r.error.unwrap();
    assert!(e.contains("ZHA2002E"), "{e}");
    assert!(e.contains("nothing was changed"), "{e}");
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSA");
    assert!(d.vdpt().await.contains("Rank: 100"));

    // And the same profile does not start a distributor at all.
    let e = Dist::start_error(&net.profile(&[None, None], true), "").await;
    assert!(e.contains("has errors") && e.contains("ZHA2002E"), "{e}");
}

#[tokio::test]
async fn a_port_in_use_stops_the_start_with_a_clear_message() {
    let net = Net::new();
    let _squatter = std::net::TcpListener::bind(net.dvipa()).unwrap();
    let e = Dist::start_error(&net.profile(&[None, Some(1)], true), "").await;
    assert!(
        e.contains(&format!("cannot listen on {}", net.dvipa())),
        "{e}"
    );
}

#[tokio::test]
async fn metrics_are_served() {
    let net = Net::new();
    let _a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let m = std::net::SocketAddr::new(net.ip(99), 9464);
    let d = Dist::start(
        &net.profile(&[None, Some(100)], true),
        &format!("[metrics]\naddress = \"{m}\"\n"),
    )
    .await;
    d.wait_active(Some(net.sys(1))).await;
    assert_eq!(ask(net.dvipa()).await.unwrap(), "SYSA");
    let mut c = TcpStream::connect(m).await.unwrap();
    c.write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut body = String::new();
    tokio::time::timeout(Duration::from_secs(5), c.read_to_string(&mut body))
        .await
        .unwrap()
        .unwrap();
    let line = format!(
        "zosmf_ha_connections_total{{service=\"{}..{PORT}\",target=\"{}\"}} 1",
        net.ip(10),
        net.sys(1)
    );
    assert!(body.contains(&line), "{body}");
    assert!(body.contains("zosmf_ha_active_target"), "{body}");
}
