//! One HTTP/1.1 GET, with its outcome classified as SPEC §1 counts
//! failures: a connection refused, reset or closed before the client
//! received any byte is a *failed* connection; one cut after bytes arrived
//! is not.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::error::ClientError;
use crate::trust::{Trust, client_config};

/// How the server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// `X-ZHA-System`, when the server sent it (the z/OSMF stand-in does).
    pub system: Option<String>,
}

/// Why there was no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Refused, reset or closed before any byte arrived, or a TLS
    /// handshake refused (a certificate not trusted, a name mismatch): a
    /// failed connection (SPEC §1).
    Failed(String),
    /// The server speaks the other protocol: TLS to a plain HTTP request,
    /// plain HTTP to a TLS handshake. A failed connection too, and one
    /// every further request would repeat.
    WrongProtocol(String),
    /// Cut after some bytes arrived (mid-stream): reported apart.
    Cut(String),
    /// No answer within the timeout.
    Timeout,
}

impl Failure {
    pub fn is_failed_connection(&self) -> bool {
        !matches!(self, Failure::Cut(_))
    }

    /// What went wrong, without the kind.
    pub fn reason(&self) -> &str {
        match self {
            Failure::Failed(e) | Failure::WrongProtocol(e) | Failure::Cut(e) => e,
            Failure::Timeout => "timeout",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Failed(e) | Failure::WrongProtocol(e) => write!(f, "failed: {e}"),
            Failure::Cut(e) => write!(f, "cut after the first bytes: {e}"),
            Failure::Timeout => f.write_str("no answer within the timeout"),
        }
    }
}

/// Why a GET got no answer, as far as the GET can tell.
#[derive(Debug)]
enum GetError {
    /// The TLS handshake was refused (by our verifier or the server's
    /// alert): no HTTP byte was exchanged, whatever the handshake read.
    Handshake(String),
    /// The server speaks the other protocol.
    WrongProtocol(String),
    /// Anything else: failed or cut as bytes arrived.
    Other(String),
}

impl std::fmt::Display for GetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GetError::Handshake(e) | GetError::WrongProtocol(e) | GetError::Other(e) => {
                f.write_str(e)
            }
        }
    }
}

/// What a plain HTTP request reads from a TLS server.
pub const SPEAKS_TLS: &str = "the server speaks TLS, not plain HTTP";
/// What a TLS handshake reads from a plain HTTP server.
pub const SPEAKS_HTTP: &str = "the server speaks plain HTTP, not TLS";

/// One request and how it went.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub started: Instant,
    pub latency: Duration,
    pub result: Result<Answer, Failure>,
}

/// How to GET: plain HTTP or TLS with a trust, and Basic credentials. The
/// TLS configuration is built once; each GET names its host and path.
#[derive(Clone)]
pub struct Getter {
    tls: Option<TlsConnector>,
    auth: Option<String>,
}

impl Getter {
    /// `trust`: `None` for plain HTTP.
    pub fn new(trust: Option<Trust>, auth: Option<(&str, &str)>) -> Result<Getter, ClientError> {
        let tls = match trust {
            Some(t) => Some(TlsConnector::from(client_config(t)?)),
            None => None,
        };
        use base64::Engine;
        let auth = auth.map(|(u, p)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        });
        Ok(Getter { tls, auth })
    }

    /// GET `path` on a connection already open: `host` is the Host header
    /// (`name` or `name:port`) and, without its port, the TLS server name.
    /// The error says what failed; it does not tell failed from cut (see
    /// [`Client::get`]).
    pub async fn get(&self, stream: TcpStream, host: &str, path: &str) -> Result<Answer, String> {
        self.get_counting(stream, host, path, Arc::new(Seen::default()))
            .await
            .map_err(|e| e.to_string())
    }

    async fn get_counting(
        &self,
        stream: TcpStream,
        host: &str,
        path: &str,
        seen: Arc<Seen>,
    ) -> Result<Answer, GetError> {
        let _ = stream.set_nodelay(true);
        let stream = Counting {
            inner: stream,
            seen: seen.clone(),
        };
        match &self.tls {
            Some(c) => {
                let name = server_name(host).map_err(GetError::Other)?;
                let s = c
                    .connect(name, stream)
                    .await
                    .map_err(|e| handshake_error(&e, &seen))?;
                self.request(TokioIo::new(s), host, path)
                    .await
                    .map_err(GetError::Other)
            }
            None => self
                .request(TokioIo::new(stream), host, path)
                .await
                .map_err(|e| {
                    if seen.starts_like_tls() {
                        GetError::WrongProtocol(SPEAKS_TLS.into())
                    } else {
                        GetError::Other(e)
                    }
                }),
        }
    }

    async fn request<T>(&self, io: TokioIo<T>, host: &str, path: &str) -> Result<Answer, String>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (mut send, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| e.to_string())?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut req = hyper::Request::get(path)
            .header(hyper::header::HOST, host)
            .header("X-CSRF-ZOSMF-HEADER", "true")
            .header(hyper::header::USER_AGENT, "zosmf-ha");
        if let Some(a) = &self.auth {
            req = req.header(hyper::header::AUTHORIZATION, a.as_str());
        }
        let out = async {
            let req = req.body(Empty::<Bytes>::new()).map_err(|e| e.to_string())?;
            let r = send.send_request(req).await.map_err(|e| e.to_string())?;
            let status = r.status().as_u16();
            let system = r
                .headers()
                .get("x-zha-system")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            // Read the body too: an answer is whole or it is not one.
            r.into_body()
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?;
            Ok(Answer { status, system })
        }
        .await;
        driver.abort();
        out
    }
}

