//! The rules `apply` enforces (SPEC §4: ZHA2001-2006, 2011, 2015-2017): for
//! each, a profile that triggers it and a near-identical one that does not,
//! and what the stack holds afterwards.

use std::net::IpAddr;

use zha_tcpip::codes;
use zha_tcpip::{DistMethod, Role, Stack, VipaOwner};

use crate::{Run, run, sev};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A distributing stack: DYNAMICXCF 10.1.9.1, DVIPA 10.1.1.10 defined, the
/// given VIPADISTRIBUTE, then a second VIPADEFINE (10.1.1.20) in the same
/// block and a third (10.1.1.30) in a later block.
fn profile(dist: &str) -> String {
    format!(
        "IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.9.1 255.255.255.0 1\n\
         HOME 10.1.5.1 OSAL\n\
         VIPADYNAMIC\n\
         \x20 VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.10\n\
         \x20 {dist}\n\
         \x20 VIPADEFINE 255.255.255.0 10.1.1.20\n\
         ENDVIPADYNAMIC\n\
         VIPADYNAMIC\n\
         \x20 VIPADEFINE 255.255.255.0 10.1.1.30\n\
         ENDVIPADYNAMIC\n"
    )
}

const HS: &str = "VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443 DESTIP";

/// Applied clean: one distribution, all three DVIPAs.
fn assert_applies(r: &Run) {
    r.assert_clean();
    assert_eq!(r.stack.distributions.len(), 1);
    assert!(r.stack.ignored.is_empty());
    assert_eq!(r.vipa_addrs(), ["10.1.1.10", "10.1.1.20", "10.1.1.30"]);
}

/// Ignored with `code`: no distribution, the statement in `ignored`, the
/// other DVIPAs still there.
fn assert_ignored(st: &Stack, code: &str) {
    assert!(st.distributions.is_empty(), "{:?}", st.distributions);
    assert_eq!(st.ignored.len(), 1);
    assert_eq!(st.ignored[0].code, code);
    assert_eq!(st.ignored[0].dvipa.value.to_string(), "10.1.1.10");
    assert_eq!(st.ignored[0].method, DistMethod::HotStandby);
}

#[test]
fn zha2001_hot_standby_without_roles() {
    let r = run(&profile(&format!("{HS} 10.1.9.1 10.1.9.2")));
    let d = r.one(codes::HS_NO_ROLES);
    assert_eq!(r.codes(), [codes::HS_NO_ROLES]);
    assert_eq!(sev(d), 'E');
    assert_eq!(r.primary(d), "VIPADISTRIBUTE");
    assert_eq!(
        r.secondaries(d),
        [
            ("10.1.9.1", "no PREFERRED or BACKUP"),
            ("10.1.9.2", "no PREFERRED or BACKUP")
        ]
    );
    let zos = d.zos.as_deref().unwrap();
    assert!(
        zos.contains("EZZ0826I") && zos.contains("10.1.1.10"),
        "{zos}"
    );
    assert_ignored(&r.stack, codes::HS_NO_ROLES);
    assert_eq!(r.stack.ignored[0].targets.len(), 2);
    // The rest of the block is applied: only this statement is ignored.
    assert_eq!(r.vipa_addrs(), ["10.1.1.10", "10.1.1.20", "10.1.1.30"]);
    // WEIGHT is no hot-standby role either.
    let r = run(&profile(&format!(
        "{HS} 10.1.9.1 WEIGHT 5 10.1.9.2 WEIGHT 5"
    )));
    r.one(codes::HS_NO_ROLES);

    assert_applies(&run(&profile(&format!(
        "{HS} 10.1.9.1 PREFERRED 10.1.9.2 BACKUP"
    ))));
}

#[test]
fn zha2002_not_one_preferred_and_a_backup() {
    for (destip, message, labels) in [
        (
            "10.1.9.1 PREFERRED 10.1.9.2 PREFERRED 10.1.9.3 BACKUP",
            "2 targets are PREFERRED; hot standby allows exactly one",
            vec![("PREFERRED", "PREFERRED"), ("PREFERRED", "PREFERRED")],
        ),
        (
            "10.1.9.1 BACKUP 10.1.9.2 BACKUP 2",
            "no target is PREFERRED",
            vec![],
        ),
        (
            "10.1.9.1 PREFERRED",
            "no target is a BACKUP",
            vec![
                ("PREFERRED", "PREFERRED"),
                ("10.1.9.1", "no BACKUP besides this one"),
            ],
        ),
        (
            "10.1.9.1 PREFERRED 10.1.9.2 BACKUP 10.1.9.3",
            "a target is neither PREFERRED nor BACKUP",
            vec![
                ("PREFERRED", "PREFERRED"),
                ("10.1.9.3", "neither PREFERRED nor BACKUP"),
            ],
        ),
    ] {
        let r = run(&profile(&format!("{HS} {destip}")));
        let d = r.one(codes::HS_ROLE_COUNT);
        assert_eq!(r.codes(), [codes::HS_ROLE_COUNT], "{destip}");
        assert_eq!(sev(d), 'E');
        assert_eq!(d.message, message);
        assert_eq!(r.primary(d), "VIPADISTRIBUTE");
        assert_eq!(r.secondaries(d), labels, "{destip}");
        if message.starts_with("a target is neither") {
            // One PREFERRED and a BACKUP: EZZ0827I does not apply, and IBM
            // documents no message for a target without a role.
            assert_eq!(d.zos, None);
            assert!(d.notes[0].contains("IBM documents no message"));
        } else {
            assert!(d.zos.as_deref().unwrap().contains("EZZ0827I"));
        }
        assert_ignored(&r.stack, codes::HS_ROLE_COUNT);
    }
    assert_applies(&run(&profile(&format!(
        "{HS} 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 10.1.9.3 BACKUP 2"
    ))));
}

