//! The engine: target state from probes and failed connects, the active
//! target of every service, quiesce/resume, and reconfiguration as a diff.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use crate::config::{Config, ProbeSpec, ServiceKey, ServiceSpec, TargetRole, TargetSpec};
use crate::event::{Event, EventKind, StartReason, SwitchReason, TargetId};
use crate::hysteresis::Hysteresis;

/// The active target of each service when the distributor stopped, so that
/// a restart does not switch back under NOAUTOSWITCHBACK (SPEC §1).
pub type Persisted = BTreeMap<ServiceKey, SocketAddr>;

/// What the sysplex group holds for the services of a DVIPA: their
/// quiesced targets and active targets (see [`Engine::adopt`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adopted {
    pub active: Persisted,
    pub quiesced: BTreeSet<(ServiceKey, SocketAddr)>,
}

/// Probe this endpoint now; report with [`Engine::probe_result`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeRequest {
    pub endpoint: SocketAddr,
    /// The DVIPA it serves (of the first service that names it): the name
    /// an application probe asks for (Host, TLS server name).
    pub dvipa: IpAddr,
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

/// Which targets an operator command means: a DESTIP address, a target
/// endpoint (`ip:port`) or a system name, optionally narrowed to one
/// service port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub target: String,
    pub port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectError {
    /// No target of any service matches; `known` names the targets that
    /// would (`SYSA (10.1.1.1)`), `ports` the distributed ports.
    NoMatch {
        what: String,
        known: Vec<String>,
        ports: Vec<u16>,
    },
    /// Quiescing these targets would leave these services without an
    /// available target (every new client would be closed or get an
    /// unhealthy server): the operator must say `force`.
    LastAvailable {
        what: String,
        services: Vec<ServiceKey>,
    },
}

impl std::fmt::Display for SelectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SelectError::NoMatch { what, known, ports } => {
                write!(f, "no target matches {what}: ")?;
                if known.is_empty() {
                    let ports: Vec<String> = ports.iter().map(ToString::to_string).collect();
                    write!(
                        f,
                        "no service is distributed on that port (the ports are {})",
                        ports.join(", ")
                    )
                } else {
                    write!(f, "name a system or a DESTIP address: {}", known.join(", "))
                }
            }
            SelectError::LastAvailable { what, services } => {
                let list: Vec<String> = services.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "{what} is the last available target of {}: quiescing it leaves no target for new clients (they would be closed or sent to a server that is not healthy); give --force to quiesce it anyway",
                    list.join(", ")
                )
            }
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
    pub destip: IpAddr,
    pub endpoint: SocketAddr,
    pub system: Option<String>,
    pub role: TargetRole,
    pub availability: Availability,
    /// `None` until the first probe result.
    pub listening: Option<bool>,
    /// `None` when no application probe runs, before its first result, and
    /// while the target does not listen (its health is then unknown).
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
    /// The first round of probes is not in yet: `active` is tentative (the
    /// persisted target, else takeover order) and was not announced.
    pub starting: bool,
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
    /// How events name it (from the first target that uses it).
    id: TargetId,
    /// The DVIPA of the first service that uses it.
    dvipa: IpAddr,
    listen: Hysteresis,
    health: Hysteresis,
    next_probe: Instant,
    in_flight: bool,
    /// No probe result has come back yet.
    fresh: bool,
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
    /// The active target was chosen because no target was available (the
    /// best one still listening).
    in_fallback: bool,
    /// Until the first round of probes is in (at the latest at this
    /// instant), the active target is tentative and nothing is announced.
    starting: Option<Instant>,
}

/// How long the first round of probes may take at the most. Each probe is
/// bounded by the probe timeout and reports even when it times out, so the
/// round normally ends when the last first result is in; this bound is a
/// safety net, longer than a probe that starts late and times out.
pub fn first_round(timeout: std::time::Duration) -> std::time::Duration {
    timeout * 2 + std::time::Duration::from_millis(500)
}

