//! `zosmf-ha probe`: an availability probe for z/OSMF, real or stand-in.
//!
//! A request every 1/rate seconds, each on a fresh connection (the
//! distributor routes per connection); outcomes are added up by
//! `zha_client::Tally` and judged against the accepted statuses
//! (`zha_client::StatusSet`, SPEC §1). Text: a line per second and a
//! summary; JSON: the summary only, with `"version": 1`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use zha_client::{Client, ClientError, Failure, Outcome, StatusSet, Tally, Trust};

use crate::args::ProbeArgs;
use crate::output;

/// The version of the JSON summary's layout.
const JSON_VERSION: u32 = 1;

/// How a run ended.
struct Run {
    total: Tally,
    elapsed: Duration,
    /// Stopped by Ctrl-C before its duration.
    interrupted: bool,
    /// The server speaks the other protocol: every request would fail so.
    wrong_protocol: Option<String>,
}

/// One line a second: who answered, statuses other than 200 (those not
/// accepted said so), failures, latency.
fn line(t: &Tally, accept: &StatusSet) -> String {
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
    let odd: Vec<String> = t
        .by_status
        .iter()
        .filter(|(s, _)| **s != 200)
        .map(|(s, n)| {
            let not = if accept.contains(*s) {
                ""
            } else {
                " not accepted"
            };
            format!("HTTP {s} {n}{not}")
        })
        .collect();
    if !odd.is_empty() {
        out.push_str(&format!(" ({})", odd.join(", ")));
    }
    out.push_str(&format!("; failed {}, cut {}", t.failed, t.cut));
    if !t.errors.is_empty() {
        out.push_str(&format!(" ({})", counts(&t.errors)));
    }
    out.push_str(&format!(
        "; p50 {:.1} ms, p99 {:.1} ms",
        t.percentile(50.0),
        t.percentile(99.0)
    ));
    out
}