#[test]
fn weight_with_hot_standby_is_ezz0799i() {
    // WEIGHT in place of BACKUP: z/OS ignores the WEIGHT (EZZ0799I); the
    // target has no role.
    let r = run(&profile(&format!(
        "{HS} 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 10.1.9.3 WEIGHT 5"
    )));
    let d = r.one(codes::HS_ROLE_COUNT);
    assert_eq!(r.codes(), [codes::HS_ROLE_COUNT]);
    assert_eq!(
        d.message,
        "a target has WEIGHT instead of PREFERRED or BACKUP"
    );
    assert_eq!(
        r.secondaries(d),
        [
            ("PREFERRED", "PREFERRED"),
            (
                "WEIGHT 5",
                "WEIGHT is ignored (EZZ0799I): neither PREFERRED nor BACKUP"
            ),
        ]
    );
    let zos = d.zos.as_deref().unwrap();
    assert!(
        zos.starts_with("z/OS issues EZZ0799I VIPADISTRIBUTE WEIGHT IGNORED"),
        "{zos}"
    );
    assert!(!zos.contains("EZZ0827I"), "{zos}");
    assert_ignored(&r.stack, codes::HS_ROLE_COUNT);
    // WEIGHT where the PREFERRED belongs: EZZ0799I, then EZZ0827I.
    let r = run(&profile(&format!("{HS} 10.1.9.1 WEIGHT 5 10.1.9.2 BACKUP")));
    let d = r.one(codes::HS_ROLE_COUNT);
    assert_eq!(d.message, "no target is PREFERRED");
    let zos = d.zos.as_deref().unwrap();
    assert!(
        zos.starts_with("z/OS issues EZZ0799I") && zos.contains("then z/OS issues EZZ0827I"),
        "{zos}"
    );
    // Only WEIGHTs: EZZ0799I, then EZZ0826I.
    let r = run(&profile(&format!(
        "{HS} 10.1.9.1 WEIGHT 5 10.1.9.2 WEIGHT 5"
    )));
    let d = r.one(codes::HS_NO_ROLES);
    let zos = d.zos.as_deref().unwrap();
    assert!(
        zos.contains("EZZ0799I") && zos.contains("EZZ0826I"),
        "{zos}"
    );
    assert_eq!(
        r.secondaries(d)[0],
        (
            "WEIGHT 5",
            "WEIGHT is ignored (EZZ0799I), no PREFERRED or BACKUP"
        )
    );
    // No WEIGHT, no EZZ0799I.
    let r = run(&profile(&format!("{HS} 10.1.9.1 10.1.9.2")));
    assert!(
        !r.one(codes::HS_NO_ROLES)
            .zos
            .as_deref()
            .unwrap()
            .contains("EZZ0799I")
    );
}

fn targets(backups: usize) -> String {
    let mut s = String::from("10.1.9.1 PREFERRED");
    for i in 0..backups {
        s.push_str(&format!("\n      10.1.8.{} BACKUP {}", i + 1, i + 1));
    }
    s
}

#[test]
fn zha2003_more_than_31_backups() {
    let r = run(&profile(&format!("{HS} {}", targets(32))));
    let d = r.one(codes::HS_TOO_MANY_BACKUPS);
    assert_eq!(r.codes(), [codes::HS_TOO_MANY_BACKUPS]);
    assert_eq!(sev(d), 'E');
    assert_eq!(d.message, "32 BACKUP targets; hot standby allows 31");
    assert_eq!(r.primary(d), "10.1.8.32");
    assert_eq!(
        r.secondaries(d),
        [("VIPADISTRIBUTE", "in this VIPADISTRIBUTE")]
    );
    assert!(d.zos.as_deref().unwrap().contains("EZZ0829I"));
    assert_ignored(&r.stack, codes::HS_TOO_MANY_BACKUPS);
    assert_eq!(r.stack.ignored[0].targets.len(), 33);

    let r = run(&profile(&format!("{HS} {}", targets(31))));
    assert_applies(&r);
    assert_eq!(r.stack.distributions[0].backups().len(), 31);
    // Highest rank first.
    assert_eq!(
        r.stack.distributions[0].backups()[0].addr.value,
        ip("10.1.8.31")
    );
}

#[test]
fn zha2004_a_target_listed_twice() {
    let r = run(&profile(&format!(
        "{HS} 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 10.1.9.1 BACKUP 5"
    )));
    let d = r.one(codes::HS_DUPLICATE);
    assert_eq!(r.codes(), [codes::HS_DUPLICATE]);
    assert_eq!(sev(d), 'E');
    assert_eq!(d.message, "DESTIP 10.1.9.1 is listed twice");
    assert_eq!(r.primary(d), "10.1.9.1");
    let (first, again) = (d.labels[1].span, d.labels[0].span);
    assert!(first.start < again.start, "primary must be the repetition");
    assert_eq!(r.secondaries(d), [("10.1.9.1", "first listed here")]);
    assert!(d.zos.as_deref().unwrap().contains("EZZ0830I"));
    assert_ignored(&r.stack, codes::HS_DUPLICATE);

    assert_applies(&run(&profile(&format!(
        "{HS} 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 10.1.9.3 BACKUP 5"
    ))));
}

#[test]
fn zha2005_destip_all_with_hot_standby() {
    let r = run(&profile(&format!("{HS} ALL")));
    let d = r.one(codes::HS_DESTIP_ALL);
    assert_eq!(r.codes(), [codes::HS_DESTIP_ALL]);
    assert_eq!(sev(d), 'E');
    assert_eq!(r.primary(d), "ALL");
    assert!(d.zos.as_deref().unwrap().contains("EZZ0165I"));
    assert_ignored(&r.stack, codes::HS_DESTIP_ALL);
    assert!(r.stack.ignored[0].targets.is_empty());

    let r = run(&profile(
        "VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.10 PORT 443 DESTIP ALL",
    ));
    r.assert_clean();
    assert_eq!(r.stack.distributions.len(), 1);
    assert!(r.stack.distributions[0].targets.is_none());
    assert_eq!(r.stack.distributions[0].method, DistMethod::RoundRobin);
}

