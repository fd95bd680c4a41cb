//! The hot-standby distributor: the tokio shell around the `zha-standby`
//! engine. Listens on every DVIPA:port of the profile's VIPADISTRIBUTE
//! statements and forwards each new connection to the active target.
//!
//! - `runtime`: start (bind first, or take listeners handed in), drain,
//!   signals; `handover`: passing the listening sockets to a successor
//!   (over the control socket, or systemd's file descriptor store).
//! - `controller`: the control task; it owns the engine, logs its events,
//!   answers requests, reloads, publishes the routing table.
//! - `shared`: what the control task and the data path share (routes,
//!   the VCRT, counters, the input channel).
//! - `listener`: the one bind-and-tune function and the accept loop;
//!   `fds`: the file descriptor budget.
//! - `conn`: one client connection (retry, first answer, replay, pump).
//! - `pump`: bytes both ways, half-close kept; splice(2) on Linux.
//! - `probe`: TCP and HTTP(S) probes.
//! - `protocol`: the control protocol, typed; `control`: its Unix socket,
//!   server and client; `display`: NETSTAT-style text and JSON of a view.
//! - `address`: moving a DVIPA between hosts (netlink, gratuitous ARP).
//! - `settings` (zosmf-ha.toml), `services` (profile → services and
//!   listeners), `profile` (load and check), `state` (persisted active
//!   targets), `metrics`, `codes` (the catalog of message ids).
//!
//! Architecture invariant: every decision about targets is the engine's;
//! this crate only executes and observes.

pub mod address;
pub mod codes;
pub mod conn;
pub mod conntrack;
pub mod control;
pub mod controller;
pub mod display;
pub mod fds;
pub mod forward;
pub mod handover;
pub mod hooks;
pub mod kernel;
pub mod listener;
pub mod membership;
pub mod metrics;
pub mod probe;
pub mod profile;
pub mod protocol;
pub mod pump;
pub mod runtime;
pub mod services;
pub mod settings;
pub mod shared;
pub mod state;
pub mod sysplex;
pub mod web;

pub use runtime::{Options, Running, StartError, check, start, start_with_listeners};
pub use settings::Settings;
