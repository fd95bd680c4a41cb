//! Rendered findings, as users see them (plain, no colour).

use zha_diag::render::{Style, render_all};

use crate::fixture::*;

fn rendered(p: &Plex) -> String {
    let r = p.check();
    render_all(&r.diagnostics, &r.sources, Style::Plain)
}

#[test]
fn shared_autostart_group_and_user_dir() {
    let p = Plex::good()
        .edit("IZUPRM0B", "'IZUDFLB'", "'IZUDFLA'")
        .edit("IZUPRM0B", "/global/zosmf/b", "/global/zosmf/a/sub");
    insta::assert_snapshot!(rendered(&p));
}

#[test]
fn hostname_star_and_missing_sysplexrouting() {
    let p = Plex::good()
        .with("IZUPRM0B", format!("{IZUPRM0B}HOSTNAME('*')\n"))
        .edit("PROFB", "IPCONFIG SYSPLEXROUTING", "IPCONFIG");
    insta::assert_snapshot!(rendered(&p));
}

#[test]
fn hot_standby_keyword_with_basewlm() {
    let p = Plex::good().edit("PROFA", "DISTMETHOD HOTSTANDBY ", "");
    insta::assert_snapshot!(rendered(&p));
}

#[test]
fn toml_error() {
    let p = Plex::good().edit(
        "sysplex.toml",
        "parmlib = [\"IZUPRM00\", \"IZUPRM0A\"]",
        "parmlib = \"IZUPRM0A\"",
    );
    insta::assert_snapshot!(rendered(&p));
}
