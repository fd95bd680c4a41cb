//! `zosmf-ha probe`: an availability probe for z/OSMF, real or stand-in.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Serialize;
use zha_zosmf::client::{Client, Failure, Outcome, Trust};

use crate::cli::ProbeArgs;
use crate::output;

/// What a run of requests came to.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Tally {
    pub requests: usize,
    pub answered: usize,
    /// Refused, reset or closed before any byte (SPEC §1).
    pub failed: usize,
    /// Cut after the first bytes.
    pub cut: usize,
    pub by_status: BTreeMap<u16, usize>,
    pub by_system: BTreeMap<String, usize>,
    pub latencies_ms: Vec<f64>,
    pub errors: BTreeMap<String, usize>,
}

impl Tally {
    pub fn add(&mut self, o: &Outcome) {
        self.requests += 1;
        self.latencies_ms.push(o.latency.as_secs_f64() * 1000.0);
        match &o.result {
            Ok(a) => {
                self.answered += 1;
                *self.by_status.entry(a.status).or_default() += 1;
                *self
                    .by_system
                    .entry(a.system.clone().unwrap_or_else(|| "unknown".into()))
                    .or_default() += 1;
            }
            Err(f) => {
                if f.is_failed_connection() {
                    self.failed += 1;
                } else {
                    self.cut += 1;
                }
                let key = match f {
                    Failure::Failed(e) | Failure::Cut(e) => {
                        e.split(" (os error").next().unwrap_or(e).to_owned()
                    }
                    Failure::Timeout => "timeout".into(),
                };
                *self.errors.entry(key).or_default() += 1;
            }
        }
    }

    pub fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return 0.0;
        }
        let mut v = self.latencies_ms.clone();
        v.sort_by(f64::total_cmp);
        let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
        v[i.min(v.len() - 1)]
    }

    /// Answered with a 2xx-4xx status, as a share of requests.
    pub fn availability(&self) -> f64 {
        if self.requests == 0 {
            return 100.0;
        }
        let ok: usize = self
            .by_status
            .iter()
            .filter(|(s, _)| (200..500).contains(*s))
            .map(|(_, n)| n)
            .sum();
        100.0 * ok as f64 / self.requests as f64
    }

    pub fn line(&self) -> String {
        let systems: Vec<String> = self
            .by_system
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        let mut out = format!(
            "{} requests: {}",
            self.requests,
            if systems.is_empty() {
                "no answer".into()
            } else {
                systems.join(", ")
            }
        );
        // Statuses other than 200, and why requests failed, say what went wrong.
        let odd: Vec<String> = self
            .by_status
            .iter()
            .filter(|(s, _)| **s != 200)
            .map(|(s, n)| format!("HTTP {s} {n}"))
            .collect();
        if !odd.is_empty() {
            out.push_str(&format!(" ({})", odd.join(", ")));
        }
        out.push_str(&format!("; failed {}, cut {}", self.failed, self.cut));
        if !self.errors.is_empty() {
            let e: Vec<String> = self
                .errors
                .iter()
                .map(|(e, n)| format!("{e} {n}"))
                .collect();
            out.push_str(&format!(" ({})", e.join(", ")));
        }
        out.push_str(&format!(
            "; p50 {:.1} ms, p99 {:.1} ms",
            self.percentile(50.0),
            self.percentile(99.0)
        ));
        out
    }
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
            eprintln!("zosmf-ha probe: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    if a.duration.is_zero() {
        eprintln!("zosmf-ha probe: --duration must be above 0");
        return Ok(ExitCode::from(2));
    }
    if !(a.rate > 0.0 && a.rate <= 10_000.0) {
        eprintln!("zosmf-ha probe: --rate must be above 0 and at most 10000");
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
            total.line(),
            total.availability(),
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
        "availability_percent": t.availability(),
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
                    total.add(&o);
                    second.add(&o);
                }
                None => break,
            },
            _ = tokio::time::sleep_until(deadline) => {
                if !quiet {
                    let t = start.elapsed().as_secs();
                    let line = format!("{t:>5}s  {}", second.line());
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
