//! The control task: it owns the engine and is the only place that changes
//! routing. It feeds the engine probe results, failed connects, operator
//! requests and reloads; after every input (or batch of queued inputs) it
//! publishes the routing table the data path reads, starts due probes,
//! logs the engine's events with their fields, and saves the active
//! targets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};
use zha_diag::Severity;
use zha_standby::{
    Availability, Config, Engine, Event, EventKind, ProbeSpec, Selector, ServiceKey,
};
use zha_tcpip::{Stack, VipaOwner};

use crate::codes;
use crate::display;
use crate::handover::{self, FdStore};
use crate::listener::{self, BindError};
use crate::metrics::{Metrics, RejectLabels, ServiceLabels, SwitchLabels};
use crate::probe::Prober;
use crate::profile::{self, Loaded, ProfileError};
use crate::protocol::{
    ConnRow, DistMethod, Flag, Moveable, Reply, Report, Request, ServiceRow, SrvType, TargetRow,
    VaryAction, View, VipaDynRow, VipaKind, VipaRow,
};
use crate::services::Services;
use crate::shared::{
    Input, Loading, Offer, Offered, Refusal, RouteTarget, Routes, ServiceRoute, ServiceStats,
    Shared, TargetStats,
};
use crate::state::StateStore;

/// How many queued inputs one step takes at most after the first.
const BATCH: usize = 1024;

pub(crate) struct ListenerTask {
    bind: SocketAddr,
    stop: CancellationToken,
    /// Shared with the accept loop, to hand it over.
    sock: Arc<TcpListener>,
}

/// The control task's state. Built by the runtime, then [`Controller::run`].
pub struct Controller {
    pub(crate) engine: Engine,
    pub(crate) shared: Arc<Shared>,
    pub(crate) prober: Prober,
    /// The profile running, as applied, and what it distributes.
    pub(crate) stack: Stack,
    pub(crate) services: Services,
    pub(crate) profile: PathBuf,
    pub(crate) symbols: zha_diag::symbols::Symbols,
    /// Where the active targets are kept across restarts.
    pub(crate) store: Box<dyn StateStore>,
    pub(crate) tracker: TaskTracker,
    pub(crate) stop: CancellationToken,
    /// Where probes report back.
    pub(crate) tx: mpsc::Sender<Input>,
    /// The accept loop of each service (filled by `spawn_listener`).
    pub(crate) listeners: HashMap<ServiceKey, ListenerTask>,
    /// Counters made once per service and per target (labels cost).
    pub(crate) service_stats: HashMap<ServiceKey, Arc<ServiceStats>>,
    pub(crate) target_stats: HashMap<(ServiceKey, SocketAddr), Arc<TargetStats>>,
    /// When the evidence of the input being handled arrived.
    pub(crate) evidence: Option<Instant>,
    /// The control socket and the metrics listener, to hand them over
    /// (dropped when the distributor stops).
    pub(crate) control_listener: Option<Arc<tokio::net::UnixListener>>,
    pub(crate) metrics_listener: Option<Arc<TcpListener>>,
    /// systemd's file descriptor store (when run by systemd).
    pub(crate) fdstore: FdStore,
    /// A hand-over to a successor is under way.
    pub(crate) handing: bool,
    /// Group tasks waiting for an adopted state to be routed.
    pub(crate) adopting: Vec<std::sync::mpsc::SyncSender<()>>,
    /// Answers to `vary` on a stack of a group, sent once the group holds
    /// what changed.
    pub(crate) varying: Vec<(Reply, tokio::sync::oneshot::Sender<Reply>)>,
    /// What `top` and the status page show beyond NETSTAT.
    pub(crate) looks: Looks,
}

/// The latest events, each target's last probe, and samples of the
/// connection counters for rates.
#[derive(Default)]
pub(crate) struct Looks {
    events: std::collections::VecDeque<crate::protocol::EventRow>,
    probes: HashMap<SocketAddr, crate::protocol::ProbeRow>,
    samples: HashMap<(ServiceKey, SocketAddr), std::collections::VecDeque<(Instant, u64)>>,
}

/// Events kept for `top` and the status page.
const EVENTS_KEPT: usize = 64;

impl Looks {
    fn event(&mut self, id: &str, text: String) {
        if self.events.len() == EVENTS_KEPT {
            self.events.pop_front();
        }
        self.events.push_back(crate::protocol::EventRow {
            at: crate::metrics::unix_now(),
            id: id.to_owned(),
            text,
        });
    }

