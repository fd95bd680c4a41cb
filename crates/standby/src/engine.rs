//! The engine: target state from probes and failed connects, the active
//! target of every service, quiesce/resume, and reconfiguration as a diff.

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use crate::config::{Config, ProbeSpec, Role, ServiceKey, ServiceSpec, TargetSpec};
use crate::event::{Event, EventKind, SwitchReason};
use crate::hysteresis::Hysteresis;

/// The active target of each service when the distributor stopped, so that
/// a restart does not switch back under NOAUTOSWITCHBACK (SPEC §1).
pub type Persisted = BTreeMap<ServiceKey, SocketAddr>;

/// Probe this endpoint now; report with [`Engine::probe_result`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeRequest {
    pub endpoint: SocketAddr,
    /// Also run the application probe (HTTP GET) after connecting.
    pub application: bool,
}

/// What a probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeOutcome {
    /// The TCP connect succeeded within the probe timeout.
    pub connected: bool,
    /// The application probe's verdict, when one ran.
    pub healthy: Option<bool>,
    /// A short description for events ("connection refused", "HTTP 503").
    pub detail: String,
}

/// Whether a target can take new connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    /// Listening, healthy (or not probed for health), not quiesced.
    Available,
    /// Listening but the application probe says not healthy: used only when
    /// no target is available (SPEC §1).
    Unhealthy,
    /// Not listening.
    Down,
    /// Quiesced by the operator.
    Quiesced,
}

/// Which targets an operator command means: a DESTIP address or a system
/// name, optionally narrowed to one service port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub target: String,
    pub port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectError {
    /// No target of any service matches.
    NoMatch(String),
}

impl std::fmt::Display for SelectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SelectError::NoMatch(s) => write!(
                f,
                "no target matches {s}: name a DESTIP address or a system"
            ),
        }
    }
}

/// What a new configuration changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigDiff {
    pub services_added: Vec<ServiceKey>,
    pub services_removed: Vec<ServiceKey>,
    /// (service, endpoint)
    pub targets_added: Vec<(ServiceKey, SocketAddr)>,
    pub targets_removed: Vec<(ServiceKey, SocketAddr)>,
    /// Services whose ranks, roles or policies changed.
    pub services_changed: Vec<ServiceKey>,
    pub probe_changed: bool,
}

impl ConfigDiff {
    pub fn is_empty(&self) -> bool {
        *self == ConfigDiff::default()
    }

