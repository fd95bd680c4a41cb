//! `plan`: whatever it writes passes `check` with no finding.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use proptest::prelude::*;
use zha_plex::plan::{self, PlanSpec, SystemSpec};
use zha_plex::{MemFs, Options, check};

use crate::fixture::ids;

fn check_plan(p: &PlanSpec) -> zha_plex::Report {
    let files = plan::generate(p).unwrap();
    let mut fs = MemFs::new();
    for f in &files {
        fs.add(PathBuf::from("out").join(&f.name), f.text.clone());
    }
    check(&fs, &[PathBuf::from("out")], &Options::default())
}

#[test]
fn the_local_default_checks_clean() {
    let p = plan::local_default();
    let r = check_plan(&p);
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
    let names: Vec<String> = plan::generate(&p)
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    for n in [
        "sysplex.toml",
        "IZUPRM00",
        "IZUPRM0A",
        "IZUPRM0B",
        "SYSA.TCPIP",
        "SYSB.TCPIP",
        "RACF.txt",
        "PROCLIB.txt",
        "IZUMKFS.txt",
        "CHECKLIST.md",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
    let files = plan::generate(&p).unwrap();
    let racf = &files.iter().find(|f| f.name == "RACF.txt").unwrap().text;
    assert!(
        racf.contains("RDEFINE STARTED IZUSVR0A.*") && racf.contains("RDEFINE STARTED IZUSVR0B.*")
    );
    let a = &files.iter().find(|f| f.name == "SYSA.TCPIP").unwrap().text;
    assert!(a.contains("VIPADEFINE") && !a.contains("VIPABACKUP"));
    let b = &files.iter().find(|f| f.name == "SYSB.TCPIP").unwrap().text;
    assert!(b.contains("VIPABACKUP") && b.contains("127.0.0.12      BACKUP 100"));
}

#[test]
fn a_bad_description_is_refused_with_reasons() {
    let mut p = plan::local_default();
    p.systems[1].preferred = true;
    let e = plan::generate(&p).unwrap_err();
    assert!(e.iter().any(|m| m.contains("exactly one system")), "{e:?}");
    let mut p = plan::local_default();
    p.systems[1].xcf = p.dvipa;
    assert!(
        plan::validate(&p)
            .unwrap_err()
            .iter()
            .any(|m| m.contains("ZHA2016"))
    );
    let mut p = plan::local_default();
    p.systems.truncate(1);
    assert!(plan::validate(&p).is_err());
    assert!(
        plan::parse("sysplex = \"P\"\ndvipa = \"1.2.3\"\n")
            .unwrap_err()
            .contains("line 2")
    );
}

/// Each finding's id and message, one a line.
fn findings(r: &zha_plex::Report) -> String {
    r.diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.id(), d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

fn file<'a>(files: &'a [plan::File], name: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} not generated"))
        .text
}

#[test]
fn ranks_outside_1_to_254_are_refused_with_the_range() {
    // In plan.toml: the line, the value, the range and what to do.
    let text = "sysplex = \"P\"\ndvipa = \"10.0.0.10\"\n\
                [[system]]\nname = \"SYSA\"\nxcf = \"10.0.0.1\"\npreferred = true\n\
                [[system]]\nname = \"SYSB\"\nxcf = \"10.0.0.2\"\nrank = 255\n";
    let e = plan::parse(text).unwrap_err();
    for want in ["line 10", "rank 255", "1-254", "leave `rank` out"] {
        assert!(e.contains(want), "{want:?} not in {e}");
    }
    for bad in ["0", "-1", "1000"] {
        let e = plan::parse(&text.replace("255", bad)).unwrap_err();
        assert!(
            e.contains(&format!("rank {bad} ")) && e.contains("1-254"),
            "{e}"
        );
    }
    let e = plan::parse(&text.replace("rank = 255", "rank = 254").replace(
        "dvipa = \"10.0.0.10\"",
        "dvipa = \"10.0.0.10\"\nport = 70000",
    ))
    .unwrap_err();
    assert!(e.contains("port 70000") && e.contains("1-65535"), "{e}");
    assert!(plan::parse(&text.replace("255", "254")).is_ok());
    // Built in code: the system is named.
    for r in [0, 255] {
        let mut p = plan::local_default();
        p.systems[1].rank = Some(r);
        let e = plan::generate(&p).unwrap_err();
        assert!(
            e.iter()
                .any(|m| m.contains(&format!("SYSB: rank {r} is out of range"))
                    && m.contains("1-254")),
            "{e:?}"
        );
    }
}

