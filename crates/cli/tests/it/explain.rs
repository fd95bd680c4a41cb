use std::collections::BTreeSet;

use crate::*;

fn catalog() -> Vec<zha_diag::CodeInfo> {
    let mut v = zha_plex::codes::all();
    v.extend(zha_distributor::codes::catalog());
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
    for krate in std::fs::read_dir(root().join("crates")).unwrap() {
        let dir = krate.unwrap().path().join("src");
        for e in crate::rust_files(&dir) {
            let text = std::fs::read_to_string(&e).unwrap();
            found.extend(ids_in(&text));
        }
    }
    assert!(found.len() > 30, "{found:?}");
    let missing: Vec<&String> = found.difference(&known).collect();
    assert!(
        missing.is_empty(),
        "ids without an explain entry: {missing:?}"
    );
}

/// Every id literal in a source text, in either form: `"ZHA3012"` and
/// `"ZHA3012W"` (the severity letter dropped).
fn ids_in(text: &str) -> BTreeSet<String> {
    let b = text.as_bytes();
    let mut found = BTreeSet::new();
    for (i, _) in text.match_indices("\"ZHA") {
        let digits = &b[(i + 4).min(b.len())..(i + 8).min(b.len())];
        if digits.len() != 4 || !digits.iter().all(u8::is_ascii_digit) {
            continue;
        }
        let end = match b.get(i + 8) {
            Some(b'"') => true,
            Some(b'I' | b'W' | b'E') => b.get(i + 9) == Some(&b'"'),
            _ => false,
        };
        if end {
            found.insert(text[i + 1..i + 8].to_owned());
        }
    }
    found
}

#[test]
fn the_scanner_sees_both_id_forms() {
    let found = ids_in(r#"a("ZHA3012W"), b("ZHA1001"), c("ZHA2006E"), d("ZHA12"), e("ZHA3012X")"#);
    let want: BTreeSet<String> = ["ZHA1001", "ZHA2006", "ZHA3012"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(found, want);
}

#[test]
fn a_zos_message_finds_the_rules_that_cite_it() {
    for (msg, rule) in [
        ("EZZ0827I", "ZHA2002"),
        ("ezz0831i", "ZHA2006"),
        ("EZZ8307I", "ZHA2016"),
    ] {
        let o = run(&["explain", msg]);
        assert_eq!(code(&o), 0, "{msg}");
        let out = stdout(&o);
        assert!(
            out.contains(&msg.to_ascii_uppercase()) && out.contains(&format!("{rule} (")),
            "{msg}: {out}"
        );
    }
    // A message no rule cites, and a word that is no id.
    let o = run(&["explain", "EZZ9999I"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no rule cites"));
    assert_eq!(code(&run(&["explain", "hello"])), 2);
}
