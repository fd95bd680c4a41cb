//! What can go wrong before a request is sent.

use std::path::PathBuf;

/// What can go wrong before any request is sent.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the CA file {path} {why}")]
    CaFile { path: PathBuf, why: String },
    #[error("TLS: {0}")]
    Tls(rustls::Error),
    #[error("{0}")]
    Url(String),
    #[error("cannot resolve {host}: {why}")]
    Resolve { host: String, why: String },
    #[error("HTTPS needs a trust: the system's CA store, a CA file or any certificate")]
    NoTrust,
    #[error("the system's CA store {why} (read from {from})")]
    SystemStore { why: String, from: String },
    #[error("`{0}` is not a TLS server name")]
    ServerName(String),
}
