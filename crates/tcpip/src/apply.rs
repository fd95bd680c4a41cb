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
use crate::keywords::matches_min;
use crate::port;
use crate::vipa;

/// A VIPADEFINE or VIPABACKUP in effect on a stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vipa {
    pub addr: Located<IpAddr>,
    pub owner: VipaOwner,
    /// The IPv6 interface name, for the IPv6 form.
    pub intf: Option<String>,
    pub moveable: Option<Moveable>,
    /// The prefix length: an IPv4 mask's ones (`None` without a mask or for
    /// a mask that is not contiguous), an IPv6 prefix.
    pub prefix_len: Option<u8>,
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
    /// SYSPLEXPORTS.
    pub sysplexports: bool,
    /// TIMEDAFFINITY seconds (0: none).
    pub timedaffinity: u32,
    /// OPTLOCAL's value (`OPTLOCAL` alone: 0); `None`: NOOPTLOCAL, the default.
    pub optlocal: Option<u32>,
    /// `None` for DESTIP ALL.
    pub targets: Option<Vec<Target>>,
    pub keyword: Span,
    pub span: Span,
}

impl Distribution {
    /// A VIPADISTRIBUTE that applies as this one does, for another stack's
    /// profile (a stack of a sysplex group inherits the owner's, SPEC §7):
    /// HOTSTANDBY with its DESTIPs only; `None` otherwise.
    pub fn statement(&self) -> Option<String> {
        if self.method != DistMethod::HotStandby {
            return None;
        }
        let targets = self.targets.as_ref()?;
        let mut s = format!(
            "VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY\n  {} {}\n  {}\n",
            if self.switchback {
                "AUTOSWITCHBACK"
            } else {
                "NOAUTOSWITCHBACK"
            },
            if self.healthswitch {
                "HEALTHSWITCH"
            } else {
                "NOHEALTHSWITCH"
            },
            self.dvipa.value
        );
        if !self.ports.is_empty() {
            s.push_str("  PORT");
            for (i, p) in self.ports.iter().enumerate() {
                // Short lines: a profile line ends at column 71.
                if i > 0 && i % 6 == 0 {
                    s.push_str("\n      ");
                }
                let PortRange { lo, hi } = p.value;
                if lo == hi {
                    s.push_str(&format!(" {lo}"));
                } else {
                    s.push_str(&format!(" {lo}-{hi}"));
                }
            }
            s.push('\n');
        }
        s.push_str("  DESTIP\n");
        for t in targets {
            let addr = t.addr.value;
            s.push_str(&match t.role {
                Role::Preferred => format!("    {addr} PREFERRED\n"),
                Role::Backup { rank, .. } => format!("    {addr} BACKUP {rank}\n"),
                Role::Plain => format!("    {addr}\n"),
                Role::Weight(w) => format!("    {addr} WEIGHT {w}\n"),
            });
        }
        Some(s)
    }

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

/// What a VIPADISTRIBUTE DELETE or a VIPADELETE took away from a
/// distribution in effect: the finding "z/OSMF's distribution was removed"
/// points at `keyword`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deleted {
    /// The part removed, as it was: its DVIPA (at the VIPADISTRIBUTE that
    /// defined it), the ports removed, the method, and the targets removed
    /// (all of them when `whole`); `keyword` and `span` are the defining
    /// VIPADISTRIBUTE's.
    pub removed: Distribution,
    /// Every target of those ports went: the DVIPA is no longer distributed
    /// on them. Otherwise only the targets in `removed.targets` went, and the
    /// others stay (in `Stack::distributions`, or in `Stack::ignored` when
    /// what remains is no valid hot standby).
    pub whole: bool,
    /// `VIPADISTRIBUTE DELETE` or `VIPADELETE`.
    pub by: &'static str,
    /// The removing statement's keyword and whole span.
    pub keyword: Span,
    pub span: Span,
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
    /// Which of `home` came from INTERFACE statements.
    pub interfaces: Vec<IpAddr>,
    pub vipas: Vec<Vipa>,
    pub distributions: Vec<Distribution>,
    pub ignored: Vec<Ignored>,
    /// Distributions (or some of their ports or targets) removed by a later
    /// VIPADISTRIBUTE DELETE or VIPADELETE, in profile order.
    pub deleted: Vec<Deleted>,
    /// DVIPA definitions z/OS rejects (ZHA2016, ZHA2017), by address.
    pub rejected_vipas: Vec<Located<IpAddr>>,
    /// PORT and PORTRANGE entries in effect (UNRSV entries included), in
    /// profile order; see [`Stack::port_access`].
    pub reservations: Vec<Reservation>,
    /// The TCPCONFIG RESTRICTLOWPORTS keyword in effect.
    pub restrict_low_ports: Option<Span>,
}

