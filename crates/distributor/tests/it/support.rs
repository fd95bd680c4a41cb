//! Test backends (killable, silent, frozen, HTTP), a distributor started in
//! the test process, and clients.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use zha_distributor::control;
use zha_distributor::display;
use zha_distributor::protocol::{Reply, Report, Request, ServiceRow, TargetRow, VaryAction, View};
use zha_distributor::settings::Settings;
use zha_standby::ServiceKey;

/// Every wait in these tests is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(10);

pub const PORT: u16 = 8443;

/// One test's addresses, a loopback block no concurrent test uses:
/// 127.A.B.10 is the DVIPA, 127.A.B.11.. the systems.
pub struct Net {
    block: zha_testkit::Net,
}

impl Net {
    pub fn new() -> Net {
        Net {
            block: zha_testkit::Net::claim(),
        }
    }

    pub fn ip(&self, host: u8) -> IpAddr {
        self.block.ip(host)
    }

    /// The service the profiles distribute.
    pub fn key(&self) -> ServiceKey {
        ServiceKey {
            dvipa: self.ip(10),
            port: PORT,
        }
    }

    /// The DVIPA:port as the profile names it (where a distributor that
    /// binds for itself listens).
    pub fn dvipa(&self) -> SocketAddr {
        SocketAddr::new(self.ip(10), PORT)
    }

    pub fn sys(&self, i: u8) -> SocketAddr {
        SocketAddr::new(self.ip(10 + i), PORT)
    }

    /// A profile distributing the DVIPA to systems 1.. with these roles:
    /// `None` = PREFERRED, `Some(rank)` = BACKUP rank.
    pub fn profile(&self, roles: &[Option<u8>], switchback: bool) -> String {
        let mut dest = String::new();
        for (i, r) in roles.iter().enumerate() {
            let ip = self.ip(11 + u8::try_from(i).unwrap());
            match r {
                None => dest.push_str(&format!("      {ip} PREFERRED\n")),
                Some(r) => dest.push_str(&format!("      {ip} BACKUP {r}\n")),
            }
        }
        format!(
            "IPCONFIG SYSPLEXROUTING DYNAMICXCF {sys1} 255.0.0.0 1\nVIPADYNAMIC\n  VIPADEFINE 255.255.255.0 {dvipa}\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY {policy}\n    {dvipa} PORT {PORT} DESTIP\n{dest}ENDVIPADYNAMIC\n",
            sys1 = self.ip(11),
            dvipa = self.ip(10),
            policy = if switchback {
                "AUTOSWITCHBACK"
            } else {
                "NOAUTOSWITCHBACK"
            },
        )
    }
}

/// How a backend answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Reads a line, answers `<name>\n`, keeps going until the client closes.
    Name,
    /// Echoes every byte until the client closes its side, then closes.
    Echo,
    /// Answers an HTTP request with the status in `status`.
    Http,
    /// A server with a header timeout (nginx's `client_header_timeout`):
    /// answers a line with its name, but closes a connection whose request
    /// is not complete (no newline) within 300 ms.
    HeaderTimeout,
}

pub struct Backend {
    stop: CancellationToken,
    /// While true, accepted connections get no answer (a stopped server).
    pub frozen: Arc<AtomicBool>,
    pub status: Arc<std::sync::atomic::AtomicU16>,
    /// A PROXY v2 header was seen.
    pub proxy_seen: Arc<AtomicBool>,
    /// Milliseconds to wait before answering.
    pub delay: Arc<std::sync::atomic::AtomicU64>,
}