/// Why a TLS handshake failed, in words an operator acts on.
fn handshake_error(e: &io::Error, seen: &Seen) -> GetError {
    if seen.starts_like_http() {
        return GetError::WrongProtocol(SPEAKS_HTTP.into());
    }
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(r) => GetError::Handshake(tls_reason(r)),
        // Reset or closed during the handshake: failed or cut as bytes
        // arrived, like any connection.
        None => GetError::Other(format!("TLS: {e}")),
    }
}

/// A refused handshake's reason; the same words for the same cause, so
/// outcomes add up by reason.
fn tls_reason(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => {
                "certificate not trusted: UnknownIssuer (no trusted CA signed it)".into()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                format!("certificate name mismatch: {c}")
            }
            C::Expired | C::ExpiredContext { .. } => "certificate expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => "certificate not valid yet".into(),
            C::Revoked => "certificate revoked".into(),
            C::BadSignature => {
                "certificate not trusted: BadSignature (a trusted CA of its issuer's name did not sign it)"
                    .into()
            }
            other => format!("certificate rejected: {other:?}"),
        },
        rustls::Error::AlertReceived(a) => format!("TLS: the server refused the handshake: {a:?}"),
        other => format!("TLS: {other}"),
    }
}

/// The TLS server name in a Host value: without the port and brackets.
fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    let bare = match host.parse::<SocketAddr>() {
        Ok(a) => a.ip().to_string(),
        Err(_) => match host.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.contains(':') => {
                h.to_owned()
            }
            _ => host.trim_matches(['[', ']']).to_owned(),
        },
    };
    ServerName::try_from(bare.clone()).map_err(|_| format!("`{bare}` is not a TLS server name"))
}

/// `GET /zosmf/info` (or another path) on a fresh connection per request:
/// the distributor routes per connection, so each request is a new client.
#[derive(Clone)]
pub struct Client {
    addr: SocketAddr,
    host: String,
    path: String,
    getter: Getter,
    timeout: Duration,
}