impl Stack {
    /// May the job `jobname` (the z/OSMF server's started task, e.g. its
    /// SERVER_PROC `IZUSVR1`; any case) listen on TCP `port` of this stack?
    /// See [`PortAccess`].
    pub fn port_access(&self, port: u16, jobname: &str) -> port::PortAccess {
        port::Reservations {
            reservations: &self.reservations,
            restrict_low_ports: self.restrict_low_ports,
        }
        .port_access(port, jobname)
    }
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

    /// What kind of address of this stack `addr` is: `DYNAMICXCF`,
    /// `INTERFACE` or `HOME`; `None` if it is none of its own.
    pub fn address_kind(&self, addr: IpAddr) -> Option<&'static str> {
        if self.is_dynamic_xcf(addr) {
            Some("DYNAMICXCF")
        } else if self.interfaces.contains(&addr) {
            Some("INTERFACE")
        } else if self.home.iter().any(|h| h.value == addr) {
            Some("HOME")
        } else {
            None
        }
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
    let mut ix = Index::default();
    // Addresses first: z/OS checks a DVIPA against them whatever the order.
    // And every DVIPA definition, to tell "defined after the VIPADISTRIBUTE"
    // from "not defined at all" (ZHA2011).
    let mut seq = 0;
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
            StmtKind::Interface(i) => {
                st.interfaces.extend(i.ipaddr.map(|a| a.value));
                st.home.extend(i.ipaddr);
            }
            StmtKind::VipaDynamic(block) => {
                for sub in &block.subs {
                    seq += 1;
                    let (addrs, keyword) = match &sub.kind {
                        SubKind::Define(d) if sub.applies() => (&d.addrs, sub.keyword),
                        SubKind::Backup(b) if sub.applies() => (&b.addrs, sub.keyword),
                        _ => continue,
                    };
                    for a in addrs.addresses() {
                        ix.defs.entry(a.value).or_default().push((seq, keyword));
                    }
                    if let VipaAddrs::V6 { intf, .. } = addrs {
                        ix.intf_defs
                            .entry(intf.value.clone())
                            .or_default()
                            .push((seq, keyword));
                    }
                }
            }
            StmtKind::Other(args) if s.name == "TCPCONFIG" => {
                for a in args {
                    if matches_min(&a.value, "RESTRICTLOWPORTS", 9) {
                        st.restrict_low_ports = Some(a.span);
                    } else if matches_min(&a.value, "UNRESTRICTLOWPORTS", 11) {
                        st.restrict_low_ports = None;
                    }
                }
            }
            _ => {}
        }
    }
    for a in st.own_addresses() {
        ix.own.entry(a.value).or_insert(*a);
    }
    for s in statements {
        match &s.kind {
            StmtKind::VipaDynamic(block) => apply_block(&mut st, &mut ix, block, &mut diags),
            StmtKind::Port(list) => port::apply(&mut st.reservations, s.keyword, list, &mut diags),
            _ => {}
        }
    }
    backups_not_moveable(&st, &mut diags);
    (st, diags)
}

