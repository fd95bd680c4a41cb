//! System symbols with substring notation (`&SYSCLONE(2:1).`) in a member:
//! one word for the lexer, substituted by IBM's rules, and an unresolved one
//! reported once at the whole reference.

use zha_diag::FileId;
use zha_diag::symbols::Symbols;
use zha_parmlib::{Value, effective, parse};

fn symbols() -> Symbols {
    let mut s = Symbols::new();
    s.set("SYSNAME", "SYSA01");
    s.set("SYSCLONE", "0A");
    s
}

/// The single values of the member's statements, in order.
fn values(text: &str, symbols: &Symbols) -> Vec<(String, String)> {
    let parsed = parse(FileId(0), text, symbols);
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    parsed
        .member
        .statements
        .iter()
        .filter_map(|s| match &s.value {
            Value::Single(v) => Some((s.name.clone(), v.value.text.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn substrings_are_substituted() {
    let text = "SERVER_PROC(IZUSVR&SYSCLONE(2:1).) AUTOSTART_GROUP(IZU&SYSNAME(-2:2).)\n\
                HOSTNAME('&SYSNAME(1:4)..example.com')\n\
                USER_DIR('/global/zosmf/&sysname(3).&SYSNAME().')\n\
                ANGEL_PROC(IZUANG&SYSCLONE(-1))\n";
    assert_eq!(
        values(text, &symbols()),
        [
            ("SERVER_PROC".to_owned(), "IZUSVRA".to_owned()),
            ("AUTOSTART_GROUP".to_owned(), "IZU01".to_owned()),
            ("HOSTNAME".to_owned(), "SYSA.example.com".to_owned()),
            // A start alone is one character (IBM: &YR8(2) is 0).
            ("USER_DIR".to_owned(), "/global/zosmf/SSYSA01".to_owned()),
            ("ANGEL_PROC".to_owned(), "IZUANGA".to_owned()),
        ]
    );
    let parsed = parse(FileId(0), text, &symbols());
    let s = effective(&[parsed.member]);
    assert_eq!(s.server_proc.value, "IZUSVRA");
    assert_eq!(s.angel_proc.value, "IZUANGA");
}

#[test]
fn out_of_range_substrings_follow_ibm() {
    // Start past the end: nothing; negative start past the beginning:
    // start 1; start 0: start 1; length 0: 1; length past the end: to the
    // end.
    let text = "SERVER_PROC(IZUSVR&SYSCLONE(3:1).)\n\
                AUTOSTART_GROUP(G&SYSNAME(-9:3).)\n\
                SAF_PREFIX(P&SYSNAME(0:2).)\n\
                ANGEL_PROC(A&SYSNAME(2:0).)\n\
                USER_DIR('/u/&SYSNAME(5:99).')\n";
    assert_eq!(
        values(text, &symbols()),
        [
            ("SERVER_PROC".to_owned(), "IZUSVR".to_owned()),
            ("AUTOSTART_GROUP".to_owned(), "GSYS".to_owned()),
            ("SAF_PREFIX".to_owned(), "PSY".to_owned()),
            ("ANGEL_PROC".to_owned(), "AY".to_owned()),
            ("USER_DIR".to_owned(), "/u/01".to_owned()),
        ]
    );
}

#[test]
fn unresolved_symbol_in_a_substring_is_one_warning() {
    let text = "SERVER_PROC(IZUSVR&SYSCLONE(2:1).) AUTOSTART(LOCAL)\n";
    let parsed = parse(FileId(0), text, &Symbols::new());
    let found: Vec<(String, &str)> = parsed
        .diagnostics
        .iter()
        .map(|d| {
            let l = d.labels.iter().find(|l| l.primary).unwrap();
            (d.id(), &text[l.span.range()])
        })
        .collect();
    // Not ZHA0406 (syntax) or ZHA0405 (unknown statement IZUSVR&SYSCLONE).
    assert_eq!(found, [("ZHA0013W".to_owned(), "&SYSCLONE(2:1).")]);
    assert_eq!(
        parsed.diagnostics[0].message,
        "system symbol &SYSCLONE. has no value"
    );
    let names: Vec<_> = parsed.member.statements.iter().map(|s| &s.name).collect();
    assert_eq!(names, ["SERVER_PROC", "AUTOSTART"]);
    // The value stays as written, so it is never taken for a real name.
    let s = effective(&[parsed.member]);
    assert_eq!(s.server_proc.value, "IZUSVR&SYSCLONE(2:1).");
}
