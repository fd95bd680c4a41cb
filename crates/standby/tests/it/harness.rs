//! A small driver: two or three targets, a virtual clock, probe answers
//! chosen by the test.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use zha_standby::*;

pub const DVIPA: &str = "10.0.0.10";

/// The DESTIP of target `n`.
pub fn destip(n: u8) -> IpAddr {
    IpAddr::from([10, 1, 1, n])
}

/// Where the distributor connects for target `n`: another address than
/// its DESTIP, as `[targets]` remaps it on one machine.
pub fn ep(n: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::from([127, 0, 0, 10 + n]), 8443)
}

pub fn target(n: u8, role: TargetRole) -> TargetSpec {
    TargetSpec {
        destip: destip(n),
        endpoint: ep(n),
        system: Some(format!("SYS{n}")),
        role,
    }
}

pub fn key() -> ServiceKey {
    ServiceKey {
        dvipa: DVIPA.parse().unwrap(),
        port: 443,
    }
}

/// A service with targets 10.1.1.1 PREFERRED and the given BACKUP ranks
/// (10.1.1.2, 10.1.1.3 …), on systems SYS1, SYS2 ….
pub fn service(switchback: bool, backups: &[u8]) -> ServiceSpec {
    let mut targets = vec![target(1, TargetRole::Preferred)];
    for (i, r) in backups.iter().enumerate() {
        let n = u8::try_from(i).unwrap() + 2;
        targets.push(target(n, TargetRole::Backup(*r)));
    }
    ServiceSpec {
        key: key(),
        switchback,
        healthswitch: true,
        targets,
    }
}

pub struct Sim {
    pub engine: Engine,
    pub now: Instant,
    pub events: Vec<Event>,
}

impl Sim {
    pub fn new(spec: ServiceSpec, application: bool, persisted: Persisted) -> Sim {
        let probe = ProbeSpec {
            application,
            ..ProbeSpec::default()
        };
        Sim::with_probe(spec, probe, persisted)
    }

    pub fn with_probe(spec: ServiceSpec, probe: ProbeSpec, persisted: Persisted) -> Sim {
        let now = Instant::now();
        let config = Config {
            services: vec![spec],
            probe,
        };
        let mut s = Sim {
            engine: Engine::new(config, persisted, now),
            now,
            events: Vec::new(),
        };
        s.drain();
        s
    }

    pub fn drain(&mut self) {
        while let Some(e) = self.engine.poll_event() {
            self.events.push(e);
        }
        self.engine.check_invariants().unwrap();
    }

    pub fn advance(&mut self, ms: u64) {
        self.now += Duration::from_millis(ms);
        self.engine.handle_timeout(self.now);
        self.drain();
    }

    /// Run one probe round: every due probe answered by `up(endpoint)`.
    pub fn probe_round(&mut self, up: impl Fn(SocketAddr) -> (bool, Option<bool>)) {
        let mut asked = Vec::new();
        while let Some(p) = self.engine.poll_probe(self.now) {
            asked.push(p);
        }
        for p in asked {
            let (connected, healthy) = up(p.endpoint);
            let outcome = ProbeOutcome {
                connected,
                healthy: if p.application && connected {
                    healthy
                } else {
                    None
                },
                detail: if connected {
                    "connected".into()
                } else {
                    "connection refused".into()
                },
            };
            self.engine.probe_result(p.endpoint, outcome, self.now);
        }
        self.drain();
    }

    /// Probe rounds one interval apart.
    pub fn rounds(&mut self, n: usize, up: impl Fn(SocketAddr) -> (bool, Option<bool>) + Copy) {
        for _ in 0..n {
            self.probe_round(up);
            self.advance(1000);
        }
    }

    pub fn active(&self) -> Option<SocketAddr> {
        self.engine.snapshot().services[0].active
    }

    pub fn route(&self) -> Vec<SocketAddr> {
        self.engine.route(&key())
    }

    pub fn switches(&self) -> Vec<(Option<SocketAddr>, SocketAddr, SwitchReason)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Switch {
                    from, to, reason, ..
                } => Some((
                    from.as_ref().map(|f| f.endpoint),
                    to.endpoint,
                    reason.clone(),
                )),
                _ => None,
            })
            .collect()
    }

    /// The first-active announcements: (target, reason).
    pub fn first_active(&self) -> Vec<(SocketAddr, StartReason)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::FirstActive { to, reason, .. } => Some((to.endpoint, reason.clone())),
                _ => None,
            })
            .collect()
    }

    /// The fallback changes: (from, to).
    pub fn fallbacks(&self) -> Vec<(Option<SocketAddr>, SocketAddr)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Fallback { from, to, .. } => {
                    Some((from.as_ref().map(|f| f.endpoint), to.endpoint))
                }
                _ => None,
            })
            .collect()
    }

    /// The targets whose fallback ended without a switch.
    pub fn recovered(&self) -> Vec<SocketAddr> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Recovered { target, .. } => Some(target.endpoint),
                _ => None,
            })
            .collect()
    }

    pub fn selector(target: &str, port: Option<u16>) -> Selector {
        Selector {
            target: target.into(),
            port,
        }
    }
}

/// Everything listening and healthy, except the endpoints listed.
pub fn all_up_but(down: &'static [u8]) -> impl Fn(SocketAddr) -> (bool, Option<bool>) + Copy {
    move |e| {
        let n = number(e);
        if down.contains(&n) {
            (false, None)
        } else {
            (true, Some(true))
        }
    }
}

/// The target number of an endpoint made by [`ep`].
pub fn number(e: SocketAddr) -> u8 {
    match e.ip() {
        IpAddr::V4(a) => a.octets()[3] - 10,
        IpAddr::V6(_) => 0,
    }
}
