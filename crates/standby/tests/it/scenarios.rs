//! SPEC §1 behaviours, one scenario each.

use std::collections::BTreeMap;

use zha_standby::*;

use crate::harness::*;

#[test]
fn start_uses_the_preferred_target_before_any_probe_and_announces_once() {
    let mut s = Sim::new(service(true, &[1]), false, BTreeMap::new());
    assert_eq!(s.active(), Some(ep(1)));
    assert_eq!(s.route(), vec![ep(1), ep(2)]);
    assert!(s.engine.snapshot().services[0].starting);
    assert!(
        s.events.is_empty(),
        "nothing is announced before the first round: {:?}",
        s.events
    );
    s.rounds(1, all_up_but(&[]));
    assert!(!s.engine.snapshot().services[0].starting);
    assert_eq!(s.first_active(), vec![(ep(1), StartReason::Best)]);
    assert!(s.switches().is_empty());
    s.rounds(3, all_up_but(&[]));
    assert_eq!(s.first_active().len(), 1, "announced once");
}

#[test]
fn servers_not_ready_at_start_give_one_fallback_and_no_switch() {
    // Both servers listen but answer 503 in the first rounds (z/OSMF before
    // IZUG400I), then become healthy, the preferred first.
    let mut s = Sim::new(service(true, &[1]), true, BTreeMap::new());
    let starting = |_| (true, Some(false));
    s.rounds(3, starting);
    assert_eq!(s.active(), Some(ep(1)), "the best one still listening");
    assert_eq!(s.fallbacks(), vec![(None, ep(1))]);
    let preferred_ready = |e| (true, Some(e == ep(1)));
    s.rounds(3, preferred_ready);
    s.rounds(3, all_up_but(&[]));
    assert_eq!(s.active(), Some(ep(1)));
    assert!(s.switches().is_empty(), "{:?}", s.switches());
    assert!(s.first_active().is_empty());
    assert_eq!(s.fallbacks().len(), 1);
    assert_eq!(s.recovered(), vec![ep(1)], "the fallback is over, once");

    // The backup ready first: one switch out of the fallback, one back.
    let mut s = Sim::new(service(true, &[1]), true, BTreeMap::new());
    s.rounds(3, starting);
    let backup_ready = |e| (true, Some(e == ep(2)));
    s.rounds(3, backup_ready);
    assert_eq!(s.active(), Some(ep(2)));
    s.rounds(3, all_up_but(&[]));
    assert_eq!(
        s.switches(),
        vec![
            (Some(ep(1)), ep(2), SwitchReason::Recovered),
            (Some(ep(2)), ep(1), SwitchReason::SwitchBack)
        ]
    );
}

#[test]
fn moves_among_unhealthy_targets_are_fallback_changes() {
    let mut s = Sim::new(service(true, &[1]), true, BTreeMap::new());
    s.rounds(2, all_up_but(&[]));
    // Both answer 503 (the preferred's result comes first): a switch to the
    // backup while it is still healthy, then no target is available.
    s.rounds(2, |_| (true, Some(false)));
    assert_eq!(
        s.switches(),
        vec![(Some(ep(1)), ep(2), SwitchReason::Unavailable)]
    );
    assert_eq!(s.fallbacks(), vec![(Some(ep(2)), ep(1))]);
    // The preferred stops listening too: the backup, still listening, takes
    // new connections: a fallback change, not a switch.
    s.rounds(3, |e| {
        if e == ep(1) {
            (false, None)
        } else {
            (true, Some(false))
        }
    });
    assert_eq!(s.active(), Some(ep(2)));
    assert_eq!(s.switches().len(), 1);
    assert_eq!(
        s.fallbacks(),
        vec![(Some(ep(2)), ep(1)), (Some(ep(1)), ep(2))]
    );
    // A healthy target again: a switch out of the fallback.
    s.rounds(3, all_up_but(&[]));
    assert_eq!(
        s.switches().last().cloned(),
        Some((Some(ep(2)), ep(1), SwitchReason::Recovered))
    );
}

