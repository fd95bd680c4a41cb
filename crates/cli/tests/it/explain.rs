use std::collections::BTreeSet;

use crate::*;

fn catalog() -> Vec<zha_diag::CodeInfo> {
    let mut v = zha_plex::codes::all();
    v.extend_from_slice(zha_distributor::codes::CODES);
    v
}

#[test]
fn every_id_is_explained() {
    for c in catalog() {
        let o = run(&["explain", c.code]);
        assert_eq!(code(&o), 0, "{}", c.code);
        let out = stdout(&o);
        assert!(out.starts_with(c.code), "{out}");
        assert!(out.contains(c.title));
        assert!(out.len() > 150, "{} has a thin explanation", c.code);
    }
    // With the severity letter and in lower case too.
    assert_eq!(code(&run(&["explain", "zha2006e"])), 0);
    assert_eq!(code(&run(&["explain", "ZHA9999"])), 2);
    assert_eq!(code(&run(&["explain", "hello"])), 2);
    let list = stdout(&run(&["explain"]));
    assert!(
        list.lines()
            .filter(|l| l.trim_start().starts_with("ZHA"))
            .count()
            >= 40
    );
}

/// Every id written in the sources has an entry in the catalog, so no
/// finding reaches a user without `explain` knowing it.
#[test]
fn every_id_in_the_sources_is_in_the_catalog() {
    let known: BTreeSet<String> = catalog().iter().map(|c| c.code.to_owned()).collect();
    let mut found = BTreeSet::new();
    for krate in [
        "diag",
        "parmlib",
        "tcpip",
        "plex",
        "standby",
        "distributor",
        "zosmf",
        "cli",
    ] {
        let dir = root().join("crates").join(krate).join("src");
        for e in walk(&dir) {
            let text = std::fs::read_to_string(&e).unwrap();
            let b = text.as_bytes();
            for (i, _) in text.match_indices("\"ZHA") {
                let id = &text[i + 1..(i + 8).min(text.len())];
                if id.len() == 7
                    && b.get(i + 8) == Some(&b'"')
                    && id[3..].bytes().all(|c| c.is_ascii_digit())
                {
                    found.insert(id.to_owned());
                }
            }
        }
    }
    assert!(found.len() > 30, "{found:?}");
    let missing: Vec<&String> = found.difference(&known).collect();
    assert!(
        missing.is_empty(),
        "ids without an explain entry: {missing:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            v.push(p);
        }
    }
    v
}
