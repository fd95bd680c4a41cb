//! The z/OSMF stand-in as `up` and the tests use it: HTTPS on its address,
//! 503 while it initializes, its USER_DIR held, and nothing left behind
//! when it cannot start.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use zha_client::{Client, Failure, Trust};
use zha_zosmf::{Config, ServerError, server};

/// A stand-in for SYSA under `root`, on a port the kernel picks.
fn config(root: &Path, delay: Duration) -> Config {
    Config {
        system: "SYSA".into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        hostname: "zosmf.example.com".into(),
        saf_prefix: "IZUDFLT".into(),
        user_dir: "/global/zosmf/SYSA".into(),
        user_dir_local: server::map_path(root, "/global/zosmf/SYSA"),
        keyring_name: "IZUKeyring.IZUDFLT".into(),
        keyring_dir: zha_zosmf::keyring::folder(root, "IZUKeyring.IZUDFLT"),
        cert_names: vec!["127.0.0.1".into(), "zosmf.example.com".into()],
        plugins: vec!["ISPF".into()],
        startup_delay: delay,
        access_log: false,
    }
}

#[tokio::test]
async fn it_answers_503_while_initializing_then_zosmf_info() {
    let root = tempfile::tempdir().unwrap();
    let cfg = config(root.path(), Duration::from_millis(300));
    let ca = cfg.keyring_dir.join("ca.pem");
    let stop = CancellationToken::new();
    let running = server::start(cfg, stop.clone()).await.unwrap();
    let client = Client::new(
        &format!("https://{}/zosmf/info", running.addr),
        Some(Trust::CaFile(&ca)),
        Duration::from_secs(5),
        Some(("ibmuser", "sys1")),
    )
    .unwrap();
    let first = client.get().await.result.unwrap();
    assert_eq!(first.status, 503);
    assert_eq!(first.system.as_deref(), Some("SYSA"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    let ready = client.get().await.result.unwrap();
    assert_eq!(ready.status, 200);
    // A client that trusts another CA (of the same name: every key ring's
    // CA has one) fails the handshake: a failed connection, with why.
    let other = tempfile::tempdir().unwrap();
    let other_ring =
        zha_zosmf::keyring::ensure(&other.path().join("ring"), &["127.0.0.1".into()]).unwrap();
    let stranger = Client::new(
        &format!("https://{}/zosmf/info", running.addr),
        Some(Trust::CaFile(&other_ring.ca)),
        Duration::from_secs(5),
        None,
    )
    .unwrap();
    let e = stranger.get().await.result.unwrap_err();
    assert!(
        matches!(&e, Failure::Failed(m) if m.starts_with("certificate not trusted")),
        "{e}"
    );
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), running.wait())
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_server_that_cannot_listen_leaves_nothing_behind() {
    let root = tempfile::tempdir().unwrap();
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut cfg = config(root.path(), Duration::ZERO);
    cfg.listen = squatter.local_addr().unwrap();
    let keyring = cfg.keyring_dir.clone();
    let e = match server::start(cfg, CancellationToken::new()).await {
        Ok(_) => panic!("started on a port in use"),
        Err(e) => e,
    };
    assert!(matches!(e, ServerError::Bind { .. }), "{e}");
    assert!(e.to_string().contains("cannot listen on"), "{e}");
    assert!(
        !keyring.exists(),
        "a key ring was left in {}",
        keyring.display()
    );
}

#[tokio::test]
async fn two_servers_on_one_user_dir_the_second_refuses() {
    let root = tempfile::tempdir().unwrap();
    let stop = CancellationToken::new();
    let first = server::start(config(root.path(), Duration::ZERO), stop.clone())
        .await
        .unwrap();
    let mut second = config(root.path(), Duration::ZERO);
    second.system = "SYSB".into();
    second.listen = first.addr;
    let e = match server::start(second, stop.clone()).await {
        Ok(_) => panic!("two servers share a USER_DIR"),
        Err(e) => e,
    };
    let text = e.to_string();
    assert!(matches!(e, ServerError::UserDirInUse { .. }), "{text}");
    assert!(text.contains("SYSA pid"), "the owner is named: {text}");
    stop.cancel();
    first.wait().await.unwrap();
}
