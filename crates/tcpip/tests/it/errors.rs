//! Every error path of the parser: the right id and severity, the primary
//! label on the right text, and what is (not) applied afterwards.

use zha_diag::symbols::Symbols;
use zha_tcpip::codes;
use zha_tcpip::{StmtKind, SubKind};

use crate::{run, run_with, sev, vipadyn};

/// `line` inside a VIPADYNAMIC block, followed by a good VIPADEFINE: the line
/// gets exactly one finding, an error with this code, whose primary label is
/// on `primary`; the statement is invalid, the VIPADEFINE after it is skipped
/// (z/OS stops at the first error of a block) and the finding says so.
fn vipa_error(line: &str, code: &str, primary: &str, message: &str) {
    let src = vipadyn(&format!("  {line}\n  VIPADEFINE 255.255.255.0 10.9.9.9"));
    let r = run(&src);
    assert_eq!(r.diagnostics().len(), 1, "{line}:\n{}", r.rendered());
    let d = r.one(code);
    assert_eq!(sev(d), 'E', "{line}");
    assert_eq!(r.primary(d), primary, "{line}");
    assert!(
        d.message.contains(message),
        "{line}: message `{}` lacks `{message}`",
        d.message
    );
    assert!(d.help.is_some(), "{line}: no help");
    let subs = r.subs();
    assert_eq!(subs.len(), 2, "{line}");
    assert!(subs[0].invalid && subs[0].skipped_after.is_none(), "{line}");
    assert!(matches!(subs[0].kind, SubKind::Invalid(_)), "{line}");
    let at = subs[1].skipped_after.expect("later statement not skipped");
    assert_eq!(r.text(at), primary, "{line}");
    assert!(!subs[1].invalid && !subs[1].applies());
    assert!(r.stack.vipas.is_empty(), "{line}: {:?}", r.vipa_addrs());
    assert_eq!(
        d.zos.as_deref(),
        Some(
            "z/OS stops processing this VIPADYNAMIC block here: the 1 later statement of the block is ignored"
        ),
        "{line}"
    );
    assert_eq!(
        r.secondaries(d),
        [
            ("VIPADEFINE", "ignored by z/OS after the error"),
            ("VIPADYNAMIC", "in this block")
        ],
        "{line}"
    );
}

#[test]
fn syntax_errors_in_vipadefine_vipabackup_vipadelete() {
    let s = codes::SYNTAX;
    for (line, primary, message) in [
        (
            "VIPADEFINE 255.255.0.255 10.1.1.1",
            "255.255.0.255",
            "is not an address mask",
        ),
        ("VIPADEFINE 10.1.1.1", "10.1.1.1", "is not an address mask"),
        (
            "VIPADEFINE 255.255.255.0",
            "255.255.255.0",
            "expected a DVIPA address after this",
        ),
        (
            "VIPADEFINE",
            "VIPADEFINE",
            "expected an address mask after this",
        ),
        (
            "VIPADEFINE MOVEABLE 255.255.255.0 10.1.1.1",
            "255.255.255.0",
            "expected IMMEDIATE or WHENIDLE",
        ),
        (
            "VIPADEFINE 255.255.255.0 10.1.1.1 10.1.1.300",
            "10.1.1.300",
            "expected a DVIPA address",
        ),
        (
            "VIPADEFINE 255.255.255.0 10.1.1.1 HOME",
            "HOME",
            "expected a DVIPA address, found `HOME`",
        ),
        (
            "VIPADEFINE DVIPA6 2001:db8::zz",
            "2001:db8::zz",
            "is not an IPv6 address",
        ),
        // Options once each, in IBM's order.
        (
            "VIPADEFINE MOVEABLE IMMEDIATE TIER1 255.255.255.0 10.1.1.1",
            "TIER1",
            "out of place",
        ),
        (
            "VIPADEFINE SERVICEMGR MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.1",
            "MOVEABLE",
            "out of place",
        ),
        (
            "VIPADEFINE TIER1 CPCSCOPE 255.255.255.0 10.1.1.1",
            "CPCSCOPE",
            "out of place",
        ),
        (
            "VIPADEFINE TIER1 TIER2 255.255.255.0 10.1.1.1",
            "TIER2",
            "out of place",
        ),
        (
            "VIPADEFINE MOVE IMMED MOVE WHENIDLE 255.255.255.0 10.1.1.1",
            "MOVE",
            "out of place",
        ),
        (
            "VIPABACKUP 100 255.255.255.0 10.1.1.1",
            "255.255.255.0",
            "looks like a mask",
        ),
        (
            "VIPABACKUP 100 SERVICEMGR 10.1.1.1",
            "SERVICEMGR",
            "needs MOVEABLE",
        ),
        (
            "VIPABACKUP 100 MOVEABLE IMMEDIATE 10.1.1.1",
            "10.1.1.1",
            "is not an address mask",
        ),
        (
            "VIPABACKUP 100",
            "100",
            "expected a DVIPA address after this",
        ),
        (
            "VIPABACKUP 50 10.1.1.1 MOVEABLE",
            "MOVEABLE",
            "expected a DVIPA address",
        ),
        (
            "VIPADELETE 10.1.1.300",
            "10.1.1.300",
            "is not an IP address",
        ),
        (
            "VIPADELETE",
            "VIPADELETE",
            "expected a DVIPA address after this",
        ),
        (
            "VIPARANGE MOVEABLE 255.255.255.0 10.1.2.0",
            "255.255.255.0",
            "expected NONDISRUPTIVE or DISRUPTIVE",
        ),
        (
            "VIPARANGE DEFINE",
            "DEFINE",
            "expected an address mask after this",
        ),
        (
            "VIPARANGE DEFINE 255.255.255.0",
            "255.255.255.0",
            "expected an address after this",
        ),
    ] {
        vipa_error(line, s, primary, message);
    }
}

