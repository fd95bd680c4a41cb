//! Round two of the HA rules (SPEC §4): choosing z/OSMF's distribution
//! among several, symbols in shared members, ZHA1001 beyond the HA group,
//! ZHA2018, and the help ZHA2013 gives.

use zha_diag::Severity;
use zha_plex::codes;

use crate::fixture::*;

/// Two more systems, SYSC and SYSD, running z/OS Connect (no z/OSMF member).
fn with_zos_connect(p: Plex) -> Plex {
    let toml = format!(
        "{TOML}\n[[system]]\nname = \"SYSC\"\nprofile = \"PROFC\"\n\n[[system]]\nname = \"SYSD\"\nprofile = \"PROFD\"\n"
    );
    let prof = |xcf: &str, def: &str| {
        format!(
            "IPCONFIG SYSPLEXROUTING DYNAMICXCF {xcf} 255.255.255.0 1\nVIPADYNAMIC\n  {def} 255.255.255.0 10.0.0.20\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.20 PORT 443\n    DESTIP 10.1.1.3 PREFERRED 10.1.1.4 BACKUP 100\nENDVIPADYNAMIC\n"
        )
    };
    p.with("sysplex.toml", toml)
        .with("PROFC", prof("10.1.1.3", "VIPADEFINE"))
        .with(
            "PROFD",
            prof("10.1.1.4", "VIPABACKUP 100 MOVEABLE IMMEDIATE"),
        )
}

/// z/OS Connect's distribution of 10.0.0.20 on 443, coded first in SYSA's
/// and SYSB's blocks too.
const ZCON: &str = "VIPADYNAMIC\n  VIPABACKUP 50 MOVEABLE IMMEDIATE 255.255.255.0 10.0.0.20\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.20 PORT 443\n    DESTIP 10.1.1.3 PREFERRED 10.1.1.4 BACKUP 100\n";

#[test]
fn z_os_connect_on_443_elsewhere_is_not_taken_for_z_osmf() {
    // HOSTNAME is a DNS name, so only the DESTIP systems tell the two
    // distributions apart; z/OS Connect's comes first in file order.
    let p = with_zos_connect(Plex::good())
        .edit(
            "IZUPRM00",
            "HOSTNAME('10.0.0.10')",
            "HOSTNAME('zosmf.example.com')",
        )
        .edit("PROFA", "VIPADYNAMIC\n", ZCON)
        .edit("PROFB", "VIPADYNAMIC\n", ZCON);
    let r = p.check();
    assert_eq!(errors(&r), 0, "{}", ids(&r));
    // The only finding: the host name cannot be verified offline, judged
    // against z/OSMF's DVIPA.
    let d = one(&r, codes::HOSTNAME);
    assert_eq!(d.severity, Severity::Warning);
    assert!(d.message.contains("10.0.0.10"), "{}", d.message);
    assert_eq!(r.diagnostics.len(), 1, "{}", ids(&r));
    // With the name resolved in sysplex.toml, nothing is left.
    let toml = format!(
        "{}\n[resolve]\n\"zosmf.example.com\" = \"10.0.0.10\"\n",
        p.text("sysplex.toml")
    );
    let r = p.with("sysplex.toml", toml).check();
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
}

#[test]
fn api_ml_before_z_osmf_on_one_dvipa_with_other_targets() {
    // The API ML gateway on 7554 of the z/OSMF DVIPA, coded first, with
    // SYSC and SYSD as targets.
    let apiml = "VIPADEFINE 255.255.255.0 10.0.0.10\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 7554\n    DESTIP 10.1.1.3 PREFERRED 10.1.1.4 BACKUP 100\n";
    let p = with_zos_connect(Plex::good())
        .edit("PROFA", "VIPADEFINE 255.255.255.0 10.0.0.10\n", apiml)
        .edit(
            "PROFB",
            "VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.0.0.10\n",
            &format!(
                "VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.0.0.10\n{}",
                &apiml[apiml.find("  VIPADIS").unwrap()..]
            ),
        );
    let r = p.check();
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
    // And the rules judge the z/OSMF pair: a shared SERVER_PROC is found.
    let r = p.edit("IZUPRM0B", "IZUSVRB", "IZUSVRA").check();
    one(&r, codes::SERVER_PROC);
}

