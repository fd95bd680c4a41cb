//! A stack in the sysplex group (SPEC §7): `distribute --system NAME`
//! joins the group, decides with the other stacks who owns each DVIPA
//! (`zha_group::decide`, the same pure function on every stack), and says
//! which DVIPAs this stack serves; the accept loops serve only those.
//!
//! The group task runs on a thread of its own (the engines block), every
//! [`TICK`]: it reads the live members, the owner of each DVIPA it claims
//! (a key in the group's shared state, changed only by compare-and-put, so
//! two stacks never both win a move), and the owner's open connections
//! (for WHENIDLE); it publishes its own open connections to the DVIPAs it
//! serves. Losing the group (an error, or no longer a member) serves
//! nothing: a stack that cannot confirm its membership steps down.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};
use zha_group::{Claim, Decision, MoveReason, Moveable, Origin, decide};
use zha_standby::Engine;

pub use crate::shared::DvipaState;
use zha_tcpip::{Stack, VipaOwner};

use crate::codes;
use crate::membership::{ClaimRecord, GroupEngine, Member, Record};
use crate::protocol::{GroupAction, Reply};
use crate::shared::Shared;

/// How often the group task looks: on one machine a member's death shows
/// at once (its lock), so this bounds the takeover time.
pub const TICK: Duration = Duration::from_millis(10);

/// `distribute --system NAME [--group DIR | --etcd URL --interface IF]`.
#[derive(Clone, Debug)]
pub struct GroupOptions {
    /// The system's name: this stack's identity in the group.
    pub system: String,
    pub at: GroupAt,
}

/// Where the group meets.
#[derive(Clone, Debug)]
pub enum GroupAt {
    /// One machine: the embedded engine's folder, shared by its stacks,
    /// which share one listening socket per DVIPA:port.
    Folder(PathBuf),
    /// Hosts: etcd; the owner puts the DVIPA on `interface` (SPEC §7).
    Etcd {
        /// `http://host:2379`.
        url: String,
        /// The group's name in etcd (keys under `/zosmf-ha/<sysplex>/`).
        sysplex: String,
        interface: String,
    },
}

impl GroupOptions {
    /// The folder of the embedded engine, when it is the one.
    pub fn folder(&self) -> Option<&PathBuf> {
        match &self.at {
            GroupAt::Folder(d) => Some(d),
            GroupAt::Etcd { .. } => None,
        }
    }
}

/// Across hosts: how this stack moves its DVIPAs and fences itself (SPEC
/// §7). An owner stops serving [`FENCE`] after its last confirmed
/// membership, whatever its group task is doing; a stack that takes a
/// DVIPA over from another serves it only [`FENCE`] after it did (the etcd
/// engine ends the membership of a member silent for
/// `membership::SILENCE`).
pub struct Hosts {
    pub iface: crate::address::Interface,
    pub fence: Duration,
}

/// How often a stack across hosts confirms its membership and beats.
pub const HOSTS_TICK: Duration = Duration::from_millis(50);
/// F of SPEC §7's fencing rule: well above [`HOSTS_TICK`], so that a
/// confirmation or two may be late without a step-down.
pub const FENCE: Duration = Duration::from_millis(300);

/// The prefix a DVIPA is added with: the address alone (/32, /128), so it
/// never becomes an interface's primary address nor adds a route.
fn host_prefix(d: IpAddr) -> u8 {
    if d.is_ipv4() { 32 } else { 128 }
}

/// This stack's claims: its VIPADEFINE and VIPABACKUP of the DVIPAs it
/// distributes.
pub fn claims(stack: &Stack, dvipas: &BTreeSet<IpAddr>) -> Vec<Claim> {
    stack
        .vipas
        .iter()
        .filter(|v| dvipas.contains(&v.addr.value))
        .map(|v| Claim {
            dvipa: v.addr.value,
            origin: match v.owner {
                VipaOwner::Define => Origin::Define,
                VipaOwner::Backup(rank) => Origin::Backup { rank },
            },
            moveable: match v.moveable {
                Some(zha_tcpip::Moveable::WhenIdle) => Moveable::WhenIdle,
                _ => Moveable::Immediate,
            },
        })
        .collect()
}

