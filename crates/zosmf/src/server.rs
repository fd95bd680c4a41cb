//! The HTTPS server.

use std::convert::Infallible;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::keyring::{self, Keyring, KeyringError};

/// Why a stand-in server is not configured or does not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot read the sysplex {path}:\n{findings}")]
    Sysplex { path: PathBuf, findings: String },
    #[error("{path} has no system {system}; its systems are {known}")]
    NoSystem {
        path: PathBuf,
        system: String,
        known: String,
    },
    #[error(
        "{0} has no IPCONFIG DYNAMICXCF address in its profile: the server listens on that address"
    )]
    NoDynamicXcf(String),
    #[error(
        "{system}: cannot listen on {addr} (the DYNAMICXCF address and HTTP_SSL_PORT): {source}"
    )]
    Bind {
        system: String,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot use USER_DIR {user_dir} ({local}): {why}")]
    UserDir {
        user_dir: String,
        local: PathBuf,
        why: String,
    },
    #[error(
        "USER_DIR {user_dir} ({local}) is in use by another z/OSMF server ({owner}); each server needs its own USER_DIR (ZHA1008)"
    )]
    UserDirInUse {
        user_dir: String,
        local: PathBuf,
        owner: String,
    },
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error("the key ring's certificate cannot be used: {0}")]
    Tls(String),
    #[error("the server task failed: {0}")]
    Task(String),
}

/// One stand-in server, as the system's members and profile say.
#[derive(Clone, Debug)]
pub struct Config {
    pub system: String,
    /// The system's DYNAMICXCF address and HTTP_SSL_PORT.
    pub listen: SocketAddr,
    pub hostname: String,
    pub saf_prefix: String,
    /// USER_DIR as written, and where it is on this machine.
    pub user_dir: String,
    pub user_dir_local: PathBuf,
    pub keyring_name: String,
    pub keyring_dir: PathBuf,
    /// Names for the certificate: DVIPA, HOSTNAME, the systems' addresses.
    pub cert_names: Vec<String>,
    pub plugins: Vec<String>,
    /// Listening but answering 503 for this long, as z/OSMF before IZUG400I.
    pub startup_delay: Duration,
    /// Log each request with the client address the server sees (the
    /// PROXY v2 header's, when one came).
    pub access_log: bool,
}

/// A z/OS path under `root`: `/global/zosmf/a` becomes `<root>/global/zosmf/a`.
pub fn map_path(root: &Path, zos: &str) -> PathBuf {
    let rel = zos.trim_start_matches('/');
    root.join(rel)
}

impl Config {
    /// The configuration of `system` in the sysplex described by
    /// `sysplex` (a folder with sysplex.toml, or the file).
    pub fn from_sysplex(
        sysplex: &Path,
        system: &str,
        root: &Path,
        startup_delay: Duration,
    ) -> Result<Config, ServerError> {
        let (loader, plex) = zha_plex::load_sysplex(&zha_plex::OsFs, sysplex);
        let Some(plex) = plex.filter(|_| !loader.fatal) else {
            return Err(ServerError::Sysplex {
                path: sysplex.to_path_buf(),
                findings: summarize(&loader),
            });
        };
        let Some(sys) = plex
            .systems
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(system))
        else {
            let names: Vec<&str> = plex.systems.iter().map(|s| s.name.as_str()).collect();
            return Err(ServerError::NoSystem {
                path: sysplex.to_path_buf(),
                system: system.to_owned(),
                known: names.join(", "),
            });
        };
        let Some(xcf) = sys.dynamic_xcf() else {
            return Err(ServerError::NoDynamicXcf(sys.name.clone()));
        };
        let st = &sys.settings;
        let hostname = st
            .hostname
            .as_ref()
            .map_or_else(|| sys.name.clone(), |h| h.value.clone());
        // The certificate names z/OSMF's DVIPA, chosen as `check` chooses
        // it; every hot-standby DVIPA when that is undecided.
        let mut names = Vec::new();
        use zha_plex::zosmf::{Choice, hot_standby, zosmf_distribution};
        match zosmf_distribution(&plex, &plex.resolve) {
            Choice::Chosen(z) => names.push(z.key.dvipa.to_string()),
            _ => names.extend(hot_standby(&plex).iter().map(|h| h.dvipa.to_string())),
        }
        if hostname != "*" {
            names.push(hostname.clone());
        }
        for s in &plex.systems {
            if let Some(a) = s.dynamic_xcf() {
                names.push(a.to_string());
            }
        }
        names.dedup();
        Ok(Config {
            system: sys.name.clone(),
            listen: SocketAddr::new(xcf, st.http_ssl_port.value),
            hostname,
            saf_prefix: st.saf_prefix.value.clone(),
            user_dir: st.user_dir.value.clone(),
            user_dir_local: map_path(root, &st.user_dir.value),
            keyring_name: st.keyring_name.value.clone(),
            keyring_dir: keyring::folder(root, &st.keyring_name.value),
            cert_names: names,
            plugins: st.plugins.iter().map(|p| p.value.clone()).collect(),
            startup_delay,
            access_log: false,
        })
    }
}