#[test]
fn syntax_errors_in_vipadistribute() {
    let s = codes::SYNTAX;
    for (line, primary, message) in [
        (
            "VIPADISTRIBUTE DISTMETHOD FASTEST 10.1.1.1 DESTIP ALL",
            "FASTEST",
            "expected a distribution method",
        ),
        (
            "VIPADISTRIBUTE DISTMETHOD",
            "DISTMETHOD",
            "expected a distribution method after this",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.1 PORT 443",
            "443",
            "expected DESTIP after this",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.1 PORT DESTIP ALL",
            "DESTIP",
            "expected a port number or range, found `DESTIP`",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.1 PORT 8010-8000 DESTIP ALL",
            "8010-8000",
            "ends before it starts",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.1 DESTIP",
            "DESTIP",
            "DESTIP names no target",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.1 DESTIP 10.1.9.1 SOMETIMES",
            "SOMETIMES",
            "expected a DESTIP address",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.1 DESTIP 10.1.9.1 WEIGHT",
            "WEIGHT",
            "expected the WEIGHT after this",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.1 DESTIP ALL 10.1.9.1",
            "10.1.9.1",
            "unexpected `10.1.9.1` in VIPADISTRIBUTE",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.300 DESTIP ALL",
            "10.1.1.300",
            "is not a valid IP address",
        ),
        (
            "VIPADISTRIBUTE PORT 443 DESTIP ALL",
            "PORT",
            "expected the DVIPA address, found `PORT`",
        ),
        (
            "VIPADISTRIBUTE",
            "VIPADISTRIBUTE",
            "expected the DVIPA address after this",
        ),
        (
            "VIPADISTRIBUTE TIMEDAFFINITY 10.1.1.1 DESTIP ALL",
            "10.1.1.1",
            "expected TIMEDAFFINITY seconds",
        ),
        (
            "VIPADISTRIBUTE TIER1 10.1.1.1 DESTIP ALL",
            "DESTIP",
            "expected the DVIPA address",
        ),
        (
            "VIPADISTRIBUTE AUTOSWITCHBACK DISTMETHOD HOTSTANDBY NOAUTOSWITCHBACK 10.1.1.1 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP",
            "NOAUTOSWITCHBACK",
            "contradicts an earlier option",
        ),
        (
            "VIPADISTRIBUTE HEALTHSWITCH NOHEALTHSWITCH DISTMETHOD HOTSTANDBY 10.1.1.1 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP",
            "NOHEALTHSWITCH",
            "contradicts an earlier option",
        ),
    ] {
        vipa_error(line, s, primary, message);
    }
}

