//! What the control task and the data path share: the routing table the
//! control task publishes (read lock-free by every new connection), the
//! table of open connections (the VCRT), counters, and the channel of
//! inputs to the control task.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::warn;
use zha_standby::{ProbeOutcome, ServiceKey};

use crate::codes;
use crate::metrics::{ConnectFailure, Metrics};
use crate::profile::{Loaded, ProfileError};
use crate::protocol::{Reply, Request};
use crate::settings::Settings;

/// One target of a service as the data path sees it.
pub struct RouteTarget {
    pub endpoint: SocketAddr,
    pub destip: IpAddr,
    pub stats: Arc<TargetStats>,
}

/// Counters of one target of one service (also shown by NETSTAT).
pub struct TargetStats {
    pub total: Counter,
    pub active: Gauge,
    /// Failed connects, by [`ConnectFailure`] (in its `ALL` order).
    failures: [Counter; 5],
    pub lost: Counter,
    /// Bytes to the target and to the client.
    pub bytes: [Counter; 2],
    /// The state gauges the control task sets (0 or 1).
    pub state: StateGauges,
}

impl TargetStats {
    /// The counters of a target of a service: the same metrics each time
    /// (the controller keeps one; kernel forwarding's watcher another).
    pub fn new(m: &Metrics, key: ServiceKey, endpoint: SocketAddr) -> TargetStats {
        let l = m.labels(&key, endpoint);
        TargetStats {
            total: m.connections.get_or_create_owned(&l),
            active: m.connections_active.get_or_create_owned(&l),
            failures: ConnectFailure::ALL.map(|why| {
                m.connect_failures
                    .get_or_create_owned(&m.fail_labels(&key, endpoint, why))
            }),
            lost: m.lost_in_flight.get_or_create_owned(&l),
            bytes: [true, false].map(|to_target| {
                m.bytes
                    .get_or_create_owned(&m.bytes_labels(&key, endpoint, to_target))
            }),
            state: StateGauges {
                available: m.available.get_or_create_owned(&l),
                listening: m.listening.get_or_create_owned(&l),
                healthy: m.healthy.get_or_create_owned(&l),
                quiesced: m.quiesced.get_or_create_owned(&l),
                active: m.active_target.get_or_create_owned(&l),
            },
        }
    }
}

impl TargetStats {
    /// A connect to the target failed.
    pub fn failed(&self, why: ConnectFailure) {
        if let Some(i) = ConnectFailure::ALL.iter().position(|w| *w == why) {
            self.failures[i].inc();
        }
    }

    /// Failed connects, whatever the reason.
    pub fn failures(&self) -> u64 {
        self.failures.iter().map(Counter::get).sum()
    }

    /// A connection ended after moving these bytes.
    pub fn moved(&self, to_target: u64, to_client: u64) {
        self.bytes[0].inc_by(to_target);
        self.bytes[1].inc_by(to_client);
    }
}

/// The state of one target of one service as metrics show it.
pub struct StateGauges {
    pub available: Gauge,
    pub listening: Gauge,
    pub healthy: Gauge,
    pub quiesced: Gauge,
    pub active: Gauge,
}

/// Counters of one service.
pub struct ServiceStats {
    /// Attempts on another target for the same client (see `conn`).
    pub retries: Counter,
    pub refused: [Counter; 3],
}

/// Why a client was closed at once without a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No target is available or listening.
    NoTarget = 0,
    /// Every connect to a target failed.
    AllFailed = 1,
    /// `[limits] max_connections` was reached.
    Limit = 2,
}

impl Refusal {
    pub const ALL: [Refusal; 3] = [Refusal::NoTarget, Refusal::AllFailed, Refusal::Limit];

    /// The metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::NoTarget => "no_target",
            Refusal::AllFailed => "all_connects_failed",
            Refusal::Limit => "connection_limit",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Refusal::NoTarget => "no target is available",
            Refusal::AllFailed => "every connect to a target failed",
            Refusal::Limit => "[limits] max_connections is reached",
        }
    }
}

/// The routing table: per service, the targets in the order to try. The
/// map changes only with the set of services (start, reload); each
/// service's targets are swapped on their own when the engine changes
/// that service, so a change to one port costs what one port costs.
#[derive(Default)]
pub struct Routes {
    pub services: HashMap<ServiceKey, Arc<ServiceRoute>>,
}

/// One service's route and counters.
pub struct ServiceRoute {
    pub targets: ArcSwap<Vec<Arc<RouteTarget>>>,
    pub stats: Arc<ServiceStats>,
}

/// A connection in the VCRT.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub service: ServiceKey,
    pub client: SocketAddr,
    pub destip: IpAddr,
    pub endpoint: SocketAddr,
}