impl Client {
    /// `url`: `https://host:port[/path]` or `http://…` (the path defaults
    /// to /zosmf/info); the host must be an IP address or resolve.
    pub fn new(
        url: &str,
        trust: Option<Trust>,
        timeout: Duration,
        auth: Option<(&str, &str)>,
    ) -> Result<Client, ClientError> {
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
        let tls = match scheme {
            "https" => true,
            "http" => false,
            other => {
                return Err(ClientError::Url(format!(
                    "`{other}` URLs are not supported: use https://host:port"
                )));
            }
        };
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/zosmf/info"),
        };
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && !h.ends_with(':') => (
                h.trim_matches(['[', ']']),
                p.parse::<u16>()
                    .map_err(|_| ClientError::Url(format!("`{p}` is not a port")))?,
            ),
            _ => (hostport.trim_matches(['[', ']']), default_port),
        };
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
            .map_err(|e| ClientError::Resolve {
                host: host.to_owned(),
                why: e.to_string(),
            })?
            .next()
            .ok_or_else(|| ClientError::Resolve {
                host: host.to_owned(),
                why: "no address".into(),
            })?;
        let trust = match (tls, trust) {
            (false, _) => None,
            (true, Some(t)) => Some(t),
            (true, None) => return Err(ClientError::NoTrust),
        };
        if tls {
            server_name(hostport).map_err(|_| ClientError::ServerName(host.to_owned()))?;
        }
        Ok(Client {
            addr,
            host: hostport.to_owned(),
            path: path.to_owned(),
            getter: Getter::new(trust, auth)?,
            timeout,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// One request on a fresh connection.
    pub async fn get(&self) -> Outcome {
        let started = Instant::now();
        let seen = Arc::new(Seen::default());
        let run = async {
            let tcp = TcpStream::connect(self.addr)
                .await
                .map_err(|e| GetError::Other(format!("connect: {e}")))?;
            self.getter
                .get_counting(tcp, &self.host, &self.path, seen.clone())
                .await
        };
        let result = match tokio::time::timeout(self.timeout, run).await {
            Ok(r) => r.map_err(|e| match e {
                GetError::Handshake(e) => Failure::Failed(e),
                GetError::WrongProtocol(e) => Failure::WrongProtocol(e),
                GetError::Other(e) if seen.received.load(Ordering::Relaxed) == 0 => {
                    Failure::Failed(e)
                }
                GetError::Other(e) => Failure::Cut(e),
            }),
            Err(_) => Err(Failure::Timeout),
        };
        Outcome {
            started,
            latency: started.elapsed(),
            result,
        }
    }
}

/// What a connection read: how many bytes (to tell a failed connection
/// from one cut later), and its first few (to tell which protocol the
/// server speaks).
#[derive(Default)]
struct Seen {
    received: AtomicU64,
    head: Mutex<Vec<u8>>,
}

/// How many first bytes are kept.
const HEAD: usize = 8;

impl Seen {
    fn head(&self) -> Vec<u8> {
        self.head.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// A TLS record (alert or handshake) of TLS 1.x: what a TLS server
    /// answers to a plain HTTP request.
    fn starts_like_tls(&self) -> bool {
        matches!(self.head().as_slice(), [0x15 | 0x16, 0x03, ..])
    }

    /// What a plain HTTP server answers to a TLS handshake: a status line,
    /// or (an HTTP/0.9-style error, as Python's http.server sends) an
    /// HTML page. Never the start of a TLS record.
    fn starts_like_http(&self) -> bool {
        let head = self.head();
        let text = |b: &u8| b.is_ascii_graphic() || b.is_ascii_whitespace();
        (head.starts_with(b"HTTP/") || head.starts_with(b"<")) && head.iter().all(text)
    }
}

/// Counts bytes read and keeps the first ones.
struct Counting {
    inner: TcpStream,
    seen: Arc<Seen>,
}

impl AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let new = buf.filled().get(before..).unwrap_or_default();
        let had = self
            .seen
            .received
            .fetch_add(new.len() as u64, Ordering::Relaxed);
        if had < HEAD as u64
            && !new.is_empty()
            && let Ok(mut head) = self.seen.head.lock()
        {
            let room = HEAD.saturating_sub(head.len());
            head.extend_from_slice(&new[..new.len().min(room)]);
        }
        r
    }
}

impl AsyncWrite for Counting {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_drop_the_port() {
        assert_eq!(
            server_name("127.0.0.10:8443").unwrap(),
            ServerName::try_from("127.0.0.10").unwrap()
        );
        assert_eq!(
            server_name("zosmf.example.com:443").unwrap(),
            ServerName::try_from("zosmf.example.com").unwrap()
        );
        assert_eq!(
            server_name("[::1]:443").unwrap(),
            ServerName::try_from("::1").unwrap()
        );
        assert_eq!(
            server_name("10.0.0.10").unwrap(),
            ServerName::try_from("10.0.0.10").unwrap()
        );
        assert!(server_name("bad name!").is_err());
    }

    /// A CA and a server certificate it signed for `names`.
    struct Pki {
        ca_pem: String,
        server: Arc<rustls::ServerConfig>,
    }