#[test]
fn zha2006_hot_standby_keyword_with_another_method() {
    // No DISTMETHOD: BASEWLM, so PREFERRED and BACKUP are invalid. IBM
    // documents EZZ0831I only for a DISTMETHOD written out: none is cited,
    // and the rest of the block is applied.
    let r = run(&profile(
        "VIPADISTRIBUTE 10.1.1.10 PORT 443 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 100",
    ));
    let d = r.one(codes::HS_KEYWORD_OTHER_METHOD);
    assert_eq!(r.codes(), [codes::HS_KEYWORD_OTHER_METHOD]);
    assert_eq!(sev(d), 'E');
    assert_eq!(
        d.message,
        "hot-standby keyword with DISTMETHOD BASEWLM (the default)"
    );
    assert_eq!(r.primary(d), "PREFERRED");
    assert_eq!(
        r.secondaries(d),
        [
            ("BACKUP 100", "also a HOTSTANDBY keyword"),
            ("VIPADISTRIBUTE", "no DISTMETHOD: BASEWLM by default"),
        ]
    );
    assert_eq!(
        d.zos.as_deref(),
        Some(
            "z/OS does not distribute 10.1.1.10 in hot standby with this statement: without DISTMETHOD the method is BASEWLM, which has no PREFERRED or BACKUP target"
        )
    );
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("no message when DISTMETHOD is omitted"))
    );
    let st = &r.stack;
    assert!(st.distributions.is_empty());
    assert_eq!(st.ignored.len(), 1);
    assert_eq!(st.ignored[0].code, codes::HS_KEYWORD_OTHER_METHOD);
    assert_eq!(st.ignored[0].method, DistMethod::BaseWlm);
    // The VIPADEFINE after it in the block is applied.
    assert_eq!(r.vipa_addrs(), ["10.1.1.10", "10.1.1.20", "10.1.1.30"]);

    // With another method named, and later VIPADISTRIBUTEs lost too.
    let r = run("VIPADYNAMIC\n\
         \x20 VIPADEFINE 255.255.255.0 10.1.1.10 10.1.1.11\n\
         \x20 VIPADISTRIBUTE DISTMETHOD ROUNDROBIN AUTOSWITCHBACK 10.1.1.10 PORT 443 DESTIP ALL\n\
         \x20 VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.11 PORT 443 DESTIP ALL\n\
         \x20 VIPABACKUP 50 10.1.1.12\n\
         \x20 VIPADEFINE 255.255.0.255 10.1.1.13\n\
         ENDVIPADYNAMIC\n\
         VIPADYNAMIC\n\
         \x20 VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.11 PORT 80 DESTIP ALL\n\
         ENDVIPADYNAMIC\n");
    let d = r.one(codes::HS_KEYWORD_OTHER_METHOD);
    assert_eq!(d.message, "hot-standby keyword with DISTMETHOD ROUNDROBIN");
    assert_eq!(r.primary(d), "AUTOSWITCHBACK");
    assert_eq!(
        r.secondaries(d),
        [
            ("DISTMETHOD ROUNDROBIN", "the method in effect"),
            ("VIPADISTRIBUTE", "ignored by z/OS as a result"),
            ("VIPABACKUP", "ignored by z/OS as a result"),
            ("VIPADEFINE", "ignored by z/OS as a result"),
        ]
    );
    // The statement with a syntax error is lost like the others: z/OS
    // never reaches it.
    assert_eq!(
        d.zos.as_deref(),
        Some(
            "z/OS issues EZZ0831I and ignores this VIPADISTRIBUTE and the 3 later statements of the VIPADYNAMIC block (VIPADISTRIBUTE, VIPABACKUP, VIPADEFINE)"
        )
    );
    // Its syntax error is still reported, as one z/OS never reaches.
    let syn = r.one(codes::SYNTAX);
    assert_eq!(r.primary(syn), "255.255.0.255");
    assert_eq!(
        syn.zos.as_deref(),
        Some(
            "z/OS never reaches this statement, because of the EZZ0831I before it in the block; once that is fixed, this error stops processing of the VIPADYNAMIC block here"
        )
    );
    let st = &r.stack;
    assert_eq!(
        st.ignored
            .iter()
            .map(|i| (i.dvipa.value.to_string(), i.code))
            .collect::<Vec<_>>(),
        [
            ("10.1.1.10".to_owned(), codes::HS_KEYWORD_OTHER_METHOD),
            ("10.1.1.11".to_owned(), codes::HS_KEYWORD_OTHER_METHOD),
        ]
    );
    assert_eq!(r.vipa_addrs(), ["10.1.1.10", "10.1.1.11"]);
    // The later block is applied again.
    assert_eq!(st.distributions.len(), 1);
    assert_eq!(st.distributions[0].ports[0].value.lo, 80);

    // Near-identical with DISTMETHOD HOTSTANDBY: applied, nothing lost.
    assert_applies(&run(&profile(
        "VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 100",
    )));
}

#[test]
fn zha2006_names_what_follows_even_when_it_is_invalid() {
    // The tester's profile: the only statements after the EZZ0831I are a
    // VIPADEFINE and a VIPADISTRIBUTE with a syntax error (BACKUP 255).
    let r = run(crate::ZHA2006_LOST_REST);
    assert_eq!(r.codes(), [codes::RANGE, codes::HS_KEYWORD_OTHER_METHOD]);
    let d = r.one(codes::HS_KEYWORD_OTHER_METHOD);
    let zos = d.zos.as_deref().unwrap();
    assert_eq!(
        zos,
        "z/OS issues EZZ0831I and ignores this VIPADISTRIBUTE and the 2 later statements of the VIPADYNAMIC block (VIPADEFINE, VIPADISTRIBUTE)"
    );
    assert!(!zos.contains("nothing follows"), "{zos}");
    let lost: Vec<_> = d
        .labels
        .iter()
        .filter(|l| l.message == "ignored by z/OS as a result")
        .map(|l| r.sources.file(r.file).line_col(l.span.range().start).line)
        .collect();
    assert_eq!(lost, [5, 6]);
    // BACKUP 255 is reported, but not as where z/OS stops: z/OS never gets
    // there, and the finding points back at the EZZ0831I.
    let syn = r.one(codes::RANGE);
    assert_eq!(r.primary(syn), "255");
    let szos = syn.zos.as_deref().unwrap();
    assert!(
        szos.starts_with("z/OS never reaches this statement"),
        "{szos}"
    );
    assert!(!szos.contains("no statement follows"), "{szos}");
    assert_eq!(
        r.secondaries(syn),
        [(
            "PREFERRED",
            "EZZ0831I here (ZHA2006): z/OS ignores the rest of the block from this statement on"
        )]
    );
    // Only the first VIPADEFINE is applied; the distribution z/OS rejects
    // is recorded as ignored (the unreadable one cannot be).
    assert_eq!(r.vipa_addrs(), ["10.0.0.10"]);
    assert!(r.stack.distributions.is_empty());
    assert_eq!(
        r.stack
            .ignored
            .iter()
            .map(|i| (i.dvipa.value.to_string(), i.code))
            .collect::<Vec<_>>(),
        [("10.0.0.10".to_owned(), codes::HS_KEYWORD_OTHER_METHOD)]
    );

    // The EZZ0831I statement last in its block: nothing follows, and the
    // note says so.
    let r = run("VIPADYNAMIC\n\
         \x20 VIPADEFINE 255.255.255.0 10.0.0.10\n\
         \x20 VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.0.0.10 PORT 443 DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP\n\
         ENDVIPADYNAMIC\n");
    let d = r.one(codes::HS_KEYWORD_OTHER_METHOD);
    assert!(d.zos.as_deref().unwrap().ends_with("; none follows it"));

    // A syntax error before the EZZ0831I statement: z/OS stops there, never
    // reaches the VIPADISTRIBUTE, and no ZHA2006 is given.
    let r = run("VIPADYNAMIC\n\
         \x20 VIPADEFINE 255.255.0.255 10.0.0.10\n\
         \x20 VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.0.0.10 PORT 443 DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP\n\
         \x20 VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443 DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 300\n\
         ENDVIPADYNAMIC\n");
    assert_eq!(r.codes(), [codes::SYNTAX, codes::RANGE]);
    let first = r.diagnostics()[0];
    assert!(
        first.zos.as_deref().unwrap().starts_with(
            "z/OS stops processing this VIPADYNAMIC block here: the 2 later statements"
        )
    );
    // The second error is after the first, not after an EZZ0831I.
    assert!(r.diagnostics()[1].zos.is_none());
}

