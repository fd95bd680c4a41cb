//! tests/fixtures/full-profile.tcpip: a complete z/OS 2.5 style profile of a
//! sysplex-distributing stack. It must parse and apply with no finding, and
//! the stack must hold exactly what it defines.

use std::net::IpAddr;

use zha_diag::symbols::Symbols;
use zha_tcpip::{DistMethod, Moveable, Role, StmtKind, SubKind, VipaOwner};

use crate::{Run, run, run_with, strip_spans, tree};

const FULL: &str = include_str!("../fixtures/full-profile.tcpip");

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn args_of(r: &Run, idx: usize) -> Vec<&str> {
    match &r.statements()[idx].kind {
        StmtKind::Other(a) => a.iter().map(|a| a.value.as_str()).collect(),
        StmtKind::Port(list) => list.args.iter().map(|a| a.value.as_str()).collect(),
        k => panic!("{k:?}"),
    }
}

#[test]
fn is_realistic_in_size() {
    let lines = FULL.lines().count();
    assert!((250..=400).contains(&lines), "{lines} lines");
}

#[test]
fn parses_and_applies_with_no_finding() {
    let r = run(FULL);
    r.assert_clean();
    assert_eq!(
        r.names(),
        [
            "ARPAGE",
            "GLOBALCONFIG",
            "IPCONFIG",
            "IPCONFIG6",
            "TCPCONFIG",
            "UDPCONFIG",
            "SOMAXCONN",
            "SMFCONFIG",
            "NETMONITOR",
            "ITRACE",
            "AUTOLOG",
            "PORT",
            "DELETE",
            "PORTRANGE",
            "PORTRANGE",
            "DEVICE",
            "LINK",
            "DEVICE",
            "LINK",
            "DEVICE",
            "LINK",
            "DEVICE",
            "LINK",
            "INTERFACE",
            "INTERFACE",
            "INTERFACE",
            "DELETE",
            "DELETE",
            "HOME",
            "PRIMARYINTERFACE",
            "BEGINROUTES",
            "BSDROUTINGPARMS",
            "SRCIP",
            "NETACCESS",
            "IPSEC",
            "VIPADYNAMIC",
            "VIPADYNAMIC",
            "START",
            "START",
            "START",
            "START",
            "START",
            "STOP",
        ]
    );
}

#[test]
fn statement_boundaries_are_right() {
    let r = run(FULL);
    let kw: Vec<&str> = r.statements().iter().map(|s| r.text(s.keyword)).collect();
    // Abbreviations and lower case as written.
    for k in [
        "GLOBALCONFig",
        "IPCONFig",
        "udpconfig",
        "somaxconn",
        "autol",
        "PORTRange",
        "DEVice",
        "DELEte",
        "home",
        "BEGINRoutes",
        "VIPAD",
    ] {
        assert!(kw.contains(&k), "{k} not a statement keyword: {kw:?}");
    }
    // The AUTOLOG block ends at `endautol`; the quoted PARMSTRING keeps its
    // quotes and case.
    let autolog = args_of(&r, 10);
    assert_eq!(
        autolog,
        [
            "5",
            "FTPD",
            "JOBNAME",
            "FTPD1",
            "OMPROUTE",
            "DELAYSTART",
            "PAGENT",
            "TRMD",
            "PARMSTRING",
            "\"-D TCPIP\""
        ]
    );
    assert!(r.text(r.statements()[10].span).ends_with("endautol"));
    // PORT list: `*` and generic job names, options after them.
    let port = args_of(&r, 11);
    assert_eq!(&port[..4], ["20", "TCP", "*", "NOAUTOLOG"]);
    assert_eq!(
        port.iter().filter(|t| **t == "TCP" || **t == "UDP").count(),
        14
    );
    assert!(port.contains(&"SHAREPORTWLM") && port.contains(&"SAF"));
    // DELETE PORT is followed by a PORTRANGE statement, not swallowing it;
    // the DELETEs after the last INTERFACE are statements of their own.
    assert_eq!(args_of(&r, 12), ["PORT", "3000", "TCP", "CICSTCP"]);
    assert_eq!(args_of(&r, 13), ["10000", "2000", "TCP", "OMVS"]);
    assert_eq!(args_of(&r, 26), ["LINK", "ETHLCS1"]);
    assert_eq!(args_of(&r, 27), ["DEVICE", "LCS1"]);
    let StmtKind::Interface(i) = &r.statements()[25].kind else {
        panic!()
    };
    assert_eq!(i.name.value, "OSAQDIO16");
    assert_eq!(i.args.last().map(|a| a.value.as_str()), Some("100"));
    // Continued INTERFACE statements.
    let StmtKind::Interface(i) = &r.statements()[23].kind else {
        panic!()
    };
    assert_eq!(i.ipaddr.map(|a| a.value), Some(ip("10.10.1.11")));
    assert_eq!(r.text(i.ipaddr.unwrap().span), "10.10.1.11/24");
    assert!(i.args.iter().any(|a| a.value == "SOURCEVIPAINTERFACE"));
    // Blocks keep their contents up to the END keyword, abbreviated or not.
    assert!(r.text(r.statements()[30].span).ends_with("ENDR"));
    assert!(args_of(&r, 31).contains(&"255.255.255.252"));
    assert_eq!(
        args_of(&r, 34),
        ["LOGENABLE", "IPSECRULE", "*", "*", "NOLOG", "PROTOCOL", "*"]
    );
    assert!(r.text(r.statements()[36].span).ends_with("ENDVIPAD"));
}