    /// New connections per second over the last 10 s or so, from the
    /// samples of earlier looks (0 until there are two).
    fn rate(&mut self, key: ServiceKey, ep: SocketAddr, total: u64, now: Instant) -> f64 {
        let q = self.samples.entry((key, ep)).or_default();
        while q.len() > 1
            && q.get(1)
                .is_some_and(|(t, _)| now.duration_since(*t).as_secs_f64() >= 10.0)
        {
            q.pop_front();
        }
        let rate = q.front().map_or(0.0, |(t, n)| {
            let dt = now.duration_since(*t).as_secs_f64();
            if dt >= 0.5 {
                total.saturating_sub(*n) as f64 / dt
            } else {
                0.0
            }
        });
        if q.len() < 32 {
            q.push_back((now, total));
        }
        rate
    }
}

/// Why a reload changed nothing.
enum ReloadError {
    Profile(ProfileError),
    Bind(BindError),
    /// A stack of a sysplex group cannot change its DVIPAs by reload yet.
    Group(String),
    /// Kernel forwarding cannot serve the new profile.
    Kernel(String),
}

impl ReloadError {
    fn summary(&self) -> String {
        match self {
            ReloadError::Profile(e) => e.summary(),
            ReloadError::Bind(e) => e.to_string(),
            ReloadError::Group(e) | ReloadError::Kernel(e) => e.clone(),
        }
    }

    fn full(&self) -> String {
        match self {
            ReloadError::Profile(e) => e.to_string(),
            ReloadError::Bind(e) => e.to_string(),
            ReloadError::Group(e) | ReloadError::Kernel(e) => e.clone(),
        }
    }
}

pub(crate) fn probe_spec(shared: &Shared, prober: &Prober) -> ProbeSpec {
    let p = &shared.settings.probe;
    ProbeSpec {
        interval: p.interval,
        timeout: p.timeout,
        rise: p.rise,
        fall: p.fall,
        application: prober.application(),
    }
}

impl Controller {
    /// Until `stop`: wait for an input or the engine's next timeout.
    pub async fn run(&mut self, mut rx: mpsc::Receiver<Input>) {
        self.step();
        loop {
            let deadline = self
                .engine
                .poll_timeout()
                .map(tokio::time::Instant::from_std);
            tokio::select! {
                _ = self.stop.cancelled() => break,
                input = rx.recv() => match input {
                    Some(i) => {
                        self.input(i);
                        // Inputs arrive in bursts (a round of probes);
                        // take what is queued before deciding and
                        // publishing once, bounded so timeouts still run.
                        for _ in 0..BATCH {
                            match rx.try_recv() {
                                Ok(i) => self.input(i),
                                Err(_) => break,
                            }
                        }
                    }
                    None => break,
                },
                _ = sleep_until(deadline) => {
                    self.engine.handle_timeout(now());
                }
            }
            self.step();
        }
        for l in self.listeners.values() {
            l.stop.cancel();
        }
        // Close this process's copies of the listening sockets: a client
        // is refused, or queued for a successor that holds them too.
        self.listeners.clear();
        self.control_listener = None;
        self.metrics_listener = None;
        self.shared.refusals.flush(true);
    }

    /// The earliest evidence of a batch is the one the decision is timed from.
    fn saw_evidence(&mut self, at: Instant) {
        self.evidence = Some(self.evidence.map_or(at, |e| e.min(at)));
    }