/// The open connections (the VCRT), with a count per DVIPA kept as they
/// come and go, so the group task reads it without a walk.
#[derive(Default)]
pub struct ConnTable {
    by_id: HashMap<u64, ConnInfo>,
    per_dvipa: HashMap<IpAddr, u64>,
}

impl ConnTable {
    pub fn insert(&mut self, id: u64, c: ConnInfo) {
        let dvipa = c.service.dvipa;
        if let Some(old) = self.by_id.insert(id, c) {
            self.forget(old.service.dvipa);
        }
        *self.per_dvipa.entry(dvipa).or_default() += 1;
    }

    pub fn remove(&mut self, id: u64) {
        if let Some(c) = self.by_id.remove(&id) {
            self.forget(c.service.dvipa);
        }
    }

    fn forget(&mut self, dvipa: IpAddr) {
        if let Some(n) = self.per_dvipa.get_mut(&dvipa) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_dvipa.remove(&dvipa);
            }
        }
    }

    /// A connection, to change where it goes (its service stays).
    pub fn get_mut(&mut self, id: u64) -> Option<&mut ConnInfo> {
        self.by_id.get_mut(&id)
    }

    pub fn values(&self) -> impl Iterator<Item = &ConnInfo> {
        self.by_id.values()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The connections open to `dvipa`.
    pub fn open(&self, dvipa: IpAddr) -> u64 {
        self.per_dvipa.get(&dvipa).copied().unwrap_or(0)
    }
}

/// What the control task is told.
pub enum Input {
    /// A probe's result (`None` when it could not be run, for a local
    /// reason), when the evidence arrived (for the decision time), and how
    /// long the probe took.
    Probe(SocketAddr, Option<ProbeOutcome>, Instant, Duration),
    /// A connect to the target failed: it is down at once.
    ConnectFailed(SocketAddr, String, Instant),
    /// The target closed or reset a connection before answering: probe it
    /// now (a client's word is no verdict).
    Suspect(SocketAddr),
    /// Is the control task alive? Answered at once (`/healthz`, systemd's
    /// watchdog).
    Ping(oneshot::Sender<()>),
    Request(Request, oneshot::Sender<Reply>),
    /// SIGHUP: read the running profile again.
    Reload(Option<PathBuf>),
    /// A profile read and checked off the control task, to apply.
    Loaded(Box<Loading>),
    /// A successor asks for the listening sockets and the active targets.
    HandOver(oneshot::Sender<Result<Offer, String>>),
    /// Another stack of the group asks for the listening sockets, to share.
    Share(oneshot::Sender<Vec<Arc<TcpListener>>>),
    /// This stack takes DVIPAs over: keep the group's state for them
    /// (`Engine::adopt`); `done` is answered once the routes follow it.
    Adopt {
        dvipas: std::collections::BTreeSet<std::net::IpAddr>,
        state: zha_standby::Adopted,
        done: std::sync::mpsc::SyncSender<()>,
    },
    /// The hand-over to process `pid` is over: done (stop accepting and
    /// drain) or abandoned (go on as before).
    HandedOver {
        pid: u32,
        outcome: Result<(), String>,
    },
}

/// A listening socket of the running distributor, offered to a successor.
#[derive(Clone)]
pub enum Offered {
    Tcp(Arc<TcpListener>),
    Unix(Arc<UnixListener>),
}

impl AsFd for Offered {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Offered::Tcp(l) => l.as_fd(),
            Offered::Unix(l) => l.as_fd(),
        }
    }
}

/// What the control task gives for a hand-over.
pub struct Offer {
    pub sockets: Vec<Offered>,
    pub state: zha_standby::Persisted,
    /// Targets quiesced by `vary` (service, endpoint).
    pub quiesced: Vec<(zha_standby::ServiceKey, SocketAddr)>,
}

/// A reload's profile, read and checked on a blocking thread (reading a
/// file must never stall the task that makes every failover decision).
pub struct Loading {
    pub path: PathBuf,
    /// Who asked: `SIGHUP` or `zosmf-ha reload`.
    pub source: &'static str,
    pub result: Result<Loaded, ProfileError>,
    pub reply: Option<oneshot::Sender<Reply>>,
}

/// How much earlier than F a stack across hosts stops serving (see
/// `Shared::may_serve`).
pub const FENCE_MARGIN: Duration = Duration::from_millis(50);