#[test]
fn numbers_out_of_range() {
    let r = codes::RANGE;
    for (line, primary, message) in [
        (
            "VIPABACKUP 0 10.1.1.1",
            "0",
            "the backup rank 0 is out of range",
        ),
        (
            "VIPABACKUP 255 10.1.1.1",
            "255",
            "the backup rank 255 is out of range",
        ),
        (
            "VIPABACKUP 99999999999 10.1.1.1",
            "99999999999",
            "out of range",
        ),
        (
            "VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.1 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 255",
            "255",
            "the BACKUP rank 255 is out of range",
        ),
        (
            "VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.1 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 0",
            "0",
            "the BACKUP rank 0 is out of range",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.1 PORT 0 DESTIP ALL",
            "0",
            "port 0 is out of range",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.1 PORT 443 70000 DESTIP ALL",
            "70000",
            "port 70000 is out of range",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.1 PORT 443-70000 DESTIP ALL",
            "443-70000",
            "port 70000 is out of range",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.1 PORT 99999999999 DESTIP ALL",
            "99999999999",
            "out of range",
        ),
        (
            "VIPADISTRIBUTE OPTLOCAL 17 10.1.1.1 DESTIP ALL",
            "17",
            "the OPTLOCAL value 17 is out of range",
        ),
        (
            "VIPADISTRIBUTE TIMEDAFFINITY 100000 10.1.1.1 DESTIP ALL",
            "100000",
            "out of range",
        ),
        (
            "VIPADISTRIBUTE 10.1.1.1 DESTIP 10.1.9.1 WEIGHT 100",
            "100",
            "the WEIGHT 100 is out of range",
        ),
    ] {
        vipa_error(line, r, primary, message);
    }
    // The label says what is allowed.
    let run = run(&vipadyn("VIPABACKUP 255 10.1.1.1"));
    let d = run.one(codes::RANGE);
    assert_eq!(d.labels[0].message, "allowed: 1-254");
}

#[test]
fn the_first_error_skips_the_rest_of_the_block_and_the_note_lists_it() {
    let r = run("VIPADYNAMIC\n\
         \x20 VIPADEFINE 255.255.255.0 10.1.1.1\n\
         \x20 VIPADEFINE 255.255.0.255 10.1.1.2\n\
         \x20 VIPADEFINE 255.255.255.0 10.1.1.3\n\
         \x20 VIPABACKUP 300 10.1.1.4\n\
         \x20 VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.1 PORT 443 DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP\n\
         ENDVIPADYNAMIC\n\
         VIPADYNAMIC\n\
         \x20 VIPADEFINE 255.255.255.0 10.1.1.5\n\
         ENDVIPADYNAMIC\n");
    // Both errors are reported; the second is in a statement already skipped.
    assert_eq!(r.codes(), [codes::SYNTAX, codes::RANGE]);
    let first = r.one(codes::SYNTAX);
    assert_eq!(r.primary(first), "255.255.0.255");
    assert_eq!(
        first.zos.as_deref(),
        Some(
            "z/OS stops processing this VIPADYNAMIC block here: the 3 later statements of the block are ignored"
        )
    );
    let ignored: Vec<&str> = r
        .secondaries(first)
        .into_iter()
        .filter(|s| s.1 == "ignored by z/OS after the error")
        .map(|s| s.0)
        .collect();
    assert_eq!(ignored, ["VIPADEFINE", "VIPABACKUP", "VIPADISTRIBUTE"]);
    // The later RANGE error says nothing about skipping: it is not the first.
    assert!(r.one(codes::RANGE).zos.is_none());
    let subs = r.subs();
    assert!(subs[0].applies());
    assert!(subs[1].invalid);
    for s in &subs[2..] {
        assert_eq!(s.skipped_after.map(|sp| r.text(sp)), Some("255.255.0.255"));
    }
    // Only the statement before the error and the next block are applied;
    // the skipped VIPADISTRIBUTE is recorded as ignored for the syntax error.
    assert_eq!(r.vipa_addrs(), ["10.1.1.1", "10.1.1.5"]);
    assert!(r.stack.distributions.is_empty());
    assert_eq!(r.stack.ignored.len(), 1);
    assert_eq!(r.stack.ignored[0].code, codes::SYNTAX);
    assert_eq!(r.text(r.stack.ignored[0].keyword), "VIPADISTRIBUTE");
}

#[test]
fn junk_before_the_first_sub_statement() {
    let r = run(
        "VIPADYNAMIC\n  VIPA 255.255.255.0 10.1.1.1\n  VIPADEFINE 255.255.255.0 10.1.1.2\nENDVIPADYNAMIC\n",
    );
    let d = r.one(codes::SYNTAX);
    assert_eq!(r.primary(d), "VIPA");
    assert!(
        d.message
            .contains("`VIPA` is not a VIPADYNAMIC sub-statement")
    );
    assert_eq!(r.subs()[0].skipped_after.map(|s| r.text(s)), Some("VIPA"));
    assert!(r.stack.vipas.is_empty());
}

