//! Moving a DVIPA between hosts (SPEC §7) on real interfaces: each test
//! makes two network namespaces, A and B, joined by a veth pair, calls the
//! API from a thread that entered A (a network namespace is per thread),
//! and looks with `ip` at what A and B see. The namespaces are removed when
//! the test ends, however it ends; the host's own namespace and interfaces
//! are never touched. Needs root (as CI runs) and iproute2.

use std::fs::File;
use std::net::IpAddr;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rustix::thread::{CapabilitySet, LinkNameSpaceType};
use serde_json::Value;
use zha_distributor::address::{AddressError, Capability, Interface};

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);
/// What a neighbour is told to believe before the announcement.
const WRONG_MAC: &str = "02:00:00:00:00:01";
const IF_A: &str = "zha-a";
const IF_B: &str = "zha-b";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Namespaces A and B, `zha-a` in A and `zha-b` in B, a veth pair; A has
/// 10.200.N.1/24 and B 10.200.N.2/24. Dropping it deletes both namespaces
/// (and with them the pair).
struct Pair {
    ip: PathBuf,
    a: String,
    b: String,
    n: u8,
}

impl Pair {
    fn new() -> Pair {
        let ip = zha_testkit::require("ip", "apt-get install iproute2");
        remove_stale(&ip);
        let k = NEXT.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let pair = Pair {
            ip,
            a: format!("zha-a-{pid}-{k}"),
            b: format!("zha-b-{pid}-{k}"),
            n: u8::try_from(k % 250 + 1).unwrap(),
        };
        // The guard exists before the first namespace: whatever part of the
        // setup fails, Drop removes what was made.
        for ns in [&pair.a, &pair.b] {
            if let Err(e) = pair.try_ip(&["netns", "add", ns]) {
                panic!(
                    "these tests need network namespaces (root and iproute2): `ip netns add {ns}` failed: {e}"
                );
            }
        }
        let (a, b, n) = (pair.a.clone(), pair.b.clone(), pair.n);
        pair.run(&[
            "-n", &a, "link", "add", IF_A, "type", "veth", "peer", "name", IF_B, "netns", &b,
        ]);
        pair.run(&[
            "-n",
            &a,
            "addr",
            "add",
            &format!("10.200.{n}.1/24"),
            "dev",
            IF_A,
        ]);
        pair.run(&[
            "-n",
            &b,
            "addr",
            "add",
            &format!("10.200.{n}.2/24"),
            "dev",
            IF_B,
        ]);
        pair.run(&["-n", &a, "link", "set", IF_A, "up"]);
        pair.run(&["-n", &b, "link", "set", IF_B, "up"]);
        // The kernel attaches a link's queue a moment after it comes up
        // (link watch); until then it drops what is sent, announcements too.
        for (ns, dev) in [(&a, IF_A), (&b, IF_B)] {
            assert!(
                eventually(|| pair.ready(ns, dev)),
                "{dev} in {ns} is not up with a queue after {LIMIT:?}"
            );
        }
        pair
    }

    /// Whether the link is up and sends: its state is UP and its queue is
    /// no longer the `noop` one that drops every packet.
    fn ready(&self, ns: &str, dev: &str) -> bool {
        let out = self.run(&["-n", ns, "-j", "link", "show", dev]);
        let json: Value = serde_json::from_str(&out).unwrap();
        json[0]["operstate"].as_str() == Some("UP")
            && json[0]["qdisc"].as_str().is_some_and(|q| q != "noop")
    }

    /// The DVIPA of this pair's tests.
    fn dvipa(&self) -> IpAddr {
        format!("10.200.{}.100", self.n).parse().unwrap()
    }

    fn dvipa6(&self) -> IpAddr {
        format!("fd00:200:{}::100", self.n).parse().unwrap()
    }