/// The record this stack publishes.
pub fn record(
    name: &str,
    claims: &[Claim],
    control: PathBuf,
    distributions: &[(IpAddr, String)],
) -> Record {
    Record {
        name: name.to_owned(),
        pid: std::process::id(),
        claims: claims.iter().map(|&c| ClaimRecord::from(c)).collect(),
        control: Some(control),
        distributions: distributions.to_vec(),
    }
}

/// This stack's own HOTSTANDBY VIPADISTRIBUTE statements of the DVIPAs it
/// defines or backs up, to publish.
pub fn statements(stack: &Stack) -> Vec<(IpAddr, String)> {
    stack
        .distributions
        .iter()
        .filter(|d| stack.vipa(d.dvipa.value).is_some())
        .filter_map(|d| Some((d.dvipa.value, d.statement()?)))
        .collect()
}

/// The DVIPAs this stack defines or backs up without a HOTSTANDBY
/// VIPADISTRIBUTE of its own (IPv4: the inherited statement is applied
/// beside this stack's IPCONFIG).
pub fn undistributed(stack: &Stack) -> Vec<&zha_tcpip::Vipa> {
    stack
        .vipas
        .iter()
        .filter(|v| v.addr.value.is_ipv4())
        .filter(|v| {
            !stack.distributions.iter().any(|d| {
                d.dvipa.value == v.addr.value && d.method == zha_tcpip::DistMethod::HotStandby
            })
        })
        .collect()
}

/// A VIPADISTRIBUTE for `dvipa` another member publishes: (its name, the
/// statement), the earliest member's first.
pub fn published<'a>(members: &'a [Member], me: &str, dvipa: IpAddr) -> Option<(&'a str, &'a str)> {
    members
        .iter()
        .filter(|m| m.record.name != me)
        .find_map(|m| {
            m.record
                .distributions
                .iter()
                .find(|(d, _)| *d == dvipa)
                .map(|(_, s)| (m.record.name.as_str(), s.as_str()))
        })
}

/// A profile that applies `statement` on this stack: its DYNAMICXCF
/// address and its own VIPADEFINE or VIPABACKUP of the DVIPA, checked and
/// loaded like any profile.
pub fn inherited_profile(
    stack: &Stack,
    vipa: &zha_tcpip::Vipa,
    from: &str,
    statement: &str,
) -> String {
    let xcf = stack
        .dynamic_xcf
        .map(|x| {
            format!(
                "IPCONFIG SYSPLEXROUTING DYNAMICXCF {} 255.255.255.0 1\n",
                x.value
            )
        })
        .unwrap_or_else(|| "IPCONFIG SYSPLEXROUTING\n".to_owned());
    let define = match vipa.owner {
        VipaOwner::Define => format!("VIPADEFINE 255.255.255.255 {}", vipa.addr.value),
        VipaOwner::Backup(rank) => format!(
            "VIPABACKUP {rank} MOVEABLE IMMEDIATE 255.255.255.255 {}",
            vipa.addr.value
        ),
    };
    format!(
        "; Written by zosmf-ha distribute: {from}'s VIPADISTRIBUTE for {}, which\n; this stack inherits (SPEC §7). Rewritten at each start.\n{xcf}VIPADYNAMIC\n  {define}\n{statement}ENDVIPADYNAMIC\n",
        vipa.addr.value
    )
}

fn owner_key(dvipa: IpAddr) -> String {
    format!("owner/{dvipa}")
}

fn conns_key(dvipa: IpAddr, name: &str) -> String {
    format!("conns/{dvipa}/{name}")
}

fn state_key(dvipa: IpAddr) -> String {
    format!("state/{dvipa}")
}

/// The engine's choices, per DVIPA.
pub fn states(engine: &Engine) -> BTreeMap<IpAddr, DvipaState> {
    let persisted = engine.persisted();
    let mut out: BTreeMap<IpAddr, DvipaState> = BTreeMap::new();
    for s in engine.snapshot().services {
        let at = SocketAddr::new(s.key.dvipa, s.key.port);
        let e = out.entry(s.key.dvipa).or_default();
        if let Some(a) = persisted.get(&s.key) {
            e.active.push((at, *a));
        }
        for t in s.targets.iter().filter(|t| t.quiesced) {
            e.quiesced.push((at, t.endpoint));
        }
    }
    out
}

