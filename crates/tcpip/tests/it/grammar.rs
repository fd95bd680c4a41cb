//! Good input for every modelled construct, and the tree it gives.

use std::net::{IpAddr, Ipv4Addr};

use zha_diag::symbols::Symbols;
use zha_tcpip::{DestIp, DistMethod, Role, StmtKind, SubKind, include_candidates};

use crate::{compact, one_sub, run, run_with, vipadyn};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const NOOPT: &str =
    "VipaOptions { tier: None, cpcscope: false, moveable: None, servicemgr: false }";

fn opts(tier: Option<u8>, cpcscope: bool, moveable: Option<&str>, servicemgr: bool) -> String {
    format!(
        "VipaOptions {{ tier: {}, cpcscope: {cpcscope}, moveable: {}, servicemgr: {servicemgr} }}",
        tier.map_or("None".to_owned(), |t| format!("Some({t})")),
        moveable.map_or("None".to_owned(), |m| format!("Some({m})")),
    )
}

fn v4(mask: Option<&str>, addrs: &[&str]) -> String {
    format!(
        "V4 {{ mask: {}, addrs: [{}] }}",
        mask.map_or("None".to_owned(), |m| format!("Some({m})")),
        addrs.join(", ")
    )
}

fn v6(intf: &str, addr: &str, prefix: Option<u8>) -> String {
    format!(
        "V6 {{ intf: {intf:?}, addr: {addr}, prefix: {} }}",
        prefix.map_or("None".to_owned(), |p| format!("Some({p})"))
    )
}

fn define(opts: &str, addrs: &str) -> String {
    format!("Define(VipaDefine {{ options: {opts}, addrs: {addrs} }})")
}

fn backup(rank: u8, given: bool, opts: &str, addrs: &str) -> String {
    format!(
        "Backup(VipaBackup {{ rank: {rank}, rank_given: {given}, options: {opts}, addrs: {addrs} }})"
    )
}

#[test]
fn vipadefine_forms() {
    let cases = [
        (
            "VIPADEFINE 255.255.255.0 10.1.1.1",
            define(NOOPT, &v4(Some("255.255.255.0"), &["10.1.1.1"])),
        ),
        // IBM abbreviations, leading zeros, several addresses.
        (
            "VIPADEF MOVE IMMED 255.255.255.0 9.67.240.02 10.1.1.2",
            define(
                &opts(None, false, Some("Immediate"), false),
                &v4(Some("255.255.255.0"), &["9.67.240.2", "10.1.1.2"]),
            ),
        ),
        (
            "vipadefine moveable whenidle 255.255.255.255 10.1.1.1",
            define(
                &opts(None, false, Some("WhenIdle"), false),
                &v4(Some("255.255.255.255"), &["10.1.1.1"]),
            ),
        ),
        (
            "VIPADEFINE TIER2 CPCSCOPE MOVEABLE WHENIDLE SERVICEMGR 255.255.0.0 10.1.1.1",
            define(
                &opts(Some(2), true, Some("WhenIdle"), true),
                &v4(Some("255.255.0.0"), &["10.1.1.1"]),
            ),
        ),
        (
            "VIPADEFINE TIER1 255.255.255.0 10.1.1.1",
            define(
                &opts(Some(1), false, None, false),
                &v4(Some("255.255.255.0"), &["10.1.1.1"]),
            ),
        ),
        (
            "VIPADEFINE CPCSCOPE SERVICEMGR 255.255.255.0 10.1.1.1",
            define(
                &opts(None, true, None, true),
                &v4(Some("255.255.255.0"), &["10.1.1.1"]),
            ),
        ),
        // IPv6: interface name and address, with or without prefix.
        (
            "VIPADEFINE DVIPA6 2001:DB8::10",
            define(NOOPT, &v6("DVIPA6", "2001:db8::10", None)),
        ),
        (
            "VIPADEFINE MOVEABLE IMMEDIATE DVIPA6 2001:db8::10/64",
            define(
                &opts(None, false, Some("Immediate"), false),
                &v6("DVIPA6", "2001:db8::10", Some(64)),
            ),
        ),
    ];
    for (line, want) in cases {
        assert_eq!(one_sub(line), want, "{line}");
    }
}