#[test]
fn the_vipadynamic_blocks_parse_as_written() {
    let r = run(FULL);
    let kws: Vec<&str> = r.block(0).subs.iter().map(|s| r.text(s.keyword)).collect();
    assert_eq!(
        kws,
        [
            "VIPADEFINE",
            "VIPABACKUP",
            "VIPAB",
            "VIPADISTribute",
            "VIPADIST"
        ]
    );
    let kws: Vec<&str> = r.block(1).subs.iter().map(|s| r.text(s.keyword)).collect();
    assert_eq!(
        kws,
        [
            "VIPADEF",
            "VIPADISTRIBUTE",
            "VIPADISTRIBUTE",
            "VIPADEFINE",
            "VIPADISTRIBUTE",
            "VIPARange",
            "VIPAROUTE",
            "VIPAROUTE"
        ]
    );
    for b in [r.block(0), r.block(1)] {
        assert!(b.end.is_some());
        assert!(b.subs.iter().all(|s| s.applies()));
    }
    // The BASEWLM statement with its options before the address.
    let SubKind::Distribute(d) = &r.block(1).subs[1].kind else {
        panic!()
    };
    assert_eq!(d.method.map(|m| m.value), Some(DistMethod::BaseWlm));
    assert_eq!(d.optlocal.map(|o| o.value), Some(Some(1)));
    assert_eq!(d.timedaffinity.map(|t| t.value), Some(60));
    assert_eq!(r.text(d.timedaffinity.unwrap().span), "60");
    assert!(d.sysplexports.is_some());
    let SubKind::Range(range) = &r.block(1).subs[5].kind else {
        panic!()
    };
    assert_eq!(range.addr.map(|a| a.value), Some(ip("10.10.40.0")));
    let SubKind::Route(route) = &r.block(1).subs[6].kind else {
        panic!()
    };
    assert_eq!(
        route.iter().map(|a| a.value.as_str()).collect::<Vec<_>>(),
        ["DEFINE", "10.10.20.2", "10.10.9.12"]
    );
}

