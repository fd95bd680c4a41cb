//! What `up` runs, found in a checked sysplex: the DVIPA, the stacks that
//! distribute it (one per system, owner first), and the servers in
//! takeover order; and the settings the stacks get.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use zha_plex::Sysplex;

/// A system's TCP/IP stack: `distribute --system NAME --profile FILE`.
#[derive(Clone, Debug)]
pub struct StackPlan {
    pub system: String,
    pub profile: PathBuf,
    /// VIPADEFINE, else the VIPABACKUP rank.
    pub rank: Option<u8>,
}

impl StackPlan {
    /// Its name among `up`'s children.
    pub fn proc_name(&self) -> String {
        stack_proc(&self.system)
    }

    /// What it is in the group, for the screen: `VIPADEFINE`, `VIPABACKUP 100`.
    pub fn origin(&self) -> String {
        match self.rank {
            None => "VIPADEFINE".into(),
            Some(r) => format!("VIPABACKUP {r}"),
        }
    }
}

/// The child name of a system's stack: its TCP/IP address space.
pub fn stack_proc(system: &str) -> String {
    format!("{system}{STACK}")
}

const STACK: &str = "/TCPIP";

/// Whether a child is a stack (not a server).
pub fn is_stack(name: &str) -> bool {
    name.ends_with(STACK)
}

/// Everything `up` runs, found in the sysplex.
pub struct Layout {
    pub name: String,
    pub dvipa: SocketAddr,
    /// The stacks that distribute the DVIPA, one per system, in takeover
    /// order: the VIPADEFINE stack, then the VIPABACKUP stacks by rank.
    pub stacks: Vec<StackPlan>,
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
    // The owner's applied statement: the targets and their order.
    let Some(d) = z
        .statements
        .iter()
        .filter(|h| h.on_owner())
        .find_map(|h| h.applied)
    else {
        return Err(format!(
            "no system owns (VIPADEFINE) and distributes z/OSMF's DVIPA {}: nothing to run",
            z.key.dvipa
        ));
    };
    let Some(port) = z.key.port.or_else(|| d.ports.first().map(|p| p.value.lo)) else {
        return Err(format!("the distribution of {} names no port", z.key.dvipa));
    };
    // Every stack that distributes the DVIPA (VIPADEFINE or VIPABACKUP,
    // and a VIPADISTRIBUTE of its own): one `distribute --system` each.
    let mut stacks: Vec<StackPlan> = Vec::new();
    for st in z.statements.iter().filter(|s| s.applied.is_some()) {
        let sys = st.system;
        let Some(v) = sys.stack.as_ref().and_then(|k| k.vipa(d.dvipa.value)) else {
            continue;
        };
        let Some(file) = sys.profile else { continue };
        if stacks.iter().any(|s| s.system == sys.name) {
            continue;
        }
        stacks.push(StackPlan {
            system: sys.name.clone(),
            profile: PathBuf::from(report.sources.file(file).name()),
            rank: match v.owner {
                zha_tcpip::VipaOwner::Define => None,
                zha_tcpip::VipaOwner::Backup(r) => Some(r),
            },
        });
    }
    // The owner first, then the backups by rank (highest first).
    stacks.sort_by_key(|s| std::cmp::Reverse(s.rank.map_or(256, u16::from)));
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
        stacks,
        switchback: d.switchback,
        servers,
        preferred,
    })
}

/// The distributor's settings for the local sysplex.
pub fn write_settings(
    path: &Path,
    work: &Path,
    ca: &Path,
    plex: &Sysplex,
    kernel: bool,
) -> anyhow::Result<()> {
    let mut systems = String::new();
    for s in &plex.systems {
        if let Some(a) = s.dynamic_xcf() {
            systems.push_str(&format!("{} = \"{a}\"\n", s.name));
        }
    }
    let text = format!(
        "# Written by zosmf-ha up: the distributor's settings for the local sysplex.\n\
         forwarding = \"{forwarding}\"\n\
         [probe]\ninterval = \"500ms\"\ntimeout = \"1s\"\n\
         [probe.http]\npath = \"/zosmf/info\"\nca_file = \"{ca}\"\n\
         [systems]\n{systems}\
         [state]\ndir = \"{state}\"\n\
         [log]\naccess = false\n",
        ca = ca.display(),
        state = work.join("state").display(),
        forwarding = if kernel { "kernel" } else { "proxy" }
    );
    zha_plex::OsFs::write_atomic(path, text.as_bytes(), 0o644)
        .with_context(|| format!("cannot write {}", path.display()))
}