    fn input(&mut self, i: Input) {
        let now = now();
        match i {
            Input::Probe(ep, Some(outcome), at, took) => {
                self.saw_evidence(at);
                let passed = outcome.connected && outcome.healthy != Some(false);
                self.shared.metrics.probed(ep, took, passed);
                self.looks.probes.insert(
                    ep,
                    crate::protocol::ProbeRow {
                        at: crate::metrics::unix_now(),
                        ms: took.as_secs_f64() * 1000.0,
                        passed,
                        detail: outcome.detail.clone(),
                    },
                );
                self.engine.probe_result(ep, outcome, now);
            }
            Input::Probe(ep, None, _, _) => self.engine.probe_skipped(ep),
            Input::ConnectFailed(ep, why, at) => {
                self.saw_evidence(at);
                self.engine.connect_failed(ep, &why, now);
            }
            Input::Suspect(ep) => self.engine.suspect(ep, now),
            Input::Ping(reply) => {
                let _ = reply.send(());
            }
            Input::Request(Request::Reload { profile }, reply) => {
                self.begin_reload(profile, "zosmf-ha reload", Some(reply));
            }
            Input::Request(Request::Group { action, dvipa }, reply) => {
                // The group task answers, at its next look at the group.
                let tx = self
                    .shared
                    .group_commands
                    .lock()
                    .ok()
                    .and_then(|g| g.clone());
                match tx {
                    Some(tx) => {
                        let cmd = crate::sysplex::Command {
                            action,
                            dvipa,
                            reply,
                        };
                        if let Err(std::sync::mpsc::SendError(cmd)) = tx.send(cmd) {
                            let _ = cmd.reply.send(Reply::refused("the group task has ended"));
                        }
                    }
                    None => {
                        let _ = reply.send(Reply::refused(
                            "this distributor is no stack of a sysplex group (start it with --system)",
                        ));
                    }
                }
            }
            Input::Request(req, reply) => {
                let vary = matches!(req, Request::Vary { .. });
                let r = self.request(req, now);
                // A stack of a group answers a vary once the group holds
                // it: a takeover right after keeps it.
                if vary && self.shared.serving.is_some() && matches!(r, Reply::Done { .. }) {
                    self.varying.push((r, reply));
                } else {
                    let _ = reply.send(r);
                }
            }
            Input::Reload(path) => self.begin_reload(path, "SIGHUP", None),
            Input::HandOver(reply) => {
                let _ = reply.send(self.offer());
            }
            Input::Adopt {
                dvipas,
                state,
                done,
            } => {
                self.engine.adopt(&dvipas, &state, now);
                self.adopting.push(done);
            }
            Input::Share(reply) => {
                let _ = reply.send(self.listeners.values().map(|l| l.sock.clone()).collect());
            }
            Input::HandedOver { pid, outcome } => {
                self.handing = false;
                match outcome {
                    Ok(()) => {
                        info!(
                            id = codes::HANDED_OVER.id,
                            successor = pid,
                            "handed the listening sockets over to process {pid}, which accepts now; stopping"
                        );
                        self.stop.cancel();
                    }
                    Err(why) => warn!(
                        id = codes::HAND_OVER_ABANDONED.id,
                        successor = pid,
                        "hand-over to process {pid} abandoned: {why}; going on as before"
                    ),
                }
            }
            Input::Loaded(l) => {
                let Loading {
                    path,
                    source,
                    result,
                    reply,
                } = *l;
                let r = self.reload(result, &path, source, now);
                if let Some(reply) = reply {
                    let _ = reply.send(r);
                }
            }
        }
    }

    /// The sockets and active targets for a successor.
    fn offer(&mut self) -> Result<Offer, String> {
        if self.handing {
            return Err("a hand-over is already under way".into());
        }
        if !self.shared.open.is_cancelled() {
            return Err("this distributor is itself starting from a hand-over".into());
        }
        let Some(control) = self.control_listener.clone() else {
            return Err("the distributor is stopping".into());
        };
        let mut sockets: Vec<Offered> = self
            .listeners
            .values()
            .map(|l| Offered::Tcp(l.sock.clone()))
            .collect();
        sockets.extend(self.metrics_listener.clone().map(Offered::Tcp));
        sockets.push(Offered::Unix(control));
        let quiesced = self
            .services
            .services
            .iter()
            .filter_map(|s| self.engine.service(&s.key))
            .flat_map(|v| {
                v.targets
                    .into_iter()
                    .filter(|t| t.quiesced)
                    .map(move |t| (v.key, t.endpoint))
            })
            .collect();
        self.handing = true;
        Ok(Offer {
            sockets,
            state: self.engine.persisted(),
            quiesced,
        })
    }

