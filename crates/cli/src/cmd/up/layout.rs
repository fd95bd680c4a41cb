//! What `up` runs, found in a checked sysplex: the DVIPA, the distributing
//! system's profile, and the servers in takeover order; and the settings
//! the distributor gets.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use zha_plex::Sysplex;

/// Everything `up` runs, found in the sysplex.
pub struct Layout {
    pub name: String,
    pub dvipa: SocketAddr,
    /// The distributing system's profile.
    pub profile: PathBuf,
    pub switchback: bool,
    /// (system, DESTIP address:port), in takeover order.
    pub servers: Vec<(String, SocketAddr)>,
    pub preferred: String,
}

impl Layout {
    /// Every address `up` will listen on: the servers' and the DVIPA.
    pub fn addresses(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.servers
            .iter()
            .map(|x| x.1)
            .chain(std::iter::once(self.dvipa))
    }
}

pub fn layout(plex: &Sysplex, report: &zha_plex::Report) -> Result<Layout, String> {
    use zha_plex::zosmf::{Choice, zosmf_distribution};
    let z = match zosmf_distribution(plex, &plex.resolve) {
        Choice::Chosen(z) => z,
        Choice::Tie(c) => {
            let v: Vec<String> = c.iter().map(|c| c.0.to_string()).collect();
            return Err(format!(
                "{} hot-standby distributions could be z/OSMF's ({}): say which in sysplex.toml with `zosmf = \"{}\"`",
                v.len(),
                v.join(", "),
                v.first().cloned().unwrap_or_default()
            ));
        }
        Choice::PinUnmatched(p) => {
            return Err(format!(
                "sysplex.toml names {}..{} as z/OSMF's distribution, but no HOTSTANDBY VIPADISTRIBUTE distributes it",
                p.dvipa, p.port
            ));
        }
        Choice::Nothing => {
            return Err(
                "no VIPADISTRIBUTE DISTMETHOD HOTSTANDBY serves z/OSMF: nothing to run".into(),
            );
        }
    };
    // The owner's applied statement is what its distributor runs.
    let Some((h, d)) = z
        .statements
        .iter()
        .filter(|h| h.on_owner())
        .find_map(|h| h.applied.map(|d| (h, d)))
    else {
        return Err(format!(
            "no system owns (VIPADEFINE) and distributes z/OSMF's DVIPA {}: nothing to run",
            z.key.dvipa
        ));
    };
    let Some(port) = z.key.port.or_else(|| d.ports.first().map(|p| p.value.lo)) else {
        return Err(format!("the distribution of {} names no port", z.key.dvipa));
    };
    let Some(profile) = h
        .system
        .profile
        .map(|f| PathBuf::from(report.sources.file(f).name()))
    else {
        return Err(format!("{} has no profile", h.system.name));
    };
    let mut servers = Vec::new();
    for t in d.takeover_order() {
        let Some(s) = plex
            .systems
            .iter()
            .find(|s| s.dynamic_xcf() == Some(t.addr.value))
        else {
            return Err(format!(
                "DESTIP {} is no system of the sysplex",
                t.addr.value
            ));
        };
        servers.push((
            s.name.clone(),
            SocketAddr::new(t.addr.value, s.settings.http_ssl_port.value),
        ));
    }
    let preferred = servers.first().map(|s| s.0.clone()).unwrap_or_default();
    Ok(Layout {
        name: plex.name.clone(),
        dvipa: SocketAddr::new(d.dvipa.value, port),
        profile,
        switchback: d.switchback,
        servers,
        preferred,
    })
}

/// The distributor's settings for the local sysplex.
pub fn write_settings(path: &Path, work: &Path, ca: &Path, plex: &Sysplex) -> anyhow::Result<()> {
    let mut systems = String::new();
    for s in &plex.systems {
        if let Some(a) = s.dynamic_xcf() {
            systems.push_str(&format!("{} = \"{a}\"\n", s.name));
        }
    }
    let text = format!(
        "# Written by zosmf-ha up: the distributor's settings for the local sysplex.\n\
         [probe]\ninterval = \"500ms\"\ntimeout = \"1s\"\n\
         [probe.http]\npath = \"/zosmf/info\"\nca_file = \"{ca}\"\n\
         [systems]\n{systems}\
         [state]\ndir = \"{state}\"\n\
         [log]\naccess = false\n",
        ca = ca.display(),
        state = work.join("state").display()
    );
    zha_plex::OsFs::write_atomic(path, text.as_bytes(), 0o644)
        .with_context(|| format!("cannot write {}", path.display()))
}