#[test]
fn two_equal_candidates_warn_and_sysplex_toml_settles_it() {
    // 10.0.0.20 distributes 443 to SYSA and SYSB as well, and HOSTNAME is a
    // name: nothing tells the two apart.
    let p = two_candidates().edit("IZUPRM0B", "IZUSVRB", "IZUSVRA");
    let r = p.check();
    let d = one(&r, codes::NO_ZOSMF_DVIPA);
    assert_eq!(d.severity, Severity::Warning);
    assert!(
        d.message.contains("10.0.0.10..443") && d.message.contains("10.0.0.20..443"),
        "{}",
        d.message
    );
    assert!(
        d.help.as_deref().unwrap().contains("zosmf = "),
        "{:?}",
        d.help
    );
    // Neither is judged: the shared SERVER_PROC is not reported yet.
    assert!(with_code(&r, codes::SERVER_PROC).is_empty(), "{}", ids(&r));
    // Settled: the rules judge 10.0.0.20.
    let toml = format!("zosmf = \"10.0.0.20..443\"\n{}", p.text("sysplex.toml"));
    let r = p.clone_with("sysplex.toml", &toml).check();
    assert!(
        with_code(&r, codes::NO_ZOSMF_DVIPA).is_empty(),
        "{}",
        ids(&r)
    );
    one(&r, codes::SERVER_PROC);
    assert!(one(&r, codes::HOSTNAME).message.contains("10.0.0.20"));
    // A pin that names no distribution is an error at the pin.
    let toml = format!("zosmf = \"10.0.0.30..443\"\n{}", p.text("sysplex.toml"));
    let r = p.clone_with("sysplex.toml", &toml).check();
    let d = one(&r, codes::NO_ZOSMF_DVIPA);
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(primary(&r, d).1, "\"10.0.0.30..443\"");
    // And one that is not an address and port is refused with its place.
    let toml = format!("zosmf = \"zosmf:https\"\n{}", p.text("sysplex.toml"));
    let r = p.clone_with("sysplex.toml", &toml).check();
    assert!(r.fatal);
    assert_eq!(
        primary(&r, one(&r, codes::TOML_CONTENT)).1,
        "\"zosmf:https\""
    );
}

#[test]
fn sysclone_defaults_to_the_end_of_sysname_in_a_shared_member() {
    // The most common shared-member pattern: one IZUPRM00 for all.
    let shared = format!(
        "{IZUPRM00}AUTOSTART(LOCAL)\nAUTOSTART_GROUP('IZUDF&SYSCLONE.')\nSERVER_PROC(IZUSV&SYSCLONE.)\nUSER_DIR('/global/zosmf/&SYSNAME.')\n"
    );
    let toml = TOML
        .replace("[\"IZUPRM00\", \"IZUPRM0A\"]", "[\"IZUPRM00\"]")
        .replace("[\"IZUPRM00\", \"IZUPRM0B\"]", "[\"IZUPRM00\"]");
    let p = Plex::good()
        .with("sysplex.toml", &toml)
        .with("IZUPRM00", shared)
        .without("IZUPRM0A")
        .without("IZUPRM0B");
    let r = p.check();
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
    let plex = r.sysplex.unwrap();
    assert_eq!(plex.systems[0].settings.autostart_group.value, "IZUDFSA");
    assert_eq!(plex.systems[1].settings.server_proc.value, "IZUSVSB");
    // A SYSCLONE given in sysplex.toml wins over the default.
    let toml = toml.replace(
        "profile = \"PROFB\"",
        "profile = \"PROFB\"\nsymbols = { SYSCLONE = \"SA\" }",
    );
    let r = p.with("sysplex.toml", toml).check();
    let d = one(&r, codes::AUTOSTART_GROUP);
    assert!(d.message.contains("IZUDFSA"), "{}", d.message);
}