#[test]
fn the_applied_stack() {
    let r = run(FULL);
    let st = &r.stack;
    assert_eq!(st.dynamic_xcf.map(|x| x.value), Some(ip("10.10.20.1")));
    assert_eq!(st.dynamic_xcf6.map(|x| x.value), Some(ip("2001:db8:20::1")));
    assert_eq!(
        st.sysplex_routing.map(|s| r.text(s)),
        Some("SYSPLEXRouting")
    );
    assert_eq!(st.ipconfig.map(|s| r.text(s)), Some("IPCONFig"));
    assert!(st.is_dynamic_xcf(ip("2001:db8:20::1")));
    assert_eq!(
        st.home.iter().map(|h| h.value).collect::<Vec<_>>(),
        [
            ip("10.10.1.11"),
            ip("10.10.2.11"),
            ip("2001:db8:1::11"),
            ip("10.10.9.11"),
            ip("10.10.5.11"),
            ip("10.10.8.11"),
        ]
    );
    let vipas: Vec<(IpAddr, VipaOwner, Option<&str>, Option<Moveable>)> = st
        .vipas
        .iter()
        .map(|v| (v.addr.value, v.owner, v.intf.as_deref(), v.moveable))
        .collect();
    assert_eq!(
        vipas,
        [
            (
                ip("10.10.30.10"),
                VipaOwner::Define,
                None,
                Some(Moveable::Immediate)
            ),
            (
                ip("10.10.30.20"),
                VipaOwner::Backup(100),
                None,
                Some(Moveable::Immediate)
            ),
            (ip("10.10.30.21"), VipaOwner::Backup(50), None, None),
            (ip("10.10.30.11"), VipaOwner::Define, None, None),
            (ip("10.10.30.12"), VipaOwner::Define, None, None),
            (
                ip("2001:db8:30::10"),
                VipaOwner::Define,
                Some("DVIPA6Z"),
                Some(Moveable::Immediate)
            ),
        ]
    );
    assert!(st.ignored.is_empty() && st.rejected_vipas.is_empty());

    let d = &st.distributions;
    assert_eq!(d.len(), 5);
    type Summary = (IpAddr, Vec<(u16, u16)>, DistMethod, bool, bool);
    let summary: Vec<Summary> = d
        .iter()
        .map(|d| {
            (
                d.dvipa.value,
                d.ports.iter().map(|p| (p.value.lo, p.value.hi)).collect(),
                d.method,
                d.switchback,
                d.healthswitch,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                ip("10.10.30.10"),
                vec![(443, 443)],
                DistMethod::HotStandby,
                true,
                true
            ),
            (
                ip("10.10.30.10"),
                vec![(7554, 7554)],
                DistMethod::HotStandby,
                false,
                false
            ),
            (
                ip("10.10.30.11"),
                vec![(3000, 3000), (3001, 3005)],
                DistMethod::BaseWlm,
                true,
                true
            ),
            (
                ip("10.10.30.12"),
                vec![(8080, 8080)],
                DistMethod::RoundRobin,
                true,
                true
            ),
            (
                ip("2001:db8:30::10"),
                vec![(443, 443)],
                DistMethod::HotStandby,
                true,
                true
            ),
        ]
    );
    let targets = |i: usize| -> Vec<(IpAddr, Role)> {
        d[i].targets
            .as_ref()
            .unwrap()
            .iter()
            .map(|t| (t.addr.value, t.role))
            .collect()
    };
    let backup = |rank| Role::Backup {
        rank,
        rank_given: true,
    };
    assert_eq!(
        targets(0),
        [
            (ip("10.10.20.1"), Role::Preferred),
            (ip("10.10.20.2"), backup(100)),
            (ip("10.10.20.3"), backup(50)),
        ]
    );
    assert_eq!(
        targets(1),
        [
            (ip("10.10.20.2"), Role::Preferred),
            (ip("10.10.20.1"), backup(200)),
            (
                ip("10.10.20.3"),
                Role::Backup {
                    rank: 1,
                    rank_given: false
                }
            ),
        ]
    );
    assert_eq!(
        targets(2),
        [
            (ip("10.10.20.1"), Role::Plain),
            (ip("10.10.20.2"), Role::Plain),
            (ip("10.10.20.3"), Role::Plain),
        ]
    );
    assert!(d[3].targets.is_none(), "DESTIP ALL");
    assert_eq!(
        targets(4),
        [
            (ip("2001:db8:20::1"), Role::Preferred),
            (ip("2001:db8:20::2"), backup(100))
        ]
    );
    // Takeover order and ports.
    assert_eq!(
        d[0].preferred().map(|t| t.addr.value),
        Some(ip("10.10.20.1"))
    );
    assert_eq!(
        d[1].backups()
            .iter()
            .map(|t| t.addr.value)
            .collect::<Vec<_>>(),
        [ip("10.10.20.1"), ip("10.10.20.3")]
    );
    assert!(d[2].covers_port(3004) && !d[2].covers_port(3006) && !d[0].covers_port(7554));
    assert_eq!(r.text(d[4].dvipa.span), "DVIPA6Z");
    assert_eq!(r.text(d[0].keyword), "VIPADISTribute");
}

#[test]
fn crlf_and_lower_case_variants_mean_the_same() {
    let lf = run(FULL);
    let crlf_text = FULL.replace('\n', "\r\n");
    let crlf = run(&crlf_text);
    crlf.assert_clean();
    assert_eq!(tree(&crlf.parsed.profile), tree(&lf.parsed.profile));
    assert_eq!(
        strip_spans(&format!("{:?}", crlf.stack)),
        strip_spans(&format!("{:?}", lf.stack))
    );
    // Spans still point at the same words.
    assert_eq!(crlf.text(crlf.stack.distributions[1].keyword), "VIPADIST");

    // All in lower case: the same stack (quoted strings keep their case, so
    // compare the stack, not the tree).
    let lower = run(&FULL.to_ascii_lowercase());
    lower.assert_clean();
    assert_eq!(
        strip_spans(&format!("{:?}", lower.stack)),
        strip_spans(&format!("{:?}", lf.stack))
    );
}

#[test]
fn prints_and_reparses_to_the_same_tree() {
    let r = run(FULL);
    let printed = r.parsed.profile.to_string();
    let again = run(&printed);
    again.assert_clean();
    assert_eq!(tree(&again.parsed.profile), tree(&r.parsed.profile));
    assert_eq!(
        strip_spans(&format!("{:?}", again.stack)),
        strip_spans(&format!("{:?}", r.stack))
    );
    // The canonical form is shorter: no comments, full keywords.
    assert!(printed.len() < FULL.len() / 2);
    assert!(printed.contains("ENDVIPADYNAMIC") && !printed.contains(';'));
}

#[test]
fn symbols_may_stand_for_its_addresses() {
    // The same profile with its DYNAMICXCF address as a system symbol.
    let text = FULL.replace(
        "DYNAMICXCF 10.10.20.1 255.255.255.0 1",
        "DYNAMICXCF &XCFIP. 255.255.255.0 1",
    );
    assert_ne!(text, FULL);
    let mut sy = Symbols::new();
    sy.set("XCFIP", "10.10.20.1");
    let r = run_with(&text, &sy);
    r.assert_clean();
    assert_eq!(r.stack.dynamic_xcf.map(|x| x.value), Some(ip("10.10.20.1")));
    assert_eq!(r.text(r.stack.dynamic_xcf.unwrap().span), "&XCFIP.");
}
