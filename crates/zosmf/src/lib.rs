//! A z/OSMF stand-in: the part of z/OSMF a hot-standby setup sees, configured
//! by a system's IZUPRMxx members. It serves HTTPS on the system's DYNAMICXCF
//! address and HTTP_SSL_PORT, answers `GET /zosmf/info` (SPEC §6) with the
//! answering system in `X-ZHA-System`, holds its USER_DIR under an exclusive
//! lock as z/OSMF's ENQ does, and answers 503 for a start-up delay while it
//! already listens, as z/OSMF does before IZUG400I.
//!
//! z/OS paths (USER_DIR, key rings) are mapped under a root folder, never
//! used as is.

pub mod keyring;
pub mod server;

pub use server::{Config, ServerError, run};