#[test]
fn an_unresolved_symbol_is_not_compared_as_a_value() {
    // &RING. has no value: the key rings may or may not agree.
    let p = Plex::good().edit(
        "IZUPRM00",
        "KEYRING_NAME('IZUKeyring.IZUDFLT')",
        "KEYRING_NAME('IZUKeyring.&RING.')",
    );
    let r = p.check();
    assert_eq!(errors(&r), 0, "{}", ids(&r));
    assert!(!with_code(&r, "ZHA0013").is_empty(), "{}", ids(&r));
    // One note for the shared statement, naming both systems.
    let d = one(&r, codes::KEYRING);
    assert_eq!(d.severity, Severity::Info);
    assert!(
        d.message.contains("SYSA and SYSB") && d.message.contains("not judged"),
        "{}",
        d.message
    );
    // The same value, resolved differently per system, is judged.
    let toml = TOML
        .replace(
            "profile = \"PROFA\"",
            "profile = \"PROFA\"\nsymbols = { RING = \"A\" }",
        )
        .replace(
            "profile = \"PROFB\"",
            "profile = \"PROFB\"\nsymbols = { RING = \"B\" }",
        );
    let r = p.with("sysplex.toml", toml).check();
    assert_eq!(one(&r, codes::KEYRING).severity, Severity::Error);
}

#[test]
fn zha1001_an_autostarting_system_outside_the_ha_group_shares_a_group() {
    let toml = format!("{TOML}\n[[system]]\nname = \"SYSC\"\nparmlib = [\"IZUPRM0C\"]\n");
    let p = Plex::good().with("sysplex.toml", toml);
    let r = p
        .clone_with("IZUPRM0C", "AUTOSTART(LOCAL)\nAUTOSTART_GROUP('IZUDFLA')\n")
        .check();
    let d = one(&r, codes::AUTOSTART_GROUP);
    assert!(
        d.message.starts_with("SYSC, outside the HA group"),
        "{}",
        d.message
    );
    assert_eq!(primary(&r, d), ("p/IZUPRM0C".into(), "'IZUDFLA'".into()));
    // Not when it connects, nor with a group of its own.
    for member in [
        "AUTOSTART(CONNECT)\nAUTOSTART_GROUP('IZUDFLA')\n",
        "AUTOSTART(LOCAL)\nAUTOSTART_GROUP('IZUDFLC')\n",
    ] {
        let r = p.clone_with("IZUPRM0C", member).check();
        assert!(
            with_code(&r, codes::AUTOSTART_GROUP).is_empty(),
            "{member}: {}",
            ids(&r)
        );
    }
}

#[test]
fn zha2018_the_owner_does_not_distribute_the_dvipa() {
    let p = Plex::good().edit(
        "PROFA",
        "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100\n",
        "",
    );
    let r = p.check();
    let d = one(&r, codes::OWNER_DISTRIBUTES);
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(primary(&r, d), ("p/PROFA".into(), "VIPADEFINE".into()));
    assert!(
        places(&r, d)
            .iter()
            .any(|(f, t)| f == "p/PROFB" && t == "VIPADISTRIBUTE")
    );
    // The good sysplex distributes on both: nothing.
    assert!(with_code(&Plex::good().check(), codes::OWNER_DISTRIBUTES).is_empty());
}

#[test]
fn zha2013_help_proposes_the_role_from_the_owning_stack() {
    // SYSB is an HA server (HOSTNAME is the DVIPA) but no DESTIP: it backs
    // the DVIPA up, so BACKUP is its role.
    let p = Plex::good()
        .edit(
            "PROFA",
            "DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100",
            "DESTIP 10.1.1.1 PREFERRED 10.1.1.9 BACKUP 100",
        )
        .edit(
            "PROFB",
            "DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100",
            "DESTIP 10.1.1.1 PREFERRED 10.1.1.9 BACKUP 100",
        );
    let r = p.check();
    let v = with_code(&r, codes::DESTIP_SYSTEMS);
    let help: Vec<&str> = v.iter().filter_map(|d| d.help.as_deref()).collect();
    assert!(
        help.iter().any(|h| h.contains("`10.1.1.2 BACKUP`")),
        "{help:?}"
    );
    // SYSA owns the DVIPA: PREFERRED is its role.
    let p = Plex::good()
        .edit(
            "PROFA",
            "DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100",
            "DESTIP 10.1.1.9 PREFERRED 10.1.1.2 BACKUP 100",
        )
        .edit(
            "PROFB",
            "DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100",
            "DESTIP 10.1.1.9 PREFERRED 10.1.1.2 BACKUP 100",
        );
    let r = p.check();
    let v = with_code(&r, codes::DESTIP_SYSTEMS);
    let help: Vec<&str> = v.iter().filter_map(|d| d.help.as_deref()).collect();
    assert!(
        help.iter().any(|h| h.contains("`10.1.1.1 PREFERRED`")),
        "{help:?}"
    );
}

