//! PORT and PORTRANGE: what the parser reads, what z/OS keeps, and
//! `Stack::port_access`, the question ZHA2019 asks ("may the z/OSMF server
//! listen on its port?"), for every form of reservation, triggered and not.

use std::net::IpAddr;

use zha_tcpip::codes;
use zha_tcpip::{PortAccess, PortOwner, Protocol, SharePort, StmtKind};

use crate::{Run, run, sev};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The texts of the entries that decide, for a `Blocked` or `Unresolved`
/// answer; the one entry for `Allowed` and `Saf`.
fn by(r: &Run, a: &PortAccess) -> Vec<String> {
    let spans = match a {
        PortAccess::Allowed { by, .. }
        | PortAccess::Saf { by, .. }
        | PortAccess::LowPort { by } => {
            vec![*by]
        }
        PortAccess::Blocked { by } | PortAccess::Unresolved { by } => by.clone(),
        PortAccess::Free => Vec::new(),
    };
    spans.iter().map(|s| r.text(*s).to_owned()).collect()
}

fn access(src: &str, port: u16, job: &str) -> (Run, PortAccess) {
    let r = run(src);
    r.assert_clean();
    let a = r.stack.port_access(port, job);
    (r, a)
}

#[test]
fn entries_are_read_with_their_options() {
    let r = run("PORT\n\
         \x20  20 TCP *        NOAUTOLOG\n\
         \x20  23 TCP INETD1   BIND 9.67.113.3\n\
         \x20 443 TCP IZUSVR1  DELAYACKS SHAREPORT SAF ZOSMF\n\
         \x20 443 UDP RESERVED\n\
         \x208080 tcp wassr*   sharePortWLM nosmc\n\
         \x20 UNRSV TCP * DENY\n\
         \x20 UNRSV TCP ZWE1* SAF ZWEPORTS WHENBIND\n");
    r.assert_clean();
    let StmtKind::Port(list) = &r.statements()[0].kind else {
        panic!("{:?}", r.statements()[0].kind)
    };
    assert!(!list.range && !list.delete);
    let e = &list.entries;
    assert_eq!(e.len(), 7);
    assert_eq!(r.text(e[0].span), "20 TCP *        NOAUTOLOG");
    assert_eq!(e[0].owner.value, PortOwner::Job("*".into()));
    assert_eq!(e[0].options[0].value, "NOAUTOLOG");
    assert_eq!(e[1].bind.map(|b| b.value), Some(ip("9.67.113.3")));
    assert_eq!(e[2].ports.unwrap().value.lo, 443);
    assert_eq!(e[2].share.map(|s| s.value), Some(SharePort::Share));
    assert_eq!(e[2].saf.as_ref().map(|s| s.value.as_str()), Some("ZOSMF"));
    assert_eq!(e[3].protocol.value, Protocol::Udp);
    assert_eq!(e[3].owner.value, PortOwner::Reserved);
    // Lower case is read as upper case.
    assert_eq!(e[4].owner.value, PortOwner::Job("WASSR*".into()));
    assert_eq!(e[4].share.map(|s| s.value), Some(SharePort::ShareWlm));
    assert!(e[5].unrsv.is_some() && e[5].ports.is_none() && e[5].deny.is_some());
    assert!(e[6].when_bind.is_some());
    assert_eq!(r.stack.reservations.len(), 7);
    // Printed back as written.
    assert!(
        r.parsed
            .profile
            .to_string()
            .starts_with("PORT 20 TCP * NOAUTOLOG 23 TCP")
    );
}

