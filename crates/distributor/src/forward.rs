//! `forwarding = "kernel"` (SPEC §8): the engine decides, netfilter
//! forwards. Three parts, each small:
//! - at start, `check` tells what the kernel path needs (IPv4, a route to
//!   every target, forwarding when a target is on another host) before
//!   anything changes; once the stack's name is its own in the group,
//!   `start` replaces the stack's table (a stale one of a killed process
//!   goes; one that is not the stack's is refused) and subscribes to
//!   conntrack's events;
//! - `run` (a task) keeps the table's map in line with the routing table
//!   the controller publishes and the DVIPAs this stack serves: one map
//!   update per change and a full write every second; a stack that takes a
//!   DVIPA over first removes the tables of group members no longer live,
//!   and one that gives a DVIPA away keeps its route until the new owner's
//!   table has one;
//! - `watch` (a thread) turns conntrack's events into the engine's
//!   evidence (`conntrack::Tracker`), the counters, the connection table
//!   and the access log.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};
use zha_standby::{ServiceKey, ServiceSpec};

use crate::codes;
use crate::conntrack::{Conntrack, ConntrackError, Flow, Kind, Tracker, Verdict};
use crate::kernel::{Kernel, KernelError, Policy, Route, Table};
use crate::metrics::ConnectFailure;
use crate::shared::{ConnInfo, Input, Shared, TargetStats};

/// Why kernel forwarding cannot start (or a reload cannot apply).
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error(transparent)]
    Table(#[from] KernelError),
    #[error(transparent)]
    Conntrack(#[from] ConntrackError),
    #[error(
        "forwarding = \"kernel\" needs --system NAME (the system this stack runs for, as [systems] names it): the stack's nftables table is named after its system"
    )]
    NoSystem,
    #[error(
        "forwarding = \"kernel\" with --etcd (takeover across hosts) is not built yet; on one machine use --group, or forward with the proxy"
    )]
    AcrossHosts,
    #[error("forwarding = \"kernel\" is IPv4 only for now: {0} is IPv6")]
    Ipv6(SocketAddr),
    #[error(
        "target {target} of {key} has no route from this host ({source}): kernel forwarding sends the client's packets there itself; add a route to it, or forward with the proxy"
    )]
    NoRoute {
        key: ServiceKey,
        target: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "target {target} of {key} is on another host and this host does not forward IPv4 (net.ipv4.ip_forward = 0): turn it on (sysctl -w net.ipv4.ip_forward=1) and make this host the target's route to the clients, or forward with the proxy"
    )]
    NoIpForward { key: ServiceKey, target: SocketAddr },
}

/// How often the table is written again whole as it should be, besides the
/// changes that wake the task.
const RECHECK: Duration = Duration::from_secs(1);
/// How long a stack that gave a DVIPA to another stack of this machine
/// keeps forwarding it while the new owner's table has no route for it
/// yet: the two tables overlap (both send to the group's active target)
/// rather than leave a moment when neither forwards.
const HAND_OFF: Duration = Duration::from_secs(2);
/// How often a hand-off looks at the new owner's table.
const HAND_OFF_CHECK: Duration = Duration::from_millis(20);
/// How long the watcher lets conntrack's events gather before it reads.
const BATCH: Duration = Duration::from_millis(2);
/// How often the watcher looks at unanswered attempts.
const SWEEP: Duration = Duration::from_millis(20);

/// Take the table (`check` the services first); nothing is changed on
/// error except a stale table of this very stack, replaced by an empty one.
pub fn start(
    system: &str,
    group: &str,
    policy: Policy,
) -> Result<(Kernel, Conntrack), ForwardError> {
    let table = Table::new(system, group)?;
    table.replace(&[], &policy)?;
    let events = match Conntrack::listen() {
        Ok(c) => c,
        Err(e) => {
            let _ = table.remove();
            return Err(e.into());
        }
    };
    Ok((
        Kernel {
            table,
            policy,
            forwarded: ArcSwap::from_pointee(HashMap::new()),
        },
        events,
    ))
}

