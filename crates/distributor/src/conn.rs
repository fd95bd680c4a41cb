//! One client connection: pick a target from the routing table, connect
//! (trying the next target for the same client when a connect fails), watch
//! the first answer (to count, and optionally replay, requests lost when a
//! target dies), then pump bytes until both sides are done.
//!
//! A *retry* is every attempt on another target for the same client after
//! the first one, whatever made it necessary (a failed connect, or with
//! `replay` a target lost before answering). It is counted in one place,
//! [`connect_next`], for the metric and the access log alike.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tracing::{debug, info, warn};
use zha_standby::ServiceKey;

use crate::codes;
use crate::metrics::ConnectFailure;
use crate::pump::{self, Dir, Expiry, Mode, Traffic, write_all};
use crate::settings::SockOpts;
use crate::shared::{ConnInfo, Input, Refusal, RouteTarget, ServiceStats, Shared};

/// Client bytes kept for a replay (SPEC §1: up to 64 KiB).
pub const REPLAY_LIMIT: usize = 64 * 1024;

/// How a connection ended, for the access log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    NoTarget,
    AllFailed,
    /// The target closed or reset before answering a request.
    LostInFlight,
    Idle,
    /// One side closed, and no byte moved for `half_closed_timeout`.
    HalfClosed,
    /// The target sent nothing for `server_timeout` after the client's data.
    ServerSilent,
    Drained,
    Error,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::NoTarget => "refused: no target available",
            Outcome::AllFailed => "refused: every connect failed",
            Outcome::LostInFlight => "lost in flight: the target closed before answering",
            Outcome::Idle => "closed: idle timeout",
            Outcome::HalfClosed => "closed: one side had closed and the other went quiet",
            Outcome::ServerSilent => "closed: the target did not answer the client",
            Outcome::Drained => "closed: drain time over",
            Outcome::Error => "error",
        }
    }
}