    fn try_ip(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(&self.ip)
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr)
                .trim()
                .replace('\n', "; "))
        }
    }

    fn run(&self, args: &[&str]) -> String {
        self.try_ip(args)
            .unwrap_or_else(|e| panic!("ip {}: {e}", args.join(" ")))
    }

    /// The addresses on `zha-a` as `ip -j addr show` lists them, with their
    /// prefixes.
    fn addresses_in_a(&self) -> Vec<(IpAddr, u64)> {
        let out = self.run(&["-n", &self.a, "-j", "addr", "show", "dev", IF_A]);
        let json: Value = serde_json::from_str(&out).unwrap();
        json.as_array()
            .into_iter()
            .flatten()
            .flat_map(|link| link["addr_info"].as_array().cloned().unwrap_or_default())
            .filter_map(|a| Some((a["local"].as_str()?.parse().ok()?, a["prefixlen"].as_u64()?)))
            .collect()
    }

    /// What B's neighbour cache maps `addr` to, if anything.
    fn neighbour_in_b(&self, addr: IpAddr) -> Option<String> {
        let out = self.run(&[
            "-n",
            &self.b,
            "-j",
            "neigh",
            "show",
            &addr.to_string(),
            "dev",
            IF_B,
        ]);
        let json: Value = serde_json::from_str(&out).unwrap();
        json.as_array()?
            .iter()
            .find(|e| e["dst"].as_str() == Some(&addr.to_string()))?["lladdr"]
            .as_str()
            .map(str::to_owned)
    }

    /// `zha-a`'s Ethernet address as `ip link` shows it.
    fn mac_of_a(&self) -> String {
        let out = self.run(&["-n", &self.a, "-j", "link", "show", IF_A]);
        let json: Value = serde_json::from_str(&out).unwrap();
        json[0]["address"].as_str().unwrap().to_owned()
    }

    /// Run `f` on a thread inside namespace A.
    fn in_a<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        in_namespace(&self.a, f)
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = self.try_ip(&["netns", "del", ns]);
        }
    }
}

/// Namespaces of earlier runs whose process is gone (killed before its
/// guards ran).
fn remove_stale(ip: &PathBuf) {
    let Ok(out) = Command::new(ip).args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        let mut parts = name.split('-');
        let ours = parts.next() == Some("zha") && matches!(parts.next(), Some("a" | "b"));
        let pid = parts.next().and_then(|p| p.parse::<u32>().ok());
        if let (true, Some(pid)) = (ours, pid)
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = Command::new(ip).args(["netns", "del", name]).output();
        }
    }
}

/// Run `f` on a new thread that entered the network namespace `ns` (setns
/// changes the calling thread's namespace only), within [`LIMIT`].
fn in_namespace<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/run/netns/{ns}");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let file = File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        rustix::thread::move_into_link_name_space(file.as_fd(), Some(LinkNameSpaceType::Network))
            .unwrap_or_else(|e| panic!("setns {path}: {e}"));
        let _ = tx.send(f());
    });
    rx.recv_timeout(LIMIT)
        .expect("the call in the namespace panicked or did not return in time")
}

/// Poll `f` until it is true, every 20 ms, for [`LIMIT`] at most.
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + LIMIT;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

