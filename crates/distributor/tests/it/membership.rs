//! The conformance suite of the group engines (SPEC §7): the same tests for
//! every `GroupEngine`. Each engine value is one stack's connection to the
//! group; dropping it without `leave` is what the kernel does to a killed
//! process's files.

use std::time::Instant;

use std::sync::Arc;
use std::time::Duration;

use zha_distributor::membership::{ClaimRecord, Embedded, Etcd, GroupEngine, GroupError, Record};
use zha_group::{Decision, decide};

/// Opens connections to one group.
trait Engines {
    fn connect(&self) -> Box<dyn GroupEngine>;
    /// How long a member may stop confirming before it is taken out.
    fn silence(&self) -> Duration;
}

struct EmbeddedGroup(tempfile::TempDir);

impl EmbeddedGroup {
    fn new() -> EmbeddedGroup {
        EmbeddedGroup(tempfile::tempdir().unwrap())
    }
}

impl Engines for EmbeddedGroup {
    fn connect(&self) -> Box<dyn GroupEngine> {
        Box::new(Embedded::open(&self.0.path().join("group")).unwrap())
    }

    fn silence(&self) -> Duration {
        zha_distributor::membership::STALE
    }
}

fn record(name: &str, claims: &[(u8, bool)]) -> Record {
    Record {
        name: name.to_owned(),
        pid: std::process::id(),
        claims: claims
            .iter()
            .map(|&(rank, whenidle)| ClaimRecord {
                dvipa: "10.0.0.10".parse().unwrap(),
                rank,
                whenidle,
                defined: 0,
            })
            .collect(),
        control: None,
        distributions: Vec::new(),
    }
}

fn names(e: &mut dyn GroupEngine) -> Vec<String> {
    e.members()
        .unwrap()
        .into_iter()
        .map(|m| m.record.name)
        .collect()
}

fn members_are_seen_by_all_in_join_order(g: &dyn Engines) {
    let (mut a, mut b, mut c) = (g.connect(), g.connect(), g.connect());
    let ja = a.join(&record("SYSA", &[(255, false)])).unwrap();
    let jb = b.join(&record("SYSB", &[(100, false)])).unwrap();
    assert!(jb > ja);
    assert_eq!(names(c.as_mut()), ["SYSA", "SYSB"]);
    let m = c.members().unwrap();
    assert_eq!(m[1].record, record("SYSB", &[(100, false)]));
    assert!(a.confirm().unwrap() && b.confirm().unwrap());
    assert!(!c.confirm().unwrap(), "not a member");
}

fn a_live_name_is_refused_and_free_after_leave(g: &dyn Engines) {
    let (mut a, mut a2) = (g.connect(), g.connect());
    a.join(&record("SYSA", &[(255, false)])).unwrap();
    match a2.join(&record("SYSA", &[(1, false)])) {
        Err(GroupError::NameTaken(n)) => assert_eq!(n, "SYSA"),
        other => panic!("a second SYSA joined: {other:?}"),
    }
    a.leave().unwrap();
    assert!(!a.confirm().unwrap());
    assert!(names(a2.as_mut()).is_empty());
    a2.join(&record("SYSA", &[(1, false)])).unwrap();
    assert_eq!(names(a2.as_mut()), ["SYSA"]);
}

fn a_dead_member_loses_its_membership_at_once(g: &dyn Engines) {
    let mut watcher = g.connect();
    {
        let mut a = g.connect();
        a.join(&record("SYSA", &[(255, false)])).unwrap();
        assert_eq!(names(watcher.as_mut()), ["SYSA"]);
        // Dropped without leave: its files closed and its keepalives
        // stopped, as by a SIGKILL.
    }
    // Gone at once on one machine; within the lease on etcd.
    let end = Instant::now() + Duration::from_secs(10);
    while !names(watcher.as_mut()).is_empty() {
        assert!(Instant::now() < end, "a dead member stayed in the group");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The stale membership does not block the name.
    let mut again = g.connect();
    again.join(&record("SYSA", &[(255, false)])).unwrap();
    assert_eq!(names(watcher.as_mut()), ["SYSA"]);
}

fn shared_state_outlives_its_writer(g: &dyn Engines) {
    let mut b = g.connect();
    {
        let mut a = g.connect();
        a.join(&record("SYSA", &[(255, false)])).unwrap();
        a.put("active/10.0.0.10..443", "10.1.1.2:443").unwrap();
        assert_eq!(a.get("nothing/here").unwrap(), None);
    }
    assert_eq!(
        b.get("active/10.0.0.10..443").unwrap().as_deref(),
        Some("10.1.1.2:443")
    );
    b.put("active/10.0.0.10..443", "10.1.1.1:443").unwrap();
    assert_eq!(
        g.connect().get("active/10.0.0.10..443").unwrap().as_deref(),
        Some("10.1.1.1:443")
    );
}

fn compare_and_put_lets_one_of_two_win(g: &dyn Engines) {
    let (mut a, mut b) = (g.connect(), g.connect());
    assert!(a.compare_and_put("owner/10.0.0.10", None, "SYSA").unwrap());
    // B read "nobody" too, but A was first.
    assert!(!b.compare_and_put("owner/10.0.0.10", None, "SYSB").unwrap());
    assert_eq!(b.get("owner/10.0.0.10").unwrap().as_deref(), Some("SYSA"));
    // With what is there, B wins; A's stale expectation loses.
    assert!(
        b.compare_and_put("owner/10.0.0.10", Some("SYSA"), "SYSB")
            .unwrap()
    );
    assert!(
        !a.compare_and_put("owner/10.0.0.10", Some("SYSA"), "SYSA")
            .unwrap()
    );
    assert_eq!(a.get("owner/10.0.0.10").unwrap().as_deref(), Some("SYSB"));
}

fn update_keeps_the_membership_and_moves_on_in_order(g: &dyn Engines) {
    let (mut a, mut w) = (g.connect(), g.connect());
    let joined = a.join(&record("SYSA", &[(255, false)])).unwrap();
    let seq = a.update(&record("SYSA", &[(100, false)])).unwrap();
    assert!(seq > joined, "{seq} after {joined}");
    let m = w.members().unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].record.claims[0].rank, 100);
    assert_eq!(m[0].joined, joined, "an update is no new join");
    // Not a member: no update.
    assert!(matches!(
        w.update(&record("SYSW", &[])),
        Err(GroupError::NotMember(_))
    ));
}

