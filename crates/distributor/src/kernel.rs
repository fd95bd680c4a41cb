//! Kernel forwarding's data path (SPEC §8): one nftables table per stack,
//! named after its system, that sends every *new* connection to a
//! DVIPA:port to its active target (DNAT through a map); conntrack keeps
//! each existing connection on the target it started on, so a switch is one
//! update of the map and never moves a connection.
//!
//! The table also carries what the proxy does itself: the timeouts of SPEC
//! §1 as a conntrack timeout policy, `max_connections` as `ct count` (more
//! are reset at once), and which conntrack events its connections report
//! (`conntrack`). It is marked as the stack's own by its comment (the
//! system and the group): a table of the same name that is not refused,
//! never deleted.
//!
//! Driven through `nft -f -` (Debian's `nftables`): each script is one
//! transaction, so a table is replaced whole (a stale one of a killed
//! process included) and a switch is one update of the set and the map;
//! nothing outside the table is touched. IPv4 for now.

use std::io::Write;
use std::net::SocketAddrV4;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Why the kernel's data path could not be set.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("kernel forwarding needs `nft` (apt-get install nftables)")]
    NoNft,
    #[error(
        "{what} needs CAP_NET_ADMIN: run as root, or give the process CAP_NET_ADMIN as an ambient capability (systemd: AmbientCapabilities=CAP_NET_ADMIN), since `nft`, which it runs, needs it too"
    )]
    NotPermitted { what: String },
    #[error("{what}: nft: {message}")]
    Nft { what: String, message: String },
    #[error("`{0}` cannot name an nftables table: 1-8 letters, digits, @ # $")]
    BadName(String),
    #[error(
        "the nftables table `ip {table}` exists and is not this stack's ({found}): it is left alone; delete it (`nft delete table ip {table}`) if it is a leftover, or give this stack another --system"
    )]
    NotOurs { table: String, found: String },
}

/// What the table enforces besides the routes (SPEC §1 through the kernel).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Connect timeout: conntrack forgets an unanswered attempt after it
    /// (whole seconds, at least 1; the distributor judges it to the
    /// millisecond and deletes the entry itself).
    pub connect: Duration,
    /// Idle (ESTABLISHED), half-closed (FIN_WAIT, CLOSE_WAIT, LAST_ACK) and
    /// server (unacknowledged data) timeouts; zero: the kernel's own.
    pub idle: Duration,
    pub half_closed: Duration,
    pub server: Duration,
    /// Connections open at once over every DVIPA:port of the stack; more
    /// are reset at once.
    pub max_connections: usize,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            connect: Duration::from_millis(500),
            idle: Duration::from_secs(3600),
            half_closed: Duration::from_secs(30),
            server: Duration::from_secs(300),
            max_connections: 100_000,
        }
    }
}

/// How long conntrack remembers a connection both sides closed (TIME_WAIT):
/// short, so counts of open connections follow closes within seconds; a
/// late segment afterwards meets a new mapping and a reset, which the
/// closed connection never reads.
const TIME_WAIT_SECS: u64 = 5;

impl Policy {
    fn timeouts(&self) -> String {
        let secs = |d: Duration| d.as_secs().max(1);
        let mut parts = vec![
            format!(
                "syn_sent: {}",
                secs(self.connect + Duration::from_millis(999))
            ),
            format!("time_wait: {TIME_WAIT_SECS}"),
        ];
        if !self.idle.is_zero() {
            parts.push(format!("established: {}", secs(self.idle)));
        }
        if !self.half_closed.is_zero() {
            let s = secs(self.half_closed);
            parts.push(format!("fin_wait: {s}, close_wait: {s}, last_ack: {s}"));
        }
        if !self.server.is_zero() {
            let s = secs(self.server);
            parts.push(format!("unack: {s}, retrans: {s}"));
        }
        parts.join(", ")
    }
}

/// The kernel path of one stack: its table, what the table enforces, and
/// what it forwards now (DVIPA:port → service: the conntrack watcher's
/// filter, and `netstat vcrt`'s).
pub struct Kernel {
    pub table: Table,
    pub policy: Policy,
    pub forwarded:
        arc_swap::ArcSwap<std::collections::HashMap<std::net::SocketAddr, zha_standby::ServiceKey>>,
}

/// One stack's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    name: String,
    /// The comment that marks it as this stack's.
    mark: String,
}

/// New connections to `.0` go to `.1`.
pub type Route = (SocketAddrV4, SocketAddrV4);

/// The comment's first word on every table of ours.
const MARK: &str = "zosmf-ha";