/// What connection tasks share.
pub struct Shared {
    pub routes: ArcSwap<Routes>,
    pub conns: Mutex<ConnTable>,
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
    pub refusals: Refusals,
    /// The splice(2) pipes, bounded in number and size.
    pub pipes: crate::pump::Pipes,
    /// The options of every socket of the data path.
    pub opts: crate::settings::SockOpts,
    /// Accept loops start accepting once this is cancelled: at once,
    /// except for a successor of a hand-over, which first runs its first
    /// round of probes while its predecessor goes on accepting.
    pub open: CancellationToken,
    /// With `--system`: the DVIPAs this stack owns and serves (the group
    /// task says); `None` for a lone stack, which serves all it distributes.
    pub serving: Option<tokio::sync::watch::Receiver<std::collections::BTreeSet<std::net::IpAddr>>>,
    /// With `--system`: the group as the group task last saw it.
    pub group: Mutex<Option<GroupView>>,
    /// With `--system`: commands for the group task (`vary leave` …).
    pub group_commands: Mutex<Option<std::sync::mpsc::Sender<GroupCommand>>>,
    /// Cancelled once every service's first round of probes is over: a
    /// stack of a group claims its DVIPAs only then, so a stack that takes
    /// a DVIPA (back) knows where to send its connections.
    pub ready: CancellationToken,
    /// With `--system`: this stack's choices per DVIPA (active and
    /// quiesced targets), which the group keeps while it owns the DVIPA.
    pub group_state: Mutex<std::collections::BTreeMap<std::net::IpAddr, DvipaState>>,
    /// Across hosts: when this stack may serve (its membership confirmed
    /// within F); `None` on one machine and for a lone stack.
    pub fence: Mutex<Option<zha_group::Fence>>,
    /// Across hosts: when the group last said this stack owns each DVIPA
    /// (the send time of the read).
    pub owned: Mutex<HashMap<IpAddr, Instant>>,
    /// Bumped by the controller each time `group_state` changes.
    pub state_gen: AtomicU64,
    /// The `state_gen` whose state the group task has written for every
    /// DVIPA this stack owns.
    pub state_written: tokio::sync::watch::Sender<u64>,
    /// Told each time the controller publishes a changed route.
    pub route_changes: tokio::sync::Notify,
    /// `forwarding = "kernel"`: the stack's table and what it forwards.
    pub kernel: Option<Arc<crate::kernel::Kernel>>,
    /// The `[hook]` command's queue, when one is configured.
    pub hooks: Option<crate::hooks::Hooks>,
}

/// A command for the group task (`vary leave|join|deactivate|reactivate`),
/// answered when the task has carried it out.
pub struct GroupCommand {
    pub action: crate::protocol::GroupAction,
    pub dvipa: Option<std::net::IpAddr>,
    pub reply: oneshot::Sender<Reply>,
}

/// What the group keeps for a DVIPA (SPEC §7, shared state): the choices
/// of the stack that owns it, which the next owner keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DvipaState {
    /// Each service's active target: (DVIPA:port, target).
    pub active: Vec<(SocketAddr, SocketAddr)>,
    /// The quiesced targets: (DVIPA:port, target).
    pub quiesced: Vec<(SocketAddr, SocketAddr)>,
}

impl DvipaState {
    pub fn adopted(&self) -> zha_standby::Adopted {
        let key = |a: &SocketAddr| zha_standby::ServiceKey {
            dvipa: a.ip(),
            port: a.port(),
        };
        zha_standby::Adopted {
            active: self.active.iter().map(|(s, t)| (key(s), *t)).collect(),
            quiesced: self.quiesced.iter().map(|(s, t)| (key(s), *t)).collect(),
        }
    }
}

/// The sysplex group as one stack sees it (for NETSTAT VIPADYN).
#[derive(Clone, Debug, Default)]
pub struct GroupView {
    pub system: String,
    /// The live members, in join order.
    pub members: Vec<String>,
    /// The owner of each DVIPA this stack claims.
    pub owners: std::collections::BTreeMap<std::net::IpAddr, String>,
}

/// How long accepting pauses when the process is out of local resources.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

impl Shared {
    /// `/readyz`: whether this process is ready for clients, or why not.
    /// A lone distributor once its first round of probes is over; a stack
    /// of a sysplex group also once it is a member and accepts for every
    /// DVIPA the group says it owns. A backup stack is ready: ownership is
    /// a metric (`zosmf_ha_dvipa_owned`), not readiness.
    pub fn readiness(&self) -> Result<(), String> {
        if !self.ready.is_cancelled() {
            return Err("the first round of probes is not over".into());
        }
        if self.serving.is_none() {
            return Ok(());
        }
        let group = self.group.lock().ok().and_then(|g| g.clone());
        let Some(g) = group else {
            return Err("not a member of the sysplex group yet".into());
        };
        if !g.members.contains(&g.system) {
            return Err(format!("{} is not a member of the sysplex group", g.system));
        }
        for (dvipa, owner) in &g.owners {
            if *owner == g.system && !self.serves(*dvipa) {
                return Err(format!(
                    "{} owns {dvipa} but does not accept for it yet",
                    g.system
                ));
            }
        }
        Ok(())
    }

    /// Whether this stack accepts for `dvipa` now.
    pub fn serves(&self, dvipa: std::net::IpAddr) -> bool {
        // A group task that has ended (stopping, or a bug) says nothing
        // more: serve nothing rather than what it said last.
        self.serving
            .as_ref()
            .is_none_or(|rx| rx.has_changed().is_ok() && rx.borrow().contains(&dvipa))
    }

