//! The hot-standby distributor: the tokio shell around the `zha-standby`
//! engine. Listens on every DVIPA:port of the profile's VIPADISTRIBUTE
//! statements and forwards each new connection to the active target.
//!
//! - `runtime`: the control task (owns the engine), listeners, signals.
//! - `conn`: one client connection (retry, first answer, replay, pump).
//! - `pump`: bytes both ways, half-close kept; splice(2) on Linux.
//! - `probe`: TCP and HTTP(S) probes.
//! - `control`: the Unix control socket (netstat, vary, reload).
//! - `display`: NETSTAT-style VDPT, VCRT, VIPADCFG.
//! - `metrics`, `state`, `config`, `plan`, `profile`.
//!
//! Architecture invariant: every decision about targets is the engine's;
//! this crate only executes and observes.

pub mod codes;
pub mod config;
pub mod conn;
pub mod control;
pub mod display;
pub mod metrics;
pub mod plan;
pub mod probe;
pub mod profile;
pub mod pump;
pub mod runtime;
pub mod state;

pub use config::Settings;
pub use runtime::{Options, Running, start};