/// ZHA2020: a VIPABACKUP without MOVEABLE for a DVIPA that this profile
/// distributes. **Decision:** "distributed" means by a VIPADISTRIBUTE of the
/// same profile (applied or ignored by z/OS): the rule needs one profile
/// only, and a backup stack that distributes is the case IBM's Q&A 433874
/// describes (https://developer.ibm.com/answers/questions/433874/backup-sysplex-distributor-is-not-creating-the-dvi.html).
fn backups_not_moveable(st: &Stack, diags: &mut Vec<Diagnostic>) {
    for v in &st.vipas {
        if !matches!(v.owner, VipaOwner::Backup(_)) || v.moveable.is_some() {
            continue;
        }
        let a = v.addr.value;
        let applied = st
            .distributions
            .iter()
            .find(|d| d.dvipa.value == a)
            .map(|d| d.dvipa.span);
        let dist = applied.or_else(|| {
            st.ignored
                .iter()
                .find(|i| match &i.dvipa.value {
                    DvipaRef::Addr(x) => *x == a,
                    DvipaRef::Intf(n) => v.intf.as_deref() == Some(n.as_str()),
                })
                .map(|i| i.dvipa.span)
        });
        let Some(dvipa_span) = dist else {
            continue;
        };
        diags.push(
            Diagnostic::warning(
                codes::BACKUP_NOT_MOVEABLE,
                format!("VIPABACKUP of {a} without MOVEABLE on a stack that distributes {a}"),
            )
            .primary(v.addr.span, "backed up without MOVEABLE")
            .secondary(v.keyword, "this VIPABACKUP only takes over an existing DVIPA")
            .secondary(dvipa_span, "distributed here")
            .help(format!(
                "write `VIPABACKUP rank MOVEABLE IMMEDIATE mask {a}` so that this stack creates the DVIPA when no other stack has it"
            ))
            .note("IBM (support Q&A 433874): a backup without MOVEABLE cannot create the DVIPA; when this system is IPLed first, or the owner is down, nothing is distributed until the owning stack comes up"),
        );
    }
}

/// Look-ups that keep `apply` linear in the size of the profile (a profile
/// may hold thousands of DVIPAs and HOME entries).
#[derive(Default)]
struct Index {
    /// Home, INTERFACE and DYNAMICXCF addresses, each at its first place.
    own: HashMap<IpAddr, Located<IpAddr>>,
    /// The DVIPAs in `Stack::vipas`, with the span of their definition.
    vipas: HashMap<IpAddr, Span>,
    /// Every VIPADEFINE and VIPABACKUP of the profile, by address and by
    /// IPv6 interface name: (position, keyword).
    defs: HashMap<IpAddr, Vec<(usize, Span)>>,
    intf_defs: HashMap<String, Vec<(usize, Span)>>,
    /// The position of the sub-statement being applied (as in `defs`).
    seq: usize,
}

impl Index {
    /// The first definition of `dvipa` after the current statement.
    fn defined_later(&self, dvipa: &DvipaRef) -> Option<Span> {
        let defs = match dvipa {
            DvipaRef::Addr(a) => self.defs.get(a),
            DvipaRef::Intf(n) => self.intf_defs.get(n),
        }?;
        defs.iter().find(|(s, _)| *s > self.seq).map(|(_, k)| *k)
    }
}

fn apply_block(st: &mut Stack, ix: &mut Index, block: &VipaDynamic, diags: &mut Vec<Diagnostic>) {
    let mut aborted = false;
    for (i, sub) in block.subs.iter().enumerate() {
        ix.seq += 1;
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
                    let (lost, kept): (Vec<Distribution>, Vec<Distribution>) =
                        std::mem::take(&mut st.distributions)
                            .into_iter()
                            .partition(|d| gone.contains(&d.dvipa.value));
                    st.distributions = kept;
                    st.deleted.extend(lost.into_iter().map(|d| Deleted {
                        removed: d,
                        whole: true,
                        by: "VIPADELETE",
                        keyword: sub.keyword,
                        span: sub.span,
                    }));
                }
            }
            SubKind::Distribute(d) => {
                if distribute(st, ix, sub, d, diags) {
                    // EZZ0831I: the rest of the block is ignored, every
                    // later statement, whatever is wrong with it (a syntax
                    // error there is reported by the parser as one z/OS
                    // never reaches).
                    aborted = true;
                    if let Some(diag) = diags.last_mut() {
                        lost_to_ezz0831(diag, &block.subs[i + 1..]);
                    }
                }
            }
            SubKind::Range(_) | SubKind::Route(_) | SubKind::SmParms(_) | SubKind::Invalid(_) => {}
        }
    }
}

/// How many later statements a ZHA2006 finding marks with a label.
const LOST_LABELS: usize = 6;

