//! Moving bytes between a client and its target, both directions at once,
//! keeping half-close: when one side stops sending, the other side's write
//! half is shut down and the other direction goes on.
//!
//! Two paths with the same shape: a portable one through a user-space
//! buffer, and on Linux one through a pipe with splice(2), so bytes never
//! enter user space. Both work on `&TcpStream`, count bytes, and record
//! activity for the idle timeout.

use std::io;
use std::net::Shutdown;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::Interest;
use tokio::net::TcpStream;

/// Byte counts and when bytes last moved each way, shared with the
/// connection's watchdog and its access-log line. Times are milliseconds
/// after `start`.
#[derive(Debug)]
pub struct Traffic {
    start: Instant,
    /// The last byte from the client to the target.
    last_up: AtomicU64,
    /// The last byte from the target to the client.
    last_down: AtomicU64,
    /// When the first direction ended (a half-close); `NEVER` until then.
    first_end: AtomicU64,
    pub up: AtomicU64,
    pub down: AtomicU64,
}

const NEVER: u64 = u64::MAX;

impl Traffic {
    pub fn new() -> Traffic {
        Traffic {
            start: Instant::now(),
            last_up: AtomicU64::new(0),
            last_down: AtomicU64::new(0),
            first_end: AtomicU64::new(NEVER),
            up: AtomicU64::new(0),
            down: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(NEVER - 1)
    }

    fn touch(&self, dir: Dir) {
        let at = match dir {
            Dir::Up => &self.last_up,
            Dir::Down => &self.last_down,
        };
        at.store(self.now_ms(), Ordering::Relaxed);
    }

    /// One direction ended (its sender closed): the connection is half
    /// closed from now on.
    pub fn ended(&self) {
        let _ = self.first_end.compare_exchange(
            NEVER,
            self.now_ms(),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// Count `n` bytes moved in `dir`, now.
    pub fn moved(&self, dir: Dir, n: usize) {
        let counter = match dir {
            Dir::Up => &self.up,
            Dir::Down => &self.down,
        };
        counter.fetch_add(n as u64, Ordering::Relaxed);
        self.touch(dir);
    }

    /// When the connection must be given up, and why, for these limits
    /// (a zero limit is no limit): no byte either way for `idle`; no byte
    /// for `half_closed` once one side has closed; no answer from the
    /// target for `server` after the client sent data.
    pub fn deadline(
        &self,
        idle: Duration,
        half_closed: Duration,
        server: Duration,
    ) -> Option<(Instant, Expiry)> {
        let up = self.last_up.load(Ordering::Relaxed);
        let down = self.last_down.load(Ordering::Relaxed);
        let end = self.first_end.load(Ordering::Relaxed);
        let last = up.max(down);
        let at = |ms: u64, d: Duration| {
            let ms = ms.saturating_add(u64::try_from(d.as_millis()).unwrap_or(NEVER));
            self.start.checked_add(Duration::from_millis(ms))
        };
        let mut found: Option<(Instant, Expiry)> = None;
        let mut consider = |limit: Duration, from: u64, why: Expiry| {
            if limit.is_zero() {
                return;
            }
            if let Some(t) = at(from, limit)
                && found.is_none_or(|(f, _)| t < f)
            {
                found = Some((t, why));
            }
        };
        consider(idle, last, Expiry::Idle);
        if end != NEVER {
            consider(half_closed, last.max(end), Expiry::HalfClosed);
        }
        // The client spoke last, or spoke and the target never answered.
        let waiting = self.up.load(Ordering::Relaxed) > 0
            && (up > down || self.down.load(Ordering::Relaxed) == 0);
        if waiting {
            consider(server, up, Expiry::ServerSilent);
        }
        found
    }

    pub fn started(&self) -> Instant {
        self.start
    }
}

/// Why a connection's watchdog gave it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    Idle,
    HalfClosed,
    ServerSilent,
}

impl Default for Traffic {
    fn default() -> Traffic {
        Traffic::new()
    }
}

/// Which way bytes flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Client to target.
    Up,
    /// Target to client.
    Down,
}

/// How to move bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Buffered(usize),
    #[cfg(target_os = "linux")]
    Splice,
}

/// How a pump ended.
#[derive(Debug)]
pub struct Ended {
    /// The direction that ended first.
    pub first: Dir,
    pub up: io::Result<()>,
    pub down: io::Result<()>,
}

impl Ended {
    /// The first error, if any.
    pub fn error(&self) -> Option<&io::Error> {
        self.up.as_ref().err().or(self.down.as_ref().err())
    }
}