#[test]
fn the_target_in_use_entering_and_leaving_the_fallback_is_said() {
    // NOAUTOSWITCHBACK, the backup active; it turns unhealthy while the
    // preferred is down: no target is available, it stays in use.
    let mut s = Sim::new(service(false, &[1]), true, BTreeMap::new());
    s.rounds(2, |e| {
        if e == ep(1) {
            (false, None)
        } else {
            (true, Some(true))
        }
    });
    assert_eq!(s.active(), Some(ep(2)));
    s.rounds(2, |e| {
        if e == ep(1) {
            (false, None)
        } else {
            (true, Some(false))
        }
    });
    assert_eq!(s.active(), Some(ep(2)));
    assert_eq!(s.fallbacks(), vec![(Some(ep(2)), ep(2))]);
    let text = s
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Fallback { .. }))
        .map(ToString::to_string)
        .unwrap();
    assert!(text.contains("go on to SYS2"), "{text}");
    s.rounds(2, |e| {
        if e == ep(1) {
            (false, None)
        } else {
            (true, Some(true))
        }
    });
    assert_eq!(s.recovered(), vec![ep(2)]);
    assert!(s.switches().is_empty());
}

#[test]
fn a_reload_renames_an_endpoint_after_the_service_that_uses_it_now() {
    // Two services share SYS2's endpoint; the first is removed.
    let mut other = service(true, &[1]);
    other.key.dvipa = "10.0.0.99".parse().unwrap();
    other.targets[0].system = Some("OLD".into());
    other.targets[0].endpoint = ep(2);
    let cfg = |services| Config {
        services,
        probe: ProbeSpec::default(),
    };
    let now = std::time::Instant::now();
    let mut e = Engine::new(cfg(vec![other, service(true, &[1])]), BTreeMap::new(), now);
    let p: Vec<ProbeRequest> = std::iter::from_fn(|| e.poll_probe(now)).collect();
    let shared = p.iter().find(|p| p.endpoint == ep(2)).unwrap();
    assert_eq!(shared.dvipa.to_string(), "10.0.0.99");
    for q in &p {
        let ok = ProbeOutcome {
            connected: true,
            healthy: None,
            detail: String::new(),
        };
        e.probe_result(q.endpoint, ok, now);
    }
    e.reconfigure(cfg(vec![service(true, &[1])]), now);
    let later = now + std::time::Duration::from_secs(5);
    let p: Vec<ProbeRequest> = std::iter::from_fn(|| e.poll_probe(later)).collect();
    let shared = p.iter().find(|p| p.endpoint == ep(2)).unwrap();
    assert_eq!(
        shared.dvipa.to_string(),
        DVIPA,
        "probed for the service left"
    );
    e.connect_failed(ep(2), "refused", later);
    let down = std::iter::from_fn(|| e.poll_event())
        .find(|ev| matches!(ev.kind, EventKind::TargetDown { .. }))
        .unwrap();
    assert_eq!(down.target().unwrap().system.as_deref(), Some("SYS2"));
}

#[test]
fn a_restarted_server_is_judged_afresh() {
    // rise 1, fall 2: a server that comes back listening must not inherit
    // the health it had before it died.
    let probe = ProbeSpec {
        application: true,
        rise: 1,
        fall: 2,
        ..ProbeSpec::default()
    };
    let mut s = Sim::with_probe(service(true, &[1]), probe, BTreeMap::new());
    s.rounds(2, all_up_but(&[]));
    assert_eq!(s.active(), Some(ep(1)));
    s.engine.connect_failed(ep(1), "connection refused", s.now);
    s.drain();
    assert_eq!(s.active(), Some(ep(2)));
    let view = s.engine.snapshot().services[0].targets[0].clone();
    assert_eq!(view.listening, Some(false));
    assert_eq!(view.healthy, None, "a dead target has no health verdict");
    // It listens again but answers 503 (initializing): it stays out.
    s.rounds(1, |e| (true, Some(e != ep(1))));
    assert_eq!(s.active(), Some(ep(2)), "{:?}", s.engine.snapshot());
    s.rounds(1, all_up_but(&[]));
    assert_eq!(s.active(), Some(ep(1)));
}

