//! The daemon: the control task that owns the engine, one accept loop per
//! DVIPA:port, one task per client connection, the control socket, metrics,
//! signals and draining.
//!
//! Connection tasks read the routing table from an `ArcSwap` the control
//! task publishes after every engine step: no lock on the accept path.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use arc_swap::ArcSwap;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};
use zha_standby::{Config, Engine, EventKind, ProbeOutcome, ProbeSpec, Selector, ServiceKey};
use zha_tcpip::{Stack, VipaOwner};

use crate::config::Settings;
use crate::control::{self, Reply, Request};
use crate::display::{self, ConnRow, View, VipaRow};
use crate::metrics::{self, Metrics, RejectLabels, ServiceLabels};
use crate::plan::{ListenerSpec, Plan};
use crate::probe::Prober;
use crate::{conn, profile, state};

/// Everything `run` needs.
pub struct Options {
    pub profile: PathBuf,
    pub settings: Settings,
    /// System symbols for the profile.
    pub symbols: zha_diag::symbols::Symbols,
    /// Handle SIGTERM/SIGINT (stop and drain) and SIGHUP (reload).
    pub signals: bool,
}

/// One target of a service as the data path sees it.
pub struct Candidate {
    pub endpoint: SocketAddr,
    pub destip: IpAddr,
    pub stats: Arc<TargetStats>,
}

/// Counters of one target of one service (also shown by NETSTAT).
pub struct TargetStats {
    pub total: Counter,
    pub active: Gauge,
    pub failures: Counter,
    pub lost: Counter,
}

pub struct ServiceStats {
    pub retries: Counter,
    pub rejected_none: Counter,
    pub rejected_failed: Counter,
    pub rejected_limit: Counter,
}

/// The routing table: per service, the candidates in the order to try.
#[derive(Default)]
pub struct Routes {
    pub services: HashMap<ServiceKey, (Vec<Arc<Candidate>>, Arc<ServiceStats>)>,
}

/// A connection in the VCRT.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub service: ServiceKey,
    pub client: SocketAddr,
    pub destip: IpAddr,
    pub endpoint: SocketAddr,
}

/// What connection tasks share.
pub struct Shared {
    pub routes: ArcSwap<Routes>,
    pub conns: Mutex<HashMap<u64, ConnInfo>>,
    pub next_conn: AtomicU64,
    pub metrics: Arc<Metrics>,
    pub settings: Settings,
    pub inputs: mpsc::Sender<Input>,
    pub limit: Arc<Semaphore>,
    /// Cancelled when draining is over: connections still open are closed.
    pub hard_stop: CancellationToken,
    /// Accept loops wait until this instant (milliseconds since `epoch`):
    /// set when the process runs out of descriptors.
    pub paused_until: AtomicU64,
    pub epoch: Instant,
}

