//! The configuration of one TCP/IP stack as z/OS would apply it.
//!
//! SPEC §2: statements z/OS would ignore or reject are dropped here, and the
//! finding says why and what z/OS would do (EZZ0826I …). The HA rules and the
//! distributor see only what this module keeps.

use std::collections::HashMap;
use std::net::IpAddr;

use zha_diag::{Diagnostic, Label, Located, Span};

use crate::ast::*;
use crate::codes;

/// A VIPADEFINE or VIPABACKUP in effect on a stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vipa {
    pub addr: Located<IpAddr>,
    pub owner: VipaOwner,
    /// The IPv6 interface name, for the IPv6 form.
    pub intf: Option<String>,
    pub moveable: Option<Moveable>,
    /// The sub-statement keyword (VIPADEFINE / VIPABACKUP).
    pub keyword: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VipaOwner {
    /// VIPADEFINE: this stack owns the DVIPA.
    Define,
    /// VIPABACKUP with its rank.
    Backup(u8),
}

/// One DESTIP target of an applied VIPADISTRIBUTE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub addr: Located<IpAddr>,
    pub role: Role,
    pub role_span: Option<Span>,
}

/// An applied VIPADISTRIBUTE DEFINE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distribution {
    pub dvipa: Located<IpAddr>,
    /// Empty: every port.
    pub ports: Vec<Located<PortRange>>,
    pub method: DistMethod,
    pub switchback: bool,
    pub healthswitch: bool,
    /// `None` for DESTIP ALL.
    pub targets: Option<Vec<Target>>,
    pub keyword: Span,
    pub span: Span,
}

impl Distribution {
    pub fn covers_port(&self, port: u16) -> bool {
        ports_cover(&self.ports, port)
    }

    pub fn preferred(&self) -> Option<&Target> {
        self.targets
            .as_ref()?
            .iter()
            .find(|t| t.role == Role::Preferred)
    }

    /// The PREFERRED and BACKUP targets in takeover order: the preferred
    /// one, then backups by rank, higher first, equal ranks in DESTIP order
    /// (SPEC §1; the rule is `zha_standby::takeover_order`).
    pub fn takeover_order(&self) -> Vec<&Target> {
        let ranked: Vec<(&Target, u8)> = self
            .targets
            .iter()
            .flatten()
            .filter_map(|t| match t.role {
                Role::Preferred => Some((t, 255)),
                Role::Backup { rank, .. } => Some((t, rank)),
                Role::Plain | Role::Weight(_) => None,
            })
            .collect();
        zha_standby::takeover_order(ranked.iter().map(|(_, r)| *r))
            .into_iter()
            .map(|i| ranked[i].0)
            .collect()
    }

    /// BACKUP targets in takeover order.
    pub fn backups(&self) -> Vec<&Target> {
        self.takeover_order()
            .into_iter()
            .filter(|t| matches!(t.role, Role::Backup { .. }))
            .collect()
    }
}

/// A VIPADISTRIBUTE that z/OS would not apply, and the finding that says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignored {
    pub dvipa: Located<DvipaRef>,
    pub ports: Vec<Located<PortRange>>,
    pub method: DistMethod,
    /// The DESTIP list as written (empty for DESTIP ALL).
    pub targets: Vec<Target>,
    pub keyword: Span,
    /// The id of the finding that explains it (ZHA2002 …).
    pub code: &'static str,
}

/// What a stack's profile amounts to after z/OS processing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stack {
    /// The SYSPLEXROUTING keyword in effect.
    pub sysplex_routing: Option<Span>,
    /// The first IPCONFIG statement's keyword (where SYSPLEXROUTING belongs).
    pub ipconfig: Option<Span>,
    pub dynamic_xcf: Option<Located<IpAddr>>,
    pub dynamic_xcf6: Option<Located<IpAddr>>,
    /// HOME and INTERFACE IPADDR addresses.
    pub home: Vec<Located<IpAddr>>,
    pub vipas: Vec<Vipa>,
    pub distributions: Vec<Distribution>,
    pub ignored: Vec<Ignored>,
    /// DVIPA definitions z/OS rejects (ZHA2016, ZHA2017), by address.
    pub rejected_vipas: Vec<Located<IpAddr>>,
}