#[test]
fn an_unresolved_symbol_is_a_warning_not_a_syntax_error() {
    let r = run(&vipadyn(
        "  VIPADEFINE 255.255.255.0 &DVIPA.\n  VIPADEFINE 255.255.255.0 10.1.1.2\n  VIPABACKUP &RANK. 10.1.1.3",
    ));
    assert_eq!(
        r.codes(),
        [codes::UNRESOLVED_SYMBOL, codes::UNRESOLVED_SYMBOL]
    );
    let d = &r.diagnostics()[0];
    assert_eq!(sev(d), 'W');
    assert_eq!(r.primary(d), "&DVIPA.");
    // The statement with the symbol cannot be applied, but the block goes on.
    let subs = r.subs();
    assert!(subs[0].invalid && !subs[0].applies());
    assert!(subs[1].applies() && subs[2].invalid);
    assert_eq!(r.vipa_addrs(), ["10.1.1.2"]);
    // With the symbol given, it is an ordinary statement.
    let mut sy = Symbols::new();
    sy.set("DVIPA", "10.1.1.1");
    sy.set("RANK", "50");
    let r = run_with(
        &vipadyn("  VIPADEFINE 255.255.255.0 &DVIPA.\n  VIPABACKUP &RANK. 10.1.1.3"),
        &sy,
    );
    r.assert_clean();
    assert_eq!(r.vipa_addrs(), ["10.1.1.1", "10.1.1.3"]);
    // A real error before the symbol still counts.
    let r = run(&vipadyn("  VIPADEFINE 255.255.0.255 &DVIPA."));
    assert_eq!(r.codes(), [codes::SYNTAX, codes::UNRESOLVED_SYMBOL]);
    assert_eq!(r.primary(r.one(codes::SYNTAX)), "255.255.0.255");
}

#[test]
fn unknown_statement_is_skipped_to_the_next_statement() {
    let r = run(
        "FOO BAR 1.2.3.4\n  and so on\nHOME 10.1.1.1 OSAL\nSOMAXCONN 5 10\nARPAGE 5\n\"HOME\" 10.1.1.2 L\n",
    );
    let unknown: Vec<&str> = r
        .diagnostics()
        .into_iter()
        .map(|d| {
            assert_eq!(d.code, codes::UNKNOWN_STATEMENT, "{}", r.rendered());
            assert_eq!(sev(d), 'W');
            r.primary(d)
        })
        .collect();
    // A Fixed(1) statement's extra word; a quoted name is no statement.
    assert_eq!(unknown, ["FOO", "10", "\"HOME\""]);
    assert_eq!(r.diagnostics()[0].message, "unknown statement `FOO`");
    assert_eq!(r.names(), ["HOME", "SOMAXCONN", "ARPAGE"]);
    assert_eq!(r.stack.home.len(), 1);
}

#[test]
fn sub_statement_outside_its_block() {
    for (src, word, message) in [
        (
            "VIPADEFINE 255.255.255.0 10.1.1.1\nHOME 10.1.1.2 L\n",
            "VIPADEFINE",
            "VIPADEFINE outside a VIPADYNAMIC block",
        ),
        (
            "vipadist 10.1.1.1 destip all\nHOME 10.1.1.2 L\n",
            "vipadist",
            "VIPADISTRIBUTE outside a VIPADYNAMIC block",
        ),
        (
            "ROUTE DEFAULT 10.1.1.1 OSA1 MTU 1492\nHOME 10.1.1.2 L\n",
            "ROUTE",
            "ROUTE outside a BEGINROUTES block",
        ),
        (
            "IPSECRULE * * NOLOG\nHOME 10.1.1.2 L\n",
            "IPSECRULE",
            "IPSECRULE outside an IPSEC block",
        ),
    ] {
        let r = run(src);
        let d = r.one(codes::OUT_OF_BLOCK);
        assert_eq!(r.codes(), [codes::OUT_OF_BLOCK], "{src}");
        assert_eq!(sev(d), 'E');
        assert_eq!(r.primary(d), word);
        assert_eq!(d.message, message);
        assert!(d.zos.is_some());
        assert_eq!(r.names(), ["HOME"], "{src}");
        assert!(r.stack.vipas.is_empty());
    }
}

