//! Rendered findings (plain style) for representative cases: what a system
//! programmer reads. Review changes with care; they are user-facing text.

use zha_diag::render::{Style, render};

use crate::{Run, run};

/// Every finding of the run rendered, in order, separated by blank lines.
fn rendered(r: &Run) -> String {
    r.diagnostics()
        .iter()
        .map(|d| render(d, &r.sources, Style::Plain))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[test]
fn zha2006_and_the_statements_it_loses() {
    let r = run("\
IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.9.1 255.255.255.0 1
VIPADYNAMIC
  VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.10
  ; z/OSMF - copied from the CICS statement, method left as it was
  VIPADISTRIBUTE DISTMETHOD BASEWLM 10.1.1.10 PORT 443
        DESTIP 10.1.9.1 PREFERRED
               10.1.9.2 BACKUP 100
  VIPADEFINE 255.255.255.0 10.1.1.20
  VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.20 PORT 8080 DESTIP ALL
ENDVIPADYNAMIC
");
    insta::assert_snapshot!("zha2006", rendered(&r));
}

#[test]
fn zha2006_with_a_syntax_error_in_what_it_loses() {
    // The statements after the EZZ0831I are named; the syntax error in one
    // of them is reported as one z/OS never reaches.
    let r = run(crate::ZHA2006_LOST_REST);
    insta::assert_snapshot!("zha2006_syntax_error_in_the_lost_rest", rendered(&r));
}

#[test]
fn zha2006_distmethod_forgotten() {
    // No DISTMETHOD: IBM documents no message, and nothing later is lost.
    let r = run("\
IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.9.1 255.255.255.0 1
VIPADYNAMIC
  VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.10
  ; z/OSMF - DISTMETHOD forgotten
  VIPADISTRIBUTE 10.1.1.10 PORT 443
        DESTIP 10.1.9.1 PREFERRED
               10.1.9.2 BACKUP 100
  VIPADEFINE 255.255.255.0 10.1.1.20
  VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.20 PORT 8080 DESTIP ALL
ENDVIPADYNAMIC
");
    insta::assert_snapshot!("zha2006_distmethod_forgotten", rendered(&r));
}

#[test]
fn missing_end_keyword() {
    let r = run("\
VIPADYNAMIC
  VIPADEFINE 255.255.255.0 10.1.1.10
  VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443
        DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP
; ENDVIPADYNAMIC forgotten
PORT
   443 TCP IZUSVR1
");
    insta::assert_snapshot!("missing_end", rendered(&r));
}

#[test]
fn syntax_error_in_vipadistribute() {
    let r = run("\
VIPADYNAMIC
  VIPADEFINE 255.255.255.0 10.1.1.10
  VIPADISTRIBUTE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443
        DESTIP 10.1.9.1 PREFERED 10.1.9.2 BACKUP
  VIPADEFINE 255.255.255.0 10.1.1.20
  VIPABACKUP 100 10.1.1.30
ENDVIPADYNAMIC
");
    insta::assert_snapshot!("syntax_error_in_vipadistribute", rendered(&r));
}

#[test]
fn zha2017_both_places() {
    let r = run("\
VIPADYNAMIC
  VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.10
ENDVIPADYNAMIC
; ... many lines later, from an old OBEY file
VIPADYNAMIC
  VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.10
ENDVIPADYNAMIC
");
    insta::assert_snapshot!("zha2017", rendered(&r));
}

#[test]
fn zha2016_dvipa_is_a_home_address() {
    let r = run("\
HOME
   10.1.5.1    OSAL1
   10.1.1.10   VIPAL1
VIPADYNAMIC
  VIPADEFINE 255.255.255.0 10.1.1.10
ENDVIPADYNAMIC
");
    insta::assert_snapshot!("zha2016", rendered(&r));
}

#[test]
fn zha2011_distribution_before_its_definition() {
    let r = run("\
IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.9.1 255.255.255.0 1
VIPADYNAMIC
  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443
        DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP
  VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 10.1.1.10
ENDVIPADYNAMIC
");
    insta::assert_snapshot!("zha2011_order", rendered(&r));
}

#[test]
fn zha2020_backup_distributor_without_moveable() {
    let r = run("\
IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.9.2 255.255.255.0 1
VIPADYNAMIC
  VIPABACKUP 100 10.1.1.10
  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443
        DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP
ENDVIPADYNAMIC
");
    insta::assert_snapshot!("zha2020", rendered(&r));
}

#[test]
fn delete_leaves_no_backup() {
    let r = run("\
VIPADYNAMIC
  VIPADEFINE 255.255.255.0 10.1.1.10
  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.1.1.10 PORT 443 7554
        DESTIP 10.1.9.1 PREFERRED 10.1.9.2 BACKUP 100
  ; SYSB leaves the sysplex for good
  VIPADISTRIBUTE DELETE 10.1.1.10 PORT 443 DESTIP 10.1.9.2
ENDVIPADYNAMIC
");
    insta::assert_snapshot!("delete_leaves_no_backup", rendered(&r));
}

#[test]
fn sequence_numbers_once_per_file() {
    let line = |data: &str, seq: &str| format!("{data:<72}{seq}\n");
    let r = run(&format!(
        "{}{}{}",
        line("PORT", "00000100"),
        line("  443 TCP IZUSVR1", "00000200"),
        line("  7554 TCP ZWE1AG*", "00000300")
    ));
    insta::assert_snapshot!("sequence_numbers", rendered(&r));
}

#[test]
fn port_reservations_z_os_ignores() {
    let r = run("\
PORTRANGE 400 100 TCP OMVS
PORT
   443 TCP IZUSVR1      ; z/OSMF
   UNRSV TCP ZWE1* DENY
PORT 80 TCP WEBSRV BIND
PORT 450 TCP ZCONSRV1   ; inside the range above
");
    insta::assert_snapshot!("port_ignored", rendered(&r));
}
