//! Kernel forwarding's table (SPEC §8) in a network namespace of the test's
//! own: new connections to the DVIPA go to the map's target, a switch
//! sends new ones elsewhere while an open one stays where it started
//! (conntrack), a stale table is replaced whole, and removing the table
//! leaves nothing. Needs root, iproute2, nftables and python3.

use std::io::{Read, Write};
use std::net::{SocketAddrV4, TcpStream};
use std::process::Command;
use std::time::Duration;

use zha_distributor::kernel::{Policy, Route, Table};
use zha_testkit::Backend;

use zha_testkit::Ns;

fn ask(c: &mut TcpStream) -> String {
    c.write_all(b"who\n").unwrap();
    let mut buf = [0u8; 16];
    let n = c.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).trim().to_owned()
}

fn connect(a: SocketAddrV4) -> std::io::Result<TcpStream> {
    let c = TcpStream::connect_timeout(&a.into(), Duration::from_secs(2))?;
    c.set_read_timeout(Some(Duration::from_secs(2)))?;
    Ok(c)
}

#[test]
fn new_connections_follow_the_map_and_open_ones_stay() {
    let ns = Ns::new("k");
    zha_testkit::require("nft", "apt-get install -y nftables");
    let dvipa: SocketAddrV4 = "127.0.0.10:8443".parse().unwrap();
    let (a, b): (SocketAddrV4, SocketAddrV4) = (
        "127.0.0.11:8443".parse().unwrap(),
        "127.0.0.12:8443".parse().unwrap(),
    );
    let _a = Backend::start_in(&ns.name, a.into(), "SYSA");
    let _b = Backend::start_in(&ns.name, b.into(), "SYSB");
    let table = Table::new("SYSA", "kernel test").unwrap();
    let to = move |t: SocketAddrV4| -> Vec<Route> { vec![(dvipa, t)] };
    let (t1, t2, t3) = (table.clone(), table.clone(), table.clone());
    let out = ns.run(move || {
        let mut seen = Vec::new();
        // A stale table (a killed process's) is replaced whole.
        t1.replace(&to(b), &Policy::default()).unwrap();
        t1.replace(&to(a), &Policy::default()).unwrap();
        let mut long = connect(dvipa).unwrap();
        seen.push(ask(&mut long));
        // The switch: new connections go to SYSB, the open one stays.
        t2.switch(&to(b)).unwrap();
        seen.push(ask(&mut connect(dvipa).unwrap()));
        seen.push(ask(&mut long));
        // Removed (twice: absent is fine): nothing listens on the DVIPA.
        t3.remove().unwrap();
        t3.remove().unwrap();
        seen.push(match connect(dvipa) {
            Ok(_) => "connected".to_owned(),
            Err(e) => e.kind().to_string(),
        });
        let listed = Command::new("nft")
            .args(["list", "tables"])
            .output()
            .unwrap();
        seen.push(String::from_utf8_lossy(&listed.stdout).trim().to_owned());
        seen
    });
    assert_eq!(out[0], "SYSA");
    assert_eq!(out[1], "SYSB", "a new connection after the switch");
    assert_eq!(out[2], "SYSA", "the open connection moved");
    assert_eq!(out[3], "connection refused");
    assert_eq!(out[4], "", "tables left: {}", out[4]);
}

/// Conntrack tells of the table's connections: a connection attempt that
/// the target resets (nothing listens) is destroyed unanswered — the
/// tracker's refused connect —, one the target accepts stays, with the
/// client's address and the target, in `dump` and `get`.
#[test]
fn conntrack_reports_a_reset_attempt_and_an_answered_connection() {
    use zha_distributor::conntrack::{Conntrack, Tracker, Verdict};
    let ns = Ns::new("k");
    zha_testkit::require("nft", "apt-get install -y nftables");
    let dvipa: SocketAddrV4 = "127.0.0.10:8443".parse().unwrap();
    let a: SocketAddrV4 = "127.0.0.11:8443".parse().unwrap();
    let dead: SocketAddrV4 = "127.0.0.13:8443".parse().unwrap();
    let _a = Backend::start_in(&ns.name, a.into(), "SYSA");
    let table = Table::new("SYSA", "kernel test").unwrap();
    let out = ns.run(move || {
        let mut events = Conntrack::listen().unwrap();
        let mut tracker = Tracker::new(Duration::from_millis(500));
        let mut verdicts = Vec::new();
        let mut pump = |events: &mut Conntrack, verdicts: &mut Vec<Verdict>| {
            let until = std::time::Instant::now() + Duration::from_millis(300);
            while std::time::Instant::now() < until {
                for (kind, flow) in events.next(Duration::from_millis(20)).unwrap() {
                    if flow.service == std::net::SocketAddr::from(dvipa) {
                        verdicts.extend(tracker.on(kind, flow, std::time::Instant::now()));
                    }
                }
            }
        };
        table.replace(&[(dvipa, dead)], &Policy::default()).unwrap();
        let refused = connect(dvipa).map(|_| ()).map_err(|e| e.kind());
        pump(&mut events, &mut verdicts);
        table.switch(&[(dvipa, a)]).unwrap();
        let mut c = connect(dvipa).unwrap();
        let who = ask(&mut c);
        pump(&mut events, &mut verdicts);
        let listed = Conntrack::dump().unwrap();
        let local = c.local_addr().unwrap();
        let got = Conntrack::requests()
            .unwrap()
            .get(local, dvipa.into())
            .unwrap();
        table.remove().unwrap();
        (refused, who, verdicts, listed, got)
    });
    let (refused, who, verdicts, listed, got) = out;
    let got = got.expect("get finds the open connection");
    assert_eq!(got.target, std::net::SocketAddr::from(a));
    assert_eq!(refused, Err(std::io::ErrorKind::ConnectionRefused));
    assert_eq!(who, "SYSA");
    let refused: Vec<_> = verdicts
        .iter()
        .filter_map(|v| match v {
            Verdict::Refused { target } => Some(*target),
            _ => None,
        })
        .collect();
    assert_eq!(
        refused,
        vec![std::net::SocketAddr::from(dead)],
        "{verdicts:?}"
    );
    // The refused attempt was forgotten at once (the open one is not).
    let closed: Vec<_> = verdicts
        .iter()
        .filter_map(|v| match v {
            Verdict::Closed { flow, .. } => Some(flow.target),
            _ => None,
        })
        .collect();
    assert_eq!(
        closed,
        vec![std::net::SocketAddr::from(dead)],
        "{verdicts:?}"
    );
    let flow = listed
        .iter()
        .find(|f| f.service == std::net::SocketAddr::from(dvipa))
        .expect("the open connection in the dump");
    assert_eq!(flow.target, std::net::SocketAddr::from(a));
    assert_eq!(flow.client.ip().to_string(), "127.0.0.1");
    assert_eq!(flow.state_name(), "ESTABLISHED");
}
