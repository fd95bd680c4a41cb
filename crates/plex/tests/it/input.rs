//! Loading: sysplex.toml errors, missing and unreadable files, encodings,
//! INCLUDEs, and lone files.

use std::path::PathBuf;

use zha_diag::Severity;
use zha_plex::{Kind, MemFs, Options, check, codes};

use crate::fixture::*;

#[test]
fn toml_syntax_error_is_located_and_fatal() {
    let r = Plex::good()
        .with(
            "sysplex.toml",
            "name = \"PLEX1\"\n[[system]\nname = \"SYSA\"\n",
        )
        .check();
    assert!(r.fatal);
    let d = one(&r, codes::TOML);
    let l = d.labels[0].span;
    let lc = r.sources.file(l.file).line_col(l.start as usize);
    assert_eq!(lc.line, 2, "{d:?}");
    assert!(r.sysplex.is_none());
}

#[test]
fn toml_unknown_key_and_content_errors() {
    let r = Plex::good()
        .edit("sysplex.toml", "profile = \"PROFA\"", "profil = \"PROFA\"")
        .check();
    assert!(r.fatal);
    let d = one(&r, codes::TOML);
    assert!(d.message.contains("profil"), "{}", d.message);
    assert_eq!(primary(&r, d).1, "profil");

    let r = Plex::good()
        .edit("sysplex.toml", "name = \"SYSB\"", "name = \"sysa\"")
        .check();
    assert!(r.fatal);
    assert!(one(&r, codes::TOML_CONTENT).message.contains("twice"));

    let r = Plex::good().with("sysplex.toml", "name = \"P\"\n").check();
    assert!(one(&r, codes::TOML_CONTENT).message.contains("no system"));

    let r = Plex::good()
        .edit("sysplex.toml", "name = \"SYSB\"", "name = \"SYSTEMBEE\"")
        .check();
    assert!(
        one(&r, codes::TOML_CONTENT)
            .message
            .contains("not a z/OS system name")
    );
}

#[test]
fn a_missing_member_points_at_sysplex_toml_and_is_fatal() {
    let r = Plex::good().without("IZUPRM0B").check();
    assert!(r.fatal);
    let d = one(&r, codes::MISSING_FILE);
    assert!(d.message.contains("p/IZUPRM0B"), "{}", d.message);
    assert_eq!(
        primary(&r, d),
        ("p/sysplex.toml".into(), "\"IZUPRM0B\"".into())
    );
    // The HA rules do not run on a half-read sysplex.
    assert!(r.sysplex.is_none());
}

#[test]
fn a_folder_without_sysplex_toml() {
    let r = Plex::good().without("sysplex.toml").check();
    assert!(r.fatal);
    assert!(
        one(&r, codes::MISSING_FILE)
            .message
            .contains("holds no sysplex.toml")
    );
}

#[test]
fn ebcdic_binary_and_latin1() {
    // "AUTOSTART(LOCAL)" in EBCDIC, padded with EBCDIC blanks.
    let mut e = vec![
        0xC1, 0xE4, 0xE3, 0xD6, 0xE2, 0xE3, 0xC1, 0xD9, 0xE3, 0x4D, 0xD3, 0xD6, 0xC3, 0xC1, 0xD3,
        0x5D,
    ];
    e.extend([0x40; 64]);
    // One 80-byte record, as a binary transfer of a data set with LRECL 80
    // brings it: decoded, with a warning, and the member's setting is read.
    let r = Plex::good()
        .with("IZUPRM0A", [e.clone(), e.clone()].concat())
        .check();
    assert!(!r.fatal, "{}", ids(&r));
    let d = one(&r, codes::EBCDIC);
    assert_eq!(d.severity, zha_diag::Severity::Warning);
    assert!(
        d.message.contains("2 fixed 80-byte records"),
        "{}",
        d.message
    );
    // Not a whole number of records and no line end: the lines cannot be
    // told apart, so the check stops with a hint that yields lines.
    e.truncate(72);
    let r = Plex::good()
        .with("IZUPRM0A", [e.clone(), e].concat())
        .check();
    assert!(r.fatal);
    let d = one(&r, codes::EBCDIC);
    let help = d.help.as_deref().unwrap();
    assert!(
        help.contains("iconv -f IBM-1047 -t ISO-8859-1") && help.contains("dd conv=unblock cbs=80"),
        "{help}"
    );

    let r = Plex::good()
        .with("PROFA", b"\x7fELF\x02\x01\x01\x00\x00")
        .check();
    assert!(r.fatal);
    one(&r, codes::BINARY);

    // ¬ in ISO-8859-1 (0xAC) in a comment: read, with a warning.
    let mut t = b"/* \xAC comment */\n".to_vec();
    t.extend_from_slice(IZUPRM0A.as_bytes());
    let r = Plex::good().with("IZUPRM0A", t).check();
    assert!(!r.fatal);
    assert_eq!(one(&r, codes::LATIN1).severity, Severity::Warning);
    assert_eq!(errors(&r), 0, "{}", ids(&r));
}

