//! Long random event sequences; the invariants after every step.
//!
//! proptest shrinks a failing sequence to a short one and prints it; the
//! seeded simulation below runs longer sequences and prints its seed
//! (replay with ZHA_SIM_SEED=<seed>).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use zha_standby::*;

use crate::harness::*;

#[derive(Clone, Debug)]
enum Op {
    /// Answer every due probe; bit i of the mask: target i+1 listens,
    /// bit i+8: it is healthy.
    Probes(u16),
    Advance(u16),
    ConnectFailed(u8),
    /// Quiesce target n, with or without force.
    Quiesce(u8, bool),
    Resume(u8),
    /// Reconfigure to a subset of the four targets (bitmask) with ranks.
    Reconfigure(u8, [u8; 4], bool),
    /// Take over the group's state: target n active, the quiesced targets
    /// (bitmask).
    Adopt(u8, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u16>().prop_map(Op::Probes),
        3 => (0u16..3000).prop_map(Op::Advance),
        2 => (1u8..=4).prop_map(Op::ConnectFailed),
        1 => (1u8..=4, any::<bool>()).prop_map(|(t, f)| Op::Quiesce(t, f)),
        1 => (1u8..=4).prop_map(Op::Resume),
        1 => (1u8..=4, 0u8..16).prop_map(|(t, q)| Op::Adopt(t, q)),
        1 => (1u8..16, proptest::array::uniform4(1u8..=254), any::<bool>()).prop_map(|(m, r, sb)| Op::Reconfigure(m, r, sb)),
    ]
}

fn spec(mask: u8, ranks: [u8; 4], switchback: bool) -> ServiceSpec {
    let mut targets = Vec::new();
    for i in 0..4u8 {
        if mask & (1 << i) != 0 {
            let role = if targets.is_empty() {
                TargetRole::Preferred
            } else {
                TargetRole::Backup(ranks[usize::from(i)])
            };
            targets.push(target(i + 1, role));
        }
    }
    ServiceSpec {
        key: key(),
        switchback,
        healthswitch: true,
        targets,
    }
}

