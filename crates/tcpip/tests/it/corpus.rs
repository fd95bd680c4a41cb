//! The real profiles of shared/corpus/tcpip (see its SOURCES.md): each parses
//! and applies without an error, and a few facts of each come out right.

use std::net::{IpAddr, Ipv4Addr};

use zha_diag::Severity;
use zha_diag::render::{Style, render};
use zha_diag::symbols::Symbols;
use zha_tcpip::codes;
use zha_tcpip::{StmtKind, SubKind};

use crate::{Run, run_named, run_with};

/// The corpus folder's profiles (`ZHA_CORPUS`, else `../shared/corpus`).
fn dir() -> String {
    zha_testkit::corpus().join("tcpip").display().to_string()
}

const FILES: [&str; 6] = [
    "adcd-z25b-prof2-includes.tcpip",
    "adcd-z25b-zcxdvipa.tcpip",
    "adcd-z25b-zpdtdev2.tcpip",
    "mvs-esa522-tcpipv3-profile-ctc.tcpip",
    "profile-symbolic-osa1500-ttls.tcpip",
    "samp-profile-customized.tcpip",
];

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{}/{name}", dir()))
        .unwrap_or_else(|e| panic!("cannot read corpus file {name}: {e}"))
}

fn load(name: &str) -> Run {
    run_named(name, &read(name), &Symbols::new())
}