#[test]
fn portrange_entries() {
    let r = run("PORTRANGE 10000 2000 TCP OMVS\n\
         PORTR 65000 1000 TCP RESERVED 50000 100 UDP AUTHPORT 4000 10 TCP ZWE1* SAF RNG\n");
    r.assert_clean();
    let res = &r.stack.reservations;
    assert_eq!(res.len(), 4);
    assert!(res.iter().all(|e| e.range));
    let p = res[0].ports.unwrap();
    assert_eq!((p.value.lo, p.value.hi), (10000, 11999));
    assert_eq!(r.text(p.span), "10000 2000");
    // Past 65535 the range is cut.
    let p = res[1].ports.unwrap().value;
    assert_eq!((p.lo, p.hi), (65000, 65535));
    assert_eq!(res[2].owner.value, PortOwner::AuthPort);
    assert_eq!(res[3].saf.as_ref().unwrap().value, "RNG");
}

#[test]
fn malformed_entries_warn_and_are_left_out() {
    for (src, at, message) in [
        (
            "PORT 443 IZUSVR1\n",
            "IZUSVR1",
            "PORT entry `443 IZUSVR1` names no protocol",
        ),
        ("PORT 443 TCP\n", "TCP", "PORT entry `443 TCP` names no job"),
        ("PORT 0 TCP X\n", "0", "port 0 is out of range"),
        ("PORT 70000 TCP X\n", "70000", "port 70000 is out of range"),
        (
            "PORT 443 TCP IZUSVR123\n",
            "IZUSVR123",
            "job name `IZUSVR123` is longer than 8 characters",
        ),
        ("PORT 443 TCP X BIND\n", "BIND", "BIND needs a value"),
        (
            "PORT 443 TCP X BIND HOST1\n",
            "HOST1",
            "BIND `HOST1` is not an IP address",
        ),
        ("PORT 443 TCP X SAF\n", "SAF", "SAF needs a value"),
        (
            "PORT FOO 443 TCP X\n",
            "FOO",
            "`FOO` does not start a PORT entry",
        ),
        (
            "PORTRANGE 0 10 TCP X\n",
            "0",
            "PORTRANGE value 0 is out of range",
        ),
    ] {
        let r = run(src);
        let d = r.one(codes::PORT_ENTRY);
        assert_eq!(sev(d), 'W', "{src}");
        assert_eq!(d.message, message, "{src}");
        assert_eq!(r.primary(d), at, "{src}");
        if !src.starts_with("PORT FOO") {
            assert!(r.stack.reservations.is_empty(), "{src}");
        }
    }
    // An unknown option is skipped; the entry stays.
    let r = run("PORT 443 TCP IZUSVR1 FASTPATH\n  444 TCP X\n");
    let d = r.one(codes::PORT_ENTRY);
    assert_eq!(d.message, "`FASTPATH` is no PORT option");
    assert_eq!(r.stack.reservations.len(), 2);
    // A bad entry does not take the next one with it.
    let r = run("PORT 443 TCP\n  444 TCP X\n");
    assert_eq!(r.stack.reservations.len(), 1);
    assert_eq!(r.stack.reservations[0].ports.unwrap().value.lo, 444);
}

#[test]
fn exact_job_name() {
    let src = "PORT 443 TCP IZUSVR1\n";
    let (r, a) = access(src, 443, "IZUSVR1");
    assert!(matches!(a, PortAccess::Allowed { bind: None, .. }), "{a:?}");
    assert_eq!(by(&r, &a), ["443 TCP IZUSVR1"]);
    // Any case.
    assert!(matches!(
        r.stack.port_access(443, "izusvr1"),
        PortAccess::Allowed { .. }
    ));
    // Another job: blocked by that entry.
    let a = r.stack.port_access(443, "IZUSVR2");
    assert_eq!(
        a,
        PortAccess::Blocked {
            by: vec![r.stack.reservations[0].span]
        }
    );
    // Another port: free.
    assert_eq!(r.stack.port_access(7554, "IZUSVR2"), PortAccess::Free);
    // A UDP reservation of 443 does not count.
    let (_, a) = access("PORT 443 UDP OTHER\n", 443, "IZUSVR1");
    assert_eq!(a, PortAccess::Free);
}

