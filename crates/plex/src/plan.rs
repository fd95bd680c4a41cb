//! `zosmf-ha plan`: a complete, correct hot-standby configuration for N
//! systems from a short description. Everything written passes `check` with
//! no finding (a property test proves it over generated descriptions).

use std::fmt::Write;
use std::net::Ipv4Addr;

use serde::Deserialize;

/// plan.toml.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    /// The sysplex name.
    pub sysplex: String,
    /// The DVIPA clients use.
    pub dvipa: Ipv4Addr,
    /// The DVIPA's subnet mask.
    #[serde(default = "default_mask")]
    pub mask: Ipv4Addr,
    /// z/OSMF's HTTP_SSL_PORT, distributed on the DVIPA.
    #[serde(default = "default_port", deserialize_with = "de_port")]
    pub port: u16,
    /// The Zowe API ML gateway port, distributed on the same DVIPA too.
    #[serde(default, deserialize_with = "de_apiml_port")]
    pub apiml_port: Option<u16>,
    #[serde(default = "yes")]
    pub autoswitchback: bool,
    /// The system that owns and distributes the DVIPA; default: the preferred.
    #[serde(default)]
    pub distributor: Option<String>,
    /// HOSTNAME of every server; default: the DVIPA. A DNS name is written
    /// into sysplex.toml's `[resolve]` as a name of the DVIPA.
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default = "default_keyring")]
    pub keyring: String,
    #[serde(default = "default_saf")]
    pub saf_prefix: String,
    /// Each server's USER_DIR is `<user_dir>/<system in lower case>`.
    #[serde(default = "default_user_dir")]
    pub user_dir: String,
    /// The mask on IPCONFIG DYNAMICXCF.
    #[serde(default = "default_mask")]
    pub xcf_mask: Ipv4Addr,
    #[serde(rename = "system")]
    pub systems: Vec<SystemSpec>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SystemSpec {
    pub name: String,
    /// The system's DYNAMICXCF address (its DESTIP).
    pub xcf: Ipv4Addr,
    #[serde(default)]
    pub preferred: bool,
    /// BACKUP rank, 1-254, higher first; default: descending by order.
    #[serde(default, deserialize_with = "de_rank")]
    pub rank: Option<u8>,
}

/// The lowest and highest BACKUP (and VIPABACKUP) rank z/OS accepts.
pub const RANKS: std::ops::RangeInclusive<u8> = 1..=254;

/// A number read wide, so that an out-of-range value gets a message that
/// says the range and what to do instead of serde's "expected u8".
fn de_ranged<'de, D, T>(
    d: D,
    what: &str,
    range: std::ops::RangeInclusive<T>,
    fix: &str,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64> + Copy + std::fmt::Display + PartialOrd,
{
    let v = i64::deserialize(d)?;
    match T::try_from(v) {
        Ok(t) if range.contains(&t) => Ok(t),
        _ => Err(serde::de::Error::custom(format!(
            "{what} {v} is out of range: allowed {}-{}; {fix}",
            range.start(),
            range.end()
        ))),
    }
}

fn de_rank<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    de_ranged(
        d,
        "rank",
        RANKS,
        "change it (a higher BACKUP rank takes over first), or leave `rank` out for the default",
    )
    .map(Some)
}

fn de_port<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    de_ranged(d, "port", 1..=65535, "give z/OSMF's HTTP_SSL_PORT")
}

fn de_apiml_port<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    de_ranged(
        d,
        "apiml_port",
        1..=65535,
        "give the API ML gateway's port, or leave it out",
    )
    .map(Some)
}

fn default_mask() -> Ipv4Addr {
    Ipv4Addr::new(255, 255, 255, 0)
}
fn default_port() -> u16 {
    443
}
fn yes() -> bool {
    true
}
fn default_keyring() -> String {
    "IZUKeyring.IZUDFLT".into()
}
fn default_saf() -> String {
    "IZUDFLT".into()
}
fn default_user_dir() -> String {
    "/global/zosmf".into()
}

