//! Seeded simulation of the group: random joins, leaves (deaths),
//! deactivations, reactivations and connection counts over four stacks and
//! two DVIPAs; the invariants of SPEC §7 are checked after every step.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use zha_group::{Claim, Group, MoveReason, Moveable, Origin};

const STACKS: [&str; 4] = ["SYSA", "SYSB", "SYSC", "SYSD"];

fn dvipas() -> [IpAddr; 2] {
    ["10.0.0.10".parse().unwrap(), "10.0.0.20".parse().unwrap()]
}

#[derive(Clone, Debug)]
enum Op {
    Join(usize),
    Leave(usize),
    Deactivate(usize, usize),
    Reactivate(usize, usize),
    Connections(usize, usize, u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..4usize).prop_map(Op::Join),
        2 => (0..4usize).prop_map(Op::Leave),
        1 => (0..4usize, 0..2usize).prop_map(|(s, d)| Op::Deactivate(s, d)),
        1 => (0..4usize, 0..2usize).prop_map(|(s, d)| Op::Reactivate(s, d)),
        3 => (0..4usize, 0..2usize, prop_oneof![Just(0u64), 1..4u64])
            .prop_map(|(s, d, n)| Op::Connections(s, d, n)),
    ]
}

/// What a stack's profile says of one DVIPA: nothing, VIPADEFINE, or
/// VIPABACKUP with a rank (from a small set, so that ranks tie).
fn origin() -> impl Strategy<Value = Option<(Origin, Moveable)>> {
    let moveable = prop_oneof![Just(Moveable::Immediate), Just(Moveable::WhenIdle)];
    prop_oneof![
        1 => Just(None),
        1 => moveable.prop_map(|m| Some((Origin::Define, m))),
        2 => prop_oneof![Just(1u8), Just(50), Just(100), Just(100), Just(254)]
            .prop_map(|rank| Some((Origin::Backup { rank }, Moveable::Immediate))),
    ]
}

fn profiles() -> impl Strategy<Value = Vec<Vec<Claim>>> {
    proptest::collection::vec(proptest::collection::vec(origin(), 2), 4).prop_map(|stacks| {
        stacks
            .into_iter()
            .map(|per| {
                per.into_iter()
                    .zip(dvipas())
                    .filter_map(|(o, dvipa)| {
                        o.map(|(origin, moveable)| Claim {
                            dvipa,
                            origin,
                            moveable,
                        })
                    })
                    .collect()
            })
            .collect()
    })
}

/// The invariants of SPEC §7 on one DVIPA.
fn check(g: &Group, dvipa: IpAddr) -> Result<(), String> {
    let claims = g.claims(dvipa);
    let owner = g.owner(dvipa);
    // The owner is a live stack that claims the DVIPA; nobody owns what
    // no live stack claims.
    match owner {
        Some(o) if !claims.iter().any(|(n, _, _)| *n == o.system) => {
            return Err(format!("{dvipa}: owner {} claims it not", o.system));
        }
        None if !claims.is_empty() => return Err(format!("{dvipa}: claimed, not owned")),
        _ => {}
    }
    let Some(o) = owner else { return Ok(()) };
    let define = claims
        .iter()
        .filter(|(_, c, _)| c.origin == Origin::Define)
        .max_by_key(|(_, _, defined)| *defined);
    match (g.pending(dvipa), define) {
        // A takeback is pending only for WHENIDLE, while the owner has
        // connections, for the latest VIPADEFINE stack.
        (Some(p), Some((d, c, _))) => {
            if p != *d || c.moveable != Moveable::WhenIdle || g.connections(&o.system, dvipa) == 0 {
                return Err(format!(
                    "{dvipa}: pending {p} with owner {} ({} connections), wanted {d} {:?}",
                    o.system,
                    g.connections(&o.system, dvipa),
                    c.moveable
                ));
            }
        }
        (Some(p), None) => return Err(format!("{dvipa}: pending {p} without a VIPADEFINE")),
        // No takeback pending: the owner is the latest live VIPADEFINE ...
        (None, Some((d, _, _))) => {
            if o.system != *d {
                return Err(format!("{dvipa}: owner {} while {d} defines it", o.system));
            }
        }
        // ... else a backup, the best of those live when it took over.
        (None, None) => {
            let Origin::Backup { rank } = o.origin else {
                return Err(format!("{dvipa}: owner {} is no backup", o.system));
            };
            for (n, c, defined) in &claims {
                let better = match c.origin {
                    Origin::Backup { rank: r } => r > rank,
                    Origin::Define => true,
                };
                if better && *defined < o.since {
                    return Err(format!(
                        "{dvipa}: owner {} (rank {rank}) although {n} ({:?}) was there first",
                        o.system, c.origin
                    ));
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn ownership_follows_spec_7_after_every_step(
        profiles in profiles(),
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        let t0 = Instant::now();
        let mut g = Group::new();
        let mut live = [false; 4];
        for (step, op) in ops.iter().enumerate() {
            let now = t0 + Duration::from_millis(step as u64);
            // Connections before the step, for the WHENIDLE check.
            let before: Vec<Vec<u64>> = STACKS
                .iter()
                .map(|s| dvipas().iter().map(|d| g.connections(s, *d)).collect())
                .collect();
            match *op {
                Op::Join(s) => {
                    let r = g.join(STACKS[s], &profiles[s], now);
                    // A live name is refused, any other joins.
                    prop_assert_eq!(r.is_err(), live[s]);
                    live[s] = true;
                }
                Op::Leave(s) => {
                    g.leave(STACKS[s], now);
                    live[s] = false;
                }
                Op::Deactivate(s, d) => g.deactivate(STACKS[s], dvipas()[d], now),
                Op::Reactivate(s, d) => g.reactivate(STACKS[s], dvipas()[d], now),
                Op::Connections(s, d, n) => {
                    if live[s] {
                        g.set_connections(STACKS[s], dvipas()[d], n, now);
                    }
                }
            }
            while let Some(m) = g.poll_move() {
                if m.reason == MoveReason::Takeback {
                    // A takeback goes to a VIPADEFINE stack, and for
                    // WHENIDLE only from an idle owner.
                    let to = m.to.as_deref().unwrap();
                    let claims = g.claims(m.dvipa);
                    let (_, c, _) = claims.iter().find(|(n, _, _)| *n == to).unwrap();
                    prop_assert_eq!(c.origin, Origin::Define);
                    if c.moveable == Moveable::WhenIdle {
                        let from = m.from.as_deref().unwrap();
                        let i = STACKS.iter().position(|s| *s == from).unwrap();
                        let d = dvipas().iter().position(|x| *x == m.dvipa).unwrap();
                        let now_open = g.connections(from, m.dvipa);
                        prop_assert!(
                            now_open == 0 || before[i][d] == 0,
                            "WHENIDLE takeback from {} with {} connections", from, now_open
                        );
                    }
                }
                if m.reason == MoveReason::Takeover {
                    // A takeover only from a stack that no longer holds it.
                    let from = m.from.as_deref().unwrap();
                    prop_assert!(!g.claims(m.dvipa).iter().any(|(n, _, _)| *n == from));
                }
            }
            for d in dvipas() {
                if let Err(e) = check(&g, d) {
                    return Err(TestCaseError::fail(format!("step {step} {op:?}: {e}")));
                }
            }
        }
    }
}