#[test]
fn wildcard_job_names() {
    for (pattern, job, allowed) in [
        ("IZUSVR*", "IZUSVR1", true),
        ("IZUSVR*", "IZUSVR", true),
        ("IZU*", "IZUSVRB", true),
        ("IZUSVR*", "IZUANG1", false),
        ("IZU?VR1", "IZUSVR1", true),
        ("IZU?VR1", "IZUSVR2", false),
        ("IZU?VR1", "IZUVR1", false),
        ("*", "ANYJOB", true),
    ] {
        let (r, a) = access(&format!("PORT 443 TCP {pattern}\n"), 443, job);
        assert_eq!(
            matches!(a, PortAccess::Allowed { .. }),
            allowed,
            "{pattern} {job}: {a:?}"
        );
        if !allowed {
            assert_eq!(by(&r, &a), [format!("443 TCP {pattern}")]);
        }
    }
}

#[test]
fn one_port_in_several_statements_any_match_suffices() {
    let src = "PORT 443 TCP ZCONSRV1\n\
               PORT\n  443 TCP OTHER1\n  443 TCP IZUSVR1 ; z/OSMF\n";
    let (r, a) = access(src, 443, "IZUSVR1");
    assert_eq!(by(&r, &a), ["443 TCP IZUSVR1"]);
    assert!(matches!(a, PortAccess::Allowed { .. }));
    // None matches: every entry of the port is named.
    let a = r.stack.port_access(443, "IZUSVR2");
    assert_eq!(
        by(&r, &a),
        ["443 TCP ZCONSRV1", "443 TCP OTHER1", "443 TCP IZUSVR1"]
    );
    assert!(matches!(a, PortAccess::Blocked { .. }));
}

#[test]
fn omvs_admits_the_z_osmf_server() {
    // IBM's sample profile: OMVS is any application but Pascal API ones;
    // z/OSMF (Liberty, Java) uses z/OS UNIX sockets.
    let (r, a) = access("PORT 443 TCP OMVS\n", 443, "IZUSVR1");
    assert_eq!(by(&r, &a), ["443 TCP OMVS"]);
    assert!(matches!(a, PortAccess::Allowed { .. }));
    // INTCLIEN is the stack's own TN3270: not z/OSMF.
    let (_, a) = access("PORT 443 TCP INTCLIEN\n", 443, "IZUSVR1");
    assert!(matches!(a, PortAccess::Blocked { .. }), "{a:?}");
}

#[test]
fn bind_and_shareport() {
    let (r, a) = access(
        "PORT 443 TCP IZUSVR1 SHAREPORT BIND 10.1.1.10\n",
        443,
        "IZUSVR1",
    );
    assert_eq!(
        a,
        PortAccess::Allowed {
            by: r.stack.reservations[0].span,
            bind: Some(ip("10.1.1.10"))
        }
    );
    assert_eq!(
        r.stack.reservations[0].share.map(|s| s.value),
        Some(SharePort::Share)
    );
    // SHAREPORT for another job admits nobody else.
    let (_, a) = access("PORT 443 TCP OTHER SHAREPORTWLM\n", 443, "IZUSVR1");
    assert!(matches!(a, PortAccess::Blocked { .. }));
}

#[test]
fn reserved_blocks_everybody() {
    let (r, a) = access("PORT 443 TCP RESERVED\n", 443, "IZUSVR1");
    assert_eq!(by(&r, &a), ["443 TCP RESERVED"]);
    assert!(matches!(a, PortAccess::Blocked { .. }));
    // RESERVED and a matching entry: the matching one admits.
    let (_, a) = access(
        "PORT 443 TCP RESERVED\nPORT 443 TCP IZUSVR1\n",
        443,
        "IZUSVR1",
    );
    assert!(matches!(a, PortAccess::Allowed { .. }));
    // PORTRANGE AUTHPORT is for the FTP server only.
    let (_, a) = access("PORTRANGE 400 100 TCP AUTHPORT\n", 443, "IZUSVR1");
    assert!(matches!(a, PortAccess::Blocked { .. }));
}