#[test]
fn failover_and_switchback_with_autoswitchback() {
    let mut s = Sim::new(service(true, &[1]), false, BTreeMap::new());
    s.rounds(1, all_up_but(&[]));
    // The preferred dies: down after `fall` (2) failed probes.
    s.rounds(1, all_up_but(&[1]));
    assert_eq!(s.active(), Some(ep(1)), "one failure is not enough");
    s.rounds(1, all_up_but(&[1]));
    assert_eq!(s.active(), Some(ep(2)));
    assert_eq!(s.route(), vec![ep(2)]);
    // It returns: up after `rise` (2) good probes, and new connections go back.
    s.rounds(1, all_up_but(&[]));
    assert_eq!(s.active(), Some(ep(2)));
    s.rounds(1, all_up_but(&[]));
    assert_eq!(s.active(), Some(ep(1)));
    let sw = s.switches();
    assert_eq!(sw[0], (Some(ep(1)), ep(2), SwitchReason::Unavailable));
    assert_eq!(sw[1], (Some(ep(2)), ep(1), SwitchReason::SwitchBack));
}

#[test]
fn noautoswitchback_stays_on_the_backup() {
    let mut s = Sim::new(service(false, &[1]), false, BTreeMap::new());
    s.rounds(1, all_up_but(&[]));
    assert_eq!(
        s.active(),
        Some(ep(1)),
        "both ready at start: the preferred wins"
    );
    s.engine.connect_failed(ep(1), "connection refused", s.now);
    s.drain();
    assert_eq!(
        s.active(),
        Some(ep(2)),
        "passive detection switches at once"
    );
    s.rounds(4, all_up_but(&[]));
    assert_eq!(s.active(), Some(ep(2)), "no switch back");
    // Only when the backup becomes unavailable.
    s.rounds(2, all_up_but(&[2]));
    assert_eq!(s.active(), Some(ep(1)));
}

#[test]
fn noautoswitchback_first_ready_target_wins_at_start() {
    // The preferred's first probe fails: the backup is the first ready one
    // and stays active after the preferred comes up.
    let mut s = Sim::new(service(false, &[1]), false, BTreeMap::new());
    s.rounds(1, all_up_but(&[1]));
    assert_eq!(s.active(), Some(ep(2)));
    s.rounds(5, all_up_but(&[]));
    assert_eq!(s.active(), Some(ep(2)));
    assert_eq!(s.first_active(), vec![(ep(2), StartReason::FirstReady)]);
    assert!(s.switches().is_empty());
}

#[test]
fn noautoswitchback_decides_at_the_probe_timeout_without_all_results() {
    let mut s = Sim::new(service(false, &[1]), false, BTreeMap::new());
    // Only the backup's probe returns before the timeout.
    let p1 = s.engine.poll_probe(s.now).unwrap();
    let p2 = s.engine.poll_probe(s.now).unwrap();
    assert!(s.engine.poll_probe(s.now).is_none());
    let backup = if p1.endpoint == ep(2) { p1 } else { p2 };
    s.engine.probe_result(
        backup.endpoint,
        ProbeOutcome {
            connected: true,
            healthy: None,
            detail: "ok".into(),
        },
        s.now,
    );
    s.drain();
    assert!(s.engine.poll_timeout().is_some());
    s.advance(1000);
    assert!(
        s.engine.snapshot().services[0].starting,
        "a probe that times out still reports: the round waits for it"
    );
    s.advance(1500);
    // A probe that never reports: the round ends at its safety bound, and
    // the order decides with the preferred still unknown.
    assert_eq!(s.active(), Some(ep(1)));
    assert_eq!(s.first_active(), vec![(ep(1), StartReason::FirstReady)]);
}

#[test]
fn a_restart_does_not_switch_back_under_noautoswitchback() {
    let mut persisted = BTreeMap::new();
    persisted.insert(key(), ep(2));
    let mut s = Sim::new(service(false, &[1]), false, persisted.clone());
    s.rounds(1, all_up_but(&[]));
    assert_eq!(s.active(), Some(ep(2)));
    assert_eq!(s.first_active(), vec![(ep(2), StartReason::Restored)]);
    assert_eq!(s.engine.persisted().get(&key()), Some(&ep(2)));

    // A persisted target that is down is ignored, with an event.
    let mut s = Sim::new(service(false, &[1]), false, persisted.clone());
    s.rounds(1, all_up_but(&[2]));
    assert_eq!(s.active(), Some(ep(1)));
    assert!(
        s.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::PersistedIgnored { why, .. } if why.contains("not available")))
    );

    // One that is no longer a target, too.
    let mut gone = BTreeMap::new();
    gone.insert(key(), ep(9));
    let mut s = Sim::new(service(false, &[1]), false, gone);
    s.rounds(1, all_up_but(&[]));
    assert_eq!(s.active(), Some(ep(1)));
    assert!(s.events.iter().any(
        |e| matches!(&e.kind, EventKind::PersistedIgnored { why, .. } if why.contains("no longer"))
    ));
}

