//! Who owns each DVIPA (SPEC §7): a pure function of the live members'
//! claims, the order they defined them in, the current owner and the
//! current owner's open connections, applied by [`Group`] after every input.
//!
//! The rules, as z/OS dynamic VIPA takeover has them:
//! - The wanted owner is the live VIPADEFINE stack (the latest to define
//!   it when several do), else the highest-ranked live VIPABACKUP stack
//!   (equal ranks: the one that defined it first).
//! - A DVIPA whose owner leaves (or deactivates it) goes to the wanted
//!   owner at once: a *takeover*.
//! - A live owner gives the DVIPA up only to a VIPADEFINE stack (a
//!   *takeback*): at once for MOVEABLE IMMEDIATE, for MOVEABLE WHENIDLE only
//!   when the owner has no connection to it. Until then the takeback is
//!   pending. **Decision:** a live owner never gives the DVIPA to a backup,
//!   whatever its rank: a backup that joins later waits for the next
//!   takeover, as z/OS moves a DVIPA only on takeover and takeback.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::time::Instant;

use crate::claim::{Claim, Moveable, Origin};

/// A member of the group: a stack and what its profile claims.
#[derive(Clone, Debug)]
struct Member {
    name: String,
    claims: Vec<Claimed>,
}

#[derive(Clone, Copy, Debug)]
struct Claimed {
    claim: Claim,
    /// When the stack defined the DVIPA: its join, or its last
    /// `reactivate` (the group's sequence number).
    defined: u64,
    /// `vary deactivate`: the claim is kept but does not count.
    active: bool,
}

/// The owner of a DVIPA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub system: String,
    pub origin: Origin,
    /// The group's sequence number when it became the owner: a backup that
    /// defined the DVIPA later could not have been chosen then.
    pub since: u64,
    pub at: Instant,
}

/// Why a DVIPA changed hands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveReason {
    /// The first owner of a DVIPA nobody owned.
    Defined,
    /// The owner left the group or deactivated the DVIPA.
    Takeover,
    /// A VIPADEFINE stack took the DVIPA back from a live owner.
    Takeback,
    /// No live stack claims the DVIPA any more.
    Released,
}

/// A change of owner, for the shell to act on and to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    pub dvipa: IpAddr,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: MoveReason,
    pub at: Instant,
}

/// The wanted owner of `dvipa` among `(name, claim, defined)`: the latest
/// live VIPADEFINE, else the highest-ranked backup (equal ranks: the first
/// to define it). Returns the name and its claim.
pub fn desired<'a>(
    dvipa: IpAddr,
    claims: impl IntoIterator<Item = (&'a str, Claim, u64)>,
) -> Option<(&'a str, Claim)> {
    claims
        .into_iter()
        .filter(|(_, c, _)| c.dvipa == dvipa)
        .max_by_key(|&(_, c, defined)| match c.origin {
            // Define beats every backup (rank 255); the later definer wins.
            Origin::Define => (255u16, defined as i128),
            // Higher rank first; among equal ranks, the earlier definer.
            Origin::Backup { rank } => (u16::from(rank), -(defined as i128)),
        })
        .map(|(n, c, _)| (n, c))
}

/// What [`decide`] says of one DVIPA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The current owner keeps it (or nobody owns what nobody claims).
    Keep,
    /// A WHENIDLE takeback waits for the owner's last connection: the
    /// stack that wants it.
    Pending(String),
    /// The DVIPA changes hands (`to: None`: nobody claims it any more).
    Move {
        to: Option<(String, Claim)>,
        reason: MoveReason,
    },
}

/// Who owns `dvipa` next: a pure function of the live, active claims
/// `(stack, claim, when defined)`, the current owner, and the current
/// owner's open connections to it (SPEC §7). Every stack of a group can
/// compute it alike from what the group engine shows.
pub fn decide<'a>(
    dvipa: IpAddr,
    claims: impl IntoIterator<Item = (&'a str, Claim, u64)> + Clone,
    current: Option<&str>,
    owner_connections: u64,
) -> Decision {
    let want = desired(dvipa, claims.clone()).map(|(n, c)| (n.to_owned(), c));
    let holds = |name: &str| {
        claims
            .clone()
            .into_iter()
            .any(|(n, c, _)| n == name && c.dvipa == dvipa)
    };
    let (to, reason) = match (current, want) {
        (None, None) => return Decision::Keep,
        (Some(_), None) => (None, MoveReason::Released),
        (None, Some(w)) => (Some(w), MoveReason::Defined),
        (Some(cur), Some(w)) if !holds(cur) => (Some(w), MoveReason::Takeover),
        (Some(cur), Some((w, _))) if cur == w => return Decision::Keep,
        (Some(_), Some((w, c))) if c.origin == Origin::Define => {
            if c.moveable == Moveable::WhenIdle && owner_connections > 0 {
                return Decision::Pending(w);
            }
            (Some((w, c)), MoveReason::Takeback)
        }
        // A live owner keeps the DVIPA from every backup.
        (Some(_), Some(_)) => return Decision::Keep,
    };
    Decision::Move { to, reason }
}

/// The sysplex group's view: its members and the owner of every DVIPA.
#[derive(Debug, Default)]
pub struct Group {
    members: Vec<Member>,
    seq: u64,
    owners: BTreeMap<IpAddr, Owner>,
    /// A takeback waiting for WHENIDLE: the stack that wants the DVIPA.
    pending: BTreeMap<IpAddr, String>,
    /// Open connections to a DVIPA on a stack, as the stack reports them.
    connections: BTreeMap<(String, IpAddr), u64>,
    moves: VecDeque<Move>,
}

