//! Which hot-standby distribution is z/OSMF's (SPEC §4, "The HA group").
//!
//! A sysplex often has several HOTSTANDBY distributions: z/OS Connect on
//! 443 on another DVIPA, the API ML gateway on 7554 on the z/OSMF DVIPA. The
//! z/OSMF one is chosen by port and by who the targets are, never by file
//! order: the candidates are the (DVIPA, port) pairs whose port is the
//! HTTP_SSL_PORT of a system with z/OSMF members and that a HOTSTANDBY
//! statement distributes; they rank by how many DESTIP systems serve
//! z/OSMF on that port, then how many of those start their own server
//! (AUTOSTART(LOCAL)), then how many have the DVIPA as HOSTNAME. A tie is
//! settled by `zosmf = "addr..port"` in sysplex.toml, or by nobody; so is a
//! first candidate that no HOSTNAME names while another one is named by
//! the HOSTNAME of a server it targets.
//!
//! [`zosmf_distribution`] is the one place this is decided: `check`'s rules,
//! `plan`'s self-check and `up` all call it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use zha_diag::{Located, Span};
use zha_parmlib::Autostart;
use zha_tcpip::{DistMethod, Distribution, PortRange, Target, VipaOwner};

use crate::model::{Sysplex, System};

/// One HOTSTANDBY VIPADISTRIBUTE on one stack, applied or ignored by z/OS.
#[derive(Debug, Clone)]
pub struct HotStandby<'a> {
    /// The system whose profile holds the statement.
    pub system: &'a System,
    pub dvipa: IpAddr,
    pub dvipa_span: Span,
    pub ports: &'a [Located<PortRange>],
    pub targets: Vec<&'a Target>,
    pub keyword: Span,
    /// The statement as z/OS applies it; `None` when z/OS ignores it.
    pub applied: Option<&'a Distribution>,
}

impl HotStandby<'_> {
    pub fn covers(&self, port: u16) -> bool {
        zha_tcpip::ports_cover(self.ports, port)
    }

    /// Whether the statement's system owns the DVIPA (VIPADEFINE).
    pub fn on_owner(&self) -> bool {
        owns(self.system, self.dvipa)
    }

    /// Whether a system's DYNAMICXCF address is one of the targets.
    pub fn targets_system(&self, s: &System) -> bool {
        s.dynamic_xcf()
            .is_some_and(|x| self.targets.iter().any(|t| t.addr.value == x))
    }
}

/// Every HOTSTANDBY statement of the sysplex, applied ones of a stack first.
pub fn hot_standby(plex: &Sysplex) -> Vec<HotStandby<'_>> {
    let mut v = Vec::new();
    for s in &plex.systems {
        let Some(st) = &s.stack else { continue };
        for d in st
            .distributions
            .iter()
            .filter(|d| d.method == DistMethod::HotStandby)
        {
            v.push(HotStandby {
                system: s,
                dvipa: d.dvipa.value,
                dvipa_span: d.dvipa.span,
                ports: &d.ports,
                targets: d.targets.iter().flatten().collect(),
                keyword: d.keyword,
                applied: Some(d),
            });
        }
        for d in st
            .ignored
            .iter()
            .filter(|d| d.method == DistMethod::HotStandby)
        {
            if let zha_tcpip::DvipaRef::Addr(a) = d.dvipa.value {
                v.push(HotStandby {
                    system: s,
                    dvipa: a,
                    dvipa_span: d.dvipa.span,
                    ports: &d.ports,
                    targets: d.targets.iter().collect(),
                    keyword: d.keyword,
                    applied: None,
                });
            }
        }
    }
    v
}

/// A candidate: a DVIPA and the z/OSMF port it is distributed on (`None`:
/// no statement distributes a z/OSMF port, the DVIPA is some HOSTNAME).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub dvipa: IpAddr,
    pub port: Option<u16>,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.port {
            Some(p) => write!(f, "{}..{p}", self.dvipa),
            None => write!(f, "{}", self.dvipa),
        }
    }
}

