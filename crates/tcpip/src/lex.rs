//! The lexer: lines of a profile into upper-case tokens with spans.
//!
//! SPEC §2: free format, blanks or line ends separate tokens, `;` starts a
//! comment, no sequence numbers, keywords are case-insensitive, system
//! symbols are substituted before parsing. Double-quoted strings (AUTOLOG
//! `PARMSTRING "…"`) are one token and keep their case; a `;` inside them is
//! text. A `"` opens a string only where a word starts; inside a word it is
//! an ordinary character.

use zha_diag::symbols::Symbols;
use zha_diag::{Diagnostic, FileId, Located, Span};

use crate::codes;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Upper case (unless quoted), symbols substituted, quotes removed.
    pub text: String,
    pub span: Span,
    /// 0-based line of the token's first character.
    pub line: u32,
    pub quoted: bool,
}

pub struct Lexed {
    pub tokens: Vec<Token>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn lex(file: FileId, text: &str, symbols: &Symbols) -> Lexed {
    let mut lx = Lexer {
        file,
        symbols,
        tokens: Vec::with_capacity(text.len() / 8),
        diagnostics: Vec::new(),
        sequence: Vec::new(),
    };
    let mut start = 0;
    let mut line_no: u32 = 0;
    while start <= text.len() {
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let mut line_end = end;
        if line_end > start && text.as_bytes()[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        lx.line(text, start, line_end, line_no);
        if end == text.len() {
            break;
        }
        start = end + 1;
        line_no = line_no.saturating_add(1);
    }
    lx.finish();
    Lexed {
        tokens: lx.tokens,
        diagnostics: lx.diagnostics,
    }
}

struct Lexer<'a> {
    file: FileId,
    symbols: &'a Symbols,
    tokens: Vec<Token>,
    diagnostics: Vec<Diagnostic>,
    /// Lines with a sequence number: 0-based line, the columns 73-80, the
    /// number.
    sequence: Vec<(u32, Span, String)>,
}

impl Lexer<'_> {
    /// The one finding for the file's sequence numbers, if it has any.
    fn finish(&mut self) {
        let (Some(first), Some(last)) = (self.sequence.first(), self.sequence.last()) else {
            return;
        };
        let n = self.sequence.len();
        let (l1, l2) = (u64::from(first.0) + 1, u64::from(last.0) + 1);
        let (message, label) = if n == 1 {
            (
                format!("sequence number {} in columns 73-80 of line {l1}", first.2),
                "read as a parameter".to_owned(),
            )
        } else if u64::try_from(n).is_ok_and(|n| n == l2 - l1 + 1) {
            (
                format!("lines {l1}-{l2} carry sequence numbers in columns 73-80"),
                format!("the first of {n} sequence numbers"),
            )
        } else {
            (
                format!(
                    "{n} lines between lines {l1} and {l2} carry sequence numbers in columns 73-80"
                ),
                format!("the first of {n} sequence numbers"),
            )
        };
        let mut d = Diagnostic::error(codes::SEQUENCE_NUMBER, message)
            .primary(first.1, label)
            .help("remove the sequence numbers (ISPF: UNNUM, or NUMBER OFF before saving)")
            .zos(format!(
                "z/OS does not allow sequence numbers in a profile: it reads {} as a parameter, which breaks the statement",
                first.2
            ))
            .note("zosmf-ha reads these lines without columns 73-80");
        if n > 1 {
            d = d.secondary(last.1, format!("the last, on line {l2}"));
        }
        self.diagnostics.push(d);
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start..end)
    }

    fn line(&mut self, text: &str, start: usize, end: usize, line_no: u32) {
        let line = &text[start..end];
        let comment = comment_start(line);
        let mut data_end = comment.unwrap_or(line.len());

        // Sequence numbers: an 80-character line with digits in 73-80 that
        // are not inside a comment. One finding per file (SPEC §4, one
        // finding per cause): `finish` writes it.
        if let Some(seq_start) = sequence_number(line)
            && comment.is_none_or(|c| c >= seq_start)
        {
            self.sequence.push((
                line_no,
                self.span(start + seq_start, end),
                line[seq_start..].to_owned(),
            ));
            data_end = data_end.min(seq_start);
        }

        if let Some(c) = comment
            && c > 0
            && !line.as_bytes()[c - 1].is_ascii_whitespace()
            && c <= data_end
        {
            // Only ASCII blanks separate words (as below), so this is a
            // char boundary.
            let word_start = line[..c]
                .rfind(|ch: char| ch.is_ascii_whitespace())
                .map_or(0, |i| i + 1);
            let word = &line[word_start..c];
            let after: String = line[c..].chars().take(4).collect();
            self.diagnostics.push(
                Diagnostic::warning(
                    codes::SEMICOLON_NO_BLANK,
                    format!("comment starts right after `{word}` with no blank"),
                )
                .primary(self.span(start + c, start + c + 1), "`;` directly after a parameter")
                .help(format!("put a blank before the `;`: `{word} ;`"))
                .zos(format!(
                    "z/OS wants a blank before a comment; without one it may read `{word}{after}` as a single parameter"
                )),
            );
        }

        let data = &line[..data_end];
        let bytes = data.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if b == b'"' {
                let close = data[i + 1..].find('"').map(|j| i + 1 + j);
                let (inner_end, tok_end) = match close {
                    Some(c) => (c, c + 1),
                    None => {
                        self.diagnostics.push(
                            Diagnostic::warning(
                                codes::UNTERMINATED_QUOTE,
                                "quoted string has no closing `\"`",
                            )
                            .primary(
                                self.span(start + i, start + data.len()),
                                "string runs to the end of the line",
                            )
                            .help("close the string with `\"` on the same line"),
                        );
                        (data.len(), data.len())
                    }
                };
                self.tokens.push(Token {
                    text: data[i + 1..inner_end].to_owned(),
                    span: self.span(start + i, start + tok_end),
                    line: line_no,
                    quoted: true,
                });
                i = tok_end;
                continue;
            }
            // A word runs to the next blank. Non-ASCII blanks are not
            // separators; z/OS knows only the EBCDIC blank.
            let mut j = i;
            while j < bytes.len() && !bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            self.word(&data[i..j], start + i, line_no);
            i = j;
        }
    }

    fn word(&mut self, raw: &str, at: usize, line: u32) {
        let span = self.span(at, at + raw.len());
        let Some((text, unresolved)) = self.symbols.substitute(raw) else {
            self.tokens.push(Token {
                text: raw.to_ascii_uppercase(),
                span,
                line,
                quoted: false,
            });
            return;
        };
        for u in unresolved {
            self.diagnostics.push(
                Diagnostic::warning(
                    codes::UNRESOLVED_SYMBOL,
                    format!("system symbol &{}. has no value", u.name),
                )
                .primary(
                    self.span(at + u.range.start, at + u.range.end),
                    "left as written",
                )
                .help(zha_diag::symbols::unresolved_help(&u.name)),
            );
        }
        // A symbol's value may hold several words; each becomes a token
        // pointing at the symbol.
        for part in text.split_ascii_whitespace() {
            self.tokens.push(Token {
                text: part.to_ascii_uppercase(),
                span,
                line,
                quoted: false,
            });
        }
    }
}