/// Pump both directions until both have ended.
pub async fn pump(client: &TcpStream, target: &TcpStream, mode: Mode, traffic: &Traffic) -> Ended {
    let first = std::sync::atomic::AtomicU8::new(0);
    let mark = |d: u8| {
        let _ = first.compare_exchange(0, d, Ordering::Relaxed, Ordering::Relaxed);
    };
    let (up, down) = tokio::join!(
        async {
            let r = one_way(client, target, mode, traffic, Dir::Up).await;
            mark(1);
            traffic.ended();
            r
        },
        async {
            let r = one_way(target, client, mode, traffic, Dir::Down).await;
            mark(2);
            traffic.ended();
            r
        }
    );
    Ended {
        first: if first.load(Ordering::Relaxed) == 2 {
            Dir::Down
        } else {
            Dir::Up
        },
        up,
        down,
    }
}

async fn one_way(
    from: &TcpStream,
    to: &TcpStream,
    mode: Mode,
    traffic: &Traffic,
    dir: Dir,
) -> io::Result<()> {
    let res = match mode {
        Mode::Buffered(size) => buffered(from, to, size, traffic, dir).await,
        #[cfg(target_os = "linux")]
        Mode::Splice => splice::one_way(from, to, traffic, dir).await,
    };
    // End of this direction: tell the receiver no more bytes come (half
    // close). On error, shut both ways so the other direction ends too.
    match &res {
        Ok(()) => {
            let _ = socket2::SockRef::from(to).shutdown(Shutdown::Write);
        }
        Err(_) => {
            let _ = socket2::SockRef::from(to).shutdown(Shutdown::Both);
            let _ = socket2::SockRef::from(from).shutdown(Shutdown::Both);
        }
    }
    res
}

async fn buffered(
    from: &TcpStream,
    to: &TcpStream,
    size: usize,
    traffic: &Traffic,
    dir: Dir,
) -> io::Result<()> {
    let mut buf = vec![0u8; size.max(1024)];
    loop {
        from.readable().await?;
        let n = match from.try_read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        };
        write_all(to, &buf[..n]).await?;
        traffic.moved(dir, n);
    }
}

/// Write a whole buffer to a non-blocking stream.
pub async fn write_all(to: &TcpStream, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        to.writable().await?;
        match to.try_write(data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(target_os = "linux")]
mod splice {
    //! splice(2): socket → pipe → socket, the bytes stay in the kernel.
    //!
    //! A pipe is taken from a shared pool when bytes arrive and given back
    //! once it is empty again, as HAProxy does: an idle connection holds no
    //! pipe, so thousands of idle connections cost no file descriptors
    //! beyond their sockets.

    use std::io;
    use std::os::fd::{AsFd, OwnedFd};
    use std::sync::Mutex;

    use rustix::pipe::{PipeFlags, SpliceFlags, pipe_with, splice};

    use super::*;

    /// The pipe's capacity: 1 MiB (the kernel default is 64 KiB and
    /// /proc/sys/fs/pipe-max-size is usually 1 MiB); fewer, larger splices
    /// on bulk transfers. If the kernel refuses, the default stays.
    const CHUNK: usize = 1 << 20;
    /// Empty pipes kept for reuse.
    const POOL_MAX: usize = 256;

    static POOL: Mutex<Vec<(OwnedFd, OwnedFd)>> = Mutex::new(Vec::new());

    fn take() -> io::Result<(OwnedFd, OwnedFd)> {
        if let Some(p) = POOL.lock().ok().and_then(|mut v| v.pop()) {
            return Ok(p);
        }
        let (r, w) =
            pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC).map_err(io::Error::from)?;
        let _ = rustix::pipe::fcntl_setpipe_size(&w, CHUNK);
        Ok((r, w))
    }

    /// Give back an empty pipe (one with bytes left is dropped).
    fn give(p: (OwnedFd, OwnedFd)) {
        if let Ok(mut v) = POOL.lock()
            && v.len() < POOL_MAX
        {
            v.push(p);
        }
    }

    pub async fn one_way(
        from: &TcpStream,
        to: &TcpStream,
        traffic: &Traffic,
        dir: Dir,
    ) -> io::Result<()> {
        let flags = SpliceFlags::MOVE | SpliceFlags::NONBLOCK;
        loop {
            from.readable().await?;
            let (pr, pw) = take()?;
            // Socket into the pipe.
            let n = match from.try_io(Interest::READABLE, || {
                splice(from.as_fd(), None, pw.as_fd(), None, CHUNK, flags).map_err(io::Error::from)
            }) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    give((pr, pw));
                    continue;
                }
                Err(e) => return Err(e),
            };
            if n == 0 {
                give((pr, pw));
                return Ok(());
            }
            // Pipe into the other socket, all of it, before reading more.
            let mut left = n;
            while left > 0 {
                to.writable().await?;
                match to.try_io(Interest::WRITABLE, || {
                    splice(pr.as_fd(), None, to.as_fd(), None, left, flags).map_err(io::Error::from)
                }) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(m) => left -= m,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) => return Err(e),
                }
            }
            give((pr, pw));
            traffic.moved(dir, n);
        }
    }
}