/// One generated file: its name in the output folder and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub text: String,
}

/// What each system gets, after validation.
struct Sys<'a> {
    spec: &'a SystemSpec,
    name: String,
    /// Two characters: the member suffix, the group and procedure suffix.
    tag: String,
    /// `None` for the preferred system.
    rank: Option<u8>,
}

fn mvs_name(n: &str) -> bool {
    (1..=8).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'@' | b'#' | b'$'))
        && !n.as_bytes()[0].is_ascii_digit()
}

/// An address a stack can use as a DVIPA or DYNAMICXCF address: not
/// 0.x.x.x, multicast, reserved (240/4) or broadcast.
fn unicast(a: Ipv4Addr) -> bool {
    a.octets()[0] != 0 && !a.is_multicast() && a.octets()[0] < 240
}

/// A subnet mask: contiguous one bits from the left, at least one.
fn subnet_mask(m: Ipv4Addr) -> bool {
    let bits = u32::from(m);
    bits != 0 && bits.leading_ones() + bits.trailing_zeros() == 32
}

/// A value written between quotes in IZUPRMxx: printable ASCII, no quote,
/// no blank, no `&` (z/OS would read a system symbol).
fn quotable(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'\'' && b != b'&')
}

/// A DNS host name: dot-separated labels of letters, digits and hyphens
/// (1-63 each, no hyphen first or last), the last one not all digits.
fn dns_name(h: &str) -> bool {
    let labels: Vec<&str> = h.strip_suffix('.').unwrap_or(h).split('.').collect();
    labels.iter().all(|l| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    }) && labels
        .last()
        .is_some_and(|l| !l.bytes().all(|b| b.is_ascii_digit()))
}

/// The longest HOSTNAME that fits `HOSTNAME('…')` in columns 1-71.
pub const MAX_HOSTNAME: usize = 59;

