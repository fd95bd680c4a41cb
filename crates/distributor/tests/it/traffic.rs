//! Bytes: long-lived connections across switches, half-close, both pump
//! paths, PROXY protocol, limits.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Send `data` and read the echo back concurrently; return what came back.
async fn echo_through(c: &mut TcpStream, data: &[u8]) -> Vec<u8> {
    let (mut r, mut w) = c.split();
    let send = async {
        w.write_all(data).await.unwrap();
    };
    let recv = async {
        let mut got = vec![0u8; data.len()];
        r.read_exact(&mut got).await.unwrap();
        got
    };
    let (_, got) = tokio::time::timeout(LIMIT, async { tokio::join!(send, recv) })
        .await
        .unwrap();
    got
}

#[tokio::test]
async fn a_connection_to_the_backup_survives_the_switch_back_byte_for_byte() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Echo).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Echo).await;
    let d = Dist::start(&net, &net.profile(&[None, Some(100)], true), "").await;
    d.wait_active(Some(net.sys(1))).await;
    a.kill();
    let mut c = TcpStream::connect(d.addr).await.unwrap();
    let first = pattern(100_000, 1);
    assert_eq!(echo_through(&mut c, &first).await, first);
    d.wait_active(Some(net.sys(2))).await;
    let _a2 = Backend::start(net.sys(1), "SYSA", Kind::Echo).await;
    d.wait_active(Some(net.sys(1))).await;
    // New connections go to SYSA; the old one still talks to SYSB.
    for seed in 2..6 {
        let data = pattern(2_000_000, seed);
        assert_eq!(echo_through(&mut c, &data).await, data);
    }
    let v = d.view(zha_distributor::protocol::Report::Vcrt).await;
    assert_eq!(v.connections.len(), 1);
    assert_eq!(v.connections[0].target, net.sys(2));
}

async fn half_close(splice: bool) {
    let net = Net::new();
    let _a = Backend::start(net.sys(1), "SYSA", Kind::Echo).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Echo).await;
    let d = Dist::start(
        &net,
        &net.profile(&[None, Some(100)], true),
        &format!("[pump]\nsplice = {splice}\nbuffer = 4096\n"),
    )
    .await;
    d.wait_active(Some(net.sys(1))).await;
    let mut c = TcpStream::connect(d.addr).await.unwrap();
    let data = pattern(3_000_000, 7);
    // Write everything, then close our side: the echo must still come back
    // in full and then end (the server closes after our EOF).
    let (mut r, mut w) = c.split();
    let send = async {
        w.write_all(&data).await.unwrap();
        w.shutdown().await.unwrap();
    };
    let recv = async {
        let mut got = Vec::new();
        r.read_to_end(&mut got).await.unwrap();
        got
    };
    let (_, got) = tokio::time::timeout(LIMIT, async { tokio::join!(send, recv) })
        .await
        .unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data);
}

#[tokio::test]
async fn half_close_with_splice() {
    half_close(true).await;
}

#[tokio::test]
async fn half_close_buffered() {
    half_close(false).await;
}

#[tokio::test]
async fn proxy_protocol_header_is_sent() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(
        &net,
        &net.profile(&[None, Some(100)], true),
        "proxy_protocol = true\n",
    )
    .await;
    d.wait_active(Some(net.sys(1))).await;
    assert_eq!(ask(d.addr).await.unwrap(), "SYSA");
    assert!(a.proxy_seen.load(std::sync::atomic::Ordering::Relaxed));
}