impl Stack {
    pub fn vipa(&self, addr: IpAddr) -> Option<&Vipa> {
        self.vipas.iter().find(|v| v.addr.value == addr)
    }

    /// Whether `addr` is this stack's DYNAMICXCF address (IPv4 or IPv6).
    pub fn is_dynamic_xcf(&self, addr: IpAddr) -> bool {
        self.dynamic_xcf.is_some_and(|d| d.value == addr)
            || self.dynamic_xcf6.is_some_and(|d| d.value == addr)
    }

    /// Home, INTERFACE and DYNAMICXCF addresses.
    pub fn own_addresses(&self) -> impl Iterator<Item = &Located<IpAddr>> {
        self.home
            .iter()
            .chain(self.dynamic_xcf.iter())
            .chain(self.dynamic_xcf6.iter())
    }
}

/// Apply statements (the main profile with its INCLUDEs expanded, in order).
pub fn apply<'a>(
    statements: impl IntoIterator<Item = &'a Statement> + Clone,
) -> (Stack, Vec<Diagnostic>) {
    let mut st = Stack::default();
    let mut diags = Vec::new();
    // Addresses first: z/OS checks a DVIPA against them whatever the order.
    for s in statements.clone() {
        match &s.kind {
            StmtKind::IpConfig(c) => {
                st.ipconfig = st.ipconfig.or(Some(s.keyword));
                if let Some(r) = c.sysplex_routing {
                    st.sysplex_routing = r.value.then_some(r.span);
                }
                if let Some(dx) = &c.dynamic_xcf {
                    let slot = if c.v6 {
                        &mut st.dynamic_xcf6
                    } else {
                        &mut st.dynamic_xcf
                    };
                    *slot = dx.value.as_ref().map(|d| d.addr);
                }
            }
            StmtKind::Home(entries) => st.home.extend(
                entries
                    .iter()
                    .map(|e| Located::new(IpAddr::V4(e.addr.value), e.addr.span)),
            ),
            StmtKind::Interface(i) => st.home.extend(i.ipaddr),
            _ => {}
        }
    }
    let mut ix = Index {
        own: HashMap::new(),
        vipas: HashMap::new(),
    };
    for a in st.own_addresses() {
        ix.own.entry(a.value).or_insert(*a);
    }
    for s in statements {
        if let StmtKind::VipaDynamic(block) = &s.kind {
            apply_block(&mut st, &mut ix, block, &mut diags);
        }
    }
    // A distribution needs the DVIPA defined on this stack.
    let mut kept = Vec::new();
    for d in std::mem::take(&mut st.distributions) {
        if ix.vipas.contains_key(&d.dvipa.value) {
            kept.push(d);
        } else {
            diags.push(
                Diagnostic::error(
                    codes::DVIPA_NOT_DEFINED,
                    format!("VIPADISTRIBUTE for {} but this stack has no VIPADEFINE or VIPABACKUP for it", d.dvipa.value),
                )
                .primary(d.dvipa.span, "not defined on this stack")
                .help(format!(
                    "add `VIPADEFINE 255.255.255.0 {}` (with the right mask) in this VIPADYNAMIC block, or VIPABACKUP on a backup distributor",
                    d.dvipa.value
                ))
                .zos("the distribution does not take effect: sysplex distribution needs the DVIPA on the distributing stack"),
            );
            st.ignored.push(Ignored {
                dvipa: Located::new(DvipaRef::Addr(d.dvipa.value), d.dvipa.span),
                ports: d.ports.clone(),
                method: d.method,
                targets: d.targets.clone().unwrap_or_default(),
                keyword: d.keyword,
                code: codes::DVIPA_NOT_DEFINED,
            });
        }
    }
    st.distributions = kept;
    (st, diags)
}