/// Check the description; the errors say what to change. Everything
/// [`generate`] writes is decided here: a description it accepts is
/// written whole.
pub fn validate(p: &PlanSpec) -> Result<(), Vec<String>> {
    let mut e = Vec::new();
    if !mvs_name(&p.sysplex.to_ascii_uppercase()) {
        e.push(format!(
            "sysplex `{}` is not a sysplex name (1-8 letters, digits, @ # $)",
            p.sysplex
        ));
    }
    if !unicast(p.dvipa) {
        e.push(format!(
            "dvipa {} cannot be a DVIPA (not 0.x.x.x, multicast, reserved or broadcast): give the address clients use",
            p.dvipa
        ));
    }
    if p.systems.len() < 2 {
        e.push("hot standby needs at least two systems: add [[system]] tables".into());
    }
    if p.systems.len() > 32 {
        e.push(format!(
            "{} systems: hot standby allows one preferred and 31 backups",
            p.systems.len()
        ));
    }
    let preferred = p.systems.iter().filter(|s| s.preferred).count();
    if preferred != 1 {
        e.push(format!(
            "exactly one system must have `preferred = true` ({preferred} have)"
        ));
    }
    for (i, s) in p.systems.iter().enumerate() {
        let up = s.name.to_ascii_uppercase();
        if !mvs_name(&up) {
            e.push(format!(
                "`{}` is not a z/OS system name (1-8 letters, digits, @ # $)",
                s.name
            ));
        }
        if p.systems[..i]
            .iter()
            .any(|o| o.name.eq_ignore_ascii_case(&s.name))
        {
            e.push(format!("system {up} is described twice"));
        }
        if p.systems[..i].iter().any(|o| o.xcf == s.xcf) {
            e.push(format!("{} is the xcf address of two systems", s.xcf));
        }
        if !unicast(s.xcf) {
            e.push(format!(
                "{up}: xcf {} cannot be a DYNAMICXCF address (not 0.x.x.x, multicast, reserved or broadcast)",
                s.xcf
            ));
        }
        if s.xcf == p.dvipa {
            e.push(format!(
                "the DVIPA {} is also {up}'s xcf address (ZHA2016)",
                p.dvipa
            ));
        }
        if s.preferred && s.rank.is_some() {
            e.push(format!("{up} is preferred: a rank is for backups only"));
        }
        if let Some(r) = s.rank
            && !RANKS.contains(&r)
        {
            e.push(format!(
                "{up}: rank {r} is out of range: allowed {}-{} (a higher BACKUP rank takes over first); change it, or leave `rank` out for the default",
                RANKS.start(),
                RANKS.end()
            ));
        }
    }
    let ranks: Vec<u8> = p.systems.iter().filter_map(|s| s.rank).collect();
    for (i, r) in ranks.iter().enumerate() {
        if ranks[..i].contains(r) && !ranks[i + 1..].contains(r) {
            e.push(format!(
                "rank {r} is given twice: ranks must be distinct (ZHA2015)"
            ));
        }
    }
    if let Some(d) = &p.distributor
        && !p.systems.iter().any(|s| s.name.eq_ignore_ascii_case(d))
    {
        e.push(format!("distributor {d} is not one of the systems"));
    }
    if p.port == 0 || p.apiml_port == Some(0) || p.apiml_port == Some(p.port) {
        e.push("port and apiml_port must be distinct ports 1-65535".into());
    }
    if !subnet_mask(p.mask) {
        e.push(format!(
            "mask {} is not a subnet mask (contiguous one bits, e.g. 255.255.255.0)",
            p.mask
        ));
    }
    if !subnet_mask(p.xcf_mask) {
        e.push(format!(
            "xcf_mask {} is not a subnet mask (contiguous one bits, e.g. 255.255.255.0)",
            p.xcf_mask
        ));
    }
    if !mvs_name(&p.saf_prefix.to_ascii_uppercase()) {
        e.push(format!(
            "saf_prefix `{}` must be 1-8 letters, digits, @ # $, not starting with a digit",
            p.saf_prefix
        ));
    }
    if !p.user_dir.starts_with('/') || !quotable(&p.user_dir) || p.user_dir.len() > 40 {
        e.push(format!(
            "user_dir `{}` must be an absolute path of at most 40 characters, without quotes, blanks or &",
            p.user_dir
        ));
    }
    if !quotable(&p.keyring) || p.keyring.len() > 40 {
        e.push(format!(
            "keyring `{}` must be a key ring name of at most 40 characters, without quotes, blanks or &",
            p.keyring
        ));
    }
    if let Some(h) = &p.hostname {
        match zha_tcpip::addr::ip(h) {
            Some(a) if a == std::net::IpAddr::V4(p.dvipa) => {}
            Some(a) => e.push(format!(
                "hostname {h} is the address {a}, not the DVIPA {}: give the DVIPA or a DNS name of it (ZHA1003)",
                p.dvipa
            )),
            None if h.len() > MAX_HOSTNAME || !dns_name(h) => e.push(format!(
                "hostname `{h}` must be the DVIPA or a DNS name of it (letters, digits, hyphens and dots, at most {MAX_HOSTNAME} characters)"
            )),
            None => {}
        }
    }
    if e.is_empty() { Ok(()) } else { Err(e) }
}

/// Two characters per system, unique: `0` and the last character of the
/// name (IZUPRM0A for SYSA, as the Zowe documentation names them), else the
/// last two characters, else a number; never 00 (the shared member).
fn tags(systems: &[SystemSpec]) -> Vec<String> {
    let names: Vec<String> = systems
        .iter()
        .map(|s| s.name.to_ascii_uppercase())
        .collect();
    let clean = |n: &str| {
        n.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
    };
    let zero_last = |n: &str| format!("0{}", clean(n).chars().last().unwrap_or('0'));
    let last_two = |n: &str| {
        let c = clean(n);
        let k = c.len().saturating_sub(2);
        format!("{:0>2}", &c[k..])
    };
    let tries: [Vec<String>; 2] = [
        names.iter().map(|n| zero_last(n)).collect(),
        names.iter().map(|n| last_two(n)).collect(),
    ];
    for t in tries {
        let mut u = t.clone();
        u.sort();
        u.dedup();
        // 00 is the shared member IZUPRM00.
        if u.len() == t.len() && !u.iter().any(|x| x == "00") {
            return t;
        }
    }
    (1..=names.len()).map(|i| format!("{i:02}")).collect()
}