#[tokio::test]
async fn connection_limit_closes_the_extra_client_at_once() {
    let net = Net::new();
    let (_a, _b, d) = pair(&net, "[limits]\nmax_connections = 1\n").await;
    let mut held = TcpStream::connect(d.addr).await.unwrap();
    held.write_all(b"x\n").await.unwrap();
    let mut buf = [0u8; 8];
    let _ = tokio::time::timeout(LIMIT, held.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let t = std::time::Instant::now();
    assert!(ask(d.addr).await.is_err());
    assert!(t.elapsed() < Duration::from_secs(1));
    drop(held);
    // Once the first is gone, clients are served again.
    let end = tokio::time::Instant::now() + LIMIT;
    while ask(d.addr).await.is_err() {
        assert!(tokio::time::Instant::now() < end);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let net = Net::new();
    let (_a, _b, d) = pair(&net, "[limits]\nidle_timeout = \"300ms\"\n").await;
    let mut c = TcpStream::connect(d.addr).await.unwrap();
    c.write_all(b"x\n").await.unwrap();
    let mut buf = [0u8; 8];
    let n = tokio::time::timeout(LIMIT, c.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"SYSA\n");
    let t = std::time::Instant::now();
    let n = tokio::time::timeout(LIMIT, c.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "closed by the idle timeout");
    assert!(t.elapsed() >= Duration::from_millis(200));
}

/// Connect, send a line, and wait until the distributor closes the
/// connection; how long that took (None: not within LIMIT).
async fn closed_after(addr: std::net::SocketAddr, half_close: bool) -> Option<Duration> {
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"who\n").await.unwrap();
    if half_close {
        c.shutdown().await.unwrap();
    }
    let t = std::time::Instant::now();
    let mut buf = [0u8; 64];
    loop {
        match tokio::time::timeout(LIMIT, c.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(t.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn a_target_that_never_answers_is_given_up() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(
        &net,
        &net.profile(&[None, Some(100)], true),
        "[limits]\nserver_timeout = \"300ms\"\nhalf_closed_timeout = \"1h\"\n",
    )
    .await;
    d.wait_active(Some(net.sys(1))).await;
    // SYSA accepts and reads, and answers nothing (a hung server).
    a.frozen.store(true, std::sync::atomic::Ordering::Relaxed);
    let took = closed_after(d.addr, false).await;
    assert!(took.is_some_and(|t| t < Duration::from_secs(5)), "{took:?}");
}

#[tokio::test]
async fn a_half_closed_connection_that_goes_quiet_is_closed() {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let _b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(
        &net,
        &net.profile(&[None, Some(100)], true),
        "[limits]\nhalf_closed_timeout = \"300ms\"\nserver_timeout = \"1h\"\n",
    )
    .await;
    d.wait_active(Some(net.sys(1))).await;
    // The client sends and closes its side; SYSA never answers nor closes.
    a.frozen.store(true, std::sync::atomic::Ordering::Relaxed);
    let took = closed_after(d.addr, true).await;
    assert!(took.is_some_and(|t| t < Duration::from_secs(5)), "{took:?}");
}

#[tokio::test]
async fn socket_buffers_are_capped_on_both_legs() {
    let net = Net::new();
    let (_a, _b, d) = pair(&net, "[tune]\nrcvbuf = 50000\nsndbuf = 20000\n").await;
    let mut c = TcpStream::connect(d.addr).await.unwrap();
    c.write_all(b"who\n").await.unwrap();
    let mut buf = [0u8; 8];
    let n = tokio::time::timeout(LIMIT, c.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"SYSA\n");
    // Read the sizes back: ss shows each socket's rb and tb (the kernel
    // doubles what SO_RCVBUF / SO_SNDBUF asked for).
    let ss = zha_testkit::require("ss", "apt-get install -y iproute2");
    let skmem = |filter: &str, addr: String| -> String {
        let out = std::process::Command::new(&ss)
            .args(["-tmnH", "state", "established", filter])
            .arg(addr)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let client_leg = skmem("src", d.addr.to_string());
    let target_leg = skmem("dst", net.sys(1).to_string());
    for (leg, text) in [("client", &client_leg), ("target", &target_leg)] {
        assert!(text.contains("rb100000"), "{leg} leg: {text}");
        assert!(text.contains("tb40000"), "{leg} leg: {text}");
    }
}