#[test]
fn zha2011_distributed_dvipa_not_defined() {
    let r = run(&profile(
        "VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.99 PORT 443 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP",
    ));
    let d = r.one(codes::DVIPA_NOT_DEFINED);
    assert_eq!(r.codes(), [codes::DVIPA_NOT_DEFINED]);
    assert_eq!(sev(d), 'E');
    assert_eq!(r.primary(d), "10.1.1.99");
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("VIPADEFINE 255.255.255.0 10.1.1.99")
    );
    // z/OS has no message of its own for this: none is cited.
    assert!(!d.zos.as_deref().unwrap_or("").contains("EZZ"));
    assert!(r.stack.distributions.is_empty());
    assert_eq!(r.stack.ignored.len(), 1);
    assert_eq!(r.stack.ignored[0].code, codes::DVIPA_NOT_DEFINED);
    assert_eq!(r.stack.ignored[0].targets.len(), 2);

    // An IPv6 interface name nobody defined.
    let r = run(
        "VIPADYNAMIC\n VIPADISTRIBUTE DISTMETHOD HOTSTANDBY DVIPA6 DESTIP 2001:db8::1 PREFERRED 2001:db8::2 BACKUP\nENDVIPADYNAMIC\n",
    );
    let d = r.one(codes::DVIPA_NOT_DEFINED);
    assert_eq!(r.primary(d), "DVIPA6");
    assert_eq!(r.stack.ignored[0].code, codes::DVIPA_NOT_DEFINED);

    // Defined by VIPABACKUP (a backup distributor) before it: fine (after
    // it: see zha2011_vipadistribute_before_the_definition).
    let r = run(
        "VIPADYNAMIC\n VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.99\n\
         \x20VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.99 PORT 443 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP\n\
         ENDVIPADYNAMIC\n",
    );
    r.assert_clean();
    assert_eq!(
        r.stack.vipa(ip("10.1.1.99")).map(|v| v.owner),
        Some(VipaOwner::Backup(100))
    );
    assert_eq!(r.stack.distributions.len(), 1);
    assert_applies(&run(&profile(
        "VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP",
    )));
    // Gone again after VIPADELETE: the distribution goes with it.
    let r = run(&profile(&format!(
        "{HS} 10.1.9.1 PREFERRED 10.1.9.2 BACKUP\n  VIPADELETE 10.1.1.10"
    )));
    r.assert_clean();
    assert!(r.stack.distributions.is_empty());
    assert_eq!(r.vipa_addrs(), ["10.1.1.20", "10.1.1.30"]);
}

#[test]
fn zha2015_equal_backup_ranks() {
    let r = run(&profile(&format!(
        "{HS} 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 50 10.1.9.3 BACKUP 50"
    )));
    let d = r.one(codes::EQUAL_RANKS);
    assert_eq!(r.codes(), [codes::EQUAL_RANKS]);
    assert_eq!(sev(d), 'W');
    assert_eq!(
        d.message,
        "BACKUP targets 10.1.9.2 and 10.1.9.3 have the same rank 50"
    );
    assert_eq!(r.primary(d), "BACKUP 50");
    assert!(d.labels[0].span.start > d.labels[1].span.start);
    assert_eq!(r.secondaries(d), [("BACKUP 50", "rank 50 too")]);
    assert!(d.notes[0].contains("tries 10.1.9.2 first"));
    assert!(d.zos.is_none(), "z/OS says nothing about equal ranks");
    // A warning: the statement is applied, in DESTIP order for equal ranks.
    assert_eq!(r.stack.distributions.len(), 1);
    assert!(r.stack.ignored.is_empty());
    assert_eq!(
        r.stack.distributions[0]
            .backups()
            .iter()
            .map(|t| t.addr.value)
            .collect::<Vec<_>>(),
        [ip("10.1.9.2"), ip("10.1.9.3")]
    );
    // BACKUP without a rank is rank 1, twice.
    let r = run(&profile(&format!(
        "{HS} 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 10.1.9.3 BACKUP"
    )));
    let d = r.one(codes::EQUAL_RANKS);
    assert_eq!(r.primary(d), "BACKUP");
    // Not when the statement is ignored for another reason.
    let r = run(&profile(&format!(
        "{HS} 10.1.9.1 PREFERRED 10.1.9.1 BACKUP 50 10.1.9.3 BACKUP 50"
    )));
    assert_eq!(r.codes(), [codes::HS_DUPLICATE]);

    let r = run(&profile(&format!(
        "{HS} 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 50 10.1.9.3 BACKUP 60"
    )));
    assert_applies(&r);
    assert_eq!(
        r.stack.distributions[0]
            .backups()
            .iter()
            .map(|t| t.addr.value)
            .collect::<Vec<_>>(),
        [ip("10.1.9.3"), ip("10.1.9.2")]
    );
    assert_eq!(
        r.stack.distributions[0].targets.as_ref().unwrap()[2].role,
        Role::Backup {
            rank: 60,
            rank_given: true
        }
    );
}

