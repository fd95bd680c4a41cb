//! The HA rules of SPEC §4 over a [`Sysplex`].
//!
//! Rules 2001-2006, 2011, 2015, 2016 (same stack), 2017 and 2020 (a stack
//! that distributes what it backs up) follow from how z/OS applies one
//! profile and are found by `zha_tcpip::apply`; this module adds the rules
//! that look across systems (2012, 2013, 2014, 2016 and 2020 across stacks)
//! and the rules on z/OSMF's distribution and its HA group (1000-1008,
//! 2018, 2019), which `crate::zosmf` chooses.

use std::collections::BTreeMap;
use std::net::IpAddr;

use zha_diag::{Diagnostic, Span};
use zha_parmlib::{Autostart, Origin, Setting};
use zha_tcpip::{DistMethod, Stack, VipaOwner};

use crate::codes;
use crate::model::{Sysplex, System};
use crate::zosmf::{
    Choice, HotStandby, Key, Rank, ZosmfDistribution, hot_standby, zosmf_distribution,
};

/// What the rules need besides the model.
#[derive(Clone, Debug, Default)]
pub struct RuleOptions {
    /// `--resolve NAME=ADDR`: what a HOSTNAME resolves to (names upper case).
    pub resolve: BTreeMap<String, IpAddr>,
}

/// Rules for a profile checked alone: those that need no other system.
pub fn lone_profile(stack: &Stack) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    sysplex_routing(&[("this stack", stack)], &mut out);
    out
}

/// Every cross-system rule and every HA-group rule.
pub fn sysplex(plex: &Sysplex, opts: &RuleOptions) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // sysplex.toml's [resolve], overridden by --resolve.
    let mut resolve = plex.resolve.clone();
    resolve.extend(opts.resolve.iter().map(|(k, v)| (k.clone(), *v)));
    let opts = &RuleOptions { resolve };
    let stacks: Vec<(&str, &Stack)> = plex
        .systems
        .iter()
        .filter_map(|s| s.stack.as_ref().map(|st| (s.name.as_str(), st)))
        .collect();
    sysplex_routing(&stacks, &mut out);
    dvipa_ownership(&stacks, &mut out);
    destips_are_systems(plex, &mut out);
    dvipa_not_home_elsewhere(&stacks, &mut out);
    backups_not_moveable(&stacks, &mut out);
    ha_group(plex, opts, &mut out);
    out
}

/// Distributed DVIPAs, each once, with the stack that distributes it first.
fn distributed<'a>(stacks: &[(&'a str, &'a Stack)]) -> Vec<(IpAddr, &'a str, Span)> {
    let mut v: Vec<(IpAddr, &str, Span)> = Vec::new();
    for (name, st) in stacks {
        for d in &st.distributions {
            if !v.iter().any(|x| x.0 == d.dvipa.value) {
                v.push((d.dvipa.value, name, d.dvipa.span));
            }
        }
    }
    v
}

/// ZHA2014: SYSPLEXROUTING on every stack that owns or backs up a
/// distributed DVIPA.
fn sysplex_routing(stacks: &[(&str, &Stack)], out: &mut Vec<Diagnostic>) {
    let dvipas = distributed(stacks);
    for (name, st) in stacks {
        if st.sysplex_routing.is_some() {
            continue;
        }
        let Some(v) = st
            .vipas
            .iter()
            .find(|v| dvipas.iter().any(|d| d.0 == v.addr.value))
        else {
            continue;
        };
        let role = match v.owner {
            VipaOwner::Define => "owns",
            VipaOwner::Backup(_) => "backs up",
        };
        let mut d = Diagnostic::error(
            codes::SYSPLEXROUTING,
            format!(
                "{name} {role} distributed DVIPA {} but has no IPCONFIG SYSPLEXROUTING",
                v.addr.value
            ),
        )
        .primary(v.addr.span, format!("{role} a distributed DVIPA"));
        d = match st.ipconfig {
            Some(ip) => d.secondary(ip, "add SYSPLEXROUTING here"),
            None => d.note("this profile has no IPCONFIG statement"),
        };
        out.push(
            d.help("add SYSPLEXROUTING to IPCONFIG: `IPCONFIG SYSPLEXROUTING DYNAMICXCF address mask cost`")
                .zos("without SYSPLEXROUTING the stack does not take part in sysplex distribution for this DVIPA"),
        );
    }
}

/// ZHA2012: one VIPADEFINE owner, and a VIPABACKUP on another stack.
fn dvipa_ownership(stacks: &[(&str, &Stack)], out: &mut Vec<Diagnostic>) {
    for (dvipa, dist_name, dist_span) in distributed(stacks) {
        let defs: Vec<(&str, Span)> = stacks
            .iter()
            .filter_map(|(n, st)| {
                st.vipas
                    .iter()
                    .find(|v| v.addr.value == dvipa && v.owner == VipaOwner::Define)
                    .map(|v| (*n, v.addr.span))
            })
            .collect();
        if defs.len() > 1 {
            let names: Vec<&str> = defs.iter().map(|d| d.0).collect();
            let mut d = Diagnostic::warning(
                codes::DVIPA_OWNERSHIP,
                format!(
                    "DVIPA {dvipa} is defined by VIPADEFINE on {}",
                    names.join(" and ")
                ),
            )
            .primary(defs[1].1, format!("VIPADEFINE on {}", defs[1].0));
            for (n, s) in defs.iter().filter(|x| x.1 != defs[1].1) {
                d = d.secondary(*s, format!("VIPADEFINE on {n}"));
            }
            out.push(
                d.help(
                    "keep VIPADEFINE on the distributing system and use VIPABACKUP on the others",
                )
                .note("with several owners, the DVIPA moves to whichever stack defined it last"),
            );
            continue;
        }
        let backups = stacks.iter().any(|(n, st)| {
            !defs.iter().any(|d| d.0 == *n)
                && st
                    .vipas
                    .iter()
                    .any(|v| v.addr.value == dvipa && matches!(v.owner, VipaOwner::Backup(_)))
        });
        if !backups {
            let (owner, span) = defs.first().copied().unwrap_or((dist_name, dist_span));
            out.push(
                Diagnostic::warning(
                    codes::DVIPA_OWNERSHIP,
                    format!("no other system backs up DVIPA {dvipa}: losing {owner} loses the DVIPA"),
                )
                .primary(span, format!("only {owner} has it"))
                .help(format!(
                    "add `VIPABACKUP 100 MOVEABLE IMMEDIATE mask {dvipa}` and the same VIPADISTRIBUTE to another system's VIPADYNAMIC block"
                )),
            );
        }
    }
}