pub async fn handle(client: TcpStream, peer: SocketAddr, key: ServiceKey, shared: &Shared) {
    let routes = shared.routes.load_full();
    let Some(route) = routes.services.get(&key) else {
        return;
    };
    let cands = route.targets.load_full();
    let stats = &*route.stats;
    let settings = &shared.settings;
    let traffic = Traffic::new();
    let mut log = Log {
        peer,
        key,
        target: None,
        retries: 0,
        traffic: &traffic,
        access: settings.log.access,
    };
    if cands.is_empty() {
        shared.refused(stats, Refusal::NoTarget);
        log.end(Outcome::NoTarget, None);
        return; // dropping the socket closes the client at once
    }
    // TCP_NODELAY and keepalive come from the listening socket (accepted
    // sockets inherit them): no system call per client here.

    let mut next = 0;
    let Some((mut cand, mut target)) =
        connect_next(&cands, &mut next, stats, shared, &mut log).await
    else {
        shared.refused(stats, Refusal::AllFailed);
        log.end(Outcome::AllFailed, None);
        return;
    };
    if settings.connect.proxy_protocol {
        let dst = client.local_addr().unwrap_or(peer);
        if let Err(e) = write_all(&target, &proxy_v2(peer, dst)).await {
            log.end(
                Outcome::Error,
                Some(&format!("PROXY header to {}: {e}", cand.endpoint)),
            );
            return;
        }
    }

    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let register = |c: &RouteTarget| {
        c.stats.total.inc();
        c.stats.active.inc();
        if let Ok(mut m) = shared.conns.lock() {
            m.insert(
                id,
                ConnInfo {
                    service: key,
                    client: peer,
                    destip: c.destip,
                    endpoint: c.endpoint,
                },
            );
        }
    };
    register(&cand);

    // With `replay`, until the target's first byte (and while the request
    // fits the replay buffer), watch for a target that dies with the
    // request in flight and send the request to the next target.
    let mut replay = settings.connect.replay.then(Vec::new);
    // How it ended, and why (for the access log), when it ended early.
    let mut outcome: Option<(Outcome, Option<String>)> = None;
    // The target of `cand` was counted out of the active gauge already.
    let mut released = false;
    while replay.is_some() {
        let first = tokio::select! {
            r = first_answer(&client, &target, &mut replay, &traffic) => r,
            why = watchdog(&traffic, &settings.limits) => {
                outcome = Some((expired(why), None));
                break;
            }
        };
        match first {
            Ok(First::Answered) => break,
            Ok(First::ClientGone) => {
                outcome = Some((Outcome::Done, None));
                break;
            }
            Ok(First::TargetLost(why)) => {
                cand.stats.lost.inc();
                cand.stats.active.dec();
                released = true;
                let _ = shared.inputs.try_send(Input::Suspect(cand.endpoint));
                let lost = Some((Outcome::LostInFlight, Some(why)));
                let Some(bytes) = replay.as_ref() else {
                    outcome = lost;
                    break;
                };
                let Some((c, t)) = connect_next(&cands, &mut next, stats, shared, &mut log).await
                else {
                    outcome = lost;
                    break;
                };
                if let Err(e) = write_all(&t, bytes).await {
                    outcome = Some((
                        Outcome::LostInFlight,
                        Some(format!("replay to {}: {e}", c.endpoint)),
                    ));
                    break;
                }
                (cand, target) = (c, t);
                cand.stats.total.inc();
                cand.stats.active.inc();
                released = false;
                if let Ok(mut m) = shared.conns.lock()
                    && let Some(ci) = m.get_mut(id)
                {
                    ci.destip = cand.destip;
                    ci.endpoint = cand.endpoint;
                }
            }
            Err(e) => {
                outcome = Some(if is_reset(&e) {
                    (Outcome::Done, None)
                } else {
                    (Outcome::Error, Some(e.to_string()))
                });
                break;
            }
        }
    }
    drop(replay);
    log.target = Some(cand.endpoint);

    let (outcome, cause) = match outcome {
        Some(o) => o,
        None => {
            let mode = if settings.pump.splice {
                #[cfg(target_os = "linux")]
                {
                    Mode::Splice(&shared.pipes)
                }
                #[cfg(not(target_os = "linux"))]
                {
                    Mode::Buffered(settings.pump.buffer)
                }
            } else {
                Mode::Buffered(settings.pump.buffer)
            };
            tokio::select! {
                end = pump::pump(&client, &target, mode, &traffic) => {
                    // The target closed or reset first, after the client had
                    // sent bytes and before any answer: the request was lost
                    // with the server (a crash), and the target is suspect.
                    let down = traffic.down.load(Ordering::Relaxed);
                    let up = traffic.up.load(Ordering::Relaxed);
                    if end.first == Dir::Down && down == 0 && up > 0 {
                        cand.stats.lost.inc();
                        let _ = shared.inputs.try_send(Input::Suspect(cand.endpoint));
                        let why = match &end.down {
                            Ok(()) => "closed before answering".to_owned(),
                            Err(e) => format!("reset before answering: {e}"),
                        };
                        (Outcome::LostInFlight, Some(why))
                    } else {
                        match end.error() {
                            None => (Outcome::Done, None),
                            Some(e) if is_reset(e) => (Outcome::Done, None),
                            Some(e) => (Outcome::Error, Some(e.to_string())),
                        }
                    }
                },
                why = watchdog(&traffic, &settings.limits) => (expired(why), None),
                _ = shared.hard_stop.cancelled() => (Outcome::Drained, None),
            }
        }
    };
    if !released {
        cand.stats.active.dec();
    }
    if let Ok(mut m) = shared.conns.lock() {
        m.remove(id);
    }
    cand.stats.moved(
        traffic.up.load(Ordering::Relaxed),
        traffic.down.load(Ordering::Relaxed),
    );
    log.end(outcome, cause.as_deref());
}