impl Shared {
    /// Stop accepting for a moment: the process is out of local resources.
    pub fn pause_accepts(&self) {
        let until = self.epoch.elapsed() + ACCEPT_PAUSE;
        self.paused_until.fetch_max(
            u64::try_from(until.as_millis()).unwrap_or(u64::MAX),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    fn pause_left(&self) -> Duration {
        let until =
            Duration::from_millis(self.paused_until.load(std::sync::atomic::Ordering::Relaxed));
        until.saturating_sub(self.epoch.elapsed())
    }
}

/// How long accepting pauses when the process is out of local resources.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// What the control task is told.
pub enum Input {
    Probe(SocketAddr, ProbeOutcome),
    ConnectFailed(SocketAddr, String),
    Request(Request, oneshot::Sender<Reply>),
    Reload(Option<PathBuf>, Option<oneshot::Sender<Reply>>),
}

/// A distributor started: its listeners are bound and its control socket
/// is up. Stop it by cancelling `stop`; `done` resolves when it is over.
pub struct Running {
    pub control_socket: PathBuf,
    pub listeners: Vec<(ServiceKey, SocketAddr)>,
    pub metrics_addr: Option<SocketAddr>,
    pub done: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Load the profile, bind everything, and start. Errors here (a profile
/// with errors, a port in use) mean nothing started.
pub async fn start(opts: Options, stop: CancellationToken) -> anyhow::Result<Running> {
    let settings = opts.settings;
    let loaded =
        profile::load(&opts.profile, &opts.symbols, &settings).map_err(|e| anyhow::anyhow!(e))?;
    for s in &loaded.plan.skipped {
        warn!(id = "ZHA3011W", "{s}");
    }
    let prober = Prober::new(settings.probe.timeout, settings.probe.http.as_ref())?;
    let probe_spec = probe_spec(&settings, &prober);

    // Bind first: nothing runs unless every port is ours.
    let mut bound = Vec::new();
    for l in &loaded.plan.listeners {
        bound.push((l.clone(), bind(l.bind, settings.connect.keepalive)?));
    }
    let state_dir = settings.state_dir();
    std::fs::create_dir_all(&state_dir)
        .with_context(|| format!("cannot create the state folder {}", state_dir.display()))?;
    let socket_path = settings.control_socket();
    let control = control::bind(&socket_path).await?;
    let metrics_listener = match settings.metrics.address {
        Some(a) => Some(
            TcpListener::bind(a)
                .await
                .with_context(|| format!("cannot listen for metrics on {a}"))?,
        ),
        None => None,
    };
    let metrics_addr = metrics_listener.as_ref().and_then(|l| l.local_addr().ok());

    let (persisted, warning) = state::load(&state_dir);
    if let Some(w) = warning {
        warn!(id = "ZHA3012W", "{w}");
    }
    let now = tokio::time::Instant::now().into_std();
    let engine = Engine::new(
        Config {
            services: loaded.plan.services.clone(),
            probe: probe_spec,
        },
        persisted,
        now,
    );

    let (tx, rx) = mpsc::channel(4096);
    let metrics = Arc::new(Metrics::new());
    let shared = Arc::new(Shared {
        routes: ArcSwap::from_pointee(Routes::default()),
        conns: Mutex::new(HashMap::new()),
        next_conn: AtomicU64::new(1),
        metrics: metrics.clone(),
        limit: Arc::new(Semaphore::new(settings.limits.max_connections.max(1))),
        settings: settings.clone(),
        inputs: tx.clone(),
        hard_stop: CancellationToken::new(),
        paused_until: AtomicU64::new(0),
        epoch: Instant::now(),
    });
    let tracker = TaskTracker::new();
    let listeners: Vec<(ServiceKey, SocketAddr)> = bound
        .iter()
        .map(|(l, sock)| (l.key, sock.local_addr().unwrap_or(l.bind)))
        .collect();
    let mut ctl = Control {
        engine,
        shared: shared.clone(),
        prober,
        stack: loaded.stack,
        plan: loaded.plan,
        profile: opts.profile.clone(),
        symbols: opts.symbols,
        name: opts
            .profile
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        state_dir,
        listeners: HashMap::new(),
        tracker: tracker.clone(),
        stop: stop.clone(),
        tx: tx.clone(),
    };
    for (l, sock) in bound {
        ctl.spawn_listener(l, sock);
    }
    ctl.publish();
    for (key, addr) in &listeners {
        info!(id = "ZHA3013I", service = %key, listen = %addr, "listening for {key} on {addr}");
    }

    let control_task = tokio::spawn(control::serve(control, tx.clone(), stop.clone()));
    if opts.signals {
        tokio::spawn(signals(tx.clone(), stop.clone()));
    }
    if let Some(l) = metrics_listener {
        tokio::spawn(metrics::serve(l, metrics.clone(), stop.clone()));
    }
    let sock_for_cleanup = socket_path.clone();
    let drain = settings.limits.drain_timeout;
    let done = tokio::spawn(async move {
        ctl.run(rx).await;
        // Stop accepting (the listeners watch `stop`), then let open
        // connections finish within the drain time.
        tracker.close();
        let open = shared.conns.lock().map(|m| m.len()).unwrap_or(0);
        if open > 0 {
            info!(
                id = "ZHA3014I",
                "draining {open} open connection(s) for up to {}",
                humantime::format_duration(drain)
            );
        }
        if tokio::time::timeout(drain, tracker.wait()).await.is_err() {
            warn!(
                id = "ZHA3015W",
                "drain time over: closing the connections still open"
            );
            shared.hard_stop.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(2), tracker.wait()).await;
        }
        control_task.abort();
        let _ = std::fs::remove_file(&sock_for_cleanup);
        info!(id = "ZHA3016I", "stopped");
        Ok(())
    });
    Ok(Running {
        control_socket: socket_path,
        listeners,
        metrics_addr,
        done,
    })
}

fn probe_spec(settings: &Settings, prober: &Prober) -> ProbeSpec {
    ProbeSpec {
        interval: settings.probe.interval,
        timeout: settings.probe.timeout,
        rise: settings.probe.rise,
        fall: settings.probe.fall,
        application: prober.application(),
    }
}

/// Bind a listener with SO_REUSEADDR and a deep backlog. TCP_NODELAY and
/// keepalive are set here once: accepted sockets inherit them. Needs a
/// tokio runtime (for the registration), but never waits.
pub fn bind(addr: SocketAddr, keepalive: Duration) -> anyhow::Result<TcpListener> {
    let sock = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    sock.set_reuse_address(true)?;
    crate::conn::tune(&sock, keepalive);
    sock.set_nonblocking(true)?;
    sock.bind(&addr.into()).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::PermissionDenied && addr.port() < 1024 {
            " (a port below 1024 needs root: remap it in the settings, e.g. [listen] ports = { 443 = 8443 })"
        } else if e.raw_os_error() == Some(99) {
            " (the address is not on this machine: set [listen] address in the settings)"
        } else {
            ""
        };
        anyhow::anyhow!("cannot listen on {addr}: {e}{hint}")
    })?;
    sock.listen(4096)?;
    Ok(TcpListener::from_std(sock.into())?)
}

struct ListenerTask {
    key: ServiceKey,
    stop: CancellationToken,
}

struct Control {
    engine: Engine,
    shared: Arc<Shared>,
    prober: Prober,
    stack: Stack,
    plan: Plan,
    profile: PathBuf,
    symbols: zha_diag::symbols::Symbols,
    name: String,
    state_dir: PathBuf,
    listeners: HashMap<SocketAddr, ListenerTask>,
    tracker: TaskTracker,
    stop: CancellationToken,
    tx: mpsc::Sender<Input>,
}

impl Control {
    async fn run(&mut self, mut rx: mpsc::Receiver<Input>) {
        self.step();
        loop {
            let deadline = self
                .engine
                .poll_timeout()
                .map(tokio::time::Instant::from_std);
            tokio::select! {
                _ = self.stop.cancelled() => break,
                input = rx.recv() => match input {
                    Some(i) => self.input(i),
                    None => break,
                },
                _ = sleep_until(deadline) => {
                    self.engine.handle_timeout(tokio::time::Instant::now().into_std());
                }
            }
            self.step();
        }
        for l in self.listeners.values() {
            l.stop.cancel();
        }
    }

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn input(&mut self, i: Input) {
        let now = self.now();
        match i {
            Input::Probe(ep, outcome) => self.engine.probe_result(ep, outcome, now),
            Input::ConnectFailed(ep, why) => self.engine.connect_failed(ep, &why, now),
            Input::Request(req, reply) => {
                let r = self.request(req, now);
                let _ = reply.send(r);
            }
            Input::Reload(path, reply) => {
                let r = self.reload(path, now);
                match reply {
                    Some(reply) => {
                        let _ = reply.send(r);
                    }
                    None => match r {
                        Reply {
                            ok: true, output, ..
                        } => info!(id = "ZHA3017I", "reload (SIGHUP): {}", output.trim()),
                        Reply { error, .. } => error!(
                            id = "ZHA3018E",
                            "reload (SIGHUP) rejected: {}",
                            error.unwrap_or_default()
                        ),
                    },
                }
            }
        }
    }