/// ZHA2020 across stacks: a VIPABACKUP without MOVEABLE for a DVIPA that
/// another stack distributes (a stack that distributes it itself is found
/// by `zha_tcpip::apply`, with one profile).
fn backups_not_moveable(stacks: &[(&str, &Stack)], out: &mut Vec<Diagnostic>) {
    for (name, st) in stacks {
        for v in &st.vipas {
            if !matches!(v.owner, VipaOwner::Backup(_)) || v.moveable.is_some() {
                continue;
            }
            let a = v.addr.value;
            let own = st.distributions.iter().any(|d| d.dvipa.value == a)
                || st
                    .ignored
                    .iter()
                    .any(|d| d.dvipa.value == zha_tcpip::DvipaRef::Addr(a));
            if own {
                continue;
            }
            let Some((by, dist)) = stacks.iter().find_map(|(n, o)| {
                o.distributions
                    .iter()
                    .find(|d| d.dvipa.value == a)
                    .map(|d| (*n, d))
            }) else {
                continue;
            };
            out.push(
                Diagnostic::warning(
                    zha_tcpip::codes::BACKUP_NOT_MOVEABLE,
                    format!("{name} backs up {a} without MOVEABLE; {by} distributes it"),
                )
                .primary(v.addr.span, "backed up without MOVEABLE")
                .secondary(v.keyword, "this VIPABACKUP only takes over an existing DVIPA")
                .secondary(dist.dvipa.span, format!("distributed by {by}"))
                .help(format!(
                    "write `VIPABACKUP rank MOVEABLE IMMEDIATE mask {a}` so that {name} creates the DVIPA when no other stack has it"
                ))
                .note("IBM (support Q&A 433874): a backup without MOVEABLE cannot create the DVIPA; when this system is IPLed first, or the owner is down, the DVIPA does not exist until the owning stack comes up"),
            );
        }
    }
}

/// ZHA2013, first half: every DESTIP is some system's DYNAMICXCF address.
fn destips_are_systems(plex: &Sysplex, out: &mut Vec<Diagnostic>) {
    let known: Vec<(IpAddr, &str)> = plex
        .systems
        .iter()
        .filter_map(|s| s.dynamic_xcf().map(|a| (a, s.name.as_str())))
        .collect();
    let list = if known.is_empty() {
        "no system has IPCONFIG DYNAMICXCF".to_owned()
    } else {
        let v: Vec<String> = known.iter().map(|(a, n)| format!("{n} {a}")).collect();
        format!("the DYNAMICXCF addresses are: {}", v.join(", "))
    };
    for s in &plex.systems {
        let Some(st) = &s.stack else { continue };
        for d in &st.distributions {
            for t in d.targets.iter().flatten() {
                if !known.iter().any(|k| k.0 == t.addr.value) {
                    // An address of a system of another kind: say which,
                    // and what to write instead.
                    let other = plex.systems.iter().find_map(|o| {
                        let kind = o.stack.as_ref()?.address_kind(t.addr.value)?;
                        Some((o, kind))
                    });
                    let (label, help) = match other {
                        Some((o, kind)) => (
                            format!("{kind} address of {}, not its DYNAMICXCF address", o.name),
                            match o.dynamic_xcf() {
                                Some(x) => format!(
                                    "write {}'s DYNAMICXCF address: `{x} {}`",
                                    o.name,
                                    role_for(o, d.dvipa.value)
                                ),
                                None => format!(
                                    "give {} IPCONFIG DYNAMICXCF and write that address here",
                                    o.name
                                ),
                            },
                        ),
                        None => (
                            "no system has this DYNAMICXCF address".to_owned(),
                            "DESTIP lists the target systems' DYNAMICXCF addresses (IPCONFIG DYNAMICXCF)".to_owned(),
                        ),
                    };
                    out.push(
                        Diagnostic::error(
                            codes::DESTIP_SYSTEMS,
                            format!(
                                "DESTIP {} is the DYNAMICXCF address of no system of {}",
                                t.addr.value, plex.name
                            ),
                        )
                        .primary(t.addr.span, label)
                        .secondary(
                            d.keyword,
                            format!("in {}'s VIPADISTRIBUTE for {}", s.name, d.dvipa.value),
                        )
                        .help(help)
                        .note(list.clone()),
                    );
                }
            }
        }
    }
}

/// ZHA2016 across stacks: a distributed DVIPA that another stack uses as a
/// home or DYNAMICXCF address.
fn dvipa_not_home_elsewhere(stacks: &[(&str, &Stack)], out: &mut Vec<Diagnostic>) {
    for (dvipa, dist_name, dist_span) in distributed(stacks) {
        for (name, st) in stacks {
            if *name == dist_name || st.rejected_vipas.iter().any(|r| r.value == dvipa) {
                continue;
            }
            if let Some(h) = st.own_addresses().find(|h| h.value == dvipa) {
                out.push(
                    Diagnostic::error(
                        zha_tcpip::codes::DVIPA_IS_HOME,
                        format!("DVIPA {dvipa} is also a home or DYNAMICXCF address of {name}"),
                    )
                    .primary(h.span, format!("{name} already has this address"))
                    .secondary(dist_span, format!("distributed by {dist_name}"))
                    .help("choose a DVIPA that no stack uses as a home or DYNAMICXCF address")
                    .zos(format!("{name} owns this address itself: connections to the DVIPA may reach {name} directly, and {name} could never take the DVIPA over")),
                );
            }
        }
    }
}

/// How a system's HOSTNAME relates to an address.
enum Host {
    Missing,
    Any,
    Addr(IpAddr),
    /// A DNS name, with its address when `--resolve` gave one.
    Name(String, Option<IpAddr>),
}

fn host(s: &System, opts: &RuleOptions) -> Host {
    let Some(h) = &s.settings.hostname else {
        return Host::Missing;
    };
    let v = h.value.trim();
    let addr = crate::zosmf::host_addr(s, &opts.resolve);
    if v == "*" {
        Host::Any
    } else if zha_tcpip::addr::ip(v).is_some() {
        addr.map_or(Host::Missing, Host::Addr)
    } else {
        Host::Name(v.to_owned(), addr)
    }
}

