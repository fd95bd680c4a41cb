//! The hot-standby engine: which target gets new connections, as the z/OS
//! Sysplex Distributor decides it for DISTMETHOD HOTSTANDBY (SPEC §1).
//!
//! A pure state machine in the sans-IO style (quinn-proto, rustls): inputs
//! are probe results, failed connects, operator commands and new
//! configurations, each with the current time passed in; outputs are drained
//! with [`Engine::poll_probe`], [`Engine::poll_event`] and read with
//! [`Engine::route`] and [`Engine::snapshot`]. The shell owns sockets,
//! timers and the clock.
//!
//! Architecture invariant: this crate does no I/O, never reads the clock and
//! depends on nothing but `std`.

mod config;
mod engine;
mod event;
mod hysteresis;

pub use config::{
    Config, ProbeSpec, ServiceKey, ServiceSpec, TargetRole, TargetSpec, takeover_order,
};
pub use engine::{
    Adopted, Availability, ConfigDiff, Engine, Persisted, ProbeOutcome, ProbeRequest, SelectError,
    Selector, ServiceView, Snapshot, TargetView, first_round,
};
pub use event::{Event, EventKind, StartReason, SwitchReason, TargetId};