    pub fn summary(&self) -> String {
        if self.is_empty() {
            return "no change".into();
        }
        let mut parts = Vec::new();
        let list = |v: &[ServiceKey]| {
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let pairs = |v: &[(ServiceKey, SocketAddr)]| {
            v.iter()
                .map(|(s, e)| format!("{e} of {s}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.services_added.is_empty() {
            parts.push(format!("added {}", list(&self.services_added)));
        }
        if !self.services_removed.is_empty() {
            parts.push(format!("removed {}", list(&self.services_removed)));
        }
        if !self.targets_added.is_empty() {
            parts.push(format!("added target {}", pairs(&self.targets_added)));
        }
        if !self.targets_removed.is_empty() {
            parts.push(format!("removed target {}", pairs(&self.targets_removed)));
        }
        if !self.services_changed.is_empty() {
            parts.push(format!("changed {}", list(&self.services_changed)));
        }
        if self.probe_changed {
            parts.push("probe settings changed".into());
        }
        parts.join("; ")
    }
}

/// A target as displays show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetView {
    pub endpoint: SocketAddr,
    pub system: Option<String>,
    pub role: Role,
    pub availability: Availability,
    /// `None` until the first probe result.
    pub listening: Option<bool>,
    pub healthy: Option<bool>,
    pub quiesced: bool,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceView {
    pub key: ServiceKey,
    pub switchback: bool,
    pub healthswitch: bool,
    pub active: Option<SocketAddr>,
    /// In DESTIP order.
    pub targets: Vec<TargetView>,
    /// Candidates for a new connection, in the order to try them.
    pub route: Vec<SocketAddr>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub services: Vec<ServiceView>,
}

struct Endpoint {
    addr: SocketAddr,
    listen: Hysteresis,
    health: Hysteresis,
    next_probe: Instant,
    in_flight: bool,
}

struct Target {
    spec: TargetSpec,
    ep: usize,
    quiesced: bool,
}

struct Service {
    spec: ServiceSpec,
    targets: Vec<Target>,
    order: Vec<usize>,
    active: Option<usize>,
    /// NOAUTOSWITCHBACK: the first active target has been chosen.
    decided: bool,
    /// When the first choice is made at the latest.
    deadline: Instant,
}

/// The hot-standby engine. See the crate documentation.
pub struct Engine {
    probe: ProbeSpec,
    endpoints: Vec<Endpoint>,
    services: Vec<Service>,
    events: VecDeque<Event>,
    persisted: Persisted,
}

impl Engine {
    /// Start with a configuration and the active targets persisted by an
    /// earlier run. Every target is probed at once.
    pub fn new(config: Config, persisted: Persisted, now: Instant) -> Engine {
        let mut e = Engine {
            probe: config.probe,
            endpoints: Vec::new(),
            services: Vec::new(),
            events: VecDeque::new(),
            persisted,
        };
        for spec in config.services {
            let svc = e.build_service(spec, now);
            e.services.push(svc);
        }
        e.update_all(now, None);
        e
    }

    fn endpoint(&mut self, addr: SocketAddr, now: Instant) -> usize {
        if let Some(i) = self.endpoints.iter().position(|e| e.addr == addr) {
            return i;
        }
        self.endpoints.push(Endpoint {
            addr,
            listen: Hysteresis::default(),
            health: Hysteresis::default(),
            next_probe: now,
            in_flight: false,
        });
        self.endpoints.len() - 1
    }

    fn build_service(&mut self, spec: ServiceSpec, now: Instant) -> Service {
        let targets = spec
            .targets
            .iter()
            .map(|t| Target {
                spec: t.clone(),
                ep: self.endpoint(t.endpoint, now),
                quiesced: false,
            })
            .collect();
        Service {
            order: spec.order(),
            spec,
            targets,
            active: None,
            decided: false,
            deadline: now + self.probe.timeout,
        }
    }

    // === inputs ===

    /// The result of a probe asked for by [`Engine::poll_probe`].
    pub fn probe_result(&mut self, endpoint: SocketAddr, outcome: ProbeOutcome, now: Instant) {
        let Some(i) = self.endpoints.iter().position(|e| e.addr == endpoint) else {
            return; // removed by a reconfiguration while the probe ran
        };
        let (rise, fall) = (self.probe.rise, self.probe.fall);
        let ep = &mut self.endpoints[i];
        ep.in_flight = false;
        if let Some(up) = ep.listen.record(outcome.connected, rise, fall) {
            let kind = if up {
                EventKind::TargetUp {
                    endpoint,
                    why: outcome.detail.clone(),
                }
            } else {
                EventKind::TargetDown {
                    endpoint,
                    why: outcome.detail.clone(),
                }
            };
            self.events.push_back(Event { kind });
        }
        if self.probe.application && outcome.connected {
            let healthy = outcome.healthy.unwrap_or(false);
            let ep = &mut self.endpoints[i];
            if let Some(h) = ep.health.record(healthy, rise, fall) {
                let why = outcome.detail;
                let kind = if h {
                    EventKind::TargetHealthy { endpoint, why }
                } else {
                    EventKind::TargetUnhealthy { endpoint, why }
                };
                self.events.push_back(Event { kind });
            }
        }
        self.update_all(now, None);
    }

    /// A real connect to this endpoint failed (refused, reset, timed out):
    /// it is down at once (passive detection).
    pub fn connect_failed(&mut self, endpoint: SocketAddr, why: &str, now: Instant) {
        let Some(ep) = self.endpoints.iter_mut().find(|e| e.addr == endpoint) else {
            return;
        };
        if ep.listen.force_down() {
            self.events.push_back(Event {
                kind: EventKind::TargetDown {
                    endpoint,
                    why: format!("connect failed: {why}"),
                },
            });
        }
        self.update_all(now, None);
    }

    /// Quiesce targets: no new connections, existing ones continue.
    pub fn quiesce(
        &mut self,
        sel: &Selector,
        now: Instant,
    ) -> Result<Vec<(ServiceKey, SocketAddr)>, SelectError> {
        self.set_quiesced(sel, true, now)
    }

    /// Make quiesced targets eligible again.
    pub fn resume(
        &mut self,
        sel: &Selector,
        now: Instant,
    ) -> Result<Vec<(ServiceKey, SocketAddr)>, SelectError> {
        self.set_quiesced(sel, false, now)
    }

    fn set_quiesced(
        &mut self,
        sel: &Selector,
        on: bool,
        now: Instant,
    ) -> Result<Vec<(ServiceKey, SocketAddr)>, SelectError> {
        let ip: Option<IpAddr> = sel.target.parse().ok();
        let mut hit = Vec::new();
        let mut matched = false;
        for s in &mut self.services {
            if sel.port.is_some_and(|p| p != s.spec.key.port) {
                continue;
            }
            for t in &mut s.targets {
                let by_ip = ip.is_some_and(|a| a == t.spec.endpoint.ip());
                let by_name = t
                    .spec
                    .system
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&sel.target));
                if !(by_ip || by_name) {
                    continue;
                }
                matched = true;
                if t.quiesced != on {
                    t.quiesced = on;
                    hit.push((s.spec.key, t.spec.endpoint));
                }
            }
        }
        if !matched {
            let what = match sel.port {
                Some(p) => format!("{} on port {p}", sel.target),
                None => sel.target.clone(),
            };
            return Err(SelectError::NoMatch(what));
        }
        for (service, endpoint) in &hit {
            let kind = if on {
                EventKind::Quiesced {
                    service: *service,
                    endpoint: *endpoint,
                }
            } else {
                EventKind::Resumed {
                    service: *service,
                    endpoint: *endpoint,
                }
            };
            self.events.push_back(Event { kind });
        }
        self.update_all(now, None);
        Ok(hit)
    }

    /// Replace the configuration, keeping what did not change: target
    /// states, quiesce flags, active targets that are still targets.
    pub fn reconfigure(&mut self, config: Config, now: Instant) -> ConfigDiff {
        let mut diff = ConfigDiff {
            probe_changed: config.probe != self.probe,
            ..ConfigDiff::default()
        };
        self.probe = config.probe;
        let old: Vec<Service> = std::mem::take(&mut self.services);
        for spec in config.services {
            let prev = old.iter().find(|o| o.spec.key == spec.key);
            let mut svc = self.build_service(spec, now);
            match prev {
                None => diff.services_added.push(svc.spec.key),
                Some(p) => {
                    for t in &svc.targets {
                        if !p.targets.iter().any(|o| o.spec.endpoint == t.spec.endpoint) {
                            diff.targets_added.push((svc.spec.key, t.spec.endpoint));
                        }
                    }
                    for o in &p.targets {
                        if !svc
                            .targets
                            .iter()
                            .any(|t| t.spec.endpoint == o.spec.endpoint)
                        {
                            diff.targets_removed.push((svc.spec.key, o.spec.endpoint));
                        }
                    }
                    let same_targets = p.spec.targets.len() == svc.spec.targets.len()
                        && p.spec.targets.iter().all(|t| svc.spec.targets.contains(t));
                    if !same_targets
                        || p.spec.switchback != svc.spec.switchback
                        || p.spec.healthswitch != svc.spec.healthswitch
                    {
                        diff.services_changed.push(svc.spec.key);
                    }
                    // Keep quiesce flags, the first choice and the active target.
                    for t in &mut svc.targets {
                        if let Some(o) = p
                            .targets
                            .iter()
                            .find(|o| o.spec.endpoint == t.spec.endpoint)
                        {
                            t.quiesced = o.quiesced;
                        }
                    }
                    svc.decided = p.decided;
                    svc.deadline = p.deadline;
                    svc.active = p.active.and_then(|a| {
                        svc.targets
                            .iter()
                            .position(|t| t.spec.endpoint == p.targets[a].spec.endpoint)
                    });
                }
            }
            self.services.push(svc);
        }
        for o in &old {
            if !self.services.iter().any(|s| s.spec.key == o.spec.key) {
                diff.services_removed.push(o.spec.key);
            }
        }
        // Forget endpoints no service uses any more.
        let used: Vec<SocketAddr> = self
            .services
            .iter()
            .flat_map(|s| s.targets.iter().map(|t| t.spec.endpoint))
            .collect();
        let keep: Vec<bool> = self
            .endpoints
            .iter()
            .map(|e| used.contains(&e.addr))
            .collect();
        let mut remap = Vec::with_capacity(keep.len());
        let mut n = 0;
        for k in &keep {
            remap.push(n);
            if *k {
                n += 1;
            }
        }
        let mut i = 0;
        self.endpoints.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        for s in &mut self.services {
            for t in &mut s.targets {
                t.ep = remap[t.ep];
            }
        }
        self.events.push_back(Event {
            kind: EventKind::Reconfigured {
                summary: diff.summary(),
            },
        });
        self.update_all(now, Some(SwitchReason::Reconfigured));
        diff
    }

    /// Make time-based decisions due at `now` (the NOAUTOSWITCHBACK first
    /// choice). Call it when [`Engine::poll_timeout`] says.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.update_all(now, None);
    }