#[test]
fn zha2016_dvipa_is_a_home_or_dynamicxcf_address() {
    for (addr_line, own, label) in [
        ("HOME 10.1.1.10 OSAL", "10.1.1.10", "HOME"),
        (
            "IPCONFIG DYNAMICXCF 10.1.1.10 255.255.255.0 1",
            "10.1.1.10",
            "DYNAMICXCF",
        ),
        (
            "INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1 IPADDR 10.1.1.10/24",
            "10.1.1.10/24",
            "INTERFACE",
        ),
    ] {
        // The address statement after the block: order does not matter.
        let src = format!(
            "VIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.1.1.10 10.1.1.11\n\
             \x20 VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.10 PORT 443 DESTIP ALL\n\
             ENDVIPADYNAMIC\n{addr_line}\n"
        );
        let r = run(&src);
        let d = r.one(codes::DVIPA_IS_HOME);
        assert_eq!(sev(d), 'E');
        assert_eq!(
            d.message,
            "DVIPA 10.1.1.10 is also a home or DYNAMICXCF address of this stack"
        );
        assert_eq!(r.primary(d), "10.1.1.10", "{label}");
        assert_eq!(
            r.secondaries(d),
            [(own, "already an address of this stack")],
            "{label}"
        );
        assert!(
            d.zos
                .as_deref()
                .unwrap()
                .contains("EZZ8307I 10.1.1.10 IS ALREADY DEFINED")
        );
        // Dropped from the VIPADEFINE; the other address stays. The
        // distribution then has no DVIPA on this stack.
        assert_eq!(r.vipa_addrs(), ["10.1.1.11"], "{label}");
        assert_eq!(
            r.stack
                .rejected_vipas
                .iter()
                .map(|a| a.value)
                .collect::<Vec<_>>(),
            [ip("10.1.1.10")]
        );
        assert_eq!(
            r.codes(),
            [codes::DVIPA_IS_HOME, codes::DVIPA_NOT_DEFINED],
            "{label}"
        );
        assert!(r.stack.distributions.is_empty());
    }
    // A VIPABACKUP of the DYNAMICXCF address too.
    let r = run(
        "IPCONFIG DYNAMICXCF 10.1.9.1 255.255.255.0 1\nVIPADYNAMIC\n VIPABACKUP 10.1.9.1\nENDVIPADYNAMIC\n",
    );
    let d = r.one(codes::DVIPA_IS_HOME);
    assert!(r.secondaries(d)[0].0 == "10.1.9.1");
    assert!(d.zos.as_deref().unwrap().contains("from the VIPABACKUP"));

    // Near-identical, different address: clean.
    let r = run(
        "VIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.1.1.10 10.1.1.11\nENDVIPADYNAMIC\nHOME 10.1.1.12 OSAL\n",
    );
    r.assert_clean();
    assert_eq!(r.vipa_addrs(), ["10.1.1.10", "10.1.1.11"]);
}

#[test]
fn zha2017_dvipa_defined_twice() {
    let r = run("VIPADYNAMIC\n\
         \x20 VIPADEFINE 255.255.255.0 10.1.1.10\n\
         \x20 VIPABACKUP 50 10.1.1.20\n\
         ENDVIPADYNAMIC\n\
         VIPADYNAMIC\n\
         \x20 VIPABACKUP 100 10.1.1.10\n\
         ENDVIPADYNAMIC\n");
    let d = r.one(codes::DVIPA_DEFINED_TWICE);
    assert_eq!(r.codes(), [codes::DVIPA_DEFINED_TWICE]);
    assert_eq!(sev(d), 'E');
    assert_eq!(
        d.message,
        "10.1.1.10 is defined a second time in this profile without a VIPADELETE before it"
    );
    assert_eq!(r.primary(d), "10.1.1.10");
    assert_eq!(d.labels[0].message, "second definition by VIPABACKUP");
    assert_eq!(r.secondaries(d), [("10.1.1.10", "first defined here")]);
    assert!(d.labels[1].span.start < d.labels[0].span.start);
    assert!(d.help.as_deref().unwrap().contains("VIPADELETE 10.1.1.10"));
    assert_eq!(
        d.zos.as_deref(),
        Some("z/OS rejects the second definition; the first stays in effect")
    );
    // The first definition stays in effect.
    assert_eq!(r.vipa_addrs(), ["10.1.1.10", "10.1.1.20"]);
    assert_eq!(
        r.stack.vipa(ip("10.1.1.10")).map(|v| v.owner),
        Some(VipaOwner::Define)
    );
    assert_eq!(r.stack.rejected_vipas.len(), 1);
    // Also within one statement.
    let r = run("VIPADYNAMIC\n VIPADEFINE 255.255.255.0 10.1.1.10 10.1.1.10\nENDVIPADYNAMIC\n");
    assert_eq!(
        r.one(codes::DVIPA_DEFINED_TWICE).labels[0].message,
        "second definition by VIPADEFINE"
    );

    // With a VIPADELETE before the second: clean, and the second applies.
    let r = run("VIPADYNAMIC\n\
         \x20 VIPADEFINE 255.255.255.0 10.1.1.10\n\
         \x20 VIPABACKUP 50 10.1.1.20\n\
         ENDVIPADYNAMIC\n\
         VIPADYNAMIC\n\
         \x20 VIPADELETE 10.1.1.10\n\
         \x20 VIPABACKUP 100 10.1.1.10\n\
         ENDVIPADYNAMIC\n");
    r.assert_clean();
    assert_eq!(r.vipa_addrs(), ["10.1.1.20", "10.1.1.10"]);
    assert_eq!(
        r.stack.vipa(ip("10.1.1.10")).map(|v| v.owner),
        Some(VipaOwner::Backup(100))
    );
}

#[test]
fn vipadistribute_delete_removes_a_distribution() {
    let base = "VIPADYNAMIC\n\
                \x20 VIPADEFINE 255.255.255.0 10.1.1.10\n\
                \x20 VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.10 PORT 443 DESTIP ALL\n\
                \x20 VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.10 PORT 80 DESTIP ALL\n";
    for (delete, left, nothing) in [
        ("VIPADISTRIBUTE DELETE 10.1.1.10 PORT 443", vec![80], false),
        ("VIPADISTRIBUTE DELETE 10.1.1.10", vec![], false),
        (
            "VIPADISTRIBUTE DELETE 10.1.1.10 PORT 8080",
            vec![443, 80],
            true,
        ),
        (
            "VIPADISTRIBUTE DELETE 10.1.1.99 PORT 443",
            vec![443, 80],
            true,
        ),
    ] {
        let r = run(&format!("{base}  {delete}\nENDVIPADYNAMIC\n"));
        if nothing {
            assert_eq!(r.codes(), [codes::DELETE_NOTHING], "{delete}");
        } else {
            r.assert_clean();
        }
        let ports: Vec<u16> = r
            .stack
            .distributions
            .iter()
            .map(|d| d.ports[0].value.lo)
            .collect();
        assert_eq!(ports, left, "{delete}");
    }
}