pub use crate::shared::GroupCommand as Command;

/// What the group task keeps of this stack's place in the group.
struct Place {
    name: String,
    claims: Vec<Claim>,
    control: PathBuf,
    /// Left with `vary leave`: serves nothing until `vary join`.
    joined: bool,
    /// Claims `vary deactivate` took out of the group.
    deactivated: BTreeSet<IpAddr>,
    /// When `vary reactivate` defined a claim again, in the group's order.
    defined: HashMap<IpAddr, u64>,
    /// The first round of probes is over: the claims are published.
    ready: bool,
    /// Its own VIPADISTRIBUTE statements.
    distributions: Vec<(IpAddr, String)>,
}

impl Place {
    /// The record the group sees: the active claims.
    fn record(&self) -> Record {
        let mut r = record(
            &self.name,
            &self.claimed(),
            self.control.clone(),
            &self.distributions,
        );
        for c in &mut r.claims {
            c.defined = self.defined.get(&c.dvipa).copied().unwrap_or(0);
        }
        r
    }

    fn claimed(&self) -> Vec<Claim> {
        self.claims
            .iter()
            .copied()
            .filter(|c| self.ready && !self.deactivated.contains(&c.dvipa))
            .collect()
    }

    fn carry_out(&mut self, engine: &mut dyn GroupEngine, cmd: &Command) -> Reply {
        let name = self.name.clone();
        let done = |line: String| Reply::Done { lines: vec![line] };
        let refused = |e: String| Reply::refused(e);
        let known = |d: IpAddr| self.claims.iter().any(|c| c.dvipa == d);
        match (cmd.action, cmd.dvipa) {
            (GroupAction::Leave, _) if !self.joined => done(format!("{name} is not in the group")),
            (GroupAction::Leave, _) => {
                // Who else claims what this stack claims: nobody may serve
                // a DVIPA once its only stack leaves.
                let others: Vec<Member> = engine
                    .members()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|m| m.record.name != name)
                    .collect();
                let orphans: Vec<String> = self
                    .claimed()
                    .iter()
                    .filter(|c| {
                        !others
                            .iter()
                            .any(|m| m.record.claims.iter().any(|o| o.dvipa == c.dvipa))
                    })
                    .map(|c| c.dvipa.to_string())
                    .collect();
                match engine.leave() {
                    Ok(()) => {
                        self.joined = false;
                        let mut line = format!(
                            "{name} left the group: it serves no DVIPA, the other stacks take them over"
                        );
                        if !orphans.is_empty() {
                            line = format!(
                                "{line}; no other stack claims {}: nobody serves it until {name} joins again",
                                orphans.join(", ")
                            );
                        }
                        done(line)
                    }
                    Err(e) => refused(e.to_string()),
                }
            }
            (GroupAction::Join, _) if self.joined => {
                done(format!("{name} is in the group already"))
            }
            (GroupAction::Join, _) => match engine.join(&self.record()) {
                Ok(_) => {
                    self.joined = true;
                    done(format!("{name} joined the group again"))
                }
                Err(e) => refused(e.to_string()),
            },
            (GroupAction::Deactivate | GroupAction::Reactivate, None) => {
                refused("name the DVIPA: vary deactivate|reactivate ADDRESS".into())
            }
            (_, Some(d)) if !known(d) => refused(format!(
                "{name} has no VIPADEFINE or VIPABACKUP for {d} that it distributes"
            )),
            (GroupAction::Deactivate, Some(d)) => {
                if !self.deactivated.insert(d) {
                    return done(format!("{d} is deactivated on {name} already"));
                }
                if self.joined
                    && let Err(e) = engine.update(&self.record())
                {
                    self.deactivated.remove(&d);
                    return refused(e.to_string());
                }
                done(format!(
                    "{d} deactivated on {name}: it moves as if {name} had left it"
                ))
            }
            (GroupAction::Reactivate, Some(d)) => {
                if !self.deactivated.remove(&d) {
                    return done(format!("{d} is active on {name} already"));
                }
                if self.joined {
                    // A new definition: the latest, in the group's order.
                    match engine.update(&self.record()) {
                        Ok(seq) => {
                            self.defined.insert(d, seq);
                            if let Err(e) = engine.update(&self.record()) {
                                return refused(e.to_string());
                            }
                        }
                        Err(e) => {
                            self.deactivated.insert(d);
                            return refused(e.to_string());
                        }
                    }
                }
                done(format!("{d} reactivated on {name}"))
            }
        }
    }
}