#[test]
fn an_empty_member_warns_and_takes_defaults() {
    let r = Plex::good().with("IZUPRM0B", "").check();
    assert!(!r.fatal);
    // SYSB then runs IZUSVR1 in IZUDFLT under /global/zosmf: no clash with SYSA's own values,
    // but the empty member itself is reported.
    assert!(
        r.diagnostics.iter().any(|d| d.code == "ZHA0411"),
        "{}",
        ids(&r)
    );
}

fn include_plex(profa: &str) -> Plex {
    Plex::good()
        .with("PROFA", profa)
        .with(
            "VIPAA",
            "VIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.0.0.10\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100\nENDVIPADYNAMIC\n",
        )
}

#[test]
fn includes_are_followed_by_member_name_ignoring_case() {
    let p = include_plex(
        "IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.1.1 255.255.255.0 1\ninclude sys1.tcpparms(vipaa)\n",
    );
    let r = p.check();
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
    let st = r.sysplex.unwrap().systems[0].stack.clone().unwrap();
    assert_eq!(st.distributions.len(), 1);
    // The DSN.MEMBER spelling is found too.
    let r = Plex::good()
        .with("PROFA", "IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.1.1 255.255.255.0 1\nINCLUDE SYS1.TCPPARMS(VIPAA)\n")
        .with("SYS1.TCPPARMS.VIPAA", include_plex("").text("VIPAA"))
        .check();
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
}

#[test]
fn include_not_found_is_an_error_in_a_sysplex_and_a_warning_alone() {
    let p = include_plex(
        "IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.1.1 255.255.255.0 1\nINCLUDE SYS1.TCPPARMS(NOPE)\n",
    );
    let r = p.check();
    let d = with_code(&r, codes::INCLUDE_NOT_FOUND);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, Severity::Error);
    assert_eq!(primary(&r, d[0]).1, "SYS1.TCPPARMS(NOPE)");
    assert!(
        d[0].labels[0]
            .message
            .contains("NOPE, SYS1.TCPPARMS(NOPE), SYS1.TCPPARMS.NOPE")
    );

    let r = check(&p.fs(), &[PathBuf::from("p/PROFA")], &Options::default());
    assert_eq!(
        one(&r, codes::INCLUDE_NOT_FOUND).severity,
        Severity::Warning
    );
    assert!(!r.fatal);
}

#[test]
fn include_cycle_and_depth() {
    let r = Plex::good()
        .with("PROFA", format!("{PROFA}INCLUDE X.Y(LOOP1)\n"))
        .with("LOOP1", "INCLUDE X.Y(LOOP2)\n")
        .with("LOOP2", "INCLUDE X.Y(LOOP1)\n")
        .check();
    let d = one(&r, codes::INCLUDE_CYCLE);
    assert_eq!(primary(&r, d), ("p/LOOP2".into(), "X.Y(LOOP1)".into()));
    assert!(d.notes[0].contains("p/LOOP1"), "{:?}", d.notes);

    // A chain 20 deep: followed to 16, then an error.
    let mut p = Plex::good().with("PROFA", format!("{PROFA}INCLUDE X.Y(D1)\n"));
    for i in 1..20 {
        p = p.with(&format!("D{i}"), format!("INCLUDE X.Y(D{})\n", i + 1));
    }
    p = p.with("D20", "ARPAGE 5\n");
    let r = p.check();
    one(&r, codes::INCLUDE_DEPTH);
}