#[test]
fn three_targets_take_over_by_rank() {
    // DESTIP order: 10.1.1.2 BACKUP 50, 10.1.1.3 BACKUP 100.
    let mut s = Sim::new(service(true, &[50, 100]), false, BTreeMap::new());
    s.rounds(2, all_up_but(&[1]));
    assert_eq!(s.active(), Some(ep(3)), "rank 100 before rank 50");
    assert_eq!(s.route(), vec![ep(3), ep(2)]);
    s.rounds(2, all_up_but(&[1, 3]));
    assert_eq!(s.active(), Some(ep(2)));
    s.rounds(2, all_up_but(&[1]));
    assert_eq!(
        s.active(),
        Some(ep(3)),
        "AUTOSWITCHBACK also climbs back by rank"
    );
    // Equal ranks: DESTIP order.
    let s = Sim::new(service(true, &[7, 7]), false, BTreeMap::new());
    assert_eq!(s.route(), vec![ep(1), ep(2), ep(3)]);
}

#[test]
fn all_unavailable_refuses_and_recovery_resumes() {
    let mut s = Sim::new(service(true, &[1]), false, BTreeMap::new());
    s.rounds(2, all_up_but(&[1, 2]));
    assert_eq!(s.active(), None);
    assert!(s.route().is_empty());
    assert!(
        s.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::NoTarget { .. }))
    );
    s.rounds(2, all_up_but(&[1]));
    assert_eq!(s.active(), Some(ep(2)));
    assert_eq!(s.switches().last().unwrap().2, SwitchReason::Recovered);
}

#[test]
fn application_probe_unhealthy_target_is_used_only_when_nothing_else_listens() {
    let mut s = Sim::new(service(true, &[1]), true, BTreeMap::new());
    // The preferred listens but answers 503.
    let sick = |e| {
        if e == ep(1) {
            (true, Some(false))
        } else {
            (true, Some(true))
        }
    };
    s.rounds(2, sick);
    assert_eq!(s.active(), Some(ep(2)));
    assert_eq!(
        s.route(),
        vec![ep(2), ep(1)],
        "the unhealthy one is the last resort"
    );
    // The backup dies: the unhealthy but listening preferred is better than nothing.
    let worse = |e| {
        if e == ep(1) {
            (true, Some(false))
        } else {
            (false, None)
        }
    };
    s.rounds(2, worse);
    assert_eq!(s.active(), Some(ep(1)));
    assert_eq!(s.fallbacks(), vec![(Some(ep(2)), ep(1))]);
    // NOHEALTHSWITCH ignores health.
    let mut spec = service(true, &[1]);
    spec.healthswitch = false;
    let mut s = Sim::new(spec, true, BTreeMap::new());
    s.rounds(2, sick);
    assert_eq!(s.active(), Some(ep(1)));
}

#[test]
fn quiesce_and_resume_by_address_or_system() {
    let mut s = Sim::new(service(true, &[1]), false, BTreeMap::new());
    s.rounds(1, all_up_but(&[]));
    let hit = s
        .engine
        .quiesce(&Sim::selector("sys1", None), false, s.now)
        .unwrap();
    s.drain();
    assert_eq!(hit.len(), 1);
    assert_eq!((hit[0].0, hit[0].1.endpoint), (key(), ep(1)));
    assert_eq!(s.active(), Some(ep(2)));
    assert_eq!(
        s.route(),
        vec![ep(2)],
        "a quiesced target gets no new connection"
    );
    assert_eq!(s.switches().last().unwrap().2, SwitchReason::Quiesced);
    // By its DESTIP, although the distributor connects elsewhere.
    s.engine
        .resume(&Sim::selector("10.1.1.1", Some(443)), s.now)
        .unwrap();
    s.drain();
    assert_eq!(
        s.active(),
        Some(ep(1)),
        "AUTOSWITCHBACK returns to the resumed preferred"
    );
    // By the endpoint too.
    let hit = s
        .engine
        .quiesce(&Sim::selector(&ep(2).to_string(), None), false, s.now)
        .unwrap();
    assert_eq!(hit[0].1.endpoint, ep(2));
    s.engine
        .resume(&Sim::selector("SYS2", None), s.now)
        .unwrap();
    s.drain();

    // Unknown: the error names what is known.
    let e = s
        .engine
        .quiesce(&Sim::selector("SYS9", None), false, s.now)
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("no target matches SYS9"), "{text}");
    assert!(
        text.contains("SYS1 (10.1.1.1)") && text.contains("SYS2 (10.1.1.2)"),
        "{text}"
    );
    let e = s
        .engine
        .quiesce(&Sim::selector("SYS1", Some(7554)), false, s.now)
        .unwrap_err();
    assert!(e.to_string().contains("the ports are 443"), "{e}");
}

