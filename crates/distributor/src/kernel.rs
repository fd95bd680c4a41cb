//! Kernel forwarding's data path (SPEC §8): one nftables table per stack,
//! named after its system, that sends every *new* connection to a
//! DVIPA:port to its active target (DNAT through a map); conntrack keeps
//! each existing connection on the target it started on, so a switch is one
//! update of the map and never moves a connection.
//!
//! Driven through `nft -f -` (Debian's `nftables`): each script is one
//! transaction, so a table is replaced whole (a stale one of a killed
//! process included) and a switch is one map update; nothing outside the
//! table is touched. IPv4 for now.
//!
//! Not yet used by `distribute`: `forwarding = "kernel"` (issue 11) wires
//! it to the engine, with conntrack as the evidence of failed connects.

use std::io::Write;
use std::net::SocketAddrV4;
use std::process::{Command, Stdio};

/// Why the kernel's data path could not be set.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("kernel forwarding needs `nft` (apt-get install nftables)")]
    NoNft,
    #[error("{what} needs CAP_NET_ADMIN: run as root, or give the binary the capability")]
    NotPermitted { what: String },
    #[error("{what}: nft: {message}")]
    Nft { what: String, message: String },
    #[error("`{0}` cannot name an nftables table: 1-8 letters, digits, @ # $")]
    BadName(String),
}

/// One stack's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    name: String,
}

/// New connections to `.0` go to `.1`.
pub type Route = (SocketAddrV4, SocketAddrV4);

impl Table {
    /// The table of system `system`'s stack: `zha_<system>`, in lower case
    /// (`@ # $` become `_at_`, `_hash_`, `_dollar_`).
    pub fn for_system(system: &str) -> Result<Table, KernelError> {
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
        Ok(Table { name })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn elements(routes: &[Route]) -> String {
        routes
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
            .join(", ")
    }

    /// The script that replaces the table whole: created if absent, then
    /// deleted and created again in the same transaction.
    pub fn replace_script(&self, routes: &[Route]) -> String {
        let n = &self.name;
        let elements = if routes.is_empty() {
            String::new()
        } else {
            format!("    elements = {{ {} }}\n", Self::elements(routes))
        };
        format!(
            "table ip {n}\n\
             delete table ip {n}\n\
             table ip {n} {{\n\
             \x20 map active {{\n\
             \x20   type ipv4_addr . inet_service : ipv4_addr . inet_service\n\
             {elements}\
             \x20 }}\n\
             \x20 chain prerouting {{\n\
             \x20   type nat hook prerouting priority -100; policy accept;\n\
             \x20   dnat ip to ip daddr . tcp dport map @active\n\
             \x20 }}\n\
             \x20 chain output {{\n\
             \x20   type nat hook output priority -100; policy accept;\n\
             \x20   dnat ip to ip daddr . tcp dport map @active\n\
             \x20 }}\n\
             }}\n"
        )
    }

    /// The script that points new connections to the routes' targets: the
    /// map emptied and filled in one transaction.
    pub fn switch_script(&self, routes: &[Route]) -> String {
        let n = &self.name;
        let mut s = format!("flush map ip {n} active\n");
        if !routes.is_empty() {
            s.push_str(&format!(
                "add element ip {n} active {{ {} }}\n",
                Self::elements(routes)
            ));
        }
        s
    }

    /// Replace the table whole with one holding `routes`.
    pub fn replace(&self, routes: &[Route]) -> Result<(), KernelError> {
        nft(
            &format!("replace the table {}", self.name),
            &self.replace_script(routes),
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
        let n = &self.name;
        nft(
            &format!("remove the table {n}"),
            &format!("table ip {n}\ndelete table ip {n}\n"),
        )
    }
}

/// Run an nft script as one transaction.
fn nft(what: &str, script: &str) -> Result<(), KernelError> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => KernelError::NoNft,
            _ => KernelError::Nft {
                what: what.to_owned(),
                message: e.to_string(),
            },
        })?;
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
    let message = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find(|l| l.contains("Error"))
        .unwrap_or("failed")
        .trim()
        .to_owned();
    if message.contains("Operation not permitted") {
        return Err(KernelError::NotPermitted {
            what: what.to_owned(),
        });
    }
    Err(KernelError::Nft {
        what: what.to_owned(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_systems_in_lower_case() {
        assert_eq!(Table::for_system("SYSA").unwrap().name(), "zha_sysa");
        assert_eq!(Table::for_system("S#1").unwrap().name(), "zha_s_hash_1");
        for bad in ["", "TOOLONGNAME", "SYS A", "a;b"] {
            assert!(Table::for_system(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_switch_is_one_map_update() {
        let t = Table::for_system("SYSB").unwrap();
        let r: Route = (
            "10.1.1.10:443".parse().unwrap(),
            "10.1.1.2:443".parse().unwrap(),
        );
        assert_eq!(
            t.switch_script(&[r]),
            "flush map ip zha_sysb active\nadd element ip zha_sysb active { 10.1.1.10 . 443 : 10.1.1.2 . 443 }\n"
        );
        assert_eq!(t.switch_script(&[]), "flush map ip zha_sysb active\n");
        let s = t.replace_script(&[r]);
        assert!(
            s.starts_with("table ip zha_sysb\ndelete table ip zha_sysb\ntable ip zha_sysb {"),
            "{s}"
        );
        assert!(
            s.contains("elements = { 10.1.1.10 . 443 : 10.1.1.2 . 443 }"),
            "{s}"
        );
    }
}
