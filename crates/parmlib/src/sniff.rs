//! Whether a text is plausibly an IZUPRMxx member, so that a caller told
//! `--kind parmlib` for a TCP/IP profile can say so instead of reporting
//! every word of the profile as an unknown statement.

use zha_diag::FileId;

use crate::grammar::{self, Shape};
use crate::lexer::{self, Kind};

/// Whether `text` reads as an IZUPRMxx member: at least one known IZUPRMxx
/// statement (`KEYWORD(value)`, or a statement that takes sub-keywords
/// followed by them), and at statement level no more bare words (not
/// followed by `(`, as in `DEVICE PORTA MPCIPA`) than keywords (known
/// statements and sub-keywords, and unknown words followed by `(`). Comments, columns 72-80 and whatever is
/// in parentheses do not count. A member that holds only comments is not
/// recognized (nothing in it says what it is). Linear in the text: one pass
/// of the lexer, no parsing.
pub fn looks_like_member(text: &str) -> bool {
    let lexed = lexer::lex(FileId(0), text);
    let toks = &lexed.tokens;
    let next_is = |i: usize, kind: Kind| toks.get(i).is_some_and(|t| t.kind == kind);
    let mut statements = 0usize;
    let mut keywords = 0usize;
    let mut bare = 0usize;
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth = depth.saturating_sub(1),
            Kind::Comma => {}
            Kind::Word if depth == 0 => {
                let paren = next_is(i + 1, Kind::LParen);
                let def = grammar::lookup(&t.text);
                let subs_follow = def.is_some_and(|d| {
                    matches!(d.shape, Shape::Sub(_))
                        && toks
                            .get(i + 1)
                            .is_some_and(|n| n.kind == Kind::Word && d.sub(&n.text).is_some())
                });
                if def.is_some() && (paren || subs_follow) {
                    statements += 1;
                    keywords += 1;
                } else if paren {
                    keywords += 1;
                } else {
                    bare += 1;
                }
            }
            Kind::Word | Kind::Quoted => {
                if depth == 0 {
                    bare += 1;
                }
            }
        }
    }
    statements > 0 && keywords >= bare
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_other_texts() {
        assert!(looks_like_member("AUTOSTART(LOCAL)"));
        assert!(looks_like_member(
            "/* IZUPRM0A */\nHOSTNAME('x') SEC_GROUPS USER(A),ADMIN(B)\nFOO(1)\n"
        ));
        assert!(looks_like_member("WLM_CLASSES DEFAULT(A) LONG_WORK(B)"));
        // Unknown statements of a newer level among known ones.
        assert!(looks_like_member("AUTOSTART(LOCAL) NEWTHING(1) OTHER(2)"));
        assert!(!looks_like_member("AUTOSTART(LOCAL) DEVICE PORTA MPCIPA"));
        // Nothing that says it is a member.
        assert!(!looks_like_member(""));
        assert!(!looks_like_member("/* only a comment */"));
        assert!(!looks_like_member("FOO(1) BAR(2)"));
        // A known keyword as a word of prose is no statement.
        assert!(!looks_like_member("set AUTOSTART to LOCAL"));
        // A profile.
        assert!(!looks_like_member(
            "; PROFILE.TCPIP\nIPCONFIG SYSPLEXROUTING\nVIPADYNAMIC\n  VIPADEFINE 255.255.255.0 10.1.1.10\n\
             ENDVIPADYNAMIC\nPORT 443 TCP IZUSVR1\n"
        ));
    }
}