#[test]
fn vipabackup_forms() {
    let cases = [
        // No rank: rank 1, marked as not given.
        (
            "VIPABACKUP 10.1.1.1",
            backup(1, false, NOOPT, &v4(None, &["10.1.1.1"])),
        ),
        (
            "VIPAB 100 10.1.1.1 10.1.1.2",
            backup(100, true, NOOPT, &v4(None, &["10.1.1.1", "10.1.1.2"])),
        ),
        // A mask only with MOVEABLE.
        (
            "VIPABACKUP 254 MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.1",
            backup(
                254,
                true,
                &opts(None, false, Some("Immediate"), false),
                &v4(Some("255.255.255.0"), &["10.1.1.1"]),
            ),
        ),
        (
            "VIPABACKUP MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.1",
            backup(
                1,
                false,
                &opts(None, false, Some("Immediate"), false),
                &v4(Some("255.255.255.0"), &["10.1.1.1"]),
            ),
        ),
        (
            "VIPABACKUP 1 MOVEABLE WHENIDLE SERVICEMGR 255.255.255.0 10.1.1.1",
            backup(
                1,
                true,
                &opts(None, false, Some("WhenIdle"), true),
                &v4(Some("255.255.255.0"), &["10.1.1.1"]),
            ),
        ),
        (
            "VIPABACKUP 5 TIER2 CPCSCOPE 10.1.1.1",
            backup(
                5,
                true,
                &opts(Some(2), true, None, false),
                &v4(None, &["10.1.1.1"]),
            ),
        ),
        (
            "VIPABACKUP 5 DVIPA6 2001:db8::10",
            backup(5, true, NOOPT, &v6("DVIPA6", "2001:db8::10", None)),
        ),
        (
            "VIPABACKUP 9 MOVEABLE IMMEDIATE DVIPA6 2001:db8::10/64",
            backup(
                9,
                true,
                &opts(None, false, Some("Immediate"), false),
                &v6("DVIPA6", "2001:db8::10", Some(64)),
            ),
        ),
    ];
    for (line, want) in cases {
        assert_eq!(one_sub(line), want, "{line}");
    }
    // The rank's span is the number when given.
    let r = run(&vipadyn("VIPABACKUP 100 10.1.1.1"));
    let SubKind::Backup(b) = &r.subs()[0].kind else {
        panic!()
    };
    assert_eq!(r.text(b.rank.span), "100");
}

#[test]
fn vipadelete_forms() {
    assert_eq!(one_sub("VIPADELETE 10.1.1.1"), "Delete([Addr(10.1.1.1)])");
    assert_eq!(one_sub("VIPADEL DVIPA6"), "Delete([Intf(\"DVIPA6\")])");
    assert_eq!(
        one_sub("VIPADELETE 2001:db8::10"),
        "Delete([Addr(2001:db8::10)])"
    );
}

#[test]
fn vipadistribute_whole_tree() {
    assert_eq!(
        one_sub(
            "VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.1 PORT 443 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 100 10.1.9.3 BACKUP"
        ),
        "Distribute(VipaDistribute { delete: false, method: Some(HotStandby), switchback: None, \
healthswitch: None, sysplexports: None, timedaffinity: None, optlocal: None, other: [], \
dvipa: Addr(10.1.1.1), ports: [PortRange { lo: 443, hi: 443 }], destip: Some(List([\
DestEntry { addr: 10.1.9.1, role: Preferred, role_span: Some(_) }, \
DestEntry { addr: 10.1.9.2, role: Backup { rank: 100, rank_given: true }, role_span: Some(_) }, \
DestEntry { addr: 10.1.9.3, role: Backup { rank: 1, rank_given: false }, role_span: Some(_) }])) })"
    );
    // Spans: the method covers `DISTMETHOD HOTSTANDBY`, the roles their words.
    let r = run(&vipadyn(
        "VIPADIST DISTM HOTSTANDBY 10.1.1.1 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 100",
    ));
    let SubKind::Distribute(d) = &r.subs()[0].kind else {
        panic!()
    };
    assert_eq!(r.text(d.method.unwrap().span), "DISTM HOTSTANDBY");
    assert_eq!(r.text(d.dvipa.span), "10.1.1.1");
    let Some(DestIp::List(l)) = &d.destip else {
        panic!()
    };
    assert_eq!(r.text(l[0].role_span.unwrap()), "PREFERRED");
    assert_eq!(r.text(l[1].role_span.unwrap()), "BACKUP 100");
    assert_eq!(
        r.text(r.subs()[0].span),
        "VIPADIST DISTM HOTSTANDBY 10.1.1.1 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 100"
    );
}

