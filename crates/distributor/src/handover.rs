//! Hand-over (SPEC §1's word): a distributor passes its listening sockets
//! and its active targets to its successor on the same stack, so that a
//! restart or an upgrade refuses no client. The listening sockets stay
//! open throughout; a client that arrives while neither process accepts
//! waits in the kernel's accept queue.
//!
//! Two ways:
//! - **Over the control socket** (`distribute --hand-over`, HAProxy's
//!   seamless reload, Envoy's hot restart): the successor asks the running
//!   distributor ([`request`]); it answers with its active targets and its
//!   sockets over SCM_RIGHTS ([`give`]) and goes on accepting. The
//!   successor runs its first round of probes, accepts too, and says
//!   `ready`; only then does the predecessor stop accepting and drain. A
//!   successor that dies before `ready` leaves the predecessor running.
//! - **systemd's file descriptor store** ([`FdStore`]): under a unit with
//!   `FileDescriptorStoreMax=`, every listening socket is stored in the
//!   service manager (`FDSTORE=1`), which passes them back on the next
//!   start (`LISTEN_FDS`, [`Inherited::from_systemd`]): `systemctl restart`
//!   and `Restart=` queue clients instead of refusing them.
//!
//! Sockets coming in either way are matched to what the profile needs by
//! their local address ([`Inherited`]), never by order or name.

use std::collections::HashMap;
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Interest};
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot};
use zha_standby::Persisted;

use crate::protocol::{Reply, Request};
use crate::shared::Input;

/// Linux passes at most 253 descriptors in one message (SCM_MAX_FD).
const FDS_PER_MESSAGE: usize = 250;

/// The longest a successor waits for the running distributor's answer.
const ANSWER: Duration = Duration::from_secs(10);

/// The longest the running distributor waits for its successor's `ready`
/// (the successor says how long its first round may take; a probe timeout
/// is at most 10 minutes).
const MAX_WAIT: Duration = Duration::from_secs(30 * 60);

/// Listening sockets received from a predecessor or from systemd, by local
/// address (TCP) or path (Unix), each with its name in systemd's store.
#[derive(Default)]
pub struct Inherited {
    tcp: HashMap<SocketAddr, (OwnedFd, Option<String>)>,
    unix: HashMap<PathBuf, (OwnedFd, Option<String>)>,
    /// Descriptors that are no stream socket with an address: closed.
    pub ignored: usize,
}