#[test]
fn stray_end_keyword() {
    for (src, word, message) in [
        (
            "ENDVIPADYNAMIC\nHOME 10.1.1.2 L\n",
            "ENDVIPADYNAMIC",
            "ENDVIPADYNAMIC without a VIPADYNAMIC before it",
        ),
        (
            "endr\nHOME 10.1.1.2 L\n",
            "endr",
            "ENDROUTES without a BEGINROUTES before it",
        ),
        (
            "ARPAGE 5\nENDAUTOL\nHOME 10.1.1.2 L\n",
            "ENDAUTOL",
            "ENDAUTOLOG without an AUTOLOG before it",
        ),
        (
            "ENDIPSEC\nHOME 10.1.1.2 L\n",
            "ENDIPSEC",
            "ENDIPSEC without an IPSEC before it",
        ),
    ] {
        let r = run(src);
        let d = r.one(codes::STRAY_END);
        assert_eq!(r.diagnostics().len(), 1, "{src}");
        assert_eq!(sev(d), 'E');
        assert_eq!(r.primary(d), word);
        assert_eq!(d.message, message);
        assert_eq!(r.names().last(), Some(&"HOME"));
    }
}

#[test]
fn missing_end_names_the_first_swallowed_statement() {
    let r = run(
        "VIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.1.1.1 ; HOME in a comment\nPORT\n  443 TCP IZUSVR1\nHOME 10.1.1.2 L\n",
    );
    let d = r.one(codes::MISSING_END);
    assert_eq!(sev(d), 'E');
    assert_eq!(d.message, "VIPADYNAMIC has no ENDVIPADYNAMIC");
    assert_eq!(r.primary(d), "VIPADYNAMIC");
    assert_eq!(
        r.secondaries(d),
        [("PORT", "PORT is read as part of the VIPADYNAMIC block")]
    );
    assert!(d.zos.as_deref().unwrap().contains("every later token"));
    // Everything after the opener belongs to the block: one statement, whose
    // last sub-statement now has a syntax error at PORT.
    assert_eq!(r.names(), ["VIPADYNAMIC"]);
    assert!(r.block(0).end.is_none());
    let syn = r.one(codes::SYNTAX);
    assert_eq!(r.primary(syn), "PORT");
    assert!(r.stack.home.is_empty() && r.stack.vipas.is_empty());

    // Other blocks: a statement keyword in the middle of a line is a
    // parameter; the first one that starts a line is named, abbreviated.
    let r = run("AUTOLOG 5\n  FTPD JOBNAME HOME\n  ipconf sysplexr\nHOME 10.1.1.2 L\n");
    let d = r.one(codes::MISSING_END);
    assert_eq!(r.codes(), [codes::MISSING_END]);
    assert_eq!(d.message, "AUTOLOG has no ENDAUTOLOG");
    assert_eq!(r.primary(d), "AUTOLOG");
    assert_eq!(
        r.secondaries(d),
        [("ipconf", "IPCONF is read as part of the AUTOLOG block")]
    );
    assert_eq!(r.names(), ["AUTOLOG"]);
    // With nothing after it, there is no secondary label.
    let r = run("BEGINROUTES\nROUTE DEFAULT 10.1.1.1 OSA1 MTU 1492\n");
    let d = r.one(codes::MISSING_END);
    assert!(r.secondaries(d).is_empty());
    assert_eq!(d.message, "BEGINROUTES has no ENDROUTES");
}

#[test]
fn sequence_numbers() {
    let line = |data: &str, seq: &str| format!("{data:<72}{seq}\n");
    let src = format!(
        "{}{}{}",
        line("HOME 10.1.1.1 OSAL", "00000100"),
        line("VIPADYNAMIC", "00000200"),
        line(" VIPADEFINE 255.255.255.0 10.1.1.9", "00000300")
    ) + "ENDVIPADYNAMIC\n";
    let r = run(&src);
    // One finding for the file (one cause), with the line range.
    assert_eq!(r.codes(), [codes::SEQUENCE_NUMBER]);
    let d = r.diagnostics()[0];
    assert_eq!(sev(d), 'E');
    assert_eq!(r.primary(d), "00000100");
    assert_eq!(
        d.message,
        "lines 1-3 carry sequence numbers in columns 73-80"
    );
    assert_eq!(r.secondaries(d), [("00000300", "the last, on line 3")]);
    assert!(
        d.zos
            .as_deref()
            .unwrap()
            .contains("reads 00000100 as a parameter")
    );
    // The rest of each line is still read.
    assert_eq!(r.stack.home.len(), 1);
    assert_eq!(r.vipa_addrs(), ["10.1.1.9"]);
    // One line: it is named.
    let r = run(&format!(
        "ARPAGE 5\n{}",
        line("HOME 10.1.1.1 OSAL", "00000100")
    ));
    let d = r.one(codes::SEQUENCE_NUMBER);
    assert_eq!(
        d.message,
        "sequence number 00000100 in columns 73-80 of line 2"
    );
    assert!(r.secondaries(d).is_empty());
    // Lines with numbers and lines without, mixed: still one finding, which
    // says how many lines carry one.
    let src = format!(
        "{}ARPAGE 5\n{}{}",
        line("HOME 10.1.1.1 OSAL", "00000100"),
        line("ARPAGE 6", "00000300"),
        line("ARPAGE 7", "00000400")
    );
    let r = run(&src);
    let d = r.one(codes::SEQUENCE_NUMBER);
    assert_eq!(
        d.message,
        "3 lines between lines 1 and 4 carry sequence numbers in columns 73-80"
    );
    assert_eq!(r.secondaries(d), [("00000400", "the last, on line 4")]);
    // Not a sequence number: 79 or 81 characters, a letter among the digits,
    // digits inside a comment.
    for text in [
        format!("{:<71}{}\n", "HOME 10.1.1.1 OSAL", "00000100"),
        format!("{:<72}{}\n", "; HOME 10.1.1.1 OSAL", "00000100"),
        format!("{:<72}{}\n", "ARPAGE", "0000010A"),
    ] {
        assert!(
            !run(&text).codes().contains(&codes::SEQUENCE_NUMBER),
            "{text}"
        );
    }
}