#[test]
fn stack_addresses_and_sysplex_routing() {
    let r = run(
        "IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.9.1 255.255.255.0 1\n\
         IPCONFIG NOSYSPLEXROUTING\n\
         HOME 10.1.5.1 OSAL\n",
    );
    r.assert_clean();
    assert!(r.stack.sysplex_routing.is_none(), "NOSYSPLEXROUTING wins");
    assert_eq!(r.text(r.stack.ipconfig.unwrap()), "IPCONFIG");
    assert_eq!(r.stack.ipconfig.unwrap().start, 0);
    let own: Vec<IpAddr> = r.stack.own_addresses().map(|a| a.value).collect();
    assert_eq!(own, [ip("10.1.5.1"), ip("10.1.9.1")]);
    assert!(r.stack.is_dynamic_xcf(ip("10.1.9.1")) && !r.stack.is_dynamic_xcf(ip("10.1.5.1")));
    // NODYNAMICXCF clears it.
    let r = run("IPCONFIG DYNAMICXCF 10.1.9.1 255.255.255.0 1\nIPCONFIG NODYNAMICXCF\n");
    assert!(r.stack.dynamic_xcf.is_none());
}

/// A stack that distributes 10.1.1.10 on 443 and 7554 to 10.1.9.1
/// (PREFERRED), 10.1.9.2 (BACKUP 100) and 10.1.9.3 (BACKUP 50), then the
/// given statements in the same block.
fn with_delete(after: &str) -> Run {
    run(&format!(
        "VIPADYNAMIC\n\
         \x20 VIPADEFINE 255.255.255.0 10.1.1.10\n\
         \x20 VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443 7554\n\
         \x20   DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 100 10.1.9.3 BACKUP 50\n\
         \x20 {after}\n\
         ENDVIPADYNAMIC\n"
    ))
}

fn ports_of(ports: &[zha_diag::Located<zha_tcpip::PortRange>]) -> Vec<(u16, u16)> {
    ports.iter().map(|p| (p.value.lo, p.value.hi)).collect()
}

fn target_addrs(t: &Option<Vec<zha_tcpip::Target>>) -> Vec<String> {
    t.iter()
        .flatten()
        .map(|t| t.addr.value.to_string())
        .collect()
}

#[test]
fn vipadistribute_delete_of_one_port_leaves_the_others() {
    let r = with_delete("VIPADISTRIBUTE DELETE 10.1.1.10 PORT 7554");
    r.assert_clean();
    let st = &r.stack;
    assert_eq!(st.distributions.len(), 1);
    assert_eq!(ports_of(&st.distributions[0].ports), [(443, 443)]);
    assert_eq!(target_addrs(&st.distributions[0].targets).len(), 3);
    // The record points at the DELETE and holds what it removed.
    assert_eq!(st.deleted.len(), 1);
    let del = &st.deleted[0];
    assert!(del.whole);
    assert_eq!(del.by, "VIPADISTRIBUTE DELETE");
    assert_eq!(
        r.text(del.span),
        "VIPADISTRIBUTE DELETE 10.1.1.10 PORT 7554"
    );
    assert_eq!(ports_of(&del.removed.ports), [(7554, 7554)]);
    assert_eq!(del.removed.dvipa.value, ip("10.1.1.10"));
    assert_eq!(del.removed.method, DistMethod::HotStandby);
    // `removed.keyword` is the defining VIPADISTRIBUTE's.
    assert_eq!(del.removed.keyword, st.distributions[0].keyword);
    assert!(st.ignored.is_empty());

    // Without PORT: every port goes.
    let r = with_delete("VIPADISTRIBUTE DELETE 10.1.1.10");
    r.assert_clean();
    assert!(r.stack.distributions.is_empty());
    assert_eq!(
        ports_of(&r.stack.deleted[0].removed.ports),
        [(443, 443), (7554, 7554)]
    );
    // A port the distribution does not have: nothing changes, nothing recorded.
    let r = with_delete("VIPADISTRIBUTE DELETE 10.1.1.10 PORT 8080");
    assert_eq!(
        ports_of(&r.stack.distributions[0].ports),
        [(443, 443), (7554, 7554)]
    );
    assert!(r.stack.deleted.is_empty());
}

#[test]
fn vipadistribute_delete_inside_a_port_range() {
    let r = run("VIPADYNAMIC\n\
         \x20 VIPADEFINE 255.255.255.0 10.1.1.10\n\
         \x20 VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.10 PORT 8000-8010 DESTIP ALL\n\
         \x20 VIPADISTRIBUTE DELETE 10.1.1.10 PORT 8005 8010\n\
         ENDVIPADYNAMIC\n");
    r.assert_clean();
    assert_eq!(
        ports_of(&r.stack.distributions[0].ports),
        [(8000, 8004), (8006, 8009)]
    );
    assert_eq!(
        ports_of(&r.stack.deleted[0].removed.ports),
        [(8005, 8005), (8010, 8010)]
    );
    // Decision: a DELETE that names ports leaves a distribution of every
    // port alone, and one that names DESTIPs leaves DESTIP ALL alone.
    let r = run("VIPADYNAMIC\n\
         \x20 VIPADEFINE 255.255.255.0 10.1.1.10\n\
         \x20 VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.10 DESTIP ALL\n\
         \x20 VIPADISTRIBUTE DELETE 10.1.1.10 PORT 8005\n\
         \x20 VIPADISTRIBUTE DELETE 10.1.1.10 DESTIP 10.1.9.1\n\
         ENDVIPADYNAMIC\n");
    // Each DELETE is said to remove nothing.
    assert_eq!(r.codes(), [codes::DELETE_NOTHING, codes::DELETE_NOTHING]);
    assert_eq!(r.stack.distributions.len(), 1);
    assert!(r.stack.distributions[0].ports.is_empty());
    assert!(r.stack.deleted.is_empty());
}