    // === outputs ===

    /// The next probe due at `now`, if any. Each endpoint has at most one
    /// probe in flight; the next is due one interval after this one starts.
    pub fn poll_probe(&mut self, now: Instant) -> Option<ProbeRequest> {
        let interval = self.probe.interval;
        let application = self.probe.application;
        let ep = self
            .endpoints
            .iter_mut()
            .filter(|e| !e.in_flight && e.next_probe <= now)
            .min_by_key(|e| e.next_probe)?;
        ep.in_flight = true;
        ep.next_probe = now + interval;
        Some(ProbeRequest {
            endpoint: ep.addr,
            application,
        })
    }

    /// When the engine next wants to be called (a probe due, a decision).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let probes = self
            .endpoints
            .iter()
            .filter(|e| !e.in_flight)
            .map(|e| e.next_probe);
        let decisions = self
            .services
            .iter()
            .filter(|s| !s.decided && !s.spec.switchback)
            .map(|s| s.deadline);
        probes.chain(decisions).min()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Where a new connection for `key` goes, in the order to try: the
    /// active target, then the other available ones, then the listening but
    /// unhealthy ones. Empty: refuse the client at once.
    pub fn route(&self, key: &ServiceKey) -> Vec<SocketAddr> {
        self.services
            .iter()
            .find(|s| s.spec.key == *key)
            .map(|s| self.route_of(s))
            .unwrap_or_default()
    }

