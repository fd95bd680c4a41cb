//! A client of `GET /zosmf/info`, one fresh connection per request by
//! default (the distributor routes per connection), with the outcome
//! classified as SPEC §1 counts failures: a connection refused, reset or
//! closed before the client received any byte is a *failed* connection; one
//! cut after bytes arrived is not.

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

/// Where and how to ask.
#[derive(Clone)]
pub struct Client {
    addr: SocketAddr,
    host: String,
    path: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    timeout: Duration,
    auth: Option<String>,
}

/// How the server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// `X-ZHA-System`, when the server sent it.
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

#[derive(Clone, Debug)]
pub struct Outcome {
    pub started: Instant,
    pub latency: Duration,
    pub result: Result<Answer, Failure>,
}

/// Trust for HTTPS.
pub use zha_tls::Trust;

impl Client {
    /// `url`: `https://host:port[/path]` (the path defaults to /zosmf/info);
    /// the host must be an IP address or resolve.
    pub fn new(
        url: &str,
        trust: Option<Trust>,
        timeout: Duration,
        auth: Option<(&str, &str)>,
    ) -> anyhow::Result<Client> {
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
        let tls = match scheme {
            "https" => true,
            "http" => false,
            other => anyhow::bail!("`{other}` URLs are not supported: use https://host:port"),
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
                    .map_err(|_| anyhow::anyhow!("`{p}` is not a port"))?,
            ),
            _ => (hostport.trim_matches(['[', ']']), default_port),
        };
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
            .map_err(|e| anyhow::anyhow!("cannot resolve {host}: {e}"))?
            .next()
            .ok_or_else(|| anyhow::anyhow!("{host} has no address"))?;
        let tls = if tls {
            let Some(trust) = trust else {
                anyhow::bail!("HTTPS needs a trust: a CA file (--cacert) or --insecure");
            };
            let config = zha_tls::client_config(trust)?;
            let name = ServerName::try_from(host.to_owned())
                .map_err(|_| anyhow::anyhow!("`{host}` is not a TLS server name"))?;
            Some((TlsConnector::from(config), name))
        } else {
            None
        };
        use base64::Engine;
        let auth = auth.map(|(u, p)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        });
        Ok(Client {
            addr,
            host: hostport.to_owned(),
            path: path.to_owned(),
            tls,
            timeout,
            auth,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// One request on a fresh connection.
    pub async fn get(&self) -> Outcome {
        let started = Instant::now();
        let received = Arc::new(AtomicU64::new(0));
        let run = self.get_inner(received.clone());
        let result = match tokio::time::timeout(self.timeout, run).await {
            Ok(r) => r.map_err(|e| classify(e, received.load(Ordering::Relaxed))),
            Err(_) => Err(Failure::Timeout),
        };
        Outcome {
            started,
            latency: started.elapsed(),
            result,
        }
    }

    async fn get_inner(&self, received: Arc<AtomicU64>) -> Result<Answer, String> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let stream = Counting {
            inner: tcp,
            received,
        };
        match &self.tls {
            Some((c, name)) => {
                let s = c
                    .connect(name.clone(), stream)
                    .await
                    .map_err(|e| format!("TLS: {e}"))?;
                self.request(TokioIo::new(s)).await
            }
            None => self.request(TokioIo::new(stream)).await,
        }
    }

    async fn request<T>(&self, io: TokioIo<T>) -> Result<Answer, String>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (mut send, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| e.to_string())?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut req = hyper::Request::get(self.path.as_str())
            .header(hyper::header::HOST, self.host.as_str())
            .header("X-CSRF-ZOSMF-HEADER", "true")
            .header(hyper::header::USER_AGENT, "zosmf-ha-probe");
        if let Some(a) = &self.auth {
            req = req.header(hyper::header::AUTHORIZATION, a.as_str());
        }
        let req = req.body(Empty::<Bytes>::new()).map_err(|e| e.to_string())?;
        let res = send.send_request(req).await.map_err(|e| e.to_string());
        let out = match res {
            Ok(r) => {
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
            Err(e) => Err(e),
        };
        driver.abort();
        out
    }
}

fn classify(e: String, received: u64) -> Failure {
    if received == 0 {
        Failure::Failed(e)
    } else {
        Failure::Cut(e)
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