/// How a candidate ranks, best first when compared as a tuple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    /// DESTIP systems with z/OSMF members whose HTTP_SSL_PORT is the port.
    pub servers: usize,
    /// Of those, how many start their own server.
    pub local: usize,
    /// Systems whose HOSTNAME is the DVIPA.
    pub by_host: usize,
}

/// z/OSMF's distribution, as chosen.
#[derive(Debug, Clone)]
pub struct ZosmfDistribution<'a> {
    pub key: Key,
    /// The statement the rules judge: the applied one on the owning stack,
    /// else an applied one, else the first.
    pub main: HotStandby<'a>,
    /// Every statement of the candidate, on every stack.
    pub statements: Vec<HotStandby<'a>>,
    /// The HA servers: systems that are DESTIPs of the main statement or
    /// whose HOSTNAME is the DVIPA.
    pub servers: Vec<&'a System>,
    /// Chosen by `zosmf = ".."` in sysplex.toml.
    pub pinned: bool,
}

/// What [`zosmf_distribution`] found.
#[derive(Debug, Clone)]
pub enum Choice<'a> {
    Chosen(ZosmfDistribution<'a>),
    /// Candidates rank equal; each with its rank and a statement.
    Tie(Vec<(Key, Rank, HotStandby<'a>)>),
    /// `zosmf = ".."` names a distribution no HOTSTANDBY statement has.
    PinUnmatched(crate::config::ZosmfPin),
    /// No HOTSTANDBY statement at all, or none that could serve z/OSMF.
    Nothing,
}

/// Whether a system's stack owns a DVIPA (VIPADEFINE).
pub fn owns(s: &System, dvipa: IpAddr) -> bool {
    s.stack
        .as_ref()
        .and_then(|st| st.vipa(dvipa))
        .is_some_and(|v| v.owner == VipaOwner::Define)
}

/// The address a system's HOSTNAME stands for, literal or resolved.
pub fn host_addr(s: &System, resolve: &BTreeMap<String, IpAddr>) -> Option<IpAddr> {
    let h = s.settings.hostname.as_ref()?;
    let v = h.value.trim();
    zha_tcpip::addr::ip(v).or_else(|| resolve.get(&v.to_ascii_uppercase()).copied())
}

/// The ports z/OSMF listens on: the HTTP_SSL_PORT of every system with
/// members (of every system when none has a member).
pub fn zosmf_ports(plex: &Sysplex) -> Vec<u16> {
    let with_members: Vec<&System> = plex
        .systems
        .iter()
        .filter(|s| !s.members.is_empty())
        .collect();
    let systems: Vec<&System> = if with_members.is_empty() {
        plex.systems.iter().collect()
    } else {
        with_members
    };
    let mut v: Vec<u16> = systems
        .iter()
        .map(|s| s.settings.http_ssl_port.value)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Decide which distribution is z/OSMF's. `resolve` is what host names
/// stand for (sysplex.toml's `[resolve]` and `--resolve`).
pub fn zosmf_distribution<'a>(plex: &'a Sysplex, resolve: &BTreeMap<String, IpAddr>) -> Choice<'a> {
    let all = hot_standby(plex);
    let ports = zosmf_ports(plex);
    let with_members = plex.systems.iter().any(|s| !s.members.is_empty());
    let serves = |s: &System| !with_members || !s.members.is_empty();

    let mut keys: Vec<Key> = Vec::new();
    for h in &all {
        for &p in &ports {
            if h.covers(p) {
                keys.push(Key {
                    dvipa: h.dvipa,
                    port: Some(p),
                });
            }
        }
    }
    if keys.is_empty() {
        // No statement distributes a z/OSMF port: a DVIPA that is some
        // server's HOSTNAME is the next best evidence (ZHA1004 then says
        // the port is missing).
        for h in &all {
            if plex
                .systems
                .iter()
                .any(|s| host_addr(s, resolve) == Some(h.dvipa))
            {
                keys.push(Key {
                    dvipa: h.dvipa,
                    port: None,
                });
            }
        }
    }
    keys.sort();
    keys.dedup();

    let statements = |k: Key| -> Vec<HotStandby<'a>> {
        all.iter()
            .filter(|h| h.dvipa == k.dvipa && k.port.is_none_or(|p| h.covers(p)))
            .cloned()
            .collect()
    };
    // One candidate per distribution, not per port: the ports of a DVIPA
    // that the same statements distribute (PORT omitted, or `PORT 443 444`
    // with servers on each) are one candidate, whose servers are counted
    // over all of them. Its key's port is the one most servers listen on.
    let targeted = |k: Key, st: &[HotStandby]| -> Vec<&'a System> {
        plex.systems
            .iter()
            .filter(|s| {
                serves(s)
                    && k.port.is_none_or(|p| s.settings.http_ssl_port.value == p)
                    && st.iter().any(|h| h.targets_system(s))
            })
            .collect()
    };
    let mut groups: Vec<(Vec<Span>, Vec<Key>)> = Vec::new();
    for &k in &keys {
        let ids: Vec<Span> = statements(k).iter().map(|h| h.keyword).collect();
        match groups
            .iter_mut()
            .find(|g| g.1[0].dvipa == k.dvipa && g.0 == ids)
        {
            Some(g) => g.1.push(k),
            None => groups.push((ids, vec![k])),
        }
    }
    let ranked: Vec<(Key, Rank)> = groups
        .iter()
        .map(|(_, ks)| {
            let st = statements(ks[0]);
            let mut servers: Vec<&System> = Vec::new();
            let mut best = (0, ks[0]);
            for &k in ks {
                let t = targeted(k, &st);
                if t.len() > best.0 {
                    best = (t.len(), k);
                }
                for s in t {
                    if !servers.iter().any(|x| x.name == s.name) {
                        servers.push(s);
                    }
                }
            }
            let rank = Rank {
                servers: servers.len(),
                local: servers
                    .iter()
                    .filter(|s| s.settings.autostart.value == Autostart::Local)
                    .count(),
                by_host: plex
                    .systems
                    .iter()
                    .filter(|s| host_addr(s, resolve) == Some(best.1.dvipa))
                    .count(),
            };
            (best.1, rank)
        })
        .collect();

    let chosen = if let Some(pin) = plex.zosmf {
        let key = Key {
            dvipa: pin.dvipa,
            port: Some(pin.port),
        };
        if statements(key).is_empty() {
            return Choice::PinUnmatched(pin);
        }
        Some((key, true))
    } else {
        let Some(best) = ranked.iter().map(|r| r.1).max() else {
            return Choice::Nothing;
        };
        let mut top: Vec<&(Key, Rank)> = ranked.iter().filter(|r| r.1 == best).collect();
        // The HOSTNAME of z/OSMF servers names the address clients use: a
        // candidate that ranks first by its targets while no HOSTNAME names
        // it, against one that a HOSTNAME names, is no choice to make
        // silently (z/OS Connect on 443 of another DVIPA, with more target
        // systems than z/OSMF's own pair).
        if best.by_host == 0 {
            top.extend(
                ranked
                    .iter()
                    .filter(|r| r.1 != best && r.1.by_host > 0 && r.1.servers > 0),
            );
        }
        if top.len() > 1 {
            return Choice::Tie(
                top.iter()
                    .filter_map(|(k, r)| Some((*k, *r, statements(*k).into_iter().next()?)))
                    .collect(),
            );
        }
        top.first().map(|(k, _)| (*k, false))
    };
    let Some((key, pinned)) = chosen else {
        return Choice::Nothing;
    };
    let statements = statements(key);
    let Some(main) = statements
        .iter()
        .find(|h| h.applied.is_some() && h.on_owner())
        .or_else(|| statements.iter().find(|h| h.applied.is_some()))
        .or_else(|| statements.first())
        .cloned()
    else {
        return Choice::Nothing;
    };
    let servers = plex
        .systems
        .iter()
        .filter(|s| main.targets_system(s) || host_addr(s, resolve) == Some(key.dvipa))
        .collect();
    Choice::Chosen(ZosmfDistribution {
        key,
        main,
        statements,
        servers,
        pinned,
    })
}