/// What kernel forwarding needs of a profile's services: IPv4, a route to
/// every target, and forwarding on when a target is on another host.
pub fn check(services: &[ServiceSpec]) -> Result<(), ForwardError> {
    let forwarding =
        || std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").is_ok_and(|v| v.trim() == "1");
    for s in services {
        let service = SocketAddr::new(s.key.dvipa, s.key.port);
        if service.is_ipv6() {
            return Err(ForwardError::Ipv6(service));
        }
        for t in &s.targets {
            if t.endpoint.is_ipv6() {
                return Err(ForwardError::Ipv6(t.endpoint));
            }
            if crate::conntrack::local_target(t.endpoint.ip()) {
                continue;
            }
            // A UDP socket's connect looks the route up and sends nothing.
            let routed = std::net::UdpSocket::bind("0.0.0.0:0").and_then(|u| u.connect(t.endpoint));
            if let Err(source) = routed {
                return Err(ForwardError::NoRoute {
                    key: s.key,
                    target: t.endpoint,
                    source,
                });
            }
            if !forwarding() {
                return Err(ForwardError::NoIpForward {
                    key: s.key,
                    target: t.endpoint,
                });
            }
        }
    }
    Ok(())
}

fn v4(a: SocketAddr) -> Option<SocketAddrV4> {
    match a {
        SocketAddr::V4(a) => Some(a),
        SocketAddr::V6(_) => None,
    }
}

/// What the table should hold now: each served service's first target.
fn desired(shared: &Shared) -> Vec<Route> {
    let routes = shared.routes.load();
    let mut out: Vec<Route> = routes
        .services
        .iter()
        .filter(|(key, _)| shared.serves(key.dvipa))
        .filter_map(|(key, route)| {
            let first = route.targets.load().first().map(|t| t.endpoint)?;
            Some((v4(SocketAddr::new(key.dvipa, key.port))?, v4(first)?))
        })
        .collect();
    out.sort();
    out
}