#[test]
fn add_and_remove_are_idempotent_and_seen_by_ip() {
    let pair = Pair::new();
    for (dvipa, prefix) in [(pair.dvipa(), 32), (pair.dvipa6(), 128)] {
        let steps = pair.in_a(move || {
            let i = Interface::named(IF_A)?;
            let before = i.has(dvipa)?;
            i.add(dvipa, prefix)?;
            let after = i.has(dvipa)?;
            i.add(dvipa, prefix)?; // again: already there is Ok
            Ok::<_, AddressError>((before, after))
        });
        assert_eq!(steps.unwrap(), (false, true), "has() before and after add");
        let listed: Vec<_> = pair
            .addresses_in_a()
            .into_iter()
            .filter(|(a, _)| *a == dvipa)
            .collect();
        assert_eq!(
            listed,
            [(dvipa, u64::from(prefix))],
            "once, with its prefix"
        );

        let steps = pair.in_a(move || {
            let i = Interface::named(IF_A)?;
            i.remove(dvipa, prefix)?;
            let after = i.has(dvipa)?;
            i.remove(dvipa, prefix)?; // again: absent is Ok
            Ok::<_, AddressError>(after)
        });
        assert!(!steps.unwrap(), "has() after remove");
        assert!(
            !pair.addresses_in_a().iter().any(|(a, _)| *a == dvipa),
            "{dvipa} is gone"
        );
    }
    // The interface's own address is untouched.
    let own: IpAddr = format!("10.200.{}.1", pair.n).parse().unwrap();
    assert!(pair.addresses_in_a().contains(&(own, 24)));
}

#[test]
fn remove_leaves_the_address_with_another_prefix() {
    let pair = Pair::new();
    let dvipa = pair.dvipa();
    let result = pair.in_a(move || {
        let i = Interface::named(IF_A)?;
        i.add(dvipa, 32)?;
        i.remove(dvipa, 24)?;
        i.has(dvipa)
    });
    assert!(result.unwrap(), "a /24 removal leaves the /32");
    assert!(pair.addresses_in_a().contains(&(dvipa, 32)));
}

/// B believes the DVIPA is elsewhere (a stale entry, as after a takeover);
/// A's announcement makes B map it to A's Ethernet address.
fn announce_replaces_a_stale_entry(pair: &Pair, dvipa: IpAddr, prefix: u8) {
    let mac = pair.mac_of_a();
    pair.run(&[
        "-n",
        &pair.b,
        "neigh",
        "replace",
        &dvipa.to_string(),
        "lladdr",
        WRONG_MAC,
        "dev",
        IF_B,
        "nud",
        "stale",
    ]);
    assert_eq!(
        pair.neighbour_in_b(dvipa).as_deref(),
        Some(WRONG_MAC),
        "B starts with the wrong address"
    );
    let seen = pair.in_a(move || {
        let i = Interface::named(IF_A)?;
        i.add(dvipa, prefix)?;
        i.announce(dvipa)?;
        Ok::<_, AddressError>(i.mac())
    });
    let seen = seen.unwrap().map(|m| {
        m.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    });
    assert_eq!(
        seen.as_deref(),
        Some(mac.as_str()),
        "Interface::mac is ip's"
    );
    assert!(
        eventually(|| pair.neighbour_in_b(dvipa).as_deref() == Some(mac.as_str())),
        "B maps {dvipa} to {:?}, not to A's {mac}",
        pair.neighbour_in_b(dvipa)
    );
}

#[test]
fn announce_v4_makes_the_neighbour_update_its_arp_cache() {
    let pair = Pair::new();
    announce_replaces_a_stale_entry(&pair, pair.dvipa(), 32);
}

#[test]
fn announce_v6_makes_the_neighbour_update_its_cache() {
    let pair = Pair::new();
    announce_replaces_a_stale_entry(&pair, pair.dvipa6(), 128);
}

#[test]
fn announce_refuses_an_address_not_held_or_a_link_without_ethernet() {
    let pair = Pair::new();
    let dvipa = pair.dvipa();
    let result = pair.in_a(move || Interface::named(IF_A)?.announce(dvipa));
    assert!(
        matches!(&result, Err(AddressError::NotOnInterface { addr, interface }) if *addr == dvipa && interface == IF_A),
        "{result:?}"
    );
    let result = pair.in_a(move || {
        let lo = Interface::named("lo")?;
        lo.add(dvipa, 32)?;
        lo.announce(dvipa)
    });
    assert!(
        matches!(&result, Err(AddressError::NotEthernet { .. })),
        "{result:?}"
    );
}