fn summarize(loader: &zha_plex::load::Loader) -> String {
    let mut s = String::new();
    for d in &loader.diagnostics {
        s.push_str(&format!("{}: {}\n", d.id(), d.message));
    }
    s
}

/// The USER_DIR lock: held for the server's life. A second server pointed
/// at the same directory fails here, as z/OSMF's ENQ makes it fail.
pub struct UserDirLock {
    _file: File,
}

pub fn lock_user_dir(cfg: &Config) -> Result<UserDirLock, ServerError> {
    let fail = |why: String| ServerError::UserDir {
        user_dir: cfg.user_dir.clone(),
        local: cfg.user_dir_local.clone(),
        why,
    };
    std::fs::create_dir_all(&cfg.user_dir_local)
        .map_err(|e| fail(format!("cannot create it: {e}")))?;
    let path = cfg.user_dir_local.join(".zosmf.lock");
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| fail(format!("cannot open {}: {e}", path.display())))?;
    if f.try_lock().is_err() {
        let mut owner = String::new();
        let _ = f.read_to_string(&mut owner);
        return Err(ServerError::UserDirInUse {
            user_dir: cfg.user_dir.clone(),
            local: cfg.user_dir_local.clone(),
            owner: owner.trim().to_owned(),
        });
    }
    let mark = f
        .set_len(0)
        .and_then(|()| f.rewind())
        .and_then(|()| write!(f, "{} pid {}", cfg.system, std::process::id()))
        .and_then(|()| f.flush());
    mark.map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
    Ok(UserDirLock { _file: f })
}

/// Start, serve until `stop`. Errors before serving mean the server did
/// not start.
pub async fn run(cfg: Config, stop: CancellationToken) -> Result<(), ServerError> {
    start(cfg, stop).await?.wait().await
}

/// A server that listens.
pub struct Running {
    /// Where it listens (the port is the one bound when the configuration
    /// asked for port 0).
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<Result<(), ServerError>>,
}

impl Running {
    /// Until the server stopped (its `stop` was cancelled).
    pub async fn wait(self) -> Result<(), ServerError> {
        self.task
            .await
            .map_err(|e| ServerError::Task(e.to_string()))?
    }
}

