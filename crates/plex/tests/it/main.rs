//! Integration tests of the sysplex checker: every HA rule, loading,
//! INCLUDEs, encodings and sysplex.toml errors, against an in-memory file
//! system.
#![allow(clippy::unwrap_used)]

mod fixture;
mod input;
mod plan;
mod rules;
mod snapshots;
mod zosmf;