/// Generate every file. The description must be valid (see [`validate`]).
pub fn generate(p: &PlanSpec) -> Result<Vec<File>, Vec<String>> {
    validate(p)?;
    let tags = tags(&p.systems);
    let ranks = backup_ranks(&p.systems);
    let systems: Vec<Sys> = p
        .systems
        .iter()
        .zip(tags)
        .zip(ranks)
        .map(|((s, tag), rank)| Sys {
            spec: s,
            name: s.name.to_ascii_uppercase(),
            tag,
            rank,
        })
        .collect();
    let preferred = systems.iter().position(|s| s.rank.is_none()).unwrap_or(0);
    let distributor = p
        .distributor
        .as_ref()
        .and_then(|d| systems.iter().position(|s| s.name.eq_ignore_ascii_case(d)))
        .unwrap_or(preferred);
    let hostname = p.hostname.clone().unwrap_or_else(|| p.dvipa.to_string());
    let plex = p.sysplex.to_ascii_uppercase();

    let mut files = Vec::new();
    // sysplex.toml
    let mut t = format!(
        "# The sysplex zosmf-ha plan generated: `zosmf-ha check` reads this.\nname = \"{plex}\"\n"
    );
    if dns_host(p).is_some() {
        // What `--resolve` would say, written down: HOSTNAME names the DVIPA.
        let _ = write!(
            t,
            "\n# HOSTNAME is a DNS name of the DVIPA: make DNS say so too.\n[resolve]\n\"{hostname}\" = \"{}\"\n",
            p.dvipa
        );
    }
    for s in &systems {
        let _ = write!(
            t,
            "\n[[system]]\nname = \"{}\"\nparmlib = [\"IZUPRM00\", \"IZUPRM{}\"]\nprofile = \"{}.TCPIP\"\n",
            s.name, s.tag, s.name
        );
    }
    files.push(File {
        name: "sysplex.toml".into(),
        text: t,
    });

    // IZUPRM00: what every server shares.
    let mut t = comment(&[
        format!("IZUPRM00: z/OSMF settings shared by every server of {plex}."),
        "Generated by zosmf-ha plan. Each system's IZU=(00,xx) adds".into(),
        "its own member after this one.".into(),
    ]);
    let _ = write!(
        t,
        "HOSTNAME('{hostname}')\nHTTP_SSL_PORT({port})\nKEYRING_NAME('{keyring}')\nSAF_PREFIX({saf})\nANGEL_PROC(IZUANG1)\n",
        port = p.port,
        keyring = p.keyring,
        saf = p.saf_prefix.to_ascii_uppercase()
    );
    files.push(File {
        name: "IZUPRM00".into(),
        text: t,
    });
    // One member per system: what must differ.
    for s in &systems {
        let role = match s.rank {
            None => "preferred".to_owned(),
            Some(r) => format!("backup, rank {r}"),
        };
        let dir = user_dir(p, s);
        let mut t = comment(&[format!(
            "IZUPRM{}: the z/OSMF server of {} ({role}).",
            s.tag, s.name
        )]);
        let _ = write!(
            t,
            "AUTOSTART(LOCAL)\nAUTOSTART_GROUP('IZUDFL{tag}')\nSERVER_PROC(IZUSVR{tag})\nUSER_DIR('{dir}')\n",
            tag = s.tag
        );
        files.push(File {
            name: format!("IZUPRM{}", s.tag),
            text: t,
        });
    }
    // Each system's profile statements.
    let ports = match p.apiml_port {
        Some(a) => format!("{} {a}", p.port),
        None => p.port.to_string(),
    };
    let policy = if p.autoswitchback {
        "AUTOSWITCHBACK"
    } else {
        "NOAUTOSWITCHBACK"
    };
    // A preferred system that does not distribute backs the DVIPA up too,
    // with a rank no backup has (equal ranks leave the takeover order to
    // chance): 200, or the highest free one.
    let taken: Vec<u8> = systems.iter().filter_map(|s| s.rank).collect();
    let preferred_vipabackup = std::iter::once(200)
        .chain(RANKS.rev())
        .find(|r| !taken.contains(r))
        .unwrap_or(200);
    let mut destip = String::new();
    // DESTIP lines in takeover order (the preferred one has no rank).
    let order = zha_standby::takeover_order(systems.iter().map(|s| s.rank.unwrap_or(255)));
    for s in order.iter().map(|&i| &systems[i]) {
        match s.rank {
            None => {
                let _ = writeln!(destip, "      {:<15} PREFERRED", s.spec.xcf);
            }
            Some(r) => {
                let _ = writeln!(destip, "      {:<15} BACKUP {r}", s.spec.xcf);
            }
        }
    }
    for (i, s) in systems.iter().enumerate() {
        let own = if i == distributor {
            format!(
                "  ; {} owns the DVIPA and distributes it.\n  VIPADEFINE MOVEABLE IMMEDIATE {} {}\n",
                s.name, p.mask, p.dvipa
            )
        } else {
            let r = s.rank.unwrap_or(preferred_vipabackup);
            format!(
                "  ; {} takes the DVIPA over if the distributing stack fails.\n  VIPABACKUP {r} MOVEABLE IMMEDIATE {} {}\n",
                s.name, p.mask, p.dvipa
            )
        };
        files.push(File {
            name: format!("{}.TCPIP", s.name),
            text: format!(
                "; {sys}.TCPIP: the statements z/OSMF hot standby needs in {sys}'s\n\
                 ; PROFILE.TCPIP (generated by zosmf-ha plan). Merge them into the\n\
                 ; profile, or INCLUDE this member from it.\n\
                 ;\n\
                 ; {sys}'s address in the sysplex: the DESTIP of its z/OSMF server.\n\
                 IPCONFIG SYSPLEXROUTING DYNAMICXCF {xcf} {xmask} 1\n\
                 ;\n\
                 VIPADYNAMIC\n\
                 {own}\
                 \x20 ; New connections go to the PREFERRED server while it is available,\n\
                 \x20 ; else to the highest-ranked available BACKUP; no load balancing.\n\
                 \x20 VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY {policy}\n\
                 \x20   {dvipa} PORT {ports} DESTIP\n\
                 {destip}\
                 ENDVIPADYNAMIC\n",
                sys = s.name,
                xcf = s.spec.xcf,
                xmask = p.xcf_mask,
                dvipa = p.dvipa,
            ),
        });
    }
    files.push(racf(&systems));
    files.push(procs(&systems, p));
    files.push(mkfs(&systems, p, &plex));
    files.push(checklist(&systems, p, &plex, &hostname));
    Ok(files)
}