/// Run the group task until `stop`, then leave the group.
#[allow(clippy::too_many_arguments)]
pub fn spawn(
    mut engine: Box<dyn GroupEngine>,
    name: String,
    claims: Vec<Claim>,
    distributions: Vec<(IpAddr, String)>,
    control: PathBuf,
    shared: Arc<Shared>,
    serving: watch::Sender<BTreeSet<IpAddr>>,
    commands: std::sync::mpsc::Receiver<Command>,
    hosts: Option<Hosts>,
    stop: CancellationToken,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let hosts = hosts.map(Arc::new);
    // The addresses on the interface: the group task and the fence
    // watchdog both change them, never while waiting for the group.
    let held = Arc::new(std::sync::Mutex::new(Held::default()));
    if let Some(h) = &hosts {
        let (shared, serving, stop, name, h, held) = (
            shared.clone(),
            serving.clone(),
            stop.clone(),
            name.clone(),
            h.clone(),
            held.clone(),
        );
        std::thread::Builder::new()
            .name("zha-fence".into())
            .spawn(move || fence_watch(&shared, &serving, &h, &held, &stop, &name))?;
    }
    std::thread::Builder::new()
        .name("zha-group".into())
        .spawn(move || {
            let tick = if hosts.is_some() { HOSTS_TICK } else { TICK };
            let mut lost = false;
            let mut place = Place {
                name: name.clone(),
                claims,
                control,
                joined: true,
                deactivated: BTreeSet::new(),
                defined: Default::default(),
                ready: false,
                distributions,
            };
            let mut kept = Kept::default();
            while !stop.is_cancelled() {
                while let Ok(cmd) = commands.try_recv() {
                    let r = place.carry_out(engine.as_mut(), &cmd);
                    let _ = cmd.reply.send(r);
                }
                // Taken out of the group (this stack stopped confirming for
                // a while: frozen, or starved): join again, as a new member.
                if place.joined
                    && matches!(engine.confirm(), Ok(false))
                    && engine.join(&place.record()).is_ok()
                {
                    warn!(
                        id = codes::GROUP.id,
                        "{name} had been taken out of the group (it did not confirm its membership in time); it joined again"
                    );
                }
                // Claims once the first round of probes is over.
                if !place.ready && shared.ready.is_cancelled() {
                    place.ready = true;
                    if place.joined {
                        match engine.update(&place.record()) {
                            Ok(_) => info!(
                                id = codes::OWNER.id,
                                "{name}: its first probes are in; it claims {} DVIPA(s)",
                                place.claimed().len()
                            ),
                            // Again at the next look.
                            Err(_) => place.ready = false,
                        }
                    }
                }
                let claims = place.claimed();
                let was = serving.borrow().clone();
                let step = if place.joined {
                    let me = Me {
                        name: &name,
                        shared: &shared,
                        hosts: hosts.as_deref(),
                    };
                    step(engine.as_mut(), &me, &claims, &was, &mut kept)
                } else {
                    // Out of the group (`vary leave`): its view says so
                    // (VIPADYN, /readyz).
                    if let Ok(mut g) = shared.group.lock()
                        && let Some(v) = g.as_mut()
                    {
                        v.members.retain(|m| *m != name);
                        v.owners.retain(|_, o| *o != name);
                    }
                    Ok(BTreeSet::new())
                };
                let now = match step {
                    Ok(s) => {
                        if lost {
                            info!(id = codes::GROUP.id, "{name}: the group answers again");
                            lost = false;
                        }
                        s
                    }
                    Err(e) => {
                        if !lost {
                            warn!(
                                id = codes::GROUP.id,
                                "{name}: the group cannot be read or written ({e}): serving nothing until it can"
                            );
                            lost = true;
                        }
                        BTreeSet::new()
                    }
                };
                let mut now = now;
                if let Some(h) = &hosts
                    && let Ok(mut held) = held.lock()
                {
                    // Fenced (membership or ownership not confirmed within
                    // F): serve nothing of it, whatever it read — judged
                    // under the lock the watchdog takes too.
                    now.retain(|d| shared.may_serve(*d));
                    // Stop accepting what is lost before its address goes;
                    // put a gained address on before accepting.
                    publish(&serving, &name, now.intersection(&held.on).copied().collect());
                    move_addresses(h, &name, &now, &mut held, &|d| shared.may_serve(d));
                    now.retain(|d| held.on.contains(d));
                }
                for d in place.claims.iter().map(|c| c.dvipa) {
                    shared
                        .metrics
                        .dvipa_owned
                        .get_or_create(&crate::metrics::DvipaLabels {
                            dvipa: d.to_string(),
                            system: name.clone(),
                        })
                        .set(i64::from(now.contains(&d)));
                }
                publish(&serving, &name, now);
                std::thread::sleep(tick);
            }
            publish(&serving, &name, BTreeSet::new());
            if let Some(h) = &hosts
                && let Ok(mut held) = held.lock()
            {
                move_addresses(h, &name, &BTreeSet::new(), &mut held, &|_| false);
            }
            let _ = engine.leave();
        })
}

