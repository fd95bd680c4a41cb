//! `effective` over several members, as IZU=(..) lists them.

use zha_diag::FileId;
use zha_diag::symbols::Symbols;
use zha_parmlib::{Autostart, Member, effective, parse};

fn member(file: u32, text: &str, symbols: &Symbols) -> Member {
    let parsed = parse(FileId(file), text, symbols);
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    parsed.member
}

#[test]
fn second_member_overrides_the_first() {
    let mut symbols = Symbols::new();
    symbols.set("SYSCLONE", "0A");
    let common = member(
        0,
        "/* IZUPRM00: shared by every system */\n\
         HTTP_SSL_PORT(443) KEYRING_NAME('IZUKeyring.IZUDFLT')\n\
         SAF_PREFIX(IZUDFLT) AUTOSTART(CONNECT) PLUGINS(ISPF, SYSPLEX_MGMT)\n",
        &symbols,
    );
    let own = member(
        1,
        "/* IZUPRM0A: this system */\n\
         AUTOSTART(LOCAL) AUTOSTART_GROUP('IZUDFL&SYSCLONE.')\n\
         SERVER_PROC(IZUSVR&SYSCLONE.) USER_DIR('/global/zosmf/&SYSCLONE.')\n\
         HOSTNAME('10.1.1.1') HTTP_SSL_PORT(10443)\n",
        &symbols,
    );
    let s = effective(&[common, own]);
    assert_eq!(s.autostart.value, Autostart::Local);
    assert_eq!(s.autostart.span().map(|sp| sp.file), Some(FileId(1)));
    assert_eq!(s.http_ssl_port.value, 10443);
    assert_eq!(s.http_ssl_port.span().map(|sp| sp.file), Some(FileId(1)));
    assert_eq!(s.keyring_name.span().map(|sp| sp.file), Some(FileId(0)));
    assert_eq!(s.autostart_group.value, "IZUDFL0A");
    assert_eq!(s.server_proc.value, "IZUSVR0A");
    assert_eq!(s.user_dir.value, "/global/zosmf/0A");
    assert_eq!(s.hostname.map(|h| h.value), Some("10.1.1.1".to_owned()));
    assert_eq!(s.plugins.len(), 2);
    assert!(s.angel_proc.is_default());
}

#[test]
fn an_invalid_value_in_the_later_member_keeps_the_earlier_one() {
    let first = member(0, "HTTP_SSL_PORT(8443)", &Symbols::new());
    let second = parse(FileId(1), "HTTP_SSL_PORT(70000)", &Symbols::new());
    assert_eq!(second.diagnostics.len(), 1);
    let s = effective(&[first, second.member]);
    assert_eq!(s.http_ssl_port.value, 8443);
    assert_eq!(s.http_ssl_port.span().map(|sp| sp.file), Some(FileId(0)));
}

#[test]
fn no_members_means_every_default() {
    let s = effective(&[]);
    assert!(s.autostart.is_default() && s.user_dir.is_default() && s.session_expire.is_default());
    assert_eq!(s.session_expire.value, 495);
}

#[test]
fn statements_after_an_unended_comment_do_not_count() {
    // IZU=(00,0A): IZUPRM0A opens a comment that is never ended, so z/OS
    // reads neither its HTTP_SSL_PORT nor its SERVER_PROC.
    let common = member(
        0,
        "HTTP_SSL_PORT(8443) SERVER_PROC(IZUSVR1)",
        &Symbols::new(),
    );
    let text = "AUTOSTART(CONNECT) /* this system\nHTTP_SSL_PORT(10443)\nSERVER_PROC(IZUSVRA)\n";
    let own = parse(FileId(1), text, &Symbols::new());
    let ids: Vec<_> = own.diagnostics.iter().map(|d| d.id()).collect();
    assert_eq!(ids, ["ZHA0403E"]);
    let d = &own.diagnostics[0];
    assert!(
        d.labels
            .iter()
            .any(|l| &text[l.span.range()] == "HTTP_SSL_PORT"
                && l.message == "HTTP_SSL_PORT and every statement after it are not read"),
        "{d:#?}"
    );
    let names: Vec<_> = own
        .member
        .statements
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["AUTOSTART"]);
    let s = effective(&[common, own.member]);
    assert_eq!(s.autostart.value, Autostart::Connect);
    assert_eq!(s.http_ssl_port.value, 8443);
    assert_eq!(s.http_ssl_port.span().map(|sp| sp.file), Some(FileId(0)));
    assert_eq!(s.server_proc.value, "IZUSVR1");
}

#[test]
fn a_member_hidden_by_an_unended_comment_is_not_called_empty() {
    let parsed = parse(
        FileId(0),
        "/* IZUPRM0A\nAUTOSTART(LOCAL)\n",
        &Symbols::new(),
    );
    let ids: Vec<_> = parsed.diagnostics.iter().map(|d| d.id()).collect();
    assert_eq!(ids, ["ZHA0403E"]);
    assert!(parsed.member.statements.is_empty());
    assert!(effective(&[parsed.member]).autostart.is_default());
    // A member that is only an unended comment is empty as well; the
    // comment loses no statement, so it is a warning.
    let parsed = parse(FileId(0), "/* IZUPRM0A", &Symbols::new());
    let ids: Vec<_> = parsed.diagnostics.iter().map(|d| d.id()).collect();
    assert_eq!(ids, ["ZHA0411W", "ZHA0403W"]);
}

#[test]
fn an_unended_comment_at_the_end_loses_no_setting() {
    let text = "AUTOSTART(LOCAL) HTTP_SSL_PORT(10443)\n/* trailing comment with no end\n";
    let parsed = parse(FileId(0), text, &Symbols::new());
    let ids: Vec<_> = parsed.diagnostics.iter().map(|d| d.id()).collect();
    assert_eq!(ids, ["ZHA0403W"]);
    let s = effective(&[parsed.member]);
    assert_eq!(s.autostart.value, Autostart::Local);
    assert_eq!(s.http_ssl_port.value, 10443);
}