#[test]
fn one_distribution_coded_alike_in_two_profiles_is_one_finding() {
    let p = Plex::good()
        .edit("PROFA", "10.1.1.2 BACKUP 100", "10.1.1.2 PREFERRED")
        .edit("PROFB", "10.1.1.2 BACKUP 100", "10.1.1.2 PREFERRED");
    let r = p.check();
    let d = one(&r, zha_tcpip::codes::HS_ROLE_COUNT);
    let files: Vec<String> = places(&r, d).into_iter().map(|p| p.0).collect();
    assert!(
        files.contains(&"p/PROFA".to_owned()) && files.contains(&"p/PROFB".to_owned()),
        "{files:?}"
    );
    assert_eq!(d.labels.iter().filter(|l| l.primary).count(), 1);
    // Coded differently, they are two causes.
    let r = Plex::good()
        .edit("PROFA", "10.1.1.2 BACKUP 100", "10.1.1.2 PREFERRED")
        .check();
    one(&r, zha_tcpip::codes::HS_ROLE_COUNT);
}

#[test]
fn a_finding_caused_by_member_order_names_the_order() {
    // IZU=(0A,00) on SYSB: 00's shared AUTOSTART_GROUP overrides 0B's own.
    let toml = TOML.replace(
        "[\"IZUPRM00\", \"IZUPRM0B\"]",
        "[\"IZUPRM0B\", \"IZUPRM00\"]",
    );
    let p = Plex::good().with("sysplex.toml", toml).edit(
        "IZUPRM00",
        "SAF_PREFIX(IZUDFLT)\n",
        "SAF_PREFIX(IZUDFLT)\nAUTOSTART_GROUP('IZUDFLA')\n",
    );
    let r = p.check();
    let d = one(&r, codes::AUTOSTART_GROUP);
    let labels: Vec<&str> = d.labels.iter().map(|l| l.message.as_str()).collect();
    assert!(
        labels
            .iter()
            .any(|l| l.contains("IZU=(0B,00): 00 is read after 0B and overrides it")),
        "{labels:?}"
    );
    // In the usual order (00 first, then 0B) 0B's own group wins: clean.
    let r = Plex::good()
        .edit(
            "IZUPRM00",
            "SAF_PREFIX(IZUDFLT)\n",
            "SAF_PREFIX(IZUDFLT)\nAUTOSTART_GROUP('IZUDFLA')\n",
        )
        .check();
    assert!(
        with_code(&r, codes::AUTOSTART_GROUP).is_empty(),
        "{}",
        ids(&r)
    );
}

#[test]
fn a_distribution_of_another_port_is_named_once_with_the_port_to_add() {
    // The DVIPA distributes 8443 on both stacks, the servers listen on 443
    // and no HOSTNAME names the DVIPA.
    let r = Plex::good()
        .edit("IZUPRM00", "HOSTNAME('10.0.0.10')\n", "")
        .edit("PROFA", "PORT 443", "PORT 8443")
        .edit("PROFB", "PORT 443", "PORT 8443")
        .check();
    let d = one(&r, codes::NO_ZOSMF_DVIPA);
    assert_eq!(
        d.message,
        "no hot-standby distribution carries the z/OSMF port 443: 10.0.0.10 PORT 8443"
    );
    let help = d.help.as_deref().unwrap();
    assert!(
        help.starts_with("add 443 to the PORT list of the VIPADISTRIBUTE for 10.0.0.10"),
        "{help}"
    );
}

