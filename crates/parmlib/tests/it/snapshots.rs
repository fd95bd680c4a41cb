//! Rendered findings (plain style) for cases whose text a system programmer
//! reads: review changes with care.

use zha_diag::render::{Style, render_all};
use zha_diag::symbols::Symbols;
use zha_diag::{Severity, SourceMap};
use zha_parmlib::{effective, parse};

fn rendered(name: &str, text: &str) -> String {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text);
    let parsed = parse(id, text, &Symbols::new());
    render_all(&parsed.diagnostics, &sources, Style::Plain)
}

fn pad(s: &str) -> String {
    format!("{s:<71}")
}

#[test]
fn unended_comment_hides_the_rest_of_the_member() {
    let text = "\
AUTOSTART(LOCAL) AUTOSTART_GROUP('IZUDFLA')
/* z/OSMF for SYSA: the HA group
HOSTNAME('zosmf.example.com')
SERVER_PROC(IZUSVRA) USER_DIR('/global/zosmf/sysa')
";
    insta::assert_snapshot!("unended_comment", rendered("IZUPRM0A", text));
}

#[test]
fn comment_end_cut_by_column_72() {
    // The header's `*/` stands in columns 72-73: z/OS never sees it.
    let text = format!(
        "{}\n{}*/\nAUTOSTART(LOCAL)\nHOSTNAME('zosmf.example.com')\n",
        pad("/* IZUPRM0A - z/OSMF on SYSA, one server of the high-availability group"),
        pad("   changed 2024-05-02")
    );
    let r = rendered("IZUPRM0A", &text);
    assert!(r.contains("column 72 is where z/OS stops reading"), "{r}");
    insta::assert_snapshot!("comment_end_cut_by_column_72", r);
    let parsed = parse(zha_diag::FileId(0), &text, &Symbols::new());
    assert!(
        parsed
            .diagnostics
            .iter()
            .all(|d| d.severity == Severity::Error)
    );
    assert!(effective(&[parsed.member]).hostname.is_none());
}

#[test]
fn comment_end_cut_by_column_72_then_ended() {
    let text = format!(
        "{}*/\n   end of the header */\nAUTOSTART(LOCAL)\n",
        pad("/* IZUPRM0A")
    );
    insta::assert_snapshot!("comment_end_cut_then_ended", rendered("IZUPRM0A", &text));
}

#[test]
fn unquoted_values() {
    let text = "\
KEYRING_NAME(IZUKeyring.IZUDFLT)
HOSTNAME(*)
SAF_PREFIX(izudflt) SERVER_PROC(izusvra)
";
    insta::assert_snapshot!("unquoted_values", rendered("IZUPRM0A", text));
}