/// Rules 1000-1008 and the second half of 2013, on z/OSMF's distribution
/// as [`zosmf_distribution`] chooses it.
fn ha_group(plex: &Sysplex, opts: &RuleOptions, out: &mut Vec<Diagnostic>) {
    let z = match zosmf_distribution(plex, &opts.resolve) {
        Choice::Chosen(z) => z,
        Choice::Nothing => {
            no_zosmf_dvipa(plex, &hot_standby(plex), out);
            return;
        }
        Choice::Tie(cands) => {
            tie(&cands, out);
            return;
        }
        Choice::PinUnmatched(pin) => {
            pin_unmatched(plex, pin, out);
            return;
        }
    };
    let dvipa = z.key.dvipa;
    let main = &z.main;
    let servers = &z.servers;

    // ZHA2013, second half: an HA server that is no DESTIP.
    for s in servers {
        if !main.targets_system(s) && !main.targets.is_empty() {
            let mut d = Diagnostic::error(
                codes::DESTIP_SYSTEMS,
                format!(
                    "{} answers as the z/OSMF DVIPA {dvipa} but is no DESTIP of it",
                    s.name
                ),
            );
            if let Some(h) = &s.settings.hostname {
                d = d.primary(
                    h.origin_span().unwrap_or(main.keyword),
                    "HOSTNAME is the DVIPA",
                );
            }
            let listed = s.dynamic_xcf().is_some_and(|x| {
                main.applied.is_none() && main.targets.iter().any(|t| t.addr.value == x)
            });
            let mut removed = false;
            // A DELETE that removed this system from the targets.
            if let Some(x) = s.dynamic_xcf() {
                for o in &plex.systems {
                    let Some(st) = &o.stack else { continue };
                    for del in st.deleted.iter().filter(|del| {
                        del.removed.dvipa.value == dvipa
                            && z.key.port.is_none_or(|p| del.removed.covers_port(p))
                            && del
                                .removed
                                .targets
                                .iter()
                                .flatten()
                                .any(|t| t.addr.value == x)
                    }) {
                        removed = true;
                        d = d.secondary(
                            del.keyword,
                            format!(
                                "{} on {}: removes {} ({x}) from the targets",
                                del.by, o.name, s.name
                            ),
                        );
                    }
                }
            }
            if !removed && !listed {
                d = d.secondary(
                    main.keyword,
                    "this VIPADISTRIBUTE never sends it a connection",
                );
            }
            let help = match s.dynamic_xcf() {
                Some(x) if removed => format!(
                    "take {x} out of the VIPADISTRIBUTE DELETE, or take {} out of the HA group",
                    s.name
                ),
                Some(x) => format!(
                    "add `{x} {}` to the DESTIP list, or take {} out of the HA group",
                    role_for(s, dvipa),
                    s.name
                ),
                None => format!(
                    "give {} IPCONFIG DYNAMICXCF and add its address to DESTIP",
                    s.name
                ),
            };
            out.push(d.help(help));
        }
    }

    owner_distributes(plex, &z, out);
    port_reserved(servers, dvipa, out);
    let ctx = HaRules { servers, out };
    ctx.run(plex, dvipa, main, opts);
}

/// ZHA2018: the owner of the z/OSMF DVIPA distributes it, not only a backup.
fn owner_distributes(plex: &Sysplex, z: &ZosmfDistribution, out: &mut Vec<Diagnostic>) {
    let dvipa = z.key.dvipa;
    let backups: Vec<&HotStandby> = z
        .statements
        .iter()
        .filter(|h| h.applied.is_some() && !h.on_owner())
        .collect();
    let Some(backup) = backups.first() else {
        return;
    };
    let mut names: Vec<&str> = backups.iter().map(|h| h.system.name.as_str()).collect();
    names.dedup();
    let names = names.join(" and ");
    let covers = |ports: &[zha_diag::Located<zha_tcpip::PortRange>]| {
        z.key.port.is_none_or(|p| zha_tcpip::ports_cover(ports, p))
    };
    for o in &plex.systems {
        // A statement on the owner that z/OS ignores has its own finding.
        let distributes = o.stack.as_ref().is_some_and(|st| {
            st.distributions
                .iter()
                .any(|d| d.dvipa.value == dvipa && covers(&d.ports))
                || st
                    .ignored
                    .iter()
                    .any(|d| d.dvipa.value == zha_tcpip::DvipaRef::Addr(dvipa) && covers(&d.ports))
        });
        if distributes {
            continue;
        }
        let Some(v) = o
            .stack
            .as_ref()
            .and_then(|st| st.vipa(dvipa))
            .filter(|v| v.owner == VipaOwner::Define)
        else {
            continue;
        };
        let deleted = deletions(o, Some(dvipa), z.key.port);
        let mut d = Diagnostic::error(
            codes::OWNER_DISTRIBUTES,
            format!(
                "{} owns the z/OSMF DVIPA {dvipa} but does not distribute {}; only {names} {}",
                o.name,
                match z.key.port {
                    Some(p) => format!("port {p}"),
                    None => "it".to_owned(),
                },
                if backups.len() > 1 { "do" } else { "does" }
            ),
        )
        .primary(
            v.keyword,
            format!(
                "{} owns {dvipa} (VIPADEFINE) but distributes no z/OSMF port of it",
                o.name
            ),
        )
        .secondary(
            backup.keyword,
            format!("takes effect only while {} is down", o.name),
        );
        for (span, text) in deleted {
            d = d.secondary(span, text);
        }
        out.push(
            d.help(format!(
                "code the same VIPADISTRIBUTE in {}'s VIPADYNAMIC block, after its VIPADEFINE",
                o.name
            ))
            .zos(format!(
                "IBM: distribution coded on a backup stack happens only during a primary outage; while {} runs, a failed z/OSMF server is never switched away from",
                o.name
            )),
        );
    }
}