#[test]
fn vipadistribute_delete_of_some_targets_rejudges_the_rest() {
    // Removing one of two backups on 7554: 443 keeps all three targets,
    // 7554 keeps the preferred one and a backup; no finding.
    let r = with_delete("VIPADISTRIBUTE DELETE 10.1.1.10 PORT 7554 DESTIP 10.1.9.3");
    r.assert_clean();
    let st = &r.stack;
    let by_port: Vec<((u16, u16), Vec<String>)> = st
        .distributions
        .iter()
        .map(|d| (ports_of(&d.ports)[0], target_addrs(&d.targets)))
        .collect();
    assert_eq!(
        by_port,
        [
            (
                (443, 443),
                vec!["10.1.9.1".into(), "10.1.9.2".into(), "10.1.9.3".into()]
            ),
            ((7554, 7554), vec!["10.1.9.1".into(), "10.1.9.2".into()]),
        ]
    );
    let del = &st.deleted[0];
    assert!(!del.whole);
    assert_eq!(target_addrs(&del.removed.targets), ["10.1.9.3"]);
    assert_eq!(ports_of(&del.removed.ports), [(7554, 7554)]);

    // Removing both backups on every port: what remains has no BACKUP, and
    // ZHA2002 says so, pointing at the DELETE; no z/OS message is cited.
    let r = with_delete("VIPADISTRIBUTE DELETE 10.1.1.10 DESTIP 10.1.9.2 10.1.9.3");
    let d = r.one(codes::HS_ROLE_COUNT);
    assert_eq!(r.codes(), [codes::HS_ROLE_COUNT]);
    assert_eq!(
        d.message,
        "after VIPADISTRIBUTE DELETE: no target is a BACKUP"
    );
    assert_eq!(r.primary(d), "VIPADISTRIBUTE");
    assert!(
        r.secondaries(d)
            .contains(&("VIPADISTRIBUTE", "this DELETE removed targets"))
    );
    assert_eq!(d.zos, None);
    assert!(
        d.notes[0].contains("10.1.1.10 port 443 7554"),
        "{:?}",
        d.notes
    );
    let st = &r.stack;
    assert!(st.distributions.is_empty());
    assert_eq!(st.ignored.len(), 1);
    assert_eq!(st.ignored[0].code, codes::HS_ROLE_COUNT);
    assert_eq!(st.ignored[0].targets.len(), 1);
    assert_eq!(st.deleted.len(), 1);
    assert!(!st.deleted[0].whole);

    // Removing every target: the distribution of those ports is gone.
    let r =
        with_delete("VIPADISTRIBUTE DELETE 10.1.1.10 PORT 443 DESTIP 10.1.9.1 10.1.9.2 10.1.9.3");
    r.assert_clean();
    assert_eq!(ports_of(&r.stack.distributions[0].ports), [(7554, 7554)]);
    assert!(r.stack.deleted[0].whole);
    // A DESTIP the distribution does not have: nothing changes, and a
    // warning says the DELETE removes nothing.
    let r = with_delete("VIPADISTRIBUTE DELETE 10.1.1.10 DESTIP 10.1.9.9");
    assert_eq!(r.codes(), [codes::DELETE_NOTHING]);
    assert!(r.stack.deleted.is_empty());
    assert_eq!(target_addrs(&r.stack.distributions[0].targets).len(), 3);
}

#[test]
fn vipadelete_records_the_distributions_it_removes() {
    let r = with_delete("VIPADELETE 10.1.1.10");
    r.assert_clean();
    assert!(r.stack.distributions.is_empty());
    let del = &r.stack.deleted[0];
    assert_eq!(del.by, "VIPADELETE");
    assert!(del.whole);
    assert_eq!(r.text(del.keyword), "VIPADELETE");
    assert_eq!(ports_of(&del.removed.ports), [(443, 443), (7554, 7554)]);
}

#[test]
fn zha2011_vipadistribute_before_the_definition() {
    let dist = "VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP";
    for def in [
        "VIPADEFINE 255.255.255.0 10.1.1.10",
        "VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.10",
    ] {
        let r = run(&format!("VIPADYNAMIC\n  {dist}\n  {def}\nENDVIPADYNAMIC\n"));
        let d = r.one(codes::DVIPA_NOT_DEFINED);
        assert_eq!(r.codes(), [codes::DVIPA_NOT_DEFINED], "{def}");
        assert_eq!(sev(d), 'E');
        assert_eq!(
            d.message,
            "VIPADISTRIBUTE for 10.1.1.10 comes before the definition of 10.1.1.10"
        );
        assert_eq!(r.primary(d), "10.1.1.10");
        let keyword = def.split(' ').next().unwrap();
        assert_eq!(
            r.secondaries(d),
            [(keyword, "defined only here, after the VIPADISTRIBUTE")]
        );
        assert!(d.notes[0].contains("first defined with the VIPADEFINE statement"));
        assert!(!d.zos.as_deref().unwrap().contains("EZZ"));
        // The DVIPA is defined; the distribution is not in effect.
        assert_eq!(r.vipa_addrs(), ["10.1.1.10"]);
        assert!(r.stack.distributions.is_empty());
        assert_eq!(r.stack.ignored[0].code, codes::DVIPA_NOT_DEFINED);
    }
    // In a later block too.
    let r = run(&format!(
        "VIPADYNAMIC\n  {dist}\nENDVIPADYNAMIC\nVIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.1.1.10\nENDVIPADYNAMIC\n"
    ));
    assert!(
        r.one(codes::DVIPA_NOT_DEFINED)
            .message
            .contains("comes before")
    );
    // IPv6: the interface defined after its VIPADISTRIBUTE.
    let r = run(
        "VIPADYNAMIC\n VIPADISTRIBUTE DISTMETHOD HOTSTANDBY DVIPA6 DESTIP 2001:db8::1 PREFERRED 2001:db8::2 BACKUP\n VIPADEFINE DVIPA6 2001:db8::10\nENDVIPADYNAMIC\n",
    );
    let d = r.one(codes::DVIPA_NOT_DEFINED);
    assert_eq!(
        d.message,
        "VIPADISTRIBUTE for DVIPA6 comes before the definition of DVIPA6"
    );
    // The right order: clean.
    let r = run(&format!(
        "VIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.1.1.10\n  {dist}\nENDVIPADYNAMIC\n"
    ));
    r.assert_clean();
    assert_eq!(r.stack.distributions.len(), 1);
    // Defined before, deleted, defined again after: the distribution in
    // between is for a DVIPA the stack does not have.
    let r = run(&format!(
        "VIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.1.1.10\n  VIPADELETE 10.1.1.10\n  {dist}\n  VIPADEFINE 255.255.255.0 10.1.1.10\nENDVIPADYNAMIC\n"
    ));
    assert!(
        r.one(codes::DVIPA_NOT_DEFINED)
            .message
            .contains("comes before")
    );
}