/// Connect to the targets from `next` on; a failure marks the target down
/// at once (passive detection) and, with `retry`, the next one is tried.
/// Every attempt after the client's first is a retry: counted here, once,
/// in the service's metric and the access log.
async fn connect_next(
    cands: &[Arc<RouteTarget>],
    next: &mut usize,
    stats: &ServiceStats,
    shared: &Shared,
    log: &mut Log<'_>,
) -> Option<(Arc<RouteTarget>, TcpStream)> {
    let s = &shared.settings.connect;
    while *next < cands.len() {
        let c = cands[*next].clone();
        if *next > 0 {
            stats.retries.inc();
            log.retries += 1;
        }
        *next += 1;
        let res = tokio::time::timeout(s.timeout, connect(c.endpoint, shared.opts)).await;
        let why = match res {
            Ok(Ok(t)) => return Some((c, t)),
            Ok(Err(e)) if is_local(&e) => {
                // This machine is out of descriptors, buffers or ports: not
                // the target's fault, so it is not marked down; accepting
                // pauses instead, as when accept() itself fails so.
                warn!(
                    id = codes::OUT_OF_RESOURCES.id,
                    target = %c.endpoint,
                    "cannot open a connection to {}: {e}; pausing accepts", c.endpoint
                );
                shared.pause_accepts();
                return None;
            }
            Ok(Err(e)) => {
                c.stats.failed(ConnectFailure::of(&e));
                e.to_string()
            }
            Err(_) => {
                c.stats.failed(ConnectFailure::Timeout);
                format!("no answer within {}", humantime::format_duration(s.timeout))
            }
        };
        debug!(target = %c.endpoint, "connect failed: {why}");
        let _ = shared
            .inputs
            .try_send(Input::ConnectFailed(c.endpoint, why, Instant::now()));
        if !s.retry {
            return None;
        }
    }
    None
}

enum First {
    /// The target sent its first bytes (already forwarded).
    Answered,
    /// The client closed before the target answered anything.
    ClientGone,
    /// The target closed or reset after the client had sent bytes, before
    /// answering them.
    TargetLost(String),
}

