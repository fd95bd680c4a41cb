//! The sysplex group (SPEC §7): which stack owns each DVIPA, as z/OS
//! dynamic VIPA takeover decides it, and when a stack may serve it.
//!
//! Sans-IO, like `zha-standby`: [`Group`] takes the group's membership and
//! each owner's open connections as inputs, with the time passed in, and
//! says who owns every DVIPA and why it moved ([`Move`]); [`Fence`] says
//! when a stack may serve what it owns, so that two owners never serve at
//! once however late the news of a death arrives (for stacks on different
//! hosts; `distribute` does not use it yet, see README). The group engines
//! (the embedded one for one machine, etcd across hosts) and the address
//! moves are the shell's.
//!
//! Architecture invariant: this crate does no I/O, never reads the clock and
//! depends on nothing but `std`.

mod claim;
mod fence;
mod ownership;

pub use claim::{Claim, Moveable, Origin};
pub use fence::Fence;
pub use ownership::{Decision, Group, JoinError, Move, MoveReason, Owner, decide, desired};