/// ZHA2019: the z/OSMF port on each HA server's stack is open to its
/// SERVER_PROC (PORT/PORTRANGE reservations, PORT UNRSV, RESTRICTLOWPORTS).
fn port_reserved(servers: &[&System], dvipa: IpAddr, out: &mut Vec<Diagnostic>) {
    use zha_tcpip::PortAccess;
    // A job-name pattern that admits every HA server: their procedures'
    // common prefix and `*` (none when they share no prefix).
    let procs: Vec<String> = servers
        .iter()
        .map(|s| s.settings.server_proc.value.to_ascii_uppercase())
        .filter(|p| !unresolved(p))
        .collect();
    let pattern = procs.first().and_then(|first| {
        let n = procs.iter().fold(first.chars().count(), |n, p| {
            first
                .chars()
                .zip(p.chars())
                .take(n)
                .take_while(|(a, b)| a == b)
                .count()
        });
        let prefix: String = first.chars().take(n).collect();
        (n > 0 && procs.len() > 1).then(|| format!("{prefix}*"))
    });
    for s in servers {
        let Some(st) = &s.stack else { continue };
        let port = s.settings.http_ssl_port.value;
        let job = &s.settings.server_proc;
        if unresolved(&job.value) {
            continue;
        }
        let proc_label = |d: Diagnostic| {
            d.secondary_opt(
                s.place(&job.origin),
                format!("{}: SERVER_PROC {}", s.name, job.value),
            )
        };
        let d = match st.port_access(port, &job.value) {
            PortAccess::Free => None,
            PortAccess::Allowed { bind: None, .. } => None,
            PortAccess::Allowed { bind: Some(b), .. } if b == dvipa || b.is_unspecified() => None,
            PortAccess::Allowed { by, bind: Some(b) } => Some(
                Diagnostic::error(
                    codes::PORT_RESERVED,
                    format!(
                        "{}'s stack binds {} on port {port} to {b}, not the DVIPA {dvipa}",
                        s.name, job.value
                    ),
                )
                .primary(by, format!("BIND {b}"))
                .help(format!("write `BIND {dvipa}` in this PORT entry, or remove BIND"))
                .zos(format!(
                    "the server listens only on {b}: connections the distributor sends to {dvipa} are refused"
                )),
            ),
            PortAccess::Blocked { by } => {
                let mut d = Diagnostic::error(
                    codes::PORT_RESERVED,
                    format!(
                        "{}'s stack reserves port {port} so that {} cannot listen on it",
                        s.name, job.value
                    ),
                );
                for (i, b) in by.iter().enumerate() {
                    d = if i == 0 {
                        d.primary(*b, format!("no entry for port {port} admits {}", job.value))
                    } else {
                        d.secondary(*b, "also decides")
                    };
                }
                Some(
                    d.help(match &pattern {
                        Some(p) => format!(
                            "reserve the port for the server's procedure, e.g. `{port} TCP {} NOAUTOLOG` in PORT, or `{port} TCP {p} SHAREPORT` for every HA server",
                            job.value
                        ),
                        None => format!(
                            "reserve the port for the server's procedure, e.g. `{port} TCP {} NOAUTOLOG` in PORT",
                            job.value
                        ),
                    })
                    .zos(format!(
                        "the z/OSMF server on {} cannot bind port {port}, so this target never becomes ready",
                        s.name
                    )),
                )
            }
            PortAccess::Saf { by, resource } => Some(
                Diagnostic::info(
                    codes::PORT_RESERVED,
                    format!(
                        "port {port} on {} is reserved with SAF {resource}: whether {} may listen depends on RACF",
                        s.name, job.value
                    ),
                )
                .primary(by, format!("SAF {resource}"))
                .help(format!(
                    "permit the server's user READ to EZB.PORTACCESS.sysname.tcpname.{resource} in class SERVAUTH"
                )),
            ),
            PortAccess::LowPort { by } => Some(
                Diagnostic::info(
                    codes::PORT_RESERVED,
                    format!(
                        "port {port} is below 1024 and {}'s stack has RESTRICTLOWPORTS: {} may listen only if APF-authorized or a superuser",
                        s.name, job.value
                    ),
                )
                .primary(by, "RESTRICTLOWPORTS")
                .help(format!(
                    "reserve the port for the server, e.g. `PORT {port} TCP {} NOAUTOLOG`",
                    job.value
                )),
            ),
            PortAccess::Unresolved { by } => {
                let mut d = Diagnostic::info(
                    codes::PORT_RESERVED,
                    format!(
                        "a reservation of port {port} on {} names a job with an unresolved symbol: not judged",
                        s.name
                    ),
                );
                for b in by {
                    d = d.secondary(b, "unresolved symbol in the job name");
                }
                if let Some(l) = d.labels.first_mut() {
                    l.primary = true;
                }
                Some(d.help(format!("give the symbol a value for {} in sysplex.toml", s.name)))
            }
        };
        if let Some(d) = d {
            out.push(proc_label(d));
        }
    }
}

/// Where a VIPADISTRIBUTE DELETE (or VIPADELETE) on a system's stack
/// removed a hot-standby distribution of `dvipa` (any, if `None`) on
/// `port` (any, if `None`): labels for a finding that follows from it.
fn deletions(s: &System, dvipa: Option<IpAddr>, port: Option<u16>) -> Vec<(Span, String)> {
    let Some(st) = &s.stack else {
        return Vec::new();
    };
    st.deleted
        .iter()
        .filter(|d| {
            d.removed.method == DistMethod::HotStandby
                && dvipa.is_none_or(|a| d.removed.dvipa.value == a)
                && port.is_none_or(|p| d.removed.covers_port(p))
        })
        .map(|d| {
            let what = match port {
                Some(p) if d.whole => {
                    format!("removes the distribution of {}..{p}", d.removed.dvipa.value)
                }
                Some(p) => format!("removes targets of {}..{p}", d.removed.dvipa.value),
                None => format!("removes a distribution of {}", d.removed.dvipa.value),
            };
            (d.keyword, format!("{} on {}: {what}", d.by, s.name))
        })
        .collect()
}

/// The role a system should have in a DVIPA's DESTIP list: PREFERRED for
/// the stack that owns the DVIPA (its VIPADEFINE), BACKUP for the others.
pub(crate) fn role_for(s: &System, dvipa: IpAddr) -> &'static str {
    if crate::zosmf::owns(s, dvipa) {
        "PREFERRED"
    } else {
        "BACKUP"
    }
}

fn tie(cands: &[(Key, Rank, HotStandby)], out: &mut Vec<Diagnostic>) {
    let names: Vec<String> = cands.iter().map(|c| c.0.to_string()).collect();
    let mut d = Diagnostic::warning(
        codes::NO_ZOSMF_DVIPA,
        format!(
            "{} hot-standby distributions could be z/OSMF's: {}; the z/OSMF rules judge neither",
            cands.len(),
            names.join(" and ")
        ),
    );
    for (i, (k, r, h)) in cands.iter().enumerate() {
        let text = format!(
            "{k} on {}: z/OSMF systems as DESTIP {}, of them AUTOSTART(LOCAL) {}, with HOSTNAME {} {}",
            h.system.name, r.servers, r.local, k.dvipa, r.by_host
        );
        d = if i == 0 {
            d.primary(h.dvipa_span, text)
        } else {
            d.secondary(h.dvipa_span, text)
        };
    }
    let first = names.first().cloned().unwrap_or_default();
    out.push(
        d.help(format!(
            "say which one serves z/OSMF in sysplex.toml: `zosmf = \"{first}\"`"
        ))
        .note("candidates rank by the DESTIP systems whose HTTP_SSL_PORT the statement distributes, then by AUTOSTART(LOCAL), then by HOSTNAME; never by file order"),
    );
}