/// The members an engine reports drive `zha_group`: SYSA defines, SYSB
/// backs up; SYSA dies; SYSB owns.
fn the_group_decides_on_what_the_engine_reports(g: &dyn Engines) {
    let dvipa = "10.0.0.10".parse().unwrap();
    let mut watcher = g.connect();
    let mut b = g.connect();
    b.join(&record("SYSB", &[(100, false)])).unwrap();
    // Who owns it for a stack that starts now (no owner yet), decided as
    // `distribute` decides.
    let owner = |w: &mut dyn GroupEngine| {
        let members = w.members().unwrap();
        let claims: Vec<(&str, zha_group::Claim, u64)> = members
            .iter()
            .flat_map(|m| m.claims().map(move |(c, d)| (m.record.name.as_str(), c, d)))
            .collect();
        match decide(dvipa, claims.iter().copied(), None, 0) {
            Decision::Move {
                to: Some((w, _)), ..
            } => Some(w),
            _ => None,
        }
    };
    {
        let mut a = g.connect();
        a.join(&record("SYSA", &[(255, false)])).unwrap();
        assert_eq!(owner(watcher.as_mut()).as_deref(), Some("SYSA"));
    }
    let end = Instant::now() + Duration::from_secs(10);
    while owner(watcher.as_mut()).as_deref() != Some("SYSB") {
        assert!(Instant::now() < end, "SYSB did not take over");
        // SYSB lives on: it keeps its membership, as a running stack does.
        assert!(b.confirm().unwrap(), "SYSB lost its membership");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every engine passes every test of the suite.
fn suite(make: impl Fn() -> Box<dyn Engines>) {
    members_are_seen_by_all_in_join_order(make().as_ref());
    a_live_name_is_refused_and_free_after_leave(make().as_ref());
    a_dead_member_loses_its_membership_at_once(make().as_ref());
    shared_state_outlives_its_writer(make().as_ref());
    compare_and_put_lets_one_of_two_win(make().as_ref());
    update_keeps_the_membership_and_moves_on_in_order(make().as_ref());
    the_group_decides_on_what_the_engine_reports(make().as_ref());
    a_member_that_stops_confirming_is_taken_out_and_may_join_again(make().as_ref());
}

#[test]
fn the_embedded_engine_passes_the_conformance_suite() {
    suite(|| Box::new(EmbeddedGroup::new()));
}

/// An etcd server of the test's own: a unique loopback address, a data
/// folder removed with it, killed when dropped.
struct EtcdServer {
    child: std::process::Child,
    endpoint: String,
    _data: tempfile::TempDir,
    _net: zha_testkit::Net,
}

impl EtcdServer {
    fn start() -> EtcdServer {
        let etcd = zha_testkit::require("etcd", "apt-get install -y etcd-server");
        let net = zha_testkit::Net::claim();
        let ip = net.ip(20);
        let data = tempfile::tempdir().unwrap();
        let client = format!("http://{ip}:2379");
        let peer = format!("http://{ip}:2380");
        let child = std::process::Command::new(etcd)
            .args(["--name", "zha", "--data-dir"])
            .arg(data.path().join("etcd"))
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
            ])
            .args([
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
            ])
            .args(["--initial-cluster", &format!("zha={peer}")])
            .args(["--heartbeat-interval", "50", "--election-timeout", "250"])
            .args(["--log-level", "error"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let server = EtcdServer {
            child,
            endpoint: client,
            _data: data,
            _net: net,
        };
        let end = Instant::now() + Duration::from_secs(30);
        while Etcd::open(&server.endpoint, "probe", 1).is_err() {
            assert!(
                Instant::now() < end,
                "etcd did not start at {}",
                server.endpoint
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One group in the test's etcd: a sysplex name of its own.
struct EtcdGroup {
    server: Arc<EtcdServer>,
    plex: String,
}

impl Engines for EtcdGroup {
    fn connect(&self) -> Box<dyn GroupEngine> {
        Box::new(Etcd::open(&self.server.endpoint, &self.plex, 2).unwrap())
    }

    fn silence(&self) -> Duration {
        zha_distributor::membership::SILENCE
    }
}

#[test]
fn the_etcd_engine_passes_the_conformance_suite() {
    let server = Arc::new(EtcdServer::start());
    let next = std::sync::atomic::AtomicU32::new(0);
    suite(|| {
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Box::new(EtcdGroup {
            server: server.clone(),
            plex: format!("PLEX{n}"),
        })
    });
}

#[test]
fn etcd_unreachable_is_a_clear_error() {
    let net = zha_testkit::Net::claim();
    let endpoint = format!("http://{}:2379", net.ip(21));
    let e = Etcd::open(&endpoint, "PLEX", 1)
        .err()
        .expect("no etcd there");
    let text = e.to_string();
    assert!(text.contains(&endpoint), "{text}");
    assert!(text.contains("is etcd running there"), "{text}");
    // Not a URL: what to give instead.
    let e = Etcd::open(&format!("{}:2379", net.ip(21)), "PLEX", 1)
        .err()
        .expect("no URL");
    assert!(
        e.to_string()
            .contains("give etcd's client URL, e.g. http://"),
        "{e}"
    );
}

/// A member that stops confirming (a frozen process, or one cut from the
/// group) is taken out by the others within its engine's silence, learns
/// it when it runs again, and may join again; confirming keeps it in.
fn a_member_that_stops_confirming_is_taken_out_and_may_join_again(g: &dyn Engines) {
    let (mut a, mut w) = (g.connect(), g.connect());
    a.join(&record("SYSA", &[(255, false)])).unwrap();
    assert!(a.confirm().unwrap());
    assert_eq!(names(w.as_mut()), ["SYSA"]);
    // SYSA confirms nothing now; the others see it silent, well before a
    // lease (etcd's TTL here is 2 s) would expire.
    let start = Instant::now();
    while !names(w.as_mut()).is_empty() {
        assert!(
            start.elapsed() < g.silence() * 6,
            "a silent member stayed in the group for {:?}",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!a.confirm().unwrap());
    a.join(&record("SYSA", &[(255, false)])).unwrap();
    assert!(a.confirm().unwrap());
    assert_eq!(names(w.as_mut()), ["SYSA"]);
    let end = Instant::now() + g.silence() * 3;
    while Instant::now() < end {
        assert!(a.confirm().unwrap());
        assert_eq!(
            names(w.as_mut()),
            ["SYSA"],
            "a confirming member was taken out"
        );
        std::thread::sleep(g.silence() / 5);
    }
}

#[test]
fn the_embedded_group_survives_junk_a_held_lock_a_clock_step_and_a_damaged_record() {
    let g = EmbeddedGroup::new();
    let (mut a, mut w) = (g.connect(), g.connect());
    a.join(&record("SYSA", &[(255, false)])).unwrap();
    let members = g.0.path().join("group/members");
    // Junk beside the records: skipped, nobody stops.
    std::fs::create_dir(members.join("JUNK.lock")).unwrap();
    std::fs::write(members.join("JUNK.json"), "{garbage").unwrap();
    assert_eq!(names(w.as_mut()), ["SYSA"]);
    // The wall clock steps: a beat that looks 3 s old is no silence.
    let beat = std::fs::File::options()
        .write(true)
        .open(members.join("SYSA.beat"))
        .unwrap();
    beat.set_modified(std::time::SystemTime::now() - Duration::from_secs(3))
        .unwrap();
    assert_eq!(names(w.as_mut()), ["SYSA"]);
    // The group lock held by a stuck process: changes fail, in bounded
    // time, and reading the members goes on.
    let lock = std::fs::File::options()
        .read(true)
        .write(true)
        .open(g.0.path().join("group/group.lock"))
        .unwrap();
    let held = std::process::Command::new(zha_testkit::require(
        "flock",
        "apt-get install -y util-linux",
    ))
    .arg("-o") // the lock stays with flock, not with its sleep
    .arg(g.0.path().join("group/group.lock"))
    .args(["sleep", "5"])
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let mut b = g.connect();
    assert!(b.join(&record("SYSB", &[(100, false)])).is_err());
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "join waited {:?}",
        t.elapsed()
    );
    assert!(a.confirm().unwrap());
    assert_eq!(names(w.as_mut()), ["SYSA"]);
    let mut held = held;
    let _ = held.kill();
    let _ = held.wait();
    drop(lock);
    // A damaged record of its own: the member is told it is no member, and
    // joining again writes it anew.
    std::fs::write(members.join("SYSA.json"), "{garbage").unwrap();
    assert!(!a.confirm().unwrap());
    a.join(&record("SYSA", &[(255, false)])).unwrap();
    assert!(a.confirm().unwrap());
    assert_eq!(names(w.as_mut()), ["SYSA"]);
}