/// The hot-standby engine. See the crate documentation.
///
/// Every input touches only what depends on it: the services that use the
/// endpoint it is about (an index), probes are kept in time order, and the
/// services whose state changed are remembered until
/// [`Engine::take_changed`], so that the shell republishes only those. With
/// a thousand ports, a probe result costs what one service costs.
pub struct Engine {
    probe: ProbeSpec,
    endpoints: Vec<Endpoint>,
    /// Endpoint index by address.
    by_addr: HashMap<SocketAddr, usize>,
    /// The services that use each endpoint.
    users: Vec<Vec<usize>>,
    /// Probes due, by time: endpoints with no probe in flight.
    schedule: BTreeSet<(Instant, usize)>,
    /// Services in their first round, by the time it ends at the latest.
    rounds: BTreeSet<(Instant, usize)>,
    services: Vec<Service>,
    /// Services whose displayed state changed since `take_changed`.
    changed: Vec<bool>,
    events: VecDeque<Event>,
    persisted: Persisted,
}

/// What the shell shows of a service: when it differs after an input, the
/// service has changed.
#[derive(PartialEq, Eq)]
struct Shown {
    active: Option<usize>,
    in_fallback: bool,
    starting: bool,
    targets: Vec<(Availability, Option<bool>, Option<bool>)>,
}

impl Engine {
    /// Start with a configuration and the active targets persisted by an
    /// earlier run. Every target is probed at once; until the first round of
    /// probes is in, new connections go to the persisted target, else in
    /// takeover order, and no switch is announced.
    pub fn new(config: Config, persisted: Persisted, now: Instant) -> Engine {
        let mut e = Engine {
            probe: config.probe.clamped(),
            endpoints: Vec::new(),
            by_addr: HashMap::new(),
            users: Vec::new(),
            schedule: BTreeSet::new(),
            rounds: BTreeSet::new(),
            services: Vec::new(),
            changed: Vec::new(),
            events: VecDeque::new(),
            persisted,
        };
        for spec in config.services {
            let svc = e.build_service(spec, now);
            e.services.push(svc);
        }
        e.reindex();
        e.update(&(0..e.services.len()).collect::<Vec<_>>(), now, None);
        e
    }

