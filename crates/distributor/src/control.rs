//! The control socket: a Unix socket (owner-only) on which `zosmf-ha
//! netstat`, `vary`, `reload` and `up` talk to a running distributor, one
//! [`Request`] line and one [`Reply`] line of JSON (see `protocol`). The
//! server side hands each request to the control task; the client side is
//! [`call`] and the typed [`netstat`].

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::protocol::{Reply, Report, Request, View};
use crate::shared::Input;

/// The largest request line read.
const MAX_REQUEST: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("the control socket's folder {}: {source}", dir.display())]
    Folder { dir: PathBuf, source: io::Error },
    #[error(
        "another distributor is running with the control socket {} (replace it with `distribute --hand-over`, stop it, or give this one its own [state] dir or [control] socket)",
        path.display()
    )]
    InUse { path: PathBuf },
    #[error("cannot create the control socket {}: {source}", path.display())]
    Bind { path: PathBuf, source: io::Error },
    #[error(
        "cannot reach a distributor at {}: {source} (is `zosmf-ha distribute` running? give --control PATH or the same --config)",
        path.display()
    )]
    Connect { path: PathBuf, source: io::Error },
    #[error("the distributor at {} did not answer within {timeout:?}", path.display())]
    Timeout { path: PathBuf, timeout: Duration },
    #[error("talking to the distributor at {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("bad reply from the distributor at {}: {why}", path.display())]
    BadReply { path: PathBuf, why: String },
    #[error("{0}")]
    Refused(String),
}

/// The control socket file this process created, so that only that file is
/// removed at the end (a successor may have bound the path since).
pub struct SocketFile {
    pub path: PathBuf,
    id: Option<FileId>,
}

impl SocketFile {
    /// Remove the socket file if it is still the one this process created
    /// and nobody listens on it. Call it once this process's listener is
    /// closed: an inode number can be reused by a successor's socket, but a
    /// successor's socket answers.
    pub async fn remove(&self) {
        if self.id.is_none() || file_id(&self.path) != self.id {
            return;
        }
        if UnixStream::connect(&self.path).await.is_ok() {
            return;
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A file's identity: device, inode and change time (an inode number alone
/// is reused once its file is gone).
type FileId = (u64, u64, i64, i64);

/// The identity of a path, not following a symbolic link.
fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino(), m.ctime(), m.ctime_nsec()))
}

/// Serve on a control socket handed over (by a predecessor or systemd):
/// this process owns the file from now on.
pub fn adopt(
    l: std::os::unix::net::UnixListener,
    path: &Path,
) -> Result<(UnixListener, SocketFile), ControlError> {
    let bind_err = |source| ControlError::Bind {
        path: path.to_path_buf(),
        source,
    };
    l.set_nonblocking(true).map_err(bind_err)?;
    let l = UnixListener::from_std(l).map_err(bind_err)?;
    Ok((
        l,
        SocketFile {
            path: path.to_path_buf(),
            id: file_id(path),
        },
    ))
}

/// Bind the socket: its folder is created owner-only, a stale socket is
/// replaced, a live one (another distributor) is an error. Starters take
/// turns on a lock file beside it, so two cannot both find the socket
/// stale and replace each other's.
pub async fn bind(path: &Path) -> Result<(UnixListener, SocketFile), ControlError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        // Only its owner may change the folder: another user could put a
        // socket of their own there.
        zha_plex::OsFs::private_dir(dir).map_err(|source| ControlError::Folder {
            dir: dir.to_path_buf(),
            source,
        })?;
    }
    let bind_err = |source| ControlError::Bind {
        path: path.to_path_buf(),
        source,
    };
    let mut lock_name = path.as_os_str().to_owned();
    lock_name.push(".lock");
    let lock = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(PathBuf::from(lock_name))
            .map_err(bind_err)?
    };
    // Held while the socket is checked, replaced and bound (a few ms); a
    // holder that never lets go is waited for 5 s at the most.
    let end = tokio::time::Instant::now() + Duration::from_secs(5);
    while lock.try_lock().is_err() {
        if tokio::time::Instant::now() > end {
            return Err(bind_err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "its lock file is held by another process",
            )));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if file_id(path).is_some() {
        if UnixStream::connect(path).await.is_ok() {
            return Err(ControlError::InUse {
                path: path.to_path_buf(),
            });
        }
        let _ = std::fs::remove_file(path);
    }
    let l = UnixListener::bind(path).map_err(bind_err)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(bind_err)?;
    let id = file_id(path);
    drop(lock);
    Ok((
        l,
        SocketFile {
            path: path.to_path_buf(),
            id,
        },
    ))
}