/// Look-ups that keep `apply` linear in the size of the profile (a profile
/// may hold thousands of DVIPAs and HOME entries).
struct Index {
    /// Home, INTERFACE and DYNAMICXCF addresses, each at its first place.
    own: HashMap<IpAddr, Located<IpAddr>>,
    /// The DVIPAs in `Stack::vipas`, with the span of their definition.
    vipas: HashMap<IpAddr, Span>,
}

fn apply_block(st: &mut Stack, ix: &mut Index, block: &VipaDynamic, diags: &mut Vec<Diagnostic>) {
    let mut aborted = false;
    for (i, sub) in block.subs.iter().enumerate() {
        if !sub.applies() || aborted {
            if let SubKind::Distribute(d) = &sub.kind {
                let why = if aborted {
                    codes::HS_KEYWORD_OTHER_METHOD
                } else {
                    codes::SYNTAX
                };
                st.ignored.push(ignored(d, sub.keyword, why));
            }
            continue;
        }
        match &sub.kind {
            SubKind::Define(d) => define(
                st,
                ix,
                sub.keyword,
                VipaOwner::Define,
                &d.options,
                &d.addrs,
                diags,
            ),
            SubKind::Backup(b) => define(
                st,
                ix,
                sub.keyword,
                VipaOwner::Backup(b.rank.value),
                &b.options,
                &b.addrs,
                diags,
            ),
            SubKind::Delete(refs) => {
                for r in refs {
                    let gone: Vec<IpAddr> = st
                        .vipas
                        .iter()
                        .filter(|v| match &r.value {
                            DvipaRef::Addr(a) => v.addr.value == *a,
                            DvipaRef::Intf(n) => v.intf.as_deref() == Some(n.as_str()),
                        })
                        .map(|v| v.addr.value)
                        .collect();
                    st.vipas.retain(|v| !gone.contains(&v.addr.value));
                    for a in &gone {
                        ix.vipas.remove(a);
                    }
                    st.distributions.retain(|d| !gone.contains(&d.dvipa.value));
                }
            }
            SubKind::Distribute(d) => {
                if distribute(st, sub, d, diags) {
                    // EZZ0831I: the rest of the block is ignored.
                    aborted = true;
                    let later: Vec<&Sub> =
                        block.subs[i + 1..].iter().filter(|s| s.applies()).collect();
                    if let Some(diag) = diags.last_mut() {
                        for s in later.iter().take(6) {
                            diag.labels.push(Label {
                                span: s.keyword,
                                message: "ignored by z/OS as a result".into(),
                                primary: false,
                            });
                        }
                        let n = later.len();
                        diag.zos = Some(format!(
                            "z/OS issues EZZ0831I and ignores this VIPADISTRIBUTE and {}",
                            match n {
                                0 => "the rest of the VIPADYNAMIC block (nothing follows it)"
                                    .to_owned(),
                                1 => "the one later statement of the VIPADYNAMIC block".to_owned(),
                                n => format!("the {n} later statements of the VIPADYNAMIC block"),
                            }
                        ));
                    }
                }
            }
            SubKind::Range(_) | SubKind::Route(_) | SubKind::SmParms(_) | SubKind::Invalid(_) => {}
        }
    }
}