#[test]
fn quiescing_the_last_available_target_needs_force() {
    let mut s = Sim::new(service(true, &[1]), false, BTreeMap::new());
    s.rounds(2, all_up_but(&[2]));
    assert_eq!(s.active(), Some(ep(1)));
    let e = s
        .engine
        .quiesce(&Sim::selector("SYS1", None), false, s.now)
        .unwrap_err();
    assert!(matches!(e, SelectError::LastAvailable { .. }), "{e}");
    assert!(e.to_string().contains("--force"), "{e}");
    s.drain();
    assert_eq!(s.active(), Some(ep(1)), "nothing was changed");
    assert!(!s.engine.snapshot().services[0].targets[0].quiesced);
    // Both at once, too.
    s.rounds(2, all_up_but(&[]));
    let both = s.engine.quiesce(&Sim::selector("SYS1", None), false, s.now);
    assert!(both.is_ok());
    s.drain();
    assert!(
        s.engine
            .quiesce(&Sim::selector("SYS2", None), false, s.now)
            .is_err()
    );
    // With force it is done, and new clients are refused.
    s.engine
        .quiesce(&Sim::selector("SYS2", None), true, s.now)
        .unwrap();
    s.drain();
    assert_eq!(s.active(), None);
    assert!(s.route().is_empty());
}

#[test]
fn the_takeover_order_is_one_rule() {
    assert_eq!(takeover_order([255, 50, 100, 50]), vec![0, 2, 1, 3]);
    assert_eq!(takeover_order([1, 1, 1]), vec![0, 1, 2]);
    assert!(takeover_order(std::iter::empty()).is_empty());
    assert_eq!(TargetRole::Preferred.rank(), 255);
    assert_eq!(TargetRole::Backup(254).rank(), 254);
}

#[test]
fn reconfigure_keeps_state_and_reports_the_diff() {
    let mut s = Sim::new(service(false, &[1]), false, BTreeMap::new());
    s.rounds(1, all_up_but(&[]));
    s.engine.connect_failed(ep(1), "refused", s.now);
    s.drain();
    assert_eq!(s.active(), Some(ep(2)));
    s.engine
        .quiesce(&Sim::selector("SYS1", None), false, s.now)
        .unwrap();
    s.drain();

    // Add a third target: state, quiesce flag and the sticky active stay.
    let cfg = Config {
        services: vec![service(false, &[1, 200])],
        probe: s.engine.probe_spec(),
    };
    let diff = s.engine.reconfigure(cfg, s.now);
    s.drain();
    assert_eq!(diff.targets_added, vec![(key(), ep(3))]);
    assert_eq!(s.active(), Some(ep(2)));
    let view = &s.engine.snapshot().services[0];
    assert!(view.targets[0].quiesced);
    assert_eq!(view.targets[0].listening, Some(false));

    // Remove the active target: new connections move, with the reason.
    let cfg = Config {
        services: vec![ServiceSpec {
            targets: service(false, &[1, 200])
                .targets
                .into_iter()
                .filter(|t| t.endpoint != ep(2))
                .collect(),
            ..service(false, &[])
        }],
        probe: s.engine.probe_spec(),
    };
    let diff = s.engine.reconfigure(cfg, s.now);
    s.drain();
    assert_eq!(diff.targets_removed, vec![(key(), ep(2))]);
    assert_eq!(s.active(), Some(ep(3)));
    assert_eq!(s.switches().last().unwrap().2, SwitchReason::Reconfigured);
    assert!(
        s.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Reconfigured { .. }))
    );

    // Policy change and service removal.
    let cfg = Config {
        services: vec![],
        probe: s.engine.probe_spec(),
    };
    let diff = s.engine.reconfigure(cfg, s.now);
    assert_eq!(diff.services_removed, vec![key()]);
    assert!(s.engine.route(&key()).is_empty());
    assert!(
        s.engine
            .poll_probe(s.now + std::time::Duration::from_secs(10))
            .is_none(),
        "no probes for removed targets"
    );
}

