//! Outcomes added up, as `zosmf-ha probe`, the failover scenario and the
//! load tests count them: who answered, which statuses, failed client
//! connections (SPEC §1), connections cut after the first bytes, and
//! requests lost in flight when a server was crashed on purpose.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use crate::get::Outcome;
use crate::status::StatusSet;

/// When a server was crashed on purpose: from the moment the crash began to
/// the moment the killed process was gone.
#[derive(Clone, Copy, Debug)]
pub struct Crash {
    pub begin: Instant,
    pub end: Instant,
}

impl Crash {
    /// A request that started before the crash was over and ended after it
    /// began was in flight at the crash.
    pub fn hit(&self, o: &Outcome) -> bool {
        o.started <= self.end && o.started + o.latency >= self.begin
    }
}

/// What a run of requests came to.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Tally {
    pub requests: usize,
    pub answered: usize,
    /// Refused, reset or closed before any byte (SPEC §1), not at a crash.
    pub failed: usize,
    /// Failed in flight at a known crash (reported apart, SPEC §1).
    pub lost_in_flight: usize,
    /// Cut after the first bytes.
    pub cut: usize,
    pub by_status: BTreeMap<u16, usize>,
    pub by_system: BTreeMap<String, usize>,
    pub latencies_ms: Vec<f64>,
    pub errors: BTreeMap<String, usize>,
    /// One example of each failed client connection's error, first ones first.
    pub failures: Vec<String>,
}

impl Tally {
    /// Add an outcome; failures in flight at `crash` are lost in flight.
    pub fn add(&mut self, o: &Outcome, crash: Option<&Crash>) {
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
                if !f.is_failed_connection() {
                    self.cut += 1;
                } else if crash.is_some_and(|c| c.hit(o)) {
                    self.lost_in_flight += 1;
                } else {
                    self.failed += 1;
                    if self.failures.len() < 10 {
                        self.failures.push(f.to_string());
                    }
                }
                let e = f.reason();
                let key = e.split(" (os error").next().unwrap_or(e).to_owned();
                *self.errors.entry(key).or_default() += 1;
            }
        }
    }

    /// Latency percentile in milliseconds (0 without requests).
    pub fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return 0.0;
        }
        let mut v = self.latencies_ms.clone();
        v.sort_by(f64::total_cmp);
        let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
        v[i.min(v.len() - 1)]
    }

    /// Requests answered with a status in `accept`.
    pub fn accepted(&self, accept: &StatusSet) -> usize {
        self.by_status
            .iter()
            .filter(|(s, _)| accept.contains(**s))
            .map(|(_, n)| n)
            .sum()
    }

    /// Answered with a status in `accept`, as a share of requests.
    pub fn availability(&self, accept: &StatusSet) -> f64 {
        if self.requests == 0 {
            return 100.0;
        }
        100.0 * self.accepted(accept) as f64 / self.requests as f64
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::get::{Answer, Failure};

    fn outcome(at: Instant, ms: u64, result: Result<Answer, Failure>) -> Outcome {
        Outcome {
            started: at,
            latency: Duration::from_millis(ms),
            result,
        }
    }

    #[test]
    fn failures_at_a_crash_are_lost_in_flight_and_the_rest_failed() {
        let t0 = Instant::now();
        let crash = Crash {
            begin: t0 + Duration::from_millis(100),
            end: t0 + Duration::from_millis(110),
        };
        let refused = || Err(Failure::Failed("connect: refused".into()));
        let mut t = Tally::default();
        let ok = Ok(Answer {
            status: 200,
            system: Some("SYSA".into()),
        });
        t.add(&outcome(t0, 5, ok), Some(&crash));
        // In flight: started before the end, ended after the begin.
        t.add(
            &outcome(t0 + Duration::from_millis(90), 20, refused()),
            Some(&crash),
        );
        // Before the crash, and after it: failed.
        t.add(&outcome(t0, 10, refused()), Some(&crash));
        t.add(
            &outcome(t0 + Duration::from_millis(200), 1, refused()),
            Some(&crash),
        );
        t.add(
            &outcome(t0, 1, Err(Failure::Cut("reset".into()))),
            Some(&crash),
        );
        assert_eq!(
            (t.requests, t.answered, t.lost_in_flight, t.failed, t.cut),
            (5, 1, 1, 2, 1)
        );
        assert_eq!(t.by_system.get("SYSA"), Some(&1));
        assert_eq!(t.failures.len(), 2);
        assert_eq!(t.errors.get("connect: refused"), Some(&3));
        assert!((t.availability(&StatusSet::default()) - 20.0).abs() < 1e-9);
        // Without a crash, every failed connection counts.
        let mut u = Tally::default();
        u.add(
            &outcome(t0 + Duration::from_millis(90), 20, refused()),
            None,
        );
        assert_eq!(u.failed, 1);
    }

    #[test]
    fn only_accepted_statuses_are_available() {
        let t0 = Instant::now();
        let mut t = Tally::default();
        for status in [200, 302, 401, 403, 404, 500, 503, 404] {
            t.add(
                &outcome(
                    t0,
                    1,
                    Ok(Answer {
                        status,
                        system: None,
                    }),
                ),
                None,
            );
        }
        let spec = StatusSet::default();
        assert_eq!((t.requests, t.answered, t.accepted(&spec)), (8, 8, 4));
        assert!((t.availability(&spec) - 50.0).abs() < 1e-9);
        let all: StatusSet = "100-599".parse().unwrap();
        assert!((t.availability(&all) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn percentiles() {
        let t0 = Instant::now();
        let mut t = Tally::default();
        assert_eq!(t.percentile(50.0), 0.0);
        for ms in [1, 2, 3, 4, 100] {
            t.add(
                &outcome(
                    t0,
                    ms,
                    Ok(Answer {
                        status: 200,
                        system: None,
                    }),
                ),
                None,
            );
        }
        assert_eq!(t.percentile(50.0), 3.0);
        assert_eq!(t.accepted(&StatusSet::default()), 5);
        assert_eq!(t.percentile(100.0), 100.0);
    }
}
