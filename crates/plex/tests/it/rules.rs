//! Every HA rule: a configuration that triggers it and one that does not.

use std::net::IpAddr;

use zha_diag::Severity;
use zha_plex::codes;

use crate::fixture::*;

#[test]
fn the_good_sysplex_has_no_finding() {
    let r = Plex::good().check();
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
    assert!(!r.fatal);
    let plex = r.sysplex.unwrap();
    assert_eq!(plex.systems.len(), 2);
    assert_eq!(plex.systems[1].settings.server_proc.value, "IZUSVRB");
}

#[test]
fn zha1000_no_hot_standby_dvipa() {
    let p = Plex::good()
        .edit("PROFA", "DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100", "10.0.0.10 PORT 443 DESTIP 10.1.1.1 10.1.1.2")
        .edit("PROFB", "DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100", "10.0.0.10 PORT 443 DESTIP 10.1.1.1 10.1.1.2");
    let r = p.check();
    let d = one(&r, codes::NO_ZOSMF_DVIPA);
    assert_eq!(d.severity, Severity::Error);
    // It points at the load-balancing distribution of the z/OSMF port.
    assert!(
        places(&r, d)
            .iter()
            .any(|(f, t)| f == "p/PROFA" && t == "VIPADISTRIBUTE"),
        "{:?}",
        places(&r, d)
    );
    assert!(
        d.message
            .contains("no VIPADISTRIBUTE DISTMETHOD HOTSTANDBY")
    );
    // No HA group, so no 10xx rule ran.
    assert!(
        r.diagnostics
            .iter()
            .all(|d| !d.code.starts_with("ZHA100") || d.code == codes::NO_ZOSMF_DVIPA)
    );
}

#[test]
fn zha1001_shared_autostart_group() {
    let r = Plex::good()
        .edit("IZUPRM0B", "'IZUDFLB'", "'IZUDFLA'")
        .check();
    let d = one(&r, codes::AUTOSTART_GROUP);
    assert_eq!(primary(&r, d), ("p/IZUPRM0B".into(), "'IZUDFLA'".into()));
    assert!(places(&r, d).contains(&("p/IZUPRM0A".into(), "'IZUDFLA'".into())));
    assert!(
        d.zos
            .as_deref()
            .unwrap()
            .contains("only one z/OSMF server per autostart group")
    );
}

#[test]
fn zha1001_default_group_on_both() {
    // Neither member sets AUTOSTART_GROUP: both are in IZUDFLT.
    let r = Plex::good()
        .edit("IZUPRM0A", "AUTOSTART_GROUP('IZUDFLA')\n", "")
        .edit("IZUPRM0B", "AUTOSTART_GROUP('IZUDFLB')\n", "")
        .check();
    let d = one(&r, codes::AUTOSTART_GROUP);
    assert!(d.message.contains("IZUDFLT"), "{}", d.message);
    assert!(
        d.labels
            .iter()
            .any(|l| l.message.contains("default IZUDFLT"))
    );
}

#[test]
fn zha1002_autostart_connect() {
    let r = Plex::good()
        .edit("IZUPRM0B", "AUTOSTART(LOCAL)", "AUTOSTART(CONNECT)")
        .check();
    let d = one(&r, codes::AUTOSTART_LOCAL);
    assert_eq!(primary(&r, d), ("p/IZUPRM0B".into(), "CONNECT".into()));
    // Without the statement LOCAL is the default: no finding.
    let r = Plex::good()
        .edit("IZUPRM0B", "AUTOSTART(LOCAL)\n", "")
        .check();
    assert!(with_code(&r, codes::AUTOSTART_LOCAL).is_empty());
}