/// `LISTEN_FDS` are claimed once per process: a second start in the same
/// process must not take descriptors 3.. again.
static CLAIMED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl Inherited {
    /// File a descriptor under its local address.
    pub fn add(&mut self, fd: OwnedFd, name: Option<String>) {
        let s = socket2::Socket::from(fd);
        let (Ok(socket2::Type::STREAM), Ok(addr)) = (s.r#type(), s.local_addr()) else {
            self.ignored += 1;
            return;
        };
        if let Some(a) = addr.as_socket() {
            self.tcp.insert(a, (s.into(), name));
        } else if let Some(p) = addr.as_pathname() {
            self.unix.insert(p.to_path_buf(), (s.into(), name));
        } else {
            self.ignored += 1;
        }
    }

    /// The sockets systemd passed (`LISTEN_FDS` for this process: stored
    /// with `FDSTORE=1` by a predecessor, or a `.socket` unit's).
    ///
    /// The only unsafe code of the project: descriptors passed by number
    /// across exec cannot be claimed otherwise.
    #[allow(unsafe_code)]
    pub fn from_systemd(&mut self) -> io::Result<usize> {
        if CLAIMED.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Ok(0);
        }
        let fds = sd_notify::listen_fds_with_names()?;
        let n = fds.len();
        for (fd, name) in fds {
            // SAFETY: LISTEN_PID names this process and this is the first
            // claim, so the descriptors from 3 on were opened for it by the
            // service manager and nothing else owns them.
            self.add(unsafe { OwnedFd::from_raw_fd(fd) }, Some(name));
        }
        Ok(n)
    }

    pub fn take_tcp(&mut self, addr: SocketAddr) -> Option<std::net::TcpListener> {
        self.tcp.remove(&addr).map(|(fd, _)| fd.into())
    }

    /// The Unix listener at `path`, if its file is still there.
    pub fn take_unix(&mut self, path: &Path) -> Option<std::os::unix::net::UnixListener> {
        let (fd, _) = self.unix.remove(path)?;
        std::fs::symlink_metadata(path).ok()?;
        Some(fd.into())
    }

    /// Add what another source passed.
    pub fn extend(&mut self, other: Inherited) {
        self.tcp.extend(other.tcp);
        self.unix.extend(other.unix);
        self.ignored += other.ignored;
    }

    /// How many are left (not used by this profile).
    pub fn len(&self) -> usize {
        self.tcp.len() + self.unix.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Close what is left, and take it out of systemd's store: kept there,
    /// a socket would queue clients nobody accepts.
    pub fn close(self, store: &FdStore) -> io::Result<()> {
        let names = self.tcp.into_values().chain(self.unix.into_values());
        for (fd, name) in names {
            drop(fd);
            if let Some(n) = name {
                store.remove(&n)?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HandOverError {
    #[error("the hand-over from the distributor at {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("the distributor at {} refused the hand-over: {error}", path.display())]
    Refused { path: PathBuf, error: String },
    #[error("the distributor at {} did not hand over within {ANSWER:?}", path.display())]
    Timeout { path: PathBuf },
}

/// The successor's side of a hand-over in progress: the sockets and state
/// received, and the conversation to finish with [`Received::ready`].
pub struct Received {
    pub sockets: Inherited,
    pub state: Persisted,
    /// The targets quiesced in the predecessor (service, endpoint).
    pub quiesced: Vec<(zha_standby::ServiceKey, SocketAddr)>,
    /// The predecessor's process id.
    pub pid: u32,
    stream: UnixStream,
}

/// How long the successor waits for the predecessor's `ok` after `ready`.
const ACK: Duration = Duration::from_secs(10);

impl Received {
    /// Tell the predecessor that this process accepts, and wait for its
    /// `ok`: from then on it stops accepting and drains. Without the `ok`
    /// it has given up and goes on, so this process must not.
    pub async fn ready(mut self) -> io::Result<()> {
        self.stream.write_all(b"ready\n").await?;
        self.stream.flush().await?;
        let mut line = String::new();
        let mut r = BufReader::new(&mut self.stream).take(16);
        match tokio::time::timeout(ACK, r.read_line(&mut line)).await {
            Ok(Ok(_)) if line.trim_end() == "ok" => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no answer to ready",
            )),
            Ok(Ok(_)) => Err(io::Error::other("the predecessor gave up the hand-over")),
        }
    }
}

/// Ask the distributor listening on the control socket `path` to hand its
/// sockets over; `within`: how long this process may take to accept (its
/// first round). `Ok(None)`: nobody listens there (start afresh).
pub async fn request(path: &Path, within: Duration) -> Result<Option<Received>, HandOverError> {
    let io_err = |source| HandOverError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Only from a folder nobody else can change, and only from the same
    // user (or root): anyone else could hand over sockets of their own.
    let Some(mut stream) = connect_checked(path).await? else {
        return Ok(None);
    };
    let req = Request::HandOver {
        pid: std::process::id(),
        within_ms: u64::try_from(within.as_millis()).unwrap_or(u64::MAX),
    };
    let (reply, fds) = ask(&mut stream, path, &req).await?;
    match reply {
        Reply::HandOver {
            state,
            quiesced,
            pid,
            ..
        } => {
            let mut sockets = Inherited::default();
            for fd in fds {
                sockets.add(fd, None);
            }
            Ok(Some(Received {
                sockets,
                state: crate::state::from_raw(state),
                quiesced: quiesced
                    .into_iter()
                    .filter_map(|(k, e)| Some((k.parse().ok()?, e)))
                    .collect(),
                pid,
                stream,
            }))
        }
        Reply::Refused { error } => Err(HandOverError::Refused {
            path: path.to_path_buf(),
            error,
        }),
        _ => Err(io_err(io::Error::other("an answer that is no hand-over"))),
    }
}

/// Send one request line and read the reply with its descriptors, within
/// [`ANSWER`].
async fn ask(
    stream: &mut UnixStream,
    path: &Path,
    req: &Request,
) -> Result<(Reply, Vec<OwnedFd>), HandOverError> {
    let io_err = |source| HandOverError::Io {
        path: path.to_path_buf(),
        source,
    };
    let run = async {
        let mut line = serde_json::to_string(req).map_err(|e| io_err(io::Error::other(e)))?;
        line.push('\n');
        stream.write_all(line.as_bytes()).await.map_err(io_err)?;
        receive(stream, path).await
    };
    tokio::time::timeout(ANSWER, run)
        .await
        .map_err(|_| HandOverError::Timeout {
            path: path.to_path_buf(),
        })?
}

/// Read the reply line and the descriptors that follow it: each in a
/// message of one byte, [`FDS_PER_MESSAGE`] at most.
async fn receive(stream: &UnixStream, path: &Path) -> Result<(Reply, Vec<OwnedFd>), HandOverError> {
    let io_err = |source| HandOverError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    let mut fds = Vec::new();
    let mut reply: Option<(Reply, usize)> = None;
    let mut buf = vec![0u8; 64 * 1024];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(FDS_PER_MESSAGE))];
    loop {
        if let Some((_, want)) = &reply
            && fds.len() >= *want
            && bytes.len() >= want.div_ceil(FDS_PER_MESSAGE)
        {
            break;
        }
        if bytes.len() > 16 << 20 {
            return Err(io_err(io::Error::other("an answer over 16 MiB")));
        }
        let n = stream
            .async_io(Interest::READABLE, || {
                let mut cmsg = RecvAncillaryBuffer::new(&mut space);
                let r = rustix::net::recvmsg(
                    stream,
                    &mut [IoSliceMut::new(&mut buf)],
                    &mut cmsg,
                    RecvFlags::CMSG_CLOEXEC,
                )?;
                for m in cmsg.drain() {
                    if let RecvAncillaryMessage::ScmRights(got) = m {
                        fds.extend(got);
                    }
                }
                Ok(r.bytes)
            })
            .await
            .map_err(io_err)?;
        if n == 0 {
            return Err(io_err(io::ErrorKind::UnexpectedEof.into()));
        }
        bytes.extend_from_slice(&buf[..n]);
        if reply.is_none()
            && let Some(end) = bytes.iter().position(|&b| b == b'\n')
        {
            let r: Reply = serde_json::from_slice(&bytes[..end])
                .map_err(|e| io_err(io::Error::other(format!("a bad answer: {e}"))))?;
            let want = match &r {
                Reply::HandOver { sockets, .. } | Reply::Share { sockets } => *sockets,
                _ => return Ok((r, fds)),
            };
            bytes.drain(..=end);
            reply = Some((r, want));
        }
    }
    let (r, want) = reply.ok_or_else(|| io_err(io::ErrorKind::UnexpectedEof.into()))?;
    if fds.len() != want {
        return Err(io_err(io::Error::other(format!(
            "{} sockets received, {want} announced",
            fds.len()
        ))));
    }
    Ok((r, fds))
}

