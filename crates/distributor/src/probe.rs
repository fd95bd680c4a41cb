//! Health probes: a TCP connect, and when configured an HTTP(S) GET whose
//! status must be in the accepted set (the GET is `zha_client`'s, the
//! one the `/zosmf/info` client uses). One fresh connection per probe, no
//! pooling, one deadline for the whole probe.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use zha_client::{ClientError, Getter, StatusSet, Trust};
use zha_standby::ProbeOutcome;

use crate::settings::HttpProbe;

/// Why the probe cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(
        "[probe.http] uses TLS: give ca_file = \"ca.pem\" (the CA that signed the servers' certificate) or insecure = true"
    )]
    NoTrust,
    #[error("[probe.http]: {0}")]
    Client(#[from] ClientError),
}

/// Runs probes as the settings say.
#[derive(Clone)]
pub struct Prober {
    timeout: Duration,
    http: Option<Arc<Http>>,
}

struct Http {
    getter: Getter,
    path: String,
    host: Option<String>,
    accept: StatusSet,
}

impl Prober {
    pub fn new(timeout: Duration, http: Option<&HttpProbe>) -> Result<Prober, ProbeError> {
        let http = match http {
            None => None,
            Some(h) => {
                let trust = match (h.tls, &h.ca_file, h.insecure) {
                    (false, _, _) => None,
                    (true, _, true) => Some(Trust::Insecure),
                    (true, Some(ca), false) => Some(Trust::CaFile(ca)),
                    (true, None, false) => return Err(ProbeError::NoTrust),
                };
                Some(Arc::new(Http {
                    getter: Getter::new(trust, None)?,
                    path: if h.path.starts_with('/') {
                        h.path.clone()
                    } else {
                        format!("/{}", h.path)
                    },
                    host: h.host.clone(),
                    accept: h.accept.clone(),
                }))
            }
        };
        Ok(Prober { timeout, http })
    }

    pub fn application(&self) -> bool {
        self.http.is_some()
    }

    /// Probe `endpoint`; `dvipa` names the server (Host, TLS server name)
    /// when the settings do not. `None`: the probe could not be run for a
    /// reason of this machine's (out of descriptors, memory or ports),
    /// which says nothing about the target.
    pub async fn probe(
        &self,
        endpoint: SocketAddr,
        dvipa: IpAddr,
        application: bool,
    ) -> Option<ProbeOutcome> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let within = humantime::format_duration(self.timeout);
        let stream = match tokio::time::timeout_at(deadline, TcpStream::connect(endpoint)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) if crate::conn::is_local(&e) => return None,
            Ok(Err(e)) => return Some(down(format!("connect: {e}"))),
            Err(_) => return Some(down(format!("connect: no answer within {within}"))),
        };
        let Some(h) = self.http.as_ref().filter(|_| application) else {
            return Some(ProbeOutcome {
                connected: true,
                healthy: None,
                detail: "TCP connect succeeded".into(),
            });
        };
        // It listens; whether it is healthy is the application probe's
        // answer within what is left of the timeout (a stopped server
        // accepts connections and answers nothing).
        let host = h.host.clone().unwrap_or_else(|| dvipa.to_string());
        let path = &h.path;
        let (healthy, detail) =
            match tokio::time::timeout_at(deadline, h.getter.get(stream, &host, path)).await {
                Ok(Ok(a)) => (
                    h.accept.contains(a.status),
                    format!("GET {path} on {endpoint}: HTTP {}", a.status),
                ),
                Ok(Err(e)) => (false, format!("GET {path} on {endpoint}: {e}")),
                Err(_) => (
                    false,
                    format!("GET {path} on {endpoint}: no answer within {within}"),
                ),
            };
        Some(ProbeOutcome {
            connected: true,
            healthy: Some(healthy),
            detail,
        })
    }
}

fn down(detail: String) -> ProbeOutcome {
    ProbeOutcome {
        connected: false,
        healthy: None,
        detail,
    }
}
