//! Listening: the one bind-and-tune function (used at start and by reload,
//! so every listener gets the same backlog and socket options), the
//! tuning of listeners handed in by a caller, and the accept loop.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::warn;
use zha_standby::ServiceKey;

use crate::codes;
use crate::conn;
use crate::settings::SockOpts;
use crate::shared::{Refusal, Shared};

/// The accept queue of every listener.
pub const BACKLOG: i32 = 4096;

/// A port that cannot be listened on.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {source}{hint}")]
pub struct BindError {
    pub addr: SocketAddr,
    pub source: io::Error,
    hint: &'static str,
}

/// Bind a listener with SO_REUSEADDR, then tune it (see [`tune`]). Needs a
/// tokio runtime (for the registration), but never waits.
pub fn bind(addr: SocketAddr, opts: SockOpts) -> Result<TcpListener, BindError> {
    let fail = |source: io::Error| {
        let hint = if source.kind() == io::ErrorKind::PermissionDenied && addr.port() < 1024 {
            " (a port below 1024 needs root: remap it in the settings, e.g. [listen] ports = { 443 = 8443 })"
        } else if source.kind() == io::ErrorKind::AddrNotAvailable {
            " (the address is not on this machine: set [listen] address in the settings)"
        } else {
            ""
        };
        BindError { addr, source, hint }
    };
    let sock = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )
    .map_err(fail)?;
    sock.set_reuse_address(true).map_err(fail)?;
    if opts.freebind {
        match addr {
            SocketAddr::V4(_) => sock.set_freebind_v4(true),
            SocketAddr::V6(_) => sock.set_freebind_v6(true),
        }
        .map_err(fail)?;
    }
    sock.bind(&addr.into()).map_err(fail)?;
    tune(sock.into(), opts).map_err(fail)
}

/// Make a bound socket a listener the way every listener is: the deep
/// backlog, non-blocking, and the socket options (TCP_NODELAY, keepalive,
/// buffer sizes) set once here
/// (accepted sockets inherit them: no system call per client). Listening
/// again on a listener only changes its backlog, so a listener handed in
/// already listening is fine.
pub fn tune(sock: std::net::TcpListener, opts: SockOpts) -> io::Result<TcpListener> {
    let sock = socket2::Socket::from(sock);
    opts.apply(&sock);
    sock.set_nonblocking(true)?;
    sock.listen(BACKLOG)?;
    TcpListener::from_std(sock.into())
}

/// Accept clients until `stop`; back off on EMFILE/ENFILE instead of
/// spinning, refuse at once above the connection limit.
pub async fn accept_loop(
    listener: Arc<TcpListener>,
    key: ServiceKey,
    shared: Arc<Shared>,
    tracker: TaskTracker,
    stop: CancellationToken,
) {
    // A successor of a hand-over accepts once its first round is over.
    tokio::select! {
        _ = stop.cancelled() => return,
        _ = shared.open.cancelled() => {}
    }
    let mut backoff = Duration::from_millis(5);
    loop {
        let pause = shared.pause_left();
        if !pause.is_zero() {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
        // In a sysplex group only the owner of the DVIPA accepts; the
        // others leave clients in the shared socket's queue for it.
        if !shared.serves(key.dvipa) {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = shared.serving_changes(key.dvipa, false) => {}
            }
            continue;
        }
        // Biased: once this stack no longer serves the DVIPA, a client
        // ready in the queue is left for the owner.
        let accepted = tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            _ = shared.serving_changes(key.dvipa, true) => continue,
            r = listener.accept() => r,
        };
        match accepted {
            Ok((client, peer)) => {
                backoff = Duration::from_millis(5);
                let Ok(permit) = shared.limit.clone().try_acquire_owned() else {
                    if let Some(route) = shared.routes.load().services.get(&key) {
                        shared.refused(&route.stats, Refusal::Limit);
                    }
                    drop(client);
                    continue;
                };
                let shared = shared.clone();
                tracker.spawn(async move {
                    conn::handle(client, peer, key, &shared).await;
                    drop(permit);
                });
            }
            Err(e) => {
                if matches!(e.raw_os_error(), Some(23 | 24)) {
                    warn!(
                        id = codes::OUT_OF_RESOURCES.id,
                        service = %key,
                        "accept on {key}: {e}; pausing {} ms",
                        backoff.as_millis()
                    );
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
    }
}
