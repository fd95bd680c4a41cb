//! Moving bytes between a client and its target, both directions at once,
//! keeping half-close: when one side stops sending, the other side's write
//! half is shut down and the other direction goes on.
//!
//! Two paths with the same shape: a portable one through a user-space
//! buffer, and on Linux one through a pipe with splice(2), so bytes never
//! enter user space. Both work on `&TcpStream`, count bytes, and record
//! activity for the idle timeout.
//!
//! Every direction starts by copying (HAProxy's `splice-auto`): a read
//! into the worker thread's scratch buffer and a write at once, so a short
//! exchange costs two system calls and no memory of its own; only a read
//! that fills the scratch buffer (a bulky direction) moves to splice(2).
//! A connection holds a buffer only while a write would block.

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
#[derive(Clone, Copy)]
pub enum Mode<'a> {
    Buffered(usize),
    /// splice(2) through pipes of this pool; when the pool has none to
    /// spare, a chunk is copied through a small buffer instead.
    #[cfg(target_os = "linux")]
    Splice(&'a Pipes),
}

/// The pipes splice(2) moves bytes through, taken when bytes arrive and
/// given back once empty (as HAProxy does: an idle connection holds no
/// pipe). Bounded: at most `max` pipes exist (pooled or in use), each of
/// `size` bytes — slow readers cannot make the kernel hold more than
/// `max × size` bytes in pipes, nor the process `2 × max` descriptors.
pub struct Pipes {
    size: usize,
    max: usize,
    /// Pipes that exist: in use or pooled.
    count: std::sync::atomic::AtomicUsize,
    #[cfg(target_os = "linux")]
    pool: std::sync::Mutex<Vec<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)>>,
}

impl Pipes {
    pub fn new(size: usize, max: usize) -> Pipes {
        Pipes {
            size,
            max,
            count: std::sync::atomic::AtomicUsize::new(0),
            #[cfg(target_os = "linux")]
            pool: std::sync::Mutex::new(Vec::new()),
        }
    }

    pub fn size(&self) -> usize {
        self.size
    }
}

