//! The syntax tree of one profile file.
//!
//! Statements the HA rules need are modelled in full (IPCONFIG, HOME,
//! INTERFACE, INCLUDE and everything inside VIPADYNAMIC); every other known
//! statement is kept as its keyword and parameter tokens.

use std::net::{IpAddr, Ipv4Addr};

use zha_diag::{Located, Span};

/// One parsed profile file (INCLUDEs not yet followed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub statements: Vec<Statement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The statement name in full (`VIPADYNAMIC` for `VIPAD`).
    pub name: &'static str,
    pub keyword: Span,
    /// From the keyword to the last token (END keyword included).
    pub span: Span,
    pub kind: StmtKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StmtKind {
    IpConfig(IpConfig),
    Home(Vec<HomeEntry>),
    Interface(Interface),
    Include(Located<String>),
    VipaDynamic(VipaDynamic),
    /// PORT, PORTRANGE, or DELETE PORT / DELETE PORTRANGE.
    Port(PortList),
    /// A known statement we do not model, with its parameters as written
    /// (for blocks, the tokens between the keyword and the END keyword):
    /// upper case, except double-quoted strings, which keep their quotes
    /// and case (`PARMSTRING "d=x"`).
    Other(Vec<Located<String>>),
}

/// IPCONFIG or IPCONFIG6: parameters in any order; we read SYSPLEXROUTING
/// and DYNAMICXCF and keep the rest as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpConfig {
    pub v6: bool,
    pub args: Vec<Located<String>>,
    /// `Some(true)` for SYSPLEXROUTING, `Some(false)` for NOSYSPLEXROUTING.
    pub sysplex_routing: Option<Located<bool>>,
    /// `Some(None)` for NODYNAMICXCF.
    pub dynamic_xcf: Option<Located<Option<DynamicXcf>>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynamicXcf {
    pub addr: Located<IpAddr>,
    pub mask: Option<Ipv4Addr>,
    pub prefix: Option<u8>,
    pub cost: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HomeEntry {
    pub addr: Located<Ipv4Addr>,
    pub link: Located<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub name: Located<String>,
    pub args: Vec<Located<String>>,
    /// The IPADDR parameter, when it holds an address.
    pub ipaddr: Option<Located<IpAddr>>,
}

/// `VIPADYNAMIC … ENDVIPADYNAMIC`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipaDynamic {
    pub subs: Vec<Sub>,
    /// The END keyword; `None` when it is missing (the block ran to the end
    /// of the file).
    pub end: Option<Span>,
}

/// A sub-statement of VIPADYNAMIC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sub {
    pub keyword: Span,
    pub span: Span,
    pub kind: SubKind,
    /// The statement has a syntax error (z/OS does not apply it), or an
    /// unresolved system symbol where a value is needed (it cannot be
    /// checked); either way the model does not apply it.
    pub invalid: bool,
    /// An earlier syntax error in the block, at this span, made z/OS stop
    /// processing the block: this statement is not applied.
    pub skipped_after: Option<Span>,
}