/// Keep the table in line with the routes and the DVIPAs served, until
/// `stop`; then remove it.
pub async fn run(kernel: Arc<Kernel>, shared: Arc<Shared>, stop: CancellationToken) {
    let mut applied: Option<Vec<Route>> = None;
    let mut serving = shared.serving.clone();
    // Routes of DVIPAs given to another stack, kept until its table has
    // them (or HAND_OFF passed): when they were given.
    let mut handing: HashMap<SocketAddrV4, (SocketAddrV4, Instant)> = HashMap::new();
    let mut last_write = Instant::now();
    loop {
        let mut want = desired(&shared);
        // Now and then the table is written again as it should be: one
        // deleted or emptied behind this stack's back is made right.
        if last_write.elapsed() >= RECHECK {
            applied = None;
        }
        if shared.serving.is_some() {
            let kept = hand_off(&kernel, &shared, applied.as_deref(), &want, &mut handing).await;
            want.extend(kept);
            want.sort();
        }
        if applied.as_ref() != Some(&want) {
            let before: std::collections::BTreeSet<_> = applied
                .iter()
                .flatten()
                .map(|(from, _)| *from.ip())
                .collect();
            let grew = want.iter().any(|(from, _)| !before.contains(from.ip()));
            let live: Vec<String> = shared
                .group
                .lock()
                .ok()
                .and_then(|g| g.as_ref().map(|g| g.members.clone()))
                .unwrap_or_default();
            let (k, routes) = (kernel.clone(), want.clone());
            let in_group = shared.serving.is_some();
            let r = tokio::task::spawn_blocking(move || {
                // A stack that takes a DVIPA over: a dead member's table
                // would go on sending new connections to its old target.
                let gone = if grew && in_group && !live.is_empty() {
                    k.table.remove_dead(&live)?
                } else {
                    Vec::new()
                };
                // A table that went (deleted by hand): made again whole.
                k.table
                    .switch(&routes)
                    .or_else(|_| k.table.replace(&routes, &k.policy))
                    .map(|()| gone)
            })
            .await;
            match r {
                Ok(Ok(gone)) => {
                    for system in gone {
                        info!(
                            id = codes::KERNEL.id,
                            "removed the nftables table of {system}, which is no longer a member of the group"
                        );
                    }
                    let map = want
                        .iter()
                        .map(|(from, _)| {
                            let a = SocketAddr::V4(*from);
                            (
                                a,
                                ServiceKey {
                                    dvipa: a.ip(),
                                    port: a.port(),
                                },
                            )
                        })
                        .collect();
                    kernel.forwarded.store(Arc::new(map));
                    applied = Some(want);
                    last_write = Instant::now();
                }
                Ok(Err(e)) => {
                    warn!(
                        id = codes::KERNEL_TROUBLE.id,
                        "cannot update the nftables table {}: {e}; trying again",
                        kernel.table.name()
                    );
                    applied = None;
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                        _ = stop.cancelled() => break,
                    }
                    continue;
                }
                Err(_) => break,
            }
        }
        tokio::select! {
            _ = shared.route_changes.notified() => {}
            _ = async {
                match serving.as_mut() {
                    Some(s) => { let _ = s.changed().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
            _ = tokio::time::sleep(if handing.is_empty() { RECHECK } else { HAND_OFF_CHECK }) => {}
            _ = stop.cancelled() => break,
        }
    }
}

/// The routes to keep for DVIPAs this stack no longer serves: each until
/// the stack that owns it now routes it in its own table, for HAND_OFF at
/// most.
async fn hand_off(
    kernel: &Arc<Kernel>,
    shared: &Shared,
    applied: Option<&[Route]>,
    want: &[Route],
    handing: &mut HashMap<SocketAddrV4, (SocketAddrV4, Instant)>,
) -> Vec<Route> {
    let now = Instant::now();
    for (from, to) in applied.unwrap_or_default() {
        if !want.iter().any(|(f, _)| f == from) {
            handing.entry(*from).or_insert((*to, now));
        }
    }
    handing.retain(|from, (_, since)| {
        !want.iter().any(|(f, _)| f == from) && now.duration_since(*since) < HAND_OFF
    });
    if handing.is_empty() {
        return Vec::new();
    }
    let owners = shared.group.lock().ok().and_then(|g| {
        g.as_ref()
            .map(|g| (g.system.clone(), g.owners.clone(), g.members.clone()))
    });
    let Some((me, owners, live)) = owners else {
        handing.clear();
        return Vec::new();
    };
    let asks: Vec<(SocketAddrV4, Option<crate::kernel::Table>)> = handing
        .keys()
        .map(|from| {
            let owner = owners
                .get(&IpAddr::V4(*from.ip()))
                .filter(|o| **o != me && live.contains(o));
            (*from, owner.and_then(|o| kernel.table.sibling(o)))
        })
        .collect();
    let done = tokio::task::spawn_blocking(move || {
        asks.into_iter()
            .filter(|(from, t)| t.as_ref().is_none_or(|t| t.routes(*from)))
            .map(|(from, _)| from)
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    for from in done {
        handing.remove(&from);
    }
    handing.iter().map(|(from, (to, _))| (*from, *to)).collect()
}

/// Remove the stack's table (at stop): new connections to its DVIPAs are
/// no longer forwarded by it; existing ones keep their conntrack entries.
/// When other stacks of the group run on this host, first wait (HAND_OFF
/// at most) until one of them routes each DVIPA:port this table forwards,
/// so that there is no moment when neither table forwards.
pub fn remove(kernel: &Kernel, others: bool) {
    let forwarded: Vec<SocketAddrV4> = kernel
        .forwarded
        .load()
        .keys()
        .filter_map(|a| v4(*a))
        .collect();
    let until = Instant::now() + HAND_OFF;
    if others {
        while Instant::now() < until && !forwarded.iter().all(|f| kernel.table.others_route(*f)) {
            std::thread::sleep(HAND_OFF_CHECK);
        }
    }
    match kernel.table.remove() {
        Ok(()) => info!(
            id = codes::KERNEL.id,
            "removed the nftables table {}",
            kernel.table.name()
        ),
        Err(e) => warn!(
            id = codes::KERNEL_TROUBLE.id,
            "cannot remove the nftables table {}: {e}",
            kernel.table.name()
        ),
    }
}

/// The counters of one target of one service (the controller's too: the
/// same metrics).
type StatsCache = HashMap<(ServiceKey, SocketAddr), Arc<TargetStats>>;

/// Conntrack's events, until `stop`: evidence for the engine, counters,
/// the connection table and the access log.
pub fn watch(
    mut events: Conntrack,
    kernel: Arc<Kernel>,
    shared: Arc<Shared>,
    stop: CancellationToken,
) {
    let mut tracker = Tracker::new(shared.settings.connect.timeout);
    let mut requests = Conntrack::requests().ok();
    // Each followed connection's id in the connection table, and its service.
    let mut ids: HashMap<(SocketAddr, SocketAddr), (u64, ServiceKey)> = HashMap::new();
    let mut stats: StatsCache = HashMap::new();
    let mut last_sweep = Instant::now();
    let mut lost_said = None::<Instant>;
    let (mut last_full, mut full_said) = (Instant::now(), None::<Instant>);
    while !stop.is_cancelled() {
        // Let events gather a moment before reading them (one wake-up per
        // batch rather than per connection); verdicts wait BATCH at most.
        std::thread::sleep(BATCH);
        let batch = match events.next(SWEEP) {
            Ok(b) => b,
            Err(e) => {
                if lost_said.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    warn!(id = codes::KERNEL_TROUBLE.id, "{e}; counts may be off");
                    lost_said = Some(Instant::now());
                }
                Vec::new()
            }
        };
        let now = Instant::now();
        let forwarded = kernel.forwarded.load();
        for (kind, flow) in batch {
            // A connection of this stack: new ones to a DVIPA:port the table
            // forwards (and did forward: not a packet left to the host), the
            // end of one it followed, whatever the table forwards now.
            let key = match kind {
                Kind::New if flow.target != flow.service => forwarded.get(&flow.service).copied(),
                Kind::Destroy => ids.get(&(flow.client, flow.service)).map(|(_, k)| *k),
                _ => None,
            };
            let Some(key) = key else {
                continue;
            };
            book(&shared, &mut ids, &mut stats, key, kind, &flow);
            for v in tracker.on(kind, flow, now) {
                verdict(&shared, &mut stats, key, v);
            }
        }
        if now.duration_since(last_full) >= FULL_CHECK {
            last_full = now;
            if let Some((count, max)) = conntrack_fill()
                && count * 100 >= max * FULL_PERCENT
                && full_said.is_none_or(|t: Instant| t.elapsed() > Duration::from_secs(60))
            {
                warn!(
                    id = codes::KERNEL_TROUBLE.id,
                    "conntrack's table holds {count} of at most {max} connections: when it is full the kernel drops new connections (no reset, no event); raise net.netfilter.nf_conntrack_max or lower [limits] max_connections"
                );
                full_said = Some(now);
            }
        }
        if now.duration_since(last_sweep) >= SWEEP
            && let Some(r) = requests.as_mut()
        {
            last_sweep = now;
            judge(&shared, &mut tracker, r, &forwarded, &mut stats, now);
            r.drain();
        }
    }
}

/// How often, and from what fill, conntrack's table is said to be nearly
/// full.
const FULL_CHECK: Duration = Duration::from_secs(1);
const FULL_PERCENT: u64 = 90;

/// Conntrack's entries now and at most (this namespace's count).
fn conntrack_fill() -> Option<(u64, u64)> {
    let read = |f: &str| -> Option<u64> {
        std::fs::read_to_string(format!("/proc/sys/net/netfilter/{f}"))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    Some((
        read("nf_conntrack_count")?,
        read("nf_conntrack_max")?.max(1),
    ))
}

/// The most overdue attempts of one target asked about in one sweep.
const MAX_ASKED: usize = 1024;

/// Overdue attempts: per target, ask conntrack about the newest. Answered:
/// the target was alive then, the older ones are no verdict. Unanswered: a
/// failed connect (once), and each unanswered overdue attempt is deleted
/// so that the client's next SYN is a new connection, to the new active
/// target.
fn judge(
    shared: &Shared,
    tracker: &mut Tracker,
    requests: &mut Conntrack,
    forwarded: &HashMap<SocketAddr, ServiceKey>,
    stats: &mut StatsCache,
    now: Instant,
) {
    for (target, attempts) in tracker.overdue(now) {
        let mut failed = false;
        for a in attempts.iter().take(MAX_ASKED) {
            match requests.get(a.client, a.service) {
                Ok(Some(f))
                    if f.status
                        .contains(netlink_packet_netfilter::conntrack::Status::SeenReply) =>
                {
                    if !failed {
                        tracker.alive(target, a.since);
                        break;
                    }
                    tracker.settle(a.client, a.service);
                }
                Ok(Some(_)) => {
                    tracker.settle(a.client, a.service);
                    if !failed {
                        failed = true;
                        if let Some(key) = forwarded.get(&a.service) {
                            target_stats(shared, stats, *key, target)
                                .failed(ConnectFailure::Timeout);
                        }
                        let why = format!(
                            "no answer within {} (conntrack)",
                            humantime::format_duration(shared.settings.connect.timeout)
                        );
                        let _ = shared.inputs.try_send(Input::ConnectFailed(
                            target,
                            why,
                            Instant::now(),
                        ));
                    }
                    let _ = requests.delete(a.client, a.service);
                }
                // Gone: its destroy event says the rest.
                Ok(None) | Err(_) => tracker.settle(a.client, a.service),
            }
        }
    }
}

fn target_stats(
    shared: &Shared,
    cache: &mut StatsCache,
    key: ServiceKey,
    endpoint: SocketAddr,
) -> Arc<TargetStats> {
    cache
        .entry((key, endpoint))
        .or_insert_with(|| Arc::new(TargetStats::new(&shared.metrics, key, endpoint)))
        .clone()
}

/// The connection table and the per-target counters.
fn book(
    shared: &Shared,
    ids: &mut HashMap<(SocketAddr, SocketAddr), (u64, ServiceKey)>,
    stats: &mut StatsCache,
    key: ServiceKey,
    kind: Kind,
    flow: &Flow,
) {
    let id = (flow.client, flow.service);
    match kind {
        Kind::New => {
            let s = target_stats(shared, stats, key, flow.target);
            s.total.inc();
            s.active.inc();
            let n = shared.next_conn.fetch_add(1, Ordering::Relaxed);
            ids.insert(id, (n, key));
            let destip = destip_of(shared, key, flow.target);
            if let Ok(mut c) = shared.conns.lock() {
                c.insert(
                    n,
                    ConnInfo {
                        service: key,
                        client: flow.client,
                        destip,
                        endpoint: flow.target,
                    },
                );
            }
        }
        Kind::Destroy => {
            if let Some((n, _)) = ids.remove(&id) {
                target_stats(shared, stats, key, flow.target).active.dec();
                if let Ok(mut c) = shared.conns.lock() {
                    c.remove(n);
                }
            }
        }
        Kind::Update => {}
    }
}

fn destip_of(shared: &Shared, key: ServiceKey, endpoint: SocketAddr) -> IpAddr {
    shared
        .routes
        .load()
        .services
        .get(&key)
        .and_then(|r| {
            r.targets
                .load()
                .iter()
                .find(|t| t.endpoint == endpoint)
                .map(|t| t.destip)
        })
        .unwrap_or(endpoint.ip())
}

fn verdict(shared: &Shared, stats: &mut StatsCache, key: ServiceKey, v: Verdict) {
    match v {
        Verdict::Refused { target } => {
            target_stats(shared, stats, key, target).failed(ConnectFailure::Refused);
            let _ = shared.inputs.try_send(Input::ConnectFailed(
                target,
                "reset the connection attempt (conntrack)".to_owned(),
                Instant::now(),
            ));
        }
        Verdict::Suspect { target } => {
            let _ = shared.inputs.try_send(Input::Suspect(target));
        }
        Verdict::Closed { flow, duration } => {
            // Bytes each way, where the host counts them (nf_conntrack_acct).
            if let Some((up, down)) = flow.bytes {
                target_stats(shared, stats, key, flow.target).moved(up, down);
            }
            if shared.settings.log.access {
                access(key, &flow, duration);
            }
        }
    }
}

/// The access line of a connection conntrack forgot.
fn access(key: ServiceKey, flow: &Flow, duration: Duration) {
    use netlink_packet_netfilter::conntrack::Status;
    let outcome = if flow.status.contains(Status::Assured) {
        "done"
    } else if flow.status.contains(Status::SeenReply) {
        "reset"
    } else {
        "refused"
    };
    let (up, down) = match flow.bytes {
        Some((u, d)) => (u.to_string(), d.to_string()),
        None => ("-".to_owned(), "-".to_owned()),
    };
    let ms = duration.as_millis() as u64;
    info!(
        target: "zosmf_ha::access",
        id = codes::ACCESS.id,
        client = %flow.client,
        service = %key,
        target = %flow.target,
        bytes_up = %up,
        bytes_down = %down,
        duration_ms = ms,
        outcome,
        forwarding = "kernel",
        "{} -> {} via {key}: {up} up, {down} down, {ms} ms, {outcome} (kernel)",
        flow.client,
        flow.target,
    );
}

/// `netstat vcrt` in kernel mode: conntrack's connections to the DVIPA:ports
/// the table forwards, with the target each went to.
pub fn connections(kernel: &Kernel) -> Result<Vec<(ServiceKey, Flow)>, ConntrackError> {
    let forwarded = kernel.forwarded.load();
    // Connections both sides have closed (conntrack's TIME_WAIT and CLOSE,
    // kept a few seconds) are not open any more.
    Ok(Conntrack::dump()?
        .into_iter()
        .filter(|f| f.target != f.service)
        .filter(|f| !matches!(f.state_name(), "TIME_WAIT" | "CLOSE"))
        .filter_map(|f| forwarded.get(&f.service).map(|k| (*k, f)))
        .collect())
}