    /// After each input: start due probes, report events, publish routes.
    fn step(&mut self) {
        let now = self.now();
        let mut dvipa_of: HashMap<SocketAddr, IpAddr> = HashMap::new();
        for s in &self.plan.services {
            for t in &s.targets {
                dvipa_of.entry(t.endpoint).or_insert(s.key.dvipa);
            }
        }
        while let Some(p) = self.engine.poll_probe(now) {
            let prober = self.prober.clone();
            let tx = self.tx.clone();
            let dvipa = dvipa_of
                .get(&p.endpoint)
                .copied()
                .unwrap_or(p.endpoint.ip());
            tokio::spawn(async move {
                let outcome = prober.probe(p.endpoint, dvipa, p.application).await;
                let _ = tx.send(Input::Probe(p.endpoint, outcome)).await;
            });
        }
        let mut persist = false;
        while let Some(e) = self.engine.poll_event() {
            let id = e.id();
            match e.severity() {
                zha_standby::Severity::Error => error!(id, "{e}"),
                zha_standby::Severity::Warning => warn!(id, "{e}"),
                zha_standby::Severity::Info => info!(id, "{e}"),
            }
            if let EventKind::Switch { service, .. } = &e.kind {
                persist = true;
                self.shared
                    .metrics
                    .switches
                    .get_or_create(&ServiceLabels {
                        service: service.to_string(),
                    })
                    .inc();
            }
        }
        if persist && let Err(err) = state::save(&self.state_dir, &self.engine.persisted()) {
            warn!(
                id = "ZHA3012W",
                "cannot save the active targets in {}: {err}",
                self.state_dir.display()
            );
        }
        self.publish();
    }