fn pin_unmatched(plex: &Sysplex, pin: crate::config::ZosmfPin, out: &mut Vec<Diagnostic>) {
    let mut d = Diagnostic::error(
        codes::NO_ZOSMF_DVIPA,
        format!(
            "sysplex.toml names {}..{} as z/OSMF's distribution, but no VIPADISTRIBUTE DISTMETHOD HOTSTANDBY distributes it",
            pin.dvipa, pin.port
        ),
    )
    .primary(pin.span, "zosmf = this DVIPA and port");
    for h in hot_standby(plex) {
        d = d.secondary(
            h.dvipa_span,
            format!("hot-standby DVIPA {} on {}", h.dvipa, h.system.name),
        );
    }
    out.push(d.help(
        "name a hot-standby DVIPA and a port of its PORT list, as NETSTAT shows them (`addr..port`), or remove `zosmf` to let check choose",
    ));
}

fn no_zosmf_dvipa(plex: &Sysplex, cands: &[HotStandby], out: &mut Vec<Diagnostic>) {
    let ports = crate::zosmf::zosmf_ports(plex);
    let port_list: Vec<String> = ports.iter().map(u16::to_string).collect();
    let port_list = port_list.join(" or ");
    // Each hot-standby distribution once, as DVIPA and PORT list.
    let mut shown: Vec<(IpAddr, String)> = Vec::new();
    for c in cands {
        let k = (c.dvipa, ports_text(c.ports));
        if !shown.contains(&k) {
            shown.push(k);
        }
    }
    let mut d = if cands.is_empty() {
        Diagnostic::error(
            codes::NO_ZOSMF_DVIPA,
            format!(
                "no VIPADISTRIBUTE DISTMETHOD HOTSTANDBY in {}: z/OSMF has no hot standby",
                plex.name
            ),
        )
    } else {
        let v: Vec<String> = shown
            .iter()
            .map(|(a, p)| {
                if p.is_empty() {
                    a.to_string()
                } else {
                    format!("{a} PORT {p}")
                }
            })
            .collect();
        Diagnostic::error(
            codes::NO_ZOSMF_DVIPA,
            format!(
                "no hot-standby distribution carries the z/OSMF port {port_list}: {}",
                v.join(", ")
            ),
        )
    };
    for c in cands {
        d = d.secondary(
            c.dvipa_span,
            format!("{} hot-standby DVIPA on {}", c.dvipa, c.system.name),
        );
    }
    // A VIPADISTRIBUTE DELETE that removed a hot-standby distribution of
    // the z/OSMF port is the likely cause.
    for s in &plex.systems {
        for &p in &ports {
            for (span, text) in deletions(s, None, Some(p)) {
                if !d.labels.iter().any(|l| l.span == span) {
                    d = d.secondary(span, text);
                }
            }
        }
    }
    // A distribution of the z/OSMF port by another method is the likely cause.
    for s in &plex.systems {
        let Some(st) = &s.stack else { continue };
        for dist in &st.distributions {
            if dist.method != DistMethod::HotStandby && ports.iter().any(|p| dist.covers_port(*p)) {
                d = d.secondary(
                    dist.keyword,
                    format!(
                        "distributes the z/OSMF port with {} (load balancing)",
                        dist.method.display()
                    ),
                );
            }
        }
    }
    if d.labels.is_empty() {
        if let Some(s) = plex.systems.iter().find_map(|s| s.name_span) {
            d = d.primary(s, "in this sysplex");
        }
    } else if let Some(l) = d.labels.first_mut() {
        l.primary = true;
    }
    let port = ports.first().copied().unwrap_or(443);
    let help = match shown.as_slice() {
        [(dvipa, p)] if !p.is_empty() => format!(
            "add {port} to the PORT list of the VIPADISTRIBUTE for {dvipa}, or set HTTP_SSL_PORT({}) on the z/OSMF servers",
            p.split([' ', '-']).next().unwrap_or_default()
        ),
        _ => format!(
            "distribute the DVIPA with `VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY dvipa PORT {port} DESTIP sysa_xcf PREFERRED sysb_xcf BACKUP` and set HOSTNAME to the DVIPA on every z/OSMF server"
        ),
    };
    out.push(
        d.help(help)
        .note("z/OSMF servers keep their own state, so IBM supports only hot standby (no load balancing) between them"),
    );
}

/// A PORT list as written: `443 7554-7560`.
fn ports_text(ports: &[zha_diag::Located<zha_tcpip::PortRange>]) -> String {
    let v: Vec<String> = ports.iter().map(|p| p.value.to_string()).collect();
    v.join(" ")
}

trait OriginSpan {
    fn origin_span(&self) -> Option<Span>;
}

impl<T> OriginSpan for Setting<T> {
    fn origin_span(&self) -> Option<Span> {
        match self.origin {
            Origin::Set { span, .. } => Some(span),
            Origin::Default => None,
        }
    }
}

/// The rules on the HA group (1001-1008).
struct HaRules<'a, 'o> {
    servers: &'a [&'a System],
    out: &'o mut Vec<Diagnostic>,
}