#[test]
fn a_dns_hostname_is_written_into_sysplex_toml_and_checks_clean() {
    let mut p = plan::local_default();
    p.hostname = Some("zOSMF.example.com".into());
    let files = plan::generate(&p).unwrap();
    let toml = file(&files, "sysplex.toml");
    assert!(
        toml.contains("[resolve]\n\"zOSMF.example.com\" = \"127.0.0.10\"\n"),
        "{toml}"
    );
    assert!(file(&files, "IZUPRM00").contains("HOSTNAME('zOSMF.example.com')"));
    assert!(file(&files, "CHECKLIST.md").contains("**DNS** resolves zOSMF.example.com"));
    let r = check_plan(&p);
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
    // An address is no name: nothing to resolve.
    p.hostname = Some("127.0.0.010".into());
    assert!(!file(&plan::generate(&p).unwrap(), "sysplex.toml").contains("[resolve]"));
    let r = check_plan(&p);
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
}

#[test]
fn a_hostname_that_cannot_be_the_dvipa_is_refused() {
    for (h, want) in [
        ("127.0.0.99", "not the DVIPA 127.0.0.10"),
        ("zosmf example", "DNS name"),
        ("-zosmf.example.com", "DNS name"),
        ("1.2.3", "DNS name"),
        ("*", "DNS name"),
    ] {
        let mut p = plan::local_default();
        p.hostname = Some(h.into());
        let e = plan::generate(&p).unwrap_err();
        assert!(e.iter().any(|m| m.contains(want)), "{h}: {e:?}");
    }
    let mut p = plan::local_default();
    p.hostname = Some(format!("{}.example.com", "a".repeat(60)));
    assert!(plan::validate(&p).is_err());
}

#[test]
fn given_ranks_are_kept_and_default_ranks_avoid_them() {
    let mut p = plan::local_default();
    p.systems.push(SystemSpec {
        name: "SYSC".into(),
        xcf: Ipv4Addr::new(127, 0, 0, 13),
        preferred: false,
        rank: Some(100),
    });
    let files = plan::generate(&p).unwrap();
    let a = file(&files, "SYSA.TCPIP");
    assert!(a.contains("127.0.0.13      BACKUP 100"), "{a}");
    assert!(a.contains("127.0.0.12      BACKUP 99"), "{a}");
    let r = check_plan(&p);
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
}

#[test]
fn a_system_member_never_replaces_the_shared_izuprm00() {
    let mut p = plan::local_default();
    p.systems[0].name = "SYS0".into();
    p.systems[1].name = "SYS1".into();
    let files = plan::generate(&p).unwrap();
    let names: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names.len(), files.len(), "a file name twice: {names:?}");
    assert!(file(&files, "IZUPRM00").contains("HOSTNAME("));
    let r = check_plan(&p);
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
}

/// A z/OS name: 1-8 of A-Z 0-9 @ # $, not starting with a digit.
fn mvs_name() -> impl Strategy<Value = String> {
    "[A-Z@#$][A-Z0-9@#$]{0,7}"
}

/// A name as plan.toml may write it: upper or lower case.
fn any_case(name: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (name, any::<bool>()).prop_map(|(n, lower)| if lower { n.to_ascii_lowercase() } else { n })
}

/// An address a stack can use: 1-223 first, not .0 or .255 last.
fn unicast() -> impl Strategy<Value = Ipv4Addr> {
    (1u8..=223, any::<u8>(), any::<u8>(), 1u8..=254)
        .prop_map(|(a, b, c, d)| Ipv4Addr::new(a, b, c, d))
}

fn mask() -> impl Strategy<Value = Ipv4Addr> {
    (1u32..=32).prop_map(|len| Ipv4Addr::from(u32::MAX << (32 - len)))
}

/// HOSTNAME: none, the DVIPA (leading zeros or not), or a DNS name.
#[derive(Clone, Debug)]
enum Host {
    None,
    Literal { zeros: bool },
    Name(String),
}