fn targets_of(d: &VipaDistribute) -> Vec<Target> {
    match &d.destip {
        Some(DestIp::List(l)) => l
            .iter()
            .map(|e| Target {
                addr: e.addr,
                role: e.role,
                role_span: e.role_span,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn ignored(d: &VipaDistribute, keyword: Span, code: &'static str) -> Ignored {
    Ignored {
        dvipa: d.dvipa.clone(),
        ports: d.ports.clone(),
        method: d.method_or_default(),
        targets: targets_of(d),
        keyword,
        code,
    }
}

fn define(
    st: &mut Stack,
    ix: &mut Index,
    keyword: Span,
    owner: VipaOwner,
    options: &VipaOptions,
    addrs: &VipaAddrs,
    diags: &mut Vec<Diagnostic>,
) {
    let intf = match addrs {
        VipaAddrs::V6 { intf, .. } => Some(intf.value.clone()),
        VipaAddrs::V4 { .. } => None,
    };
    let what = match owner {
        VipaOwner::Define => "VIPADEFINE",
        VipaOwner::Backup(_) => "VIPABACKUP",
    };
    for a in addrs.addresses() {
        if let Some(&prev) = ix.vipas.get(&a.value) {
            diags.push(
                Diagnostic::error(
                    codes::DVIPA_DEFINED_TWICE,
                    format!("{} is defined a second time in this profile without a VIPADELETE before it", a.value),
                )
                .primary(a.span, format!("second definition by {what}"))
                .secondary(prev, "first defined here")
                .help(format!("remove one definition, or put `VIPADELETE {}` before this one", a.value))
                .zos("z/OS rejects the second definition; the first stays in effect"),
            );
            st.rejected_vipas.push(a);
            continue;
        }
        if let Some(&home) = ix.own.get(&a.value) {
            diags.push(
                Diagnostic::error(
                    codes::DVIPA_IS_HOME,
                    format!(
                        "DVIPA {} is also a home or DYNAMICXCF address of this stack",
                        a.value
                    ),
                )
                .primary(
                    a.span,
                    format!("{what} of an address the stack already has"),
                )
                .secondary(home.span, "already an address of this stack")
                .help("choose a DVIPA that is no HOME, INTERFACE or DYNAMICXCF address")
                .zos(format!(
                    "z/OS issues EZZ8307I {} IS ALREADY DEFINED and drops it from the {what}",
                    a.value
                )),
            );
            st.rejected_vipas.push(a);
            continue;
        }
        ix.vipas.insert(a.value, a.span);
        st.vipas.push(Vipa {
            addr: a,
            owner,
            intf: intf.clone(),
            moveable: options.moveable,
            keyword,
        });
    }
}

/// Apply one VIPADISTRIBUTE. Returns true when z/OS would ignore the rest
/// of the block (EZZ0831I).
fn distribute(st: &mut Stack, sub: &Sub, d: &VipaDistribute, diags: &mut Vec<Diagnostic>) -> bool {
    let dvipa = match &d.dvipa.value {
        DvipaRef::Addr(a) => Some(*a),
        DvipaRef::Intf(n) => st
            .vipas
            .iter()
            .find(|v| v.intf.as_deref() == Some(n))
            .map(|v| v.addr.value),
    };
    if d.delete {
        if let Some(a) = dvipa {
            st.distributions.retain(|x| {
                x.dvipa.value != a
                    || !(d.ports.is_empty()
                        || d.ports
                            .iter()
                            .any(|p| x.ports.iter().any(|q| q.value == p.value)))
            });
        }
        return false;
    }
    let method = d.method_or_default();
    let method_name = d.method.map_or("BASEWLM (the default)".to_owned(), |m| {
        m.value.keyword().to_owned()
    });

    // Hot-standby keywords with another method: EZZ0831I.
    if method != DistMethod::HotStandby {
        let mut hs: Vec<Span> = Vec::new();
        hs.extend(d.switchback.map(|s| s.span));
        hs.extend(d.healthswitch.map(|s| s.span));
        if let Some(DestIp::List(l)) = &d.destip {
            hs.extend(
                l.iter()
                    .filter(|e| matches!(e.role, Role::Preferred | Role::Backup { .. }))
                    .filter_map(|e| e.role_span),
            );
        }
        if let Some(first) = hs.first() {
            let mut diag = Diagnostic::error(
                codes::HS_KEYWORD_OTHER_METHOD,
                format!("hot-standby keyword with DISTMETHOD {method_name}"),
            )
            .primary(*first, "valid only with DISTMETHOD HOTSTANDBY");
            for s in &hs[1..] {
                diag = diag.secondary(*s, "also a HOTSTANDBY keyword");
            }
            diag = match d.method {
                Some(m) => diag.secondary(m.span, "the method in effect"),
                None => diag.secondary(sub.keyword, "no DISTMETHOD: BASEWLM by default"),
            };
            diags.push(diag.help(
                "add `DISTMETHOD HOTSTANDBY` before the DVIPA, or remove the hot-standby keywords",
            ));
            st.ignored
                .push(ignored(d, sub.keyword, codes::HS_KEYWORD_OTHER_METHOD));
            return true;
        }
    }

    let Some(dvipa) = dvipa else {
        diags.push(
            Diagnostic::error(
                codes::DVIPA_NOT_DEFINED,
                format!("VIPADISTRIBUTE names interface {} but no VIPADEFINE or VIPABACKUP defines it on this stack", d.dvipa.value),
            )
            .primary(d.dvipa.span, "not defined on this stack")
            .help("define the interface with VIPADEFINE intfname address before this statement"),
        );
        st.ignored
            .push(ignored(d, sub.keyword, codes::DVIPA_NOT_DEFINED));
        return false;
    };

    let targets = match &d.destip {
        Some(DestIp::All(span)) => {
            if method == DistMethod::HotStandby {
                diags.push(
                    Diagnostic::error(codes::HS_DESTIP_ALL, "DESTIP ALL with DISTMETHOD HOTSTANDBY")
                        .primary(*span, "hot standby needs a list of targets")
                        .help("list the targets' DYNAMICXCF addresses: `DESTIP a.b.c.d PREFERRED e.f.g.h BACKUP 100`")
                        .zos(format!(
                            "z/OS issues EZZ0165I VIPADISTRIBUTE PARAMETER DESTIP ALL … CANNOT BE SPECIFIED WHEN DISTMETHOD IS HOTSTANDBY, and rejects the statement for {dvipa}"
                        )),
                );
                st.ignored
                    .push(ignored(d, sub.keyword, codes::HS_DESTIP_ALL));
                return false;
            }
            None
        }
        Some(DestIp::List(list)) => Some(list),
        None => None,
    };

    if method == DistMethod::HotStandby
        && let Some(list) = targets
        && let Some(code) = check_hot_standby(sub.keyword, list, dvipa, diags)
    {
        st.ignored.push(ignored(d, sub.keyword, code));
        return false;
    }

    st.distributions.push(Distribution {
        dvipa: Located::new(dvipa, d.dvipa.span),
        ports: d.ports.clone(),
        method,
        switchback: d.switchback.is_none_or(|s| s.value),
        healthswitch: d.healthswitch.is_none_or(|s| s.value),
        targets: targets.map(|_| targets_of(d)),
        keyword: sub.keyword,
        span: sub.span,
    });
    false
}

/// The EZZ0826I / EZZ0827I / EZZ0829I / EZZ0830I checks, plus equal ranks.
/// Returns the code of the first finding that makes z/OS ignore the statement.
fn check_hot_standby(
    keyword: Span,
    list: &[DestEntry],
    dvipa: IpAddr,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'static str> {
    let ignored_note = |msg: &str| {
        format!(
            "z/OS issues {msg} and ignores this VIPADISTRIBUTE for {dvipa}: it is not distributed"
        )
    };
    let preferred: Vec<&DestEntry> = list.iter().filter(|e| e.role == Role::Preferred).collect();
    let backups: Vec<&DestEntry> = list
        .iter()
        .filter(|e| matches!(e.role, Role::Backup { .. }))
        .collect();
    let mut first: Option<&'static str> = None;
    let mut fail = |code: &'static str, diag: Diagnostic, diags: &mut Vec<Diagnostic>| {
        first = first.or(Some(code));
        diags.push(diag);
    };

    if preferred.is_empty() && backups.is_empty() {
        let mut diag = Diagnostic::error(
            codes::HS_NO_ROLES,
            "HOTSTANDBY targets carry neither PREFERRED nor BACKUP",
        )
        .primary(keyword, "hot standby without a preferred target");
        for e in list {
            diag = diag.secondary(e.addr.span, "no PREFERRED or BACKUP");
        }
        fail(
            codes::HS_NO_ROLES,
            diag.help("mark one target PREFERRED and the others BACKUP with a rank")
                .zos(ignored_note(
                    "EZZ0826I PREFERRED AND BACKUP PARAMETERS ARE REQUIRED",
                )),
            diags,
        );
        return first;
    }

    // EZZ0830I: an address repeated.
    for (i, e) in list.iter().enumerate() {
        if let Some(prev) = list[..i].iter().find(|p| p.addr.value == e.addr.value) {
            fail(
                codes::HS_DUPLICATE,
                Diagnostic::error(
                    codes::HS_DUPLICATE,
                    format!("DESTIP {} is listed twice", e.addr.value),
                )
                .primary(e.addr.span, "listed again here")
                .secondary(prev.addr.span, "first listed here")
                .help("list each target once, as PREFERRED or as BACKUP")
                .zos(ignored_note(
                    "EZZ0830I PREFERRED AND BACKUP IP ADDRESSES MUST BE UNIQUE",
                )),
                diags,
            );
            break;
        }
    }

    // EZZ0827I: exactly one PREFERRED, at least one BACKUP, no plain target.
    let plain: Vec<&DestEntry> = list
        .iter()
        .filter(|e| matches!(e.role, Role::Plain | Role::Weight(_)))
        .collect();
    if preferred.len() != 1 || backups.is_empty() || !plain.is_empty() {
        let message = if preferred.len() > 1 {
            format!(
                "{} targets are PREFERRED; hot standby allows exactly one",
                preferred.len()
            )
        } else if preferred.is_empty() {
            "no target is PREFERRED".to_owned()
        } else if backups.is_empty() {
            "no target is a BACKUP".to_owned()
        } else {
            "a target is neither PREFERRED nor BACKUP".to_owned()
        };
        let mut diag = Diagnostic::error(codes::HS_ROLE_COUNT, message)
            .primary(keyword, "in this VIPADISTRIBUTE");
        for p in &preferred {
            diag = diag.secondary(p.role_span.unwrap_or(p.addr.span), "PREFERRED");
        }
        for p in &plain {
            diag = diag.secondary(p.addr.span, "neither PREFERRED nor BACKUP");
        }
        if backups.is_empty()
            && preferred.len() == 1
            && let Some(p) = preferred.first()
        {
            diag = diag.secondary(p.addr.span, "no BACKUP besides this one");
        }
        fail(
            codes::HS_ROLE_COUNT,
            diag.help("mark exactly one target PREFERRED and every other target BACKUP [rank]")
                .zos(ignored_note(
                    "EZZ0827I EXACTLY ONE PREFERRED AND AT LEAST ONE BACKUP ARE REQUIRED",
                )),
            diags,
        );
    }

    // EZZ0829I: more than 31 backups.
    if backups.len() > 31 {
        let extra = backups[31];
        fail(
            codes::HS_TOO_MANY_BACKUPS,
            Diagnostic::error(
                codes::HS_TOO_MANY_BACKUPS,
                format!("{} BACKUP targets; hot standby allows 31", backups.len()),
            )
            .primary(extra.addr.span, "the 32nd backup")
            .secondary(keyword, "in this VIPADISTRIBUTE")
            .help("keep at most 31 backups")
            .zos(ignored_note("EZZ0829I MORE THAN 31 BACKUPS WERE SPECIFIED")),
            diags,
        );
    }

    // Equal ranks: a warning, the statement applies.
    if first.is_none() {
        for (i, b) in backups.iter().enumerate() {
            let Role::Backup { rank, .. } = b.role else {
                continue;
            };
            if let Some(prev) = backups[..i]
                .iter()
                .find(|p| matches!(p.role, Role::Backup { rank: r, .. } if r == rank))
            {
                diags.push(
                    Diagnostic::warning(
                        codes::EQUAL_RANKS,
                        format!("BACKUP targets {} and {} have the same rank {rank}", prev.addr.value, b.addr.value),
                    )
                    .primary(b.role_span.unwrap_or(b.addr.span), format!("rank {rank}"))
                    .secondary(prev.role_span.unwrap_or(prev.addr.span), format!("rank {rank} too"))
                    .help("give each BACKUP a distinct rank; the higher one is tried first")
                    .note(format!(
                        "z/OS does not document the order of equal ranks; zosmf-ha's distributor tries {} first (DESTIP order)",
                        prev.addr.value
                    )),
                );
                break;
            }
        }
    }
    first
}
