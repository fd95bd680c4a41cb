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
  ; z/OSMF - DISTMETHOD forgotten
  VIPADISTRIBUTE 10.1.1.10 PORT 443
        DESTIP 10.1.9.1 PREFERRED
               10.1.9.2 BACKUP 100
  VIPADEFINE 255.255.255.0 10.1.1.20
  VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 10.1.1.20 PORT 8080 DESTIP ALL
ENDVIPADYNAMIC
");
    insta::assert_snapshot!("zha2006", rendered(&r));
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