    fn pki(names: &[&str]) -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A name of its own: a CA of the same name would be found as the
        // issuer, and its signature refused instead.
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("test CA {n}"));
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .unwrap();
        Pki {
            ca_pem: ca.pem(),
            server: Arc::new(server),
        }
    }

    /// A loopback server on port 0 that answers every connection with
    /// HTTP 200 (through TLS when given a configuration); it ends with
    /// the test's runtime.
    async fn serve(tls: Option<Arc<rustls::ServerConfig>>) -> SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = l.accept().await else {
                    return;
                };
                let tls = tls.clone();
                tokio::spawn(async move {
                    let answer = |mut s: Box<dyn Stream>| async move {
                        let mut b = [0u8; 4096];
                        let _ = s.read(&mut b).await;
                        let _ = s
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            .await;
                        let _ = s.shutdown().await;
                    };
                    match tls {
                        Some(c) => {
                            if let Ok(s) = tokio_rustls::TlsAcceptor::from(c).accept(tcp).await {
                                answer(Box::new(s)).await;
                            }
                        }
                        None => answer(Box::new(tcp)).await,
                    }
                });
            }
        });
        addr
    }

    trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
    impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

    fn client(url: &str, trust: Option<Trust>) -> Client {
        Client::new(url, trust, Duration::from_secs(5), None).unwrap()
    }

    #[tokio::test]
    async fn certificate_errors_are_failures_with_their_reason() {
        let dir = tempfile::tempdir().unwrap();
        let good = pki(&["127.0.0.1"]);
        let good_ca = dir.path().join("good.pem");
        std::fs::write(&good_ca, &good.ca_pem).unwrap();
        let other_ca = dir.path().join("other.pem");
        std::fs::write(&other_ca, pki(&["127.0.0.1"]).ca_pem).unwrap();
        let a = serve(Some(good.server)).await;
        let url = format!("https://{a}/zosmf/info");
        // Trusted: answered.
        let o = client(&url, Some(Trust::CaFile(&good_ca))).get().await;
        assert_eq!(o.result.unwrap().status, 200);
        // Signed by a CA that is not trusted.
        let o = client(&url, Some(Trust::CaFile(&other_ca))).get().await;
        match o.result {
            Err(Failure::Failed(e)) => {
                assert!(
                    e.starts_with("certificate not trusted: UnknownIssuer"),
                    "{e}"
                )
            }
            r => panic!("{r:?}"),
        }
        // Trusted, for another name.
        let named = pki(&["zosmf.example.com"]);
        let named_ca = dir.path().join("named.pem");
        std::fs::write(&named_ca, &named.ca_pem).unwrap();
        let b = serve(Some(named.server)).await;
        let o = client(&format!("https://{b}"), Some(Trust::CaFile(&named_ca)))
            .get()
            .await;
        match o.result {
            Err(Failure::Failed(e)) => {
                assert!(e.starts_with("certificate name mismatch"), "{e}");
                assert!(e.contains("zosmf.example.com"), "{e}");
            }
            r => panic!("{r:?}"),
        }
    }

    #[tokio::test]
    async fn the_other_protocol_is_named() {
        let tls = serve(Some(pki(&["127.0.0.1"]).server)).await;
        let plain = serve(None).await;
        // Plain HTTP works.
        let o = client(&format!("http://{plain}"), None).get().await;
        assert_eq!(o.result.unwrap().status, 200);
        // Plain HTTP to a TLS server, TLS to a plain HTTP server: said so.
        let o = client(&format!("http://{tls}"), None).get().await;
        assert_eq!(o.result, Err(Failure::WrongProtocol(SPEAKS_TLS.into())));
        let o = client(&format!("https://{plain}"), Some(Trust::Insecure))
            .get()
            .await;
        assert_eq!(o.result, Err(Failure::WrongProtocol(SPEAKS_HTTP.into())));
        // What an answer starts with tells the protocol.
        let seen = |head: &[u8]| {
            let s = Seen::default();
            s.head.lock().unwrap().extend_from_slice(head);
            (s.starts_like_tls(), s.starts_like_http())
        };
        assert_eq!(seen(b"HTTP/1.1"), (false, true));
        assert_eq!(seen(b"<!DOCTYP"), (false, true));
        assert_eq!(seen(b"SSH-2.0-"), (false, false));
        assert_eq!(seen(&[0x15, 0x03, 0x03, 0, 2, 2, 50]), (true, false));
        assert_eq!(seen(&[0x16, 0x03, 0x01]), (true, false));
        assert_eq!(seen(b""), (false, false));
        assert!(Failure::WrongProtocol(SPEAKS_HTTP.into()).is_failed_connection());
    }

    #[test]
    fn urls_are_checked() {
        let e = |u: &str, t: Option<Trust>| {
            Client::new(u, t, Duration::from_secs(1), None)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(e("ftp://x", None).contains("not supported"));
        assert!(e("https://127.0.0.1:99999", None).contains("not a port"));
        assert!(e("https://127.0.0.1:443", None).contains("needs a trust"));
        assert!(Client::new("http://127.0.0.1:80", None, Duration::from_secs(1), None).is_ok());
    }
}