/// Every ordering of `items` (Heap's algorithm).
fn permutations(items: &[&'static str]) -> Vec<Vec<&'static str>> {
    fn go(k: usize, a: &mut Vec<&'static str>, out: &mut Vec<Vec<&'static str>>) {
        if k <= 1 {
            out.push(a.clone());
            return;
        }
        go(k - 1, a, out);
        for i in 0..k - 1 {
            if k.is_multiple_of(2) {
                a.swap(i, k - 1);
            } else {
                a.swap(0, k - 1);
            }
            go(k - 1, a, out);
        }
    }
    let mut out = Vec::new();
    go(items.len(), &mut items.to_vec(), &mut out);
    out
}

#[test]
fn vipadistribute_options_in_any_order() {
    let options = [
        "DEFINE",
        "DISTMETHOD HOTSTANDBY",
        "NOAUTOSWITCHBACK",
        "HEALTHSWITCH",
        "SYSPLEXPORTS",
        "TIMEDAFFINITY 30",
    ];
    let all = permutations(&options);
    assert_eq!(all.len(), 720);
    let mut first: Option<String> = None;
    for p in all {
        let line = format!(
            "VIPADISTRIBUTE {} 10.1.1.1 PORT 443 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP",
            p.join(" ")
        );
        let got = one_sub(&line);
        match &first {
            None => {
                assert!(got.contains("method: Some(HotStandby)"), "{got}");
                assert!(got.contains("switchback: Some(false)"), "{got}");
                assert!(got.contains("healthswitch: Some(true)"), "{got}");
                assert!(got.contains("sysplexports: Some(_)"), "{got}");
                assert!(got.contains("timedaffinity: Some(30)"), "{got}");
                first = Some(got);
            }
            Some(f) => assert_eq!(&got, f, "{line}"),
        }
    }
}

#[test]
fn vipadistribute_other_methods_and_options() {
    let r = run(&vipadyn(
        "VIPADISTRIBUTE DISTMETHOD BASEWLM PROCTYPE CP 10 ZIIP 5 NOOPTLOCAL 10.1.1.1 DESTIP ALL\n\
         VIPADISTRIBUTE DISTMETHOD SERVERWLM PROCXCOST ZIIP 2 ILWEIGHTING 1 10.1.1.2 DESTIP ALL\n\
         VIPADISTRIBUTE DISTMETHOD ROUNDROBIN OPTLOCAL 10.1.1.3 DESTIP ALL\n\
         VIPADISTRIBUTE DISTMETHOD WEIGHTEDA 10.1.1.4 DESTIP 10.1.9.1 WEIGHT 10 10.1.9.2 WEIGHT 90\n\
         VIPADISTRIBUTE TIER1 GROUP1 DISTMETHOD TARGCONTROLLED GRE CONTROLPORT 1702 10.1.1.5 DESTIP ALL\n\
         VIPADISTRIBUTE DELETE 10.1.1.6 PORT 443\n\
         VIPADISTRIBUTE DELE 10.1.1.7 PORT 443 DESTIP 10.1.9.1",
    ));
    r.assert_clean_parse();
    let d: Vec<&zha_tcpip::VipaDistribute> = r
        .subs()
        .iter()
        .map(|s| match &s.kind {
            SubKind::Distribute(d) => d,
            k => panic!("{k:?}"),
        })
        .collect();
    let methods: Vec<DistMethod> = d.iter().map(|d| d.method_or_default()).collect();
    assert_eq!(
        methods,
        [
            DistMethod::BaseWlm,
            DistMethod::ServerWlm,
            DistMethod::RoundRobin,
            DistMethod::WeightedActive,
            DistMethod::TargControlled,
            DistMethod::BaseWlm,
            DistMethod::BaseWlm,
        ]
    );
    let other = |i: usize| {
        d[i].other
            .iter()
            .map(|o| o.value.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        other(0),
        ["PROCTYPE", "CP", "10", "ZIIP", "5", "NOOPTLOCAL"]
    );
    assert_eq!(other(1), ["PROCXCOST", "ZIIP", "2", "ILWEIGHTING", "1"]);
    assert_eq!(d[2].optlocal.map(|o| o.value), Some(None));
    assert_eq!(r.text(d[2].optlocal.unwrap().span), "OPTLOCAL");
    let Some(DestIp::List(l)) = &d[3].destip else {
        panic!()
    };
    assert_eq!(
        l.iter().map(|e| e.role).collect::<Vec<_>>(),
        [Role::Weight(10), Role::Weight(90)]
    );
    assert_eq!(other(4), ["TIER1", "GROUP1", "GRE", "CONTROLPORT", "1702"]);
    assert!(d[5].delete && d[5].destip.is_none());
    assert!(d[6].delete && d[6].destip.is_some());
    // The default method shows as BASEWLM.
    assert_eq!(d[5].method, None);
}

#[test]
fn port_lists_and_ranges() {
    let r = run(&vipadyn(
        "VIPADISTRIBUTE 10.1.1.1 PORT 443 7554 8000-8010 65535 DESTIP ALL\n\
         VIPADISTRIBUTE 10.1.1.2 DESTIP ALL\n\
         VIPADISTRIBUTE 10.1.1.3 PORT 1-1 DESTIP ALL",
    ));
    r.assert_clean_parse();
    let d: Vec<&zha_tcpip::VipaDistribute> = r
        .subs()
        .iter()
        .map(|s| match &s.kind {
            SubKind::Distribute(d) => d,
            k => panic!("{k:?}"),
        })
        .collect();
    let ports: Vec<(u16, u16)> = d[0]
        .ports
        .iter()
        .map(|p| (p.value.lo, p.value.hi))
        .collect();
    assert_eq!(
        ports,
        [(443, 443), (7554, 7554), (8000, 8010), (65535, 65535)]
    );
    assert_eq!(r.text(d[0].ports[2].span), "8000-8010");
    for (port, covered) in [
        (443, true),
        (444, false),
        (8000, true),
        (8005, true),
        (8011, false),
        (65535, true),
    ] {
        assert_eq!(d[0].covers_port(port), covered, "{port}");
    }
    // PORT omitted: every port.
    assert!(d[1].ports.is_empty() && d[1].covers_port(1) && d[1].covers_port(65535));
    assert_eq!(d[2].ports[0].value.lo, 1);
    assert!(d[2].covers_port(1) && !d[2].covers_port(2));
}

#[test]
fn destip_lists() {
    let r = run(&vipadyn(
        "VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.1 PORT 443\n\
             DESTIP 10.1.9.1 PREFERRED\n\
                    10.1.9.2 BACKUP 254\n\
                    10.1.9.3 BACKUP 1\n\
                    10.1.9.4 BACKUP\n\
         VIPADISTRIBUTE 10.1.1.2 DESTIP 10.1.9.1 10.1.9.2\n\
         VIPADISTRIBUTE 10.1.1.3 DESTIP all\n\
         VIPADISTRIBUTE DISTMETHOD HOTSTANDBY DVIPA6 DESTIP 2001:db8::1 PREFERRED 2001:db8::2 BACKUP 9",
    ));
    r.assert_clean_parse();
    let lists: Vec<&DestIp> = r
        .subs()
        .iter()
        .map(|s| match &s.kind {
            SubKind::Distribute(d) => d.destip.as_ref().unwrap(),
            k => panic!("{k:?}"),
        })
        .collect();
    let roles = |i: usize| -> Vec<(IpAddr, Role)> {
        match lists[i] {
            DestIp::List(l) => l.iter().map(|e| (e.addr.value, e.role)).collect(),
            DestIp::All(_) => panic!("ALL"),
        }
    };
    let b = |rank, rank_given| Role::Backup { rank, rank_given };
    assert_eq!(
        roles(0),
        [
            (ip("10.1.9.1"), Role::Preferred),
            (ip("10.1.9.2"), b(254, true)),
            (ip("10.1.9.3"), b(1, true)),
            (ip("10.1.9.4"), b(1, false)),
        ]
    );
    assert_eq!(
        roles(1),
        [(ip("10.1.9.1"), Role::Plain), (ip("10.1.9.2"), Role::Plain)]
    );
    let DestIp::All(span) = lists[2] else {
        panic!()
    };
    assert_eq!(r.text(*span), "all");
    assert_eq!(
        roles(3),
        [
            (ip("2001:db8::1"), Role::Preferred),
            (ip("2001:db8::2"), b(9, true))
        ]
    );
}

#[test]
fn ipconfig_dynamicxcf_forms() {
    let dx = |src: &str| -> (String, String) {
        let r = run(src);
        r.assert_clean_parse();
        let StmtKind::IpConfig(c) = &r.statements()[0].kind else {
            panic!("{src}")
        };
        (
            compact(&format!("{:?}", c.dynamic_xcf)),
            compact(&format!("{:?}", c.sysplex_routing)),
        )
    };
    let cases = [
        (
            "IPCONFIG DYNAMICXCF 10.1.9.1 255.255.255.0 1",
            "Some(Some(DynamicXcf { addr: 10.1.9.1, mask: Some(255.255.255.0), prefix: None, cost: Some(1) }))",
            "None",
        ),
        // Parameters in any order, continued over lines, abbreviated.
        (
            "IPCONF SYSPLEXR\n   DATAGRAMFWD\n   DYNAMICXCF 10.1.9.1/24 2 SOURCEVIPA",
            "Some(Some(DynamicXcf { addr: 10.1.9.1, mask: None, prefix: Some(24), cost: Some(2) }))",
            "Some(true)",
        ),
        (
            "ipconfig dynamicxcf 010.001.009.001 255.255.255.0 sysplexrouting",
            "Some(Some(DynamicXcf { addr: 10.1.9.1, mask: Some(255.255.255.0), prefix: None, cost: None }))",
            "Some(true)",
        ),
        (
            "IPCONFIG NODYNAMICXCF NOSYSPLEXR",
            "Some(None)",
            "Some(false)",
        ),
        (
            "IPCONFIG SYSPLEXROUTING NOSYSPLEXROUTING",
            "None",
            "Some(false)",
        ),
        (
            "IPCONFIG6 DYNAMICXCF 2001:db8::1 INTFID 0:0:0:1",
            "Some(Some(DynamicXcf { addr: 2001:db8::1, mask: None, prefix: None, cost: None }))",
            "None",
        ),
        (
            "IPCONFIG6 DYNAMICXCF 2001:db8::1/64",
            "Some(Some(DynamicXcf { addr: 2001:db8::1, mask: None, prefix: Some(64), cost: None }))",
            "None",
        ),
    ];
    for (src, want_dx, want_sr) in cases {
        assert_eq!(dx(src), (want_dx.to_owned(), want_sr.to_owned()), "{src}");
    }
    // The span of DYNAMICXCF covers its operands; the args keep every word.
    let r = run("IPCONFIG DATAGRAMFWD DYNAMICXCF 10.1.9.1 255.255.255.0 1 TTL 64\nARPAGE 5");
    let StmtKind::IpConfig(c) = &r.statements()[0].kind else {
        panic!()
    };
    assert_eq!(
        r.text(c.dynamic_xcf.as_ref().unwrap().span),
        "DYNAMICXCF 10.1.9.1 255.255.255.0 1"
    );
    assert_eq!(c.args.len(), 7);
    assert!(!c.v6);
    // In the stack: the last IPCONFIG that says so wins; IPv4 and IPv6 apart.
    let r = run(
        "IPCONFIG DYNAMICXCF 10.1.9.1 255.255.255.0 1\nIPCONFIG6 DYNAMICXCF 2001:db8::1\n\
         IPCONFIG DYNAMICXCF 10.1.9.2 255.255.255.0 1 SYSPLEXROUTING",
    );
    r.assert_clean();
    assert_eq!(r.stack.dynamic_xcf.map(|d| d.value), Some(ip("10.1.9.2")));
    assert_eq!(
        r.stack.dynamic_xcf6.map(|d| d.value),
        Some(ip("2001:db8::1"))
    );
    assert_eq!(r.stack.ipconfig.map(|s| r.text(s)), Some("IPCONFIG"));
    assert_eq!(r.stack.ipconfig.unwrap().start, 0);
    assert!(r.stack.sysplex_routing.is_some());
}

#[test]
fn home_lists() {
    let r = run("HOME 10.1.1.1 OSAL1 10.1.1.2 OSAL2\n\
         ; a comment between entries\n\
           010.1.1.3   START   ; a link named like a statement\n\
           10.1.1.4 PORT\n\
         ARPAGE 20");
    r.assert_clean();
    assert_eq!(r.names(), ["HOME", "ARPAGE"]);
    let StmtKind::Home(h) = &r.statements()[0].kind else {
        panic!()
    };
    let entries: Vec<(Ipv4Addr, &str)> = h
        .iter()
        .map(|e| (e.addr.value, e.link.value.as_str()))
        .collect();
    assert_eq!(
        entries,
        [
            (Ipv4Addr::new(10, 1, 1, 1), "OSAL1"),
            (Ipv4Addr::new(10, 1, 1, 2), "OSAL2"),
            (Ipv4Addr::new(10, 1, 1, 3), "START"),
            (Ipv4Addr::new(10, 1, 1, 4), "PORT"),
        ]
    );
    assert_eq!(r.text(h[2].addr.span), "010.1.1.3");
    assert_eq!(r.stack.home.len(), 4);
    // Repeated HOME statements add up.
    let r = run("HOME 10.1.1.1 L1\nHOME 10.1.1.2 L2\n");
    assert_eq!(
        r.stack.home.iter().map(|h| h.value).collect::<Vec<_>>(),
        [ip("10.1.1.1"), ip("10.1.1.2")]
    );
}

#[test]
fn interface_ipaddr() {
    let r = run(
        "INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1 IPADDR 10.1.1.1/24 VLANID 10\n\
         INTERFACE OSA16 DEFINE IPAQENET6 PORTNAME P1 IPADDR 2001:db8::11\n\
         INTERFACE OSA2 DEFINE IPAQENET PORTNAME P2\n\
         INTERFACE OSA3 DELETE\n\
         DELETE DEVICE X\n\
         INTERFACE DELETE DEFINE VIRTUAL IPADDR 10.1.1.9\n",
    );
    r.assert_clean();
    assert_eq!(
        r.names(),
        [
            "INTERFACE",
            "INTERFACE",
            "INTERFACE",
            "INTERFACE",
            "DELETE",
            "INTERFACE"
        ]
    );
    let intf: Vec<&zha_tcpip::Interface> = r
        .statements()
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Interface(i) => Some(i),
            _ => None,
        })
        .collect();
    assert_eq!(intf[0].ipaddr.map(|a| a.value), Some(ip("10.1.1.1")));
    assert_eq!(intf[1].ipaddr.map(|a| a.value), Some(ip("2001:db8::11")));
    assert_eq!(intf[2].ipaddr, None);
    assert_eq!(
        intf[3]
            .args
            .iter()
            .map(|a| a.value.as_str())
            .collect::<Vec<_>>(),
        ["DELETE"]
    );
    // An interface may be named DELETE; the name is positional.
    assert_eq!(intf[4].name.value, "DELETE");
    assert_eq!(intf[4].ipaddr.map(|a| a.value), Some(ip("10.1.1.9")));
    assert_eq!(
        r.stack.home.iter().map(|h| h.value).collect::<Vec<_>>(),
        [ip("10.1.1.1"), ip("2001:db8::11"), ip("10.1.1.9")]
    );
}

#[test]
fn include_names() {
    let mut sy = Symbols::new();
    sy.set("SYSNAME", "SYSA");
    let r = run_with(
        "INCLUDE adcd.z25b.tcpparms(zcxdvipa)\n\
         include /u/tcpip/&SYSNAME./Vipa.prof\n\
         INCLUDE SYS1.TCPPARMS.&SYSNAME.\n\
         INCLUDE 'USER.TCPPARMS(PORTS)'\n",
        &sy,
    );
    r.assert_clean();
    let names: Vec<&str> = r
        .statements()
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Include(n) => n.value.as_str(),
            k => panic!("{k:?}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            "ADCD.Z25B.TCPPARMS(ZCXDVIPA)",
            // A path keeps its case.
            "/u/tcpip/SYSA/Vipa.prof",
            "SYS1.TCPPARMS.SYSA",
            "'USER.TCPPARMS(PORTS)'",
        ]
    );
    assert_eq!(
        include_candidates(names[0]),
        [
            "ZCXDVIPA",
            "ADCD.Z25B.TCPPARMS(ZCXDVIPA)",
            "ADCD.Z25B.TCPPARMS.ZCXDVIPA"
        ]
    );
    assert_eq!(include_candidates(names[1]), [names[1]]);
    assert_eq!(
        include_candidates(names[3]),
        ["PORTS", "USER.TCPPARMS(PORTS)", "USER.TCPPARMS.PORTS"]
    );
    // The INCLUDE takes one name; what follows is the next statement.
    let r = run("INCLUDE A.B(C) HOME 10.1.1.1 L\n");
    assert_eq!(r.names(), ["INCLUDE", "HOME"]);
}

