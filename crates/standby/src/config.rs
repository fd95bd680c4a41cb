//! What the engine is told: services (DVIPA..port) and their targets.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// A distributed DVIPA and port, written `dvipa..port` as NETSTAT does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceKey {
    pub dvipa: IpAddr,
    pub port: u16,
}

impl fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.dvipa, self.port)
    }
}

impl std::str::FromStr for ServiceKey {
    type Err = String;

    fn from_str(s: &str) -> Result<ServiceKey, String> {
        let (a, p) = s
            .rsplit_once("..")
            .ok_or_else(|| format!("`{s}` is not dvipa..port"))?;
        Ok(ServiceKey {
            dvipa: a
                .parse()
                .map_err(|_| format!("`{a}` is not an IP address"))?,
            port: p.parse().map_err(|_| format!("`{p}` is not a port"))?,
        })
    }
}

/// What a target is in hot standby: PREFERRED, or BACKUP with its rank
/// (1-254, higher first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TargetRole {
    Preferred,
    Backup(u8),
}

impl TargetRole {
    /// The rank in the takeover order: PREFERRED is above every BACKUP
    /// (255, as a VIPADEFINE is above every VIPABACKUP).
    pub fn rank(self) -> u8 {
        match self {
            TargetRole::Preferred => 255,
            TargetRole::Backup(r) => r,
        }
    }
}

/// The takeover order (SPEC §1, §7): highest rank first; equal ranks keep
/// the order they are given in (DESTIP order, or join order for stacks).
/// The one implementation of that rule: the engine, the profile model and
/// the displays all use it.
pub fn takeover_order(ranks: impl IntoIterator<Item = u8>) -> Vec<usize> {
    let ranks: Vec<u8> = ranks.into_iter().collect();
    let mut idx: Vec<usize> = (0..ranks.len()).collect();
    // A stable sort: equal ranks stay in the given order.
    idx.sort_by_key(|&i| std::cmp::Reverse(ranks[i]));
    idx
}

/// One DESTIP target of a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetSpec {
    /// The DESTIP address as the profile writes it (the DYNAMICXCF address
    /// of the target's system): how operators and displays name the target.
    pub destip: IpAddr,
    /// Where to connect: DESTIP:port, or where the settings map it.
    pub endpoint: SocketAddr,
    /// The system it belongs to, when known (for `vary quiesce SYSA`).
    pub system: Option<String>,
    pub role: TargetRole,
}

/// One VIPADISTRIBUTE … DISTMETHOD HOTSTANDBY for one port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSpec {
    pub key: ServiceKey,
    /// AUTOSWITCHBACK (true, the default) or NOAUTOSWITCHBACK.
    pub switchback: bool,
    /// HEALTHSWITCH (true, the default) or NOHEALTHSWITCH.
    pub healthswitch: bool,
    /// In DESTIP order.
    pub targets: Vec<TargetSpec>,
}

/// How targets are probed (SPEC §1 defaults: 1 s, 1 s, rise 2, fall 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeSpec {
    pub interval: Duration,
    pub timeout: Duration,
    /// Consecutive successes that make a down target up.
    pub rise: u32,
    /// Consecutive failures that make an up target down.
    pub fall: u32,
    /// An application probe (HTTP GET) is configured: health counts, for
    /// services with HEALTHSWITCH.
    pub application: bool,
}

impl ProbeSpec {
    /// Within what the engine can schedule: intervals and timeouts from
    /// 1 ms to a day (a deadline beyond that could overflow the clock; a
    /// zero interval would probe without pause), rise and fall at least 1.
    pub fn clamped(self) -> ProbeSpec {
        let clamp = |d: Duration| d.clamp(Duration::from_millis(1), Duration::from_secs(86_400));
        ProbeSpec {
            interval: clamp(self.interval),
            timeout: clamp(self.timeout),
            rise: self.rise.max(1),
            fall: self.fall.max(1),
            application: self.application,
        }
    }
}

impl Default for ProbeSpec {
    fn default() -> ProbeSpec {
        ProbeSpec {
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            rise: 2,
            fall: 2,
            application: false,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub services: Vec<ServiceSpec>,
    pub probe: ProbeSpec,
}

impl ServiceSpec {
    /// Targets in takeover order: PREFERRED, then BACKUPs by rank (higher
    /// first), equal ranks in DESTIP order.
    pub fn order(&self) -> Vec<usize> {
        takeover_order(self.targets.iter().map(|t| t.role.rank()))
    }
}