#[test]
fn saf_needs_racf() {
    let (r, a) = access("PORT 443 TCP IZUSVR1 SAF ZOSMFPRT\n", 443, "IZUSVR1");
    assert_eq!(
        a,
        PortAccess::Saf {
            by: r.stack.reservations[0].span,
            resource: "ZOSMFPRT".into()
        }
    );
    // An entry without SAF that also matches wins: no RACF question.
    let (_, a) = access(
        "PORT 443 TCP * SAF ANY\n  443 TCP IZUSVR1\n",
        443,
        "IZUSVR1",
    );
    assert!(matches!(a, PortAccess::Allowed { .. }), "{a:?}");
    // SAF on an entry for another job does not help.
    let (_, a) = access("PORT 443 TCP OTHER SAF X\n", 443, "IZUSVR1");
    assert!(matches!(a, PortAccess::Blocked { .. }));
}

#[test]
fn portrange_reservations() {
    let src = "PORTRANGE 400 100 TCP IZUSVR*\n";
    let (r, a) = access(src, 443, "IZUSVR1");
    assert_eq!(by(&r, &a), ["400 100 TCP IZUSVR*"]);
    assert!(matches!(a, PortAccess::Allowed { .. }));
    assert!(matches!(
        r.stack.port_access(443, "OTHER"),
        PortAccess::Blocked { .. }
    ));
    assert_eq!(r.stack.port_access(500, "OTHER"), PortAccess::Free);
    assert!(matches!(
        r.stack.port_access(499, "OTHER"),
        PortAccess::Blocked { .. }
    ));
    let (_, a) = access("PORTRANGE 400 100 TCP OMVS SAF RNG\n", 443, "IZUSVR1");
    assert!(matches!(a, PortAccess::Saf { .. }));
}

#[test]
fn unrsv_rules_for_ports_nobody_reserved() {
    // `* DENY`: no unreserved port for anybody.
    let (r, a) = access("PORT UNRSV TCP * DENY\n", 443, "IZUSVR1");
    assert_eq!(by(&r, &a), ["UNRSV TCP * DENY"]);
    assert!(matches!(a, PortAccess::Blocked { .. }));
    // …but a reservation of the port is not touched by UNRSV.
    let (_, a) = access(
        "PORT UNRSV TCP * DENY\nPORT 443 TCP IZUSVR1\n",
        443,
        "IZUSVR1",
    );
    assert!(matches!(a, PortAccess::Allowed { .. }));
    // The closest job name decides: IZUSVR1 beats IZU* beats `* DENY`.
    let src = "PORT\n  UNRSV TCP * DENY\n  UNRSV TCP IZU* SAF IZUPORTS\n  UNRSV TCP IZUSVR1\n";
    let (r, a) = access(src, 443, "IZUSVR1");
    assert_eq!(by(&r, &a), ["UNRSV TCP IZUSVR1"]);
    assert!(matches!(a, PortAccess::Allowed { .. }));
    let a = r.stack.port_access(443, "IZUSVR2");
    assert_eq!(by(&r, &a), ["UNRSV TCP IZU* SAF IZUPORTS"]);
    assert!(matches!(a, PortAccess::Saf { ref resource, .. } if resource == "IZUPORTS"));
    assert!(matches!(
        r.stack.port_access(443, "OTHER"),
        PortAccess::Blocked { .. }
    ));
    // UNRSV entries and none matches: denied.
    let (r, a) = access("PORT UNRSV TCP ZWE1*\n", 443, "IZUSVR1");
    assert_eq!(by(&r, &a), ["UNRSV TCP ZWE1*"]);
    assert!(matches!(a, PortAccess::Blocked { .. }));
    // UDP rules say nothing about TCP.
    let (_, a) = access("PORT UNRSV UDP * DENY\n", 443, "IZUSVR1");
    assert_eq!(a, PortAccess::Free);
}