/// Complete a ZHA2006 finding: mark the statements of the block after it
/// (`later`), which z/OS ignores, and name them in what z/OS does.
fn lost_to_ezz0831(diag: &mut Diagnostic, later: &[Sub]) {
    for s in later.iter().take(LOST_LABELS) {
        diag.labels.push(Label {
            span: s.keyword,
            message: "ignored by z/OS as a result".into(),
            primary: false,
        });
    }
    let mut names: Vec<&str> = later
        .iter()
        .take(LOST_LABELS)
        .map(|s| sub_name(&s.kind))
        .collect();
    let more = later.len().saturating_sub(LOST_LABELS);
    let more_text = format!("{more} more");
    if more > 0 {
        names.push(&more_text);
    }
    diag.zos = Some(match later.len() {
        0 => "z/OS issues EZZ0831I and ignores this VIPADISTRIBUTE, and would ignore any later statement of the VIPADYNAMIC block; none follows it".to_owned(),
        1 => format!(
            "z/OS issues EZZ0831I and ignores this VIPADISTRIBUTE and the one later statement of the VIPADYNAMIC block ({})",
            names.join(", ")
        ),
        n => format!(
            "z/OS issues EZZ0831I and ignores this VIPADISTRIBUTE and the {n} later statements of the VIPADYNAMIC block ({})",
            names.join(", ")
        ),
    });
}

/// The keyword of a sub-statement, spelled out.
fn sub_name(kind: &SubKind) -> &'static str {
    match kind {
        SubKind::Define(_) => "VIPADEFINE",
        SubKind::Backup(_) => "VIPABACKUP",
        SubKind::Delete(_) => "VIPADELETE",
        SubKind::Distribute(_) => "VIPADISTRIBUTE",
        SubKind::Range(_) => "VIPARANGE",
        SubKind::Route(_) => "VIPAROUTE",
        SubKind::SmParms(_) => "VIPASMPARMS",
        SubKind::Invalid(name) => name,
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
    let prefix_len = match addrs {
        VipaAddrs::V6 { prefix, .. } => *prefix,
        VipaAddrs::V4 { mask, .. } => mask.and_then(|m| {
            let bits = u32::from(m.value);
            (bits.leading_ones() + bits.trailing_zeros() == 32).then(|| bits.leading_ones() as u8)
        }),
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
                // EZZ8307I is IBM's message for an address already defined
                // on the same stack (HOME or DYNAMICXCF): this one.
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
            prefix_len,
            keyword,
        });
    }
}

/// ZHA2011: the DVIPA is not (yet) defined on this stack. `later`: its
/// definition after the VIPADISTRIBUTE, if there is one.
fn not_defined(d: &VipaDistribute, later: Option<Span>) -> Diagnostic {
    let dvipa = &d.dvipa.value;
    match later {
        Some(def) => Diagnostic::error(
            codes::DVIPA_NOT_DEFINED,
            format!("VIPADISTRIBUTE for {dvipa} comes before the definition of {dvipa}"),
        )
        .primary(d.dvipa.span, "distributed here, before it is defined")
        .secondary(def, "defined only here, after the VIPADISTRIBUTE")
        .help(format!(
            "move the VIPADISTRIBUTE after this definition of {dvipa}, or the definition before it"
        ))
        .note("IBM: \"The VIPA is first defined with the VIPADEFINE statement and then included on a VIPADISTRIBUTE statement\"")
        .zos(format!(
            "z/OS reads the profile in order: when it reaches this VIPADISTRIBUTE, {dvipa} is no DVIPA of this stack yet, and the distribution does not take effect"
        )),
        None => {
            let help = match dvipa {
                DvipaRef::Addr(a) => format!(
                    "add `VIPADEFINE 255.255.255.0 {a}` (with the right mask) in this VIPADYNAMIC block before it, or VIPABACKUP on a backup distributor"
                ),
                DvipaRef::Intf(_) => {
                    "define the interface with VIPADEFINE intfname address before this statement"
                        .to_owned()
                }
            };
            Diagnostic::error(
                codes::DVIPA_NOT_DEFINED,
                match dvipa {
                    DvipaRef::Addr(a) => format!(
                        "VIPADISTRIBUTE for {a} but this stack has no VIPADEFINE or VIPABACKUP for it"
                    ),
                    DvipaRef::Intf(n) => format!(
                        "VIPADISTRIBUTE names interface {n} but no VIPADEFINE or VIPABACKUP defines it on this stack"
                    ),
                },
            )
            .primary(d.dvipa.span, "not defined on this stack")
            .help(help)
            .zos("the distribution does not take effect: sysplex distribution needs the DVIPA on the distributing stack")
        }
    }
}