#[test]
fn zha1003_hostname_forms() {
    // An IP address that is not the DVIPA.
    let p = Plex::good()
        .edit("IZUPRM00", "HOSTNAME('10.0.0.10')\n", "")
        .with("IZUPRM0A", format!("{IZUPRM0A}HOSTNAME('10.0.0.10')\n"));
    let r = p
        .with("IZUPRM0B", format!("{IZUPRM0B}HOSTNAME('10.0.0.99')\n"))
        .check();
    let d = one(&r, codes::HOSTNAME);
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(primary(&r, d), ("p/IZUPRM0B".into(), "'10.0.0.99'".into()));

    // '*' is an error.
    let r = Plex::good()
        .with("IZUPRM0B", format!("{IZUPRM0B}HOSTNAME('*')\n"))
        .check();
    assert_eq!(one(&r, codes::HOSTNAME).severity, Severity::Error);

    // Missing on one system.
    let r = Plex::good()
        .edit("IZUPRM00", "HOSTNAME('10.0.0.10')\n", "")
        .with("IZUPRM0A", format!("{IZUPRM0A}HOSTNAME('10.0.0.10')\n"))
        .check();
    let d = one(&r, codes::HOSTNAME);
    assert!(d.message.contains("SYSB sets no HOSTNAME"), "{}", d.message);

    // A DNS name: a warning, settled by --resolve either way.
    let named = Plex::good().edit("IZUPRM00", "'10.0.0.10'", "'zosmf.example.com'");
    let r = named.check();
    // One statement of the shared member: one finding naming both systems.
    let d = one(&r, codes::HOSTNAME);
    assert_eq!(d.severity, Severity::Warning);
    assert!(
        d.message.starts_with("SYSA and SYSB have HOSTNAME"),
        "{}",
        d.message
    );
    let mut ok = Plex::good().edit("IZUPRM00", "'10.0.0.10'", "'zosmf.example.com'");
    ok.opts.rules.resolve.insert(
        "ZOSMF.EXAMPLE.COM".into(),
        "10.0.0.10".parse::<IpAddr>().unwrap(),
    );
    assert!(with_code(&ok.check(), codes::HOSTNAME).is_empty());
    let mut wrong = Plex::good().edit("IZUPRM00", "'10.0.0.10'", "'zosmf.example.com'");
    wrong.opts.rules.resolve.insert(
        "ZOSMF.EXAMPLE.COM".into(),
        "10.9.9.9".parse::<IpAddr>().unwrap(),
    );
    let r = wrong.check();
    assert!(
        with_code(&r, codes::HOSTNAME)
            .iter()
            .all(|d| d.severity == Severity::Error)
    );
}

#[test]
fn zha1004_port_differs_or_not_distributed() {
    // Different ports on the two servers.
    let r = Plex::good()
        .with("IZUPRM0B", format!("{IZUPRM0B}HTTP_SSL_PORT(10443)\n"))
        .check();
    let v = with_code(&r, codes::PORT);
    assert_eq!(v.len(), 2, "{}", ids(&r));
    assert!(v.iter().any(|d| d.message.contains("differs")));
    assert!(v.iter().any(|d| d.message.contains("listens on 10443")));
    // Same port on both, but not in the PORT list.
    let r = Plex::good()
        .edit("IZUPRM00", "HTTP_SSL_PORT(443)", "HTTP_SSL_PORT(10443)")
        .check();
    let d = one(&r, codes::PORT);
    assert_eq!(primary(&r, d).1, "443");
    // PORT omitted distributes every port: fine.
    let r = Plex::good()
        .edit("IZUPRM00", "HTTP_SSL_PORT(443)", "HTTP_SSL_PORT(10443)")
        .edit("PROFA", "10.0.0.10 PORT 443", "10.0.0.10")
        .check();
    assert!(with_code(&r, codes::PORT).is_empty(), "{}", ids(&r));
}

#[test]
fn zha1005_keyring_differs() {
    let r = Plex::good()
        .with(
            "IZUPRM0B",
            format!("{IZUPRM0B}KEYRING_NAME('IZUKeyring.SYSB')\n"),
        )
        .check();
    let d = one(&r, codes::KEYRING);
    assert_eq!(
        primary(&r, d),
        ("p/IZUPRM0B".into(), "'IZUKeyring.SYSB'".into())
    );
    // Case matters for RACF key ring names.
    let r = Plex::good()
        .with(
            "IZUPRM0B",
            format!("{IZUPRM0B}KEYRING_NAME('izukeyring.izudflt')\n"),
        )
        .check();
    one(&r, codes::KEYRING);
}