/// The running distributor's side, on a control connection that asked
/// for a hand-over: send the active targets and the sockets, keep
/// accepting, and stop (drain) when the successor says `ready`.
pub async fn give(
    reader: &mut BufReader<UnixStream>,
    pid: u32,
    within: Duration,
    tx: &mpsc::Sender<Input>,
) -> io::Result<()> {
    // Only the same user (or root) may take the sockets. The socket's
    // folder already says so; this holds even if it were changed.
    let me = rustix::process::geteuid().as_raw();
    let peer = reader.get_ref().peer_cred()?.uid();
    if peer != me && peer != 0 {
        return answer(reader, &Reply::refused("a hand-over needs the same user")).await;
    }
    let (otx, orx) = oneshot::channel();
    if tx.send(Input::HandOver(otx)).await.is_err() {
        return answer(reader, &Reply::refused("the distributor is stopping")).await;
    }
    let offer = match orx.await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return answer(reader, &Reply::refused(e)).await,
        Err(_) => return answer(reader, &Reply::refused("the distributor is stopping")).await,
    };
    let reply = Reply::HandOver {
        sockets: offer.sockets.len(),
        state: crate::state::to_raw(&offer.state),
        quiesced: offer
            .quiesced
            .iter()
            .map(|(k, e)| (k.to_string(), *e))
            .collect(),
        pid: std::process::id(),
    };
    let fds: Vec<BorrowedFd<'_>> = offer.sockets.iter().map(|s| s.as_fd()).collect();
    let sent = send_with_fds(reader, &reply, &fds);
    let sent = sent.await;
    // Our copies in flight are the successor's now; the listeners stay
    // open through the accept loops.
    drop(offer);
    // The successor's first round, and a margin for its start.
    let wait = within.saturating_add(Duration::from_secs(10)).min(MAX_WAIT);
    let outcome = match sent {
        Err(e) => Err(format!("sending the sockets failed: {e}")),
        Ok(()) => {
            let mut line = String::new();
            // `ready` and its newline; a longer line is no `ready`.
            let mut limited = (&mut *reader).take(16);
            match tokio::time::timeout(wait, limited.read_line(&mut line)).await {
                Err(_) => Err(format!(
                    "the successor (pid {pid}) did not say ready within {wait:?}"
                )),
                Ok(Err(e)) => Err(format!("the successor (pid {pid}): {e}")),
                Ok(Ok(_)) if line.trim_end() == "ready" => {
                    // Its `ok`: once it is out, this process stops accepting.
                    match reader.get_mut().write_all(b"ok\n").await {
                        Ok(()) => Ok(()),
                        Err(e) => Err(format!(
                            "the successor (pid {pid}) said ready but went away: {e}"
                        )),
                    }
                }
                Ok(Ok(_)) => Err(format!(
                    "the successor (pid {pid}) ended before it accepted (did it fail to start?)"
                )),
            }
        }
    };
    let _ = tx.send(Input::HandedOver { pid, outcome }).await;
    Ok(())
}

