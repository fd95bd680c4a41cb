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
use std::time::Instant;

use tokio::io::Interest;
use tokio::net::TcpStream;

/// Byte counts and the time of the last byte, shared with the connection's
/// watchdog and its access-log line.
#[derive(Debug)]
pub struct Traffic {
    start: Instant,
    /// Milliseconds after `start` of the last byte moved.
    last: AtomicU64,
    pub up: AtomicU64,
    pub down: AtomicU64,
}

impl Traffic {
    pub fn new() -> Traffic {
        Traffic {
            start: Instant::now(),
            last: AtomicU64::new(0),
            up: AtomicU64::new(0),
            down: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    /// Time since the last byte (or since the start).
    pub fn idle(&self) -> std::time::Duration {
        let last = std::time::Duration::from_millis(self.last.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }

    pub fn started(&self) -> Instant {
        self.start
    }
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
            r
        },
        async {
            let r = one_way(target, client, mode, traffic, Dir::Down).await;
            mark(2);
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

fn count(traffic: &Traffic, dir: Dir, n: usize) {
    let counter = match dir {
        Dir::Up => &traffic.up,
        Dir::Down => &traffic.down,
    };
    counter.fetch_add(n as u64, Ordering::Relaxed);
    traffic.touch();
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
        count(traffic, dir, n);
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
            count(traffic, dir, n);
        }
    }
}
