//! The HA rules of SPEC §4 over a [`Sysplex`].
//!
//! Rules 2001-2006, 2011, 2015, 2016 (same stack) and 2017 follow from how
//! z/OS applies one profile and are found by `zha_tcpip::apply`; this module
//! adds the rules that look across systems (2012, 2013, 2014, 2016 across
//! stacks) and the rules on the HA group (1000-1008).

use std::collections::BTreeMap;
use std::net::IpAddr;

use zha_diag::{Diagnostic, Span};
use zha_parmlib::{Autostart, Origin, Setting};
use zha_tcpip::{DistMethod, PortRange, Stack, Target, VipaOwner};

use crate::codes;
use crate::model::{Sysplex, System};

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
    let stacks: Vec<(&str, &Stack)> = plex
        .systems
        .iter()
        .filter_map(|s| s.stack.as_ref().map(|st| (s.name.as_str(), st)))
        .collect();
    sysplex_routing(&stacks, &mut out);
    dvipa_ownership(&stacks, &mut out);
    destips_are_systems(plex, &mut out);
    dvipa_not_home_elsewhere(&stacks, &mut out);
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
                    out.push(
                        Diagnostic::error(
                            codes::DESTIP_SYSTEMS,
                            format!("DESTIP {} is the DYNAMICXCF address of no system of {}", t.addr.value, plex.name),
                        )
                        .primary(t.addr.span, "no system has this DYNAMICXCF address")
                        .secondary(d.keyword, format!("in {}'s VIPADISTRIBUTE for {}", s.name, d.dvipa.value))
                        .help("DESTIP lists the target systems' DYNAMICXCF addresses (IPCONFIG DYNAMICXCF)")
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
                    .zos(format!("{name} cannot take over the DVIPA (EZZ8307I), and connections to it may reach {name} directly")),
                );
            }
        }
    }
}

/// A HOTSTANDBY VIPADISTRIBUTE, applied or ignored by z/OS, as a candidate
/// for the z/OSMF DVIPA.
struct Candidate<'a> {
    system: &'a System,
    dvipa: IpAddr,
    dvipa_span: Span,
    ports: &'a [zha_diag::Located<PortRange>],
    targets: Vec<&'a Target>,
    keyword: Span,
    applied: bool,
}

impl Candidate<'_> {
    fn covers(&self, port: u16) -> bool {
        zha_tcpip::ports_cover(self.ports, port)
    }
}

fn candidates(plex: &Sysplex) -> Vec<Candidate<'_>> {
    let mut v = Vec::new();
    for s in &plex.systems {
        let Some(st) = &s.stack else { continue };
        for d in st
            .distributions
            .iter()
            .filter(|d| d.method == DistMethod::HotStandby)
        {
            v.push(Candidate {
                system: s,
                dvipa: d.dvipa.value,
                dvipa_span: d.dvipa.span,
                ports: &d.ports,
                targets: d.targets.iter().flatten().collect(),
                keyword: d.keyword,
                applied: true,
            });
        }
        for d in st
            .ignored
            .iter()
            .filter(|d| d.method == DistMethod::HotStandby)
        {
            if let zha_tcpip::DvipaRef::Addr(a) = d.dvipa.value {
                v.push(Candidate {
                    system: s,
                    dvipa: a,
                    dvipa_span: d.dvipa.span,
                    ports: &d.ports,
                    targets: d.targets.iter().collect(),
                    keyword: d.keyword,
                    applied: false,
                });
            }
        }
    }
    v
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
    if v == "*" {
        Host::Any
    } else if let Some(a) = zha_tcpip::addr::ip(v) {
        Host::Addr(a)
    } else {
        Host::Name(
            v.to_owned(),
            opts.resolve.get(&v.to_ascii_uppercase()).copied(),
        )
    }
}

fn host_addr(s: &System, opts: &RuleOptions) -> Option<IpAddr> {
    match host(s, opts) {
        Host::Addr(a) | Host::Name(_, Some(a)) => Some(a),
        _ => None,
    }
}