#[test]
fn probes_are_spread_over_the_interval_and_never_twice_in_flight() {
    use std::time::Duration;
    let up = || ProbeOutcome {
        connected: true,
        healthy: None,
        detail: String::new(),
    };
    let mut s = Sim::new(service(true, &[1]), false, BTreeMap::new());
    // The first round probes every endpoint at once.
    assert_eq!(s.engine.poll_timeout(), Some(s.now));
    let a = s.engine.poll_probe(s.now).unwrap();
    let b = s.engine.poll_probe(s.now).unwrap();
    assert_ne!(a.endpoint, b.endpoint);
    assert!(
        s.engine
            .poll_probe(s.now + Duration::from_secs(5))
            .is_none(),
        "both in flight"
    );
    s.engine.probe_result(a.endpoint, up(), s.now);
    s.engine.probe_result(b.endpoint, up(), s.now);
    // Then each comes a different fraction of the interval after its first
    // result (the golden ratio's multiples: 0.618 and 0.236 of 1 s), never
    // a whole interval.
    let (ta, tb) = (
        s.now + Duration::from_millis(619),
        s.now + Duration::from_millis(237),
    );
    assert!(s.engine.poll_probe(tb - Duration::from_millis(2)).is_none());
    assert_eq!(s.engine.poll_probe(tb).unwrap().endpoint, b.endpoint);
    assert!(s.engine.poll_probe(ta - Duration::from_millis(2)).is_none());
    assert_eq!(s.engine.poll_probe(ta).unwrap().endpoint, a.endpoint);
    // From the second probe on, one interval apart.
    s.engine.probe_result(a.endpoint, up(), ta);
    assert!(
        s.engine
            .poll_probe(ta + Duration::from_millis(999))
            .is_none()
    );
    assert_eq!(
        s.engine
            .poll_probe(ta + Duration::from_secs(1))
            .unwrap()
            .endpoint,
        a.endpoint
    );
}

#[test]
fn key_parses_and_prints_like_netstat() {
    assert_eq!(key().to_string(), "10.0.0.10..443");
    assert_eq!("10.0.0.10..443".parse::<ServiceKey>().unwrap(), key());
    assert!("10.0.0.10:443".parse::<ServiceKey>().is_err());
}

#[test]
fn any_probe_spec_is_scheduled_without_overflow() {
    for (interval, timeout) in [
        (std::time::Duration::MAX, std::time::Duration::MAX),
        (std::time::Duration::ZERO, std::time::Duration::ZERO),
    ] {
        let probe = ProbeSpec {
            interval,
            timeout,
            rise: 0,
            fall: 0,
            application: true,
        };
        let mut s = Sim::with_probe(service(true, &[1]), probe, BTreeMap::new());
        s.rounds(3, all_up_but(&[1]));
        assert!(s.engine.poll_timeout().is_some());
        assert_eq!(s.engine.probe_spec().rise, 1);
    }
}

#[test]
fn a_probe_this_machine_could_not_run_is_no_verdict() {
    let mut s = Sim::new(service(true, &[1]), false, BTreeMap::new());
    s.rounds(2, all_up_but(&[]));
    let before = s.engine.snapshot();
    let p = std::iter::from_fn(|| s.engine.poll_probe(s.now)).collect::<Vec<_>>();
    assert!(!p.is_empty());
    for q in &p {
        s.engine.probe_skipped(q.endpoint);
    }
    s.drain();
    assert_eq!(s.engine.snapshot(), before, "nothing changed");
    // The next probe is due one interval later, not at once.
    assert!(s.engine.poll_probe(s.now).is_none());
    s.advance(1000);
    assert!(s.engine.poll_probe(s.now).is_some());
}