/// The HOSTNAME when it is a DNS name (not an address): plan writes it
/// into sysplex.toml's `[resolve]`.
fn dns_host(p: &PlanSpec) -> Option<&str> {
    p.hostname
        .as_deref()
        .filter(|h| zha_tcpip::addr::ip(h).is_none())
}

/// Each system's BACKUP rank (`None` for the preferred): the given ones as
/// given; the others descending by order from 100 (step 10, or less when
/// more than ten need one), each moved down (else up) to a rank no other
/// system has.
fn backup_ranks(systems: &[SystemSpec]) -> Vec<Option<u8>> {
    let mut taken: Vec<u8> = systems.iter().filter_map(|s| s.rank).collect();
    let defaults = systems
        .iter()
        .filter(|s| !s.preferred && s.rank.is_none())
        .count();
    let step = if defaults <= 10 {
        10
    } else {
        (99 / (defaults - 1)).max(1)
    };
    let mut k = 0usize;
    systems
        .iter()
        .map(|s| {
            if s.preferred {
                return None;
            }
            if s.rank.is_some() {
                return s.rank;
            }
            let want = 100usize.saturating_sub(k * step).max(1);
            k += 1;
            let want = u8::try_from(want).unwrap_or(1);
            let free = (1..=want)
                .rev()
                .chain(want..=*RANKS.end())
                .find(|r| !taken.contains(r));
            if let Some(r) = free {
                taken.push(r);
            }
            free
        })
        .collect()
}

