//! A steady load of new connections while the preferred server is killed
//! and restarted: no client connection may fail (SPEC §1 definition);
//! requests in flight at the crash are reported apart, and with the replay
//! policy they succeed too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use zha_client::{Client, Crash, Tally};

use crate::support::*;

async fn run_load(replay: bool) -> Tally {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Http).await;
    let b = Backend::start(net.sys(2), "SYSB", Kind::Http).await;
    // Slow answers, so that requests are in flight when SYSA dies.
    a.delay.store(30, Ordering::Relaxed);
    b.delay.store(30, Ordering::Relaxed);
    let extra = if replay { "replay = true\n" } else { "" };
    let d = Dist::start(&net, &net.profile(&[None, Some(100)], true), extra).await;
    d.wait_active(Some(net.sys(1))).await;

    // 4 clients, a new connection per request, as the scenario of `up`.
    let client = Client::new(&format!("http://{}/zosmf/info", d.addr), None, LIMIT, None).unwrap();
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (client, outcomes, stop) = (client.clone(), outcomes.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let o = client.get().await;
                outcomes.lock().await.push(o);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A request forwarded before the killed server is gone (its tasks and
    // accept queue closing) is in flight at the crash: the window ends when
    // its address refuses connections.
    let begin = Instant::now();
    a.kill();
    let end = tokio::time::Instant::now() + LIMIT;
    while tokio::net::TcpStream::connect(net.sys(1)).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < end,
            "the killed server still listens"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let crash = Crash {
        begin,
        end: Instant::now(),
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    let a2 = Backend::start(net.sys(1), "SYSA", Kind::Http).await;
    a2.delay.store(30, Ordering::Relaxed);
    d.wait_active(Some(net.sys(1))).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        tokio::time::timeout(LIMIT, c).await.unwrap().unwrap();
    }
    let mut t = Tally::default();
    for o in outcomes.lock().await.iter() {
        t.add(o, Some(&crash));
    }
    println!(
        "replay={replay}: {} answered, {} failed, {} lost in flight, {} cut, by system {:?}",
        t.answered, t.failed, t.lost_in_flight, t.cut, t.by_system
    );
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_client_connection_fails_when_the_preferred_dies_and_returns() {
    let t = run_load(false).await;
    assert_eq!(t.failed, 0, "failed client connections: {:?}", t.failures);
    assert!(t.by_system.get("SYSA").copied().unwrap_or(0) > 10);
    assert!(
        t.by_system.get("SYSB").copied().unwrap_or(0) > 5,
        "{:?}",
        t.by_system
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_replay_even_requests_in_flight_succeed() {
    let t = run_load(true).await;
    assert_eq!(t.failed, 0, "failed client connections: {:?}", t.failures);
    assert_eq!(t.lost_in_flight, 0, "replayed requests must succeed");
    assert!(
        t.by_system.get("SYSB").copied().unwrap_or(0) > 5,
        "{:?}",
        t.by_system
    );
}