/// Buffer for a chunk copied when no pipe is to spare.
const FALLBACK_CHUNK: usize = 16 * 1024;

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
pub async fn pump(
    client: &TcpStream,
    target: &TcpStream,
    mode: Mode<'_>,
    traffic: &Traffic,
) -> Ended {
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
    mode: Mode<'_>,
    traffic: &Traffic,
    dir: Dir,
) -> io::Result<()> {
    let res: io::Result<()> = match mode {
        Mode::Buffered(size) => copy(from, to, size, false, traffic, dir).await.map(|_| ()),
        #[cfg(target_os = "linux")]
        Mode::Splice(pipes) => match copy(from, to, FALLBACK_CHUNK, true, traffic, dir).await {
            Ok(Copied::Bulky) => splice::one_way(from, to, pipes, traffic, dir).await,
            Ok(Copied::End) => Ok(()),
            Err(e) => Err(e),
        },
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

/// How a copy ended.
enum Copied {
    /// The sender closed its side.
    End,
    /// A read filled the buffer: from here on, splice.
    Bulky,
}

std::thread_local! {
    /// The worker thread's scratch buffer: every connection of the thread
    /// reads into it and writes from it at once (no await in between).
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What one read and write did.
enum Step {
    Eof,
    Again,
    /// Bytes read, whether they filled the buffer, and what the write left.
    Moved(usize, bool),
}

/// Copy until the sender closes, or — with `until_bulky` — until a read
/// fills `size` bytes.
async fn copy(
    from: &TcpStream,
    to: &TcpStream,
    size: usize,
    until_bulky: bool,
    traffic: &Traffic,
    dir: Dir,
) -> io::Result<Copied> {
    let size = size.max(1024);
    let mut pending: Vec<u8> = Vec::new();
    loop {
        from.readable().await?;
        let step = SCRATCH.with(|cell| -> io::Result<Step> {
            let mut buf = cell.borrow_mut();
            if buf.len() < size {
                buf.resize(size, 0);
            }
            let n = match from.try_read(&mut buf[..size]) {
                Ok(0) => return Ok(Step::Eof),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Step::Again),
                Err(e) => return Err(e),
            };
            let written = match to.try_write(&buf[..n]) {
                Ok(w) => w,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
                Err(e) => return Err(e),
            };
            if written < n {
                pending.extend_from_slice(&buf[written..n]);
            }
            Ok(Step::Moved(n, n == size))
        })?;
        match step {
            Step::Eof => return Ok(Copied::End),
            Step::Again => continue,
            Step::Moved(n, full) => {
                if !pending.is_empty() {
                    write_all(to, &pending).await?;
                    pending = Vec::new();
                }
                traffic.moved(dir, n);
                if full && until_bulky {
                    return Ok(Copied::Bulky);
                }
            }
        }
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

    use std::io;
    use std::os::fd::{AsFd, OwnedFd};
    use std::sync::atomic::Ordering;

    use rustix::pipe::{PipeFlags, SpliceFlags, pipe_with, splice};

    use super::*;

    type Pipe = (OwnedFd, OwnedFd);

    impl Pipes {
        /// A pipe: a pooled one, else a new one while fewer than `max`
        /// exist. `None`: none to spare now.
        pub(super) fn take(&self) -> Option<io::Result<Lease<'_>>> {
            let lease = |pipe| Lease {
                pipes: self,
                pipe: Some(pipe),
                empty: std::cell::Cell::new(true),
            };
            if let Some(p) = self.pool.lock().ok().and_then(|mut v| v.pop()) {
                return Some(Ok(lease(p)));
            }
            let claimed = self
                .count
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    (n < self.max).then_some(n + 1)
                })
                .is_ok();
            if !claimed {
                return None;
            }
            match pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC) {
                Ok((r, w)) => {
                    // If the kernel refuses the size (pipe-max-size), its
                    // default stays.
                    let _ = rustix::pipe::fcntl_setpipe_size(&w, self.size);
                    Some(Ok(lease((r, w))))
                }
                Err(e) => {
                    self.count.fetch_sub(1, Ordering::Relaxed);
                    Some(Err(io::Error::from(e)))
                }
            }
        }
    }

    /// A pipe taken from the pool: back to the pool when it is dropped
    /// empty, closed (and its place freed) when bytes are left in it —
    /// also when the connection is dropped mid-way.
    pub(super) struct Lease<'a> {
        pipes: &'a Pipes,
        pipe: Option<Pipe>,
        /// No bytes wait in it.
        empty: std::cell::Cell<bool>,
    }

    impl Lease<'_> {
        fn ends(&self) -> Option<(&OwnedFd, &OwnedFd)> {
            self.pipe.as_ref().map(|(r, w)| (r, w))
        }
    }

    impl Drop for Lease<'_> {
        fn drop(&mut self) {
            let Some(p) = self.pipe.take() else { return };
            if self.empty.get()
                && let Ok(mut pool) = self.pipes.pool.lock()
            {
                pool.push(p);
                return;
            }
            drop(p);
            self.pipes.count.fetch_sub(1, Ordering::Relaxed);
        }
    }

    pub async fn one_way(
        from: &TcpStream,
        to: &TcpStream,
        pipes: &Pipes,
        traffic: &Traffic,
        dir: Dir,
    ) -> io::Result<()> {
        let flags = SpliceFlags::MOVE | SpliceFlags::NONBLOCK;
        let chunk = pipes.size();
        let mut fallback: Vec<u8> = Vec::new();
        loop {
            from.readable().await?;
            let lease = match pipes.take() {
                Some(p) => p?,
                None => {
                    // No pipe to spare: copy one chunk through a buffer.
                    if fallback.is_empty() {
                        fallback = vec![0u8; FALLBACK_CHUNK];
                    }
                    match from.try_read(&mut fallback) {
                        Ok(0) => return Ok(()),
                        Ok(n) => {
                            write_all(to, &fallback[..n]).await?;
                            traffic.moved(dir, n);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                    continue;
                }
            };
            let Some((pr, pw)) = lease.ends() else {
                continue;
            };
            // Socket into the pipe.
            let n = match from.try_io(Interest::READABLE, || {
                splice(from.as_fd(), None, pw.as_fd(), None, chunk, flags).map_err(io::Error::from)
            }) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                return Ok(());
            }
            lease.empty.set(false);
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
            lease.empty.set(true);
            traffic.moved(dir, n);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn pipes_have_their_size_and_never_exceed_their_number() {
            let pipes = Pipes::new(128 * 1024, 2);
            let a = pipes.take().expect("one").expect("made");
            let b = pipes.take().expect("two").expect("made");
            assert!(pipes.take().is_none(), "at most 2 pipes");
            for p in [&a, &b] {
                let (_, w) = p.ends().unwrap();
                assert_eq!(rustix::pipe::fcntl_getpipe_size(w).unwrap(), 128 * 1024);
            }
            // An empty pipe goes back to the pool and is taken again.
            drop(a);
            let c = pipes.take().expect("pooled").expect("reused");
            assert!(pipes.take().is_none());
            // One with bytes left is closed, and frees its place.
            b.empty.set(false);
            drop(b);
            assert!(pipes.take().is_some(), "a closed pipe frees its place");
            drop(c);
        }
    }
}