/// Send `reply`, then the descriptors, [`FDS_PER_MESSAGE`] per message of
/// one byte.
async fn send_with_fds(
    reader: &mut BufReader<UnixStream>,
    reply: &Reply,
    fds: &[BorrowedFd<'_>],
) -> io::Result<()> {
    answer(reader, reply).await?;
    let stream = reader.get_ref();
    for chunk in fds.chunks(FDS_PER_MESSAGE) {
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(FDS_PER_MESSAGE))];
        let mut cmsg = SendAncillaryBuffer::new(&mut space);
        if !cmsg.push(SendAncillaryMessage::ScmRights(chunk)) {
            return Err(io::Error::other("descriptors do not fit a message"));
        }
        stream
            .async_io(Interest::WRITABLE, || {
                Ok(rustix::net::sendmsg(
                    stream,
                    &[IoSlice::new(b"\0")],
                    &mut cmsg,
                    SendFlags::NOSIGNAL,
                )?)
            })
            .await?;
    }
    Ok(())
}

/// A stack of the same sysplex group asks for copies of the listening
/// sockets (SPEC §7, one machine): send them; this process goes on.
pub async fn share(reader: &mut BufReader<UnixStream>, tx: &mpsc::Sender<Input>) -> io::Result<()> {
    let me = rustix::process::geteuid().as_raw();
    let peer = reader.get_ref().peer_cred()?.uid();
    if peer != me && peer != 0 {
        return answer(
            reader,
            &Reply::refused("sharing sockets needs the same user"),
        )
        .await;
    }
    let (otx, orx) = oneshot::channel();
    if tx.send(Input::Share(otx)).await.is_err() {
        return answer(reader, &Reply::refused("the distributor is stopping")).await;
    }
    let Ok(listeners) = orx.await else {
        return answer(reader, &Reply::refused("the distributor is stopping")).await;
    };
    let fds: Vec<BorrowedFd<'_>> = listeners.iter().map(|l| l.as_fd()).collect();
    send_with_fds(reader, &Reply::Share { sockets: fds.len() }, &fds).await
}