impl HaRules<'_, '_> {
    fn run(self, plex: &Sysplex, dvipa: IpAddr, main: &HotStandby, opts: &RuleOptions) {
        let HaRules { servers, out } = self;
        let label =
            |s: &System, what: &str, origin: &Origin, value: &str| -> (Option<Span>, String) {
                let mut text = match origin {
                    Origin::Set { .. } => format!("{}: {what} {value}", s.name),
                    Origin::Default => format!("{}: no {what}, default {value}", s.name),
                };
                if let Some(n) = s.order_note(origin) {
                    text = format!("{text} ({n})");
                }
                (s.place(origin), text)
            };

        // ZHA1001 and ZHA1006: values that must differ. The help names
        // groups the servers do not have yet: one per system, by its
        // &SYSCLONE. (the last two characters of its name).
        let clones: Vec<String> = servers
            .iter()
            .map(|s| {
                let n = s.name.chars().count();
                format!(
                    "IZUDF{}",
                    s.name.chars().skip(n.saturating_sub(2)).collect::<String>()
                )
            })
            .collect();
        let group_help = format!(
            "give each HA server its own group: AUTOSTART_GROUP('IZUDF&SYSCLONE.') in a shared member gives {}; or write each system's group in its own member",
            clones.join(", ")
        );
        must_differ(
            out,
            servers,
            codes::AUTOSTART_GROUP,
            "AUTOSTART_GROUP",
            |s| &s.settings.autostart_group,
            &label,
            |v, names| format!("AUTOSTART_GROUP {v} is shared by {names}"),
            &group_help,
            Some(
                "z/OS starts only one z/OSMF server per autostart group in the sysplex: the others do not start their own server at IPL, so there is no standby",
            ),
        );
        autostart_outside(plex, servers, out);
        must_differ(
            out,
            servers,
            codes::SERVER_PROC,
            "SERVER_PROC",
            |s| &s.settings.server_proc,
            &label,
            |v, names| format!("SERVER_PROC {v} is used by {names}"),
            "copy IZUSVR1 once per server (e.g. IZUSVRA, IZUSVRB) and name each copy in its system's SERVER_PROC",
            None,
        );

        // ZHA1002: AUTOSTART(LOCAL); one finding per statement (a shared
        // member's statement is one cause).
        let connect: Vec<&System> = servers
            .iter()
            .copied()
            .filter(|s| s.settings.autostart.value == Autostart::Connect)
            .collect();
        for group in alike(&connect, |s| {
            (s.place(&s.settings.autostart.origin), String::new())
        }) {
            let (names, has) = names_of(&group);
            let mut d = Diagnostic::error(
                codes::AUTOSTART_LOCAL,
                format!(
                    "{names} {has} AUTOSTART(CONNECT): no z/OSMF server of {} own",
                    if group.len() > 1 { "their" } else { "its" }
                ),
            );
            let origin = &group[0].settings.autostart.origin;
            if let Some(p) = group[0].place(origin) {
                let text = match group[0].order_note(origin) {
                    Some(n) => format!("CONNECT ({n})"),
                    None => "CONNECT".to_owned(),
                };
                d = d.primary(p, text);
            }
            out.push(
                d.help("write AUTOSTART(LOCAL), or remove the statement (LOCAL is the default)")
                    .zos(format!(
                        "at IPL {names} {} to the group's server instead of starting one",
                        if group.len() > 1 {
                            "connect"
                        } else {
                            "connects"
                        }
                    )),
            );
        }

        // ZHA1003: HOSTNAME is the DVIPA.
        let (open, judged): (Vec<&System>, Vec<&System>) = servers.iter().partition(|s| {
            s.settings
                .hostname
                .as_ref()
                .is_some_and(|h| unresolved(&h.value))
        });
        for group in alike(&open, |s| {
            let h = s.settings.hostname.as_ref();
            (
                h.and_then(|h| h.origin_span()),
                h.map(|h| h.value.clone()).unwrap_or_default(),
            )
        }) {
            if let Some(h) = &group[0].settings.hostname {
                out.push(not_judged(codes::HOSTNAME, &group, "HOSTNAME", h));
            }
        }
        let place_of = |s: &System| {
            s.settings
                .hostname
                .as_ref()
                .and_then(|h| h.origin_span())
                .or_else(|| s.place(&Origin::Default))
        };
        for group in alike(&judged, |s| {
            let v = s.settings.hostname.as_ref().map(|h| h.value.clone());
            (place_of(s), v.unwrap_or_default())
        }) {
            let s = group[0];
            let (names, has) = names_of(&group);
            let place = place_of(s);
            let d = match host(s, opts) {
                Host::Addr(a) if a == dvipa => None,
                Host::Name(_, Some(a)) if a == dvipa => None,
                Host::Missing => Some(Diagnostic::error(codes::HOSTNAME, format!("{names} {} no HOSTNAME; it must be the DVIPA {dvipa}", if group.len() > 1 { "set" } else { "sets" }))
                    .primary_opt(place, "no HOSTNAME in the members: z/OSMF uses the system's own host name")),
                Host::Any => Some(Diagnostic::error(codes::HOSTNAME, format!("{names} {has} HOSTNAME('*'); it must be the DVIPA {dvipa}"))
                    .primary_opt(place, "any host name")),
                Host::Addr(a) => Some(Diagnostic::error(codes::HOSTNAME, format!("{names} {has} HOSTNAME {a}, not the DVIPA {dvipa}"))
                    .primary_opt(place, format!("{a} is not {dvipa}"))),
                Host::Name(n, Some(a)) => Some(Diagnostic::error(codes::HOSTNAME, format!("{names} {has} HOSTNAME {n}, which resolves to {a}, not the DVIPA {dvipa}"))
                    .primary_opt(place, format!("resolves to {a} (--resolve or [resolve])"))),
                Host::Name(n, None) => Some(Diagnostic::warning(codes::HOSTNAME, format!("{names} {has} HOSTNAME {n}; whether it is the DVIPA {dvipa} cannot be verified offline"))
                    .primary_opt(place, "a DNS name")
                    .note(format!("pass `--resolve {n}={dvipa}`, or write `\"{n}\" = \"{dvipa}\"` under [resolve] in sysplex.toml, to state what it resolves to"))),
            };
            if let Some(mut d) = d {
                // The DVIPA the HOSTNAME names lost its distribution of the
                // z/OSMF port to a DELETE: that is the cause to show.
                if let Some(a) = crate::zosmf::host_addr(s, &opts.resolve).filter(|a| *a != dvipa) {
                    let port = s.settings.http_ssl_port.value;
                    for o in &plex.systems {
                        for (span, text) in deletions(o, Some(a), Some(port)) {
                            d = d.secondary(span, text);
                        }
                    }
                }
                out.push(d.secondary(main.dvipa_span, "the z/OSMF DVIPA")
                    .help(format!("set HOSTNAME('{dvipa}') (or a DNS name of the DVIPA) on every HA server")));
            }
        }

        // ZHA1004: one HTTP_SSL_PORT, and distributed.
        must_agree(
            out,
            servers,
            codes::PORT,
            "HTTP_SSL_PORT",
            |s| &s.settings.http_ssl_port,
            &label,
            "set the same HTTP_SSL_PORT in every HA server's member",
        );
        let mut seen: Vec<u16> = Vec::new();
        for s in servers {
            let port = s.settings.http_ssl_port.value;
            if seen.contains(&port) {
                continue;
            }
            seen.push(port);
            if !main.covers(port) {
                let (place, text) = label(
                    s,
                    "HTTP_SSL_PORT",
                    &s.settings.http_ssl_port.origin,
                    &port.to_string(),
                );
                let list: Vec<String> = ports_text(main.ports)
                    .split(' ')
                    .map(str::to_owned)
                    .collect();
                let port_span = match (main.ports.first(), main.ports.last()) {
                    (Some(a), Some(b)) => a.span.to(b.span),
                    _ => main.dvipa_span,
                };
                let deleted = deletions(main.system, Some(dvipa), Some(port));
                let primary = if deleted.is_empty() {
                    format!("{port} is not in this PORT list")
                } else {
                    format!("{port} is not in this PORT list once the DELETE is applied")
                };
                let mut d = Diagnostic::error(
                    codes::PORT,
                    format!(
                        "z/OSMF listens on {port} but the DVIPA distributes port {}",
                        list.join(" ")
                    ),
                )
                .primary(port_span, primary)
                .secondary_opt(place, text);
                for (span, text) in deleted {
                    d = d.secondary(span, text);
                }
                out.push(d.help(format!("add {port} to the PORT list of the VIPADISTRIBUTE for {dvipa}, or set HTTP_SSL_PORT({})", list.first().cloned().unwrap_or_default())));
            }
        }

        // ZHA1005, ZHA1007: values that must be equal.
        must_agree(
            out,
            servers,
            codes::KEYRING,
            "KEYRING_NAME",
            |s| &s.settings.keyring_name,
            &label,
            "use one key ring name (and one certificate for the DVIPA) on every HA server",
        );
        must_agree(
            out,
            servers,
            codes::SAF_PREFIX,
            "SAF_PREFIX",
            |s| &s.settings.saf_prefix,
            &label,
            "use one SAF_PREFIX on every HA server",
        );

        // ZHA1008: USER_DIR distinct and not nested.
        let judged = judgeable(out, servers, codes::USER_DIR, "USER_DIR", |s| {
            &s.settings.user_dir
        });
        for (i, a) in judged.iter().enumerate() {
            for b in &judged[i + 1..] {
                let (pa, pb) = (
                    norm_dir(&a.settings.user_dir.value),
                    norm_dir(&b.settings.user_dir.value),
                );
                let (ua, ub) = (&a.settings.user_dir.value, &b.settings.user_dir.value);
                let message = if pa == pb {
                    format!("{} and {} share USER_DIR {ua}", a.name, b.name)
                } else if inside(&pb, &pa) {
                    format!(
                        "USER_DIR of {} ({ub}) is inside {}'s ({ua})",
                        b.name, a.name
                    )
                } else if inside(&pa, &pb) {
                    format!(
                        "USER_DIR of {} ({ua}) is inside {}'s ({ub})",
                        a.name, b.name
                    )
                } else {
                    continue;
                };
                let (la, ta) = label(a, "USER_DIR", &a.settings.user_dir.origin, ua);
                let (lb, tb) = label(b, "USER_DIR", &b.settings.user_dir.origin, ub);
                out.push(Diagnostic::error(codes::USER_DIR, message)
                    .primary_opt(lb, tb)
                    .secondary_opt(la, ta)
                    .help(format!("give each server its own data directory, e.g. USER_DIR('/global/zosmf/{}') and USER_DIR('/global/zosmf/{}')", a.name.to_ascii_lowercase(), b.name.to_ascii_lowercase()))
                    .zos("each z/OSMF server holds an ENQ on its data directory: the second server fails to start or both corrupt shared data"));
            }
        }
    }
}

