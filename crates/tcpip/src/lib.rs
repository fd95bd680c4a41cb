//! PROFILE.TCPIP: lexer, parser and the stack configuration z/OS would apply.
//!
//! - [`parse`] turns one file's text into a [`Profile`] and findings; it
//!   never fails and never panics, and reads nothing but the text it is given.
//! - [`apply`] takes the statements of a stack's profile (INCLUDEs expanded
//!   by the caller, who owns file access) and returns the [`Stack`]: its
//!   DYNAMICXCF address, home addresses, DVIPAs and the VIPADISTRIBUTE
//!   statements z/OS would accept (and what a later DELETE removed), its
//!   PORT and PORTRANGE reservations, with a finding for every statement
//!   z/OS would ignore or reject.
//! - [`Stack::port_access`] says whether a job may listen on a TCP port.
//! - [`include_candidates`] says which file names an INCLUDE may refer to.
//!
//! Architecture invariant: this crate does no I/O and knows nothing of
//! rendering; it produces [`zha_diag::Diagnostic`]s.

pub mod addr;
pub mod apply;
pub mod ast;
pub mod codes;
mod keywords;
mod lex;
mod parse;
pub mod port;
mod print;
mod vipa;

pub use apply::{Deleted, Distribution, Ignored, Stack, Target, Vipa, VipaOwner, apply};
pub use ast::*;
pub use codes::CODES;
pub use parse::{Parsed, parse};
pub use port::{PortAccess, job_matches};

/// File names an `INCLUDE` name may refer to, in the order to try them
/// (SPEC §2 decision): `INCLUDE A.B(MEM)` looks for `MEM`, then `A.B(MEM)`,
/// then `A.B.MEM` in the including file's folder; a name starting with `/`
/// is a path used as is (the only candidate).
pub fn include_candidates(name: &str) -> Vec<String> {
    if name.starts_with('/') {
        return vec![name.to_owned()];
    }
    let name = name.trim_matches('\'');
    match name.split_once('(') {
        Some((dsn, rest)) => {
            let member = rest.trim_end_matches(')');
            let mut v = Vec::new();
            if !member.is_empty() {
                v.push(member.to_owned());
            }
            v.push(format!("{dsn}({member})"));
            if !member.is_empty() {
                v.push(format!("{dsn}.{member}"));
            }
            v
        }
        None => vec![name.to_owned()],
    }
}

/// Whether the text looks like a TCP/IP profile rather than an IZUPRMxx
/// member (for `check FILE` without `--kind`): its first word names a
/// profile statement or it starts with a `;` comment.
pub fn looks_like_profile(text: &str) -> bool {
    for line in text.lines() {
        let t = line.trim_start();
        if t.is_empty() {
            continue;
        }
        if t.starts_with(';') {
            return true;
        }
        if t.starts_with("/*") {
            return false;
        }
        let word: String = t
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '(')
            .collect::<String>()
            .to_ascii_uppercase();
        return keywords::TABLES.statement(&word).is_some();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_names() {
        assert_eq!(
            include_candidates("ADCD.Z25B.TCPPARMS(ZCXDVIPA)"),
            [
                "ZCXDVIPA",
                "ADCD.Z25B.TCPPARMS(ZCXDVIPA)",
                "ADCD.Z25B.TCPPARMS.ZCXDVIPA"
            ]
        );
        assert_eq!(include_candidates("/u/prof/x.tcpip"), ["/u/prof/x.tcpip"]);
        assert_eq!(include_candidates("TCPIP.VIPA"), ["TCPIP.VIPA"]);
    }

    #[test]
    fn sniffing() {
        assert!(looks_like_profile("; comment\nHOME 1.1.1.1 L\n"));
        assert!(looks_like_profile("  vipadynamic\n"));
        assert!(!looks_like_profile("HOSTNAME('x')\n"));
        assert!(!looks_like_profile("/* IZUPRM */\n"));
    }
}