#[test]
fn zha1006_server_proc_shared() {
    let r = Plex::good().edit("IZUPRM0B", "IZUSVRB", "IZUSVRA").check();
    let d = one(&r, codes::SERVER_PROC);
    assert_eq!(primary(&r, d), ("p/IZUPRM0B".into(), "IZUSVRA".into()));
    // Both on the default IZUSVR1.
    let r = Plex::good()
        .edit("IZUPRM0A", "SERVER_PROC(IZUSVRA)\n", "")
        .edit("IZUPRM0B", "SERVER_PROC(IZUSVRB)\n", "")
        .check();
    assert!(one(&r, codes::SERVER_PROC).message.contains("IZUSVR1"));
}

#[test]
fn zha1007_saf_prefix_differs() {
    let r = Plex::good()
        .with("IZUPRM0A", format!("{IZUPRM0A}SAF_PREFIX(IZUPLXA)\n"))
        .check();
    let d = one(&r, codes::SAF_PREFIX);
    assert!(
        d.message.contains("SYSA IZUPLXA, SYSB IZUDFLT"),
        "{}",
        d.message
    );
    assert!(places(&r, d).contains(&("p/IZUPRM0A".into(), "IZUPLXA".into())));
}

#[test]
fn zha1008_user_dir_same_or_nested() {
    let r = Plex::good()
        .edit("IZUPRM0B", "/global/zosmf/b", "/global/zosmf/a/")
        .check();
    assert!(one(&r, codes::USER_DIR).message.contains("share"));
    let r = Plex::good()
        .edit("IZUPRM0B", "/global/zosmf/b", "/global/zosmf/a/data")
        .check();
    assert!(one(&r, codes::USER_DIR).message.contains("inside"));
    // A common prefix that is not a parent is fine.
    let r = Plex::good()
        .edit("IZUPRM0B", "/global/zosmf/b", "/global/zosmf/ab")
        .check();
    assert!(with_code(&r, codes::USER_DIR).is_empty());
    // Both on the default /global/zosmf.
    let r = Plex::good()
        .edit("IZUPRM0A", "USER_DIR('/global/zosmf/a')\n", "")
        .edit("IZUPRM0B", "USER_DIR('/global/zosmf/b')\n", "")
        .check();
    one(&r, codes::USER_DIR);
}

#[test]
fn zha2012_dvipa_owner_and_backup() {
    // No VIPABACKUP anywhere else.
    let r = Plex::good()
        .edit(
            "PROFB",
            "  VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.0.0.10\n",
            "",
        )
        .check();
    // PROFB's VIPADISTRIBUTE is now for an undefined DVIPA (ZHA2011); the
    // ownership warning is about SYSA alone.
    let d = one(&r, codes::DVIPA_OWNERSHIP);
    assert_eq!(d.severity, Severity::Warning);
    assert!(d.message.contains("losing SYSA"), "{}", d.message);
    // VIPADEFINE on both.
    let r = Plex::good()
        .edit(
            "PROFB",
            "VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.0.0.10",
            "VIPADEFINE 255.255.255.0 10.0.0.10",
        )
        .check();
    assert!(
        one(&r, codes::DVIPA_OWNERSHIP)
            .message
            .contains("SYSA and SYSB")
    );
}

#[test]
fn zha2013_destip_not_a_system_and_server_not_a_destip() {
    let r = Plex::good()
        .edit("PROFA", "10.1.1.2 BACKUP 100", "10.1.1.3 BACKUP 100")
        .check();
    let v = with_code(&r, codes::DESTIP_SYSTEMS);
    // 10.1.1.3 is no system; SYSB (HOSTNAME = DVIPA) is no DESTIP of SYSA's statement.
    assert_eq!(v.len(), 2, "{}", ids(&r));
    assert!(v.iter().any(|d| primary(&r, d).1 == "10.1.1.3"));
    assert!(
        v.iter()
            .any(|d| d.message.contains("SYSB answers as the z/OSMF DVIPA"))
    );
}

#[test]
fn zha2014_sysplexrouting_missing() {
    let r = Plex::good()
        .edit("PROFB", "IPCONFIG SYSPLEXROUTING", "IPCONFIG")
        .check();
    let d = one(&r, codes::SYSPLEXROUTING);
    assert_eq!(primary(&r, d), ("p/PROFB".into(), "10.0.0.10".into()));
    assert!(places(&r, d).contains(&("p/PROFB".into(), "IPCONFIG".into())));
    // NOSYSPLEXROUTING later in the profile turns it off again.
    let r = Plex::good()
        .with("PROFB", format!("{PROFB}IPCONFIG NOSYSPLEXROUTING\n"))
        .check();
    one(&r, codes::SYSPLEXROUTING);
}