#[test]
fn an_input_touches_only_the_services_of_its_endpoint() {
    // Three services on three ports, each with its own two endpoints.
    let spec = |port: u16| {
        let mut s = service(true, &[1]);
        s.key.port = port;
        for t in &mut s.targets {
            t.endpoint.set_port(port);
        }
        s
    };
    let services: Vec<ServiceSpec> = [443, 7554, 9443].into_iter().map(spec).collect();
    let now = std::time::Instant::now();
    let mut e = Engine::new(
        Config {
            services: services.clone(),
            probe: ProbeSpec::default(),
        },
        BTreeMap::new(),
        now,
    );
    assert_eq!(e.take_changed().len(), 3, "everything is new");
    let probes: Vec<ProbeRequest> = std::iter::from_fn(|| e.poll_probe(now)).collect();
    assert_eq!(probes.len(), 6, "one probe per endpoint");
    for p in &probes {
        let ok = ProbeOutcome {
            connected: true,
            healthy: None,
            detail: String::new(),
        };
        e.probe_result(p.endpoint, ok, now);
    }
    let _ = e.take_changed();
    // The preferred of port 7554 refuses a connect: only that service.
    let mut dead = services[1].targets[0].endpoint;
    e.connect_failed(dead, "refused", now);
    assert_eq!(e.take_changed(), vec![services[1].key]);
    // A probe result that changes nothing: nothing to republish.
    dead.set_port(443);
    let later = now + std::time::Duration::from_secs(1);
    let p = std::iter::from_fn(|| e.poll_probe(later))
        .find(|p| p.endpoint == dead)
        .unwrap();
    let ok = ProbeOutcome {
        connected: true,
        healthy: None,
        detail: String::new(),
    };
    e.probe_result(p.endpoint, ok, later);
    assert!(e.take_changed().is_empty());
}

#[test]
fn a_stack_that_takes_over_keeps_the_groups_active_and_quiesced_targets() {
    use std::collections::BTreeSet;
    let dvipas = BTreeSet::from([key().dvipa]);
    // NOAUTOSWITCHBACK: this stack has the preferred active; the group says
    // the owner had switched to the backup and quiesced nothing.
    let mut s = Sim::new(service(false, &[1]), false, BTreeMap::new());
    s.rounds(1, all_up_but(&[]));
    assert_eq!(s.active(), Some(ep(1)));
    let group = Adopted {
        active: BTreeMap::from([(key(), ep(2))]),
        quiesced: BTreeSet::new(),
    };
    s.engine.adopt(&dvipas, &group, s.now);
    s.drain();
    assert_eq!(s.active(), Some(ep(2)));
    assert_eq!(
        s.switches(),
        vec![(Some(ep(1)), ep(2), SwitchReason::Adopted)]
    );
    s.rounds(4, all_up_but(&[]));
    assert_eq!(s.active(), Some(ep(2)), "and stays there");

    // An adopted active target that is not available here is ignored.
    let mut s = Sim::new(service(false, &[1]), false, BTreeMap::new());
    s.rounds(2, all_up_but(&[2]));
    s.engine.adopt(&dvipas, &group, s.now);
    s.drain();
    assert_eq!(s.active(), Some(ep(1)));
    assert!(s.switches().is_empty(), "{:?}", s.switches());

    // The quiesced set is the group's: a target quiesced there is
    // quiesced here (and the active one moves off it); one resumed there
    // is resumed here.
    let mut s = Sim::new(service(true, &[1]), false, BTreeMap::new());
    s.rounds(1, all_up_but(&[]));
    let quiesced = Adopted {
        active: BTreeMap::new(),
        quiesced: BTreeSet::from([(key(), ep(1))]),
    };
    s.engine.adopt(&dvipas, &quiesced, s.now);
    s.drain();
    assert_eq!(s.active(), Some(ep(2)));
    assert!(s.engine.snapshot().services[0].targets[0].quiesced);
    s.engine.adopt(&dvipas, &Adopted::default(), s.now);
    s.drain();
    assert_eq!(s.active(), Some(ep(1)), "AUTOSWITCHBACK once resumed");
    // Another DVIPA's state touches nothing here.
    let other = BTreeSet::from(["192.0.2.99".parse().unwrap()]);
    s.engine.adopt(&other, &quiesced, s.now);
    s.drain();
    assert_eq!(s.active(), Some(ep(1)));

    // A service in its first round takes the group's target as persisted.
    let mut s = Sim::new(service(false, &[1]), false, BTreeMap::new());
    s.engine.adopt(&dvipas, &group, s.now);
    s.rounds(1, all_up_but(&[]));
    assert_eq!(s.first_active(), vec![(ep(2), StartReason::Restored)]);
}