#[test]
fn deny_with_a_job_name_ignores_the_whole_statement() {
    let r = run("PORT\n  443 TCP IZUSVR1\n  UNRSV TCP IZU* DENY\n");
    let d = r.one(codes::PORT_IGNORED);
    assert_eq!(sev(d), 'E');
    assert_eq!(r.primary(d), "DENY");
    assert!(d.zos.as_deref().unwrap().contains("EZZ0146I"));
    assert_eq!(
        r.secondaries(d),
        [
            ("IZU*", "a job name"),
            ("PORT", "this whole PORT statement is ignored")
        ]
    );
    // Nothing of it is in effect, the reservation of 443 neither.
    assert!(r.stack.reservations.is_empty());
    assert_eq!(r.stack.port_access(443, "OTHER"), PortAccess::Free);
}

#[test]
fn port_and_portrange_may_not_overlap() {
    // PORTRANGE first: the PORT entry is ignored.
    let r = run("PORTRANGE 400 100 TCP OMVS\nPORT 443 TCP IZUSVR1\n  444 UDP X\n");
    let d = r.one(codes::PORT_IGNORED);
    assert_eq!(
        d.message,
        "PORT 443 TCP lies in the earlier PORTRANGE TCP 400-499"
    );
    assert_eq!(r.primary(d), "443");
    assert_eq!(
        r.secondaries(d),
        [("400 100 TCP OMVS", "reserved here first")]
    );
    assert_eq!(r.stack.reservations.len(), 2);
    // PORT first: the PORTRANGE is ignored, so 450 is free.
    let r = run("PORT 443 TCP IZUSVR1\nPORTRANGE 400 100 TCP OMVS\n");
    let d = r.one(codes::PORT_IGNORED);
    assert_eq!(
        d.message,
        "PORTRANGE 400-499 TCP overlaps the earlier reservation of TCP 443"
    );
    assert_eq!(r.stack.port_access(450, "X"), PortAccess::Free);
    // Two PORT entries for one port are fine; so are TCP and UDP ranges.
    run("PORT 443 TCP A\nPORT 443 TCP B\nPORTRANGE 400 100 UDP OMVS\n").assert_clean();
}

#[test]
fn delete_port_removes_a_reservation() {
    let r = run("PORT 443 TCP OTHER\nDELETE PORT 443 TCP OTHER\n");
    r.assert_clean();
    assert!(r.stack.reservations.is_empty());
    assert_eq!(r.stack.port_access(443, "IZUSVR1"), PortAccess::Free);
    let r = run("PORTRANGE 400 100 TCP OTHER\nDELETE PORTRANGE 400 100 TCP OTHER\n");
    r.assert_clean();
    assert!(r.stack.reservations.is_empty());
    // A DELETE that names another job leaves it.
    let r = run("PORT 443 TCP OTHER\nDELETE PORT 443 TCP IZUSVR1\n");
    assert_eq!(r.stack.reservations.len(), 1);
}

#[test]
fn restrictlowports_guards_unreserved_low_ports() {
    let (r, a) = access("TCPCONFIG RESTRICTLOWPORTS\n", 443, "IZUSVR1");
    assert_eq!(by(&r, &a), ["RESTRICTLOWPORTS"]);
    assert!(matches!(a, PortAccess::LowPort { .. }));
    // Above 1023, or reserved, or switched off again: not concerned.
    assert_eq!(r.stack.port_access(7554, "IZUSVR1"), PortAccess::Free);
    let (_, a) = access(
        "TCPCONFIG RESTRICTLOWPORTS\nPORT 443 TCP IZUSVR1\n",
        443,
        "IZUSVR1",
    );
    assert!(matches!(a, PortAccess::Allowed { .. }));
    let (_, a) = access(
        "TCPCONFIG RESTRICTLOWPORTS\nTCPCONFIG UNRESTRICTLOWPORTS\n",
        443,
        "IZUSVR1",
    );
    assert_eq!(a, PortAccess::Free);
}

