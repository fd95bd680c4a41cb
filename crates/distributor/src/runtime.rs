//! Start, drain and signals: load the profile, bind everything first (or
//! take listeners handed in, mini-redis's `run(listener, shutdown)`), start
//! the control task, the accept loops, the control socket and metrics; on
//! stop, stop accepting and let open connections finish within the drain
//! time.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};
use zha_standby::{Config, Engine, Selector, ServiceKey};

use crate::codes;
use crate::control::{self, ControlError};
use crate::controller::{Controller, probe_spec, store_warn};
use crate::fds;
use crate::handover::{self, FdStore, HandOverError, Inherited};
use crate::listener::{self, BindError};
use crate::metrics::Metrics;
use crate::probe::{ProbeError, Prober};
use crate::profile::{self, ProfileError};
use crate::pump::Pipes;
use crate::settings::Settings;
use crate::settings::SockOpts;
use crate::shared::{Input, Refusals, Routes, Shared};
use crate::state::{FileStore, StateStore};
use crate::sysplex::GroupAt;

/// Everything a start needs.
pub struct Options {
    pub profile: PathBuf,
    pub settings: Settings,
    /// System symbols for the profile.
    pub symbols: zha_diag::symbols::Symbols,
    /// Handle SIGTERM/SIGINT (stop and drain) and SIGHUP (reload).
    pub signals: bool,
    /// Take the listening sockets of the distributor running on the same
    /// control socket (see `handover`); start afresh when there is none.
    pub hand_over: bool,
    /// `--system NAME --group DIR`: this stack joins the sysplex group and
    /// serves only the DVIPAs it owns (SPEC §7); `None`: a lone stack.
    pub group: Option<crate::sysplex::GroupOptions>,
}