    /// The active target of each service, for the state file.
    pub fn persisted(&self) -> Persisted {
        self.services
            .iter()
            .filter_map(|s| s.active.map(|a| (s.spec.key, s.targets[a].spec.endpoint)))
            .collect()
    }

    pub fn probe_spec(&self) -> ProbeSpec {
        self.probe
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            services: self
                .services
                .iter()
                .map(|s| ServiceView {
                    key: s.spec.key,
                    switchback: s.spec.switchback,
                    healthswitch: s.spec.healthswitch,
                    active: s.active.map(|a| s.targets[a].spec.endpoint),
                    route: self.route_of(s),
                    targets: s
                        .targets
                        .iter()
                        .enumerate()
                        .map(|(i, t)| {
                            let ep = &self.endpoints[t.ep];
                            TargetView {
                                endpoint: t.spec.endpoint,
                                system: t.spec.system.clone(),
                                role: t.spec.role,
                                availability: self.availability(s, i),
                                listening: ep.listen.state(),
                                healthy: if self.probe.application {
                                    ep.health.state()
                                } else {
                                    None
                                },
                                quiesced: t.quiesced,
                                active: s.active == Some(i),
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The invariants of DESIGN.md, for tests: `Err` says which one broke.
    pub fn check_invariants(&self) -> Result<(), String> {
        for s in &self.services {
            let key = s.spec.key;
            let avail: Vec<usize> = s
                .order
                .iter()
                .copied()
                .filter(|&i| self.availability(s, i) == Availability::Available)
                .collect();
            if let Some(a) = s.active {
                if s.targets[a].quiesced {
                    return Err(format!("{key}: the active target is quiesced"));
                }
                if self.availability(s, a) == Availability::Down {
                    return Err(format!("{key}: the active target is down"));
                }
            }
            if !avail.is_empty() && !s.active.is_some_and(|a| avail.contains(&a)) {
                return Err(format!(
                    "{key}: a target is available but the active one is not"
                ));
            }
            if s.spec.switchback && !avail.is_empty() && s.active != avail.first().copied() {
                return Err(format!(
                    "{key}: AUTOSWITCHBACK but the active target is not the best available"
                ));
            }
            let route = self.route_of(s);
            if let (Some(a), Some(first)) = (s.active, route.first())
                && s.targets[a].spec.endpoint != *first
            {
                return Err(format!(
                    "{key}: the route does not start with the active target"
                ));
            }
            if s.active.is_none() && !route.is_empty() {
                return Err(format!("{key}: no active target but a route"));
            }
            for (i, e) in route.iter().enumerate() {
                if route[..i].contains(e) {
                    return Err(format!("{key}: {e} twice in the route"));
                }
                if s.targets
                    .iter()
                    .any(|t| t.spec.endpoint == *e && t.quiesced)
                {
                    return Err(format!("{key}: quiesced {e} in the route"));
                }
            }
        }
        Ok(())
    }

    // === decisions ===

    fn availability(&self, s: &Service, i: usize) -> Availability {
        let t = &s.targets[i];
        let ep = &self.endpoints[t.ep];
        if t.quiesced {
            Availability::Quiesced
        } else if !ep.listen.up() {
            Availability::Down
        } else if self.probe.application && s.spec.healthswitch && !ep.health.up() {
            Availability::Unhealthy
        } else {
            Availability::Available
        }
    }

    fn first_with(&self, s: &Service, a: Availability) -> Option<usize> {
        s.order
            .iter()
            .copied()
            .find(|&i| self.availability(s, i) == a)
    }

    fn route_of(&self, s: &Service) -> Vec<SocketAddr> {
        let Some(active) = s.active else {
            return Vec::new();
        };
        let mut v = vec![s.targets[active].spec.endpoint];
        for want in [Availability::Available, Availability::Unhealthy] {
            for &i in &s.order {
                let e = s.targets[i].spec.endpoint;
                if self.availability(s, i) == want && !v.contains(&e) {
                    v.push(e);
                }
            }
        }
        v
    }

    fn update_all(&mut self, now: Instant, reason: Option<SwitchReason>) {
        for i in 0..self.services.len() {
            self.update(i, now, reason.clone());
        }
        debug_assert!(
            self.check_invariants().is_ok(),
            "{:?}",
            self.check_invariants()
        );
    }

    /// Choose the active target of service `i` after any input.
    fn update(&mut self, i: usize, now: Instant, forced: Option<SwitchReason>) {
        let s = &self.services[i];
        let best = self.first_with(s, Availability::Available);
        let fallback = best.or_else(|| self.first_with(s, Availability::Unhealthy));
        let current = s.active;
        let current_ok =
            current.is_some_and(|a| self.availability(s, a) == Availability::Available);
        let mut restored = None;
        let mut decided_now = false;

        let want = if s.spec.switchback {
            fallback
        } else if !s.decided {
            let all_known = s
                .targets
                .iter()
                .all(|t| self.endpoints[t.ep].listen.state().is_some());
            if all_known || now >= s.deadline {
                decided_now = true;
                // The target active before a restart wins if it is available.
                match self.persisted.get(&s.spec.key).copied() {
                    Some(p) => match s.targets.iter().position(|t| t.spec.endpoint == p) {
                        Some(t) if self.availability(s, t) == Availability::Available => {
                            restored = Some(t);
                            Some(t)
                        }
                        Some(_) => {
                            self.events.push_back(Event {
                                kind: EventKind::PersistedIgnored {
                                    service: s.spec.key,
                                    endpoint: p,
                                    why: "it is not available".into(),
                                },
                            });
                            fallback
                        }
                        None => {
                            self.events.push_back(Event {
                                kind: EventKind::PersistedIgnored {
                                    service: s.spec.key,
                                    endpoint: p,
                                    why: "it is no longer a target".into(),
                                },
                            });
                            fallback
                        }
                    },
                    None => fallback,
                }
            } else {
                // Until every first probe is in, the order decides.
                fallback
            }
        } else if current_ok {
            current
        } else if best.is_none()
            && current.is_some_and(|a| self.availability(s, a) == Availability::Unhealthy)
        {
            // Nothing available: stay on the listening one already in use.
            current
        } else {
            fallback
        };

        let s = &mut self.services[i];
        if decided_now {
            s.decided = true;
            self.persisted.remove(&s.spec.key);
        }
        let s = &self.services[i];
        if want == current {
            return;
        }
        let key = s.spec.key;
        let Some(w) = want else {
            self.services[i].active = None;
            self.events.push_back(Event {
                kind: EventKind::NoTarget { service: key },
            });
            return;
        };
        let reason = if restored.is_some() {
            SwitchReason::Restored
        } else if let Some(r) = forced {
            r
        } else if best.is_none() {
            SwitchReason::BestListening
        } else {
            match current {
                None if s
                    .targets
                    .iter()
                    .all(|t| self.endpoints[t.ep].listen.state().is_none()) =>
                {
                    SwitchReason::Start
                }
                None if decided_now => SwitchReason::FirstReady,
                None => SwitchReason::Recovered,
                Some(c) => match self.availability(s, c) {
                    Availability::Quiesced => SwitchReason::Quiesced,
                    Availability::Available if s.targets[w].spec.role == Role::Preferred => {
                        SwitchReason::SwitchBack
                    }
                    Availability::Available => SwitchReason::Better,
                    _ if decided_now => SwitchReason::FirstReady,
                    _ => SwitchReason::Unavailable,
                },
            }
        };
        let from = current.map(|c| s.targets[c].spec.endpoint);
        let to = s.targets[w].spec.endpoint;
        self.services[i].active = Some(w);
        self.events.push_back(Event {
            kind: EventKind::Switch {
                service: key,
                from,
                to,
                reason,
            },
        });
    }
}