#[test]
fn restrictlowports_makes_unrsv_irrelevant_below_1024() {
    // IBM: with RESTRICTLOWPORTS, "PORT UNRSV statements … control access
    // only to unreserved ports above port 1023". Below 1024 only APF
    // authorization or superuser decides (not checkable offline): an UNRSV
    // denial does not block the port, and an UNRSV entry that admits the
    // job does not open it.
    for unrsv in [
        "PORT UNRSV TCP * DENY\n",
        "PORT UNRSV TCP OTHERJOB\n",
        "PORT UNRSV TCP IZUSVR*\n",
        "PORT UNRSV TCP * SAF LOWPORTS\n",
    ] {
        let src = format!("TCPCONFIG RESTRICTLOWPORTS\n{unrsv}");
        let (r, a) = access(&src, 443, "IZUSVR1");
        assert!(matches!(a, PortAccess::LowPort { .. }), "{unrsv}: {a:?}");
        assert_eq!(by(&r, &a), ["RESTRICTLOWPORTS"], "{unrsv}");
    }
    // Above 1023 the UNRSV entries decide, RESTRICTLOWPORTS or not.
    let src = "TCPCONFIG RESTRICTLOWPORTS\nPORT UNRSV TCP * DENY\n";
    let (r, a) = access(src, 7554, "IZUSVR1");
    assert!(matches!(a, PortAccess::Blocked { .. }), "{a:?}");
    assert_eq!(by(&r, &a), ["UNRSV TCP * DENY"]);
    let (r, a) = access(
        "TCPCONFIG RESTRICTLOWPORTS\nPORT UNRSV TCP OTHERJOB\n",
        7554,
        "IZUSVR1",
    );
    assert_eq!(by(&r, &a), ["UNRSV TCP OTHERJOB"]);
    assert!(matches!(a, PortAccess::Blocked { .. }), "{a:?}");
    // Without RESTRICTLOWPORTS, UNRSV controls low ports as well.
    let (r, a) = access("PORT UNRSV TCP * DENY\n", 443, "IZUSVR1");
    assert!(matches!(a, PortAccess::Blocked { .. }), "{a:?}");
    assert_eq!(by(&r, &a), ["UNRSV TCP * DENY"]);
    let (_, a) = access("PORT UNRSV TCP OTHERJOB\n", 443, "IZUSVR1");
    assert!(matches!(a, PortAccess::Blocked { .. }), "{a:?}");
    // A PORT reservation of the low port decides before both.
    let (r, a) = access(
        "TCPCONFIG RESTRICTLOWPORTS\nPORT UNRSV TCP * DENY\nPORT 443 TCP IZUSVR1\n",
        443,
        "IZUSVR1",
    );
    assert!(matches!(a, PortAccess::Allowed { .. }), "{a:?}");
    assert_eq!(by(&r, &a), ["443 TCP IZUSVR1"]);
}

#[test]
fn unresolved_job_names_cannot_be_judged() {
    let r = run("PORT 443 TCP IZUSVR&SYSCLONE.\n");
    assert_eq!(r.codes(), [codes::UNRESOLVED_SYMBOL]);
    let a = r.stack.port_access(443, "IZUSVR1");
    assert_eq!(by(&r, &a), ["443 TCP IZUSVR&SYSCLONE."]);
    assert!(matches!(a, PortAccess::Unresolved { .. }));
    // With the symbol given it is a job name like any other.
    let mut sy = zha_diag::symbols::Symbols::new();
    sy.set("SYSCLONE", "1");
    let r = crate::run_with("PORT 443 TCP IZUSVR&SYSCLONE.\n", &sy);
    assert!(matches!(
        r.stack.port_access(443, "IZUSVR1"),
        PortAccess::Allowed { .. }
    ));
    assert!(matches!(
        r.stack.port_access(443, "IZUSVR2"),
        PortAccess::Blocked { .. }
    ));
}
