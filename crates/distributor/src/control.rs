//! The control socket: a Unix socket (owner-only) on which `zosmf-ha
//! netstat`, `vary` and `reload` talk to a running distributor. One JSON
//! request line, one JSON reply line.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::runtime::Input;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "cmd", rename_all = "lowercase")]
pub enum Request {
    Netstat {
        report: String,
        detail: bool,
        json: bool,
    },
    Vary {
        quiesce: bool,
        target: String,
        port: Option<u16>,
    },
    Reload {
        profile: Option<PathBuf>,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Reply {
    pub ok: bool,
    pub output: String,
    pub error: Option<String>,
}

impl Reply {
    pub fn ok(output: impl Into<String>) -> Reply {
        Reply {
            ok: true,
            output: output.into(),
            error: None,
        }
    }

    pub fn err(e: impl Into<String>) -> Reply {
        Reply {
            ok: false,
            output: String::new(),
            error: Some(e.into()),
        }
    }
}

/// Bind the socket: its folder is created owner-only, a stale socket is
/// replaced, a live one (another distributor) is an error.
pub async fn bind(path: &Path) -> anyhow::Result<UnixListener> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    if path.exists() {
        if UnixStream::connect(path).await.is_ok() {
            anyhow::bail!(
                "another distributor is running with the control socket {} (stop it, or give this one its own [state] dir or [control] socket)",
                path.display()
            );
        }
        let _ = std::fs::remove_file(path);
    }
    let l = UnixListener::bind(path)
        .map_err(|e| anyhow::anyhow!("cannot create the control socket {}: {e}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(l)
}

/// Answer requests until `stop`.
pub async fn serve(listener: UnixListener, tx: mpsc::Sender<Input>, stop: CancellationToken) {
    loop {
        let stream = tokio::select! {
            _ = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(_) => continue,
            },
        };
        let tx = tx.clone();
        tokio::spawn(async move {
            let _ = one(stream, tx).await;
        });
    }
}

async fn one(stream: UnixStream, tx: mpsc::Sender<Input>) -> io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(r.take(1 << 20));
    tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut line))
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    let reply = match serde_json::from_str::<Request>(&line) {
        Err(e) => Reply::err(format!("bad request: {e}")),
        Ok(req) => {
            let (rtx, rrx) = oneshot::channel();
            if tx.send(Input::Request(req, rtx)).await.is_err() {
                Reply::err("the distributor is stopping")
            } else {
                rrx.await
                    .unwrap_or_else(|_| Reply::err("the distributor is stopping"))
            }
        }
    };
    let mut out = serde_json::to_string(&reply).map_err(io::Error::other)?;
    out.push('\n');
    w.write_all(out.as_bytes()).await?;
    w.shutdown().await
}

/// The client side, for the CLI: send one request, wait for the reply.
pub async fn call(path: &Path, req: &Request, timeout: Duration) -> anyhow::Result<Reply> {
    let run = async {
        let mut s = UnixStream::connect(path).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot reach a distributor at {}: {e} (is `zosmf-ha distribute` running? give --control PATH or the same --config)",
                path.display()
            )
        })?;
        let mut line = serde_json::to_string(req)?;
        line.push('\n');
        s.write_all(line.as_bytes()).await?;
        let mut out = String::new();
        BufReader::new(s).read_line(&mut out).await?;
        let r: Reply = serde_json::from_str(&out)
            .map_err(|e| anyhow::anyhow!("bad reply from the distributor: {e}"))?;
        Ok::<Reply, anyhow::Error>(r)
    };
    tokio::time::timeout(timeout, run).await.map_err(|_| {
        anyhow::anyhow!(
            "the distributor at {} did not answer within {timeout:?}",
            path.display()
        )
    })?
}