async fn first_answer(
    client: &TcpStream,
    target: &TcpStream,
    replay: &mut Option<Vec<u8>>,
    traffic: &Traffic,
) -> io::Result<First> {
    let mut buf = vec![0u8; 8 * 1024];
    let mut client_open = true;
    let mut sent = 0usize;
    loop {
        tokio::select! {
            r = client.readable(), if client_open => {
                r?;
                match client.try_read(&mut buf) {
                    Ok(0) => {
                        client_open = false;
                        let _ = socket2::SockRef::from(target).shutdown(std::net::Shutdown::Write);
                        if sent == 0 {
                            return Ok(First::ClientGone);
                        }
                    }
                    Ok(n) => {
                        write_all(target, &buf[..n]).await?;
                        sent += n;
                        traffic.moved(Dir::Up, n);
                        if let Some(r) = replay.as_mut() {
                            if r.len() + n <= REPLAY_LIMIT {
                                r.extend_from_slice(&buf[..n]);
                            } else {
                                // Too much to replay: the plain pump takes over.
                                *replay = None;
                                return Ok(First::Answered);
                            }
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
            r = target.readable() => {
                r?;
                match target.try_read(&mut buf) {
                    Ok(0) => {
                        return Ok(if sent > 0 { First::TargetLost("closed before answering".into()) } else { First::ClientGone });
                    }
                    Ok(n) => {
                        write_all(client, &buf[..n]).await?;
                        traffic.moved(Dir::Down, n);
                        return Ok(First::Answered);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if is_reset(&e) && sent > 0 => return Ok(First::TargetLost(format!("reset before answering: {e}"))),
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

/// Errors of this machine, not of the target: EMFILE, ENFILE, ENOMEM,
/// ENOBUFS, EADDRNOTAVAIL (no ephemeral port left).
pub fn is_local(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(12 | 23 | 24 | 99 | 105))
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
    )
}

/// Connect to a target with the data path's socket options.
async fn connect(endpoint: SocketAddr, opts: SockOpts) -> io::Result<TcpStream> {
    let sock = if endpoint.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    opts.apply(&sock);
    sock.connect(endpoint).await
}

fn expired(why: Expiry) -> Outcome {
    match why {
        Expiry::Idle => Outcome::Idle,
        Expiry::HalfClosed => Outcome::HalfClosed,
        Expiry::ServerSilent => Outcome::ServerSilent,
    }
}

/// Resolves when the connection must be given up (SPEC §1): idle for
/// `idle_timeout`, half closed and quiet for `half_closed_timeout`, or the
/// target silent for `server_timeout` after the client sent data. Never,
/// when every limit is off.
async fn watchdog(traffic: &Traffic, limits: &crate::settings::Limits) -> Expiry {
    let off = Duration::ZERO;
    if (
        limits.idle_timeout,
        limits.half_closed_timeout,
        limits.server_timeout,
    ) == (off, off, off)
    {
        return std::future::pending().await;
    }
    loop {
        let Some((at, why)) = traffic.deadline(
            limits.idle_timeout,
            limits.half_closed_timeout,
            limits.server_timeout,
        ) else {
            // Nothing to wait for yet (a limit may apply once bytes move).
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let now = std::time::Instant::now();
        if at <= now {
            return why;
        }
        // Bytes moving later can bring a deadline earlier than `at`: the
        // client speaking starts the server timeout, a side closing starts
        // the half-closed one. Such a deadline is at least that timeout
        // away, so looking again after it never misses one.
        let look_again = [limits.server_timeout, limits.half_closed_timeout]
            .into_iter()
            .filter(|d| !d.is_zero())
            .min()
            .and_then(|d| now.checked_add(d))
            .map_or(at, |t| t.min(at));
        tokio::time::sleep_until(tokio::time::Instant::from_std(look_again)).await;
    }
}

/// A PROXY protocol v2 header (haproxy.org/download/2.6/doc/proxy-protocol.txt).
pub fn proxy_v2(src: SocketAddr, dst: SocketAddr) -> Vec<u8> {
    let mut h = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    h.push(0x21); // version 2, PROXY
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            h.push(0x11);
            h.extend_from_slice(&12u16.to_be_bytes());
            h.extend_from_slice(&s.octets());
            h.extend_from_slice(&d.octets());
        }
        (s, d) => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V4(x) => x.to_ipv6_mapped(),
                IpAddr::V6(x) => x,
            };
            h.push(0x21);
            h.extend_from_slice(&36u16.to_be_bytes());
            h.extend_from_slice(&v6(s).octets());
            h.extend_from_slice(&v6(d).octets());
        }
    }
    h.extend_from_slice(&src.port().to_be_bytes());
    h.extend_from_slice(&dst.port().to_be_bytes());
    h
}

struct Log<'a> {
    peer: SocketAddr,
    key: ServiceKey,
    target: Option<SocketAddr>,
    retries: u64,
    traffic: &'a Traffic,
    access: bool,
}

impl Log<'_> {
    /// The access line; `cause` says why when it did not end well.
    fn end(&self, outcome: Outcome, cause: Option<&str>) {
        if !self.access {
            return;
        }
        let target = self
            .target
            .map_or_else(|| "-".to_owned(), |t| t.to_string());
        let up = self.traffic.up.load(Ordering::Relaxed);
        let down = self.traffic.down.load(Ordering::Relaxed);
        let ms = self.traffic.started().elapsed().as_millis() as u64;
        let cause = cause.unwrap_or_default();
        info!(
            target: "zosmf_ha::access",
            id = codes::ACCESS.id,
            client = %self.peer,
            service = %self.key,
            target = %target,
            bytes_up = up,
            bytes_down = down,
            duration_ms = ms,
            retries = self.retries,
            outcome = outcome.as_str(),
            cause,
            "{} -> {} via {}: {} up, {} down, {ms} ms, {} retries, {}{}",
            self.peer,
            target,
            self.key,
            up,
            down,
            self.retries,
            outcome.as_str(),
            if cause.is_empty() { String::new() } else { format!(" ({cause})") }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_header_v4() {
        let h = proxy_v2(
            "10.1.2.3:4000".parse().unwrap(),
            "10.0.0.10:443".parse().unwrap(),
        );
        assert_eq!(&h[..12], b"\r\n\r\n\0\r\nQUIT\n");
        assert_eq!(h[12], 0x21);
        assert_eq!(h[13], 0x11);
        assert_eq!(u16::from_be_bytes([h[14], h[15]]), 12);
        assert_eq!(&h[16..20], &[10, 1, 2, 3]);
        assert_eq!(&h[20..24], &[10, 0, 0, 10]);
        assert_eq!(u16::from_be_bytes([h[24], h[25]]), 4000);
        assert_eq!(u16::from_be_bytes([h[26], h[27]]), 443);
        assert_eq!(h.len(), 28);
    }
}
