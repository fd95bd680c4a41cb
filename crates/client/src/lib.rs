//! The client side of zosmf-ha: what the distributor's probe, `zosmf-ha
//! probe`, the failover scenario and the tests use to ask a z/OSMF server
//! (or a stand-in) something over HTTP(S).
//!
//! - `trust`: the rustls client configuration (the system's CA store, a CA
//!   file, or any certificate for first steps).
//! - `get`: the one HTTP GET implementation — on a connection the caller
//!   opened (the probe, which must tell "does not listen" from "does not
//!   answer"), or on a fresh connection per request ([`Client`]) — with
//!   the outcome classified as SPEC §1 counts failures.
//! - `tally`: outcomes added up: who answered, what failed, what was lost
//!   in flight at a crash.
//! - `status`: the accepted statuses of a probe ([`StatusSet`], SPEC §1),
//!   the one definition the distributor and `zosmf-ha probe` share.

mod error;
mod get;
mod status;
mod tally;
mod trust;

pub use error::ClientError;
pub use get::{Answer, Client, Failure, Getter, Outcome, SPEAKS_HTTP, SPEAKS_TLS};
pub use status::{StatusSet, StatusSetError};
pub use tally::{Crash, Tally};
pub use trust::{Trust, client_config};