    /// Rebuild the indexes after the services or endpoints changed: who
    /// uses each endpoint, the probe schedule, the first rounds.
    fn reindex(&mut self) {
        self.by_addr = self
            .endpoints
            .iter()
            .enumerate()
            .map(|(i, e)| (e.addr, i))
            .collect();
        self.users = vec![Vec::new(); self.endpoints.len()];
        for (si, s) in self.services.iter().enumerate() {
            for t in &s.targets {
                if !self.users[t.ep].contains(&si) {
                    self.users[t.ep].push(si);
                }
            }
        }
        self.schedule = self
            .endpoints
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.in_flight)
            .map(|(i, e)| (e.next_probe, i))
            .collect();
        self.rounds = self
            .services
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.starting.map(|d| (d, i)))
            .collect();
        self.changed = vec![true; self.services.len()];
    }

    /// Where endpoint `i`'s probes fall in the interval: the fractional
    /// parts of multiples of the golden ratio are spread evenly for any
    /// number of endpoints, also ones a reload adds (never 0, never a whole
    /// interval).
    fn spread(&self, i: usize) -> std::time::Duration {
        const PHI: f64 = 0.618_033_988_749_895;
        let f = ((i as f64 + 1.0) * PHI).fract().clamp(0.01, 1.0);
        self.probe.interval.mul_f64(f)
    }

    /// Move an endpoint's next probe (it has none in flight).
    fn reschedule(&mut self, i: usize, at: Instant) {
        let ep = &mut self.endpoints[i];
        if ep.in_flight {
            return;
        }
        self.schedule.remove(&(ep.next_probe, i));
        ep.next_probe = at;
        self.schedule.insert((at, i));
    }

    fn endpoint(&mut self, t: &TargetSpec, dvipa: IpAddr, now: Instant) -> usize {
        if let Some(i) = self.endpoints.iter().position(|e| e.addr == t.endpoint) {
            return i;
        }
        self.endpoints.push(Endpoint {
            addr: t.endpoint,
            dvipa,
            id: TargetId {
                destip: t.destip,
                system: t.system.clone(),
                endpoint: t.endpoint,
            },
            listen: Hysteresis::default(),
            health: Hysteresis::default(),
            next_probe: now,
            in_flight: false,
            fresh: true,
        });
        self.endpoints.len() - 1
    }

    fn build_service(&mut self, spec: ServiceSpec, now: Instant) -> Service {
        let targets = spec
            .targets
            .iter()
            .map(|t| Target {
                spec: t.clone(),
                ep: self.endpoint(t, spec.key.dvipa, now),
                quiesced: false,
            })
            .collect();
        Service {
            order: spec.order(),
            spec,
            targets,
            active: None,
            in_fallback: false,
            starting: Some(now + first_round(self.probe.timeout)),
        }
    }

    // === inputs ===

    /// The result of a probe asked for by [`Engine::poll_probe`].
    pub fn probe_result(&mut self, endpoint: SocketAddr, outcome: ProbeOutcome, now: Instant) {
        let Some(&i) = self.by_addr.get(&endpoint) else {
            return; // removed by a reconfiguration while the probe ran
        };
        let affected = self.users[i].clone();
        let before = self.shown_all(&affected);
        let (rise, fall) = (self.probe.rise, self.probe.fall);
        let spread = self.spread(i);
        let ep = &mut self.endpoints[i];
        if ep.in_flight {
            ep.in_flight = false;
            // Every endpoint is probed at once at the start (the first
            // round needs every result); its second probe comes a fraction
            // of an interval after the first result, a different fraction
            // for each endpoint, so that from then on the probes are spread
            // over the interval instead of arriving in one burst each
            // interval (HAProxy spreads its checks too).
            if std::mem::take(&mut ep.fresh) {
                ep.next_probe = now + spread;
            }
            self.schedule.insert((ep.next_probe, i));
        }
        let ep = &mut self.endpoints[i];
        if let Some(up) = ep.listen.record(outcome.connected, rise, fall) {
            let target = ep.id.clone();
            let why = outcome.detail.clone();
            let kind = if up {
                EventKind::TargetUp { target, why }
            } else {
                // What a server that stopped listening said about its health
                // no longer holds: it is judged afresh when it is back.
                ep.health = Hysteresis::default();
                EventKind::TargetDown { target, why }
            };
            self.events.push_back(Event { kind });
        }
        if self.probe.application && outcome.connected {
            let healthy = outcome.healthy.unwrap_or(false);
            let ep = &mut self.endpoints[i];
            if let Some(h) = ep.health.record(healthy, rise, fall) {
                let (target, why) = (ep.id.clone(), outcome.detail);
                let kind = if h {
                    EventKind::TargetHealthy { target, why }
                } else {
                    EventKind::TargetUnhealthy { target, why }
                };
                self.events.push_back(Event { kind });
            }
        }
        self.update_touched(&affected, before, now, None);
    }

    /// A probe could not be run for a reason of this machine's (out of
    /// file descriptors, memory or ports): no result, no verdict on the
    /// target; the next probe comes one interval later.
    pub fn probe_skipped(&mut self, endpoint: SocketAddr) {
        if let Some(&i) = self.by_addr.get(&endpoint) {
            let ep = &mut self.endpoints[i];
            if ep.in_flight {
                ep.in_flight = false;
                self.schedule.insert((ep.next_probe, i));
            }
        }
    }

    /// A real connect to this endpoint failed (refused, reset, timed out):
    /// it is down at once (passive detection).
    pub fn connect_failed(&mut self, endpoint: SocketAddr, why: &str, now: Instant) {
        let Some(&i) = self.by_addr.get(&endpoint) else {
            return;
        };
        let affected = self.users[i].clone();
        let before = self.shown_all(&affected);
        let ep = &mut self.endpoints[i];
        if ep.listen.force_down() {
            ep.health = Hysteresis::default();
            self.events.push_back(Event {
                kind: EventKind::TargetDown {
                    target: ep.id.clone(),
                    why: format!("connect failed: {why}"),
                },
            });
        }
        self.update_touched(&affected, before, now, None);
    }

    /// A client saw this endpoint close or reset a connection before
    /// answering. One client's word is no verdict (it may have sent half a
    /// request to a server with a header timeout): the endpoint is probed
    /// at once instead, and the probe decides.
    pub fn suspect(&mut self, endpoint: SocketAddr, now: Instant) {
        if let Some(&i) = self.by_addr.get(&endpoint) {
            let at = self.endpoints[i].next_probe.min(now);
            self.reschedule(i, at);
        }
    }

    /// Quiesce targets: no new connections, existing ones continue. Unless
    /// `force`, refused when it would leave a service without an available
    /// target.
    pub fn quiesce(
        &mut self,
        sel: &Selector,
        force: bool,
        now: Instant,
    ) -> Result<Vec<(ServiceKey, TargetId)>, SelectError> {
        let hits = self.select(sel)?;
        if !force {
            let mut stranded = Vec::new();
            for (si, tis) in &hits {
                if self.would_strand(&self.services[*si], tis) {
                    stranded.push(self.services[*si].spec.key);
                }
            }
            if !stranded.is_empty() {
                return Err(SelectError::LastAvailable {
                    what: sel.target.clone(),
                    services: stranded,
                });
            }
        }
        Ok(self.set_quiesced(&hits, true, now))
    }

    /// Take over what the group holds for the services of `dvipas` (SPEC
    /// §7): the stack that owned them decided which targets are quiesced
    /// and, under NOAUTOSWITCHBACK, which one is active; this stack now
    /// owns them and keeps both. The quiesced set is replaced; an active
    /// target that is not available here is ignored (§1), as a persisted
    /// one is; a service still in its first round takes it as persisted.
    pub fn adopt(&mut self, dvipas: &BTreeSet<IpAddr>, state: &Adopted, now: Instant) {
        let affected: Vec<usize> = (0..self.services.len())
            .filter(|&i| dvipas.contains(&self.services[i].spec.key.dvipa))
            .collect();
        let before = self.shown_all(&affected);
        for &i in &affected {
            let key = self.services[i].spec.key;
            let mut changed = Vec::new();
            for ti in 0..self.services[i].targets.len() {
                let t = &mut self.services[i].targets[ti];
                let q = state.quiesced.contains(&(key, t.spec.endpoint));
                if t.quiesced != q {
                    t.quiesced = q;
                    changed.push((q, Self::target_id(&self.services[i], ti)));
                }
            }
            for (q, target) in changed {
                let kind = if q {
                    EventKind::Quiesced {
                        service: key,
                        target,
                    }
                } else {
                    EventKind::Resumed {
                        service: key,
                        target,
                    }
                };
                self.events.push_back(Event { kind });
            }
            let s = &self.services[i];
            let Some(&want) = state.active.get(&key).filter(|_| !s.spec.switchback) else {
                continue;
            };
            if s.starting.is_some() {
                self.persisted.insert(key, want);
                continue;
            }
            let Some(w) = s.targets.iter().position(|t| t.spec.endpoint == want) else {
                continue;
            };
            if s.active == Some(w) || self.availability(s, w) != Availability::Available {
                continue;
            }
            let kind = EventKind::Switch {
                service: key,
                from: s.active.map(|a| Self::target_id(s, a)),
                to: Self::target_id(s, w),
                reason: SwitchReason::Adopted,
            };
            self.events.push_back(Event { kind });
            let s = &mut self.services[i];
            s.active = Some(w);
            s.in_fallback = false;
        }
        self.update_touched(&affected, before, now, None);
    }

    /// Make quiesced targets eligible again.
    pub fn resume(
        &mut self,
        sel: &Selector,
        now: Instant,
    ) -> Result<Vec<(ServiceKey, TargetId)>, SelectError> {
        let hits = self.select(sel)?;
        Ok(self.set_quiesced(&hits, false, now))
    }

    /// The services whose targets a selector names.
    pub fn selected(&self, sel: &Selector) -> Result<Vec<ServiceKey>, SelectError> {
        Ok(self
            .select(sel)?
            .into_iter()
            .map(|(si, _)| self.services[si].spec.key)
            .collect())
    }

    /// The targets a selector names: (service index, target indexes).
    fn select(&self, sel: &Selector) -> Result<Vec<(usize, Vec<usize>)>, SelectError> {
        let ip: Option<IpAddr> = sel.target.parse().ok();
        let endpoint: Option<SocketAddr> = sel.target.parse().ok();
        let mut hits = Vec::new();
        let mut known: Vec<String> = Vec::new();
        for (si, s) in self.services.iter().enumerate() {
            if sel.port.is_some_and(|p| p != s.spec.key.port) {
                continue;
            }
            let mut tis = Vec::new();
            for (ti, t) in s.targets.iter().enumerate() {
                let name = match &t.spec.system {
                    Some(n) => format!("{n} ({})", t.spec.destip),
                    None => t.spec.destip.to_string(),
                };
                if !known.contains(&name) {
                    known.push(name);
                }
                let by_ip = ip.is_some_and(|a| a == t.spec.destip);
                let by_endpoint = endpoint.is_some_and(|e| e == t.spec.endpoint);
                let by_name = t
                    .spec
                    .system
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&sel.target));
                if by_ip || by_endpoint || by_name {
                    tis.push(ti);
                }
            }
            if !tis.is_empty() {
                hits.push((si, tis));
            }
        }
        if hits.is_empty() {
            let what = match sel.port {
                Some(p) => format!("{} on port {p}", sel.target),
                None => sel.target.clone(),
            };
            let mut ports: Vec<u16> = self.services.iter().map(|s| s.spec.key.port).collect();
            ports.sort_unstable();
            ports.dedup();
            return Err(SelectError::NoMatch { what, known, ports });
        }
        Ok(hits)
    }

    /// Whether quiescing `tis` leaves service `s` without an available
    /// target while it has one now, or without any route while it has one.
    fn would_strand(&self, s: &Service, tis: &[usize]) -> bool {
        let others: Vec<usize> = (0..s.targets.len()).filter(|i| !tis.contains(i)).collect();
        let available_now =
            (0..s.targets.len()).any(|i| self.availability(s, i) == Availability::Available);
        let available_after = others
            .iter()
            .any(|&i| self.availability(s, i) == Availability::Available);
        let routed_now = s.active.is_some();
        let routed_after = others.iter().any(|&i| {
            matches!(
                self.availability(s, i),
                Availability::Available | Availability::Unhealthy
            )
        });
        (available_now && !available_after) || (routed_now && !routed_after)
    }

    fn set_quiesced(
        &mut self,
        hits: &[(usize, Vec<usize>)],
        on: bool,
        now: Instant,
    ) -> Vec<(ServiceKey, TargetId)> {
        let affected: Vec<usize> = hits.iter().map(|(si, _)| *si).collect();
        let before = self.shown_all(&affected);
        let mut changed = Vec::new();
        for (si, tis) in hits {
            let s = &mut self.services[*si];
            for &ti in tis {
                let t = &mut s.targets[ti];
                if t.quiesced != on {
                    t.quiesced = on;
                    let id = TargetId {
                        destip: t.spec.destip,
                        system: t.spec.system.clone(),
                        endpoint: t.spec.endpoint,
                    };
                    changed.push((s.spec.key, id));
                }
            }
        }
        for (service, target) in &changed {
            let (service, target) = (*service, target.clone());
            let kind = if on {
                EventKind::Quiesced { service, target }
            } else {
                EventKind::Resumed { service, target }
            };
            self.events.push_back(Event { kind });
        }
        self.update_touched(&affected, before, now, None);
        changed
    }

    /// Replace the configuration, keeping what did not change: target
    /// states, quiesce flags, active targets that are still targets.
    pub fn reconfigure(&mut self, config: Config, now: Instant) -> ConfigDiff {
        let probe = config.probe.clamped();
        let mut diff = ConfigDiff {
            probe_changed: probe != self.probe,
            ..ConfigDiff::default()
        };
        self.probe = probe;
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
                    // Keep quiesce flags, the start phase and the active target.
                    for t in &mut svc.targets {
                        if let Some(o) = p
                            .targets
                            .iter()
                            .find(|o| o.spec.endpoint == t.spec.endpoint)
                        {
                            t.quiesced = o.quiesced;
                        }
                    }
                    svc.starting = p.starting;
                    svc.in_fallback = p.in_fallback;
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
        // Name each endpoint after the first service that uses it now (the
        // one that named it first may be gone): the last write wins, so
        // walk backwards.
        for s in self.services.iter().rev() {
            for t in s.targets.iter().rev() {
                let ep = &mut self.endpoints[t.ep];
                ep.dvipa = s.spec.key.dvipa;
                ep.id = TargetId {
                    destip: t.spec.destip,
                    system: t.spec.system.clone(),
                    endpoint: t.spec.endpoint,
                };
            }
        }
        self.events.push_back(Event {
            kind: EventKind::Reconfigured {
                summary: diff.summary(),
            },
        });
        self.reindex();
        let all: Vec<usize> = (0..self.services.len()).collect();
        self.update(&all, now, Some(SwitchReason::Reconfigured));
        diff
    }

    /// Make time-based decisions due at `now` (the end of the first round of
    /// probes). Call it when [`Engine::poll_timeout`] says.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<usize> = self
            .rounds
            .iter()
            .take_while(|(d, _)| *d <= now)
            .map(|(_, i)| *i)
            .collect();
        if !due.is_empty() {
            let before = self.shown_all(&due);
            self.update_touched(&due, before, now, None);
        }
    }

    // === outputs ===

    /// The next probe due at `now`, if any. Each endpoint has at most one
    /// probe in flight; the next is due one interval after this one starts
    /// (see [`Engine::probe_result`] for the second).
    pub fn poll_probe(&mut self, now: Instant) -> Option<ProbeRequest> {
        let interval = self.probe.interval;
        let application = self.probe.application;
        let &(at, i) = self.schedule.first().filter(|(at, _)| *at <= now)?;
        self.schedule.remove(&(at, i));
        let ep = &mut self.endpoints[i];
        ep.in_flight = true;
        ep.next_probe = now + interval;
        Some(ProbeRequest {
            endpoint: ep.addr,
            dvipa: ep.dvipa,
            application,
        })
    }

    /// Some service is in its first round of probes (no active target
    /// chosen yet).
    pub fn starting(&self) -> bool {
        !self.rounds.is_empty()
    }

    /// When the engine next wants to be called (a probe due, the end of a
    /// first round).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let probe = self.schedule.first().map(|(at, _)| *at);
        let round = self.rounds.first().map(|(at, _)| *at);
        probe.into_iter().chain(round).min()
    }

    /// The services whose state (active target, availability, probe
    /// results, first round) changed since the last call: what the shell
    /// republishes.
    pub fn take_changed(&mut self) -> Vec<ServiceKey> {
        let mut v = Vec::new();
        for (i, c) in self.changed.iter_mut().enumerate() {
            if std::mem::take(c) {
                v.push(self.services[i].spec.key);
            }
        }
        v
    }

    /// The view of one service.
    pub fn service(&self, key: &ServiceKey) -> Option<ServiceView> {
        self.services
            .iter()
            .find(|s| s.spec.key == *key)
            .map(|s| self.view_of(s))
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

    /// The active target of each service, for the state file. A service
    /// still in its first round keeps what was persisted for it.
    pub fn persisted(&self) -> Persisted {
        self.services
            .iter()
            .filter_map(|s| match s.starting {
                Some(_) => self.persisted.get(&s.spec.key).map(|p| (s.spec.key, *p)),
                None => s.active.map(|a| (s.spec.key, s.targets[a].spec.endpoint)),
            })
            .collect()
    }

    pub fn probe_spec(&self) -> ProbeSpec {
        self.probe
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            services: self.services.iter().map(|s| self.view_of(s)).collect(),
        }
    }

    fn view_of(&self, s: &Service) -> ServiceView {
        ServiceView {
            key: s.spec.key,
            switchback: s.spec.switchback,
            healthswitch: s.spec.healthswitch,
            active: s.active.map(|a| s.targets[a].spec.endpoint),
            starting: s.starting.is_some(),
            route: self.route_of(s),
            targets: s
                .targets
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let (listening, healthy) = self.probed(t.ep);
                    TargetView {
                        destip: t.spec.destip,
                        endpoint: t.spec.endpoint,
                        system: t.spec.system.clone(),
                        role: t.spec.role,
                        availability: self.availability(s, i),
                        listening,
                        healthy,
                        quiesced: t.quiesced,
                        active: s.active == Some(i),
                    }
                })
                .collect(),
        }
    }

    /// What probes say of an endpoint: listening, and healthy (`None`
    /// without an application probe, before its result, and while the
    /// endpoint does not listen).
    fn probed(&self, ep: usize) -> (Option<bool>, Option<bool>) {
        let e = &self.endpoints[ep];
        let listening = e.listen.state();
        let healthy = if self.probe.application && listening != Some(false) {
            e.health.state()
        } else {
            None
        };
        (listening, healthy)
    }

    fn shown(&self, i: usize) -> Shown {
        let s = &self.services[i];
        Shown {
            active: s.active,
            in_fallback: s.in_fallback,
            starting: s.starting.is_some(),
            targets: (0..s.targets.len())
                .map(|t| {
                    let (l, h) = self.probed(s.targets[t].ep);
                    (self.availability(s, t), l, h)
                })
                .collect(),
        }
    }

    fn shown_all(&self, services: &[usize]) -> Vec<Shown> {
        services.iter().map(|&i| self.shown(i)).collect()
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
            if s.starting.is_none()
                && s.active
                    .is_some_and(|a| self.availability(s, a) != Availability::Available)
                    != s.in_fallback
            {
                return Err(format!(
                    "{key}: in fallback is {} but the active target is {:?}",
                    s.in_fallback,
                    s.active.map(|a| self.availability(s, a))
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

    fn target_id(s: &Service, i: usize) -> TargetId {
        let t = &s.targets[i].spec;
        TargetId {
            destip: t.destip,
            system: t.system.clone(),
            endpoint: t.endpoint,
        }
    }

    /// Decide again for these services, and remember those whose shown
    /// state differs from `before` (taken before the input changed them).
    fn update_touched(
        &mut self,
        services: &[usize],
        before: Vec<Shown>,
        now: Instant,
        reason: Option<SwitchReason>,
    ) {
        self.update(services, now, reason);
        for (&i, b) in services.iter().zip(before) {
            if self.shown(i) != b {
                self.changed[i] = true;
            }
        }
    }

    /// Decide again for these services (all of them after a new
    /// configuration).
    fn update(&mut self, services: &[usize], now: Instant, reason: Option<SwitchReason>) {
        for &i in services {
            if self.services[i].starting.is_some() {
                self.start(i, now);
            } else {
                self.decide(i, reason.clone());
            }
        }
        debug_assert!(
            self.check_invariants().is_ok(),
            "{:?}",
            self.check_invariants()
        );
    }

    /// A service in its first round: route to the persisted target (under
    /// NOAUTOSWITCHBACK, while it may be available), else in takeover order,
    /// silently; once every target has its first result, or at the
    /// deadline, choose and announce the first active target once.
    fn start(&mut self, i: usize, now: Instant) {
        let s = &self.services[i];
        let key = s.spec.key;
        let best = self.first_with(s, Availability::Available);
        let fallback = best.or_else(|| self.first_with(s, Availability::Unhealthy));
        let persisted = if s.spec.switchback {
            None
        } else {
            self.persisted.get(&key).copied()
        };
        let persisted_t =
            persisted.and_then(|p| s.targets.iter().position(|t| t.spec.endpoint == p));
        let persisted_ok =
            persisted_t.filter(|&t| self.availability(s, t) == Availability::Available);
        let round_in = s
            .targets
            .iter()
            .all(|t| self.endpoints[t.ep].listen.state().is_some());
        let deadline = s.starting.unwrap_or(now);
        if !round_in && now < deadline {
            self.services[i].active = persisted_ok.or(fallback);
            return;
        }
        // The round is in: decide once and say so.
        if let Some(p) = persisted.filter(|_| persisted_ok.is_none()) {
            let why = if persisted_t.is_some() {
                "it is not available"
            } else {
                "it is no longer a target"
            };
            self.events.push_back(Event {
                kind: EventKind::PersistedIgnored {
                    service: key,
                    endpoint: p,
                    why: why.into(),
                },
            });
        }
        let (want, reason) = match persisted_ok {
            Some(t) => (Some(t), StartReason::Restored),
            None if s.spec.switchback => (fallback, StartReason::Best),
            None => (fallback, StartReason::FirstReady),
        };
        let kind = match want {
            Some(w) if best.is_some() => EventKind::FirstActive {
                service: key,
                to: Self::target_id(s, w),
                reason,
            },
            Some(w) => EventKind::Fallback {
                service: key,
                from: None,
                to: Self::target_id(s, w),
            },
            None => EventKind::NoTarget { service: key },
        };
        self.events.push_back(Event { kind });
        self.persisted.remove(&key);
        self.rounds.remove(&(deadline, i));
        let s = &mut self.services[i];
        s.active = want;
        s.in_fallback = want.is_some() && best.is_none();
        s.starting = None;
    }

    /// Choose the active target of service `i` after any input, once its
    /// first round is over.
    fn decide(&mut self, i: usize, forced: Option<SwitchReason>) {
        let s = &self.services[i];
        let best = self.first_with(s, Availability::Available);
        let fallback = best.or_else(|| self.first_with(s, Availability::Unhealthy));
        let current = s.active;
        let current_avail = current.map(|a| self.availability(s, a));

        let want = if s.spec.switchback {
            fallback
        } else if current_avail == Some(Availability::Available) {
            current
        } else if best.is_none() && current_avail == Some(Availability::Unhealthy) {
            // Nothing available: stay on the listening one already in use.
            current
        } else {
            fallback
        };
        let in_fallback = want.is_some() && best.is_none();
        let key = s.spec.key;
        if want == current {
            // The same target, but it entered or left the fallback.
            let was = s.in_fallback;
            if let Some(w) = want.filter(|_| was != in_fallback) {
                let target = Self::target_id(s, w);
                let kind = if in_fallback {
                    EventKind::Fallback {
                        service: key,
                        from: Some(target.clone()),
                        to: target,
                    }
                } else {
                    EventKind::Recovered {
                        service: key,
                        target,
                    }
                };
                self.events.push_back(Event { kind });
            }
            self.services[i].in_fallback = in_fallback;
            return;
        }
        let from = current.map(|c| Self::target_id(s, c));
        let kind = match want {
            None => EventKind::NoTarget { service: key },
            Some(w) if in_fallback => EventKind::Fallback {
                service: key,
                from,
                to: Self::target_id(s, w),
            },
            Some(w) => {
                let reason = forced.unwrap_or(match current_avail {
                    None => SwitchReason::Recovered,
                    Some(_) if s.in_fallback => SwitchReason::Recovered,
                    Some(Availability::Quiesced) => SwitchReason::Quiesced,
                    Some(Availability::Available)
                        if s.targets[w].spec.role == TargetRole::Preferred =>
                    {
                        SwitchReason::SwitchBack
                    }
                    Some(Availability::Available) => SwitchReason::Better,
                    Some(Availability::Unhealthy | Availability::Down) => SwitchReason::Unavailable,
                });
                EventKind::Switch {
                    service: key,
                    from,
                    to: Self::target_id(s, w),
                    reason,
                }
            }
        };
        self.events.push_back(Event { kind });
        let s = &mut self.services[i];
        s.active = want;
        s.in_fallback = in_fallback;
    }
}