    /// Publish the routing table and the state gauges.
    fn publish(&self) {
        let snap = self.engine.snapshot();
        let m = &self.shared.metrics;
        let mut routes = Routes::default();
        for s in &snap.services {
            let svc_labels = ServiceLabels {
                service: s.key.to_string(),
            };
            let stats = Arc::new(ServiceStats {
                retries: m.retries.get_or_create_owned(&svc_labels),
                rejected_none: m.rejected.get_or_create_owned(&RejectLabels {
                    service: s.key.to_string(),
                    reason: "no_target".into(),
                }),
                rejected_failed: m.rejected.get_or_create_owned(&RejectLabels {
                    service: s.key.to_string(),
                    reason: "all_connects_failed".into(),
                }),
                rejected_limit: m.rejected.get_or_create_owned(&RejectLabels {
                    service: s.key.to_string(),
                    reason: "connection_limit".into(),
                }),
            });
            let cands = s
                .route
                .iter()
                .map(|ep| {
                    let l = metrics::labels(&s.key, *ep);
                    Arc::new(Candidate {
                        endpoint: *ep,
                        destip: self.destip(&s.key, *ep),
                        stats: Arc::new(TargetStats {
                            total: m.connections.get_or_create_owned(&l),
                            active: m.connections_active.get_or_create_owned(&l),
                            failures: m.connect_failures.get_or_create_owned(&l),
                            lost: m.lost_in_flight.get_or_create_owned(&l),
                        }),
                    })
                })
                .collect();
            routes.services.insert(s.key, (cands, stats));
            for t in &s.targets {
                let l = metrics::labels(&s.key, t.endpoint);
                let b = |x: bool| i64::from(x);
                m.available
                    .get_or_create(&l)
                    .set(b(t.availability == zha_standby::Availability::Available));
                m.listening
                    .get_or_create(&l)
                    .set(b(t.listening != Some(false)));
                m.healthy.get_or_create(&l).set(b(t.healthy != Some(false)));
                m.quiesced.get_or_create(&l).set(b(t.quiesced));
                m.active_target.get_or_create(&l).set(b(t.active));
            }
        }
        self.shared.routes.store(Arc::new(routes));
    }

    /// The DESTIP address behind an endpoint (they differ when [targets]
    /// remaps DESTIP:port).
    fn destip(&self, key: &ServiceKey, ep: SocketAddr) -> IpAddr {
        self.plan
            .services
            .iter()
            .find(|s| s.key == *key)
            .and_then(|s| s.targets.iter().find(|t| t.endpoint == ep))
            .and_then(|t| {
                self.shared
                    .settings
                    .targets
                    .iter()
                    .find(|(_, v)| **v == t.endpoint)
                    .and_then(|(k, _)| k.parse::<SocketAddr>().ok())
                    .map(|a| a.ip())
            })
            .unwrap_or(ep.ip())
    }

