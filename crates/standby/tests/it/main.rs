//! The hot-standby engine under scenarios from SPEC §1 and under long
//! random event sequences, with the invariants checked after every step.
#![allow(clippy::unwrap_used)]

mod harness;
mod scenarios;
mod simulation;
