//! Health probes: a TCP connect, and when configured an HTTP(S) GET whose
//! status must be in the accepted range. One fresh connection per probe,
//! no pooling, one deadline for the whole probe.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use zha_standby::ProbeOutcome;

use crate::config::{HttpProbe, StatusRange};

/// Runs probes as the settings say.
#[derive(Clone)]
pub struct Prober {
    timeout: Duration,
    http: Option<Arc<Http>>,
}

struct Http {
    path: String,
    host: Option<String>,
    tls: Option<TlsConnector>,
    accept: StatusRange,
}

impl Prober {
    pub fn new(timeout: Duration, http: Option<&HttpProbe>) -> anyhow::Result<Prober> {
        let http = match http {
            None => None,
            Some(h) => {
                let tls = if h.tls { Some(tls_connector(h)?) } else { None };
                Some(Arc::new(Http {
                    path: if h.path.starts_with('/') {
                        h.path.clone()
                    } else {
                        format!("/{}", h.path)
                    },
                    host: h.host.clone(),
                    tls,
                    accept: h.accept,
                }))
            }
        };
        Ok(Prober { timeout, http })
    }

    pub fn application(&self) -> bool {
        self.http.is_some()
    }

    /// Probe `endpoint`; `dvipa` names the server for TLS and Host when the
    /// settings do not.
    pub async fn probe(
        &self,
        endpoint: SocketAddr,
        dvipa: IpAddr,
        application: bool,
    ) -> ProbeOutcome {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let within = humantime::format_duration(self.timeout);
        let stream = match tokio::time::timeout_at(deadline, TcpStream::connect(endpoint)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return down(format!("connect: {e}")),
            Err(_) => return down(format!("connect: no answer within {within}")),
        };
        let _ = stream.set_nodelay(true);
        match (&self.http, application) {
            // It listens; whether it is healthy is the application probe's
            // answer within what is left of the timeout (a stopped server
            // accepts connections and answers nothing).
            (Some(h), true) => {
                match tokio::time::timeout_at(deadline, h.get(stream, endpoint, dvipa)).await {
                    Ok(o) => o,
                    Err(_) => ProbeOutcome {
                        connected: true,
                        healthy: Some(false),
                        detail: format!("GET {} on {endpoint}: no answer within {within}", h.path),
                    },
                }
            }
            _ => ProbeOutcome {
                connected: true,
                healthy: None,
                detail: "TCP connect succeeded".into(),
            },
        }
    }
}

fn down(detail: String) -> ProbeOutcome {
    ProbeOutcome {
        connected: false,
        healthy: None,
        detail,
    }
}

impl Http {
    async fn get(&self, stream: TcpStream, endpoint: SocketAddr, dvipa: IpAddr) -> ProbeOutcome {
        let host = self.host.clone().unwrap_or_else(|| dvipa.to_string());
        let unhealthy = |detail: String| ProbeOutcome {
            connected: true,
            healthy: Some(false),
            detail,
        };
        let status = match &self.tls {
            Some(tls) => {
                let name = match ServerName::try_from(host.clone()) {
                    Ok(n) => n,
                    Err(_) => return unhealthy(format!("`{host}` is not a TLS server name")),
                };
                match tls.connect(name, stream).await {
                    Ok(s) => request(TokioIo::new(s), &host, &self.path).await,
                    Err(e) => Err(format!("TLS: {e}")),
                }
            }
            None => request(TokioIo::new(stream), &host, &self.path).await,
        };
        match status {
            Ok(s) if self.accept.contains(s) => ProbeOutcome {
                connected: true,
                healthy: Some(true),
                detail: format!("GET {} on {endpoint}: HTTP {s}", self.path),
            },
            Ok(s) => unhealthy(format!("GET {} on {endpoint}: HTTP {s}", self.path)),
            Err(e) => unhealthy(format!("GET {} on {endpoint}: {e}", self.path)),
        }
    }
}

async fn request<T>(io: TokioIo<T>, host: &str, path: &str) -> Result<u16, String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut send, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = hyper::Request::get(path)
        .header(hyper::header::HOST, host)
        .header(hyper::header::USER_AGENT, "zosmf-ha-probe")
        .header("X-CSRF-ZOSMF-HEADER", "true")
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let res = send.send_request(req).await.map_err(|e| e.to_string());
    driver.abort();
    Ok(res?.status().as_u16())
}

fn tls_connector(h: &HttpProbe) -> anyhow::Result<TlsConnector> {
    let trust = match (&h.ca_file, h.insecure) {
        (_, true) => zha_tls::Trust::Insecure,
        (Some(ca), false) => zha_tls::Trust::CaFile(ca),
        (None, false) => anyhow::bail!(
            "[probe.http] uses TLS: give ca_file = \"ca.pem\" (the CA that signed the servers' certificate) or insecure = true"
        ),
    };
    Ok(TlsConnector::from(zha_tls::client_config(trust)?))
}