/// A parmlib comment box that stays within columns 1-71.
fn comment(lines: &[String]) -> String {
    let mut out = String::new();
    for l in lines {
        let mut rest = l.as_str();
        while !rest.is_empty() {
            let cut = if rest.len() <= 64 {
                rest.len()
            } else {
                rest[..64].rfind(' ').unwrap_or(64)
            };
            let _ = writeln!(out, "/* {:<64} */", rest[..cut].trim_end());
            rest = rest[cut..].trim_start();
        }
    }
    out
}

fn racf(systems: &[Sys]) -> File {
    let mut t = comment(&[
        "RACF: a STARTED profile per z/OSMF server procedure (generated by zosmf-ha plan). Run in TSO or with IKJEFT01; the user IZUSVR and the group IZUADMIN come from IZUSEC, shared by every server.".into(),
    ]);
    for s in systems {
        let _ = writeln!(
            t,
            "RDEFINE STARTED IZUSVR{}.* STDATA(USER(IZUSVR) GROUP(IZUADMIN) TRUSTED(NO))",
            s.tag
        );
    }
    t.push_str("SETROPTS RACLIST(STARTED) REFRESH\n");
    File {
        name: "RACF.txt".into(),
        text: t,
    }
}

/// A server's own USER_DIR: the planned root plus the system name.
fn user_dir(p: &PlanSpec, s: &Sys) -> String {
    format!(
        "{}/{}",
        p.user_dir.trim_end_matches('/'),
        s.name.to_ascii_lowercase()
    )
}

fn procs(systems: &[Sys], p: &PlanSpec) -> File {
    let mut t = String::from(
        "Procedure copies (generated by zosmf-ha plan)\n\n\
         Each z/OSMF server runs its own copy of IZUSVR1; all may share IZUANG1\n\
         and IZUFPROC. Copy SYS1.PROCLIB(IZUSVR1) into your PROCLIB once per server:\n\n",
    );
    for s in systems {
        let dir = user_dir(p, s);
        let _ = writeln!(
            t,
            "  IZUSVR{tag}  for {sys}: a copy of IZUSVR1 with USERDIR='{dir}' and IZUPRM=(00,{tag})",
            tag = s.tag,
            sys = s.name
        );
    }
    t.push_str("\nThen set IZU=(00,xx) for each system in its IEASYSxx, or SET IZU=(00,xx).\n");
    File {
        name: "PROCLIB.txt".into(),
        text: t,
    }
}

fn mkfs(systems: &[Sys], p: &PlanSpec, plex: &str) -> File {
    let mut t = String::from(
        "IZUMKFS: one z/OSMF data file system per server (generated by zosmf-ha plan)\n\n\
         Each server locks its own USER_DIR; run the IZUMKFS job once per server with:\n\n",
    );
    for s in systems {
        let dir = user_dir(p, s);
        let _ = writeln!(
            t,
            "  {sys}: file system IZU.{plex}.{sys}.ZFS mounted at {dir}",
            sys = s.name
        );
    }
    t.push_str(
        "\nMount each one on the shared z/OS UNIX file system (for example with AUTOMOVE).\n",
    );
    File {
        name: "IZUMKFS.txt".into(),
        text: t,
    }
}