#[test]
fn zha2019_the_z_osmf_port_reserved_for_another_job() {
    let with_ports = |a: &str, b: &str| {
        Plex::good()
            .edit(
                "PROFA",
                "VIPADYNAMIC\n",
                &format!("PORT\n{a}\nVIPADYNAMIC\n"),
            )
            .edit(
                "PROFB",
                "VIPADYNAMIC\n",
                &format!("PORT\n{b}\nVIPADYNAMIC\n"),
            )
            .check()
    };
    // Reserved for each server's procedure, by name or by pattern: clean.
    for (a, b) in [
        ("  443 TCP IZUSVRA NOAUTOLOG", "  443 TCP IZUSVRB NOAUTOLOG"),
        ("  443 TCP IZUSVR* SHAREPORT", "  443 TCP IZUSV?B"),
        ("  443 TCP OMVS", "  443 TCP * BIND 10.0.0.10"),
        // Several entries for one port: any match suffices.
        (
            "  443 TCP CICS1\n  443 TCP IZUSVRA",
            "  443 TCP IZUSVRB\n  443 TCP WEBSRV",
        ),
    ] {
        let r = with_ports(a, b);
        assert!(
            with_code(&r, codes::PORT_RESERVED).is_empty(),
            "{a} / {b}: {}",
            ids(&r)
        );
    }
    // Reserved for another job on SYSB: the server cannot listen there.
    let r = with_ports("  443 TCP IZUSVRA", "  443 TCP WEBSRV");
    let d = one(&r, codes::PORT_RESERVED);
    assert_eq!(d.severity, Severity::Error);
    assert!(
        d.message.starts_with("SYSB's stack reserves port 443"),
        "{}",
        d.message
    );
    assert_eq!(primary(&r, d).0, "p/PROFB");
    // The help proposes a pattern that admits both servers' procedures.
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("`443 TCP IZUSVR* SHAREPORT`"),
        "{:?}",
        d.help
    );
    // RESERVED, and UNRSV DENY of an unreserved port.
    for b in ["  443 TCP RESERVED", "  UNRSV TCP * DENY"] {
        let r = with_ports("  443 TCP IZUSVRA", b);
        assert_eq!(
            one(&r, codes::PORT_RESERVED).severity,
            Severity::Error,
            "{b}"
        );
    }
    // BIND to another address than the DVIPA.
    let r = with_ports("  443 TCP IZUSVRA BIND 10.1.1.1", "  443 TCP IZUSVRB");
    assert!(
        one(&r, codes::PORT_RESERVED)
            .message
            .contains("not the DVIPA")
    );
    // SAF: depends on RACF, a note.
    let r = with_ports("  443 TCP IZUSVRA SAF ZOSMF", "  443 TCP IZUSVRB");
    let d = one(&r, codes::PORT_RESERVED);
    assert_eq!(d.severity, Severity::Info);
    assert_eq!(errors(&r), 0, "{}", ids(&r));
}

#[test]
fn a_delete_of_one_port_keeps_z_osmf_and_a_delete_of_its_port_is_named() {
    // Both distribute 443 and 7554; a later DELETE of 7554 leaves 443.
    let both = |port_deleted: &str| {
        let dist = format!(
            "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443 7554\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100\n  VIPADISTRIBUTE DELETE 10.0.0.10 PORT {port_deleted}\n    DESTIP 10.1.1.1 10.1.1.2\n"
        );
        let old = "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100\n";
        Plex::good()
            .edit("PROFA", old, &dist)
            .edit("PROFB", old, &dist)
    };
    let r = both("7554").check();
    assert!(r.diagnostics.is_empty(), "{}", ids(&r));
    // A DELETE of 443 on the owner only: the finding points at the DELETE.
    let old = "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100\n";
    let r = Plex::good()
        .edit(
            "PROFA",
            old,
            &format!("{old}  VIPADISTRIBUTE DELETE 10.0.0.10 PORT 443 DESTIP 10.1.1.1 10.1.1.2\n"),
        )
        .check();
    let d = one(&r, codes::OWNER_DISTRIBUTES);
    assert!(
        d.labels.iter().any(|l| l.message.starts_with(
            "VIPADISTRIBUTE DELETE on SYSA: removes the distribution of 10.0.0.10..443"
        )),
        "{:?}",
        d.labels
    );
    // On both: no z/OSMF distribution is left, and the finding says where
    // it went.
    let r = both("443").check();
    let d = one(&r, codes::PORT);
    assert!(d.message.contains("distributes port 7554"), "{}", d.message);
    assert!(
        d.labels.iter().any(|l| l
            .message
            .contains("DELETE on SYSA: removes the distribution of 10.0.0.10..443")),
        "{:?}",
        d.labels
    );
    // Without a HOSTNAME naming the DVIPA nothing is left of z/OSMF's
    // distribution: ZHA1000 points at the DELETE too.
    let r = both("443")
        .edit("IZUPRM00", "HOSTNAME('10.0.0.10')\n", "")
        .check();
    let d = one(&r, codes::NO_ZOSMF_DVIPA);
    assert!(
        d.labels
            .iter()
            .any(|l| l.message.contains("DELETE on SYSA")),
        "{:?}",
        d.labels
    );
}