#[test]
fn semicolon_without_a_blank() {
    let r = run("ARPAGE 20;comment\nHOME 10.1.1.1 OSAL;CHG\n");
    assert_eq!(r.codes(), [codes::SEMICOLON_NO_BLANK; 2]);
    let d = r.diagnostics()[1];
    assert_eq!(sev(d), 'W');
    assert_eq!(r.primary(d), ";");
    assert_eq!(d.message, "comment starts right after `OSAL` with no blank");
    assert!(d.zos.as_deref().unwrap().contains("`OSAL;CHG`"));
    let StmtKind::Other(a) = &r.statements()[0].kind else {
        panic!()
    };
    assert_eq!(a[0].value, "20");
    assert_eq!(r.stack.home.len(), 1);
    // A blank before it, or a `;` inside quotes: no finding.
    run("ARPAGE 20 ;comment\nAUTOLOG 5 TRMD PARMSTRING \"a;b\" ENDAUTOLOG\n").assert_clean();
}

#[test]
fn unterminated_quote() {
    let r = run("AUTOLOG 5\n  TRMD PARMSTRING \"-d x ; y\n ENDAUTOLOG\nARPAGE 5\n");
    let d = r.one(codes::UNTERMINATED_QUOTE);
    assert_eq!(r.codes(), [codes::UNTERMINATED_QUOTE]);
    assert_eq!(sev(d), 'W');
    assert_eq!(r.primary(d), "\"-d x ; y");
    // The string ends at the line end; the block closes on the next line.
    assert_eq!(r.names(), ["AUTOLOG", "ARPAGE"]);
}

#[test]
fn unresolved_symbols_outside_vipadynamic() {
    let r = run(
        "IPCONFIG DYNAMICXCF &XCF. 255.255.255.0 1 SYSPLEXROUTING\nHOME &HOMEIP. OSAL 10.1.1.2 L2\n",
    );
    let found: Vec<&str> = r
        .diagnostics()
        .into_iter()
        .map(|d| {
            assert_eq!(d.code, codes::UNRESOLVED_SYMBOL);
            assert_eq!(sev(d), 'W');
            r.primary(d)
        })
        .collect();
    assert_eq!(found, ["&XCF.", "&HOMEIP."]);
    // Nothing is made up for them; the rest is read.
    assert!(r.stack.dynamic_xcf.is_none());
    assert!(r.stack.sysplex_routing.is_some());
    assert_eq!(
        r.stack
            .home
            .iter()
            .map(|h| h.value.to_string())
            .collect::<Vec<_>>(),
        ["10.1.1.2"]
    );
}