#[test]
fn viparange_viparoute_vipasmparms() {
    let cases = [
        (
            "VIPARANGE DEFINE MOVEABLE NONDISRUPTIVE 255.255.255.0 10.1.2.0",
            "Range(VipaRange { delete: false, args: [\"DEFINE\", \"MOVEABLE\", \"NONDISRUPTIVE\", \"255.255.255.0\", \"10.1.2.0\"], mask: Some(255.255.255.0), addr: Some(10.1.2.0) })",
        ),
        (
            "VIPAR DELETE 255.255.255.0 10.1.2.0",
            "Range(VipaRange { delete: true, args: [\"DELETE\", \"255.255.255.0\", \"10.1.2.0\"], mask: Some(255.255.255.0), addr: Some(10.1.2.0) })",
        ),
        (
            "VIPARANGE 255.255.255.255 10.1.2.5 SAF ZCXRES",
            "Range(VipaRange { delete: false, args: [\"255.255.255.255\", \"10.1.2.5\", \"SAF\", \"ZCXRES\"], mask: Some(255.255.255.255), addr: Some(10.1.2.5) })",
        ),
        (
            "VIPARANGE DEFINE ZCXV6 2001:db8:2::/64",
            "Range(VipaRange { delete: false, args: [\"DEFINE\", \"ZCXV6\", \"2001:DB8:2::/64\"], mask: None, addr: Some(2001:db8:2::) })",
        ),
        (
            "VIPAROUTE DEFINE 10.1.9.2 10.1.5.2",
            "Route([\"DEFINE\", \"10.1.9.2\", \"10.1.5.2\"])",
        ),
        (
            "VIPASM SMMCAST 224.0.1.1 SMPORT 1637",
            "SmParms([\"SMMCAST\", \"224.0.1.1\", \"SMPORT\", \"1637\"])",
        ),
    ];
    for (line, want) in cases {
        assert_eq!(one_sub(line), want, "{line}");
    }
}