fn host() -> impl Strategy<Value = Host> {
    prop_oneof![
        Just(Host::None),
        any::<bool>().prop_map(|zeros| Host::Literal { zeros }),
        "[A-Za-z]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?(\\.[A-Za-z]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?){0,4}"
            .prop_map(Host::Name),
    ]
}

fn spec() -> impl Strategy<Value = PlanSpec> {
    (2usize..=8)
        .prop_flat_map(|n| {
            (
                (
                    proptest::collection::btree_set(mvs_name(), n),
                    proptest::collection::vec(any::<bool>(), n),
                    0..n,
                    proptest::collection::vec(proptest::option::of(1u8..=254), n),
                    proptest::collection::btree_set(unicast(), n),
                    proptest::option::of(0..n),
                ),
                (
                    unicast(),
                    mask(),
                    mask(),
                    1u16..=65535,
                    proptest::option::of(1u16..=65535),
                    any::<bool>(),
                    host(),
                ),
                (
                    any_case(mvs_name()),
                    any_case(mvs_name()),
                    "[A-Za-z0-9*/._#@$-]{1,40}",
                    "/[A-Za-z0-9*/._#@$-]{0,39}",
                ),
            )
        })
        .prop_filter(
            "the DVIPA is no system's xcf address",
            |((.., xcfs, _), (dvipa, ..), _)| !xcfs.contains(dvipa),
        )
        .prop_map(
            |(
                (names, lower, pref, ranks, xcfs, dist),
                (dvipa, mask, xcf_mask, port, apiml, autoswitchback, host),
                (sysplex, saf_prefix, keyring, user_dir),
            )| {
                let names: Vec<String> = names
                    .into_iter()
                    .zip(lower)
                    .map(|(n, l)| if l { n.to_ascii_lowercase() } else { n })
                    .collect();
                let mut used = Vec::new();
                let systems = names
                    .iter()
                    .zip(xcfs)
                    .enumerate()
                    .map(|(i, (name, xcf))| SystemSpec {
                        name: name.clone(),
                        xcf,
                        preferred: i == pref,
                        // Ranks given twice are refused (ZHA2015): keep the first.
                        rank: if i == pref {
                            None
                        } else {
                            ranks[i].filter(|r| {
                                let fresh = !used.contains(r);
                                used.push(*r);
                                fresh
                            })
                        },
                    })
                    .collect();
                PlanSpec {
                    sysplex,
                    dvipa,
                    mask,
                    port,
                    apiml_port: apiml.filter(|a| *a != port),
                    autoswitchback,
                    distributor: dist.map(|d| names[d].clone()),
                    hostname: match host {
                        Host::None => None,
                        Host::Literal { zeros: false } => Some(dvipa.to_string()),
                        Host::Literal { zeros: true } => {
                            let o = dvipa.octets();
                            Some(format!("{:03}.{:03}.{:03}.{:03}", o[0], o[1], o[2], o[3]))
                        }
                        Host::Name(n) => Some(n),
                    },
                    keyring,
                    saf_prefix,
                    user_dir,
                    xcf_mask,
                    systems,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    /// plan → check: no finding at all, neither error nor warning nor note,
    /// with no `--resolve` (a DNS HOSTNAME is settled by the [resolve] that
    /// plan writes).
    #[test]
    fn every_generated_plan_checks_clean(p in spec()) {
        plan::validate(&p).map_err(|e| TestCaseError::fail(format!("{e:?}\n{p:?}")))?;
        let r = check_plan(&p);
        prop_assert!(r.diagnostics.is_empty(), "{}\n{p:?}", findings(&r));
    }

    /// Whatever the ranks, plan refuses (never panics, never writes a rank
    /// its check rejects): 1-254 only.
    #[test]
    fn ranks_are_validated(rank in any::<u8>()) {
        let mut p = plan::local_default();
        p.systems[1].rank = Some(rank);
        match plan::generate(&p) {
            Ok(files) => {
                prop_assert!((1..=254).contains(&rank));
                let line = format!("BACKUP {rank}\n");
                prop_assert!(file(&files, "SYSA.TCPIP").contains(&line));
            }
            Err(e) => {
                prop_assert!(rank == 0 || rank == 255);
                prop_assert!(e.iter().any(|m| m.contains("1-254")), "{e:?}");
            }
        }
    }
}