impl Table {
    /// The table of system `system`'s stack: `zha_<system>`, in lower case
    /// (`@ # $` become `_at_`, `_hash_`, `_dollar_`); `group` tells the
    /// stacks of one sysplex group from another's (any text; hashed).
    pub fn new(system: &str, group: &str) -> Result<Table, KernelError> {
        let ok = (1..=8).contains(&system.len())
            && system
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'@' | b'#' | b'$'));
        if !ok {
            return Err(KernelError::BadName(system.to_owned()));
        }
        let mut name = String::from("zha_");
        for c in system.to_ascii_lowercase().chars() {
            match c {
                '@' => name.push_str("_at_"),
                '#' => name.push_str("_hash_"),
                '$' => name.push_str("_dollar_"),
                c => name.push(c),
            }
        }
        Ok(Table {
            name,
            mark: format!(
                "{MARK} {} group {:016x}",
                system.to_ascii_uppercase(),
                fnv(group)
            ),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The system a table of the same group as this one belongs to, from
    /// its comment; `None` for a table that is not of this group.
    fn system_of(&self, comment: &str) -> Option<String> {
        let group = self.mark.rsplit(' ').next()?;
        let mut words = comment.split(' ');
        match (
            words.next(),
            words.next(),
            words.next(),
            words.next(),
            words.next(),
        ) {
            (Some(MARK), Some(system), Some("group"), Some(g), None) if g == group => {
                Some(system.to_owned())
            }
            _ => None,
        }
    }

    fn elements(routes: &[Route]) -> (String, String) {
        let services = routes
            .iter()
            .map(|(from, _)| format!("{} . {}", from.ip(), from.port()))
            .collect::<Vec<_>>()
            .join(", ");
        let map = routes
            .iter()
            .map(|(from, to)| {
                format!(
                    "{} . {} : {} . {}",
                    from.ip(),
                    from.port(),
                    to.ip(),
                    to.port()
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        (services, map)
    }

    /// The script that replaces the table whole: created if absent, then
    /// deleted and created again in the same transaction.
    pub fn replace_script(&self, routes: &[Route], policy: &Policy) -> String {
        let n = &self.name;
        let (services, map) = Self::elements(routes);
        let (services, map) = if routes.is_empty() {
            (String::new(), String::new())
        } else {
            (
                format!("    elements = {{ {services} }}\n"),
                format!("    elements = {{ {map} }}\n"),
            )
        };
        let mark = &self.mark;
        let timeouts = policy.timeouts();
        let max = policy.max_connections;
        let matched = "ip daddr . tcp dport @services";
        // Only a connection's first SYN starts one here: a packet that
        // conntrack picks up mid-stream (an entry it forgot) is not sent to
        // a target, which would reset it as a connection it never knew.
        let syn = "tcp flags & (fin | syn | rst | ack) == syn";
        let chain = |name: &str, kind: &str, hook: &str, prio: i32, rules: &[String]| {
            let mut c = format!(
                "  chain {name} {{\n    type {kind} hook {hook} priority {prio}; policy accept;\n"
            );
            for r in rules {
                c.push_str(&format!("    {r}\n"));
            }
            c.push_str("  }\n");
            c
        };
        let timeout = [format!("{syn} {matched} ct timeout set \"timeouts\"")];
        let limit = [format!(
            "ct state new {matched} ct count over {max} counter name \"refused_limit\" reject with tcp reset"
        )];
        let nat = [
            format!("{syn} {matched} ct event set new,destroy"),
            format!("{syn} dnat ip to ip daddr . tcp dport map @active"),
        ];
        let mut s = format!(
            "table ip {n}\n\
             delete table ip {n}\n\
             table ip {n} {{\n\
             \x20 comment \"{mark}\"\n\
             \x20 ct timeout timeouts {{\n\
             \x20   protocol tcp\n\
             \x20   l3proto ip\n\
             \x20   policy = {{ {timeouts} }}\n\
             \x20 }}\n\
             \x20 counter refused_limit {{\n\
             \x20 }}\n\
             \x20 set services {{\n\
             \x20   type ipv4_addr . inet_service\n\
             {services}\
             \x20 }}\n\
             \x20 map active {{\n\
             \x20   type ipv4_addr . inet_service : ipv4_addr . inet_service\n\
             {map}\
             \x20 }}\n"
        );
        // The timeout policy and the limit on the new, unconfirmed entry:
        // after conntrack has made it (a `ct timeout set` before conntrack,
        // at raw, finds no entry and does nothing on today's kernels) and
        // before NAT; NAT last.
        let track: Vec<String> = timeout.iter().chain(limit.iter()).cloned().collect();
        for hook in ["prerouting", "output"] {
            s.push_str(&chain(
                &format!("track_{hook}"),
                "filter",
                hook,
                -150,
                &track,
            ));
            s.push_str(&chain(&format!("nat_{hook}"), "nat", hook, -100, &nat));
        }
        s.push_str("}\n");
        s
    }

    /// The script that points new connections to the routes' targets: the
    /// set and the map emptied and filled in one transaction.
    pub fn switch_script(&self, routes: &[Route]) -> String {
        let n = &self.name;
        let mut s = format!("flush set ip {n} services\nflush map ip {n} active\n");
        if !routes.is_empty() {
            let (services, map) = Self::elements(routes);
            s.push_str(&format!(
                "add element ip {n} services {{ {services} }}\nadd element ip {n} active {{ {map} }}\n"
            ));
        }
        s
    }

    /// Replace the table whole with one holding `routes`, unless a table of
    /// that name is not this stack's (then nothing changes).
    pub fn replace(&self, routes: &[Route], policy: &Policy) -> Result<(), KernelError> {
        if let Some(found) = self.comment()?
            && found != self.mark
        {
            return Err(KernelError::NotOurs {
                table: self.name.clone(),
                found: if found.is_empty() {
                    "no comment".to_owned()
                } else {
                    format!("comment \"{found}\"")
                },
            });
        }
        nft(
            &format!("replace the table {}", self.name),
            &self.replace_script(routes, policy),
        )
    }

    /// New connections go to the routes' targets from now on; existing ones
    /// stay where they are.
    pub fn switch(&self, routes: &[Route]) -> Result<(), KernelError> {
        nft(
            &format!("update the table {}", self.name),
            &self.switch_script(routes),
        )
    }

    /// Remove the table; absent is fine.
    pub fn remove(&self) -> Result<(), KernelError> {
        remove(&self.name)
    }

    /// The comment of the table of this name: `None` when there is no such
    /// table, `Some("")` for one without a comment.
    fn comment(&self) -> Result<Option<String>, KernelError> {
        table_comment(&self.name)
    }

    /// The table of another stack of this group (system `system`).
    pub fn sibling(&self, system: &str) -> Option<Table> {
        let group = self.mark.rsplit(' ').next()?;
        let mut t = Table::new(system, "").ok()?;
        t.mark = format!("{MARK} {} group {group}", system.to_ascii_uppercase());
        Some(t)
    }

    /// Whether this table sends new connections to `from` somewhere (its
    /// map has the element); absent table: no.
    pub fn routes(&self, from: SocketAddrV4) -> bool {
        let element = format!("{} . {} :", from.ip(), from.port());
        nft_out(&["list", "map", "ip", &self.name, "active"]).is_ok_and(|out| {
            out.split(['{', ','])
                .any(|e| e.trim_start().starts_with(&element))
        })
    }

    /// Whether another stack of this group on this host routes `from` in
    /// its table.
    pub fn others_route(&self, from: SocketAddrV4) -> bool {
        self.group_tables().is_ok_and(|tables| {
            tables.into_iter().any(|(name, _)| {
                Table {
                    name,
                    mark: String::new(),
                }
                .routes(from)
            })
        })
    }

    /// The other tables of this group on this host, with their systems.
    fn group_tables(&self) -> Result<Vec<(String, String)>, KernelError> {
        let listed = nft_out(&["list", "tables", "ip"])?;
        let mut out = Vec::new();
        for name in listed
            .lines()
            .filter_map(|l| l.trim().strip_prefix("table ip "))
            .filter(|n| n.starts_with("zha_") && *n != self.name)
        {
            if let Some(system) = table_comment(name)?.and_then(|c| self.system_of(&c)) {
                out.push((name.to_owned(), system));
            }
        }
        Ok(out)
    }

    /// Remove the tables of this group's stacks on this host whose system
    /// is not in `live` (a stack that died without removing its table);
    /// returns the systems whose tables went. Tables of others are left.
    pub fn remove_dead(&self, live: &[String]) -> Result<Vec<String>, KernelError> {
        let mut gone = Vec::new();
        for (name, system) in self.group_tables()? {
            if !live.iter().any(|l| l.eq_ignore_ascii_case(&system)) {
                remove(&name)?;
                gone.push(system);
            }
        }
        Ok(gone)
    }
}

/// FNV-1a, 64 bits: a stable short id of a group's name.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn remove(name: &str) -> Result<(), KernelError> {
    nft(
        &format!("remove the table {name}"),
        &format!("table ip {name}\ndelete table ip {name}\n"),
    )
}

fn table_comment(name: &str) -> Result<Option<String>, KernelError> {
    match nft_out(&["list", "table", "ip", name]) {
        Ok(out) => Ok(Some(
            out.lines()
                .find_map(|l| l.trim().strip_prefix("comment "))
                .map(|c| c.trim_matches('"').to_owned())
                .unwrap_or_default(),
        )),
        Err(KernelError::Nft { message, .. }) if message.contains("No such file") => Ok(None),
        Err(e) => Err(e),
    }
}

/// Run nft with arguments; its output.
fn nft_out(args: &[&str]) -> Result<String, KernelError> {
    let what = format!("nft {}", args.join(" "));
    let out = Command::new("nft")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error(&what, e))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    Err(failure(what, &out.stderr))
}

/// `nft` could not be run: missing, or another reason.
fn spawn_error(what: &str, e: std::io::Error) -> KernelError {
    match e.kind() {
        std::io::ErrorKind::NotFound => KernelError::NoNft,
        _ => KernelError::Nft {
            what: what.to_owned(),
            message: e.to_string(),
        },
    }
}

fn failure(what: String, stderr: &[u8]) -> KernelError {
    let text = String::from_utf8_lossy(stderr);
    let message = text
        .lines()
        .find(|l| l.contains("Error"))
        .or_else(|| text.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("failed")
        .trim()
        .to_owned();
    if message.contains("Operation not permitted") {
        return KernelError::NotPermitted { what };
    }
    KernelError::Nft { what, message }
}

/// Run an nft script as one transaction.
fn nft(what: &str, script: &str) -> Result<(), KernelError> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(what, e))?;
    let written = child
        .stdin
        .take()
        .map(|mut i| i.write_all(script.as_bytes()));
    let out = child.wait_with_output().map_err(|e| KernelError::Nft {
        what: what.to_owned(),
        message: e.to_string(),
    })?;
    if out.status.success() && !matches!(written, Some(Err(_))) {
        return Ok(());
    }
    Err(failure(what.to_owned(), &out.stderr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_systems_in_lower_case() {
        assert_eq!(Table::new("SYSA", "g").unwrap().name(), "zha_sysa");
        assert_eq!(Table::new("S#1", "g").unwrap().name(), "zha_s_hash_1");
        for bad in ["", "TOOLONGNAME", "SYS A", "a;b"] {
            assert!(Table::new(bad, "g").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_table_of_the_group_is_told_from_others() {
        let a = Table::new("SYSA", "/run/g").unwrap();
        let b = Table::new("SYSB", "/run/g").unwrap();
        let other = Table::new("SYSB", "/run/other").unwrap();
        assert_eq!(a.system_of(&b.mark).as_deref(), Some("SYSB"));
        assert_eq!(a.system_of(&other.mark), None);
        assert_eq!(a.system_of("somebody else's"), None);
        assert_eq!(a.system_of(""), None);
    }

    #[test]
    fn a_switch_is_one_update_of_the_set_and_the_map() {
        let t = Table::new("SYSB", "g").unwrap();
        let r: Route = (
            "10.1.1.10:443".parse().unwrap(),
            "10.1.1.2:443".parse().unwrap(),
        );
        assert_eq!(
            t.switch_script(&[r]),
            "flush set ip zha_sysb services\nflush map ip zha_sysb active\n\
             add element ip zha_sysb services { 10.1.1.10 . 443 }\n\
             add element ip zha_sysb active { 10.1.1.10 . 443 : 10.1.1.2 . 443 }\n"
        );
        assert_eq!(
            t.switch_script(&[]),
            "flush set ip zha_sysb services\nflush map ip zha_sysb active\n"
        );
        let s = t.replace_script(&[r], &Policy::default());
        assert!(
            s.starts_with("table ip zha_sysb\ndelete table ip zha_sysb\ntable ip zha_sysb {"),
            "{s}"
        );
        assert!(
            s.contains("elements = { 10.1.1.10 . 443 : 10.1.1.2 . 443 }"),
            "{s}"
        );
        assert!(s.contains("ct count over 100000"), "{s}");
        assert!(
            s.contains("policy = { syn_sent: 1, time_wait: 5, established: 3600, fin_wait: 30, close_wait: 30, last_ack: 30, unack: 300, retrans: 300 }"),
            "{s}"
        );
    }

    #[test]
    fn timeouts_of_zero_are_the_kernels() {
        let p = Policy {
            connect: Duration::from_millis(1500),
            idle: Duration::ZERO,
            half_closed: Duration::ZERO,
            server: Duration::ZERO,
            max_connections: 1,
        };
        assert_eq!(p.timeouts(), "syn_sent: 2, time_wait: 5");
    }
}