/// Why a stack may not join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinError {
    /// A live member has that name already (SPEC §7: refused).
    NameTaken(String),
}

impl std::fmt::Display for JoinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JoinError::NameTaken(n) => write!(f, "a live stack named {n} is already in the group"),
        }
    }
}

impl std::error::Error for JoinError {}

impl Group {
    pub fn new() -> Group {
        Group::default()
    }

    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A stack joins with its claims.
    pub fn join(&mut self, name: &str, claims: &[Claim], now: Instant) -> Result<(), JoinError> {
        if self.members.iter().any(|m| m.name == name) {
            return Err(JoinError::NameTaken(name.to_owned()));
        }
        let defined = self.next();
        self.members.push(Member {
            name: name.to_owned(),
            claims: claims
                .iter()
                .map(|&claim| Claimed {
                    claim,
                    defined,
                    active: true,
                })
                .collect(),
        });
        self.settle(now);
        Ok(())
    }

    /// A stack leaves (it ended, died, or `vary leave`).
    pub fn leave(&mut self, name: &str, now: Instant) {
        self.members.retain(|m| m.name != name);
        self.connections.retain(|(n, _), _| n != name);
        self.settle(now);
    }

    /// `vary deactivate`: the stack's claim on `dvipa` stops counting, so
    /// the DVIPA moves as if the stack had left it.
    pub fn deactivate(&mut self, name: &str, dvipa: IpAddr, now: Instant) {
        self.set_active(name, dvipa, false);
        self.settle(now);
    }

    /// `vary reactivate`: the claim counts again, as a new definition.
    pub fn reactivate(&mut self, name: &str, dvipa: IpAddr, now: Instant) {
        self.set_active(name, dvipa, true);
        self.settle(now);
    }

    fn set_active(&mut self, name: &str, dvipa: IpAddr, active: bool) {
        let defined = self.next();
        if let Some(m) = self.members.iter_mut().find(|m| m.name == name) {
            for c in m.claims.iter_mut().filter(|c| c.claim.dvipa == dvipa) {
                if active && !c.active {
                    c.defined = defined;
                }
                c.active = active;
            }
        }
    }

    /// The open connections to `dvipa` on stack `name` (what WHENIDLE
    /// waits for).
    pub fn set_connections(&mut self, name: &str, dvipa: IpAddr, open: u64, now: Instant) {
        self.connections.insert((name.to_owned(), dvipa), open);
        self.settle(now);
    }

    pub fn connections(&self, name: &str, dvipa: IpAddr) -> u64 {
        self.connections
            .get(&(name.to_owned(), dvipa))
            .copied()
            .unwrap_or(0)
    }

    pub fn owner(&self, dvipa: IpAddr) -> Option<&Owner> {
        self.owners.get(&dvipa)
    }

    /// The stack waiting to take `dvipa` back when its owner is idle.
    pub fn pending(&self, dvipa: IpAddr) -> Option<&str> {
        self.pending.get(&dvipa).map(String::as_str)
    }

    /// The live members, in join order.
    pub fn members(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|m| m.name.as_str())
    }

    /// The live, active claims on `dvipa`: (stack, claim, when defined).
    pub fn claims(&self, dvipa: IpAddr) -> Vec<(&str, Claim, u64)> {
        self.members
            .iter()
            .flat_map(|m| {
                m.claims
                    .iter()
                    .filter(move |c| c.active && c.claim.dvipa == dvipa)
                    .map(move |c| (m.name.as_str(), c.claim, c.defined))
            })
            .collect()
    }

    /// The next change of owner.
    pub fn poll_move(&mut self) -> Option<Move> {
        self.moves.pop_front()
    }

    /// Every DVIPA some member claims or somebody owns.
    pub fn dvipas(&self) -> Vec<IpAddr> {
        let mut v: Vec<IpAddr> = self
            .members
            .iter()
            .flat_map(|m| m.claims.iter().map(|c| c.claim.dvipa))
            .chain(self.owners.keys().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Apply the rules to every DVIPA.
    fn settle(&mut self, now: Instant) {
        for dvipa in self.dvipas() {
            self.settle_one(dvipa, now);
        }
    }

    fn settle_one(&mut self, dvipa: IpAddr, now: Instant) {
        let claims = self.claims(dvipa);
        let current = self.owners.get(&dvipa).cloned();
        let open = current
            .as_ref()
            .map_or(0, |o| self.connections(&o.system, dvipa));
        let (to, reason) = match decide(
            dvipa,
            claims.iter().copied(),
            current.as_ref().map(|o| o.system.as_str()),
            open,
        ) {
            Decision::Keep => {
                self.pending.remove(&dvipa);
                return;
            }
            Decision::Pending(w) => {
                self.pending.insert(dvipa, w);
                return;
            }
            Decision::Move { to, reason } => (to, reason),
        };
        self.pending.remove(&dvipa);
        let since = self.next();
        match &to {
            Some((w, c)) => {
                self.owners.insert(
                    dvipa,
                    Owner {
                        system: w.clone(),
                        origin: c.origin,
                        since,
                        at: now,
                    },
                );
            }
            None => {
                self.owners.remove(&dvipa);
            }
        }
        self.moves.push_back(Move {
            dvipa,
            from: current.map(|o| o.system),
            to: to.map(|(w, _)| w),
            reason,
            at: now,
        });
    }
}
