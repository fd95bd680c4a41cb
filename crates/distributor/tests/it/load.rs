//! A steady load of new connections while the preferred server is killed
//! and restarted: no client connection may fail (SPEC §1 definition);
//! requests in flight at the crash are reported apart, and with the replay
//! policy they succeed too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;

use crate::support::*;

#[derive(Default, Debug)]
struct Tally {
    ok: usize,
    failed: Vec<String>,
    lost_in_flight: usize,
    by_system: std::collections::BTreeMap<String, usize>,
}

async fn run_load(replay: bool) -> Tally {
    let net = Net::new();
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    // Slow answers, so that requests are in flight when SYSA dies.
    a.delay.store(30, Ordering::Relaxed);
    b.delay.store(30, Ordering::Relaxed);
    let extra = if replay { "replay = true\n" } else { "" };
    let d = Dist::start(&net.profile(&[None, Some(100)], true), extra).await;
    d.wait_active(Some(net.sys(1))).await;

    let tally = Arc::new(Mutex::new(Tally::default()));
    let crashed_at: Arc<Mutex<Option<tokio::time::Instant>>> = Arc::new(Mutex::new(None));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (tally, crashed_at, stop, dvipa) =
            (tally.clone(), crashed_at.clone(), stop.clone(), net.dvipa());
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let started = tokio::time::Instant::now();
                let r = ask(dvipa).await;
                let mut t = tally.lock().await;
                match r {
                    Ok(name) => {
                        t.ok += 1;
                        *t.by_system.entry(name).or_default() += 1;
                    }
                    Err(e) => {
                        // Started before the crash was over and cut by it: lost in flight.
                        let crash = *crashed_at.lock().await;
                        if crash.is_some_and(|c| started <= c) {
                            t.lost_in_flight += 1;
                        } else {
                            t.failed.push(e);
                        }
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A request forwarded before the kill has fully happened (the server's
    // tasks and accept queue closing) is in flight at the crash: the window
    // ends shortly after the kill.
    *crashed_at.lock().await = Some(tokio::time::Instant::now() + Duration::from_millis(50));
    a.kill();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let a2 = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    a2.delay.store(30, Ordering::Relaxed);
    d.wait_active(Some(net.sys(1))).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        tokio::time::timeout(LIMIT, c).await.unwrap().unwrap();
    }
    let t = std::mem::take(&mut *tally.lock().await);
    println!(
        "replay={replay}: {} ok, {} failed, {} lost in flight, by system {:?}",
        t.ok,
        t.failed.len(),
        t.lost_in_flight,
        t.by_system
    );
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_client_connection_fails_when_the_preferred_dies_and_returns() {
    let t = run_load(false).await;
    assert!(
        t.failed.is_empty(),
        "failed client connections: {:?}",
        t.failed
    );
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
    assert!(
        t.failed.is_empty(),
        "failed client connections: {:?}",
        t.failed
    );
    assert_eq!(t.lost_in_flight, 0, "replayed requests must succeed");
    assert!(
        t.by_system.get("SYSB").copied().unwrap_or(0) > 5,
        "{:?}",
        t.by_system
    );
}