#[test]
fn zha2016_dvipa_is_another_stacks_home_address() {
    let r = Plex::good()
        .with("PROFB", format!("{PROFB}HOME 10.0.0.10 LNK1\n"))
        .check();
    let v = with_code(&r, zha_tcpip::codes::DVIPA_IS_HOME);
    // SYSB's own VIPABACKUP is rejected (same stack, found by apply) and
    // the distributing SYSA is told too (across stacks): but not twice for SYSB.
    assert_eq!(v.len(), 1, "{}", ids(&r));
    assert_eq!(primary(&r, v[0]), ("p/PROFB".into(), "10.0.0.10".into()));
    // A home address on a third, unrelated system.
    let toml = format!("{TOML}\n[[system]]\nname = \"SYSC\"\nprofile = \"PROFC\"\n");
    let r = Plex::good()
        .with("sysplex.toml", toml)
        .with(
            "PROFC",
            "IPCONFIG DYNAMICXCF 10.1.1.3 255.255.255.0 1\nHOME 10.0.0.10 LNK1\n",
        )
        .check();
    let d = one(&r, zha_tcpip::codes::DVIPA_IS_HOME);
    assert_eq!(primary(&r, d), ("p/PROFC".into(), "10.0.0.10".into()));
}

#[test]
fn z_os_rejections_reach_the_ha_rules() {
    // SYSA's VIPADISTRIBUTE is ignored by z/OS (EZZ0827I): the finding says
    // so, and the HA group is still found from SYSB's applied statement.
    let r = Plex::good()
        .edit("PROFA", "10.1.1.2 BACKUP 100", "10.1.1.2 PREFERRED")
        .check();
    let d = one(&r, zha_tcpip::codes::HS_ROLE_COUNT);
    assert!(d.zos.as_deref().unwrap().contains("EZZ0827I"));
    assert!(with_code(&r, codes::NO_ZOSMF_DVIPA).is_empty());
    assert_eq!(errors(&r), 1, "{}", ids(&r));
}

#[test]
fn api_ml_port_on_the_same_dvipa_is_not_confused_with_zosmf() {
    let extra = "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 7554\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100\nENDVIPADYNAMIC";
    let r = Plex::good()
        .edit("PROFA", "ENDVIPADYNAMIC", extra)
        .edit("PROFB", "ENDVIPADYNAMIC", extra)
        .check();
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
}

#[test]
fn members_override_in_order_and_symbols_apply() {
    // IZU=(00,0A): 0A's HTTP_SSL_PORT wins over 00's on SYSA only.
    let r = Plex::good()
        .with("IZUPRM0A", format!("{IZUPRM0A}HTTP_SSL_PORT(8443)\n"))
        .check();
    let plex = r.sysplex.as_ref().unwrap();
    assert_eq!(plex.systems[0].settings.http_ssl_port.value, 8443);
    assert_eq!(plex.systems[1].settings.http_ssl_port.value, 443);
    // &SYSNAME. defaults to the system name.
    let r = Plex::good()
        .edit("IZUPRM0A", "/global/zosmf/a", "/global/zosmf/&SYSNAME.")
        .edit("IZUPRM0B", "/global/zosmf/b", "/global/zosmf/&SYSNAME.")
        .check();
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
    let plex = r.sysplex.unwrap();
    assert_eq!(
        plex.systems[1].settings.user_dir.value,
        "/global/zosmf/SYSB"
    );
}

#[test]
fn a_shared_member_is_one_file_and_its_findings_are_reported_once() {
    let r = Plex::good()
        .with("IZUPRM00", format!("{IZUPRM00}NOSUCHSTATEMENT(1)\n"))
        .check();
    assert_eq!(
        r.sources.len(),
        6,
        "sysplex.toml, IZUPRM00, 0A, PROFA, 0B, PROFB"
    );
    assert_eq!(r.diagnostics.len(), 1, "{}", ids(&r));
}