fn norm_dir(p: &str) -> String {
    let mut s = String::with_capacity(p.len());
    for part in p.split('/').filter(|x| !x.is_empty() && *x != ".") {
        s.push('/');
        s.push_str(part);
    }
    if s.is_empty() { "/".to_owned() } else { s }
}

/// Whether `inner` lies strictly inside `outer` (both normalised).
fn inside(inner: &str, outer: &str) -> bool {
    inner.len() > outer.len()
        && inner.starts_with(outer)
        && (outer == "/" || inner.as_bytes()[outer.len()] == b'/')
}

type Labeler<'l> = dyn Fn(&System, &str, &Origin, &str) -> (Option<Span>, String) + 'l;

/// One finding per value shared by several servers.
#[allow(clippy::too_many_arguments)]
fn must_differ<'s>(
    out: &mut Vec<Diagnostic>,
    servers: &[&'s System],
    code: &'static str,
    what: &str,
    get: impl Fn(&'s System) -> &'s Setting<String>,
    label: &Labeler,
    message: impl Fn(&str, &str) -> String,
    help: &str,
    zos: Option<&str>,
) {
    let servers = judgeable(out, servers, code, what, &get);
    let mut groups: Vec<(String, Vec<&System>)> = Vec::new();
    for s in servers {
        let k = get(s).value.to_ascii_uppercase();
        match groups.iter_mut().find(|g| g.0 == k) {
            Some(g) => g.1.push(s),
            None => groups.push((k, vec![s])),
        }
    }
    for (_, members) in groups.iter().filter(|g| g.1.len() > 1) {
        let names: Vec<&str> = members.iter().map(|s| s.name.as_str()).collect();
        let value = &get(members[0]).value;
        let mut d = Diagnostic::error(code, message(value, &names.join(" and ")));
        for (i, s) in members.iter().enumerate() {
            let set = get(s);
            let (place, text) = label(s, what, &set.origin, &set.value);
            d = if i == 1 {
                d.primary_opt(place, text)
            } else {
                d.secondary_opt(place, text)
            };
        }
        d = d.help(help);
        if let Some(z) = zos {
            d = d.zos(z);
        }
        out.push(d);
    }
}

/// One finding when the servers do not all have the same value; the first
/// server's value is the reference.
fn must_agree<'s, T: ToString + PartialEq + 's>(
    out: &mut Vec<Diagnostic>,
    servers: &[&'s System],
    code: &'static str,
    what: &str,
    get: impl Fn(&'s System) -> &'s Setting<T>,
    label: &Labeler,
    help: &str,
) {
    let servers = &judgeable(out, servers, code, what, &get)[..];
    let Some(first) = servers.first() else { return };
    let reference = get(first);
    let differing: Vec<&&System> = servers
        .iter()
        .filter(|s| get(s).value != reference.value)
        .collect();
    if differing.is_empty() {
        return;
    }
    let mut d = Diagnostic::error(
        code,
        format!("{what} differs between HA servers: {}", {
            let v: Vec<String> = servers
                .iter()
                .map(|s| format!("{} {}", s.name, get(s).value.to_string()))
                .collect();
            v.join(", ")
        }),
    );
    for (i, s) in differing.iter().enumerate() {
        let set = get(s);
        let (place, text) = label(s, what, &set.origin, &set.value.to_string());
        d = if i == 0 {
            d.primary_opt(place, text)
        } else {
            d.secondary_opt(place, text)
        };
    }
    let (place, text) = label(first, what, &reference.origin, &reference.value.to_string());
    out.push(d.secondary_opt(place, text).help(help));
}

/// Servers grouped by the statement and value a setting comes from: a
/// statement of a shared member is one cause, reported once.
fn alike<'s>(
    servers: &[&'s System],
    key: impl Fn(&'s System) -> (Option<Span>, String),
) -> Vec<Vec<&'s System>> {
    type Group<'g> = ((Option<Span>, String), Vec<&'g System>);
    let mut groups: Vec<Group> = Vec::new();
    for s in servers {
        let k = key(s);
        // A default has no statement: each system is its own cause.
        let shared = k.0.is_some() && k.0 != s.name_span;
        match groups.iter_mut().find(|g| shared && g.0 == k) {
            Some(g) => g.1.push(s),
            None => groups.push((k, vec![s])),
        }
    }
    groups.into_iter().map(|g| g.1).collect()
}

/// "SYSA" / "SYSA and SYSB", with the verb that goes with it.
fn names_of(group: &[&System]) -> (String, &'static str) {
    let v: Vec<&str> = group.iter().map(|s| s.name.as_str()).collect();
    (v.join(" and "), if v.len() > 1 { "have" } else { "has" })
}

/// Whether a value still holds a system symbol after substitution: its
/// real value is unknown, so it is never compared as a value.
fn unresolved(v: &str) -> bool {
    zha_diag::symbols::Symbols::new()
        .substitute(v)
        .is_some_and(|(_, u)| !u.is_empty())
}

/// The note that a rule could not judge a value (ZHA0013W says why); one
/// for the systems that share the statement.
fn not_judged<T: ToString>(
    code: &'static str,
    group: &[&System],
    what: &str,
    set: &Setting<T>,
) -> Diagnostic {
    let (names, _) = names_of(group);
    let value = set.value.to_string();
    let s = group[0];
    Diagnostic::info(
        code,
        format!("{what} of {names} is {value}, which holds an unresolved symbol: not judged"),
    )
    .primary_opt(s.place(&set.origin), "unresolved symbol")
    .help(format!(
        "give the symbol a value for {names} in sysplex.toml (`symbols = {{ NAME = \"value\" }}`)"
    ))
}

/// The servers whose value can be judged; a note for the others.
fn judgeable<'s, T: ToString + 's>(
    out: &mut Vec<Diagnostic>,
    servers: &[&'s System],
    code: &'static str,
    what: &str,
    get: impl Fn(&'s System) -> &'s Setting<T>,
) -> Vec<&'s System> {
    let (open, judged): (Vec<&System>, Vec<&System>) = servers
        .iter()
        .partition(|s| unresolved(&get(s).value.to_string()));
    for group in alike(&open, |s| {
        let set = get(s);
        (s.place(&set.origin), set.value.to_string())
    }) {
        out.push(not_judged(code, &group, what, get(group[0])));
    }
    judged
}

/// ZHA1001 beyond the HA group: a system outside it that starts its own
/// server in an HA server's autostart group may start that group's only
/// server, and the HA server then starts none.
fn autostart_outside(plex: &Sysplex, servers: &[&System], out: &mut Vec<Diagnostic>) {
    for o in plex.systems.iter().filter(|o| {
        !o.members.is_empty()
            && o.settings.autostart.value == Autostart::Local
            && !servers.iter().any(|s| s.name == o.name)
            && !unresolved(&o.settings.autostart_group.value)
    }) {
        let group = &o.settings.autostart_group;
        let shared: Vec<&&System> = servers
            .iter()
            .filter(|s| {
                s.settings.autostart.value == Autostart::Local
                    && s.settings
                        .autostart_group
                        .value
                        .eq_ignore_ascii_case(&group.value)
            })
            .collect();
        if shared.is_empty() {
            continue;
        }
        let names: Vec<&str> = shared.iter().map(|s| s.name.as_str()).collect();
        let mut d = Diagnostic::error(
            codes::AUTOSTART_GROUP,
            format!(
                "{}, outside the HA group, starts autostart group {} too, with HA server{} {}",
                o.name,
                group.value,
                if names.len() > 1 { "s" } else { "" },
                names.join(" and ")
            ),
        )
        .primary_opt(
            o.place(&group.origin),
            format!(
                "{}: AUTOSTART_GROUP {} and AUTOSTART(LOCAL)",
                o.name, group.value
            ),
        );
        for s in &shared {
            d = d.secondary_opt(
                s.place(&s.settings.autostart_group.origin),
                format!("{}: HA server in {}", s.name, group.value),
            );
        }
        out.push(
            d.help(format!(
                "give {} an autostart group of its own, or AUTOSTART(CONNECT) if it should use the HA group's server",
                o.name
            ))
            .zos(format!(
                "only one server per autostart group starts in the sysplex: if {} IPLs first, {} {} no server",
                o.name,
                names.join(" and "),
                if names.len() > 1 { "start" } else { "starts" }
            )),
        );
    }
}

trait OptLabels {
    fn primary_opt(self, span: Option<Span>, msg: impl Into<String>) -> Self;
    fn secondary_opt(self, span: Option<Span>, msg: impl Into<String>) -> Self;
}

impl OptLabels for Diagnostic {
    fn primary_opt(self, span: Option<Span>, msg: impl Into<String>) -> Self {
        match span {
            Some(s) => self.primary(s, msg),
            None => self,
        }
    }

    fn secondary_opt(self, span: Option<Span>, msg: impl Into<String>) -> Self {
        match span {
            Some(s) => self.secondary(s, msg),
            None => self,
        }
    }
}
