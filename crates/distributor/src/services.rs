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
        for r in &d.ports {
            for port in r.value.lo..=r.value.hi {
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
                        "{key} is distributed by two VIPADISTRIBUTE statements"
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
        errors.push(
            "the profile has no VIPADISTRIBUTE DISTMETHOD HOTSTANDBY that z/OS would apply: nothing to distribute"
                .to_owned(),
        );
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