fn checklist(systems: &[Sys], p: &PlanSpec, plex: &str, hostname: &str) -> File {
    let names: Vec<&str> = systems.iter().map(|s| s.name.as_str()).collect();
    let mut t = format!(
        "# Before z/OSMF hot standby works in {plex}\n\n\
         Generated by `zosmf-ha plan`. No file shows these; check each.\n\n\
         - [ ] A **shared SAF database** for {all}: a user authorised on one server is authorised on all.\n\
         - [ ] A **shared z/OS UNIX file system**, with each server's data file system mounted (IZUMKFS.txt).\n\
         - [ ] **JES2 MAS** across the systems: jobs submitted through any server are visible to all.\n\
         - [ ] The **sysplex distributor**: XCF connectivity between the stacks (VTAM XCFINIT=YES or the ISTLSXCF major node) for DYNAMICXCF.\n\
         - [ ] **EMCS consoles**: the z/OSMF console services need them on every system.\n\
         - [ ] The certificate of key ring {ring} holds {names} in its subject alternative names, on every server.\n\
         {dns}\
         - [ ] Clients (Zowe CLI profiles, API ML) use https://{hostname}:{port}.\n\n\
         ## Steps\n\n\
         1. RACF.txt: the STARTED profiles.\n\
         2. PROCLIB.txt: the procedure copies.\n\
         3. IZUMKFS.txt: one data file system per server.\n\
         4. IZUPRM00 and IZUPRMxx: copy into SYS1.PARMLIB (or your parmlib concatenation).\n\
         5. <SYSTEM>.TCPIP: merge into each system's PROFILE.TCPIP (VARY TCPIP,,OBEYFILE applies it).\n\
         6. `zosmf-ha check` this folder: it reports no finding.\n",
        all = names.join(", "),
        ring = p.keyring,
        names = if dns_host(p).is_some() {
            format!("{hostname} and the DVIPA {}", p.dvipa)
        } else {
            p.dvipa.to_string()
        },
        dns = match dns_host(p) {
            Some(h) => format!(
                "- [ ] **DNS** resolves {h} to the DVIPA {} (sysplex.toml's [resolve] tells `check` so).\n",
                p.dvipa
            ),
            None => String::new(),
        },
        port = p.port
    );
    if let Some(a) = p.apiml_port {
        let _ = writeln!(
            t,
            "\nThe Zowe API ML gateway port {a} is distributed on the same DVIPA."
        );
    }
    File {
        name: "CHECKLIST.md".into(),
        text: t,
    }
}

/// Parse plan.toml.
pub fn parse(text: &str) -> Result<PlanSpec, String> {
    toml::from_str::<PlanSpec>(text).map_err(|e| {
        let loc = e
            .span()
            .map(|s| {
                format!(
                    "line {}: ",
                    text[..s.start.min(text.len())].matches('\n').count() + 1
                )
            })
            .unwrap_or_default();
        format!("{loc}{}", e.message().trim())
    })
}

/// The plan `up` runs when given no folder: two systems on loopback.
pub fn local_default() -> PlanSpec {
    PlanSpec {
        sysplex: "LOCALPLX".into(),
        dvipa: Ipv4Addr::new(127, 0, 0, 10),
        mask: default_mask(),
        port: 8443,
        apiml_port: None,
        autoswitchback: true,
        distributor: None,
        hostname: None,
        keyring: default_keyring(),
        saf_prefix: default_saf(),
        user_dir: default_user_dir(),
        xcf_mask: Ipv4Addr::new(255, 0, 0, 0),
        systems: vec![
            SystemSpec {
                name: "SYSA".into(),
                xcf: Ipv4Addr::new(127, 0, 0, 11),
                preferred: true,
                rank: None,
            },
            SystemSpec {
                name: "SYSB".into(),
                xcf: Ipv4Addr::new(127, 0, 0, 12),
                preferred: false,
                rank: None,
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_the_zowe_names() {
        let s = |n: &str| SystemSpec {
            name: n.into(),
            xcf: Ipv4Addr::LOCALHOST,
            preferred: false,
            rank: None,
        };
        assert_eq!(tags(&[s("SYSA"), s("SYSB")]), ["0A", "0B"]);
        assert_eq!(tags(&[s("PLEXA1"), s("PLEXB1")]), ["A1", "B1"]);
        assert_eq!(tags(&[s("PRODA1"), s("TESTA1")]), ["01", "02"]);
    }
}