/// Answer requests until `stop`.
pub async fn serve(listener: Arc<UnixListener>, tx: mpsc::Sender<Input>, stop: CancellationToken) {
    loop {
        let stream = tokio::select! {
            _ = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let tx = tx.clone();
        tokio::spawn(async move {
            let _ = one(stream, tx).await;
        });
    }
}

async fn one(stream: UnixStream, tx: mpsc::Sender<Input>) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        (&mut reader).take(MAX_REQUEST).read_until(b'\n', &mut line),
    )
    .await;
    // Whatever came, or did not, gets an answer.
    let reply = match read {
        Err(_) => Reply::refused("bad request: no request line within 5 s"),
        Ok(Err(e)) => Reply::refused(format!("bad request: {e}")),
        Ok(Ok(_)) if !line.ends_with(b"\n") && line.len() as u64 >= MAX_REQUEST => {
            Reply::refused(format!("bad request: longer than {MAX_REQUEST} bytes"))
        }
        Ok(Ok(_)) => match serde_json::from_slice::<Request>(&line) {
            Err(e) => Reply::refused(format!("bad request: {e}")),
            Ok(Request::HandOver { pid, within_ms }) => {
                let within = Duration::from_millis(within_ms);
                return crate::handover::give(&mut reader, pid, within, &tx).await;
            }
            Ok(Request::Share { .. }) => {
                return crate::handover::share(&mut reader, &tx).await;
            }
            Ok(req) => {
                let (rtx, rrx) = oneshot::channel();
                if tx.send(Input::Request(req, rtx)).await.is_err() {
                    Reply::refused("the distributor is stopping")
                } else {
                    rrx.await
                        .unwrap_or_else(|_| Reply::refused("the distributor is stopping"))
                }
            }
        },
    };
    let mut out = serde_json::to_string(&reply).map_err(io::Error::other)?;
    out.push('\n');
    let w = reader.get_mut();
    w.write_all(out.as_bytes()).await?;
    w.shutdown().await
}

/// The client side: send one request, wait for the reply.
pub async fn call(path: &Path, req: &Request, timeout: Duration) -> Result<Reply, ControlError> {
    let io_err = |source| ControlError::Io {
        path: path.to_path_buf(),
        source,
    };
    let run = async {
        let mut s = UnixStream::connect(path)
            .await
            .map_err(|source| ControlError::Connect {
                path: path.to_path_buf(),
                source,
            })?;
        let mut line = serde_json::to_string(req).map_err(|e| io_err(io::Error::other(e)))?;
        line.push('\n');
        s.write_all(line.as_bytes()).await.map_err(io_err)?;
        let mut out = String::new();
        BufReader::new(s)
            .read_line(&mut out)
            .await
            .map_err(io_err)?;
        serde_json::from_str::<Reply>(&out).map_err(|e| ControlError::BadReply {
            path: path.to_path_buf(),
            why: e.to_string(),
        })
    };
    tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| ControlError::Timeout {
            path: path.to_path_buf(),
            timeout,
        })?
}

/// A report, typed: what `up`, the scenario and the tests read.
pub async fn netstat(path: &Path, report: Report, timeout: Duration) -> Result<View, ControlError> {
    match call(path, &Request::Netstat { report }, timeout).await? {
        Reply::View(v) => Ok(v),
        Reply::Refused { error } => Err(ControlError::Refused(error)),
        Reply::Done { .. } | Reply::HandOver { .. } | Reply::Share { .. } => {
            Err(ControlError::BadReply {
                path: path.to_path_buf(),
                why: "a netstat was answered without a view".into(),
            })
        }
    }
}

/// A request that changes something (vary, reload): its lines, or why
/// nothing was changed.
pub async fn act(
    path: &Path,
    req: &Request,
    timeout: Duration,
) -> Result<Vec<String>, ControlError> {
    match call(path, req, timeout).await? {
        Reply::Done { lines } => Ok(lines),
        Reply::Refused { error } => Err(ControlError::Refused(error)),
        Reply::View(_) | Reply::HandOver { .. } | Reply::Share { .. } => {
            Err(ControlError::BadReply {
                path: path.to_path_buf(),
                why: "a change was answered with something else".into(),
            })
        }
    }
}