fn other_args(r: &Run, name: &str) -> Vec<String> {
    let s = r
        .statements()
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name} statement"));
    match &s.kind {
        StmtKind::Other(args) => args.iter().map(|a| a.value.clone()).collect(),
        StmtKind::Port(list) => list.args.iter().map(|a| a.value.clone()).collect(),
        k => panic!("{name} is not kept as tokens: {k:?}"),
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn the_corpus_holds_the_expected_files() {
    let mut found: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tcpip"))
        .collect();
    found.sort();
    assert_eq!(found, FILES, "corpus changed: update these tests");
}

#[test]
fn every_file_parses_and_applies_without_errors() {
    for name in FILES {
        let r = load(name);
        for d in r.diagnostics() {
            // Every span renders (in bounds, on char boundaries).
            let text = render(d, &r.sources, Style::Plain);
            assert!(text.contains(d.code), "{name}: {text}");
            for l in &d.labels {
                let src = r.sources.file(l.span.file).text();
                assert!(src.get(l.span.range()).is_some(), "{name}: bad span");
            }
            assert_ne!(
                d.severity,
                Severity::Error,
                "{name} has an error:\n{}",
                r.rendered()
            );
        }
    }
}

/// Every finding of each corpus file, rendered, and what its stack holds:
/// reviewed snapshots, so that a change in what real profiles produce is
/// seen (SPEC: the corpus gives no false error).
#[test]
fn findings_of_each_file_are_reviewed() {
    for name in FILES {
        let r = load(name);
        let mut out: Vec<String> = r
            .diagnostics()
            .iter()
            .map(|d| render(d, &r.sources, Style::Plain))
            .collect();
        let st = &r.stack;
        out.push(format!(
            "stack: {} home, {} DVIPAs, {} distributions, {} ignored, {} port reservations ({} TCP), RESTRICTLOWPORTS {}",
            st.home.len(),
            st.vipas.len(),
            st.distributions.len(),
            st.ignored.len(),
            st.reservations.len(),
            st.reservations
                .iter()
                .filter(|e| e.protocol.value == zha_tcpip::Protocol::Tcp)
                .count(),
            if st.restrict_low_ports.is_some() { "on" } else { "off" },
        ));
        let snap = format!(
            "corpus_{}",
            name.trim_end_matches(".tcpip").replace('-', "_")
        );
        insta::assert_snapshot!(snap, out.join("\n\n"));
    }
}

#[test]
fn samp_profile_customized() {
    let r = load("samp-profile-customized.tcpip");
    assert_eq!(
        r.names(),
        [
            "ARPAGE",
            "GLOBALCONFIG",
            "IPCONFIG",
            "SOMAXCONN",
            "TCPCONFIG",
            "TCPCONFIG",
            "UDPCONFIG",
            "DEVICE",
            "LINK",
            "START",
            "HOME",
            "PRIMARYINTERFACE",
            "BEGINROUTES",
            "AUTOLOG",
            "PORT",
            "SACONFIG",
        ]
    );
    // The only finding: `REPL;CHG`.
    let d = r.one(codes::SEMICOLON_NO_BLANK);
    assert_eq!(r.codes(), [codes::SEMICOLON_NO_BLANK]);
    assert_eq!(r.primary(d), ";");
    assert_eq!(
        r.sources
            .file(r.file)
            .line_col(d.labels[0].span.start as usize)
            .line,
        334
    );
    assert!(d.message.contains("`REPL`"), "{}", d.message);

    let ipconfig = r
        .statements()
        .iter()
        .find_map(|s| match &s.kind {
            StmtKind::IpConfig(c) => Some(c),
            _ => None,
        })
        .unwrap();
    assert_eq!(ipconfig.sysplex_routing.map(|s| s.value), Some(true));
    assert!(ipconfig.dynamic_xcf.is_none());
    assert_eq!(
        ipconfig
            .args
            .iter()
            .map(|a| a.value.as_str())
            .collect::<Vec<_>>(),
        ["DATAGRAMFWD", "VARSUBNETTING", "SYSPLEXROUTING"]
    );

    // One HOME address; the commented entries are not read.
    let home = r
        .statements()
        .iter()
        .find_map(|s| match &s.kind {
            StmtKind::Home(h) => Some(h),
            _ => None,
        })
        .unwrap();
    assert_eq!(home.len(), 1);
    assert_eq!(home[0].addr.value, Ipv4Addr::new(172, 19, 154, 193));
    assert_eq!(home[0].link.value, "SM03CIP");
    assert_eq!(r.stack.home.len(), 1);
    assert_eq!(r.stack.home[0].value, ip("172.19.154.193"));
    assert_eq!(
        r.stack.sysplex_routing.map(|s| r.text(s)),
        Some("SYSPLEXROUTING")
    );
    assert!(r.stack.vipas.is_empty() && r.stack.distributions.is_empty());

    // The route keeps REPL and drops the comment CHG.
    let routes = other_args(&r, "BEGINROUTES");
    assert!(routes.contains(&"REPL".to_owned()));
    assert!(!routes.iter().any(|t| t.contains("CHG")));
    assert_eq!(routes.iter().filter(|t| *t == "ROUTE").count(), 2);
    // Mixed-case END keyword closed the block: AUTOLOG follows as a statement.
    assert_eq!(other_args(&r, "AUTOLOG"), ["5", "FTP", "JOBNAME", "FTP1"]);
    let port = other_args(&r, "PORT");
    assert_eq!(
        port.iter().filter(|t| *t == "TCP" || *t == "UDP").count(),
        29
    );
    assert!(port.contains(&"ADM@SRV".to_owned()) && port.contains(&"*".to_owned()));
    // Lower-case values are upper-cased.
    assert_eq!(
        other_args(&r, "SACONFIG"),
        ["ENABLED", "COMMUNITY", "PUBLIC", "AGENT", "161"]
    );
    assert_eq!(other_args(&r, "DEVICE")[0], "CISCO");
}

#[test]
fn symbolic_profile_warns_for_its_symbols() {
    let name = "profile-symbolic-osa1500-ttls.tcpip";
    let r = load(name);
    assert_eq!(
        r.names(),
        [
            "ITRACE",
            "ARPAGE",
            "DATASETPREFIX",
            "TCPCONFIG",
            "SMFCONFIG",
            "AUTOLOG",
            "PORT",
            "INTERFACE",
            "PRIMARYINTERFACE",
            "BEGINROUTES",
            "START",
        ]
    );
    let unresolved: Vec<&str> = r
        .diagnostics()
        .into_iter()
        .filter(|d| d.code == codes::UNRESOLVED_SYMBOL)
        .map(|d| r.primary(d))
        .collect();
    assert_eq!(
        unresolved,
        ["&HOMEIPADDRESS1", "&OSAPORTNAME", "&DEFAULTROUTEADDR"]
    );
    // Besides them, only DATASETPREFIX (a TCPIP.DATA statement).
    let legacy = r.one(codes::LEGACY);
    assert_eq!(r.primary(legacy), "DATASETPREFIX");
    assert_eq!(r.diagnostics().len(), 4);
    // `ENDAUTOLOG ;` closes the block.
    assert_eq!(other_args(&r, "AUTOLOG"), ["5", "PAGENT"]);
    let StmtKind::Interface(i) = &r.statements()[7].kind else {
        panic!("not an INTERFACE")
    };
    assert_eq!(i.name.value, "OSA1500");
    assert_eq!(i.ipaddr, None);
    assert!(i.args.iter().any(|a| a.value == "&HOMEIPADDRESS1"));
    assert!(r.stack.home.is_empty());

    // With the symbols given, the address is read and nothing is left to say
    // but DATASETPREFIX.
    let mut sy = Symbols::new();
    sy.set("HOMEIPADDRESS1", "10.1.1.2/24");
    sy.set("OSAPORTNAME", "OSAP1");
    sy.set("DEFAULTROUTEADDR", "10.1.1.1");
    let r = run_with(&read(name), &sy);
    assert_eq!(r.codes(), [codes::LEGACY]);
    assert_eq!(
        r.stack.home.iter().map(|h| h.value).collect::<Vec<_>>(),
        [ip("10.1.1.2")]
    );
    let StmtKind::Interface(i) = &r.statements()[7].kind else {
        panic!("not an INTERFACE")
    };
    assert!(i.args.iter().any(|a| a.value == "OSAP1"));
}

#[test]
fn zcx_dvipa_member_holds_one_viparange() {
    let r = load("adcd-z25b-zcxdvipa.tcpip");
    r.assert_clean();
    assert_eq!(r.names(), ["VIPADYNAMIC"]);
    let b = r.block(0);
    assert!(b.end.is_some());
    assert_eq!(b.subs.len(), 1);
    let SubKind::Range(range) = &b.subs[0].kind else {
        panic!("not a VIPARANGE: {:?}", b.subs[0].kind)
    };
    assert!(!range.delete);
    assert_eq!(range.mask.map(|m| m.value), Some(Ipv4Addr::BROADCAST));
    assert_eq!(range.addr.map(|a| a.value), Some(ip("10.1.2.5")));
    assert_eq!(range.args.last().map(|a| a.value.as_str()), Some("ZCX"));
    assert_eq!(r.text(b.subs[0].keyword), "VIPARANGE");
    // A VIPARANGE defines no DVIPA.
    assert!(r.stack.vipas.is_empty() && r.stack.distributions.is_empty());
}

#[test]
fn zpdt_devices_member() {
    let r = load("adcd-z25b-zpdtdev2.tcpip");
    r.assert_clean();
    assert_eq!(
        r.names(),
        [
            "DEVICE",
            "LINK",
            "LINK",
            "DEVICE",
            "LINK",
            "HOME",
            "HOME",
            "BEGINROUTES",
            "START",
            "START",
            "START"
        ]
    );
    assert_eq!(
        r.stack.home.iter().map(|h| h.value).collect::<Vec<_>>(),
        [ip("10.1.2.2"), ip("192.168.1.191")]
    );
    let started: Vec<String> = r
        .statements()
        .iter()
        .filter(|s| s.name == "START")
        .map(|s| match &s.kind {
            StmtKind::Other(a) => a[0].value.clone(),
            k => panic!("{k:?}"),
        })
        .collect();
    assert_eq!(started, ["ADM1ETP", "PORTA", "PORTB"]);
    // The indented comment lines inside BEGINRoutes are not tokens.
    let routes = other_args(&r, "BEGINROUTES");
    assert_eq!(routes.iter().filter(|t| *t == "ROUTE").count(), 3);
    assert!(!routes.iter().any(|t| t == "DESTINATION"));
}

#[test]
fn includes_member() {
    let r = load("adcd-z25b-prof2-includes.tcpip");
    r.assert_clean();
    let names: Vec<&str> = r
        .statements()
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Include(n) => n.value.as_str(),
            k => panic!("{k:?}"),
        })
        .collect();
    // Lower case and mixed case folded; the `;include` line is a comment.
    assert_eq!(
        names,
        [
            "ADCD.Z25B.TCPPARMS(ZCONNECT)",
            "ADCD.Z25B.TCPPARMS(ZCXDVIPA)",
            "ADCD.Z25B.ZCLOUD(INC)",
            "ADCD.Z25B.TCPPARMS(ZPDTDEV2)",
        ]
    );
    assert_eq!(r.text(r.statements()[0].keyword), "include");
}

