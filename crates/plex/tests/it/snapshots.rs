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

#[test]
fn owner_without_distribution() {
    let p = Plex::good().edit(
        "PROFA",
        "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100\n",
        "",
    );
    insta::assert_snapshot!(rendered(&p));
}

#[test]
fn two_candidates_for_z_osmf() {
    let p = two_candidates();
    insta::assert_snapshot!(rendered(&p));
}

#[test]
fn autostart_group_shared_outside_the_ha_group_and_member_order() {
    // SYSB reads IZU=(0B,00), so 00's group overrides its own; SYSC, no
    // HA server, starts the same group.
    let toml = format!("{TOML}\n[[system]]\nname = \"SYSC\"\nparmlib = [\"IZUPRM0C\"]\n").replace(
        "[\"IZUPRM00\", \"IZUPRM0B\"]",
        "[\"IZUPRM0B\", \"IZUPRM00\"]",
    );
    let p = Plex::good()
        .with("sysplex.toml", toml)
        .with("IZUPRM0C", "AUTOSTART(LOCAL)\nAUTOSTART_GROUP('IZUDFLA')\nHOSTNAME('sysc.example.com')\nUSER_DIR('/global/zosmf/c')\n")
        .edit("IZUPRM00", "SAF_PREFIX(IZUDFLT)\n", "SAF_PREFIX(IZUDFLT)\nAUTOSTART_GROUP('IZUDFLA')\n");
    insta::assert_snapshot!(rendered(&p));
}

#[test]
fn unresolved_symbol_not_judged() {
    let p = Plex::good().edit(
        "IZUPRM00",
        "KEYRING_NAME('IZUKeyring.IZUDFLT')",
        "KEYRING_NAME('IZUKeyring.&RING.')",
    );
    insta::assert_snapshot!(rendered(&p));
}