#[test]
fn a_block_does_not_continue_into_an_include() {
    let r = Plex::good()
        .with("PROFA", "IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.1.1 255.255.255.0 1\nVIPADYNAMIC\nINCLUDE X.Y(REST)\n")
        .with("REST", "  VIPADEFINE 255.255.255.0 10.0.0.10\nENDVIPADYNAMIC\n")
        .check();
    // The block runs to the end of PROFA; the INCLUDE inside it is read as
    // a (bad) sub-statement, not followed.
    one(&r, zha_tcpip::codes::MISSING_END);
    let d = one(&r, zha_tcpip::codes::SYNTAX);
    assert_eq!(primary(&r, d), ("p/PROFA".into(), "INCLUDE".into()));
    assert!(r.sources.iter().all(|(_, f)| f.name() != "p/REST"));
}

#[test]
fn lone_files_kinds_and_rules() {
    let mut fs = MemFs::new();
    fs.add("IZUPRM0A", "AUTOSTART(MAYBE)\n");
    fs.add(
        "prof.tcpip",
        "; a profile\nVIPADYNAMIC\n VIPADEFINE 255.255.255.0 10.0.0.10\n VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443 DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP\nENDVIPADYNAMIC\n",
    );
    fs.add("odd", "VIPADYNAMIC\nENDVIPADYNAMIC\n");
    let r = check(
        &fs,
        &[PathBuf::from("IZUPRM0A"), PathBuf::from("prof.tcpip")],
        &Options::default(),
    );
    assert!(!r.fatal);
    // The member's syntax is checked; the profile gets the lone rules
    // (ZHA2014: no SYSPLEXROUTING) but no cross-system rule.
    assert!(
        r.diagnostics.iter().any(|d| d.code == "ZHA0407"),
        "{}",
        ids(&r)
    );
    one(&r, codes::SYSPLEXROUTING);
    assert!(with_code(&r, codes::DVIPA_OWNERSHIP).is_empty());
    assert!(with_code(&r, codes::NO_ZOSMF_DVIPA).is_empty());

    // --kind overrides the guess, but a profile read as a member is said
    // to be one (exit status 2), not a warning for every line.
    let opts = Options {
        kind: Some(Kind::Parmlib),
        ..Options::default()
    };
    let r = check(&fs, &[PathBuf::from("odd")], &opts);
    assert!(r.fatal);
    let d = one(&r, codes::WRONG_KIND);
    assert!(
        d.message.contains("looks like a TCP/IP profile"),
        "{}",
        d.message
    );
    assert!(d.help.as_deref().unwrap().contains("--kind profile"));
    assert_eq!(r.diagnostics.len(), 1, "{}", ids(&r));
    // And a member read as a profile.
    let opts = Options {
        kind: Some(Kind::Profile),
        ..Options::default()
    };
    let r = check(&fs, &[PathBuf::from("IZUPRM0A")], &opts);
    assert!(r.fatal);
    assert!(
        one(&r, codes::WRONG_KIND)
            .message
            .contains("looks like an IZUPRMxx member")
    );
    // A member with a profile's first word is still read as asked.
    fs.add(
        "both",
        "HOSTNAME('10.0.0.10')
AUTOSTART(LOCAL)
",
    );
    let opts = Options {
        kind: Some(Kind::Parmlib),
        ..Options::default()
    };
    assert!(!check(&fs, &[PathBuf::from("both")], &opts).fatal);
    assert_eq!(
        zha_plex::check::kind_of("odd".as_ref(), "VIPADYNAMIC\n", None),
        Kind::Profile
    );
}

#[test]
fn an_unreadable_lone_file_is_fatal_without_a_place() {
    let r = check(
        &MemFs::new(),
        &[PathBuf::from("nope.tcpip")],
        &Options::default(),
    );
    assert!(r.fatal);
    let d = one(&r, codes::MISSING_FILE);
    assert!(d.labels.is_empty());
    assert!(d.message.contains("nope.tcpip"));
}

#[test]
fn a_sysplex_toml_among_other_files_must_be_named_alone() {
    let p = Plex::good();
    let r = check(
        &p.fs(),
        &[PathBuf::from("p/sysplex.toml"), PathBuf::from("p/IZUPRM0A")],
        &Options::default(),
    );
    assert!(r.fatal);
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.message.contains("name it alone")),
        "{}",
        ids(&r)
    );
}