/// Like `run`, but returns once the server listens (for tests and `up`).
/// In this order: lock USER_DIR (as z/OSMF's ENQ: a second server on it
/// stops here), bind the address, and only then, once the server can
/// start, make sure the key ring exists.
pub async fn start(mut cfg: Config, stop: CancellationToken) -> Result<Running, ServerError> {
    let lock = lock_user_dir(&cfg)?;
    let listener = TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| ServerError::Bind {
            system: cfg.system.clone(),
            addr: cfg.listen,
            source,
        })?;
    let addr = listener.local_addr().unwrap_or(cfg.listen);
    cfg.listen = addr;
    let ring = keyring::ensure(&cfg.keyring_dir, &cfg.cert_names)?;
    let tls = acceptor(&ring).map_err(|e| ServerError::Tls(e.to_string()))?;
    info!(
        id = "IZUG349I",
        system = %cfg.system,
        "{}: z/OSMF stand-in listening on https://{}/zosmf/info; initializing for {}",
        cfg.system,
        cfg.listen,
        humantime_like(cfg.startup_delay)
    );
    let cfg = Arc::new(cfg);
    let task = tokio::spawn(async move {
        let _lock = lock;
        let ready_at = tokio::time::Instant::now() + cfg.startup_delay;
        {
            let c = cfg.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = stop.cancelled() => {}
                    _ = tokio::time::sleep_until(ready_at) => {
                        info!(id = "IZUG400I", system = %c.system, "{}: the z/OSMF Web application services are initialized", c.system);
                    }
                }
            });
        }
        loop {
            let (mut tcp, peer) = tokio::select! {
                _ = stop.cancelled() => break,
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(e) => {
                        warn!("accept: {e}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                },
            };
            // Small answers must not wait for delayed ACKs (Nagle).
            let _ = tcp.set_nodelay(true);
            let (tls, cfg) = (tls.clone(), cfg.clone());
            tokio::spawn(async move {
                // A PROXY v2 header, if one comes first, names the client.
                let Ok(Ok(header)) =
                    tokio::time::timeout(Duration::from_secs(10), proxy_header(&mut tcp)).await
                else {
                    return;
                };
                let Ok(Ok(stream)) =
                    tokio::time::timeout(Duration::from_secs(10), tls.accept(tcp)).await
                else {
                    return;
                };
                let svc = hyper::service::service_fn(move |req| {
                    let cfg = cfg.clone();
                    async move {
                        let response = answer(&cfg, &req, tokio::time::Instant::now() >= ready_at);
                        if cfg.access_log {
                            let (client, via) = match header {
                                Some(c) => (c, format!(" (PROXY v2 from {peer})")),
                                None => (peer, String::new()),
                            };
                            info!(
                                target: "zosmf::access",
                                system = %cfg.system,
                                client = %client,
                                "{}: {} {} from {client}{via}: {}",
                                cfg.system,
                                req.method(),
                                req.uri().path(),
                                response.status().as_u16()
                            );
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
        info!(system = %cfg.system, "{}: stopped", cfg.system);
        Ok(())
    });
    Ok(Running { addr, task })
}

/// The PROXY protocol v2 signature.
const PROXY_V2: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";

/// Read a PROXY v2 header if the connection starts with one: the client's
/// address it carries (`None` without a header, or for LOCAL / unknown
/// families). Anything else is left for TLS.
async fn proxy_header(tcp: &mut tokio::net::TcpStream) -> std::io::Result<Option<SocketAddr>> {
    use tokio::io::AsyncReadExt;
    let mut first = [0u8; 16];
    // Bounded: the caller's timeout; each peek waits for more bytes.
    loop {
        let n = tcp.peek(&mut first).await?;
        if n == 0 || !PROXY_V2.starts_with(&first[..n.min(12)]) {
            return Ok(None);
        }
        if n >= 16 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let len = usize::from(u16::from_be_bytes([first[14], first[15]]));
    let mut all = vec![0u8; 16 + len];
    tcp.read_exact(&mut all).await?;
    Ok(parse_proxy_v2(&all).and_then(|(_, a)| a))
}

/// A PROXY v2 header at the start of `b`: its length and the source
/// address (`None` for LOCAL or a family other than TCP over IPv4/IPv6).
pub fn parse_proxy_v2(b: &[u8]) -> Option<(usize, Option<SocketAddr>)> {
    if b.len() < 16 || &b[..12] != PROXY_V2 || b[12] >> 4 != 2 {
        return None;
    }
    let len = 16 + usize::from(u16::from_be_bytes([b[14], b[15]]));
    let body = b.get(16..len)?;
    if b[12] & 0x0f != 1 {
        return Some((len, None));
    }
    let port = |i: usize| body.get(i..i + 2).map(|p| u16::from_be_bytes([p[0], p[1]]));
    let addr = match b[13] {
        0x11 if body.len() >= 12 => {
            let ip: [u8; 4] = body[..4].try_into().ok()?;
            Some(SocketAddr::from((ip, port(8)?)))
        }
        0x21 if body.len() >= 36 => {
            let ip: [u8; 16] = body[..16].try_into().ok()?;
            Some(SocketAddr::from((ip, port(32)?)))
        }
        _ => None,
    };
    Some((len, addr))
}

fn humantime_like(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

fn acceptor(ring: &Keyring) -> Result<TlsAcceptor, Box<dyn std::error::Error>> {
    let mut chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(&ring.cert)?.collect::<Result<_, _>>()?;
    chain.extend(CertificateDer::pem_file_iter(&ring.ca)?.collect::<Result<Vec<_>, _>>()?);
    let key = PrivateKeyDer::from_pem_file(&ring.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[derive(Serialize)]
struct Plugin {
    #[serde(rename = "pluginVersion")]
    version: String,
    #[serde(rename = "pluginStatus")]
    status: &'static str,
    #[serde(rename = "pluginDefaultName")]
    name: String,
}

/// The `/zosmf/info` document of SPEC §6.
#[derive(Serialize)]
pub struct Info {
    zos_version: &'static str,
    zosmf_port: String,
    zosmf_version: &'static str,
    zosmf_full_version: &'static str,
    zosmf_hostname: String,
    zosmf_saf_realm: String,
    api_version: &'static str,
    plugins: Vec<Plugin>,
}

/// Display names of the optional plug-ins of PLUGINS(..).
fn plugin_name(p: &str) -> String {
    match p {
        "INCIDENT_LOG" => "Incident Log",
        "COMMSERVER_CFG" => "Network Configuration Assistant",
        "WORKLOAD_MGMT" => "Workload Management",
        "RESOURCE_MON" => "Resource Monitoring",
        "CAPACITY_PROV" => "Capacity Provisioning",
        "SOFTWARE_MGMT" => "Software Management",
        "SYSPLEX_MGMT" => "Sysplex Management",
        "ISPF" => "ISPF",
        other => other,
    }
    .to_owned()
}

pub fn info(cfg: &Config) -> Info {
    let mut plugins = vec![Plugin {
        version: "HSMA310;PH00000;2026-01-01T00:00:00".into(),
        status: "ACTIVE",
        name: "z/OS Operator Consoles".into(),
    }];
    plugins.extend(cfg.plugins.iter().map(|p| Plugin {
        version: "HSMA310;PH00000;2026-01-01T00:00:00".into(),
        status: "ACTIVE",
        name: plugin_name(p),
    }));
    Info {
        zos_version: "04.31.00",
        zosmf_port: cfg.listen.port().to_string(),
        zosmf_version: "31",
        zosmf_full_version: "31.0",
        zosmf_hostname: cfg.hostname.clone(),
        zosmf_saf_realm: cfg.saf_prefix.clone(),
        api_version: "1",
        plugins,
    }
}

fn answer(
    cfg: &Config,
    req: &Request<hyper::body::Incoming>,
    ready: bool,
) -> Response<Full<Bytes>> {
    let json = |status: StatusCode, body: String| {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("X-ZHA-System", cfg.system.as_str())
            .body(Full::new(Bytes::from(body)))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
    };
    if !ready {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"message":"z/OSMF is initializing (IZUG400I not yet issued)"}"#.into(),
        );
    }
    match (req.method().as_str(), req.uri().path()) {
        ("GET", "/zosmf/info") => json(
            StatusCode::OK,
            serde_json::to_string(&info(cfg)).unwrap_or_default(),
        ),
        (_, "/zosmf/info") => json(
            StatusCode::METHOD_NOT_ALLOWED,
            r#"{"message":"GET only"}"#.into(),
        ),
        _ => json(
            StatusCode::NOT_FOUND,
            r#"{"message":"the z/OSMF stand-in serves GET /zosmf/info only"}"#.into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_v2_header_names_the_client() {
        let mut h = PROXY_V2.to_vec();
        h.extend_from_slice(&[
            0x21, 0x11, 0, 12, 10, 1, 2, 3, 10, 0, 0, 10, 0x0f, 0xa0, 1, 0xbb,
        ]);
        h.extend_from_slice(b"\x16\x03\x01");
        assert_eq!(
            parse_proxy_v2(&h),
            Some((28, Some("10.1.2.3:4000".parse().unwrap())))
        );
        // LOCAL: a header, no client.
        h[12] = 0x20;
        assert_eq!(parse_proxy_v2(&h), Some((28, None)));
        // Not a header: TLS's first bytes; a header cut short.
        assert_eq!(
            parse_proxy_v2(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\0\0\0\0\0"),
            None
        );
        assert_eq!(parse_proxy_v2(&h[..20]), None);
    }

    #[test]
    fn any_bytes_after_the_signature_parse_without_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for n in 0..3000 {
            let mut h = PROXY_V2.to_vec();
            for _ in 0..(n % 60) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                h.push(seed as u8);
            }
            let _ = parse_proxy_v2(&h);
        }
    }
}
