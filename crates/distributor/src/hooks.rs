//! Event hooks (keepalived's notify scripts): a configured command run on
//! a switch, a takeover, a target down or up …, with the event's fields
//! in its environment (`ZHA_EVENT`, `ZHA_ID`, `ZHA_MESSAGE`, `ZHA_SERVICE`,
//! `ZHA_TARGET`, `ZHA_SYSTEM`, `ZHA_FROM`, `ZHA_REASON`, `ZHA_DVIPA`,
//! `ZHA_STACK`, `ZHA_TIME`, `ZHA_DROPPED`).
//!
//! A hook never holds up forwarding: an event is handed over with a
//! `try_send` (a full queue drops it and counts it), and the commands run
//! on a task of their own, no shell, stdin closed, at most one started
//! per `min_interval` and `MAX_RUNNING` at once, each killed after its
//! `timeout`. A command that fails, hangs or cannot start is logged
//! (ZHA3050W) with its exit status and the first line of its stderr.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use tokio::io::AsyncReadExt;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};
use zha_standby::{Event, EventKind};

use crate::codes;
pub use crate::settings::HOOK_EVENTS as KINDS;
use crate::settings::Hook;

/// Events waiting for their command at the most; more are dropped.
const QUEUE: usize = 64;

/// Commands running at once at the most.
const MAX_RUNNING: usize = 4;

/// The most of a command's stderr read (for the log line).
const STDERR_KEPT: u64 = 4096;

/// One event for the hook: its kind (`switch`, `takeover` …) and fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookEvent {
    /// When it happened (`ZHA_TIME`; the command may run later).
    pub at: SystemTime,
    pub kind: &'static str,
    pub id: &'static str,
    pub message: String,
    pub fields: BTreeMap<&'static str, String>,
}

impl HookEvent {
    /// The hook's view of an engine event (`None`: no hook kind, e.g. a
    /// reconfiguration).
    pub fn of(e: &Event) -> Option<HookEvent> {
        let kind = match &e.kind {
            EventKind::Switch { .. } => "switch",
            EventKind::FirstActive { .. } => "first_active",
            EventKind::Fallback { .. } => "fallback",
            EventKind::Recovered { .. } => "recovered",
            EventKind::NoTarget { .. } => "no_target",
            EventKind::TargetUp { .. } => "target_up",
            EventKind::TargetDown { .. } => "target_down",
            EventKind::TargetHealthy { .. } => "target_healthy",
            EventKind::TargetUnhealthy { .. } => "target_unhealthy",
            EventKind::Quiesced { .. } => "quiesced",
            EventKind::Resumed { .. } => "resumed",
            _ => return None,
        };
        let mut fields = BTreeMap::new();
        if let Some(s) = e.service() {
            fields.insert("SERVICE", s.to_string());
            fields.insert("DVIPA", s.dvipa.to_string());
        }
        if let Some(t) = e.target() {
            fields.insert("TARGET", t.endpoint.to_string());
            if let Some(s) = &t.system {
                fields.insert("SYSTEM", s.clone());
            }
        }
        if let EventKind::Switch { from: Some(f), .. } | EventKind::Fallback { from: Some(f), .. } =
            &e.kind
        {
            fields.insert("FROM", f.endpoint.to_string());
        }
        if let Some(r) = e.reason() {
            fields.insert("REASON", r);
        }
        Some(HookEvent {
            at: SystemTime::now(),
            kind,
            id: codes::of(e).id,
            message: e.to_string(),
            fields,
        })
    }

    /// A DVIPA this stack took: over, or back.
    pub fn moved(
        kind: &'static str,
        dvipa: std::net::IpAddr,
        from: &str,
        message: String,
    ) -> HookEvent {
        let mut fields = BTreeMap::new();
        fields.insert("DVIPA", dvipa.to_string());
        fields.insert("FROM", from.to_owned());
        HookEvent {
            at: SystemTime::now(),
            kind,
            id: codes::TAKEOVER.id,
            message,
            fields,
        }
    }
}

/// Where the hook's program is (a name without a folder: in PATH), or
/// why it cannot run.
pub fn program(hook: &Hook) -> Result<std::path::PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let name = hook.command.first().map(String::as_str).unwrap_or_default();
    let runnable = |p: &std::path::Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if name.contains('/') {
        let p = std::path::PathBuf::from(name);
        return if runnable(&p) {
            Ok(p)
        } else {
            Err(format!("the [hook] command {name} is no executable file"))
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(name))
        .find(|p| runnable(p))
        .ok_or_else(|| format!("the [hook] command {name} is not in PATH"))
}

/// The sending side, shared by whoever has events; cheap to clone.
#[derive(Clone)]
pub struct Hooks {
    tx: mpsc::Sender<HookEvent>,
    kinds: Arc<Vec<String>>,
    dropped: Arc<AtomicU64>,
}

