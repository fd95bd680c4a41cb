//! `zosmf-ha probe`: an availability probe for z/OSMF, real or stand-in.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use zha_client::{Client, Outcome, StatusSet, Tally, Trust};

use crate::args::ProbeArgs;
use crate::output;

/// One line: who answered, odd statuses, failures, latency.
fn line(t: &Tally) -> String {
    let systems: Vec<String> = t
        .by_system
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    let mut out = format!(
        "{} requests: {}",
        t.requests,
        if systems.is_empty() {
            "no answer".into()
        } else {
            systems.join(", ")
        }
    );
    // Statuses other than 200, and why requests failed, say what went wrong.
    let odd: Vec<String> = t
        .by_status
        .iter()
        .filter(|(s, _)| **s != 200)
        .map(|(s, n)| format!("HTTP {s} {n}"))
        .collect();
    if !odd.is_empty() {
        out.push_str(&format!(" ({})", odd.join(", ")));
    }
    out.push_str(&format!("; failed {}, cut {}", t.failed, t.cut));
    if !t.errors.is_empty() {
        let e: Vec<String> = t.errors.iter().map(|(e, n)| format!("{e} {n}")).collect();
        out.push_str(&format!(" ({})", e.join(", ")));
    }
    out.push_str(&format!(
        "; p50 {:.1} ms, p99 {:.1} ms",
        t.percentile(50.0),
        t.percentile(99.0)
    ));
    out
}

pub fn run(a: ProbeArgs) -> anyhow::Result<ExitCode> {
    let trust = match (&a.cacert, a.insecure) {
        (Some(p), _) => Some(Trust::CaFile(p)),
        (None, true) => Some(Trust::Insecure),
        (None, false) => None,
    };
    let auth = a
        .user
        .as_deref()
        .map(|u| u.split_once(':').unwrap_or((u, "")));
    let client = match Client::new(&a.url, trust, a.timeout, auth) {
        Ok(c) => c,
        Err(e) => {
            output::error(&format!("zosmf-ha probe: {e}"));
            return Ok(ExitCode::from(2));
        }
    };
    if a.duration.is_zero() {
        output::error("zosmf-ha probe: --duration must be above 0");
        return Ok(ExitCode::from(2));
    }
    if !(a.rate > 0.0 && a.rate <= 10_000.0) {
        output::error("zosmf-ha probe: --rate must be above 0 and at most 10000");
        return Ok(ExitCode::from(2));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let total = rt.block_on(probe_loop(client, a.rate, a.duration, a.json))?;
    if a.json {
        output::print(&(serde_json::to_string_pretty(&summary_json(&total))? + "\n"))?;
    } else {
        output::print(&format!(
            "\nsummary: {}\navailability: {:.2}% ({} answered of {} requests)\n",
            line(&total),
            total.availability(&StatusSet::default()),
            total.answered,
            total.requests
        ))?;
    }
    Ok(if total.failed > 0 || total.cut > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn summary_json(t: &Tally) -> serde_json::Value {
    serde_json::json!({
        "requests": t.requests,
        "answered": t.answered,
        "failed": t.failed,
        "cut": t.cut,
        "availability_percent": t.availability(&StatusSet::default()),
        "by_system": t.by_system,
        "by_status": t.by_status,
        "errors": t.errors,
        "latency_ms": {"p50": t.percentile(50.0), "p90": t.percentile(90.0), "p99": t.percentile(99.0), "max": t.percentile(100.0)},
    })
}

/// Send requests at `rate` for `duration`, one fresh connection each; print
/// a line per second (who answered, errors, latency).
async fn probe_loop(
    client: Client,
    rate: f64,
    duration: Duration,
    quiet: bool,
) -> anyhow::Result<Tally> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Outcome>();
    let start = Instant::now();
    let period = Duration::from_secs_f64(1.0 / rate);
    let sender = tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // rate × duration requests, one every period.
        let n = (rate * duration.as_secs_f64()).round().max(1.0) as u64;
        for _ in 0..n {
            tick.tick().await;
            let (c, tx) = (client.clone(), tx.clone());
            tokio::spawn(async move {
                let _ = tx.send(c.get().await);
            });
        }
    });
    let mut total = Tally::default();
    let mut second = Tally::default();
    let mut next_report = start + Duration::from_secs(1);
    let mut last_system: Option<String> = None;
    loop {
        let deadline = tokio::time::Instant::from_std(next_report);
        tokio::select! {
            o = rx.recv() => match o {
                Some(o) => {
                    if let Ok(a) = &o.result {
                        let sys = a.system.clone().unwrap_or_else(|| "unknown".into());
                        if last_system.as_ref().is_some_and(|l| *l != sys) && !quiet {
                            output::print(&format!("{:>6.1}s  now answered by {sys}\n", o.started.duration_since(start).as_secs_f64()))?;
                        }
                        last_system = Some(sys);
                    }
                    total.add(&o, None);
                    second.add(&o, None);
                }
                None => break,
            },
            _ = tokio::time::sleep_until(deadline) => {
                if !quiet {
                    let t = start.elapsed().as_secs();
                    let line = format!("{t:>5}s  {}", line(&second));
                    output::print(&format!("{line}\n"))?;
                }
                second = Tally::default();
                next_report += Duration::from_secs(1);
            }
        }
    }
    let _ = sender.await;
    Ok(total)
}