/// Rules 1000-1008 and the second half of 2013.
fn ha_group(plex: &Sysplex, opts: &RuleOptions, out: &mut Vec<Diagnostic>) {
    let cands = candidates(plex);
    let score = |c: &Candidate| {
        let by_host = plex
            .systems
            .iter()
            .any(|s| host_addr(s, opts) == Some(c.dvipa));
        let by_port = plex
            .systems
            .iter()
            .any(|s| c.covers(s.settings.http_ssl_port.value));
        match (by_host, by_port) {
            (true, true) => 3,
            (false, true) => 2,
            (true, false) => 1,
            _ => 0,
        }
    };
    let best = cands.iter().map(score).max().unwrap_or(0);
    let top: Vec<&Candidate> = cands.iter().filter(|c| score(c) == best).collect();
    let mut addrs: Vec<IpAddr> = top.iter().map(|c| c.dvipa).collect();
    addrs.dedup();
    if top.is_empty() || (best == 0 && addrs.len() > 1) {
        no_zosmf_dvipa(plex, &cands, out);
        return;
    }
    let dvipa = top[0].dvipa;
    // The statement to judge by: the applied one on the owning stack first.
    let stmts: Vec<&Candidate> = cands.iter().filter(|c| c.dvipa == dvipa).collect();
    let owns = |c: &&&Candidate| {
        c.system
            .stack
            .as_ref()
            .and_then(|st| st.vipa(dvipa))
            .is_some_and(|v| v.owner == VipaOwner::Define)
    };
    let main = stmts
        .iter()
        .find(|c| c.applied && owns(c))
        .or_else(|| stmts.iter().find(|c| c.applied))
        .unwrap_or(&stmts[0]);

    let servers: Vec<&System> = plex
        .systems
        .iter()
        .filter(|s| {
            s.dynamic_xcf()
                .is_some_and(|x| main.targets.iter().any(|t| t.addr.value == x))
                || host_addr(s, opts) == Some(dvipa)
        })
        .collect();

    // ZHA2013, second half: an HA server that is no DESTIP.
    for s in &servers {
        let is_dest = s
            .dynamic_xcf()
            .is_some_and(|x| main.targets.iter().any(|t| t.addr.value == x));
        if !is_dest && !main.targets.is_empty() {
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
            d = d.secondary(
                main.keyword,
                "this VIPADISTRIBUTE never sends it a connection",
            );
            let help = match s.dynamic_xcf() {
                Some(x) => format!(
                    "add `{x} BACKUP` to the DESTIP list, or take {} out of the HA group",
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

    let ctx = Ctx {
        servers: &servers,
        out,
    };
    ctx.run(dvipa, main, opts);
}

fn no_zosmf_dvipa(plex: &Sysplex, cands: &[Candidate], out: &mut Vec<Diagnostic>) {
    let ports: Vec<u16> = {
        let mut v: Vec<u16> = plex
            .systems
            .iter()
            .map(|s| s.settings.http_ssl_port.value)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut d = if cands.is_empty() {
        Diagnostic::error(
            codes::NO_ZOSMF_DVIPA,
            format!(
                "no VIPADISTRIBUTE DISTMETHOD HOTSTANDBY in {}: z/OSMF has no hot standby",
                plex.name
            ),
        )
    } else {
        let v: Vec<String> = cands.iter().map(|c| c.dvipa.to_string()).collect();
        Diagnostic::error(
            codes::NO_ZOSMF_DVIPA,
            format!(
                "cannot tell which hot-standby DVIPA serves z/OSMF: {}",
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
    out.push(
        d.help(format!(
            "distribute the DVIPA with `VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY dvipa PORT {port} DESTIP sysa_xcf PREFERRED sysb_xcf BACKUP` and set HOSTNAME to the DVIPA on every z/OSMF server"
        ))
        .note("z/OSMF servers keep their own state, so IBM supports only hot standby (no load balancing) between them"),
    );
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

struct Ctx<'a, 'o> {
    servers: &'a [&'a System],
    out: &'o mut Vec<Diagnostic>,
}

impl Ctx<'_, '_> {
    fn run(self, dvipa: IpAddr, main: &Candidate, opts: &RuleOptions) {
        let Ctx { servers, out } = self;
        let label =
            |s: &System, what: &str, origin: &Origin, value: &str| -> (Option<Span>, String) {
                let text = match origin {
                    Origin::Set { .. } => format!("{}: {what} {value}", s.name),
                    Origin::Default => format!("{}: no {what}, default {value}", s.name),
                };
                (s.place(origin), text)
            };

        // ZHA1001 and ZHA1006: values that must differ.
        must_differ(
            out,
            servers,
            codes::AUTOSTART_GROUP,
            "AUTOSTART_GROUP",
            |s| &s.settings.autostart_group,
            &label,
            |v, names| format!("AUTOSTART_GROUP {v} is shared by {names}"),
            "give each HA server its own group, e.g. AUTOSTART_GROUP('IZUDFLA') on one and AUTOSTART_GROUP('IZUDFLB') on the other",
            Some(
                "z/OS starts only one z/OSMF server per autostart group in the sysplex: the others do not start their own server at IPL, so there is no standby",
            ),
        );
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

        // ZHA1002: AUTOSTART(LOCAL).
        for s in servers {
            if s.settings.autostart.value == Autostart::Connect {
                let mut d = Diagnostic::error(
                    codes::AUTOSTART_LOCAL,
                    format!(
                        "{} has AUTOSTART(CONNECT): it starts no z/OSMF server of its own",
                        s.name
                    ),
                );
                if let Some(p) = s.place(&s.settings.autostart.origin) {
                    d = d.primary(p, "CONNECT");
                }
                out.push(
                    d.help(
                        "write AUTOSTART(LOCAL), or remove the statement (LOCAL is the default)",
                    )
                    .zos(format!(
                        "at IPL {} connects to its group's server instead of starting one",
                        s.name
                    )),
                );
            }
        }

        // ZHA1003: HOSTNAME is the DVIPA.
        for s in servers {
            let place = s
                .settings
                .hostname
                .as_ref()
                .and_then(|h| h.origin_span())
                .or_else(|| s.place(&Origin::Default));
            let d = match host(s, opts) {
                Host::Addr(a) if a == dvipa => None,
                Host::Name(_, Some(a)) if a == dvipa => None,
                Host::Missing => Some(Diagnostic::error(codes::HOSTNAME, format!("{} sets no HOSTNAME; it must be the DVIPA {dvipa}", s.name))
                    .primary_opt(place, "no HOSTNAME in the members: z/OSMF uses the system's own host name")),
                Host::Any => Some(Diagnostic::error(codes::HOSTNAME, format!("{} has HOSTNAME('*'); it must be the DVIPA {dvipa}", s.name))
                    .primary_opt(place, "any host name")),
                Host::Addr(a) => Some(Diagnostic::error(codes::HOSTNAME, format!("{} has HOSTNAME {a}, not the DVIPA {dvipa}", s.name))
                    .primary_opt(place, format!("{a} is not {dvipa}"))),
                Host::Name(n, Some(a)) => Some(Diagnostic::error(codes::HOSTNAME, format!("{} has HOSTNAME {n}, which resolves to {a}, not the DVIPA {dvipa}", s.name))
                    .primary_opt(place, format!("resolves to {a} (--resolve)"))),
                Host::Name(n, None) => Some(Diagnostic::warning(codes::HOSTNAME, format!("{} has HOSTNAME {n}; whether it is the DVIPA {dvipa} cannot be verified offline", s.name))
                    .primary_opt(place, "a DNS name")
                    .note(format!("pass `--resolve {n}={dvipa}` to state what it resolves to"))),
            };
            if let Some(d) = d {
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
                let list: Vec<String> = main
                    .ports
                    .iter()
                    .map(|p| {
                        if p.value.lo == p.value.hi {
                            p.value.lo.to_string()
                        } else {
                            format!("{}-{}", p.value.lo, p.value.hi)
                        }
                    })
                    .collect();
                let port_span = match (main.ports.first(), main.ports.last()) {
                    (Some(a), Some(b)) => a.span.to(b.span),
                    _ => main.dvipa_span,
                };
                out.push(Diagnostic::error(codes::PORT, format!("z/OSMF listens on {port} but the DVIPA distributes port {}", list.join(" ")))
                    .primary(port_span, format!("{port} is not in this PORT list"))
                    .secondary_opt(place, text)
                    .help(format!("add {port} to the PORT list of the VIPADISTRIBUTE for {dvipa}, or set HTTP_SSL_PORT({})", list.first().cloned().unwrap_or_default())));
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
        for (i, a) in servers.iter().enumerate() {
            for b in &servers[i + 1..] {
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