#[test]
fn mvs_tcpip_v3_profile_has_only_legacy_warnings() {
    let r = load("mvs-esa522-tcpipv3-profile-ctc.tcpip");
    assert_eq!(r.statements().len(), 34);
    let legacy: Vec<&str> = r
        .diagnostics()
        .into_iter()
        .map(|d| {
            assert_eq!(d.code, codes::LEGACY, "{}", r.rendered());
            assert_eq!(d.severity, Severity::Warning);
            r.primary(d)
        })
        .collect();
    assert_eq!(
        legacy,
        [
            "ACBPOOLSIZE",
            "ADDRESSTRANSLATIONPOOLSIZE",
            "CCBPOOLSIZE",
            "DATABUFFERPOOLSIZE",
            "ENVELOPEPOOLSIZE",
            "IPROUTEPOOLSIZE",
            "LARGEENVELOPEPOOLSIZE",
            "RCBPOOLSIZE",
            "SCBPOOLSIZE",
            "SKCBPOOLSIZE",
            "SMALLDATABUFFERPOOLSIZE",
            "TCBPOOLSIZE",
            "TINYDATABUFFERPOOLSIZE",
            "UCBPOOLSIZE",
            "INFORM",
            "OBEY",
            "SYSCONTACT",
            "SYSLOCATION",
            "DATASETPREFIX",
            "INTERNALCLIENTPARMS",
            "GATEWAY",
            "NOTRACE",
            "SCREEN",
            "ASSORTEDPARMS",
            "BEGINVTAM",
        ]
    );
    // The z/OS statements among them are read normally.
    assert_eq!(
        r.stack.home.iter().map(|h| h.value).collect::<Vec<_>>(),
        [ip("192.168.59.222")]
    );
    // Free text of SYSCONTACT stays inside its block.
    assert_eq!(
        other_args(&r, "SYSCONTACT"),
        ["MAIN", "OPERATOR", "(555-1234)"]
    );
    // The one-line block and the empty AUTOLOG and TRANSLATE.
    assert_eq!(other_args(&r, "INTERNALCLIENTPARMS"), ["TIMEMARK", "600"]);
    assert!(other_args(&r, "AUTOLOG").is_empty());
    assert!(other_args(&r, "TRANSLATE").is_empty());
    // GATEWAY's lower-case `defaultnet` and the TN3270 block, whose inner
    // PORT-less DEFAULTLUS … ENDDEFAULTLUS stays inside BEGINVTAM.
    assert!(other_args(&r, "GATEWAY").contains(&"DEFAULTNET".to_owned()));
    let vtam = other_args(&r, "BEGINVTAM");
    assert!(vtam.contains(&"DEFAULTLUS".to_owned()) && vtam.contains(&"ENDDEFAULTLUS".to_owned()));
    assert_eq!(r.names().last(), Some(&"START"));
}