#[test]
fn zha2013_names_the_kind_of_address_found_and_the_right_one() {
    // SYSB's INTERFACE address written as its DESTIP.
    let intf = "INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1 IPADDR 10.2.2.2/24\n";
    let p = Plex::good()
        .edit("PROFB", "VIPADYNAMIC\n", &format!("{intf}VIPADYNAMIC\n"))
        .edit("PROFA", "10.1.1.2 BACKUP 100", "10.2.2.2 BACKUP 100")
        .edit("PROFB", "10.1.1.2 BACKUP 100", "10.2.2.2 BACKUP 100");
    let r = p.check();
    let v = with_code(&r, codes::DESTIP_SYSTEMS);
    let first = v
        .iter()
        .find(|d| d.message.starts_with("DESTIP 10.2.2.2"))
        .expect("a ZHA2013 for 10.2.2.2");
    assert!(
        first
            .labels
            .iter()
            .any(|l| l.message == "INTERFACE address of SYSB, not its DYNAMICXCF address"),
        "{:?}",
        first.labels
    );
    assert_eq!(
        first.help.as_deref(),
        Some("write SYSB's DYNAMICXCF address: `10.1.1.2 BACKUP`")
    );
    // A HOME address of SYSA's, the owner: PREFERRED.
    let p = Plex::good()
        .edit(
            "PROFA",
            "VIPADYNAMIC\n",
            "HOME 10.3.3.1 LNK1\nVIPADYNAMIC\n",
        )
        .edit("PROFA", "10.1.1.1 PREFERRED", "10.3.3.1 PREFERRED")
        .edit("PROFB", "10.1.1.1 PREFERRED", "10.3.3.1 PREFERRED");
    let r = p.check();
    let v = with_code(&r, codes::DESTIP_SYSTEMS);
    let first = v
        .iter()
        .find(|d| d.message.starts_with("DESTIP 10.3.3.1"))
        .expect("a ZHA2013 for 10.3.3.1");
    assert!(
        first
            .labels
            .iter()
            .any(|l| l.message == "HOME address of SYSA, not its DYNAMICXCF address"),
        "{:?}",
        first.labels
    );
    assert_eq!(
        first.help.as_deref(),
        Some("write SYSA's DYNAMICXCF address: `10.1.1.1 PREFERRED`")
    );
}