    /// Read and check a profile on a blocking thread; the result comes back
    /// as [`Input::Loaded`]. The control task goes on meanwhile.
    fn begin_reload(
        &mut self,
        path: Option<PathBuf>,
        source: &'static str,
        reply: Option<tokio::sync::oneshot::Sender<Reply>>,
    ) {
        let path = path.unwrap_or_else(|| self.profile.clone());
        let symbols = self.symbols.clone();
        let settings = self.shared.settings.clone();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let result = profile::load(&path, &symbols, &settings);
            let _ = tx.blocking_send(Input::Loaded(Box::new(Loading {
                path,
                source,
                result,
                reply,
            })));
        });
    }

    /// A stack of a group quiesces and resumes only for the DVIPAs it owns:
    /// the owner's choices are the group's (SPEC §7), and a takeover makes
    /// every stack keep them; why not, when the selector names another's.
    fn owned_elsewhere(&self, sel: &Selector) -> Option<String> {
        self.shared.serving.as_ref()?;
        let keys = self.engine.selected(sel).ok()?;
        let group = self.shared.group.lock().ok()?.clone()?;
        let mut foreign: Vec<std::net::IpAddr> = keys
            .iter()
            .map(|k| k.dvipa)
            .filter(|d| group.owners.get(d) != Some(&group.system))
            .collect();
        foreign.dedup();
        let d = *foreign.first()?;
        Some(match group.owners.get(&d) {
            Some(owner) => format!(
                "{} does not own {d}, {owner} does, and the owner's quiesced targets are the group's: vary it there (zosmf-ha vary ... --system {owner})",
                group.system
            ),
            None => format!(
                "no stack owns {d} yet, and only the owner's quiesced targets are the group's: vary it once a stack owns it (netstat vipadyn)"
            ),
        })
    }

    /// After each input: publish routes, start due probes, report events,
    /// save the active targets.
    fn step(&mut self) {
        // The route first: new connections follow a decision before it is
        // logged and saved (a save waits for the disk).
        self.publish();
        let now = now();
        while let Some(p) = self.engine.poll_probe(now) {
            let prober = self.prober.clone();
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let began = Instant::now();
                let outcome = prober.probe(p.endpoint, p.dvipa, p.application).await;
                let took = began.elapsed();
                let _ = tx
                    .send(Input::Probe(p.endpoint, outcome, Instant::now(), took))
                    .await;
            });
        }
        let mut persist = false;
        while let Some(e) = self.engine.poll_event() {
            log_event(&e);
            self.looks.event(codes::of(&e).id, e.to_string());
            if let Some(h) = &self.shared.hooks
                && let Some(ev) = crate::hooks::HookEvent::of(&e)
            {
                h.fire(ev);
            }
            let m = &self.shared.metrics;
            let since = |service: &ServiceKey| {
                m.active_since
                    .get_or_create(&ServiceLabels {
                        service: service.to_string(),
                    })
                    .set(crate::metrics::unix_now());
            };
            match &e.kind {
                EventKind::Switch {
                    service, reason, ..
                } => {
                    persist = true;
                    m.switches
                        .get_or_create(&SwitchLabels {
                            service: service.to_string(),
                            reason: reason.as_str().to_owned(),
                        })
                        .inc();
                    since(service);
                }
                EventKind::FirstActive { service, .. } | EventKind::Fallback { service, .. } => {
                    persist = true;
                    since(service);
                }
                _ => {}
            }
        }
        if persist && let Err(err) = self.store.save(&self.engine.persisted()) {
            warn!(
                id = codes::STATE_FILE.id,
                "cannot save the active targets in {}: {err}",
                self.store.describe()
            );
        }
        self.shared.refusals.flush(false);
        // A successor of a hand-over accepts once every first round is
        // over (its predecessor accepts meanwhile); a stack of a group
        // claims its DVIPAs then.
        if !self.engine.starting() {
            self.shared.open.cancel();
            self.shared.ready.cancel();
        }
        if self.shared.serving.is_some() {
            let states = crate::sysplex::states(&self.engine);
            if let Ok(mut g) = self.shared.group_state.lock()
                && *g != states
            {
                *g = states;
                self.shared
                    .state_gen
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        if !self.varying.is_empty() {
            let wanted = self
                .shared
                .state_gen
                .load(std::sync::atomic::Ordering::Relaxed);
            let written = self.shared.state_written.subscribe();
            for (r, reply) in self.varying.drain(..) {
                let mut written = written.clone();
                tokio::spawn(async move {
                    let stored = tokio::time::timeout(
                        std::time::Duration::from_secs(2),
                        written.wait_for(|w| *w >= wanted),
                    )
                    .await
                    .is_ok_and(|r| r.is_ok());
                    let r = match r {
                        Reply::Done { mut lines } if !stored => {
                            lines.push(
                                "(the group has not stored it yet: a takeover in the next moments may not keep it)".into(),
                            );
                            Reply::Done { lines }
                        }
                        r => r,
                    };
                    let _ = reply.send(r);
                });
            }
        }
        // The routes follow what was adopted: the group task may serve.
        for done in self.adopting.drain(..) {
            let _ = done.try_send(());
        }
    }

    /// Publish what the engine changed: the route and state gauges of each
    /// changed service only (the routing table itself is rebuilt only when
    /// the set of services changes). With evidence behind the input, the
    /// time from its arrival to the published route is measured.
    pub(crate) fn publish(&mut self) {
        let changed = self.engine.take_changed();
        let routes = self.shared.routes.load_full();
        let rebuild = changed.iter().any(|k| !routes.services.contains_key(k))
            || routes.services.len() != self.services.services.len();
        let routes = if rebuild {
            let fresh = Arc::new(self.routes());
            self.shared.routes.store(fresh.clone());
            fresh
        } else {
            routes
        };
        let keys: Vec<ServiceKey> = if rebuild {
            routes.services.keys().copied().collect()
        } else {
            changed
        };
        for key in &keys {
            let (Some(view), Some(route)) = (self.engine.service(key), routes.services.get(key))
            else {
                continue;
            };
            let targets = view
                .route
                .iter()
                .filter_map(|ep| view.targets.iter().find(|t| t.endpoint == *ep))
                .map(|t| {
                    Arc::new(RouteTarget {
                        endpoint: t.endpoint,
                        destip: t.destip,
                        stats: self.target_stats(view.key, t.endpoint),
                    })
                })
                .collect();
            route.targets.store(Arc::new(targets));
            for t in &view.targets {
                let g = &self.target_stats(view.key, t.endpoint).state;
                let b = |x: bool| i64::from(x);
                g.available
                    .set(b(t.availability == Availability::Available));
                g.listening.set(b(t.listening != Some(false)));
                g.healthy
                    .set(b(t.listening != Some(false) && t.healthy != Some(false)));
                g.quiesced.set(b(t.quiesced));
                g.active.set(b(t.active));
            }
        }
        if !keys.is_empty() {
            self.shared.route_changes.notify_one();
        }
        if let Some(at) = self.evidence.take()
            && !keys.is_empty()
        {
            self.shared
                .metrics
                .decision
                .observe(at.elapsed().as_secs_f64());
        }
    }

    /// A routing table for the services the engine has now (empty routes
    /// until `publish` fills them).
    fn routes(&mut self) -> Routes {
        let keys: Vec<ServiceKey> = self.services.services.iter().map(|s| s.key).collect();
        let mut routes = Routes::default();
        for key in keys {
            let stats = self
                .service_stats
                .entry(key)
                .or_insert_with(|| Arc::new(service_stats(&self.shared.metrics, key)))
                .clone();
            routes.services.insert(
                key,
                Arc::new(ServiceRoute {
                    targets: ArcSwap::from_pointee(Vec::new()),
                    stats,
                }),
            );
        }
        routes
    }

    /// The counters of a target of a service, made once.
    fn target_stats(&mut self, key: ServiceKey, endpoint: SocketAddr) -> Arc<TargetStats> {
        let m = &self.shared.metrics;
        self.target_stats
            .entry((key, endpoint))
            .or_insert_with(|| Arc::new(TargetStats::new(m, key, endpoint)))
            .clone()
    }

    fn view(&mut self, report: Report) -> View {
        let mut v = View {
            name: self
                .profile
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            time: display::utc_time_of_day(std::time::SystemTime::now()),
            ..View::default()
        };
        if matches!(report, Report::Vdpt | Report::Vipadcfg | Report::Status) {
            v.services = self.service_rows(report == Report::Status);
        }
        if report == Report::Status {
            v.forwarding = Some(
                if self.shared.kernel.is_some() {
                    "kernel"
                } else {
                    "proxy"
                }
                .to_owned(),
            );
            v.events = self.looks.events.iter().cloned().collect();
            v.started = crate::metrics::unix_now() - self.shared.epoch.elapsed().as_secs_f64();
            v.pid = std::process::id();
        }
        if report == Report::Vcrt
            && let Some(k) = &self.shared.kernel
        {
            // Kernel forwarding: conntrack's own table (connections made
            // before this process started included).
            match crate::forward::connections(k) {
                Ok(flows) => {
                    v.connections = flows
                        .into_iter()
                        .map(|(key, f)| ConnRow {
                            dest: SocketAddr::new(key.dvipa, key.port),
                            source: f.client,
                            dest_xcf: self.destip_of(key, f.target),
                            target: f.target,
                        })
                        .collect();
                }
                Err(e) => warn!(id = codes::KERNEL_TROUBLE.id, "netstat vcrt: {e}"),
            }
            v.connections.sort_by_key(|c| (c.dest, c.source));
        } else if report == Report::Vcrt {
            let conns = self.shared.conns.lock().unwrap_or_else(|p| p.into_inner());
            v.connections = conns
                .values()
                .map(|c| ConnRow {
                    dest: SocketAddr::new(c.service.dvipa, c.service.port),
                    source: c.client,
                    dest_xcf: c.destip,
                    target: c.endpoint,
                })
                .collect();
            v.connections.sort_by_key(|c| (c.dest, c.source));
        }
        if report == Report::Vipadcfg {
            v.vipas = self.stack.vipas.iter().map(vipa_row).collect();
        }
        if matches!(report, Report::Vipadyn | Report::Status) {
            let group = self.shared.group.lock().ok().and_then(|g| g.clone());
            let distributed: std::collections::BTreeSet<std::net::IpAddr> =
                self.services.services.iter().map(|s| s.key.dvipa).collect();
            v.vipadyn = self
                .stack
                .vipas
                .iter()
                .map(|vi| {
                    let row = vipa_row(vi);
                    let addr = vi.addr.value;
                    VipaDynRow {
                        addr,
                        active: distributed.contains(&addr) && self.shared.serves(addr),
                        origin: row.kind,
                        rank: row.rank.unwrap_or(255),
                        moveable: row.moveable,
                        owner: group.as_ref().and_then(|g| g.owners.get(&addr).cloned()),
                        distributed: distributed.contains(&addr),
                    }
                })
                .collect();
        }
        // The group, as this stack sees it, in its VIPA displays.
        if matches!(report, Report::Vipadyn | Report::Vipadcfg | Report::Status)
            && let Some(g) = self.shared.group.lock().ok().and_then(|g| g.clone())
        {
            v.system = Some(g.system);
            v.members = g.members;
        }
        v
    }

    /// The DESTIP of the target at `endpoint` of a service (the endpoint's
    /// address when the profile does not have it).
    fn destip_of(&self, key: ServiceKey, endpoint: SocketAddr) -> std::net::IpAddr {
        self.services
            .services
            .iter()
            .find(|s| s.key == key)
            .and_then(|s| s.targets.iter().find(|t| t.endpoint == endpoint))
            .map_or(endpoint.ip(), |t| t.destip)
    }

    fn service_rows(&mut self, looks: bool) -> Vec<ServiceRow> {
        let m = self.shared.metrics.clone();
        let now = Instant::now();
        let snapshot = self.engine.snapshot();
        let mut rows: Vec<ServiceRow> = snapshot
            .services
            .into_iter()
            .map(|s| {
                let d = self.stack.distributions.iter().find(|d| {
                    d.dvipa.value == s.key.dvipa
                        && d.ports
                            .iter()
                            .any(|r| (r.value.lo..=r.value.hi).contains(&s.key.port))
                });
                ServiceRow {
                    dest: SocketAddr::new(s.key.dvipa, s.key.port),
                    dist_method: DistMethod::HotStandby,
                    auto_switch_back: s.switchback,
                    health_switch: s.healthswitch,
                    sys_pt: d.is_some_and(|d| d.sysplexports),
                    tim_aff: d.map_or(0, |d| d.timedaffinity),
                    opt_loc: d.and_then(|d| d.optlocal),
                    active: s.active,
                    starting: s.starting,
                    targets: s
                        .targets
                        .iter()
                        .map(|t| {
                            let l = m.labels(&s.key, t.endpoint);
                            let flag = match (t.active, t.availability) {
                                (_, Availability::Quiesced) => Flag::Quiesced,
                                (true, _) => Flag::Active,
                                (false, Availability::Available) => Flag::Backup,
                                (false, _) => Flag::Unavailable,
                            };
                            let (srv_type, rank) = match t.role {
                                zha_standby::TargetRole::Preferred => (SrvType::Preferred, None),
                                zha_standby::TargetRole::Backup(r) => (SrvType::Backup, Some(r)),
                            };
                            TargetRow {
                                dest_xcf: t.destip,
                                target: t.endpoint,
                                system: t.system.clone(),
                                srv_type,
                                rank,
                                flag,
                                ready: u32::from(t.listening != Some(false)),
                                tsr: if t.availability == Availability::Available {
                                    100
                                } else {
                                    0
                                },
                                listening: t.listening,
                                healthy: t.healthy,
                                total_conn: m.connections.get_or_create(&l).get(),
                                active_conn: u64::try_from(
                                    m.connections_active.get_or_create(&l).get(),
                                )
                                .unwrap_or(0),
                                probe: None,
                                rate: 0.0,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        if looks {
            for r in &mut rows {
                let key = ServiceKey {
                    dvipa: r.dest.ip(),
                    port: r.dest.port(),
                };
                for t in &mut r.targets {
                    t.probe = self.looks.probes.get(&t.target).cloned();
                    t.rate = self.looks.rate(key, t.target, t.total_conn, now);
                }
            }
        }
        rows
    }

    fn request(&mut self, req: Request, now: Instant) -> Reply {
        match req {
            Request::Netstat { report } => Reply::View(self.view(report)),
            Request::Vary {
                action,
                target,
                port,
                force,
            } => {
                let sel = Selector { target, port };
                if let Some(why) = self.owned_elsewhere(&sel) {
                    return Reply::refused(why);
                }
                let res = match action {
                    VaryAction::Quiesce => self.engine.quiesce(&sel, force, now),
                    VaryAction::Resume => self.engine.resume(&sel, now),
                };
                let verb = match action {
                    VaryAction::Quiesce => "quiesced",
                    VaryAction::Resume => "resumed",
                };
                match res {
                    Ok(hit) if hit.is_empty() => Reply::Done {
                        lines: vec![match action {
                            VaryAction::Quiesce => format!("{} is already quiesced", sel.target),
                            VaryAction::Resume => {
                                format!("{} is not quiesced: nothing to resume", sel.target)
                            }
                        }],
                    },
                    Ok(hit) => Reply::Done {
                        lines: hit
                            .iter()
                            .map(|(k, t)| format!("{verb} {t} for {k}"))
                            .collect(),
                    },
                    Err(e) => Reply::refused(e.to_string()),
                }
            }
            // Answered when the profile is read (begin_reload).
            Request::Reload { .. } => Reply::refused("a reload is handled apart"),
            Request::HandOver { .. } | Request::Share { .. } | Request::Group { .. } => {
                Reply::refused("a hand-over or a share is handled apart")
            }
        }
    }

    /// Replace the running profile by a changed one, as a diff; log the
    /// outcome whoever asked. An invalid profile, or one whose new ports
    /// cannot be bound, changes nothing.
    fn reload(
        &mut self,
        loaded: Result<Loaded, ProfileError>,
        path: &std::path::Path,
        source: &str,
        now: Instant,
    ) -> Reply {
        match loaded
            .map_err(ReloadError::Profile)
            .and_then(|l| self.try_reload(l, path, now))
        {
            Ok(lines) => {
                info!(
                    id = codes::RELOADED.id,
                    source,
                    profile = %path.display(),
                    "reload ({source}) of {}: {}",
                    path.display(),
                    lines.join("; ")
                );
                Reply::Done { lines }
            }
            Err(e) => {
                error!(
                    id = codes::RELOAD_REJECTED.id,
                    source,
                    profile = %path.display(),
                    "reload ({source}) rejected; kept the running configuration: {}",
                    e.summary()
                );
                Reply::refused(format!("{}\nkept the running configuration", e.full()))
            }
        }
    }

    fn try_reload(
        &mut self,
        loaded: Loaded,
        path: &std::path::Path,
        now: Instant,
    ) -> Result<Vec<String>, ReloadError> {
        // A stack of a sysplex group published its claims and shares its
        // listening sockets: a reload may change targets and settings, not
        // which DVIPA:ports it distributes or how it defines them (yet).
        if self.shared.serving.is_some() {
            let ports =
                |l: &[crate::services::ListenerSpec]| -> std::collections::BTreeSet<ServiceKey> {
                    l.iter().map(|x| x.key).collect()
                };
            let vipas = |s: &zha_tcpip::Stack| -> Vec<(std::net::IpAddr, String)> {
                let mut v: Vec<_> = s
                    .vipas
                    .iter()
                    .map(|v| (v.addr.value, format!("{:?} {:?}", v.owner, v.moveable)))
                    .collect();
                v.sort();
                v
            };
            if ports(&loaded.services.listeners) != ports(&self.services.listeners)
                || vipas(&loaded.stack) != vipas(&self.stack)
            {
                return Err(ReloadError::Group(
                    "this stack is in a sysplex group (--system): a reload may change targets and settings, not its DVIPAs, ports, VIPADEFINE or VIPABACKUP; restart the stack for that (the group moves its DVIPAs meanwhile)".into(),
                ));
            }
        }
        // Kernel forwarding: check what it needs of the new profile (all or
        // nothing); it binds no port. The proxy binds the new ports before
        // changing anything.
        if self.shared.kernel.is_some() {
            crate::forward::check(&loaded.services.services)
                .map_err(|e| ReloadError::Kernel(e.to_string()))?;
        }
        let opts = self.shared.opts;
        let mut new_listeners = Vec::new();
        for l in &loaded.services.listeners {
            if self.shared.kernel.is_none() && !self.listeners.contains_key(&l.key) {
                let sock = listener::bind(l.bind, opts).map_err(ReloadError::Bind)?;
                new_listeners.push((l.clone(), sock));
            }
        }
        for s in &loaded.services.skipped {
            warn!(id = codes::NOT_RUN.id, "{s}");
        }
        let diff = self.engine.reconfigure(
            Config {
                services: loaded.services.services.clone(),
                probe: probe_spec(&self.shared, &self.prober),
            },
            now,
        );
        let keep: Vec<ServiceKey> = loaded.services.listeners.iter().map(|l| l.key).collect();
        let mut stopped = Vec::new();
        let fdstore = self.fdstore;
        self.listeners.retain(|key, t| {
            let k = keep.contains(key);
            if !k {
                t.stop.cancel();
                stopped.push(format!("{key} on {}", t.bind));
                store_warn(fdstore.remove(&handover::store_name(t.bind)));
            }
            k
        });
        let mut started = Vec::new();
        for (l, sock) in new_listeners {
            started.push(format!("{} on {}", l.key, l.bind));
            self.spawn_listener(l.key, sock);
        }
        self.stack = loaded.stack;
        self.services = loaded.services;
        name_systems(&self.shared.metrics, &self.services);
        // Rates of targets the new profile no longer has go.
        let kept: std::collections::HashSet<(ServiceKey, SocketAddr)> = self
            .services
            .services
            .iter()
            .flat_map(|s| s.targets.iter().map(move |t| (s.key, t.endpoint)))
            .collect();
        self.looks.samples.retain(|k, _| kept.contains(k));
        self.profile = path.to_path_buf();
        let mut lines = vec![format!("reloaded {}: {}", path.display(), diff.summary())];
        if !started.is_empty() {
            lines.push(format!("now listening: {}", started.join(", ")));
        }
        if !stopped.is_empty() {
            lines.push(format!(
                "no longer listening: {} (open connections continue)",
                stopped.join(", ")
            ));
        }
        Ok(lines)
    }

    /// Accept clients for `key` on `sock` until the listener or the
    /// distributor stops.
    pub(crate) fn spawn_listener(&mut self, key: ServiceKey, sock: TcpListener) {
        let stop = self.stop.child_token();
        let bind = sock
            .local_addr()
            .unwrap_or(SocketAddr::new(key.dvipa, key.port));
        info!(
            id = codes::LISTENING.id,
            service = %key,
            listen = %bind,
            "listening for {key} on {bind}"
        );
        let sock = Arc::new(sock);
        store_warn(
            self.fdstore
                .store(&handover::store_name(bind), sock.as_fd()),
        );
        self.listeners.insert(
            key,
            ListenerTask {
                bind,
                stop: stop.clone(),
                sock: sock.clone(),
            },
        );
        let shared = self.shared.clone();
        let tracker = self.tracker.clone();
        self.tracker
            .spawn(listener::accept_loop(sock, key, shared, tracker, stop));
    }
}

/// A socket systemd's store did not take: restarts may refuse clients.
pub(crate) fn store_warn(r: std::io::Result<()>) {
    if let Err(e) = r {
        warn!(
            id = codes::FD_STORE.id,
            "cannot keep a listening socket in systemd's file descriptor store: {e}; a restart may refuse clients"
        );
    }
}

/// The counters of a service, shared by every routing table.
fn service_stats(m: &Metrics, key: ServiceKey) -> ServiceStats {
    // Every switch reason from the start: a first switch is an increase.
    for r in zha_standby::SwitchReason::ALL {
        let _ = m.switches.get_or_create_owned(&SwitchLabels {
            service: key.to_string(),
            reason: r.as_str().to_owned(),
        });
    }
    let refused = Refusal::ALL.map(|why| {
        m.rejected.get_or_create_owned(&RejectLabels {
            service: key.to_string(),
            reason: why.label().into(),
        })
    });
    ServiceStats {
        retries: m.retries.get_or_create_owned(&ServiceLabels {
            service: key.to_string(),
        }),
        refused,
    }
}

/// The metrics' labels name each target's system.
pub(crate) fn name_systems(m: &Metrics, services: &Services) {
    m.name_systems(services.services.iter().flat_map(|s| {
        s.targets
            .iter()
            .filter_map(|t| Some((t.endpoint, t.system.clone()?)))
    }));
}

fn vipa_row(v: &zha_tcpip::Vipa) -> VipaRow {
    VipaRow {
        addr: v.addr.value,
        prefix_len: v.prefix_len,
        kind: match v.owner {
            VipaOwner::Define => VipaKind::Define,
            VipaOwner::Backup(_) => VipaKind::Backup,
        },
        rank: match v.owner {
            VipaOwner::Define => None,
            VipaOwner::Backup(r) => Some(r),
        },
        moveable: match v.moveable {
            Some(zha_tcpip::Moveable::WhenIdle) => Moveable::WhenIdle,
            _ => Moveable::Immediate,
        },
    }
}

/// Log an engine event with its id, severity and fields: the DVIPA..port
/// (`service`), the target's endpoint, DESTIP and system, where a switch
/// came `from`, and the `reason`.
fn log_event(e: &Event) {
    let msg = codes::of(e);
    let service = e.service().map(|s| s.to_string());
    let target = e.target();
    let endpoint = target.map(|t| t.endpoint.to_string());
    let destip = target.map(|t| t.destip.to_string());
    let system = target.and_then(|t| t.system.clone());
    let from = match &e.kind {
        EventKind::Switch { from, .. } | EventKind::Fallback { from, .. } => {
            from.as_ref().map(|f| f.endpoint.to_string())
        }
        _ => None,
    };
    let reason = e.reason();
    macro_rules! emit {
        ($level:ident) => {
            $level!(
                id = msg.id,
                service = service.as_deref(),
                target = endpoint.as_deref(),
                destip = destip.as_deref(),
                system = system.as_deref(),
                from = from.as_deref(),
                reason = reason.as_deref(),
                "{e}"
            )
        };
    }
    match msg.severity() {
        Severity::Error => emit!(error),
        Severity::Warning => emit!(warn),
        Severity::Info => emit!(info),
    }
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