#[test]
fn words_that_spell_statements_in_name_positions() {
    let r = run("DEVICE PORT MPCIPA\n\
         LINK HOME IPAQENET OSA1\n\
         START HOME\n\
         STOP START\n\
         PORT 20 TCP HOME NOAUTOLOG 21 UDP STOP\n\
         PRIMARYINTERFACE LINK\n\
         DELETE LINK STOP\n\
         DELETE PORT 20 TCP HOME\n\
         PORT 21 TCP FTPD\n\
         INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1\n\
         DELETE DEVICE X\n");
    r.assert_clean();
    assert_eq!(
        r.names(),
        [
            "DEVICE",
            "LINK",
            "START",
            "STOP",
            "PORT",
            "PRIMARYINTERFACE",
            "DELETE",
            "DELETE",
            "PORT",
            "INTERFACE",
            "DELETE"
        ]
    );
    let args: Vec<String> = r
        .statements()
        .iter()
        .map(|s| r.text(s.span).to_owned())
        .collect();
    assert_eq!(args[7], "DELETE PORT 20 TCP HOME");
    assert_eq!(args[9], "INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1");
}

#[test]
fn quoted_strings_are_single_tokens() {
    let r = run(
        "AUTOLOG 5\n  TRMD PARMSTRING \"-d ENDAUTOLOG ; x\"\nENDAUTOLOG\n\
         SACONFIG COMMUNITY \"Public\"\n",
    );
    r.assert_clean();
    assert_eq!(r.names(), ["AUTOLOG", "SACONFIG"]);
    let StmtKind::Other(a) = &r.statements()[0].kind else {
        panic!()
    };
    assert_eq!(
        a.iter().map(|a| a.value.as_str()).collect::<Vec<_>>(),
        ["5", "TRMD", "PARMSTRING", "\"-d ENDAUTOLOG ; x\""]
    );
    assert_eq!(r.text(a[3].span), "\"-d ENDAUTOLOG ; x\"");
    // Printing keeps the quotes.
    assert!(
        r.parsed
            .profile
            .to_string()
            .contains("PARMSTRING \"-d ENDAUTOLOG ; x\" ENDAUTOLOG")
    );
}