#[test]
fn a_candidate_no_hostname_names_does_not_win_silently_over_one_that_is_named() {
    // z/OS Connect on 10.0.0.20..443 targets SYSA, SYSB and SYSC, which runs
    // a z/OSMF of its own; z/OSMF's pair (HOSTNAME 10.0.0.10) has two.
    let toml = format!(
        "{TOML}\n[[system]]\nname = \"SYSC\"\nparmlib = [\"IZUPRM0C\"]\nprofile = \"PROFC\"\n"
    );
    let zcon = "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.20 PORT 443\n    DESTIP 10.1.1.3 PREFERRED 10.1.1.2 BACKUP 20 10.1.1.1 BACKUP 10\nENDVIPADYNAMIC";
    let p = Plex::good()
        .with("sysplex.toml", toml)
        .with("IZUPRM0C", "HOSTNAME('sysc.example.com')\nAUTOSTART_GROUP('IZUDFLC')\nSERVER_PROC(IZUSVRC)\nUSER_DIR('/global/zosmf/c')\n")
        .with(
            "PROFC",
            format!("IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.1.3 255.255.255.0 1\nVIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.0.0.20\n{zcon}\n"),
        )
        .edit("PROFA", "ENDVIPADYNAMIC", &format!("  VIPABACKUP 20 MOVEABLE IMMEDIATE 255.255.255.0 10.0.0.20\n{zcon}"))
        .edit("PROFB", "ENDVIPADYNAMIC", &format!("  VIPABACKUP 10 MOVEABLE IMMEDIATE 255.255.255.0 10.0.0.20\n{zcon}"));
    let r = p.check();
    // Not a verdict against the wrong DVIPA: a warning naming both.
    assert!(
        with_code(&r, codes::HOSTNAME)
            .iter()
            .all(|d| d.severity != Severity::Error),
        "{}",
        ids(&r)
    );
    let d = one(&r, codes::NO_ZOSMF_DVIPA);
    assert_eq!(d.severity, Severity::Warning);
    assert!(
        d.message.contains("10.0.0.10..443") && d.message.contains("10.0.0.20..443"),
        "{}",
        d.message
    );
    // sysplex.toml settles it, and z/OSMF's pair checks clean.
    let toml = format!("zosmf = \"10.0.0.10..443\"\n{}", p.text("sysplex.toml"));
    let r = p.clone_with("sysplex.toml", toml).check();
    assert_eq!(errors(&r), 0, "{}", ids(&r));
    assert!(
        with_code(&r, codes::NO_ZOSMF_DVIPA).is_empty(),
        "{}",
        ids(&r)
    );
}

#[test]
fn zha2018_when_the_owner_distributes_only_another_port() {
    // SYSA distributes the API ML port 7554 of the DVIPA, not 443.
    let r = Plex::good()
        .edit(
            "PROFA",
            "HOTSTANDBY 10.0.0.10 PORT 443",
            "HOTSTANDBY 10.0.0.10 PORT 7554",
        )
        .check();
    let d = one(&r, codes::OWNER_DISTRIBUTES);
    assert!(
        d.message
            .contains("does not distribute port 443; only SYSB does"),
        "{}",
        d.message
    );
}

#[test]
fn one_statement_of_a_profile_shared_by_several_systems_is_one_finding() {
    // Four systems read one profile; its DESTIP list names an address no
    // system has.
    let toml = "name = \"PLEX1\"\n\
        [[system]]\nname = \"SYSA\"\nparmlib = [\"IZUPRM00\", \"IZUPRM0A\"]\nprofile = \"PROF\"\nsymbols = { XCF = \"10.1.1.1\", DEF = \"VIPADEFINE\" }\n\
        [[system]]\nname = \"SYSB\"\nparmlib = [\"IZUPRM00\", \"IZUPRM0B\"]\nprofile = \"PROF\"\nsymbols = { XCF = \"10.1.1.2\", DEF = \"VIPABACKUP 100 MOVEABLE IMMEDIATE\" }\n\
        [[system]]\nname = \"SYSC\"\nprofile = \"PROF\"\nsymbols = { XCF = \"10.1.1.3\", DEF = \"VIPABACKUP 90 MOVEABLE IMMEDIATE\" }\n";
    let prof = "IPCONFIG SYSPLEXROUTING DYNAMICXCF &XCF. 255.255.255.0 1\nVIPADYNAMIC\n  &DEF. 255.255.255.0 10.0.0.10\n  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100 10.1.1.9 BACKUP 50\nENDVIPADYNAMIC\n";
    let r = Plex::good()
        .with("sysplex.toml", toml)
        .with("PROF", prof)
        .without("PROFA")
        .without("PROFB")
        .check();
    let v = with_code(&r, codes::DESTIP_SYSTEMS);
    assert_eq!(v.len(), 1, "{}", ids(&r));
}