#[test]
fn errors_in_ipconfig_home_interface_include() {
    for (src, primary, message) in [
        (
            "IPCONFIG DYNAMICXCF",
            "DYNAMICXCF",
            "DYNAMICXCF needs an address",
        ),
        (
            "IPCONFIG DYNAMICXCF 10.1.9.300 255.255.255.0 1",
            "10.1.9.300",
            "is not an IP address",
        ),
        (
            "IPCONFIG DYNAMICXCF 10.1.9.1 255.0.255.0 1",
            "255.0.255.0",
            "is not a subnet mask",
        ),
        (
            "IPCONFIG DYNAMICXCF 10.1.9.1 SYSPLEXROUTING",
            "10.1.9.1",
            "needs a subnet mask",
        ),
        ("HOME 10.1.1.1", "10.1.1.1", "is not `ip_address link_name`"),
        (
            "HOME 10.1.1.1 L1 LINK2 10.1.1.3",
            "LINK2",
            "HOME entry `LINK2`",
        ),
        (
            "HOME 10.1.1.256 L1",
            "10.1.1.256",
            "HOME entry `10.1.1.256`",
        ),
        (
            "INTERFACE",
            "INTERFACE",
            "INTERFACE needs an interface name",
        ),
        (
            "INCLUDE\nARPAGE 5",
            "INCLUDE",
            "INCLUDE needs a data set name",
        ),
    ] {
        let r = run(src);
        let d = r.one(codes::SYNTAX);
        assert_eq!(r.diagnostics().len(), 1, "{src}:\n{}", r.rendered());
        assert_eq!(sev(d), 'E');
        assert_eq!(r.primary(d), primary, "{src}");
        assert!(d.message.contains(message), "{src}: {}", d.message);
    }
    // After a bad HOME entry the rest of the list is ignored (as on z/OS).
    let r = run("HOME 10.1.1.1 L1 LINK2 10.1.1.3 10.1.1.4 L4");
    assert_eq!(r.stack.home.len(), 1);
    assert!(
        r.one(codes::SYNTAX)
            .zos
            .as_deref()
            .unwrap()
            .contains("ignores the rest")
    );
    // A bad DYNAMICXCF leaves the stack without one; the rest of IPCONFIG counts.
    let r = run("IPCONFIG DYNAMICXCF 10.1.9.1 SYSPLEXROUTING");
    assert!(r.stack.dynamic_xcf.is_none() && r.stack.sysplex_routing.is_some());
}

#[test]
fn empty_profile() {
    for src in ["", "; only a comment\n\n   \n", "\r\n"] {
        let r = run(src);
        let d = r.one(codes::EMPTY_PROFILE);
        assert_eq!(r.diagnostics().len(), 1);
        assert_eq!(sev(d), 'W');
        assert_eq!(r.primary(d), "");
    }
}

