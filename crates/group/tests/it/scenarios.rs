//! Takeover and takeback as z/OS documents them (SPEC §7).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use zha_group::{Claim, Group, JoinError, Move, MoveReason, Moveable, Origin};

fn dvipa() -> IpAddr {
    "10.0.0.10".parse().unwrap()
}

fn define(m: Moveable) -> Claim {
    Claim {
        dvipa: dvipa(),
        origin: Origin::Define,
        moveable: m,
    }
}

fn backup(rank: u8) -> Claim {
    Claim {
        dvipa: dvipa(),
        origin: Origin::Backup { rank },
        moveable: Moveable::Immediate,
    }
}

fn owner(g: &Group) -> Option<String> {
    g.owner(dvipa()).map(|o| o.system.clone())
}

fn moves(g: &mut Group) -> Vec<Move> {
    std::iter::from_fn(|| g.poll_move()).collect()
}

#[test]
fn the_define_stack_owns_the_best_backup_takes_over_and_it_is_taken_back() {
    let t = Instant::now();
    let mut g = Group::new();
    g.join("SYSB", &[backup(100)], t).unwrap();
    // A backup alone owns what nobody else defines.
    assert_eq!(owner(&g).as_deref(), Some("SYSB"));
    g.join("SYSC", &[backup(200)], t).unwrap();
    // The owner keeps it from a better backup that comes later.
    assert_eq!(owner(&g).as_deref(), Some("SYSB"));
    g.join("SYSA", &[define(Moveable::Immediate)], t).unwrap();
    // VIPADEFINE takes it (IMMEDIATE).
    assert_eq!(owner(&g).as_deref(), Some("SYSA"));
    let m = moves(&mut g);
    assert_eq!(m.last().unwrap().reason, MoveReason::Takeback);
    // SYSA dies: the highest-ranked live backup, SYSC, takes over.
    g.leave("SYSA", t + Duration::from_secs(1));
    assert_eq!(owner(&g).as_deref(), Some("SYSC"));
    let m = moves(&mut g);
    assert_eq!(
        (m[0].from.as_deref(), m[0].to.as_deref(), m[0].reason),
        (Some("SYSA"), Some("SYSC"), MoveReason::Takeover)
    );
    // SYSA returns: takeback at once.
    g.join("SYSA", &[define(Moveable::Immediate)], t).unwrap();
    assert_eq!(owner(&g).as_deref(), Some("SYSA"));
    // Everybody leaves: released.
    for s in ["SYSA", "SYSB", "SYSC"] {
        g.leave(s, t);
    }
    assert_eq!(owner(&g), None);
    assert_eq!(moves(&mut g).last().unwrap().reason, MoveReason::Released);
}

#[test]
fn whenidle_waits_for_the_owner_s_last_connection() {
    let t = Instant::now();
    let mut g = Group::new();
    g.join("SYSB", &[backup(100)], t).unwrap();
    g.set_connections("SYSB", dvipa(), 3, t);
    g.join("SYSA", &[define(Moveable::WhenIdle)], t).unwrap();
    assert_eq!(owner(&g).as_deref(), Some("SYSB"));
    assert_eq!(g.pending(dvipa()), Some("SYSA"));
    g.set_connections("SYSB", dvipa(), 1, t);
    assert_eq!(owner(&g).as_deref(), Some("SYSB"));
    g.set_connections("SYSB", dvipa(), 0, t);
    assert_eq!(owner(&g).as_deref(), Some("SYSA"));
    assert_eq!(g.pending(dvipa()), None);
}

#[test]
fn the_latest_of_two_define_stacks_takes_it() {
    let t = Instant::now();
    let mut g = Group::new();
    g.join("SYSA", &[define(Moveable::Immediate)], t).unwrap();
    g.join("SYSB", &[define(Moveable::Immediate)], t).unwrap();
    assert_eq!(owner(&g).as_deref(), Some("SYSB"));
    // Deactivated on SYSB, SYSA takes over; reactivated, SYSB is the
    // latest to define it again and takes it back.
    g.deactivate("SYSB", dvipa(), t);
    assert_eq!(owner(&g).as_deref(), Some("SYSA"));
    g.reactivate("SYSB", dvipa(), t);
    assert_eq!(owner(&g).as_deref(), Some("SYSB"));
}

#[test]
fn a_second_live_stack_with_the_same_name_is_refused() {
    let t = Instant::now();
    let mut g = Group::new();
    g.join("SYSA", &[define(Moveable::Immediate)], t).unwrap();
    assert_eq!(
        g.join("SYSA", &[backup(1)], t),
        Err(JoinError::NameTaken("SYSA".into()))
    );
    // Once it left, the name is free again.
    g.leave("SYSA", t);
    assert!(g.join("SYSA", &[backup(1)], t).is_ok());
}