#[test]
fn system_symbols_are_substituted() {
    let mut sy = Symbols::new();
    sy.set("SYSCLONE", "0A");
    sy.set("XCF", "10.1.9.1 255.255.255.0 1");
    let r = run_with(
        "IPCONFIG DYNAMICXCF &XCF. SYSPLEXROUTING\nHOME 10.1.1.1 OSA&SYSCLONE.L\n",
        &sy,
    );
    r.assert_clean();
    assert_eq!(r.stack.dynamic_xcf.map(|d| d.value), Some(ip("10.1.9.1")));
    let StmtKind::Home(h) = &r.statements()[1].kind else {
        panic!()
    };
    assert_eq!(h[0].link.value, "OSA0AL");
    assert_eq!(r.text(h[0].link.span), "OSA&SYSCLONE.L");
}

#[test]
fn system_symbol_substrings_are_substituted() {
    let mut sy = Symbols::new();
    sy.set("SYSNAME", "SYSA01");
    sy.set("SYSCLONE", "01");
    let src = "IPCONFIG DYNAMICXCF 10.1.9.&SYSCLONE(2:1). 255.255.255.0 1 SYSPLEXROUTING\n\
               HOME 10.1.1.&SYSNAME(-2:2). OSA&SYSNAME(1:4).L\n\
               PORT 443 TCP IZUSVR&SYSCLONE(-1).\n\
               VIPADYNAMIC\n\
               \x20 VIPADEFINE 255.255.255.0 10.1.2.&SYSCLONE(5:1).9\n\
               ENDVIPADYNAMIC\n";
    let r = run_with(src, &sy);
    r.assert_clean();
    assert_eq!(r.stack.dynamic_xcf.map(|d| d.value), Some(ip("10.1.9.1")));
    let StmtKind::Home(h) = &r.statements()[1].kind else {
        panic!()
    };
    assert_eq!(h[0].addr.value.to_string(), "10.1.1.1");
    assert_eq!(h[0].link.value, "OSASYSAL");
    assert_eq!(r.text(h[0].link.span), "OSA&SYSNAME(1:4).L");
    assert!(matches!(
        r.stack.port_access(443, "IZUSVR1"),
        zha_tcpip::PortAccess::Allowed { .. }
    ));
    // A start past the end is the null string (IBM): 10.1.2.9.
    assert_eq!(r.vipa_addrs(), ["10.1.2.9"]);

    // Unresolved: one ZHA0013 at the whole reference, notation included,
    // and the job name is not judged.
    let r = run("PORT 443 TCP IZUSVR&SYSCLONE(2:1).\n");
    assert_eq!(r.codes(), [zha_tcpip::codes::UNRESOLVED_SYMBOL]);
    let d = r.one(zha_tcpip::codes::UNRESOLVED_SYMBOL);
    assert_eq!(r.primary(d), "&SYSCLONE(2:1).");
    assert_eq!(d.message, "system symbol &SYSCLONE. has no value");
    assert!(matches!(
        r.stack.port_access(443, "IZUSVR1"),
        zha_tcpip::PortAccess::Unresolved { .. }
    ));
}
