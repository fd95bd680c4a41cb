//! From the profile z/OS would apply to what the distributor runs: one
//! listener and one hot-standby service per DVIPA..port, each target with
//! its DESTIP and where to connect for it.

use std::net::SocketAddr;

use zha_standby::{ServiceKey, ServiceSpec, TargetRole, TargetSpec};
use zha_tcpip::{DistMethod, Stack};

use crate::settings::Settings;

/// A port to accept clients on, and the service it feeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerSpec {
    pub key: ServiceKey,
    pub bind: SocketAddr,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Services {
    pub services: Vec<ServiceSpec>,
    pub listeners: Vec<ListenerSpec>,
    /// Distributions not run, and why (other methods).
    pub skipped: Vec<String>,
}

/// Why a profile with no distribution at all is refused.
pub const NOTHING: &str = "the profile has no VIPADISTRIBUTE DISTMETHOD HOTSTANDBY that z/OS would apply: nothing to distribute";

/// At most this many ports in all: a PORT range is a listener per port.
pub const MAX_PORTS: usize = 1024;

/// Work out the services; the errors say what to change in the profile or
/// settings.
pub fn services(stack: &Stack, settings: &Settings) -> Result<Services, Vec<String>> {
    let mut p = Services::default();
    let mut errors = Vec::new();
    for d in &stack.distributions {
        if d.method != DistMethod::HotStandby {
            p.skipped.push(format!(
                "VIPADISTRIBUTE for {} uses DISTMETHOD {}: zosmf-ha distributes hot standby only; it is not run",
                d.dvipa.value,
                d.method.display()
            ));
            continue;
        }
        if d.ports.is_empty() {
            errors.push(format!(
                "VIPADISTRIBUTE for {} has no PORT list: zosmf-ha listens only on the ports listed (add e.g. PORT 443)",
                d.dvipa.value
            ));
            continue;
        }
        let Some(targets) = &d.targets else { continue };
        // A port listed twice in one statement (`PORT 8443 8443`, or in two
        // ranges) is one port.
        let mut ports: Vec<u16> = d
            .ports
            .iter()
            .flat_map(|r| r.value.lo..=r.value.hi)
            .collect();
        ports.sort_unstable();
        ports.dedup();
        {
            for port in ports {
                if p.listeners.len() >= MAX_PORTS {
                    errors.push(format!(
                        "more than {MAX_PORTS} distributed ports; narrow the PORT ranges"
                    ));
                    return Err(errors);
                }
                let key = ServiceKey {
                    dvipa: d.dvipa.value,
                    port,
                };
                if p.services.iter().any(|s| s.key == key) {
                    errors.push(format!(
                        "{key} is distributed by two VIPADISTRIBUTE statements: keep one"
                    ));
                    continue;
                }
                let specs = targets
                    .iter()
                    .filter_map(|t| {
                        let role = match t.role {
                            zha_tcpip::Role::Preferred => TargetRole::Preferred,
                            zha_tcpip::Role::Backup { rank, .. } => TargetRole::Backup(rank),
                            _ => return None,
                        };
                        Some(TargetSpec {
                            destip: t.addr.value,
                            endpoint: settings.target(SocketAddr::new(t.addr.value, port)),
                            system: settings.system_of(t.addr.value),
                            role,
                        })
                    })
                    .collect();
                p.services.push(ServiceSpec {
                    key,
                    switchback: d.switchback,
                    healthswitch: d.healthswitch,
                    targets: specs,
                });
                let ip = settings.listen.address.unwrap_or(d.dvipa.value);
                p.listeners.push(ListenerSpec {
                    key,
                    bind: SocketAddr::new(ip, settings.listen_port(port)),
                });
            }
        }
    }
    if p.services.is_empty() && errors.is_empty() {
        errors.push(NOTHING.to_owned());
    }
    let mut binds: Vec<SocketAddr> = p.listeners.iter().map(|l| l.bind).collect();
    binds.sort();
    for w in binds.windows(2) {
        if w[0] == w[1] {
            errors.push(format!(
                "two services would listen on {}; check [listen] in the settings",
                w[0]
            ));
        }
    }
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zha_diag::FileId;
    use zha_diag::symbols::Symbols;

    fn stack(vipadist: &str) -> Stack {
        let text = format!(
            "IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.1.1 255.0.0.0 1\nVIPADYNAMIC\n VIPADEFINE 255.255.255.0 10.0.0.10\n{vipadist}ENDVIPADYNAMIC\n"
        );
        let parsed = zha_tcpip::parse(FileId(0), &text, &Symbols::new());
        zha_tcpip::apply(parsed.profile.statements.iter()).0
    }

    const DIST: &str = " VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT {ports} DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP\n";

    #[test]
    fn a_port_listed_twice_in_one_statement_is_one_port() {
        let st = stack(&DIST.replace("{ports}", "8443 8443 8440-8444"));
        let s = services(&st, &Settings::default()).unwrap();
        let ports: Vec<u16> = s.services.iter().map(|s| s.key.port).collect();
        assert_eq!(ports, [8440, 8441, 8442, 8443, 8444]);
        assert_eq!(s.listeners.len(), 5);
    }

    #[test]
    fn a_port_in_two_statements_is_said_so() {
        let st = stack(&format!(
            "{}{}",
            DIST.replace("{ports}", "8443"),
            DIST.replace("{ports}", "8443 9443")
        ));
        let e = services(&st, &Settings::default()).unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains("10.0.0.10..8443 is distributed by two VIPADISTRIBUTE"),
            "{e:?}"
        );
    }

    #[test]
    fn each_target_keeps_its_destip_when_the_settings_remap_it() {
        let st = stack(&DIST.replace("{ports}", "443"));
        let settings = crate::settings::parse(
            std::path::Path::new("s.toml"),
            "[targets]\n\"10.1.1.2:443\" = \"127.0.0.12:8443\"\n[systems]\nSYSB = \"10.1.1.2\"\n",
        )
        .unwrap();
        let s = services(&st, &settings).unwrap();
        let b = &s.services[0].targets[1];
        assert_eq!(b.destip.to_string(), "10.1.1.2");
        assert_eq!(b.endpoint.to_string(), "127.0.0.12:8443");
        assert_eq!(b.system.as_deref(), Some("SYSB"));
    }
}