/// Run the ops; after each, the engine's invariants, and under
/// NOAUTOSWITCHBACK: the active target changed only because it stopped
/// being available (or the configuration changed).
fn run(ops: &[Op], switchback: bool, application: bool) -> Result<(), String> {
    let mut now = Instant::now();
    let probe = ProbeSpec {
        application,
        ..ProbeSpec::default()
    };
    let mut cfg_switchback = switchback;
    let mut engine = Engine::new(
        Config {
            services: vec![spec(0b1111, [10, 20, 20, 30], switchback)],
            probe,
        },
        BTreeMap::new(),
        now,
    );
    for (n, op) in ops.iter().enumerate() {
        let before = engine.snapshot().services.first().cloned();
        let mut reconfigured = false;
        match op {
            Op::Probes(mask) => {
                let mut asked = Vec::new();
                while let Some(p) = engine.poll_probe(now) {
                    asked.push(p);
                }
                for p in asked {
                    let i = number(p.endpoint) - 1;
                    let connected = mask & (1 << i) != 0;
                    let healthy = mask & (1 << (i + 8)) != 0;
                    engine.probe_result(
                        p.endpoint,
                        ProbeOutcome {
                            connected,
                            healthy: (p.application && connected).then_some(healthy),
                            detail: String::new(),
                        },
                        now,
                    );
                }
            }
            Op::Advance(ms) => {
                now += Duration::from_millis(u64::from(*ms));
                engine.handle_timeout(now);
            }
            Op::ConnectFailed(t) => engine.connect_failed(ep(*t), "refused", now),
            Op::Quiesce(t, force) => {
                let _ = engine.quiesce(
                    &Selector {
                        target: format!("SYS{t}"),
                        port: None,
                    },
                    *force,
                    now,
                );
            }
            Op::Resume(t) => {
                let _ = engine.resume(
                    &Selector {
                        target: format!("10.1.1.{t}"),
                        port: None,
                    },
                    now,
                );
            }
            Op::Adopt(t, q) => {
                let quiesced = (1..=4u8)
                    .filter(|i| q & (1 << (i - 1)) != 0)
                    .map(|i| (key(), ep(i)))
                    .collect();
                let state = Adopted {
                    active: BTreeMap::from([(key(), ep(*t))]),
                    quiesced,
                };
                engine.adopt(
                    &std::collections::BTreeSet::from([key().dvipa]),
                    &state,
                    now,
                );
                reconfigured = true;
                // The group's active target is taken when it is available
                // here (NOAUTOSWITCHBACK, first round over).
                let v = engine.snapshot().services.first().cloned();
                if let Some(v) = v.filter(|v| !cfg_switchback && !v.starting)
                    && v.targets
                        .iter()
                        .any(|x| x.endpoint == ep(*t) && x.availability == Availability::Available)
                    && v.active != Some(ep(*t))
                {
                    return Err(format!(
                        "step {n} {op:?}: the group's active {} is available but {:?} is active",
                        ep(*t),
                        v.active
                    ));
                }
            }
            Op::Reconfigure(mask, ranks, sb) => {
                cfg_switchback = *sb;
                engine.reconfigure(
                    Config {
                        services: vec![spec(*mask, *ranks, *sb)],
                        probe,
                    },
                    now,
                );
                reconfigured = true;
            }
        }
        let mut events = Vec::new();
        while let Some(e) = engine.poll_event() {
            events.push(e);
        }
        // A service whose view changed is among those to republish.
        let changed = engine.take_changed();
        let now_view = engine.snapshot().services.first().cloned();
        if let (Some(b), Some(a)) = (&before, &now_view)
            && (b.active != a.active
                || b.starting != a.starting
                || b.route != a.route
                || b.targets != a.targets)
            && !changed.contains(&a.key)
        {
            return Err(format!(
                "step {n} {op:?}: the view changed but the service is not to republish"
            ));
        }
        engine
            .check_invariants()
            .map_err(|e| format!("step {n} {op:?}: {e}"))?;
        let after = engine.snapshot().services.first().cloned();
        // Nothing is announced during the first round; its end is announced
        // exactly once (a first active target, a fallback, or none).
        let announced = events
            .iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    EventKind::FirstActive { .. }
                        | EventKind::Switch { .. }
                        | EventKind::Fallback { .. }
                        | EventKind::Recovered { .. }
                        | EventKind::NoTarget { .. }
                )
            })
            .count();
        if let (Some(b), Some(a)) = (&before, &after) {
            if b.starting && a.starting && announced > 0 {
                return Err(format!(
                    "step {n} {op:?}: announced during the first round: {events:?}"
                ));
            }
            if b.starting && !a.starting && announced != 1 {
                return Err(format!(
                    "step {n} {op:?}: the end of the first round announced {announced} times: {events:?}"
                ));
            }
            if !b.starting
                && events
                    .iter()
                    .any(|e| matches!(e.kind, EventKind::FirstActive { .. }))
            {
                return Err(format!(
                    "step {n} {op:?}: a second first-active announcement"
                ));
            }
            // A switch goes to an available target; a fallback to one that
            // is not (at the time of the event: judged on the view after
            // the step only when the step had one event).
            if events.len() == 1 {
                match &events[0].kind {
                    EventKind::Switch { to, .. }
                    | EventKind::Fallback { to, .. }
                    | EventKind::Recovered { target: to, .. } => {
                        let t = a.targets.iter().find(|t| t.endpoint == to.endpoint);
                        let avail = t.map(|t| t.availability == Availability::Available);
                        let is_switch = !matches!(events[0].kind, EventKind::Fallback { .. });
                        if avail != Some(is_switch) {
                            return Err(format!(
                                "step {n} {op:?}: {:?} to a target that is {:?}",
                                events[0].kind,
                                t.map(|t| t.availability)
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        if let (Some(b), Some(a)) = (before, after) {
            if let Some(old) = b
                .active
                .filter(|_| !cfg_switchback && !reconfigured && a.active != b.active)
            {
                let was = b
                    .targets
                    .iter()
                    .find(|t| t.endpoint == old)
                    .map(|t| t.availability);
                let now_is = a
                    .targets
                    .iter()
                    .find(|t| t.endpoint == old)
                    .map(|t| t.availability);
                // Leaving an available target is allowed only while the first
                // choice is still being made.
                let undecided = b.starting;
                if now_is == Some(Availability::Available)
                    && was == Some(Availability::Available)
                    && !undecided
                {
                    return Err(format!(
                        "step {n} {op:?}: NOAUTOSWITCHBACK left available {old} for {:?}",
                        a.active
                    ));
                }
            }
            // A new connection never goes to a down target while one is available.
            let any_available = a
                .targets
                .iter()
                .any(|t| t.availability == Availability::Available);
            if let Some(first) = a.route.first() {
                let t = a.targets.iter().find(|t| t.endpoint == *first).unwrap();
                if any_available && t.availability != Availability::Available {
                    return Err(format!(
                        "step {n} {op:?}: routes to {first} ({:?}) while a target is available",
                        t.availability
                    ));
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn invariants_hold_for_any_sequence(ops in proptest::collection::vec(op(), 1..200), sb in any::<bool>(), app in any::<bool>()) {
        if let Err(e) = run(&ops, sb, app) {
            return Err(TestCaseError::fail(e));
        }
    }
}

/// A longer seeded run: 20 runs of 5,000 steps.
#[test]
fn seeded_simulation() {
    let seed: u64 = std::env::var("ZHA_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2026);
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for run_no in 0..20 {
        let ops: Vec<Op> = (0..5000)
            .map(|_| match next() % 12 {
                0..=3 => Op::Probes(next() as u16),
                4..=6 => Op::Advance((next() % 3000) as u16),
                7 | 8 => Op::ConnectFailed((next() % 4) as u8 + 1),
                9 => Op::Quiesce((next() % 4) as u8 + 1, next() % 2 == 0),
                10 => Op::Resume((next() % 4) as u8 + 1),
                _ => Op::Reconfigure(
                    (next() % 15) as u8 + 1,
                    [
                        (next() % 254) as u8 + 1,
                        (next() % 254) as u8 + 1,
                        (next() % 254) as u8 + 1,
                        (next() % 254) as u8 + 1,
                    ],
                    next() % 2 == 0,
                ),
            })
            .collect();
        let sb = run_no % 2 == 0;
        let app = run_no % 4 < 2;
        if let Err(e) = run(&ops, sb, app) {
            panic!("seed {seed} run {run_no}: {e} (replay with ZHA_SIM_SEED={seed})");
        }
    }
}