#[test]
fn zha2020_a_backup_without_moveable_of_a_dvipa_another_stack_distributes() {
    // SYSB backs the DVIPA up without MOVEABLE and does not distribute it.
    let r = Plex::good()
        .edit("PROFB", "VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.0.0.10", "VIPABACKUP 100 10.0.0.10")
        .edit(
            "PROFB",
            "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100\n",
            "",
        )
        .check();
    let d = one(&r, zha_tcpip::codes::BACKUP_NOT_MOVEABLE);
    assert_eq!(d.severity, Severity::Warning);
    assert!(
        d.message
            .starts_with("SYSB backs up 10.0.0.10 without MOVEABLE; SYSA distributes it"),
        "{}",
        d.message
    );
    // With MOVEABLE: nothing.
    let r = Plex::good()
        .edit(
            "PROFB",
            "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100\n",
            "",
        )
        .check();
    assert!(
        with_code(&r, zha_tcpip::codes::BACKUP_NOT_MOVEABLE).is_empty(),
        "{}",
        ids(&r)
    );
}

#[test]
fn a_delete_of_a_target_is_named_where_its_system_is_missed() {
    let del = "  VIPADISTRIBUTE DELETE 10.0.0.10 PORT 443 DESTIP 10.1.1.2\nENDVIPADYNAMIC";
    let r = Plex::good()
        .edit("PROFA", "ENDVIPADYNAMIC", del)
        .edit("PROFB", "ENDVIPADYNAMIC", del)
        .check();
    let v = with_code(&r, codes::DESTIP_SYSTEMS);
    let d = v
        .iter()
        .find(|d| {
            d.labels.iter().any(|l| {
                l.message
                    .contains("removes SYSB (10.1.1.2) from the targets")
            })
        })
        .unwrap_or_else(|| panic!("{}", ids(&r)));
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .starts_with("take 10.1.1.2 out of the VIPADISTRIBUTE DELETE"),
        "{:?}",
        d.help
    );
    assert!(
        !d.labels
            .iter()
            .any(|l| l.message.contains("never sends it a connection")),
        "{:?}",
        d.labels
    );
}

#[test]
fn two_different_distributions_with_the_same_message_stay_two_findings() {
    // Two PREFERRED in the 7554 distribution on SYSA and in the 443 one on
    // SYSB: the same message, two causes.
    let apiml = "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 7554\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100\nENDVIPADYNAMIC";
    let r = Plex::good()
        .edit(
            "PROFA",
            "ENDVIPADYNAMIC",
            &apiml.replace("10.1.1.2 BACKUP 100", "10.1.1.2 PREFERRED"),
        )
        .edit("PROFB", "ENDVIPADYNAMIC", apiml)
        .edit(
            "PROFB",
            "PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100",
            "PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 PREFERRED",
        )
        .check();
    assert_eq!(
        with_code(&r, zha_tcpip::codes::HS_ROLE_COUNT).len(),
        2,
        "{}",
        ids(&r)
    );
}

#[test]
fn one_statement_distributing_two_z_osmf_ports_is_one_candidate() {
    // PORT omitted, SYSB's server on 444: one candidate, and ZHA1004 says
    // the ports differ.
    let r = Plex::good()
        .edit("PROFA", "10.0.0.10 PORT 443", "10.0.0.10")
        .edit("PROFB", "10.0.0.10 PORT 443", "10.0.0.10")
        .with("IZUPRM0B", format!("{IZUPRM0B}HTTP_SSL_PORT(444)\n"))
        .check();
    assert!(
        with_code(&r, codes::NO_ZOSMF_DVIPA).is_empty(),
        "{}",
        ids(&r)
    );
    assert!(
        with_code(&r, codes::PORT)
            .iter()
            .any(|d| d.message.contains("differs")),
        "{}",
        ids(&r)
    );
}

#[test]
fn a_member_named_as_a_profile_is_not_parsed_as_one() {
    let toml = TOML.replace("profile = \"PROFB\"", "profile = \"IZUPRM0B\"");
    let r = Plex::good().with("sysplex.toml", toml).check();
    assert!(r.fatal);
    one(&r, codes::WRONG_KIND);
    assert_eq!(r.diagnostics.len(), 1, "{}", ids(&r));
}