/// `a 3, b 1`
fn counts<K: std::fmt::Display>(m: &std::collections::BTreeMap<K, usize>) -> String {
    m.iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The text summary: one labelled line per figure, as `ping` ends.
fn summary_text(url: &str, accept: &StatusSet, run: &Run) -> String {
    let t = &run.total;
    let mut out = format!("\n--- {url} probe summary ---\n");
    let how = if run.interrupted {
        ", stopped by Ctrl-C"
    } else {
        ""
    };
    out.push_str(&format!(
        "requests      {} in {:.1} s{how}\n",
        t.requests,
        run.elapsed.as_secs_f64()
    ));
    let nobody = |s: String| if s.is_empty() { "nobody".into() } else { s };
    out.push_str(&format!("answered by   {}\n", nobody(counts(&t.by_system))));
    out.push_str(&format!("statuses      {}\n", nobody(counts(&t.by_status))));
    let refused: std::collections::BTreeMap<u16, usize> = t
        .by_status
        .iter()
        .filter(|(s, _)| !accept.contains(**s))
        .map(|(s, n)| (*s, *n))
        .collect();
    if !refused.is_empty() {
        out.push_str(&format!("not accepted  {}\n", counts(&refused)));
    }
    out.push_str(&format!("failed        {}\n", t.failed));
    out.push_str(&format!("cut           {}\n", t.cut));
    if !t.errors.is_empty() {
        out.push_str(&format!("errors        {}\n", counts(&t.errors)));
    }
    out.push_str(&format!(
        "latency       p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n",
        t.percentile(50.0),
        t.percentile(90.0),
        t.percentile(99.0),
        t.percentile(100.0)
    ));
    if t.requests == 0 {
        out.push_str("availability  unknown: no request was done\n");
    } else {
        out.push_str(&format!(
            "availability  {:.2}% ({} of {} requests answered with a status in {accept})\n",
            t.availability(accept),
            t.accepted(accept),
            t.requests
        ));
    }
    out
}

/// The JSON summary (layout version 1).
fn summary_json(url: &str, accept: &StatusSet, run: &Run) -> serde_json::Value {
    let t = &run.total;
    serde_json::json!({
        "version": JSON_VERSION,
        "url": url,
        "accept": accept,
        "interrupted": run.interrupted,
        "elapsed_s": run.elapsed.as_secs_f64(),
        "requests": t.requests,
        "answered": t.answered,
        "accepted": t.accepted(accept),
        "failed": t.failed,
        "cut": t.cut,
        "availability_percent": (t.requests > 0).then(|| t.availability(accept)),
        "by_system": t.by_system,
        "by_status": t.by_status,
        "errors": t.errors,
        "latency_ms": {
            "p50": t.percentile(50.0),
            "p90": t.percentile(90.0),
            "p99": t.percentile(99.0),
            "max": t.percentile(100.0),
        },
    })
}

/// Misuse: one line, exit status 2.
fn misuse(what: &str) -> anyhow::Result<ExitCode> {
    output::error(&format!("zosmf-ha probe: {what}"));
    Ok(ExitCode::from(2))
}

pub fn run(a: ProbeArgs) -> anyhow::Result<ExitCode> {
    if a.duration.is_zero() {
        return misuse("--duration must be above 0");
    }
    if !(a.rate > 0.0 && a.rate <= 10_000.0) {
        return misuse("--rate must be above 0 and at most 10000");
    }
    let trust = match (&a.cacert, a.insecure) {
        (Some(p), _) => Trust::CaFile(p),
        (None, true) => Trust::Insecure,
        (None, false) => Trust::System,
    };
    let auth = a.user.as_ref().map(|(u, p)| (u.as_str(), p.as_str()));
    let client = match Client::new(&a.url, Some(trust), a.timeout, auth) {
        Ok(c) => c,
        Err(e @ ClientError::SystemStore { .. }) => {
            return misuse(&format!(
                "{e}: give the CA that signed the server's certificate with --cacert FILE (or --insecure to accept any)"
            ));
        }
        Err(e) => return misuse(&e.to_string()),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let run = rt.block_on(probe_loop(
        client,
        a.rate,
        a.duration,
        &a.accept,
        !a.format.json(),
    ))?;
    // Requests still in flight (after Ctrl-C) are not waited for.
    rt.shutdown_background();
    if let Some(why) = &run.wrong_protocol {
        return misuse(&format!("{}: {why}: {}", a.url, other_scheme(&a.url)));
    }
    if a.format.json() {
        output::print(&output::json(&summary_json(&a.url, &a.accept, &run))?)?;
    } else {
        output::print(&summary_text(&a.url, &a.accept, &run))?;
    }
    let t = &run.total;
    Ok(if t.requests > 0 && t.accepted(&a.accept) == t.requests {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// "use http://…" for an https:// URL (or one without a scheme), and the
/// other way round.
fn other_scheme(url: &str) -> String {
    match url.split_once("://") {
        Some(("http", rest)) => format!("use https://{rest}"),
        Some(("https", rest)) => format!("use http://{rest}"),
        _ => format!("use http://{url}"),
    }
}

/// Send requests at `rate` for `duration`, one fresh connection each; with
/// `lines`, print a line per second. Ctrl-C ends the run early.
async fn probe_loop(
    client: Client,
    rate: f64,
    duration: Duration,
    accept: &StatusSet,
    lines: bool,
) -> anyhow::Result<Run> {
    // Set up before the first request, so an early Ctrl-C is caught.
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
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
    let mut run = Run {
        total: Tally::default(),
        elapsed: Duration::ZERO,
        interrupted: false,
        wrong_protocol: None,
    };
    let mut second = Tally::default();
    let mut next_report = start + Duration::from_secs(1);
    let mut last_system: Option<String> = None;
    loop {
        let deadline = tokio::time::Instant::from_std(next_report);
        tokio::select! {
            o = rx.recv() => match o {
                Some(o) => {
                    if let Err(Failure::WrongProtocol(why)) = &o.result {
                        run.wrong_protocol = Some(why.clone());
                        break;
                    }
                    if let Ok(a) = &o.result {
                        let sys = a.system.clone().unwrap_or_else(|| "unknown".into());
                        if last_system.as_ref().is_some_and(|l| *l != sys) && lines {
                            output::print(&format!("{:>6.1}s  now answered by {sys}\n", o.started.duration_since(start).as_secs_f64()))?;
                        }
                        last_system = Some(sys);
                    }
                    run.total.add(&o, None);
                    second.add(&o, None);
                }
                None => break,
            },
            _ = interrupt.recv() => {
                run.interrupted = true;
                break;
            }
            _ = tokio::time::sleep_until(deadline) => {
                if lines {
                    let t = start.elapsed().as_secs();
                    let line = format!("{t:>5}s  {}", line(&second, accept));
                    output::print(&format!("{line}\n"))?;
                }
                second = Tally::default();
                next_report += Duration::from_secs(1);
            }
        }
    }
    run.elapsed = start.elapsed();
    sender.abort();
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One tally, both summaries: every figure of the text is the JSON's,
    /// latencies included (the process test compares two runs, whose
    /// latencies differ).
    #[test]
    fn text_and_json_summaries_say_the_same() {
        use zha_client::Answer;
        let t0 = Instant::now();
        let mut total = Tally::default();
        for (i, (status, system)) in [(200, "SYSA"), (401, "SYSB"), (404, "SYSA"), (503, "SYSA")]
            .iter()
            .cycle()
            .take(40)
            .enumerate()
        {
            total.add(
                &Outcome {
                    started: t0,
                    latency: Duration::from_micros(1_000 + 137 * i as u64),
                    result: Ok(Answer {
                        status: *status,
                        system: Some((*system).into()),
                    }),
                },
                None,
            );
        }
        total.add(
            &Outcome {
                started: t0,
                latency: Duration::from_millis(3),
                result: Err(Failure::Failed("connect: refused".into())),
            },
            None,
        );
        let run = Run {
            total,
            elapsed: Duration::from_millis(2_345),
            interrupted: true,
            wrong_protocol: None,
        };
        let accept = StatusSet::default();
        let text = summary_text("http://x", &accept, &run);
        let v = summary_json("http://x", &accept, &run);
        let field = |label: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(label))
                .map(str::trim)
                .unwrap_or_else(|| panic!("no {label} in {text}"))
                .to_owned()
        };
        assert_eq!(v["version"], 1);
        assert_eq!(
            field("requests"),
            format!(
                "{} in {:.1} s, stopped by Ctrl-C",
                v["requests"],
                v["elapsed_s"].as_f64().unwrap()
            )
        );
        let counts_of = |o: &serde_json::Value| {
            o.as_object()
                .unwrap()
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        assert_eq!(field("answered by"), counts_of(&v["by_system"]));
        assert_eq!(field("statuses"), counts_of(&v["by_status"]));
        assert_eq!(field("not accepted"), "404 10, 503 10");
        assert_eq!(field("failed"), v["failed"].to_string());
        assert_eq!(field("cut"), v["cut"].to_string());
        assert_eq!(field("errors"), counts_of(&v["errors"]));
        let l = &v["latency_ms"];
        let ms = |p: &str| format!("{:.1} ms", l[p].as_f64().unwrap());
        assert_eq!(
            field("latency"),
            format!(
                "p50 {}, p90 {}, p99 {}, max {}",
                ms("p50"),
                ms("p90"),
                ms("p99"),
                ms("max")
            )
        );
        assert_eq!(
            field("availability"),
            format!(
                "{:.2}% ({} of {} requests answered with a status in {})",
                v["availability_percent"].as_f64().unwrap(),
                v["accepted"],
                v["requests"],
                v["accept"].as_str().unwrap()
            )
        );
        assert_eq!(
            (v["requests"].as_u64(), v["accepted"].as_u64()),
            (Some(41), Some(20))
        );
    }

    #[test]
    fn the_other_scheme_is_suggested() {
        assert_eq!(other_scheme("https://h:1/p"), "use http://h:1/p");
        assert_eq!(other_scheme("http://h:1"), "use https://h:1");
        assert_eq!(other_scheme("h:1"), "use http://h:1");
    }
}
