//! `zosmf-ha up --scenario failover`: the life of a hot-standby pair under
//! client load, with a timeline and a verdict. Exits 0 only if no client
//! connection failed (SPEC §1: refused, reset or closed before any byte).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, mpsc};
use tokio_util::sync::CancellationToken;
use zha_distributor::control::Request;
use zha_zosmf::client::Outcome;

use crate::probe::Tally;
use crate::up::{Ctx, Line, Procs, active, client, event, netstat, say};

/// Bound on every wait of the scenario.
const WAIT: Duration = Duration::from_secs(30);

struct Timeline {
    start: Instant,
    rows: Vec<(Duration, String)>,
    /// When the crash began and when the killed process was gone.
    crash: Option<(Instant, Instant)>,
}

impl Timeline {
    fn mark(&mut self, what: impl Into<String>) {
        let t = self.start.elapsed();
        let what = what.into();
        say(&format!("{:>7.2}s  {what}", t.as_secs_f64()));
        self.rows.push((t, what));
    }
}

/// Wait until `active` is `want` (a system name); the time it took.
async fn wait_active(
    ctx: &Ctx,
    want: Option<&str>,
    stop: &CancellationToken,
) -> anyhow::Result<Duration> {
    let t = Instant::now();
    loop {
        if active(ctx).await.as_deref() == want {
            return Ok(t.elapsed());
        }
        if stop.is_cancelled() {
            anyhow::bail!("interrupted");
        }
        if t.elapsed() > WAIT {
            anyhow::bail!(
                "the active target is {:?} after {WAIT:?}, not {want:?}",
                active(ctx).await
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Wait until every target can take connections (listening and healthy).
async fn wait_all_available(ctx: &Ctx, stop: &CancellationToken) -> anyhow::Result<()> {
    let t = Instant::now();
    loop {
        let rows = netstat(&ctx.socket).await.unwrap_or_default();
        let all = rows
            .first()
            .and_then(|s| s["targets"].as_array().cloned())
            .is_some_and(|ts| !ts.is_empty() && ts.iter().all(|t| t["tsr"] == 100));
        if all {
            return Ok(());
        }
        if stop.is_cancelled() {
            anyhow::bail!("interrupted");
        }
        if t.elapsed() > WAIT {
            anyhow::bail!("the servers are not all available after {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn vary(ctx: &Ctx, quiesce: bool, system: &str) -> anyhow::Result<()> {
    let r = zha_distributor::control::call(
        &ctx.socket,
        &Request::Vary {
            quiesce,
            target: system.to_owned(),
            port: None,
        },
        Duration::from_secs(5),
    )
    .await?;
    if r.ok {
        Ok(())
    } else {
        anyhow::bail!(r.error.unwrap_or_default())
    }
}

/// Open connections of a system's target (the VDPT's ActiveConn).
async fn active_conns(ctx: &Ctx, system: &str) -> u64 {
    let rows = netstat(&ctx.socket).await.unwrap_or_default();
    rows.first()
        .and_then(|s| s["targets"].as_array().cloned())
        .into_iter()
        .flatten()
        .find(|t| t["system"] == system)
        .and_then(|t| t["active_conn"].as_u64())
        .unwrap_or(0)
}

pub async fn failover(
    ctx: &Ctx,
    procs: &mut Procs,
    mut rx: mpsc::UnboundedReceiver<Line>,
    stop: CancellationToken,
) -> anyhow::Result<ExitCode> {
    let preferred = ctx.layout.preferred.clone();
    let backup = ctx
        .layout
        .servers
        .iter()
        .map(|s| s.0.clone())
        .find(|s| *s != preferred)
        .unwrap_or_default();
    let mut tl = Timeline {
        start: Instant::now(),
        rows: Vec::new(),
        crash: None,
    };
    say(&format!(
        "\nscenario failover: {preferred} preferred, {backup} backup, {} — client load on https://{}/zosmf/info\n",
        if ctx.layout.switchback {
            "AUTOSWITCHBACK"
        } else {
            "NOAUTOSWITCHBACK"
        },
        ctx.layout.dvipa
    ));
    // Events from the children, shown as they come.
    let events = tokio::spawn(async move {
        while let Some(l) = rx.recv().await {
            if let Some(e) = event(&l) {
                say(&format!("           | {e}"));
            }
        }
    });

    // Steady state: every server initialized and healthy, the preferred active.
    wait_all_available(ctx, &stop).await?;
    if ctx.layout.switchback {
        wait_active(ctx, Some(&preferred), &stop).await?;
    }
    // The load: 4 clients, each a new connection per request.
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::new(Mutex::new(Vec::new()));
    let load_stop = CancellationToken::new();
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (c, out, s) = (client(ctx)?, outcomes.clone(), load_stop.clone());
        workers.push(tokio::spawn(async move {
            while !s.is_cancelled() {
                let o = c.get().await;
                out.lock().await.push(o);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    let result = steps(ctx, procs, &mut tl, &preferred, &backup, &stop).await;
    load_stop.cancel();
    for w in workers {
        let _ = w.await;
    }
    events.abort();
    let crash = tl.crash;
    let outcomes = std::mem::take(&mut *outcomes.lock().await);

    // Verdict: failed connections, and those lost in flight at the crash.
    let mut tally = Tally::default();
    let mut lost_in_flight = 0;
    let mut failed = Vec::new();
    for o in &outcomes {
        match &o.result {
            Err(f) if f.is_failed_connection() => {
                // Started before the killed process was gone, ended after the
                // crash began: in flight at the crash.
                let in_flight = crash.is_some_and(|(begin, gone)| {
                    o.started <= gone && o.started + o.latency >= begin
                });
                if in_flight {
                    lost_in_flight += 1;
                } else {
                    failed.push(f.to_string());
                }
            }
            _ => {}
        }
        tally.add(o);
    }
    say("\ntimeline:");
    for (t, what) in &tl.rows {
        say(&format!("  {:>7.2}s  {what}", t.as_secs_f64()));
    }
    say(&format!(
        "\nsummary: {} requests; answered by {}",
        tally.requests,
        tally
            .by_system
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    say(&format!(
        "  statuses: {}",
        tally
            .by_status
            .iter()
            .map(|(s, n)| format!("HTTP {s} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    say(&format!("  failed client connections: {}", failed.len()));
    say(&format!(
        "  requests lost in flight at the crash: {lost_in_flight}"
    ));
    say(&format!("  cut after the first bytes: {}", tally.cut));
    say(&format!(
        "  latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        tally.percentile(50.0),
        tally.percentile(99.0),
        tally.percentile(100.0)
    ));
    if let Err(e) = result {
        say(&format!("\nscenario stopped: {e:#}"));
        return Ok(ExitCode::from(1));
    }
    if failed.is_empty() {
        say("\nverdict: PASS: no client connection failed");
        Ok(ExitCode::SUCCESS)
    } else {
        say(&format!(
            "\nverdict: FAIL: {} failed client connections, e.g. {}",
            failed.len(),
            failed[0]
        ));
        Ok(ExitCode::from(1))
    }
}

async fn steps(
    ctx: &Ctx,
    procs: &mut Procs,
    tl: &mut Timeline,
    preferred: &str,
    backup: &str,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    // With AUTOSWITCHBACK the preferred is active; with NOAUTOSWITCHBACK the
    // first target that became ready is, whichever it is.
    let first = active(ctx).await.unwrap_or_else(|| preferred.to_owned());
    let other = if first == preferred {
        backup.to_owned()
    } else {
        preferred.to_owned()
    };
    tl.mark(format!("steady state: {first} active"));
    tokio::time::sleep(Duration::from_secs(2)).await;

    tl.mark(format!(
        "crash: {first}'s server killed (SIGKILL, pid {})",
        procs.pid(&first).unwrap_or(0)
    ));
    let begin = Instant::now();
    procs.kill(&first);
    tl.crash = Some((begin, Instant::now()));
    let took = wait_active(ctx, Some(&other), stop).await?;
    tl.mark(format!(
        "{other} active, {} ms after the crash",
        took.as_millis()
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;

    tl.mark(format!(
        "{first}'s server restarted (answers 503 while it initializes)"
    ));
    procs.spawn_server(&first)?;
    if ctx.layout.switchback && first == preferred {
        let took = wait_active(ctx, Some(&first), stop).await?;
        tl.mark(format!(
            "switched back to {first}, {} ms after its restart (AUTOSWITCHBACK)",
            took.as_millis()
        ));
    } else {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let a = active(ctx).await;
        if a.as_deref() != Some(other.as_str()) {
            anyhow::bail!("{other} should stay active, but {a:?} is");
        }
        tl.mark(format!(
            "{other} stays active ({})",
            if ctx.layout.switchback {
                "it is the preferred one"
            } else {
                "NOAUTOSWITCHBACK"
            }
        ));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    // A planned stop of the active system: quiesce, let its connections end, stop.
    let planned = active(ctx).await.unwrap_or_else(|| preferred.to_owned());
    let other = if planned == preferred {
        backup
    } else {
        preferred
    };
    vary(ctx, true, &planned).await?;
    let took = wait_active(ctx, Some(other), stop).await?;
    tl.mark(format!(
        "planned stop: {planned} quiesced; {other} active after {} ms",
        took.as_millis()
    ));
    let t = Instant::now();
    while active_conns(ctx, &planned).await > 0 && t.elapsed() < WAIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tl.mark(format!(
        "{planned} drained in {} ms; its server stopped",
        t.elapsed().as_millis()
    ));
    procs.stop(&planned);
    tokio::time::sleep(Duration::from_secs(2)).await;
    procs.spawn_server(&planned)?;
    vary(ctx, false, &planned).await?;
    tl.mark(format!("{planned} restarted and resumed"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    tl.mark(format!(
        "end: {} active",
        active(ctx).await.unwrap_or_else(|| "none".into())
    ));
    Ok(())
}