    fn view(&self) -> View {
        let snap = self.engine.snapshot();
        let m = &self.shared.metrics;
        let services = display::service_rows(
            &snap,
            |k, ep| self.destip(k, ep),
            |k, ep| {
                let l = metrics::labels(k, ep);
                (
                    m.connections.get_or_create(&l).get(),
                    u64::try_from(m.connections_active.get_or_create(&l).get()).unwrap_or(0),
                )
            },
        );
        let connections = {
            let conns = self.shared.conns.lock().unwrap_or_else(|p| p.into_inner());
            let mut v: Vec<ConnRow> = conns
                .values()
                .map(|c| ConnRow {
                    dest: c.service.to_string(),
                    source: c.client,
                    dest_xcf: c.destip,
                    endpoint: c.endpoint,
                })
                .collect();
            v.sort_by_key(|c| (c.dest.clone(), c.source));
            v
        };
        let vipas = self
            .stack
            .vipas
            .iter()
            .map(|v| VipaRow {
                addr: v.addr.value,
                kind: match v.owner {
                    VipaOwner::Define => "Define",
                    VipaOwner::Backup(_) => "Backup",
                },
                rank: match v.owner {
                    VipaOwner::Define => None,
                    VipaOwner::Backup(r) => Some(r),
                },
                moveable: match v.moveable {
                    Some(zha_tcpip::Moveable::WhenIdle) => "WhenIdle",
                    _ => "Immediate",
                },
            })
            .collect();
        View {
            name: self.name.clone(),
            time: display::utc_time_of_day(std::time::SystemTime::now()),
            services,
            connections,
            vipas,
        }
    }

    fn request(&mut self, req: Request, now: Instant) -> Reply {
        match req {
            Request::Netstat {
                report,
                detail,
                json,
            } => {
                let v = self.view();
                let output = if json {
                    let value = match report.as_str() {
                        "vcrt" => serde_json::to_value(&v.connections),
                        "vipadcfg" => {
                            Ok(serde_json::json!({"vipas": &v.vipas, "distribute": &v.services}))
                        }
                        _ => serde_json::to_value(&v.services),
                    };
                    match value.and_then(|x| serde_json::to_string_pretty(&x)) {
                        Ok(s) => s + "\n",
                        Err(e) => return Reply::err(e.to_string()),
                    }
                } else {
                    match report.as_str() {
                        "vcrt" => display::vcrt(&v, detail),
                        "vipadcfg" => display::vipadcfg(&v, detail),
                        "vdpt" => display::vdpt(&v, detail),
                        other => {
                            return Reply::err(format!(
                                "unknown report {other}: vdpt, vcrt or vipadcfg"
                            ));
                        }
                    }
                };
                Reply::ok(output)
            }
            Request::Vary {
                quiesce,
                target,
                port,
            } => {
                let sel = Selector { target, port };
                let res = if quiesce {
                    self.engine.quiesce(&sel, now)
                } else {
                    self.engine.resume(&sel, now)
                };
                match res {
                    Ok(hit) if hit.is_empty() => Reply::ok(format!(
                        "{} is already {}\n",
                        sel.target,
                        if quiesce {
                            "quiesced"
                        } else {
                            "active (not quiesced)"
                        }
                    )),
                    Ok(hit) => {
                        let lines: Vec<String> = hit
                            .iter()
                            .map(|(k, e)| {
                                format!(
                                    "{} {e} for {k}",
                                    if quiesce { "quiesced" } else { "resumed" }
                                )
                            })
                            .collect();
                        Reply::ok(lines.join("\n") + "\n")
                    }
                    Err(e) => Reply::err(e.to_string()),
                }
            }
            Request::Reload { profile } => self.reload(profile, now),
        }
    }