impl Hooks {
    /// Start the hook's task (until `stop`); `stack` is this stack's
    /// system name, for `ZHA_STACK`.
    pub fn start(hook: Hook, stack: Option<String>, stop: CancellationToken) -> Hooks {
        let (tx, rx) = mpsc::channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let kinds = Arc::new(hook.events.clone());
        tokio::spawn(run(hook, stack, rx, dropped.clone(), stop));
        Hooks { tx, kinds, dropped }
    }

    /// Hand an event over; never waits. A kind the hook did not ask for
    /// is ignored; a full queue drops it and counts it.
    pub fn fire(&self, e: HookEvent) {
        if !self.kinds.iter().any(|k| k == e.kind) {
            return;
        }
        if self.tx.try_send(e).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn run(
    hook: Hook,
    stack: Option<String>,
    mut rx: mpsc::Receiver<HookEvent>,
    dropped: Arc<AtomicU64>,
    stop: CancellationToken,
) {
    let running = Arc::new(Semaphore::new(MAX_RUNNING));
    let mut next = tokio::time::Instant::now();
    loop {
        let e = tokio::select! {
            _ = stop.cancelled() => return,
            e = rx.recv() => match e {
                Some(e) => e,
                None => return,
            },
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {}
        }
        next = tokio::time::Instant::now() + hook.min_interval;
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            warn!(
                id = codes::HOOK_FAILED.id,
                dropped = lost,
                "{lost} event(s) came faster than the hook runs and were not given to it"
            );
        }
        let Ok(slot) = running.clone().acquire_owned().await else {
            return;
        };
        let (hook, stack) = (hook.clone(), stack.clone());
        tokio::spawn(async move {
            one(&hook, stack.as_deref(), &e, lost).await;
            drop(slot);
        });
    }
}

/// Run the command for one event and log how it ended.
async fn one(hook: &Hook, stack: Option<&str>, e: &HookEvent, dropped: u64) {
    let Some((program, args)) = hook.command.split_first() else {
        return;
    };
    let mut c = tokio::process::Command::new(program);
    c.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        // A group of its own: a timeout kills what it started too.
        .process_group(0)
        .env("ZHA_EVENT", e.kind)
        .env("ZHA_ID", e.id)
        .env("ZHA_MESSAGE", &e.message)
        .env("ZHA_DROPPED", dropped.to_string())
        .env(
            "ZHA_TIME",
            humantime::format_rfc3339_millis(e.at).to_string(),
        );
    if let Some(s) = stack {
        c.env("ZHA_STACK", s);
    }
    for (k, v) in &e.fields {
        c.env(format!("ZHA_{k}"), v);
    }
    let mut child = match c.spawn() {
        Ok(ch) => ch,
        Err(err) => {
            warn!(
                id = codes::HOOK_FAILED.id,
                event = e.kind,
                "hook {program} for {} could not start: {err}",
                e.kind
            );
            return;
        }
    };
    // Its stderr is read beside the wait, and given up shortly after the
    // command ends (a process it left in the background may hold it).
    let mut stderr = child.stderr.take();
    let reader = tokio::spawn(async move {
        let mut err = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.take(STDERR_KEPT).read_to_end(&mut err).await;
        }
        err
    });
    let group = child
        .id()
        .and_then(|id| rustix::process::Pid::from_raw(id as i32));
    let waited = match tokio::time::timeout(hook.timeout, child.wait()).await {
        Ok(st) => {
            let err = tokio::time::timeout(std::time::Duration::from_millis(100), reader)
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            Ok((st, err))
        }
        Err(_) => {
            // The command and whatever it started (its process group).
            if let Some(g) = group {
                let _ = rustix::process::kill_process_group(g, rustix::process::Signal::KILL);
            }
            let _ = child.kill().await;
            Err(())
        }
    };
    match waited {
        Err(()) => {
            warn!(
                id = codes::HOOK_FAILED.id,
                event = e.kind,
                "hook {program} for {} did not end within {}: killed",
                e.kind,
                humantime::format_duration(hook.timeout)
            );
        }
        Ok((Ok(st), _)) if st.success() => {
            info!(
                id = codes::HOOK_RAN.id,
                event = e.kind,
                "hook {program} ran for {}",
                e.kind
            );
        }
        Ok((status, err)) => {
            let first = String::from_utf8_lossy(&err)
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .chars()
                .take(200)
                .collect::<String>();
            let how = match status {
                Ok(st) => st.to_string(),
                Err(err) => err.to_string(),
            };
            warn!(
                id = codes::HOOK_FAILED.id,
                event = e.kind,
                "hook {program} for {} failed ({how}){}",
                e.kind,
                if first.is_empty() {
                    String::new()
                } else {
                    format!(": {first}")
                }
            );
        }
    }
}