/// Say which DVIPAs this stack accepts for, and log what changed.
fn publish(serving: &watch::Sender<BTreeSet<IpAddr>>, name: &str, now: BTreeSet<IpAddr>) {
    serving.send_if_modified(|old| {
        if *old == now {
            return false;
        }
        for d in now.difference(old) {
            info!(id = codes::OWNER.id, dvipa = %d, "{name} owns {d} and accepts its connections");
        }
        for d in old.difference(&now) {
            info!(id = codes::OWNER.id, dvipa = %d, "{name} no longer owns {d}: it stops accepting");
        }
        *old = now;
        true
    });
}

/// Across hosts: the DVIPAs on this stack's interface, and when each is
/// announced again.
#[derive(Default)]
struct Held {
    on: BTreeSet<IpAddr>,
    again: Vec<(IpAddr, std::time::Instant)>,
}

/// When an address taken is announced again, after the first time: a
/// neighbour ignores an update of an entry younger than its locktime (1 s
/// by default on Linux), so one announcement right after another move may
/// be lost (keepalived repeats its own for the same reason).
const ANNOUNCE_AGAIN: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_millis(1100),
    Duration::from_millis(2500),
];

/// Across hosts: make the interface hold exactly the DVIPAs this stack
/// owns — remove the lost ones, add and announce the gained ones (`may`
/// is asked again right before: an address that cannot be added is not
/// served) — and repeat the announcements that are due. An address that
/// left the interface behind this stack's back is added again.
fn move_addresses(
    h: &Hosts,
    name: &str,
    want: &BTreeSet<IpAddr>,
    held: &mut Held,
    may: &dyn Fn(IpAddr) -> bool,
) {
    let iface = h.iface.name();
    for d in held.on.clone() {
        if matches!(h.iface.has(d), Ok(false)) {
            warn!(id = codes::ADDRESS.id, dvipa = %d, "{name}: {d} is no longer on {iface} (removed by someone else)");
            held.on.remove(&d);
        }
    }
    for d in held.on.clone().difference(want) {
        match h.iface.remove(*d, host_prefix(*d)) {
            Ok(()) => {
                held.on.remove(d);
                held.again.retain(|(a, _)| a != d);
                info!(id = codes::ADDRESS.id, dvipa = %d, "{name} removed {d} from {iface}");
            }
            Err(e) => {
                error!(id = codes::ADDRESS.id, dvipa = %d, "{name} cannot remove {d} from {iface}: {e}")
            }
        }
    }
    for d in want.difference(&held.on.clone()) {
        if !may(*d) {
            continue;
        }
        if let Err(e) = h.iface.add(*d, host_prefix(*d)) {
            error!(id = codes::ADDRESS.id, dvipa = %d, "{name} cannot take {d} on {iface}: {e}");
            continue;
        }
        held.on.insert(*d);
        let now = std::time::Instant::now();
        held.again
            .extend(ANNOUNCE_AGAIN.iter().map(|a| (*d, now + *a)));
        match h.iface.announce(*d) {
            Ok(()) => info!(
                id = codes::ADDRESS.id,
                dvipa = %d,
                "{name} added {d} to {iface} and announced it (gratuitous ARP / unsolicited neighbour advertisement)"
            ),
            Err(e) => warn!(
                id = codes::ADDRESS.id,
                dvipa = %d,
                "{name} added {d} to {iface} but cannot announce it ({e}); neighbours learn it when they ask, and it is announced again"
            ),
        }
    }
    let now = std::time::Instant::now();
    let due: Vec<IpAddr> = held
        .again
        .iter()
        .filter(|(_, at)| *at <= now)
        .map(|(d, _)| *d)
        .collect();
    held.again.retain(|(_, at)| *at > now);
    for d in due.into_iter().filter(|d| held.on.contains(d) && may(*d)) {
        if let Err(e) = h.iface.announce(d) {
            warn!(id = codes::ADDRESS.id, dvipa = %d, "{name} cannot announce {d} again on {iface}: {e}");
        }
    }
}