/// Apply one VIPADISTRIBUTE. Returns true when z/OS would ignore the rest
/// of the block (EZZ0831I).
fn distribute(
    st: &mut Stack,
    ix: &Index,
    sub: &Sub,
    d: &VipaDistribute,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let dvipa = match &d.dvipa.value {
        DvipaRef::Addr(a) => Some(*a).filter(|a| ix.vipas.contains_key(a)),
        DvipaRef::Intf(n) => st
            .vipas
            .iter()
            .find(|v| v.intf.as_deref() == Some(n))
            .map(|v| v.addr.value),
    };
    if d.delete {
        let target = match &d.dvipa.value {
            DvipaRef::Addr(a) => Some(*a),
            DvipaRef::Intf(_) => dvipa,
        };
        if let Some(a) = target {
            delete_distribution(st, sub, d, a, diags);
        }
        return false;
    }
    let method = d.method_or_default();

    // Hot-standby keywords with another method.
    if method != DistMethod::HotStandby {
        let hs = vipa::hot_standby_keywords(d);
        if let Some(first) = hs.first() {
            let method_name = d
                .method
                .map_or("BASEWLM (the default)", |m| m.value.keyword());
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
            diag = diag.help(
                "add `DISTMETHOD HOTSTANDBY` before the DVIPA, or remove the hot-standby keywords",
            );
            st.ignored
                .push(ignored(d, sub.keyword, codes::HS_KEYWORD_OTHER_METHOD));
            if vipa::ends_block(d).is_some() {
                // EZZ0831I: "the DISTMETHOD keyword [is] specified … However,
                // the DISTMETHOD parameter is not HOTSTANDBY"; the caller
                // writes which later statements are lost (the parser uses
                // the same test for the syntax errors after it).
                diags.push(diag);
                return true;
            }
            // DISTMETHOD omitted: IBM documents EZZ0831I only for a
            // DISTMETHOD that is written and is not HOTSTANDBY, and no
            // message for this case (SPEC §4, message ids only where IBM
            // documents them). **Decision:** z/OS does not distribute the
            // DVIPA with this statement; the later statements of the block
            // are applied.
            diags.push(diag.zos(format!(
                "z/OS does not distribute {} in hot standby with this statement: without DISTMETHOD the method is BASEWLM, which has no PREFERRED or BACKUP target",
                d.dvipa.value
            )).note("IBM documents EZZ0831I (which also ignores the rest of the block) for a DISTMETHOD other than HOTSTANDBY that is written out, and no message when DISTMETHOD is omitted"));
            return false;
        }
    }

    let targets = match &d.destip {
        Some(DestIp::All(span)) => {
            if method == DistMethod::HotStandby {
                diags.push(
                    Diagnostic::error(codes::HS_DESTIP_ALL, "DESTIP ALL with DISTMETHOD HOTSTANDBY")
                        .primary(*span, "hot standby needs a list of targets")
                        .help("list the targets' DYNAMICXCF addresses: `DESTIP a.b.c.d PREFERRED e.f.g.h BACKUP 100`")
                        .zos(format!(
                            "z/OS issues EZZ0165I VIPADISTRIBUTE PARAMETER DESTIP ALL … CANNOT BE SPECIFIED WHEN DISTMETHOD IS HOTSTANDBY, and rejects the statement for {}",
                            d.dvipa.value
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
        && let Some(code) = check_hot_standby(sub.keyword, list, &d.dvipa.value, diags)
    {
        st.ignored.push(ignored(d, sub.keyword, code));
        return false;
    }

    // The DVIPA must be defined on this stack, before this statement.
    let Some(dvipa) = dvipa else {
        diags.push(not_defined(d, ix.defined_later(&d.dvipa.value)));
        st.ignored
            .push(ignored(d, sub.keyword, codes::DVIPA_NOT_DEFINED));
        return false;
    };

    st.distributions.push(Distribution {
        dvipa: Located::new(dvipa, d.dvipa.span),
        ports: d.ports.clone(),
        method,
        switchback: d.switchback.is_none_or(|s| s.value),
        healthswitch: d.healthswitch.is_none_or(|s| s.value),
        sysplexports: d.sysplexports.is_some(),
        timedaffinity: d.timedaffinity.map_or(0, |t| t.value),
        optlocal: d.optlocal.map(|o| o.value.unwrap_or(0)),
        targets: targets.map(|_| targets_of(d)),
        keyword: sub.keyword,
        span: sub.span,
    });
    false
}

/// `q` without the ports of `ps`, as ranges (each keeps `q`'s span).
fn subtract(q: Located<PortRange>, ps: &[PortRange]) -> Vec<Located<PortRange>> {
    let mut out = vec![q.value];
    for p in ps {
        out = out
            .into_iter()
            .flat_map(|r| {
                let mut v = Vec::new();
                if p.hi < r.lo || p.lo > r.hi {
                    v.push(r);
                } else {
                    if p.lo > r.lo {
                        v.push(PortRange {
                            lo: r.lo,
                            hi: p.lo - 1,
                        });
                    }
                    if p.hi < r.hi {
                        v.push(PortRange {
                            lo: p.hi + 1,
                            hi: r.hi,
                        });
                    }
                }
                v
            })
            .collect();
    }
    out.into_iter().map(|r| Located::new(r, q.span)).collect()
}

/// The ports of `q` that `ps` names.
fn intersect(q: Located<PortRange>, ps: &[PortRange]) -> Vec<Located<PortRange>> {
    ps.iter()
        .filter(|p| p.lo <= q.value.hi && q.value.lo <= p.hi)
        .map(|p| {
            Located::new(
                PortRange {
                    lo: p.lo.max(q.value.lo),
                    hi: p.hi.min(q.value.hi),
                },
                q.span,
            )
        })
        .collect()
}

/// VIPADISTRIBUTE DELETE (SPEC §4, round two): it removes the named ports
/// of the distributions of `dvipa` (every port when PORT is omitted) and,
/// when it names DESTIPs (not ALL), only those targets on those ports; the
/// targets that remain are judged again by the hot-standby rules.
///
/// **Decisions** where IBM is silent: a DELETE that names ports does not
/// touch a distribution written without PORT (every port), and a DELETE
/// that names DESTIPs does not touch a DESTIP ALL distribution: neither
/// names what the DELETE names.
fn delete_distribution(
    st: &mut Stack,
    sub: &Sub,
    d: &VipaDistribute,
    dvipa: IpAddr,
    diags: &mut Vec<Diagnostic>,
) {
    let named: Vec<PortRange> = d.ports.iter().map(|p| p.value).collect();
    let dest: Option<Vec<IpAddr>> = match &d.destip {
        Some(DestIp::List(l)) => Some(l.iter().map(|e| e.addr.value).collect()),
        Some(DestIp::All(_)) | None => None,
    };
    let removed_before = st.deleted.len();
    let mut out = Vec::new();
    for x in std::mem::take(&mut st.distributions) {
        if x.dvipa.value != dvipa {
            out.push(x);
            continue;
        }
        // The ports this DELETE takes from x, and those it leaves.
        let (removed, kept): (Vec<Located<PortRange>>, Vec<Located<PortRange>>) =
            if named.is_empty() {
                (x.ports.clone(), Vec::new())
            } else if x.ports.is_empty() {
                (Vec::new(), x.ports.clone())
            } else {
                (
                    x.ports.iter().flat_map(|q| intersect(*q, &named)).collect(),
                    x.ports.iter().flat_map(|q| subtract(*q, &named)).collect(),
                )
            };
        let touches = named.is_empty() || !removed.is_empty();
        // The targets it removes on those ports (None: all of them).
        let gone_targets: Option<Vec<Target>> = match (&dest, &x.targets) {
            (None, _) => None,
            (Some(_), None) => Some(Vec::new()),
            (Some(addrs), Some(ts)) => Some(
                ts.iter()
                    .filter(|t| addrs.contains(&t.addr.value))
                    .cloned()
                    .collect(),
            ),
        };
        if !touches || gone_targets.as_ref().is_some_and(Vec::is_empty) {
            out.push(x);
            continue;
        }
        if !kept.is_empty() {
            out.push(Distribution {
                ports: kept,
                ..x.clone()
            });
        }
        let part = Distribution {
            ports: removed,
            ..x.clone()
        };
        match gone_targets {
            None => st.deleted.push(Deleted {
                removed: part,
                whole: true,
                by: "VIPADISTRIBUTE DELETE",
                keyword: sub.keyword,
                span: sub.span,
            }),
            Some(gone) => {
                let remaining: Vec<Target> = part
                    .targets
                    .iter()
                    .flatten()
                    .filter(|t| !gone.iter().any(|g| g.addr.value == t.addr.value))
                    .cloned()
                    .collect();
                let whole = remaining.is_empty();
                st.deleted.push(Deleted {
                    removed: Distribution {
                        targets: Some(gone),
                        ..part.clone()
                    },
                    whole,
                    by: "VIPADISTRIBUTE DELETE",
                    keyword: sub.keyword,
                    span: sub.span,
                });
                if whole {
                    continue;
                }
                let rest = Distribution {
                    targets: Some(remaining),
                    ..part
                };
                match rejudge(&rest, sub, diags) {
                    None => out.push(rest),
                    Some(code) => st.ignored.push(Ignored {
                        dvipa: Located::new(DvipaRef::Addr(rest.dvipa.value), rest.dvipa.span),
                        ports: rest.ports.clone(),
                        method: rest.method,
                        targets: rest.targets.clone().unwrap_or_default(),
                        keyword: rest.keyword,
                        code,
                    }),
                }
            }
        }
    }
    st.distributions = out;
    if st.deleted.len() == removed_before {
        let ports: Vec<String> = named.iter().map(ToString::to_string).collect();
        let what = if ports.is_empty() {
            format!("{dvipa}")
        } else {
            format!("{dvipa} PORT {}", ports.join(" "))
        };
        diags.push(
            Diagnostic::warning(
                codes::DELETE_NOTHING,
                format!("VIPADISTRIBUTE DELETE of {what} matches no distribution in effect: it removes nothing"),
            )
            .primary(sub.keyword, "removes nothing")
            .help("name the DVIPA, ports and DESTIPs of the VIPADISTRIBUTE DEFINE to remove, or delete the statement"),
        );
    }
}

/// The hot-standby rules on the targets a VIPADISTRIBUTE DELETE left.
/// IBM documents the messages for a VIPADISTRIBUTE DEFINE, not for what a
/// DELETE leaves: the findings cite none and say that zosmf-ha judges what
/// remains. Equal ranks were reported at the DEFINE already.
fn rejudge(rest: &Distribution, delete: &Sub, diags: &mut Vec<Diagnostic>) -> Option<&'static str> {
    if rest.method != DistMethod::HotStandby {
        return None;
    }
    let list: Vec<DestEntry> = rest
        .targets
        .iter()
        .flatten()
        .map(|t| DestEntry {
            addr: t.addr,
            role: t.role,
            role_span: t.role_span,
        })
        .collect();
    let mut found = Vec::new();
    let code = check_hot_standby(
        rest.keyword,
        &list,
        &DvipaRef::Addr(rest.dvipa.value),
        &mut found,
    );
    let ports = rest
        .ports
        .iter()
        .map(|p| p.value.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    for mut f in found.into_iter().filter(|f| f.code != codes::EQUAL_RANKS) {
        f.message = format!("after VIPADISTRIBUTE DELETE: {}", f.message);
        f.labels.push(Label {
            span: delete.keyword,
            message: "this DELETE removed targets".into(),
            primary: false,
        });
        f.zos = None;
        f.notes.push(format!(
            "judged on the targets that remain for {}{} after the VIPADISTRIBUTE DELETE; IBM documents no message for this case, and zosmf-ha treats what remains as not distributed",
            rest.dvipa.value,
            if ports.is_empty() {
                String::new()
            } else {
                format!(" port {ports}")
            }
        ));
        diags.push(f);
    }
    code
}

/// The EZZ0826I / EZZ0827I / EZZ0829I / EZZ0830I checks, plus equal ranks.
/// Returns the code of the first finding that makes z/OS ignore the statement.
fn check_hot_standby(
    keyword: Span,
    list: &[DestEntry],
    dvipa: &DvipaRef,
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

    // EZZ0799I: WEIGHT belongs to WEIGHTEDACTIVE; z/OS ignores it, and the
    // target has no hot-standby role.
    let weights: Vec<&DestEntry> = list
        .iter()
        .filter(|e| matches!(e.role, Role::Weight(_)))
        .collect();
    let weight_note = (!weights.is_empty()).then_some(
        "z/OS issues EZZ0799I VIPADISTRIBUTE WEIGHT IGNORED WHEN DISTMETHOD IS NOT WEIGHTEDACTIVE and ignores the WEIGHT",
    );
    let role_label = |e: &DestEntry| match e.role {
        Role::Weight(_) => "WEIGHT is ignored (EZZ0799I): neither PREFERRED nor BACKUP",
        _ => "neither PREFERRED nor BACKUP",
    };

    if preferred.is_empty() && backups.is_empty() {
        let mut diag = Diagnostic::error(
            codes::HS_NO_ROLES,
            "HOTSTANDBY targets carry neither PREFERRED nor BACKUP",
        )
        .primary(keyword, "hot standby without a preferred target");
        for e in list {
            diag = diag.secondary(
                e.role_span.unwrap_or(e.addr.span),
                match e.role {
                    Role::Weight(_) => "WEIGHT is ignored (EZZ0799I), no PREFERRED or BACKUP",
                    _ => "no PREFERRED or BACKUP",
                },
            );
        }
        let mut zos = ignored_note("EZZ0826I PREFERRED AND BACKUP PARAMETERS ARE REQUIRED");
        if let Some(w) = weight_note {
            zos = format!("{w}; then {}", lower_first(&zos));
        }
        fail(
            codes::HS_NO_ROLES,
            diag.help("mark one target PREFERRED and the others BACKUP with a rank")
                .zos(zos),
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

    // EZZ0827I: exactly one PREFERRED and at least one BACKUP. A target with
    // neither role (or WEIGHT, which EZZ0799I ignores) is reported with the
    // same id; IBM documents no message for it (SPEC §4: message ids only
    // where IBM documents them), and zosmf-ha does not apply the statement.
    let plain: Vec<&DestEntry> = list
        .iter()
        .filter(|e| matches!(e.role, Role::Plain | Role::Weight(_)))
        .collect();
    let count_wrong = preferred.len() != 1 || backups.is_empty();
    if count_wrong || !plain.is_empty() {
        let message = if preferred.len() > 1 {
            format!(
                "{} targets are PREFERRED; hot standby allows exactly one",
                preferred.len()
            )
        } else if preferred.is_empty() {
            "no target is PREFERRED".to_owned()
        } else if backups.is_empty() {
            "no target is a BACKUP".to_owned()
        } else if plain.iter().all(|e| matches!(e.role, Role::Weight(_))) {
            "a target has WEIGHT instead of PREFERRED or BACKUP".to_owned()
        } else {
            "a target is neither PREFERRED nor BACKUP".to_owned()
        };
        let mut diag = Diagnostic::error(codes::HS_ROLE_COUNT, message)
            .primary(keyword, "in this VIPADISTRIBUTE");
        for p in &preferred {
            diag = diag.secondary(p.role_span.unwrap_or(p.addr.span), "PREFERRED");
        }
        for p in &plain {
            diag = diag.secondary(p.role_span.unwrap_or(p.addr.span), role_label(p));
        }
        if backups.is_empty()
            && preferred.len() == 1
            && let Some(p) = preferred.first()
        {
            diag = diag.secondary(p.addr.span, "no BACKUP besides this one");
        }
        diag = diag.help("mark exactly one target PREFERRED and every other target BACKUP [rank]");
        if count_wrong {
            let mut zos =
                ignored_note("EZZ0827I EXACTLY ONE PREFERRED AND AT LEAST ONE BACKUP ARE REQUIRED");
            if let Some(w) = weight_note {
                zos = format!("{w}; then {}", lower_first(&zos));
            }
            diag = diag.zos(zos);
        } else {
            if let Some(w) = weight_note {
                diag = diag.zos(w);
            }
            diag = diag.note(format!(
                "hot standby gives every target the role PREFERRED or BACKUP; IBM documents no message for a target with neither, and zosmf-ha does not apply this VIPADISTRIBUTE for {dvipa}"
            ));
        }
        fail(codes::HS_ROLE_COUNT, diag, diags);
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

/// "z/OS issues …" as it reads inside a sentence.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
