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

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};
use zha_group::{Claim, Decision, MoveReason, Moveable, Origin, decide};
use zha_tcpip::{Stack, VipaOwner};

use crate::codes;
use crate::membership::{ClaimRecord, GroupEngine, Member, Record};
use crate::shared::Shared;

/// How often the group task looks: on one machine a member's death shows
/// at once (its lock), so this bounds the takeover time.
pub const TICK: Duration = Duration::from_millis(10);

/// `distribute --system NAME --group DIR`.
#[derive(Clone, Debug)]
pub struct GroupOptions {
    /// The system's name: this stack's identity in the group.
    pub system: String,
    /// The embedded engine's folder, shared by the stacks of one machine.
    pub dir: PathBuf,
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
pub fn record(name: &str, claims: &[Claim], control: PathBuf) -> Record {
    Record {
        name: name.to_owned(),
        pid: std::process::id(),
        claims: claims.iter().map(|&c| ClaimRecord::from(c)).collect(),
        control: Some(control),
    }
}

fn owner_key(dvipa: IpAddr) -> String {
    format!("owner/{dvipa}")
}

fn conns_key(dvipa: IpAddr, name: &str) -> String {
    format!("conns/{dvipa}/{name}")
}

/// Run the group task until `stop`, then leave the group.
pub fn spawn(
    mut engine: Box<dyn GroupEngine>,
    name: String,
    claims: Vec<Claim>,
    shared: Arc<Shared>,
    serving: watch::Sender<BTreeSet<IpAddr>>,
    stop: CancellationToken,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("zha-group".into())
        .spawn(move || {
            let mut published: std::collections::HashMap<IpAddr, u64> = Default::default();
            let mut lost = false;
            while !stop.is_cancelled() {
                let now = match step(engine.as_mut(), &name, &claims, &shared, &mut published) {
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
                                "{name}: the group cannot be read ({e}): serving nothing until it can"
                            );
                            lost = true;
                        }
                        BTreeSet::new()
                    }
                };
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
                std::thread::sleep(TICK);
            }
            let _ = engine.leave();
        })
}

/// One look at the group: the DVIPAs this stack serves now.
fn step(
    engine: &mut dyn GroupEngine,
    me: &str,
    claims: &[Claim],
    shared: &Shared,
    published: &mut std::collections::HashMap<IpAddr, u64>,
) -> Result<BTreeSet<IpAddr>, crate::membership::GroupError> {
    let members = engine.members()?;
    if !engine.confirm()? {
        return Ok(BTreeSet::new());
    }
    let mut serving = BTreeSet::new();
    let mut owners = std::collections::BTreeMap::new();
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
            info!(
                id = codes::TAKEOVER.id,
                dvipa = %dvipa,
                "{me} {what} {dvipa} (from {from})"
            );
        }
        let owner = engine.get(&key)?;
        if let Some(o) = owner
            .as_deref()
            .filter(|o| members.iter().any(|m| m.record.name == *o))
        {
            owners.insert(dvipa, o.to_owned());
        }
        if owner.as_deref() == Some(me) {
            serving.insert(dvipa);
            let n = open_connections(shared, dvipa);
            if published.get(&dvipa) != Some(&n) {
                engine.put(&conns_key(dvipa, me), &n.to_string())?;
                published.insert(dvipa, n);
            }
        } else if published.remove(&dvipa).is_some() {
            engine.put(&conns_key(dvipa, me), "0")?;
        }
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

/// Every live member's claim on `dvipa`, with when it joined.
fn member_claims(members: &[Member], dvipa: IpAddr) -> Vec<(String, Claim, u64)> {
    members
        .iter()
        .flat_map(|m| {
            m.record
                .claims
                .iter()
                .map(|&c| Claim::from(c))
                .filter(|c| c.dvipa == dvipa)
                .map(|c| (m.record.name.clone(), c, m.joined))
        })
        .collect()
}

fn open_connections(shared: &Shared, dvipa: IpAddr) -> u64 {
    shared
        .conns
        .lock()
        .map(|m| m.values().filter(|c| c.service.dvipa == dvipa).count() as u64)
        .unwrap_or(0)
}