    /// Replace the running profile by a changed one, as a diff. An invalid
    /// profile, or one whose new ports cannot be bound, changes nothing.
    fn reload(&mut self, path: Option<PathBuf>, now: Instant) -> Reply {
        let path = path.unwrap_or_else(|| self.profile.clone());
        let loaded = match profile::load(&path, &self.symbols, &self.shared.settings) {
            Ok(l) => l,
            Err(e) => return Reply::err(format!("{e}\nnothing was changed")),
        };
        // Bind the new ports before changing anything.
        let mut new_listeners = Vec::new();
        for l in &loaded.plan.listeners {
            if self.listeners.contains_key(&l.bind) {
                continue;
            }
            match std::net::TcpListener::bind(l.bind).and_then(|s| {
                s.set_nonblocking(true)?;
                TcpListener::from_std(s)
            }) {
                Ok(sock) => new_listeners.push((l.clone(), sock)),
                Err(e) => {
                    return Reply::err(format!(
                        "cannot listen on {}: {e}\nnothing was changed",
                        l.bind
                    ));
                }
            }
        }
        let diff = self.engine.reconfigure(
            Config {
                services: loaded.plan.services.clone(),
                probe: probe_spec(&self.shared.settings, &self.prober),
            },
            now,
        );
        let keep: Vec<SocketAddr> = loaded.plan.listeners.iter().map(|l| l.bind).collect();
        let mut stopped = Vec::new();
        self.listeners.retain(|addr, t| {
            let k = keep.contains(addr);
            if !k {
                t.stop.cancel();
                stopped.push(format!("{} on {addr}", t.key));
            }
            k
        });
        let mut started = Vec::new();
        for (l, sock) in new_listeners {
            started.push(format!("{} on {}", l.key, l.bind));
            self.spawn_listener(l, sock);
        }
        self.stack = loaded.stack;
        self.plan = loaded.plan;
        self.profile = path.clone();
        self.name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut out = format!("reloaded {}: {}\n", path.display(), diff.summary());
        if !started.is_empty() {
            out.push_str(&format!("now listening: {}\n", started.join(", ")));
        }
        if !stopped.is_empty() {
            out.push_str(&format!(
                "no longer listening: {} (open connections continue)\n",
                stopped.join(", ")
            ));
        }
        Reply::ok(out)
    }

    fn spawn_listener(&mut self, l: ListenerSpec, sock: TcpListener) {
        let stop = self.stop.child_token();
        let bind = sock.local_addr().unwrap_or(l.bind);
        self.listeners.insert(
            bind,
            ListenerTask {
                key: l.key,
                stop: stop.clone(),
            },
        );
        let shared = self.shared.clone();
        let tracker = self.tracker.clone();
        let key = l.key;
        self.tracker
            .spawn(accept_loop(sock, key, shared, tracker, stop));
    }
}

/// SIGTERM and SIGINT stop (and drain); SIGHUP reloads the profile.
async fn signals(tx: mpsc::Sender<Input>, stop: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        warn!(id = "ZHA3021W", "cannot install signal handlers");
        return;
    };
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = term.recv() => { info!(id = "ZHA3022I", "SIGTERM: stopping"); stop.cancel(); return; }
            _ = int.recv() => { info!(id = "ZHA3022I", "SIGINT: stopping"); stop.cancel(); return; }
            _ = hup.recv() => { let _ = tx.send(Input::Reload(None, None)).await; }
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Accept clients until `stop`; back off on EMFILE/ENFILE instead of
/// spinning, refuse at once above the connection limit.
async fn accept_loop(
    listener: TcpListener,
    key: ServiceKey,
    shared: Arc<Shared>,
    tracker: TaskTracker,
    stop: CancellationToken,
) {
    let mut backoff = Duration::from_millis(5);
    loop {
        let pause = shared.pause_left();
        if !pause.is_zero() {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            r = listener.accept() => r,
        };
        match accepted {
            Ok((client, peer)) => {
                backoff = Duration::from_millis(5);
                let permit = match shared.limit.clone().try_acquire_owned() {
                    Ok(p) => p,
                    Err(_) => {
                        if let Some((_, stats)) = shared.routes.load().services.get(&key) {
                            stats.rejected_limit.inc();
                        }
                        drop(client);
                        continue;
                    }
                };
                let shared = shared.clone();
                tracker.spawn(async move {
                    conn::handle(client, peer, key, &shared).await;
                    drop(permit);
                });
            }
            Err(e) => {
                let fd_limit = matches!(e.raw_os_error(), Some(23 | 24));
                if fd_limit {
                    warn!(
                        id = "ZHA3019W",
                        "accept on {key}: {e}; pausing {} ms",
                        backoff.as_millis()
                    );
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
    }
}