impl Backend {
    pub async fn start(addr: SocketAddr, name: &'static str, kind: Kind) -> Backend {
        let listener = bind_retry(addr).await;
        let stop = CancellationToken::new();
        let frozen = Arc::new(AtomicBool::new(false));
        let status = Arc::new(std::sync::atomic::AtomicU16::new(200));
        let proxy_seen = Arc::new(AtomicBool::new(false));
        let delay = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (s, f, st, ps, dl) = (
            stop.clone(),
            frozen.clone(),
            status.clone(),
            proxy_seen.clone(),
            delay.clone(),
        );
        tokio::spawn(async move {
            loop {
                let (mut c, _) = tokio::select! {
                    _ = s.cancelled() => return,
                    r = listener.accept() => match r { Ok(x) => x, Err(_) => continue },
                };
                let (s, f, st, ps, dl) = (s.clone(), f.clone(), st.clone(), ps.clone(), dl.clone());
                tokio::spawn(async move {
                    tokio::select! {
                        _ = s.cancelled() => {
                            // A killed server: the kernel resets its connections.
                            let _ = socket2::SockRef::from(&c).set_linger(Some(Duration::ZERO));
                        }
                        _ = serve(&mut c, name, kind, &f, &st, &ps, &dl) => {}
                    }
                });
            }
        });
        Backend {
            stop,
            frozen,
            status,
            proxy_seen,
            delay,
        }
    }

