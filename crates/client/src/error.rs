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
    #[error("HTTPS needs a trust: a CA file (--cacert) or --insecure")]
    NoTrust,
    #[error("`{0}` is not a TLS server name")]
    ServerName(String),
}