impl Sub {
    /// Whether z/OS processes this statement at all (syntax-wise).
    pub fn applies(&self) -> bool {
        !self.invalid && self.skipped_after.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubKind {
    Define(VipaDefine),
    Backup(VipaBackup),
    Delete(Vec<Located<DvipaRef>>),
    Distribute(VipaDistribute),
    Range(VipaRange),
    /// VIPAROUTE and VIPASMPARMS: recorded, not acted on.
    Route(Vec<Located<String>>),
    SmParms(Vec<Located<String>>),
    /// A statement whose syntax error left nothing usable.
    Invalid(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Moveable {
    Immediate,
    WhenIdle,
}

/// Placement options shared by VIPADEFINE and VIPABACKUP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VipaOptions {
    /// TIER1 or TIER2.
    pub tier: Option<u8>,
    pub cpcscope: bool,
    pub moveable: Option<Moveable>,
    pub servicemgr: bool,
}

/// The DVIPAs a VIPADEFINE or VIPABACKUP names: IPv4 addresses (with a mask
/// where the syntax has one) or one IPv6 interface with its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VipaAddrs {
    V4 {
        mask: Option<Located<Ipv4Addr>>,
        addrs: Vec<Located<Ipv4Addr>>,
    },
    V6 {
        intf: Located<String>,
        addr: Located<IpAddr>,
        prefix: Option<u8>,
    },
}

impl VipaAddrs {
    /// Every address with its span.
    pub fn addresses(&self) -> Vec<Located<IpAddr>> {
        match self {
            VipaAddrs::V4 { addrs, .. } => addrs
                .iter()
                .map(|a| Located::new(IpAddr::V4(a.value), a.span))
                .collect(),
            VipaAddrs::V6 { addr, .. } => vec![*addr],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipaDefine {
    pub options: VipaOptions,
    pub addrs: VipaAddrs,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipaBackup {
    /// 1-254, default 1; higher takes over first.
    pub rank: Located<u8>,
    pub rank_given: bool,
    pub options: VipaOptions,
    pub addrs: VipaAddrs,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipaRange {
    pub delete: bool,
    pub args: Vec<Located<String>>,
    pub mask: Option<Located<Ipv4Addr>>,
    pub addr: Option<Located<IpAddr>>,
}

/// How VIPADISTRIBUTE names its DVIPA: an IPv4 address or an IPv6 interface.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DvipaRef {
    Addr(IpAddr),
    Intf(String),
}

impl std::fmt::Display for DvipaRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DvipaRef::Addr(a) => write!(f, "{a}"),
            DvipaRef::Intf(n) => f.write_str(n),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DistMethod {
    BaseWlm,
    RoundRobin,
    ServerWlm,
    WeightedActive,
    HotStandby,
    TargControlled,
}

impl DistMethod {
    pub const ALL: [(DistMethod, &'static str, usize); 6] = [
        (DistMethod::BaseWlm, "BASEWLM", 7),
        (DistMethod::RoundRobin, "ROUNDROBIN", 10),
        (DistMethod::ServerWlm, "SERVERWLM", 9),
        (DistMethod::WeightedActive, "WEIGHTEDACTIVE", 9),
        (DistMethod::HotStandby, "HOTSTANDBY", 10),
        (DistMethod::TargControlled, "TARGCONTROLLED", 14),
    ];

    pub fn keyword(self) -> &'static str {
        DistMethod::ALL
            .iter()
            .find(|m| m.0 == self)
            .map_or("BASEWLM", |m| m.1)
    }

    /// As NETSTAT shows it: `HotStandby`, `BaseWLM` …
    pub fn display(self) -> &'static str {
        match self {
            DistMethod::BaseWlm => "BaseWLM",
            DistMethod::RoundRobin => "RoundRobin",
            DistMethod::ServerWlm => "ServerWLM",
            DistMethod::WeightedActive => "WeightedActive",
            DistMethod::HotStandby => "HotStandby",
            DistMethod::TargControlled => "TargControlled",
        }
    }
}

/// `n` or `n-m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortRange {
    pub lo: u16,
    pub hi: u16,
}

impl PortRange {
    pub fn contains(self, port: u16) -> bool {
        self.lo <= port && port <= self.hi
    }
}

/// As a PORT list writes it: `443` or `7554-7560`.
impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.lo == self.hi {
            write!(f, "{}", self.lo)
        } else {
            write!(f, "{}-{}", self.lo, self.hi)
        }
    }
}

/// Whether a PORT list covers `port`: the one implementation of "PORT
/// omitted means every port" (SPEC §2).
pub fn ports_cover(ports: &[Located<PortRange>], port: u16) -> bool {
    ports.is_empty() || ports.iter().any(|p| p.value.contains(port))
}

/// What a DESTIP entry says about its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// No PREFERRED, BACKUP or WEIGHT.
    Plain,
    Preferred,
    /// BACKUP with its rank (1-254; 1 when not given).
    Backup {
        rank: u8,
        rank_given: bool,
    },
    Weight(u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestEntry {
    pub addr: Located<IpAddr>,
    pub role: Role,
    /// The PREFERRED / BACKUP [rank] / WEIGHT n tokens.
    pub role_span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DestIp {
    All(Span),
    List(Vec<DestEntry>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipaDistribute {
    pub delete: bool,
    pub method: Option<Located<DistMethod>>,
    /// AUTOSWITCHBACK (true) / NOAUTOSWITCHBACK (false).
    pub switchback: Option<Located<bool>>,
    /// HEALTHSWITCH (true) / NOHEALTHSWITCH (false).
    pub healthswitch: Option<Located<bool>>,
    pub sysplexports: Option<Span>,
    pub timedaffinity: Option<Located<u32>>,
    /// OPTLOCAL [n] (`Some(Some(n))`, `Some(None)`), or NOOPTLOCAL kept in `other`.
    pub optlocal: Option<Located<Option<u32>>>,
    /// Options we do not interpret (PROCTYPE …, TIER1 group …), as written.
    pub other: Vec<Located<String>>,
    pub dvipa: Located<DvipaRef>,
    /// Empty: PORT omitted, every port.
    pub ports: Vec<Located<PortRange>>,
    pub destip: Option<DestIp>,
}

impl VipaDistribute {
    pub fn method_or_default(&self) -> DistMethod {
        self.method.map_or(DistMethod::BaseWlm, |m| m.value)
    }

    /// Whether the statement covers `port` (PORT omitted covers every port).
    pub fn covers_port(&self, port: u16) -> bool {
        ports_cover(&self.ports, port)
    }
}

/// A PORT or PORTRANGE statement, or a DELETE PORT / DELETE PORTRANGE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortList {
    /// PORTRANGE (or DELETE PORTRANGE) rather than PORT.
    pub range: bool,
    /// DELETE PORT / DELETE PORTRANGE: the entries name reservations to remove.
    pub delete: bool,
    /// The parameters as written (for DELETE, `PORT` or `PORTRANGE` first).
    pub args: Vec<Located<String>>,
    /// The entries zosmf-ha could read (the others have a ZHA0115 warning).
    pub entries: Vec<Reservation>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub fn keyword(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }
}

/// Who a reservation is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PortOwner {
    /// `RESERVED`: nobody may use the port.
    Reserved,
    /// `AUTHPORT` (PORTRANGE only): only the FTP server, for its
    /// PASSIVEDATAPORTS.
    AuthPort,
    /// A job name as written, upper case: a name (`IZUSVR1`), a pattern
    /// with `*` and `?` (`IZUSVR*`, `IZU?VR1`), `*` (any job), `OMVS` (any
    /// z/OS UNIX application) or `INTCLIEN` (the stack's own TN3270).
    Job(String),
}

/// SHAREPORT or SHAREPORTWLM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SharePort {
    Share,
    ShareWlm,
}

/// One entry of a PORT or PORTRANGE statement: a port reservation, or
/// (PORT UNRSV) a rule for the ports no entry reserves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// The port or ports reserved (PORTRANGE: `first` to `first+count-1`,
    /// cut at 65535); `None` for UNRSV.
    pub ports: Option<Located<PortRange>>,
    /// The UNRSV keyword.
    pub unrsv: Option<Span>,
    pub protocol: Located<Protocol>,
    pub owner: Located<PortOwner>,
    /// DENY (UNRSV with job name `*` only).
    pub deny: Option<Span>,
    /// SAF resname: access also needs READ to the SERVAUTH profile
    /// EZB.PORTACCESS.sysname.tcpname.resname.
    pub saf: Option<Located<String>>,
    /// BIND ipaddr: a server that binds to INADDR_ANY gets this address.
    pub bind: Option<Located<IpAddr>>,
    pub share: Option<Located<SharePort>>,
    /// WHENBIND (UNRSV TCP; WHENLISTEN is the default).
    pub when_bind: Option<Span>,
    /// NOAUTOLOG, DELAYACKS, NODELAYACKS, SMC, NOSMC, WHENLISTEN as written.
    pub options: Vec<Located<String>>,
    /// From a PORTRANGE statement.
    pub range: bool,
    /// The whole entry, from its port number (or UNRSV) to its last option.
    pub span: Span,
}

impl Reservation {
    /// The job name or pattern, if the entry has one.
    pub fn job(&self) -> Option<&str> {
        match &self.owner.value {
            PortOwner::Job(j) => Some(j),
            _ => None,
        }
    }

    /// Whether the job name still holds an unresolved system symbol: it
    /// cannot be compared with anything.
    pub fn unresolved(&self) -> bool {
        self.job().is_some_and(|j| j.contains('&'))
    }

    /// Whether the entry reserves `port` (UNRSV entries reserve nothing).
    pub fn covers(&self, port: u16) -> bool {
        self.ports.is_some_and(|p| p.value.contains(port))
    }
}