#[test]
fn zha2020_vipabackup_without_moveable_for_a_distributed_dvipa() {
    let dist = "VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP";
    let r = run(&format!(
        "VIPADYNAMIC\n  VIPABACKUP 100 10.1.1.10\n  {dist}\nENDVIPADYNAMIC\n"
    ));
    let d = r.one(codes::BACKUP_NOT_MOVEABLE);
    assert_eq!(r.codes(), [codes::BACKUP_NOT_MOVEABLE]);
    assert_eq!(sev(d), 'W');
    assert_eq!(
        d.message,
        "VIPABACKUP of 10.1.1.10 without MOVEABLE on a stack that distributes 10.1.1.10"
    );
    assert_eq!(r.primary(d), "10.1.1.10");
    assert_eq!(
        r.secondaries(d),
        [
            (
                "VIPABACKUP",
                "this VIPABACKUP only takes over an existing DVIPA"
            ),
            ("10.1.1.10", "distributed here"),
        ]
    );
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("MOVEABLE IMMEDIATE mask 10.1.1.10")
    );
    assert!(d.notes[0].contains("433874"));
    // The distribution itself is in effect.
    assert_eq!(r.stack.distributions.len(), 1);
    // A distribution that z/OS ignores still counts: both are reported.
    let r = run(
        "VIPADYNAMIC\n  VIPABACKUP 100 10.1.1.10\n  VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443 DESTIP 10.1.9.1 PREFERRED\nENDVIPADYNAMIC\n",
    );
    assert_eq!(
        r.codes(),
        [codes::HS_ROLE_COUNT, codes::BACKUP_NOT_MOVEABLE]
    );

    // Not triggered: MOVEABLE, no distribution of it, or VIPADEFINE.
    for clean in [
        format!(
            "VIPADYNAMIC\n  VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.10\n  {dist}\nENDVIPADYNAMIC\n"
        ),
        "VIPADYNAMIC\n  VIPABACKUP 100 10.1.1.10\nENDVIPADYNAMIC\n".to_owned(),
        format!(
            "VIPADYNAMIC\n  VIPABACKUP 100 10.1.1.11\n  VIPADEFINE 255.255.255.0 10.1.1.10\n  {dist}\nENDVIPADYNAMIC\n"
        ),
        format!("VIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.1.1.10\n  {dist}\nENDVIPADYNAMIC\n"),
    ] {
        run(&clean).assert_clean();
    }
}

#[test]
fn a_delete_that_matches_nothing_is_said_to_remove_nothing() {
    let base = "IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.1.1 255.255.255.0 1\nVIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.0.0.10\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443 DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP\n";
    // A typo in the port: nothing is removed, and the finding says so.
    let r = run(&format!(
        "{base}  VIPADISTRIBUTE DELETE 10.0.0.10 PORT 4443\nENDVIPADYNAMIC\n"
    ));
    let (stack, diags) = (&r.stack, &r.applied);
    let d: Vec<_> = diags
        .iter()
        .filter(|d| d.code == codes::DELETE_NOTHING)
        .collect();
    assert_eq!(d.len(), 1, "{diags:?}");
    assert_eq!(
        d[0].message,
        "VIPADISTRIBUTE DELETE of 10.0.0.10 PORT 4443 matches no distribution in effect: it removes nothing"
    );
    assert_eq!(stack.distributions.len(), 1);
    // One that removes the port: no such finding.
    let r = run(&format!(
        "{base}  VIPADISTRIBUTE DELETE 10.0.0.10 PORT 443\nENDVIPADYNAMIC\n"
    ));
    let (stack, diags) = (&r.stack, &r.applied);
    assert!(
        !diags.iter().any(|d| d.code == codes::DELETE_NOTHING),
        "{diags:?}"
    );
    assert!(stack.distributions.is_empty());
}

/// Strip the spans: what a distribution means.
fn meaning(d: &zha_tcpip::Distribution) -> String {
    let ports: Vec<(u16, u16)> = d.ports.iter().map(|p| (p.value.lo, p.value.hi)).collect();
    // (A rank written or the default one means the same.)
    let targets: Vec<(IpAddr, String)> = d
        .targets
        .iter()
        .flatten()
        .map(|t| {
            let role = match t.role {
                Role::Backup { rank, .. } => format!("BACKUP {rank}"),
                other => format!("{other:?}"),
            };
            (t.addr.value, role)
        })
        .collect();
    format!(
        "{} {:?} {} {} {ports:?} {targets:?}",
        d.dvipa.value, d.method, d.switchback, d.healthswitch
    )
}

#[test]
fn a_rendered_statement_applies_as_the_original() {
    let many: String = (0..14).map(|i| format!(" {}", 8000 + 2 * i)).collect();
    for dist in [
        format!("{HS} 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 100 10.1.9.3 BACKUP"),
        "VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY NOAUTOSWITCHBACK NOHEALTHSWITCH 10.1.1.10 PORT 443 8000-8010 DESTIP 10.1.9.2 BACKUP 7 10.1.9.1 PREFERRED".to_owned(),
        format!("VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT{many} DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 2"),
    ] {
        let r = run(&profile(&dist));
        assert_applies(&r);
        let original = &r.stack.distributions[0];
        let text = original.statement().expect("hot standby renders");
        let again = run(&profile(&text));
        assert_applies(&again);
        assert_eq!(
            meaning(&again.stack.distributions[0]),
            meaning(original),
            "{text}"
        );
        assert!(text.lines().all(|l| l.len() <= 71), "{text}");
    }
    // Other methods are not rendered.
    let r = run(&profile(
        "VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.10 PORT 443 DESTIP 10.1.9.1 10.1.9.2",
    ));
    assert_eq!(r.stack.distributions.len(), 1);
    assert!(r.stack.distributions[0].statement().is_none());
}

/// What NETSTAT VIPADCFG shows besides the roles: each DVIPA's prefix
/// length from its mask, and SYSPLEXPORTS, TIMEDAFFINITY and OPTLOCAL.
#[test]
fn prefix_lengths_and_the_distribution_options_are_kept() {
    let r = run(&profile(
        "VIPADISTRIBUTE DISTMETHOD HOTSTANDBY SYSPLEXPORTS TIMEDAFFINITY 30 OPTLOCAL 2 10.1.1.10 PORT 443 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 50",
    ));
    let d = &r.stack.distributions[0];
    assert!(d.sysplexports);
    assert_eq!((d.timedaffinity, d.optlocal), (30, Some(2)));
    assert_eq!(r.stack.vipas[0].prefix_len, Some(24));
    let r = run(&profile(&format!(
        "{HS} 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 50"
    )));
    let d = &r.stack.distributions[0];
    assert!(!d.sysplexports);
    assert_eq!((d.timedaffinity, d.optlocal), (0, None));
    let r = run(
        "VIPADYNAMIC\n VIPADEFINE 255.255.240.0 10.1.1.10\n VIPABACKUP 9 MOVEABLE IMMEDIATE 255.255.255.128 10.1.1.11\nENDVIPADYNAMIC\n",
    );
    let lens: Vec<Option<u8>> = r.stack.vipas.iter().map(|v| v.prefix_len).collect();
    assert_eq!(lens, [Some(20), Some(25)]);
}
