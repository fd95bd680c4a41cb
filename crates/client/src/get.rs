//! One HTTP/1.1 GET, with its outcome classified as SPEC §1 counts
//! failures: a connection refused, reset or closed before the client
//! received any byte is a *failed* connection; one cut after bytes arrived
//! is not.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Refused, reset or closed before any byte arrived: a failed
    /// connection (SPEC §1).
    Failed(String),
    /// Cut after some bytes arrived (mid-stream): reported apart.
    Cut(String),
    /// No answer within the timeout.
    Timeout,
}

impl Failure {
    pub fn is_failed_connection(&self) -> bool {
        matches!(self, Failure::Failed(_) | Failure::Timeout)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Failed(e) => write!(f, "failed: {e}"),
            Failure::Cut(e) => write!(f, "cut after the first bytes: {e}"),
            Failure::Timeout => f.write_str("no answer within the timeout"),
        }
    }
}

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
        self.get_counting(stream, host, path, Arc::new(AtomicU64::new(0)))
            .await
    }

    async fn get_counting(
        &self,
        stream: TcpStream,
        host: &str,
        path: &str,
        received: Arc<AtomicU64>,
    ) -> Result<Answer, String> {
        let _ = stream.set_nodelay(true);
        let stream = Counting {
            inner: stream,
            received,
        };
        match &self.tls {
            Some(c) => {
                let name = server_name(host)?;
                let s = c
                    .connect(name, stream)
                    .await
                    .map_err(|e| format!("TLS: {e}"))?;
                self.request(TokioIo::new(s), host, path).await
            }
            None => self.request(TokioIo::new(stream), host, path).await,
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
        let received = Arc::new(AtomicU64::new(0));
        let run = async {
            let tcp = TcpStream::connect(self.addr)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            self.getter
                .get_counting(tcp, &self.host, &self.path, received.clone())
                .await
        };
        let result = match tokio::time::timeout(self.timeout, run).await {
            Ok(r) => r.map_err(|e| {
                if received.load(Ordering::Relaxed) == 0 {
                    Failure::Failed(e)
                } else {
                    Failure::Cut(e)
                }
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

/// Counts bytes read, to tell a failed connection from one cut later.
struct Counting {
    inner: TcpStream,
    received: Arc<AtomicU64>,
}

impl AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.received.fetch_add(n as u64, Ordering::Relaxed);
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