/// Across hosts: stop serving a DVIPA [`FENCE`] after the last
/// confirmation that this stack is a member and owns it, and take it off
/// the interface, even while the group task waits for etcd (a client that
/// still reached this host would wait in a queue nobody accepts from;
/// without the address its SYN is sent again, to the next owner).
fn fence_watch(
    shared: &Shared,
    serving: &watch::Sender<BTreeSet<IpAddr>>,
    h: &Hosts,
    held: &std::sync::Mutex<Held>,
    stop: &CancellationToken,
    name: &str,
) {
    while !stop.is_cancelled() {
        if let Ok(mut held) = held.lock() {
            let now = serving.borrow().clone();
            let keep: BTreeSet<IpAddr> = now
                .iter()
                .copied()
                .filter(|d| shared.may_serve(*d))
                .collect();
            if keep != now {
                let dropped: Vec<String> = now.difference(&keep).map(ToString::to_string).collect();
                warn!(
                    id = codes::FENCED.id,
                    "{name} fenced: its membership or its ownership of {} was not confirmed for {FENCE:?}; it stops serving until the group confirms them again",
                    dropped.join(", ")
                );
                publish(serving, name, keep.clone());
                let want: BTreeSet<IpAddr> = keep.intersection(&held.on).copied().collect();
                move_addresses(h, name, &want, &mut held, &|_| false);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// This stack, for a look at the group.
struct Me<'a> {
    name: &'a str,
    shared: &'a Shared,
    hosts: Option<&'a Hosts>,
}

/// One look at the group: the DVIPAs this stack serves now.
fn step(
    engine: &mut dyn GroupEngine,
    who: &Me,
    claims: &[Claim],
    was: &BTreeSet<IpAddr>,
    kept: &mut Kept,
) -> Result<BTreeSet<IpAddr>, crate::membership::GroupError> {
    let (me, shared) = (who.name, who.shared);
    // The controller's state as of now (read before the state itself).
    let asof = shared.state_gen.load(std::sync::atomic::Ordering::Relaxed);
    let mut stored = true;
    let members = engine.members()?;
    let sent = std::time::Instant::now();
    if !engine.confirm()? {
        return Ok(BTreeSet::new());
    }
    if who.hosts.is_some() {
        // The fencing rule's confirmation, from when it was asked (the
        // engine writes this stack's beat with it).
        shared.confirmed(sent);
    }
    let mut serving = BTreeSet::new();
    let mut owners = BTreeMap::new();
    let mut dvipas: Vec<IpAddr> = claims.iter().map(|c| c.dvipa).collect();
    dvipas.dedup();
    for dvipa in dvipas {
        let all = member_claims(&members, dvipa);
        let key = owner_key(dvipa);
        let current = engine.get(&key)?;
        // An owner that left counts as none.
        let live = current
            .as_deref()
            .filter(|c| members.iter().any(|m| m.record.name == *c));
        let open = match live {
            Some(o) => engine
                .get(&conns_key(dvipa, o))?
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0),
            None => 0,
        };
        defined_twice(me, dvipa, &all, kept);
        let claims_ref = all.iter().map(|(n, c, j)| (n.as_str(), *c, *j));
        if let Decision::Move {
            to: Some((w, _)),
            reason,
        } = decide(dvipa, claims_ref, live, open)
            && w == me
            && engine.compare_and_put(&key, current.as_deref(), me)?
        {
            // An owner that is gone from the group: a takeover.
            let from = current.as_deref().unwrap_or("nobody");
            let what = match reason {
                MoveReason::Takeback => "takes back",
                MoveReason::Takeover => "takes over",
                _ if current.is_some() => "takes over",
                _ => "owns",
            };
            // Across hosts the previous owner may still serve until its
            // fence: this stack serves F after its membership ended — now,
            // or earlier (`zha_group::Fence::took_over`).
            let wait = who
                .hosts
                .filter(|_| current.as_deref().is_some_and(|c| c != me));
            if let Some(h) = wait {
                kept.wait.insert(dvipa, std::time::Instant::now() + h.fence);
            }
            info!(
                id = codes::TAKEOVER.id,
                dvipa = %dvipa,
                "{me} {what} {dvipa} (from {from}){}",
                match wait {
                    Some(h) => format!("; it serves in {:?}, once {from} has fenced itself", h.fence),
                    None => String::new(),
                }
            );
            let reason = match what {
                "takes back" => "takeback",
                "takes over" => "takeover",
                _ => "defined",
            };
            if let Some(h) = &shared.hooks
                && reason != "defined"
            {
                h.fire(crate::hooks::HookEvent::moved(
                    reason,
                    dvipa,
                    from,
                    format!("{me} {what} {dvipa} (from {from})"),
                ));
            }
            shared
                .metrics
                .dvipa_moves
                .get_or_create(&crate::metrics::MoveLabels {
                    dvipa: dvipa.to_string(),
                    system: me.to_owned(),
                    reason: reason.to_owned(),
                })
                .inc();
        }
        let asked = std::time::Instant::now();
        let owner = engine.get(&key)?;
        if owner.as_deref() == Some(me) {
            // Across hosts: this stack may serve the DVIPA until F after
            // this read (a takeover or takeback by another stack is a
            // compare-and-put that this read would have seen).
            shared.owns(dvipa, asked);
        }
        if let Some(o) = owner
            .as_deref()
            .filter(|o| members.iter().any(|m| m.record.name == *o))
        {
            owners.insert(dvipa, o.to_owned());
        }
        let fencing = kept
            .wait
            .get(&dvipa)
            .is_some_and(|t| std::time::Instant::now() < *t);
        if owner.as_deref() == Some(me) && !fencing {
            kept.wait.remove(&dvipa);
            if !was.contains(&dvipa) {
                // Taken (back): keep what the group holds before serving.
                adopt(engine, shared, dvipa)?;
                kept.state.remove(&dvipa);
            }
            serving.insert(dvipa);
            // Best effort: a count that cannot be written only delays a
            // WHENIDLE takeback; it is no reason to stop serving.
            let n = open_connections(shared, dvipa);
            if kept.conns.get(&dvipa) != Some(&n)
                && engine.put(&conns_key(dvipa, me), &n.to_string()).is_ok()
            {
                kept.conns.insert(dvipa, n);
            }
            // This owner's choices are the group's.
            let mine = shared
                .group_state
                .lock()
                .ok()
                .and_then(|g| g.get(&dvipa).cloned())
                .unwrap_or_default();
            if kept.state.get(&dvipa) != Some(&mine) {
                match serde_json::to_string(&mine) {
                    Ok(text) if engine.put(&state_key(dvipa), &text).is_ok() => {
                        kept.state.insert(dvipa, mine);
                    }
                    _ => stored = false,
                }
            }
        } else if owner.as_deref() != Some(me) {
            kept.wait.remove(&dvipa);
            kept.state.remove(&dvipa);
            if kept.conns.remove(&dvipa).is_some() {
                let _ = engine.put(&conns_key(dvipa, me), "0");
            }
        }
    }
    if stored {
        shared.state_written.send_if_modified(|w| {
            let newer = asof > *w;
            if newer {
                *w = asof;
            }
            newer
        });
    }
    if let Ok(mut g) = shared.group.lock() {
        *g = Some(crate::shared::GroupView {
            system: me.to_owned(),
            members: members.iter().map(|m| m.record.name.clone()).collect(),
            owners,
        });
    }
    Ok(serving)
}

/// What this stack keeps between its looks at the group.
#[derive(Default)]
struct Kept {
    /// Its open connections (for WHENIDLE), as last written.
    conns: HashMap<IpAddr, u64>,
    /// Its choices (active and quiesced targets), as last written.
    state: HashMap<IpAddr, DvipaState>,
    /// Across hosts: DVIPAs taken over, served from this instant on.
    wait: HashMap<IpAddr, std::time::Instant>,
    /// The live VIPADEFINE stacks of each DVIPA, as last said.
    definers: HashMap<IpAddr, Vec<String>>,
}

/// Say once per set of stacks that a DVIPA has several live VIPADEFINE
/// stacks (ZHA2012): the latest to define it owns it.
fn defined_twice(me: &str, dvipa: IpAddr, all: &[(String, Claim, u64)], kept: &mut Kept) {
    let mut definers: Vec<(&str, u64)> = all
        .iter()
        .filter(|(_, c, _)| c.origin == Origin::Define)
        .map(|(n, _, d)| (n.as_str(), *d))
        .collect();
    definers.sort_by_key(|d| d.1);
    let names: Vec<&str> = definers.iter().map(|d| d.0).collect();
    let seen = kept
        .definers
        .get(&dvipa)
        .map(|v| v.iter().map(String::as_str).collect::<Vec<_>>());
    if seen.as_deref() == Some(names.as_slice()) {
        return;
    }
    kept.definers
        .insert(dvipa, names.iter().map(|n| (*n).to_owned()).collect());
    if let [.., (latest, _)] = definers.as_slice()
        && definers.len() > 1
    {
        warn!(
            id = codes::DEFINED_TWICE.id,
            dvipa = %dvipa,
            "{me}: {dvipa} is defined by VIPADEFINE on {} (ZHA2012): {latest}, the latest to define it, owns it, as on z/OS; define it on one stack and back it up (VIPABACKUP) on the others",
            names.join(" and ")
        );
    }
}

/// How long a stack that takes a DVIPA waits for its routes to follow the
/// group's state; past it, it serves with its own.
/// Shorter than F less a tick: across hosts, a stack that waits longer
/// would miss its own confirmations and beats.
const ADOPT_WAIT: Duration = Duration::from_millis(150);

/// Keep the group's state of `dvipa` (the previous owner's choices), if
/// it has one: the controller adopts it and publishes the routes, then
/// this stack may serve.
fn adopt(
    engine: &mut dyn GroupEngine,
    shared: &Shared,
    dvipa: IpAddr,
) -> Result<(), crate::membership::GroupError> {
    let Some(text) = engine.get(&state_key(dvipa))? else {
        return Ok(());
    };
    let Ok(state) = serde_json::from_str::<DvipaState>(&text) else {
        warn!(
            id = codes::GROUP.id,
            "the group's state of {dvipa} is damaged; this stack keeps its own choices"
        );
        return Ok(());
    };
    let (done, routed) = std::sync::mpsc::sync_channel(1);
    let input = crate::shared::Input::Adopt {
        dvipas: BTreeSet::from([dvipa]),
        state: state.adopted(),
        done,
    };
    if shared.inputs.blocking_send(input).is_ok() && routed.recv_timeout(ADOPT_WAIT).is_err() {
        warn!(
            id = codes::GROUP.id,
            "the group's state of {dvipa} was not applied within {ADOPT_WAIT:?}; serving with this stack's own choices"
        );
    }
    Ok(())
}

/// Every live member's claim on `dvipa`, with when it was defined.
fn member_claims(members: &[Member], dvipa: IpAddr) -> Vec<(String, Claim, u64)> {
    members
        .iter()
        .flat_map(|m| {
            m.claims()
                .filter(|(c, _)| c.dvipa == dvipa)
                .map(|(c, defined)| (m.record.name.clone(), c, defined))
        })
        .collect()
}

fn open_connections(shared: &Shared, dvipa: IpAddr) -> u64 {
    shared.conns.lock().map(|m| m.open(dvipa)).unwrap_or(0)
}
