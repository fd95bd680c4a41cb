//! `plan`: whatever it writes passes `check` with no finding.

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

fn spec() -> impl Strategy<Value = PlanSpec> {
    (2usize..=6)
        .prop_flat_map(|n| {
            (
                Just(n),
                0..n,
                proptest::collection::vec(proptest::option::of(1u8..=254), n),
                any::<bool>(),
                proptest::option::of(1024u16..2000),
                proptest::option::of(0..n),
                proptest::sample::select(vec!["SYS", "PROD", "T", "LPAR"]),
                any::<bool>(),
            )
        })
        .prop_map(|(n, pref, ranks, sb, apiml, dist, prefix, named_host)| {
            let mut used = Vec::new();
            let systems = (0..n)
                .map(|i| {
                    let rank = if i == pref {
                        None
                    } else {
                        ranks[i].filter(|r| {
                            let fresh = !used.contains(r);
                            used.push(*r);
                            fresh
                        })
                    };
                    SystemSpec {
                        name: format!("{prefix}{}", (b'A' + u8::try_from(i).unwrap()) as char),
                        xcf: Ipv4Addr::new(10, 1, 1, u8::try_from(i + 1).unwrap()),
                        preferred: i == pref,
                        rank,
                    }
                })
                .collect();
            PlanSpec {
                sysplex: "PLEXP".into(),
                dvipa: Ipv4Addr::new(10, 9, 0, 10),
                mask: Ipv4Addr::new(255, 255, 255, 0),
                port: 443,
                apiml_port: apiml,
                autoswitchback: sb,
                distributor: dist
                    .map(|d| format!("{prefix}{}", (b'A' + u8::try_from(d).unwrap()) as char)),
                hostname: named_host.then(|| "10.9.0.10".into()),
                keyring: "IZUKeyring.IZUDFLT".into(),
                saf_prefix: "IZUDFLT".into(),
                user_dir: "/global/zosmf".into(),
                xcf_mask: Ipv4Addr::new(255, 255, 255, 0),
                systems,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn every_generated_plan_checks_clean(p in spec()) {
        let r = check_plan(&p);
        prop_assert!(r.diagnostics.is_empty(), "{}\n{p:?}", ids(&r));
    }
}
