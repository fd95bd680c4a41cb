//! The distributor on loopback: real sockets on 127.x.0.y, one address
//! block per test so tests run in parallel, every wait bounded.
#![allow(clippy::unwrap_used)]

mod support;

mod address;
mod control;
mod failover;
mod kernel;
mod load;
mod membership;
mod traffic;
mod web;