/// Where the comment of a line starts: the first `;` outside a quoted
/// string. The line is scanned the way the tokenizer reads it: a `"` opens a
/// string only where a word starts (a `"` inside a word is text), and a string
/// without its closing quote runs to the end of the line.
fn comment_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b';' => return Some(i),
            b'"' => i = i + 1 + line[i + 1..].find('"')? + 1,
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b';' {
                    i += 1;
                }
            }
        }
    }
    None
}

/// The byte offset of columns 73-80 when the line is 80 characters long and
/// those columns are all digits (an ISPF sequence number).
fn sequence_number(line: &str) -> Option<usize> {
    if line.len() < 80 {
        return None;
    }
    let (seq_start, _) = line.char_indices().nth(72)?;
    let seq = &line[seq_start..];
    (seq.len() == 8 && seq.bytes().all(|b| b.is_ascii_digit())).then_some(seq_start)
}

/// A token's text with its span (a quoted token keeps its quotes).
pub(crate) fn located(t: &Token) -> Located<String> {
    if t.quoted {
        Located::new(format!("\"{}\"", t.text), t.span)
    } else {
        Located::new(t.text.clone(), t.span)
    }
}

/// The span from the first to the last of `toks`, or `fallback`.
pub(crate) fn span_of(toks: &[Token], fallback: Span) -> Span {
    match (toks.first(), toks.last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> (Vec<String>, Vec<&'static str>) {
        let mut sy = Symbols::new();
        sy.set("SYSCLONE", "0A");
        sy.set("TWO", "A b");
        let l = lex(FileId(0), src, &sy);
        (
            l.tokens.into_iter().map(|t| t.text).collect(),
            l.diagnostics.into_iter().map(|d| d.code).collect(),
        )
    }

    #[test]
    fn comments_case_and_crlf() {
        let (t, d) =
            toks("ipconfig sysplexrouting ; comment\r\n; whole line\r\nhome 1.2.3.4 l&SYSCLONE.\n");
        assert_eq!(t, ["IPCONFIG", "SYSPLEXROUTING", "HOME", "1.2.3.4", "L0A"]);
        assert!(d.is_empty());
    }

    #[test]
    fn semicolon_without_blank_warns() {
        let (t, d) = toks("ROUTE DEFAULT 1.2.3.4 L MTU 4096 REPL;CHG\n");
        assert_eq!(t.last().map(String::as_str), Some("REPL"));
        assert_eq!(d, [codes::SEMICOLON_NO_BLANK]);
    }

    #[test]
    fn quoted_strings_keep_case_and_semicolons() {
        let (t, d) = toks("TRMD PARMSTRING \"d=x;y\" NEXT \"open\n");
        assert_eq!(t, ["TRMD", "PARMSTRING", "d=x;y", "NEXT", "open"]);
        assert_eq!(d, [codes::UNTERMINATED_QUOTE]);
    }

    #[test]
    fn sequence_numbers_are_an_error_and_skipped() {
        let line = format!("{:<72}{}\n", "HOME 1.2.3.4 L", "00000100");
        let (t, d) = toks(&line);
        assert_eq!(t, ["HOME", "1.2.3.4", "L"]);
        assert_eq!(d, [codes::SEQUENCE_NUMBER]);
        // Blank padding to 80 columns is fine.
        let (_, d) = toks(&format!("{:<80}\n", "HOME 1.2.3.4 L"));
        assert!(d.is_empty());
        // Digits inside a comment are only comment.
        let (_, d) = toks(&format!("{:<72}{}\n", "; comment", "00000100"));
        assert!(d.is_empty());
    }

    #[test]
    fn semicolon_warning_near_multibyte_text_does_not_panic() {
        // The note quotes the word and a few characters after the `;`; both
        // must be cut at character boundaries.
        let (t, d) = toks("A;ééé\n");
        assert_eq!(t, ["A"]);
        assert_eq!(d, [codes::SEMICOLON_NO_BLANK]);
        // A no-break space is not a separator (z/OS knows only the blank).
        let (t, d) = toks("A\u{a0}B;x\n");
        assert_eq!(t, ["A\u{a0}B"]);
        assert_eq!(d, [codes::SEMICOLON_NO_BLANK]);
    }

    #[test]
    fn a_quote_inside_a_word_does_not_hide_the_comment() {
        let (t, d) = toks("PORT 1 TCP A\"B ; comment here\n");
        assert_eq!(t, ["PORT", "1", "TCP", "A\"B"]);
        assert!(d.is_empty());
        // A quote at the start of a word still opens a string.
        let (t, _) = toks("X \"a ; b\" ; c\n");
        assert_eq!(t, ["X", "a ; b"]);
    }

    #[test]
    fn sequence_number_after_multibyte_text() {
        let line = format!("{:<72}{}\n", "HOME 1.2.3.4 LÉ", "00000100");
        let (t, d) = toks(&line);
        assert_eq!(t, ["HOME", "1.2.3.4", "LÉ"]);
        assert_eq!(d, [codes::SEQUENCE_NUMBER]);
        // A comment that starts before column 73 holds the digits.
        let (_, d) = toks(&format!("{:<72}{}\n", "; é comment", "00000100"));
        assert!(d.is_empty());
    }

    #[test]
    fn symbols_split_and_unresolved_warn() {
        let (t, d) = toks("X &TWO. &NOPE.\n");
        assert_eq!(t, ["X", "A", "B", "&NOPE."]);
        assert_eq!(d, [codes::UNRESOLVED_SYMBOL]);
    }
}