/// IBM's abbreviation rule: the minimum is accepted, one character less is not.
#[test]
fn abbreviations_at_the_minimum_and_below() {
    // Top-level statements: (accepted form, statement, rejected form).
    for (ok, name, below) in [
        ("VIPAD ENDVIPAD", "VIPADYNAMIC", Some("VIPA")),
        ("IPCONF SYSPLEXROUTING", "IPCONFIG", Some("IPCON")),
        ("BEGINR ENDR", "BEGINROUTES", Some("BEGIN")),
        ("AUTOL ENDAUTOL", "AUTOLOG", Some("AUTO")),
        ("DEV D1 MPCIPA", "DEVICE", Some("DE")),
        (
            "GLOBALCONF TCPIPSTATISTICS",
            "GLOBALCONFIG",
            Some("GLOBALCON"),
        ),
        // One less is PORT, another statement.
        ("PORTR 10000 20 TCP OMVS", "PORTRANGE", None),
        ("DELE LINK L1", "DELETE", Some("DEL")),
        ("SACONF ENABLED", "SACONFIG", Some("SACON")),
        (
            "BSDR TRUE ENDBSDROUTINGPARMS",
            "BSDROUTINGPARMS",
            Some("BSD"),
        ),
        ("TCPCONFIG TTLS", "TCPCONFIG", Some("TCPCONFI")),
        ("SOMAXCONN 10", "SOMAXCONN", Some("SOMAXCON")),
        ("IPSEC ENDIPSEC", "IPSEC", Some("IPSE")),
        ("ARPAGE 5", "ARPAGE", Some("ARPAG")),
    ] {
        let r = run(&format!("{ok}\nHOME 10.1.1.1 L\n"));
        r.assert_clean();
        assert_eq!(r.names(), [name, "HOME"], "{ok}");
        let Some(below) = below else { continue };
        let r = run(&format!("{below} X\nHOME 10.1.1.1 L\n"));
        let d = r.one(codes::UNKNOWN_STATEMENT);
        assert_eq!(r.primary(d), below, "{below}");
        assert_eq!(r.names(), ["HOME"], "{below}");
    }
    // END keywords: the shorter one leaves the block open.
    for (ok, below) in [
        ("VIPADYNAMIC ENDVIPAD", "VIPADYNAMIC ENDVIPA"),
        ("AUTOLOG 5 FTPD ENDAUTOL", "AUTOLOG 5 FTPD ENDAUTO"),
        ("BEGINROUTES ENDR", "BEGINROUTES END"),
    ] {
        run(&format!("{ok}\n")).assert_clean();
        let r = run(&format!("{below}\n"));
        assert!(r.codes().contains(&codes::MISSING_END), "{below}");
    }
    // Sub-statements of VIPADYNAMIC.
    for (ok, below) in [
        (
            "VIPADEF 255.255.255.0 10.1.1.1",
            "VIPADE 255.255.255.0 10.1.1.1",
        ),
        ("VIPAB 10.1.1.1", "VIPA 10.1.1.1"),
        ("VIPADEL 10.1.1.1", "VIPADE 10.1.1.1"),
        (
            "VIPADIST 10.1.1.1 DESTIP ALL",
            "VIPADIS 10.1.1.1 DESTIP ALL",
        ),
        (
            "VIPAR 255.255.255.0 10.1.2.0",
            "VIPA 255.255.255.0 10.1.2.0",
        ),
        ("VIPASM SMPORT 1637", "VIPAS SMPORT 1637"),
        (
            "VIPAROUTE DEFINE 10.1.9.2 10.1.5.2",
            "VIPAROUT DEFINE 10.1.9.2 10.1.5.2",
        ),
    ] {
        let r = run(&vipadyn(ok));
        r.assert_clean_parse();
        assert!(r.subs()[0].applies(), "{ok}");
        let r = run(&vipadyn(below));
        let d = r.one(codes::SYNTAX);
        assert_eq!(r.primary(d), below.split(' ').next().unwrap(), "{below}");
    }
    // Parameters: (accepted, rejected, where the rejected one fails).
    for (ok, below, at) in [
        (
            "VIPADISTRIBUTE DISTM ROUNDROBIN 10.1.1.1 DESTIP ALL",
            "VIPADISTRIBUTE DIST ROUNDROBIN 10.1.1.1 DESTIP ALL",
            "ROUNDROBIN",
        ),
        (
            "VIPADISTRIBUTE TIMEDAFF 60 10.1.1.1 DESTIP ALL",
            "VIPADISTRIBUTE TIMEDAF 60 10.1.1.1 DESTIP ALL",
            "60",
        ),
        (
            "VIPADISTRIBUTE SYSPLEXP 10.1.1.1 DESTIP ALL",
            "VIPADISTRIBUTE SYSPLEX 10.1.1.1 DESTIP ALL",
            "10.1.1.1",
        ),
        (
            "VIPADISTRIBUTE DISTM WEIGHTEDA 10.1.1.1 DESTIP ALL",
            "VIPADISTRIBUTE DISTM WEIGHTED 10.1.1.1 DESTIP ALL",
            "WEIGHTED",
        ),
        (
            "VIPADISTRIBUTE DELE 10.1.1.1 PORT 443",
            "VIPADISTRIBUTE DEL 10.1.1.1 PORT 443",
            "10.1.1.1",
        ),
        (
            "VIPADEFINE MOVE IMMED 255.255.255.0 10.1.1.1",
            "VIPADEFINE MOV IMMED 255.255.255.0 10.1.1.1",
            "MOV",
        ),
        (
            "VIPADEFINE MOVE IMMED 255.255.255.0 10.1.1.1",
            "VIPADEFINE MOVE IMME 255.255.255.0 10.1.1.1",
            "IMME",
        ),
        (
            "VIPARANGE MOVE NONDISRUPT 255.255.255.0 10.1.2.0",
            "VIPARANGE MOVE NONDISRUP 255.255.255.0 10.1.2.0",
            "NONDISRUP",
        ),
        (
            "VIPARANGE MOVE DISRUPT 255.255.255.0 10.1.2.0",
            "VIPARANGE MOVE DISRUP 255.255.255.0 10.1.2.0",
            "DISRUP",
        ),
    ] {
        let r = run(&vipadyn(ok));
        r.assert_clean_parse();
        assert!(r.subs()[0].applies(), "{ok}");
        let r = run(&vipadyn(below));
        let d = r.one(codes::SYNTAX);
        assert_eq!(r.primary(d), at, "{below}");
    }
    // IPCONFIG SYSPLEXRouting.
    let r = run("IPCONFIG SYSPLEXR\n");
    assert!(r.stack.sysplex_routing.is_some());
    let r = run("IPCONFIG SYSPLEX\n");
    assert!(r.stack.sysplex_routing.is_none());
}