    /// Across hosts: the group confirmed this stack's membership in answer
    /// to a request sent at `sent` (SPEC §7's fencing rule, `zha_group::Fence`).
    pub fn confirmed(&self, sent: Instant) {
        if let Ok(mut f) = self.fence.lock()
            && let Some(f) = f.as_mut()
        {
            f.confirmed(sent);
        }
    }

    /// Across hosts: the group said this stack owns `dvipa` in answer to a
    /// read sent at `asked`.
    pub fn owns(&self, dvipa: IpAddr, asked: Instant) {
        if let Ok(mut o) = self.owned.lock() {
            let e = o.entry(dvipa).or_insert(asked);
            *e = (*e).max(asked);
        }
    }

    /// Whether this stack may serve `dvipa` now: always on one machine;
    /// across hosts, while its membership and its ownership of `dvipa`
    /// were confirmed within F (SPEC §7's fencing rule).
    pub fn may_serve(&self, dvipa: IpAddr) -> bool {
        let Ok(fence) = self.fence.lock() else {
            return false;
        };
        let Some(f) = fence.as_ref() else {
            return true;
        };
        // Judged MARGIN early: the watchdog that acts on it looks every
        // few milliseconds and may itself be late on a busy machine, and
        // must still have stopped this stack before F is over.
        let now = Instant::now() + FENCE_MARGIN;
        f.may_serve(now)
            && self
                .owned
                .lock()
                .is_ok_and(|o| o.get(&dvipa).is_some_and(|asked| now < *asked + f.f()))
    }

    /// Wait until whether this stack serves `dvipa` differs from `now`
    /// (never, for a lone stack).
    pub async fn serving_changes(&self, dvipa: std::net::IpAddr, now: bool) {
        let Some(rx) = &self.serving else {
            return std::future::pending().await;
        };
        let mut rx = rx.clone();
        loop {
            // As `serves`: an ended group task means serving nothing.
            let serving = rx.has_changed().is_ok() && rx.borrow_and_update().contains(&dvipa);
            if serving != now {
                return;
            }
            if rx.changed().await.is_err() && !now {
                return std::future::pending().await;
            }
        }
    }

    /// Stop accepting for a moment: the process is out of local resources.
    pub fn pause_accepts(&self) {
        let until = self.epoch.elapsed() + ACCEPT_PAUSE;
        self.paused_until.fetch_max(
            u64::try_from(until.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub fn pause_left(&self) -> Duration {
        let until = Duration::from_millis(self.paused_until.load(Ordering::Relaxed));
        until.saturating_sub(self.epoch.elapsed())
    }

    /// A client closed at once without a target: counted per service and
    /// reason (the metric), and logged per reason at most once every
    /// [`REFUSAL_LOG_EVERY`]. No lock: two atomic operations.
    pub fn refused(&self, stats: &ServiceStats, why: Refusal) {
        stats.refused[why as usize].inc();
        self.refusals.pending[why as usize].fetch_add(1, Ordering::Relaxed);
        self.refusals.flush(false);
    }
}

/// At most one log line about refused clients this often.
pub const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// Refused clients not logged yet, by reason.
pub struct Refusals {
    epoch: Instant,
    pending: [AtomicU64; 3],
    /// Milliseconds after `epoch` of the last log line; u64::MAX: never.
    logged_at: AtomicU64,
}

impl Default for Refusals {
    fn default() -> Refusals {
        Refusals {
            epoch: Instant::now(),
            pending: Default::default(),
            logged_at: AtomicU64::new(u64::MAX),
        }
    }
}

impl Refusals {
    /// Log what is pending if the last line is old enough (or `force`).
    pub fn flush(&self, force: bool) {
        if self.pending.iter().all(|p| p.load(Ordering::Relaxed) == 0) {
            return;
        }
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        let last = self.logged_at.load(Ordering::Relaxed);
        let every = u64::try_from(REFUSAL_LOG_EVERY.as_millis()).unwrap_or(u64::MAX);
        let due = last == u64::MAX || now.saturating_sub(last) >= every;
        if !(due || force)
            || self
                .logged_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let since = if last == u64::MAX {
            String::new()
        } else {
            format!(" in the last {} s", now.saturating_sub(last).div_ceil(1000))
        };
        for why in Refusal::ALL {
            let n = self.pending[why as usize].swap(0, Ordering::Relaxed);
            if n == 0 {
                continue;
            }
            warn!(
                id = codes::REFUSED.id,
                reason = why.label(),
                refused = n,
                "refused {n} client connection(s){since}: {} (zosmf_ha_rejected_total counts them per DVIPA..port)",
                why.describe(),
            );
        }
    }
}