/// Why the distributor did not start. Nothing runs after one of these.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Probe(#[from] ProbeError),
    #[error(transparent)]
    Listen(#[from] BindError),
    #[error(transparent)]
    Group(#[from] crate::membership::GroupError),
    #[error(transparent)]
    Address(#[from] crate::address::AddressError),
    #[error("no listener was handed in for {0}")]
    MissingListener(ServiceKey),
    #[error("a listener handed in for {key} cannot be used: {source}")]
    HandedListener {
        key: ServiceKey,
        source: std::io::Error,
    },
    #[error("the state folder {}: {source}", dir.display())]
    StateDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error(transparent)]
    HandOver(#[from] HandOverError),
    #[error(transparent)]
    Forward(#[from] crate::forward::ForwardError),
    #[error(
        "--hand-over is for forwarding = \"proxy\": with the kernel's forwarding a new process takes the table over by itself and conntrack keeps the open connections; stop the running stack, then start the new one"
    )]
    KernelHandOver,
    #[error("{0}")]
    Hook(String),
    #[error("cannot listen for metrics on {addr}: {source}{}", if source.kind() == std::io::ErrorKind::AddrInUse { " (another process listens there: stop it, or give [metrics] address another port)" } else { "" })]
    Metrics {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A distributor started: its listeners are bound and its control socket
/// is up. Stop it by cancelling `stop`; `done` resolves when it is over.
pub struct Running {
    pub control_socket: PathBuf,
    /// Each service and the address it listens on.
    pub listeners: Vec<(ServiceKey, SocketAddr)>,
    pub metrics_addr: Option<SocketAddr>,
    pub done: tokio::task::JoinHandle<()>,
}

/// Load the profile, bind every port, and start.
pub async fn start(opts: Options, stop: CancellationToken) -> Result<Running, StartError> {
    start_with(opts, None, stop).await
}

/// Start on listeners bound by the caller (tests bind port 0), one for
/// every service of the profile; they are tuned like the distributor's own.
pub async fn start_with_listeners(
    opts: Options,
    listeners: Vec<(ServiceKey, std::net::TcpListener)>,
    stop: CancellationToken,
) -> Result<Running, StartError> {
    start_with(opts, Some(listeners), stop).await
}

/// `distribute --check` (as `haproxy -c`): what a start would refuse for
/// this profile and these settings, found without starting anything —
/// no socket bound, no group joined, nothing written. On success, lines
/// that say what would run. A stack of a group whose profile distributes
/// nothing of its own inherits a VIPADISTRIBUTE from the group at start:
/// that part is checked then (a line says so).
pub fn check(opts: &Options) -> Result<Vec<String>, StartError> {
    let settings = &opts.settings;
    let mut lines = Vec::new();
    let services = match &opts.group {
        None => profile::load(&opts.profile, &opts.symbols, settings)?.services,
        Some(g) => {
            let stack = profile::check(&opts.profile, &opts.symbols)?;
            check_name(&g.system, &stack, settings);
            let services = match crate::services::services(&stack, settings) {
                Ok(s) => s,
                Err(p) if p.iter().all(|p| p == crate::services::NOTHING) => Default::default(),
                Err(problems) => {
                    return Err(ProfileError::Services {
                        path: opts.profile.clone(),
                        problems,
                    }
                    .into());
                }
            };
            for v in crate::sysplex::undistributed(&stack) {
                lines.push(format!(
                    "{} ({}) is distributed by another stack of the group: {} inherits its VIPADISTRIBUTE at start, checked then",
                    v.addr.value,
                    if v.owner == zha_tcpip::VipaOwner::Define { "VIPADEFINE" } else { "VIPABACKUP" },
                    g.system
                ));
            }
            services
        }
    };
    for s in &services.skipped {
        lines.push(format!("warning: {s}"));
    }
    // A name of [systems] whose address is no DESTIP names nothing: `vary`
    // and the labels would not find it.
    if !services.services.is_empty() {
        for (name, ip) in &settings.systems {
            let known = services
                .services
                .iter()
                .any(|s| s.targets.iter().any(|t| t.destip == *ip));
            if !known {
                lines.push(format!(
                    "warning: [systems] {name} = \"{ip}\" is no DESTIP of the distributions: a typo?"
                ));
            }
        }
    }
    Prober::new(settings.probe.timeout, settings.probe.http.as_ref())?;
    if let Some(h) = &settings.hook {
        let p = crate::hooks::program(h).map_err(StartError::Hook)?;
        lines.push(format!("on {}: run {}", h.events.join(", "), p.display()));
    }
    if settings.forwarding == crate::settings::Forwarding::Kernel {
        if opts.hand_over {
            return Err(StartError::KernelHandOver);
        }
        match opts.group.as_ref().map(|g| &g.at) {
            None => return Err(crate::forward::ForwardError::NoSystem.into()),
            Some(GroupAt::Etcd { .. }) => {
                return Err(crate::forward::ForwardError::AcrossHosts.into());
            }
            Some(GroupAt::Folder(_)) => {}
        }
        crate::forward::check(&services.services)?;
    }
    for s in &services.services {
        let targets: Vec<String> = s
            .targets
            .iter()
            .map(|t| {
                let who = t.system.clone().unwrap_or_else(|| t.destip.to_string());
                match t.role {
                    zha_standby::TargetRole::Preferred => {
                        format!("{who} preferred ({})", t.endpoint)
                    }
                    zha_standby::TargetRole::Backup(r) => {
                        format!("{who} backup {r} ({})", t.endpoint)
                    }
                }
            })
            .collect();
        lines.push(format!("{}: {}", s.key, targets.join(", ")));
    }
    lines.push(format!(
        "forwarding {}, probe every {} (timeout {}){}, control socket {}{}",
        match settings.forwarding {
            crate::settings::Forwarding::Kernel => "kernel",
            crate::settings::Forwarding::Proxy => "proxy",
        },
        humantime::format_duration(settings.probe.interval),
        humantime::format_duration(settings.probe.timeout),
        if settings.probe.http.is_some() {
            " with the application probe"
        } else {
            ""
        },
        settings.control_socket().display(),
        settings
            .metrics
            .address
            .map_or(String::new(), |a| format!(", metrics at http://{a}/")),
    ));
    Ok(lines)
}

async fn start_with(
    opts: Options,
    handed: Option<Vec<(ServiceKey, std::net::TcpListener)>>,
    stop: CancellationToken,
) -> Result<Running, StartError> {
    let settings = opts.settings;
    // A stack of a group meets the group first: one that defines or backs
    // up a DVIPA without distributing it inherits another member's
    // VIPADISTRIBUTE (SPEC §7). No membership, no DVIPA: the engine
    // answers now, or no start.
    let mut group_engine: Option<Box<dyn crate::membership::GroupEngine>> =
        match opts.group.as_ref().map(|g| &g.at) {
            None => None,
            Some(GroupAt::Folder(dir)) => Some(Box::new(crate::membership::Embedded::open(dir)?)),
            Some(GroupAt::Etcd { url, sysplex, .. }) => {
                Some(Box::new(crate::membership::Etcd::open(url, sysplex, 1)?))
            }
        };
    let loaded = match (&opts.group, group_engine.as_mut()) {
        (Some(g), Some(engine)) => load_member(
            &opts.profile,
            &opts.symbols,
            &settings,
            &g.system,
            engine.as_mut(),
        )?,
        _ => profile::load(&opts.profile, &opts.symbols, &settings)?,
    };
    if let Some(g) = &opts.group {
        check_name(&g.system, &loaded.stack, &settings);
    }
    for s in &loaded.services.skipped {
        warn!(id = codes::NOT_RUN.id, "{s}");
    }
    let prober = Prober::new(settings.probe.timeout, settings.probe.http.as_ref())?;
    if let Some(h) = &settings.hook
        && let Err(why) = crate::hooks::program(h)
    {
        warn!(id = codes::HOOK_FAILED.id, "{why}: events will not run it");
    }
    // Kernel forwarding: what it needs is checked now (nothing changed
    // yet); its table is taken once this stack's name is its own in the
    // group, so a second process started by mistake under the same name
    // never touches the running stack's table.
    let kernel_at = if settings.forwarding == crate::settings::Forwarding::Kernel {
        if opts.hand_over {
            return Err(StartError::KernelHandOver);
        }
        let (system, group) = match opts.group.as_ref().map(|g| (&g.system, &g.at)) {
            None => return Err(crate::forward::ForwardError::NoSystem.into()),
            Some((_, GroupAt::Etcd { .. })) => {
                return Err(crate::forward::ForwardError::AcrossHosts.into());
            }
            // The group by its folder's real path, however it was spelled.
            Some((system, GroupAt::Folder(dir))) => (
                system.clone(),
                std::fs::canonicalize(dir)
                    .or_else(|_| std::path::absolute(dir))
                    .unwrap_or_else(|_| dir.clone())
                    .display()
                    .to_string(),
            ),
        };
        crate::forward::check(&loaded.services.services)?;
        let l = &settings.limits;
        let policy = crate::kernel::Policy {
            connect: settings.connect.timeout,
            idle: l.idle_timeout,
            half_closed: l.half_closed_timeout,
            server: l.server_timeout,
            max_connections: l.max_connections,
        };
        Some((system, group, policy))
    } else {
        None
    };
    // Raise the soft descriptor limit before opening anything: a profile
    // with a thousand ports needs more than the usual 1,024.
    let limit = fds::raise_limit();

    // Sockets handed over: by systemd (LISTEN_FDS), or, with --hand-over,
    // by the distributor running on the same control socket.
    let fdstore = FdStore::from_env();
    let mut inherited = Inherited::default();
    match inherited.from_systemd() {
        Ok(0) => {}
        Ok(n) => info!(
            id = codes::HANDED_IN.id,
            "{n} socket(s) passed by systemd (LISTEN_FDS)"
        ),
        Err(e) => warn!(
            id = codes::HANDED_IN.id,
            "ignoring the sockets passed by systemd: {e}"
        ),
    }
    let socket_path = settings.control_socket();
    let mut received = None;
    if opts.hand_over {
        // How long this process may take to accept: its first round, and a
        // margin for the start (binding, a large profile).
        let within = zha_standby::first_round(settings.probe.timeout) + Duration::from_secs(20);
        match handover::request(&socket_path, within).await? {
            Some(mut r) => {
                info!(
                    id = codes::HANDED_IN.id,
                    predecessor = r.pid,
                    "process {} handed over {} socket(s) and the active targets; accepting once the first round of probes is over",
                    r.pid,
                    r.sockets.len()
                );
                inherited.extend(std::mem::take(&mut r.sockets));
                received = Some(r);
            }
            None => info!(
                id = codes::HANDED_IN.id,
                "no distributor listens on {}: nothing to hand over, starting afresh",
                socket_path.display()
            ),
        }
    }

    // A stack of a group on this machine shares the listening sockets of
    // the stacks already there: one socket per DVIPA:port, whose queue
    // outlives any one of them (SPEC §7).
    let mut hosts = None;
    match (opts.group.as_ref().map(|g| &g.at), group_engine.as_mut()) {
        (Some(GroupAt::Folder(_)), Some(engine)) if kernel_at.is_none() => {
            ask_shares(engine.as_mut(), &mut inherited).await?;
        }
        (Some(GroupAt::Etcd { interface, .. }), Some(_)) => {
            let iface = crate::address::Interface::named(interface)?;
            // Whether it could announce what it would own: an owner that
            // cannot is no owner.
            for l in &loaded.services.listeners {
                iface.can_announce(l.key.dvipa)?;
            }
            hosts = Some(crate::sysplex::Hosts {
                iface,
                fence: crate::sysplex::FENCE,
            });
        }
        _ => {}
    }

    // Bind first: nothing runs unless every port is ours. Across hosts the
    // DVIPA is on the interface only while this stack owns it: bind it
    // anyway (IP_FREEBIND).
    let mut sock_opts = SockOpts::of(&settings);
    sock_opts.freebind = hosts.is_some();
    let mut bound: Vec<(ServiceKey, TcpListener)> = Vec::new();
    match handed {
        // Kernel forwarding listens on nothing: the table forwards.
        None if kernel_at.is_some() => {}
        None => {
            for l in &loaded.services.listeners {
                let mut tries = 0;
                let sock = loop {
                    let r = match inherited.take_tcp(l.bind) {
                        Some(s) => listener::tune(s, sock_opts)
                            .map_err(|source| StartError::HandedListener { key: l.key, source })?,
                        None => match listener::bind(l.bind, sock_opts) {
                            Ok(s) => s,
                            // A stack of the group that started at the same
                            // moment bound it first: ask again for a share.
                            Err(e)
                                if e.source.kind() == std::io::ErrorKind::AddrInUse
                                    && tries < 20
                                    && hosts.is_none()
                                    && group_engine.is_some() =>
                            {
                                tries += 1;
                                tokio::time::sleep(Duration::from_millis(100)).await;
                                if let Some(engine) = group_engine.as_mut() {
                                    ask_shares(engine.as_mut(), &mut inherited).await?;
                                }
                                continue;
                            }
                            // Most often: the same distributor started twice.
                            Err(e)
                                if e.source.kind() == std::io::ErrorKind::AddrInUse
                                    && tokio::net::UnixStream::connect(&socket_path)
                                        .await
                                        .is_ok() =>
                            {
                                return Err(ControlError::InUse {
                                    path: socket_path.clone(),
                                }
                                .into());
                            }
                            Err(e) => return Err(e.into()),
                        },
                    };
                    break r;
                };
                bound.push((l.key, sock));
            }
        }
        Some(mut handed) => {
            for l in &loaded.services.listeners {
                let i = handed
                    .iter()
                    .position(|(k, _)| *k == l.key)
                    .ok_or(StartError::MissingListener(l.key))?;
                let (key, sock) = handed.swap_remove(i);
                let sock = listener::tune(sock, sock_opts)
                    .map_err(|source| StartError::HandedListener { key, source })?;
                bound.push((key, sock));
            }
        }
    }
    let state_dir = settings.state_dir();
    let store = FileStore::open(&state_dir).map_err(|source| StartError::StateDir {
        dir: state_dir.clone(),
        source,
    })?;
    // Metrics first: an address in use leaves no control socket behind.
    let metrics_listener = match settings.metrics.address {
        Some(addr) => {
            let fail = |source| StartError::Metrics { addr, source };
            Some(match inherited.take_tcp(addr) {
                Some(l) => {
                    l.set_nonblocking(true).map_err(fail)?;
                    TcpListener::from_std(l).map_err(fail)?
                }
                None => TcpListener::bind(addr).await.map_err(fail)?,
            })
        }
        None => None,
    };
    let (control, socket_file) = match inherited.take_unix(&socket_path) {
        Some(l) => control::adopt(l, &socket_path)?,
        None => control::bind(&socket_path).await?,
    };
    let metrics_addr = metrics_listener.as_ref().and_then(|l| l.local_addr().ok());
    if !inherited.is_empty() {
        info!(
            id = codes::HANDED_IN.id,
            "closing {} handed-over socket(s) the profile does not use",
            inherited.len()
        );
    }
    store_warn(inherited.close(&fdstore));

    let persisted = match &mut received {
        Some(r) => std::mem::take(&mut r.state),
        None => {
            let (persisted, warning) = store.load();
            if let Some(w) = warning {
                warn!(id = codes::STATE_FILE.id, "{w}");
            }
            persisted
        }
    };
    // The descriptor budget: fit the connection limit in what the limit
    // allows, keeping a reserve.
    let reserve = 32
        + loaded.services.listeners.len() as u64
        + 2 * loaded
            .services
            .services
            .iter()
            .map(|s| s.targets.len() as u64)
            .sum::<u64>()
        + settings
            .metrics
            .address
            .map_or(0, |_| settings.metrics.max_connections as u64);
    let splice = settings.pump.splice && cfg!(target_os = "linux");
    let pipes = |n: usize| if splice { settings.tune.pipes(n) } else { 0 };
    let wanted = settings.limits.max_connections;
    // Kernel forwarding holds no descriptor per connection: the table's
    // `ct count` is the limit.
    let max_connections = if kernel_at.is_some() {
        wanted
    } else {
        fds::fit(wanted, limit, reserve, pipes)
    };
    if max_connections < wanted {
        warn!(
            id = codes::FD_BUDGET.id,
            limit,
            max_connections,
            "max_connections lowered from {wanted} to {max_connections}: the file descriptor limit is {limit} (2 per connection and 2 per splice pipe, {reserve} kept for probes, listeners, control and metrics); raise it (LimitNOFILE=, ulimit -n) or lower max_connections"
        );
    }
    // Join the group once everything is bound: a member can be asked for
    // its sockets at once.
    let (mut serving_tx, serving_rx) = match (&opts.group, group_engine) {
        (Some(g), Some(mut engine)) => {
            let dvipas: std::collections::BTreeSet<std::net::IpAddr> = loaded
                .services
                .listeners
                .iter()
                .map(|l| l.key.dvipa)
                .collect();
            let claims = crate::sysplex::claims(&loaded.stack, &dvipas);
            // No claim before the first round of probes is over (the group
            // task publishes them then), but the name is taken at once.
            let own = crate::sysplex::statements(&loaded.stack);
            let record = crate::sysplex::record(&g.system, &[], socket_path.clone(), &own);
            let joined = engine.join(&record)?;
            // Its name is its own now: a DVIPA left on the interface by an
            // earlier run of this stack is removed (this stack owns nothing
            // before the group says so), which also shows whether the
            // privilege is there.
            if let Some(h) = &hosts {
                for l in &loaded.services.listeners {
                    let d = l.key.dvipa;
                    if let Err(e) = h.iface.remove(d, if d.is_ipv4() { 32 } else { 128 }) {
                        let _ = engine.leave();
                        return Err(e.into());
                    }
                }
            }
            info!(
                id = codes::OWNER.id,
                "{} joined the sysplex group at {} (member {joined}); it claims its {} DVIPA(s) once its first probes are in",
                g.system,
                engine.describe(),
                claims.len()
            );
            let (stx, srx) = tokio::sync::watch::channel(std::collections::BTreeSet::new());
            (Some((stx, engine, claims, own)), Some(srx))
        }
        _ => (None, None),
    };
    // Kernel forwarding takes its table and conntrack now: all or nothing.
    let kernel = match kernel_at {
        Some((system, group, policy)) => {
            let taken =
                tokio::task::spawn_blocking(move || crate::forward::start(&system, &group, policy))
                    .await
                    .map_err(|e| {
                        crate::forward::ForwardError::Table(crate::kernel::KernelError::Nft {
                            what: "take the table".into(),
                            message: e.to_string(),
                        })
                    })
                    .and_then(|r| r);
            let (k, events) = match taken {
                Ok(t) => t,
                Err(e) => {
                    // Not started: leave the group it just joined.
                    if let Some((_, engine, _, _)) = serving_tx.as_mut() {
                        let _ = engine.leave();
                    }
                    return Err(e.into());
                }
            };
            info!(
                id = codes::KERNEL.id,
                "kernel forwarding: the nftables table {} is this stack's; new connections go through it once this stack serves its DVIPAs",
                k.table.name()
            );
            Some((Arc::new(k), events))
        }
        None => None,
    };
    let (tx, rx) = mpsc::channel(4096);
    let metrics = Arc::new(Metrics::new());
    let shared = Arc::new(Shared {
        routes: ArcSwap::from_pointee(Routes::default()),
        conns: Mutex::new(Default::default()),
        next_conn: AtomicU64::new(1),
        metrics: metrics.clone(),
        limit: Arc::new(Semaphore::new(max_connections)),
        settings: settings.clone(),
        inputs: tx.clone(),
        hard_stop: CancellationToken::new(),
        paused_until: AtomicU64::new(0),
        epoch: Instant::now(),
        refusals: Refusals::default(),
        pipes: Pipes::new(settings.tune.pipe_size, pipes(max_connections).max(1)),
        opts: sock_opts,
        open: CancellationToken::new(),
        serving: serving_rx,
        group: Mutex::new(opts.group.as_ref().map(|g| crate::shared::GroupView {
            system: g.system.clone(),
            ..Default::default()
        })),
        group_commands: Mutex::new(None),
        ready: CancellationToken::new(),
        group_state: Mutex::new(Default::default()),
        fence: Mutex::new(hosts.as_ref().map(|h| zha_group::Fence::new(h.fence))),
        owned: Mutex::new(HashMap::new()),
        state_gen: AtomicU64::new(0),
        state_written: tokio::sync::watch::Sender::new(0),
        route_changes: tokio::sync::Notify::new(),
        kernel: kernel.as_ref().map(|(k, _)| k.clone()),
        hooks: settings.hook.clone().map(|h| {
            crate::hooks::Hooks::start(
                h,
                opts.group.as_ref().map(|g| g.system.clone()),
                stop.clone(),
            )
        }),
    });
    let control = Arc::new(control);
    let metrics_listener = metrics_listener.map(Arc::new);
    store_warn(fdstore.store("control", control.as_fd()));
    if let Some(m) = &metrics_listener {
        store_warn(fdstore.store("metrics", m.as_fd()));
    }
    let now = tokio::time::Instant::now().into_std();
    let mut engine = Engine::new(
        Config {
            services: loaded.services.services.clone(),
            probe: probe_spec(&shared, &prober),
        },
        persisted,
        now,
    );
    // What was quiesced stays quiesced across a hand-over.
    for (key, endpoint) in received.iter().flat_map(|r| &r.quiesced) {
        let sel = Selector {
            target: endpoint.to_string(),
            port: Some(key.port),
        };
        let _ = engine.quiesce(&sel, true, now);
    }
    let tracker = TaskTracker::new();
    crate::controller::name_systems(&shared.metrics, &loaded.services);
    let mut ctl = Controller {
        engine,
        shared: shared.clone(),
        prober,
        stack: loaded.stack,
        services: loaded.services,
        profile: opts.profile.clone(),
        symbols: opts.symbols,
        store: Box::new(store),
        tracker: tracker.clone(),
        stop: stop.clone(),
        tx: tx.clone(),
        listeners: HashMap::new(),
        service_stats: HashMap::new(),
        target_stats: HashMap::new(),
        evidence: None,
        control_listener: Some(control.clone()),
        metrics_listener: metrics_listener.clone(),
        fdstore,
        handing: false,
        adopting: Vec::new(),
        varying: Vec::new(),
        looks: Default::default(),
    };
    // The routes first: an accept loop must never find a service without
    // its route (a client accepted then would be closed at once). Then the
    // accept loops, open at once unless this process is a successor of a
    // hand-over (its first round opens them, see `Controller::step`).
    ctl.publish();
    if received.is_none() {
        shared.open.cancel();
    }
    let mut kernel_tasks = None;
    if let Some((k, events)) = kernel {
        let forwarding = tokio::spawn(crate::forward::run(k.clone(), shared.clone(), stop.clone()));
        let (sh, st, kk) = (shared.clone(), stop.clone(), k.clone());
        let watcher = std::thread::Builder::new()
            .name("conntrack".into())
            .spawn(move || crate::forward::watch(events, kk, sh, st))
            .map_err(|source| StartError::StateDir {
                dir: PathBuf::new(),
                source,
            })?;
        kernel_tasks = Some((k, forwarding, watcher));
    }
    let mut listeners = Vec::new();
    for (key, sock) in bound {
        listeners.push((
            key,
            sock.local_addr()
                .unwrap_or(SocketAddr::new(key.dvipa, key.port)),
        ));
        ctl.spawn_listener(key, sock);
    }

    // The control socket and metrics are served once this process accepts
    // (until then its predecessor answers: one process speaks at a time).
    let control_task = tokio::spawn(when_open(
        shared.open.clone(),
        stop.clone(),
        control::serve(control, tx.clone(), stop.clone()),
    ));
    if let Some(l) = metrics_listener {
        tokio::spawn(when_open(
            shared.open.clone(),
            stop.clone(),
            crate::web::serve(l, shared.clone(), settings.metrics.clone(), stop.clone()),
        ));
    }
    if let Some(r) = received {
        // Tell the predecessor once this process accepts; if it has given
        // up, it goes on, so this process stops.
        let (open, stop) = (shared.open.clone(), stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = open.cancelled() => {}
                _ = stop.cancelled() => return,
            }
            let pid = r.pid;
            match r.ready().await {
                Ok(()) => info!(
                    id = codes::HANDED_IN.id,
                    predecessor = pid,
                    "accepting; process {pid} stops accepting and drains"
                ),
                Err(e) => {
                    warn!(
                        id = codes::HAND_OVER_ABANDONED.id,
                        predecessor = pid,
                        "process {pid} did not let go of the sockets ({e}); it goes on, this process stops"
                    );
                    stop.cancel();
                }
            }
        });
    }
    let mut group_task = None;
    if let (Some((stx, engine, claims, own)), Some(g)) = (serving_tx, &opts.group) {
        let (ctx, crx) = std::sync::mpsc::channel();
        if let Ok(mut c) = shared.group_commands.lock() {
            *c = Some(ctx);
        }
        group_task = Some(
            crate::sysplex::spawn(
                engine,
                g.system.clone(),
                claims,
                own,
                socket_path.clone(),
                shared.clone(),
                stx,
                crx,
                hosts,
                stop.clone(),
            )
            .map_err(|source| StartError::StateDir {
                dir: g.folder().cloned().unwrap_or_default(),
                source,
            })?,
        );
    }
    fdstore.ready();
    if fdstore.enabled()
        && let Some(every) = sd_notify::watchdog_enabled()
    {
        tokio::spawn(watchdog(shared.clone(), every, stop.clone()));
    }
    if opts.signals {
        tokio::spawn(signals(tx.clone(), stop.clone()));
    }
    let drain = settings.limits.drain_timeout;
    let done = tokio::spawn(async move {
        ctl.run(rx).await;
        fdstore.stopping();
        // A stack of a group leaves it now (its task sees `stop` within a
        // tick): the others take its DVIPAs, and across hosts its
        // addresses are off the interface before this process ends.
        if let Some(t) = group_task {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        // Kernel forwarding: the table goes (existing connections keep
        // their conntrack entries and go on).
        if let Some((k, forwarding, watcher)) = kernel_tasks {
            let _ = forwarding.await;
            let others = shared
                .group
                .lock()
                .ok()
                .and_then(|g| g.as_ref().map(|g| g.members.iter().any(|m| *m != g.system)))
                .unwrap_or(false);
            let _ = tokio::task::spawn_blocking(move || {
                crate::forward::remove(&k, others);
                let _ = watcher.join();
            })
            .await;
        }
        // Stop accepting (the listeners watch `stop`), then let open
        // connections finish within the drain time.
        tracker.close();
        let open = shared.conns.lock().map(|m| m.len()).unwrap_or(0);
        if open > 0 {
            info!(
                id = codes::DRAINING.id,
                "draining {open} open connection(s) for up to {}",
                humantime::format_duration(drain)
            );
        }
        if tokio::time::timeout(drain, tracker.wait()).await.is_err() {
            warn!(
                id = codes::DRAIN_OVER.id,
                "drain time over: closing the connections still open"
            );
            shared.hard_stop.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(2), tracker.wait()).await;
        }
        control_task.abort();
        let _ = control_task.await;
        socket_file.remove().await;
        info!(id = codes::STOPPED.id, "stopped");
    });
    Ok(Running {
        control_socket: socket_path,
        listeners,
        metrics_addr,
        done,
    })
}

/// Say when the settings' [systems] contradict a stack's name: not there
/// at all, or the profile's DYNAMICXCF address is another system's.
fn check_name(me: &str, stack: &zha_tcpip::Stack, settings: &Settings) {
    if settings.systems.is_empty() {
        return;
    }
    let xcf = stack.dynamic_xcf.map(|x| x.value);
    let mine = settings
        .systems
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(me))
        .map(|(_, a)| *a);
    let owner = xcf.and_then(|x| settings.systems.iter().find(|(_, a)| **a == x));
    match (mine, owner) {
        (None, _) => warn!(
            id = codes::SYSTEM_NAME.id,
            "{me} is not a system of the settings' [systems] ({}): is the name right?",
            settings
                .systems
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (Some(_), Some((other, x))) if !other.eq_ignore_ascii_case(me) => warn!(
            id = codes::SYSTEM_NAME.id,
            "the profile's DYNAMICXCF address {x} is {other}'s in the settings' [systems], not {me}'s: is this {me}'s profile?"
        ),
        _ => {}
    }
}

/// Load a stack of a group's profile: its own distributions, and for each
/// DVIPA it defines or backs up without distributing it, another member's
/// VIPADISTRIBUTE (written beside its state as a profile of its own, and
/// checked like one). As SPEC §7 says of an owner with no VIPADISTRIBUTE
/// (ZHA2018), a VIPADEFINE stack sends every connection to its own
/// system's server. A DVIPA that no member distributes yet is not claimed.
fn load_member(
    path: &std::path::Path,
    symbols: &zha_diag::symbols::Symbols,
    settings: &Settings,
    me: &str,
    engine: &mut dyn crate::membership::GroupEngine,
) -> Result<profile::Loaded, StartError> {
    let stack = profile::check(path, symbols)?;
    let refused = |problems: Vec<String>| ProfileError::Services {
        path: path.to_path_buf(),
        problems,
    };
    let mut services = match crate::services::services(&stack, settings) {
        Ok(s) => s,
        Err(p) if p.iter().all(|p| p == crate::services::NOTHING) => Default::default(),
        Err(p) => return Err(refused(p).into()),
    };
    let undistributed = crate::sysplex::undistributed(&stack);
    if !undistributed.is_empty() {
        let members = engine.members()?;
        let dir = settings.state_dir();
        zha_plex::OsFs::private_dir(&dir).map_err(|source| StartError::StateDir {
            dir: dir.clone(),
            source,
        })?;
        for v in undistributed {
            let d = v.addr.value;
            let define = v.owner == zha_tcpip::VipaOwner::Define;
            let Some((from, statement)) = crate::sysplex::published(&members, me, d) else {
                // A DVIPA nobody distributes is no business of this
                // distributor (yet): said once, at start.
                info!(
                    id = codes::INHERITED.id,
                    "{me} has a {} for {d} without a VIPADISTRIBUTE, and no stack of the group distributes it now: {me} does not claim it (a stack that distributes it is inherited from at {me}'s next start)",
                    if define { "VIPADEFINE" } else { "VIPABACKUP" }
                );
                continue;
            };
            let file = dir.join(format!("INHERITED-{d}.TCPIP"));
            let text = crate::sysplex::inherited_profile(&stack, v, from, statement);
            zha_plex::OsFs::write_atomic(&file, text.as_bytes(), 0o600).map_err(|source| {
                StartError::StateDir {
                    dir: dir.clone(),
                    source,
                }
            })?;
            let mut got = profile::load(&file, symbols, settings)?.services;
            if define {
                // ZHA2018: no distribution of its own; its own server only.
                let own = stack.dynamic_xcf.map(|x| x.value);
                for svc in &mut got.services {
                    svc.targets.retain(|t| Some(t.destip) == own);
                    for t in &mut svc.targets {
                        t.role = zha_standby::TargetRole::Preferred;
                    }
                }
                if got.services.iter().any(|s| s.targets.is_empty()) {
                    return Err(refused(vec![format!(
                        "{me} owns {d} (VIPADEFINE) without a VIPADISTRIBUTE, so it would send every connection to its own system's server (ZHA2018), but its DYNAMICXCF address is no DESTIP of {from}'s VIPADISTRIBUTE"
                    )])
                    .into());
                }
                info!(
                    id = codes::INHERITED.id,
                    "{me} owns {d} (VIPADEFINE) without a VIPADISTRIBUTE (ZHA2018): while it owns it, it sends every connection to its own system's server, on the ports of {from}'s VIPADISTRIBUTE"
                );
            } else {
                info!(
                    id = codes::INHERITED.id,
                    "{me} backs {d} up without a VIPADISTRIBUTE: it inherits {from}'s ({})",
                    file.display()
                );
            }
            services.services.extend(got.services);
            services.listeners.extend(got.listeners);
        }
    }
    if services.services.is_empty() {
        return Err(refused(vec![
            crate::services::NOTHING.to_owned(),
            "a stack of the sysplex group inherits the VIPADISTRIBUTE of a DVIPA it defines or backs up from a stack that distributes it: start that stack first, or give this one its own (as `zosmf-ha plan` does)".into(),
        ])
        .into());
    }
    Ok(profile::Loaded { stack, services })
}

/// Ask every live member of the group for copies of its listening sockets
/// (each DVIPA:port one socket, whoever bound it first).
async fn ask_shares(
    engine: &mut dyn crate::membership::GroupEngine,
    inherited: &mut Inherited,
) -> Result<(), StartError> {
    for m in engine.members()? {
        let Some(path) = m.record.control.as_ref() else {
            continue;
        };
        match handover::request_share(path).await {
            Ok(Some(s)) => {
                info!(
                    id = codes::HANDED_IN.id,
                    "{} shares {} listening socket(s) with this stack",
                    m.record.name,
                    s.len()
                );
                inherited.extend(s);
            }
            Ok(None) => {}
            Err(e) => warn!(
                id = codes::GROUP.id,
                "{} did not share its sockets: {e}", m.record.name
            ),
        }
    }
    Ok(())
}

/// Run `task` once `open` is cancelled (not at all if `stop` comes first).
async fn when_open(
    open: CancellationToken,
    stop: CancellationToken,
    task: impl std::future::Future<Output = ()>,
) {
    tokio::select! {
        _ = open.cancelled() => task.await,
        _ = stop.cancelled() => {}
    }
}

/// systemd's watchdog (`WatchdogSec=`): the control task is asked every
/// quarter interval; `WATCHDOG=1` is sent each time while it answered
/// within the last half interval, so one stuck for about the whole
/// interval gets no ping for WatchdogSec and systemd restarts the service.
/// Once stopping (the control task is gone, connections drain), the pings
/// go on until the process ends.
async fn watchdog(shared: Arc<Shared>, every: Duration, stop: CancellationToken) {
    let quarter = (every / 4).max(Duration::from_millis(10));
    let mut tick = tokio::time::interval(quarter);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut answered = tokio::time::Instant::now();
    loop {
        tick.tick().await;
        if !stop.is_cancelled() && crate::web::alive(&shared, quarter).await.is_ok() {
            answered = tokio::time::Instant::now();
        }
        if stop.is_cancelled() || answered.elapsed() < every / 2 {
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
        }
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
        warn!(id = codes::NO_SIGNALS.id, "cannot install signal handlers");
        return;
    };
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = term.recv() => { info!(id = codes::SIGNAL.id, "SIGTERM: stopping"); stop.cancel(); return; }
            _ = int.recv() => { info!(id = codes::SIGNAL.id, "SIGINT: stopping"); stop.cancel(); return; }
            _ = hup.recv() => { let _ = tx.send(Input::Reload(None)).await; }
        }
    }
}