#[test]
fn an_unknown_interface_is_a_clear_error() {
    let pair = Pair::new();
    let result = pair.in_a(|| Interface::named("zha-nothing"));
    let Err(e) = result else {
        panic!("found {result:?}")
    };
    assert!(
        matches!(&e, AddressError::NoSuchInterface(n) if n == "zha-nothing"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "no network interface named \"zha-nothing\" on this host (`ip link` lists them)"
    );
    // Known ones are found, with the kernel's index.
    let a = pair.in_a(|| Interface::named(IF_A)).unwrap();
    let shown = pair.run(&["-n", &pair.a, "-j", "link", "show", IF_A]);
    let json: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(json[0]["ifindex"].as_u64(), Some(u64::from(a.index())));
    assert_eq!(a.name(), IF_A);
}

#[test]
fn a_prefix_too_long_is_refused_and_changes_nothing() {
    let pair = Pair::new();
    let (v4, v6) = (pair.dvipa(), pair.dvipa6());
    let results = pair.in_a(move || {
        let i = Interface::named(IF_A).unwrap();
        [i.add(v4, 33), i.add(v6, 129), i.remove(v4, 255)]
    });
    for (result, (addr, prefix, max)) in
        results
            .into_iter()
            .zip([(v4, 33, 32), (v6, 129, 128), (v4, 255, 32)])
    {
        let Err(e) = result else {
            panic!("/{prefix} accepted")
        };
        assert!(
            matches!(e, AddressError::InvalidPrefix { addr: a, prefix: p, max: m, .. } if a == addr && p == prefix && m == max),
            "{e:?}"
        );
        assert!(e.to_string().contains(&format!("at most /{max}")), "{e}");
    }
    assert!(
        !pair
            .addresses_in_a()
            .iter()
            .any(|(a, _)| *a == v4 || *a == v6)
    );
}

#[test]
fn without_the_capabilities_the_error_names_the_one_missing() {
    let pair = Pair::new();
    let dvipa = pair.dvipa();
    // Held first, so that announcing it gets as far as the raw socket.
    pair.in_a(move || Interface::named(IF_A)?.add(dvipa, 32))
        .unwrap();
    let results = pair.in_a(move || {
        // Capabilities are per thread: only this one loses them.
        let mut caps = rustix::thread::capabilities(None).unwrap();
        let dropped = CapabilitySet::NET_ADMIN | CapabilitySet::NET_RAW;
        caps.effective -= dropped;
        caps.permitted -= dropped;
        caps.inheritable -= dropped;
        rustix::thread::set_capabilities(None, caps).unwrap();
        let i = Interface::named(IF_A).unwrap(); // reading needs no privilege
        let has = i.has(dvipa).unwrap();
        let other = IpAddr::from([10, 200, 0, 200]);
        (
            has,
            i.add(other, 32),
            i.remove(dvipa, 32),
            i.announce(dvipa),
        )
    });
    let (has, add, remove, announce) = results;
    assert!(has);
    for (result, want) in [
        (add, Capability::NetAdmin),
        (remove, Capability::NetAdmin),
        (announce, Capability::NetRaw),
    ] {
        let Err(e) = result else {
            panic!("succeeded without {want}")
        };
        assert!(
            matches!(e, AddressError::PermissionDenied { capability, .. } if capability == want),
            "{e:?}"
        );
        let text = e.to_string();
        assert!(
            text.contains(&format!("needs {want}: run as root")),
            "{text}"
        );
        assert!(
            text.contains("setcap cap_net_admin,cap_net_raw+ep"),
            "{text}"
        );
        assert!(text.contains("AmbientCapabilities="), "{text}");
    }
    // Nothing changed: the DVIPA is still there, the other was not added.
    let listed = pair.addresses_in_a();
    assert!(listed.contains(&(dvipa, 32)), "{listed:?}");
    assert!(!listed.iter().any(|(a, _)| a.to_string() == "10.200.0.200"));
}