/// Ask the stack on control socket `path` for copies of its listening
/// sockets; `None` when nobody listens there.
pub async fn request_share(path: &Path) -> Result<Option<Inherited>, HandOverError> {
    let io_err = |source| HandOverError::Io {
        path: path.to_path_buf(),
        source,
    };
    let Some(mut stream) = connect_checked(path).await? else {
        return Ok(None);
    };
    let req = Request::Share {
        pid: std::process::id(),
    };
    let (reply, fds) = ask(&mut stream, path, &req).await?;
    match reply {
        Reply::Share { .. } => {
            let mut sockets = Inherited::default();
            for fd in fds {
                sockets.add(fd, None);
            }
            Ok(Some(sockets))
        }
        Reply::Refused { error } => Err(HandOverError::Refused {
            path: path.to_path_buf(),
            error,
        }),
        _ => Err(io_err(io::Error::other("an answer that is no share"))),
    }
}

/// Connect to a control socket in a private folder, served by this user
/// (or root); `None` when nobody listens there.
async fn connect_checked(path: &Path) -> Result<Option<UnixStream>, HandOverError> {
    let io_err = |source| HandOverError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && dir.exists()
    {
        zha_plex::OsFs::private_dir(dir).map_err(io_err)?;
    }
    let stream = match UnixStream::connect(path).await {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(io_err(e)),
    };
    let me = rustix::process::geteuid().as_raw();
    let peer = stream.peer_cred().map_err(io_err)?.uid();
    if peer != me && peer != 0 {
        return Err(io_err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("the control socket is served by user {peer}, not by this user"),
        )));
    }
    Ok(Some(stream))
}

async fn answer(reader: &mut BufReader<UnixStream>, reply: &Reply) -> io::Result<()> {
    let mut out = serde_json::to_string(reply).map_err(io::Error::other)?;
    out.push('\n');
    reader.get_mut().write_all(out.as_bytes()).await
}

/// systemd's file descriptor store and readiness protocol, when the
/// process runs under a unit (`NOTIFY_SOCKET` set); does nothing else.
#[derive(Clone, Copy)]
pub struct FdStore {
    enabled: bool,
}

impl FdStore {
    pub fn from_env() -> FdStore {
        FdStore {
            enabled: std::env::var_os("NOTIFY_SOCKET").is_some(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Store a listening socket under its name (systemd keeps one copy
    /// per open socket, whatever the name).
    pub fn store(&self, name: &str, fd: BorrowedFd<'_>) -> io::Result<()> {
        if !self.enabled {
            return Ok(());
        }
        use sd_notify::NotifyState;
        sd_notify::notify_with_fds(&[NotifyState::FdStore, NotifyState::FdName(name)], &[fd])
    }

    /// Drop a socket from the store (a listener a reload removed: kept
    /// there, it would queue clients nobody accepts).
    pub fn remove(&self, name: &str) -> io::Result<()> {
        if !self.enabled {
            return Ok(());
        }
        use sd_notify::NotifyState;
        sd_notify::notify(&[NotifyState::FdStoreRemove, NotifyState::FdName(name)])
    }

    pub fn ready(&self) {
        if self.enabled {
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
        }
    }

    pub fn stopping(&self) {
        if self.enabled {
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
        }
    }
}

/// The name of a listener in the store: `FDNAME` allows neither `:` nor
/// control characters.
pub fn store_name(addr: SocketAddr) -> String {
    format!("listen-{}-{}", addr.ip(), addr.port()).replace(':', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_are_filed_by_address_and_other_descriptors_ignored() {
        let t = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = t.local_addr().unwrap();
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s");
        let u = std::os::unix::net::UnixListener::bind(&p).unwrap();
        let f = std::fs::File::open("/dev/null").unwrap();
        let mut inh = Inherited::default();
        inh.add(t.into(), None);
        inh.add(u.into(), Some("control".into()));
        inh.add(f.into(), None);
        assert_eq!((inh.len(), inh.ignored), (2, 1));
        assert!(inh.take_tcp("127.0.0.1:1".parse().unwrap()).is_none());
        assert_eq!(inh.take_tcp(a).unwrap().local_addr().unwrap(), a);
        assert!(inh.take_unix(&p).is_some());
        assert!(inh.is_empty());
    }

    #[test]
    fn store_names_have_no_colon() {
        assert_eq!(
            store_name("127.0.0.10:8443".parse().unwrap()),
            "listen-127.0.0.10-8443"
        );
        assert!(!store_name("[fd00::1]:443".parse().unwrap()).contains(':'));
    }
}