    /// Kill it: new connects are refused, open connections are reset.
    pub fn kill(&self) {
        self.stop.cancel();
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn bind_retry(addr: SocketAddr) -> TcpListener {
    for _ in 0..100 {
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        s.set_reuse_address(true).unwrap();
        s.set_nonblocking(true).unwrap();
        if s.bind(&addr.into()).is_ok() {
            s.listen(1024).unwrap();
            return TcpListener::from_std(s.into()).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cannot bind {addr}");
}

async fn serve(
    c: &mut TcpStream,
    name: &str,
    kind: Kind,
    frozen: &AtomicBool,
    status: &std::sync::atomic::AtomicU16,
    proxy_seen: &AtomicBool,
    delay: &std::sync::atomic::AtomicU64,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut first = true;
    loop {
        let n = if kind == Kind::HeaderTimeout {
            let mut got = Vec::new();
            let complete = tokio::time::timeout(Duration::from_millis(300), async {
                loop {
                    match c.read(&mut buf).await {
                        Ok(0) | Err(_) => return false,
                        Ok(n) => {
                            got.extend_from_slice(&buf[..n]);
                            if got.contains(&b'\n') {
                                return true;
                            }
                        }
                    }
                }
            })
            .await;
            if complete != Ok(true) {
                return; // the header timeout: closed without an answer
            }
            let n = got.len().min(buf.len());
            buf[..n].copy_from_slice(&got[..n]);
            n
        } else {
            match c.read(&mut buf).await {
                Ok(0) | Err(_) => {
                    let _ = c.shutdown().await;
                    return;
                }
                Ok(n) => n,
            }
        };
        let mut data = &buf[..n];
        if first && data.starts_with(b"\r\n\r\n\0\r\nQUIT\n") {
            proxy_seen.store(true, Ordering::Relaxed);
            let len = usize::from(u16::from_be_bytes([data[14], data[15]]));
            data = &data[(16 + len).min(data.len())..];
        }
        first = false;
        while frozen.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let d = delay.load(Ordering::Relaxed);
        if d > 0 {
            tokio::time::sleep(Duration::from_millis(d)).await;
        }
        let reply: Vec<u8> = match kind {
            Kind::Echo => data.to_vec(),
            Kind::Name | Kind::HeaderTimeout if data.is_empty() => continue,
            Kind::Name | Kind::HeaderTimeout => format!("{name}\n").into_bytes(),
            Kind::Http => {
                let s = status.load(Ordering::Relaxed);
                let body = format!("{{\"system\":\"{name}\"}}");
                format!(
                    "HTTP/1.1 {s} X\r\ncontent-length: {}\r\nX-ZHA-System: {name}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes()
            }
        };
        if c.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// A listener that accepts nothing and whose backlog is full: connects to
/// it time out (a black-holed host), as `lo` never drops SYNs otherwise.
pub struct Silent {
    _listener: std::net::TcpListener,
    _fill: Vec<std::net::TcpStream>,
}

impl Silent {
    pub fn start(addr: SocketAddr) -> Silent {
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        s.set_reuse_address(true).unwrap();
        s.bind(&addr.into()).unwrap();
        s.listen(0).unwrap();
        let listener: std::net::TcpListener = s.into();
        let mut fill = Vec::new();
        for _ in 0..8 {
            let c =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            c.set_nonblocking(true).unwrap();
            let _ = c.connect(&addr.into());
            fill.push(c.into());
        }
        std::thread::sleep(Duration::from_millis(100));
        Silent {
            _listener: listener,
            _fill: fill,
        }
    }
}

/// SYSA (preferred) and SYSB (BACKUP 100) answering with their names, and a
/// distributor for them with `extra` settings, once SYSA is active.
pub async fn pair(net: &Net, extra: &str) -> (Backend, Backend, Dist) {
    let a = Backend::start(net.sys(1), "SYSA", Kind::Name).await;
    let b = Backend::start(net.sys(2), "SYSB", Kind::Name).await;
    let d = Dist::start(net, &net.profile(&[None, Some(100)], true), extra).await;
    d.wait_active(Some(net.sys(1))).await;
    (a, b, d)
}

/// A distributor running in this process.
pub struct Dist {
    pub stop: CancellationToken,
    pub running: Option<zha_distributor::Running>,
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    /// Where it listens for the profile's DVIPA:port.
    pub addr: SocketAddr,
}

pub fn settings(dir: &std::path::Path, extra: &str) -> Settings {
    let text = format!(
        "[probe]\ninterval = \"100ms\"\ntimeout = \"200ms\"\n[connect]\ntimeout = \"200ms\"\n{extra}\n[state]\ndir = \"{}\"\n[log]\naccess = false\n",
        dir.display(),
    );
    zha_distributor::settings::parse(std::path::Path::new("test.toml"), &text).unwrap()
}

impl Dist {
    /// Start on a listener bound to port 0 of the DVIPA's address.
    pub async fn start(net: &Net, profile: &str, extra: &str) -> Dist {
        Dist::start_in(net, tempfile::tempdir().unwrap(), profile, extra).await
    }

    pub async fn start_in(net: &Net, dir: tempfile::TempDir, profile: &str, extra: &str) -> Dist {
        let l = std::net::TcpListener::bind(SocketAddr::new(net.ip(10), 0)).unwrap();
        Dist::try_start_in(dir, profile, extra, Some(vec![(net.key(), l)]))
            .await
            .unwrap()
    }

    /// Start binding for itself, as `zosmf-ha distribute` does.
    pub async fn start_binding(profile: &str, extra: &str) -> Dist {
        Dist::try_start_in(tempfile::tempdir().unwrap(), profile, extra, None)
            .await
            .unwrap()
    }

    /// Start binding for itself, or why it did not start.
    pub async fn try_start(
        profile: &str,
        extra: &str,
    ) -> Result<Dist, zha_distributor::StartError> {
        Dist::try_start_in(tempfile::tempdir().unwrap(), profile, extra, None).await
    }

    /// Why the distributor refuses to start on this profile.
    pub async fn start_error(profile: &str, extra: &str) -> zha_distributor::StartError {
        match Dist::try_start_in(tempfile::tempdir().unwrap(), profile, extra, None).await {
            Ok(_) => panic!("the distributor started on a profile it should refuse"),
            Err(e) => e,
        }
    }

    async fn try_start_in(
        dir: tempfile::TempDir,
        profile: &str,
        extra: &str,
        listeners: Option<Vec<(ServiceKey, std::net::TcpListener)>>,
    ) -> Result<Dist, zha_distributor::StartError> {
        let path = dir.path().join("PROFILE.TCPIP");
        std::fs::write(&path, profile).unwrap();
        let settings = settings(dir.path(), extra);
        let socket = settings.control_socket();
        let stop = CancellationToken::new();
        let opts = zha_distributor::Options {
            profile: path.clone(),
            settings,
            symbols: Default::default(),
            signals: false,
            hand_over: false,
            group: None,
        };
        let running = match listeners {
            Some(l) => zha_distributor::start_with_listeners(opts, l, stop.clone()).await?,
            None => zha_distributor::start(opts, stop.clone()).await?,
        };
        let addr = running.listeners[0].1;
        Ok(Dist {
            stop,
            running: Some(running),
            dir,
            socket,
            addr,
        })
    }

    pub async fn call(&self, req: Request) -> Reply {
        control::call(&self.socket, &req, LIMIT).await.unwrap()
    }

    pub async fn view(&self, report: Report) -> View {
        control::netstat(&self.socket, report, LIMIT).await.unwrap()
    }

    /// The VDPT with DETAIL, as text.
    pub async fn vdpt(&self) -> String {
        display::text(&self.view(Report::Vdpt).await, Report::Vdpt, true)
    }

    pub async fn vary(&self, action: VaryAction, target: &str, port: Option<u16>) -> Reply {
        self.call(Request::Vary {
            action,
            target: target.into(),
            port,
            force: false,
        })
        .await
    }

    /// The active target of the first service.
    pub async fn active(&self) -> Option<SocketAddr> {
        self.view(Report::Vdpt).await.services[0].active
    }

    /// Wait until the active target is `want`, or fail after LIMIT.
    pub async fn wait_active(&self, want: Option<SocketAddr>) {
        let end = tokio::time::Instant::now() + LIMIT;
        loop {
            let a = self.active().await;
            if a == want {
                return;
            }
            assert!(
                tokio::time::Instant::now() < end,
                "active is {a:?}, waited for {want:?}\n{}",
                self.vdpt().await
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The first service's rows (typed).
    pub async fn service(&self) -> ServiceRow {
        self.view(Report::Vdpt).await.services.remove(0)
    }

    /// The row of target `i` (1-based, DESTIP order) of the first service.
    pub async fn target(&self, i: usize) -> TargetRow {
        self.service().await.targets.remove(i - 1)
    }

    /// Wait until the first service's rows satisfy `ok`.
    pub async fn wait_service(&self, ok: impl Fn(&ServiceRow) -> bool) {
        let end = tokio::time::Instant::now() + LIMIT;
        loop {
            let s = self.service().await;
            if ok(&s) {
                return;
            }
            assert!(tokio::time::Instant::now() < end, "waited in vain: {s:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stop and wait until it is over; the temp dir stays for a restart.
    pub async fn stop(mut self) -> tempfile::TempDir {
        self.stop.cancel();
        if let Some(r) = self.running.take() {
            tokio::time::timeout(LIMIT, r.done).await.unwrap().unwrap();
        }
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }
}

impl Drop for Dist {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Connect to the DVIPA, send a line, read the answering system's name.
pub async fn ask(addr: SocketAddr) -> Result<String, String> {
    let run = async {
        let mut c = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        c.write_all(b"who\n")
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut buf = [0u8; 64];
        let n = c.read(&mut buf).await.map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("closed before any byte".into());
        }
        Ok(String::from_utf8_lossy(&buf[..n]).trim().to_owned())
    };
    tokio::time::timeout(LIMIT, run)
        .await
        .map_err(|_| "timed out".to_string())?
}

/// SYSA (preferred) and SYSB (BACKUP 100) answering HTTP, and a
/// distributor that probes them with GET /zosmf/info over plain HTTP.
pub async fn http_pair(net: &Net, more: &str) -> (Backend, Backend, Dist) {
    let a = Backend::start(net.sys(1), "SYSA", Kind::Http).await;
    let b = Backend::start(net.sys(2), "SYSB", Kind::Http).await;
    let extra = format!("[probe.http]\npath = \"/zosmf/info\"\ntls = false\n{more}");
    let d = Dist::start(net, &net.profile(&[None, Some(100)], true), &extra).await;
    (a, b, d)
}

/// The metrics page at `addr`, as text.
pub async fn metrics_page(addr: SocketAddr) -> String {
    get(addr, "/metrics").await.1
}

/// GET `path` on the metrics address: the status code and the body.
pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut all = String::new();
    tokio::time::timeout(LIMIT, c.read_to_string(&mut all))
        .await
        .unwrap()
        .unwrap();
    let status = all
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = all.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

/// The value of the metric line that starts with `start` (labels included).
pub fn metric(page: &str, start: &str) -> Option<f64> {
    page.lines()
        .find(|l| l.starts_with(start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}
