//! The sysplex group's decisions: scenarios as z/OS documents them, and
//! seeded simulations that check the invariants of SPEC §7 after every
//! step.
#![allow(clippy::unwrap_used)]

mod fencing;
mod scenarios;
mod simulation;
