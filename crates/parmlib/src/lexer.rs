//! The lexer: the records of a member into tokens with spans.
//!
//! SPEC §3: 80-byte records of which columns 1–71 are data and 72–80 are
//! ignored; blanks delimit; `/* … */` comments, which nest and may span
//! lines; single-quoted strings, where `''` is one quote, `/*` is text and a
//! value whose line ends inside the quotes resumes at the first non-blank of
//! the next line; everything else is upper-cased. Columns count characters.
//!
//! The lexer also reports what only the records show: text cut at column 71,
//! lines longer than 80 characters, unterminated comments and strings. It
//! does not substitute system symbols: the parser does that on values, where
//! it knows which token a symbol belongs to.

use zha_diag::{Diagnostic, FileId, Span};

use crate::codes;

/// Columns 1–71 hold data.
const DATA_COLUMNS: usize = 71;
/// A parmlib record is 80 bytes long.
const RECORD_LENGTH: usize = 80;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An unquoted run of characters.
    Word,
    /// A single-quoted string.
    Quoted,
    LParen,
    RParen,
    Comma,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Kind,
    /// From the first to the last character (for a quoted string, both
    /// quotes; a continued string spans several lines).
    pub span: Span,
    /// A word upper-cased; a quoted string's content with `''` read as `'`
    /// and continuations joined; empty for punctuation.
    pub text: String,
    /// 0-based line of the token's first character.
    pub line: u32,
    /// For a quoted string: where each piece of `text` comes from, as pairs
    /// (offset in `text`, byte offset in the source), sorted; within a piece
    /// text and source match byte for byte.
    pub pieces: Vec<(usize, usize)>,
}

impl Token {
    /// The source offset of a byte offset in a quoted string's `text`.
    pub fn source_offset(&self, text_offset: usize) -> usize {
        let idx = self.pieces.partition_point(|&(t, _)| t <= text_offset);
        match idx.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some(&(t, s)) => s + (text_offset - t),
            None => self.span.range().start,
        }
    }
}

pub(crate) struct Lexed {
    pub tokens: Vec<Token>,
    pub diagnostics: Vec<Diagnostic>,
    /// An unterminated comment hid text that z/OS would otherwise have read.
    pub hidden: bool,
}

pub(crate) fn lex(file: FileId, text: &str) -> Lexed {
    let mut lx = Lexer::new(file, text, records(text), false);
    lx.run(Cursor { line: 0, pos: 0 });
    lx.check_records();
    Lexed {
        tokens: lx.tokens,
        diagnostics: lx.diagnostics,
        hidden: lx.hidden,
    }
}

/// One line of the text.
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    /// The end of columns 1–71 (the offset of column 72, or the line's end).
    data_end: usize,
    /// The end of the line's content, without `\n` or `\r\n`.
    end: usize,
    /// The offset of column 81, when the line is longer than 80 characters.
    col81: Option<usize>,
}

/// What the lexer was inside when it reached the end of a line's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Normal,
    Comment,
    Quote,
}

use crate::grammar::is_blank;

fn records(text: &str) -> Vec<Line> {
    let mut lines = Vec::with_capacity(text.len() / 40 + 1);
    let mut start = 0;
    while start < text.len() {
        let nl = text[start..].find('\n').map(|i| start + i);
        let mut end = nl.unwrap_or(text.len());
        if end > start && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        let mut data_end = end;
        let mut col81 = None;
        for (n, (i, _)) in text[start..end].char_indices().enumerate() {
            if n == DATA_COLUMNS {
                data_end = start + i;
            }
            if n == RECORD_LENGTH {
                col81 = Some(start + i);
                break;
            }
        }
        lines.push(Line {
            start,
            data_end,
            end,
            col81,
        });
        match nl {
            Some(nl) => start = nl + 1,
            None => break,
        }
    }
    lines
}

struct Lexer<'a> {
    file: FileId,
    text: &'a str,
    lines: Vec<Line>,
    end_state: Vec<State>,
    tokens: Vec<Token>,
    diagnostics: Vec<Diagnostic>,
    /// Lexing what an unterminated comment hides, to name what is lost:
    /// its findings are dropped and a comment that is never ended just
    /// ends the text.
    shadow: bool,
    /// The line where an unterminated comment starts: from there on the
    /// member is comment.
    unterminated: Option<usize>,
    /// The unterminated comment hid tokens.
    hidden: bool,
}

/// A position: a line index and a byte offset within that line.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    line: usize,
    pos: usize,
}

enum Scan {
    /// The construct ended; go on from here.
    Done(Cursor),
    /// The text ended first.
    Eof,
}

impl<'a> Lexer<'a> {
    fn new(file: FileId, text: &'a str, lines: Vec<Line>, shadow: bool) -> Lexer<'a> {
        Lexer {
            file,
            text,
            end_state: vec![State::Normal; lines.len()],
            lines,
            tokens: Vec::with_capacity(text.len() / 8),
            diagnostics: Vec::new(),
            shadow,
            unterminated: None,
            hidden: false,
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start..end)
    }

    /// The character at `pos` when it is within the data of line `li`.
    fn char_at(&self, li: usize, pos: usize) -> Option<char> {
        let line = self.lines.get(li)?;
        if pos >= line.data_end {
            return None;
        }
        self.text.get(pos..line.data_end)?.chars().next()
    }

    fn starts_with(&self, li: usize, pos: usize, pat: &str) -> bool {
        self.lines
            .get(li)
            .and_then(|line| self.text.get(pos..line.data_end))
            .is_some_and(|rest| rest.starts_with(pat))
    }

    /// Move to the start of the next line, recording what the line ended in.
    fn next_line(&mut self, cur: Cursor, state: State) -> Cursor {
        if let Some(s) = self.end_state.get_mut(cur.line) {
            *s = state;
        }
        let line = cur.line + 1;
        let pos = self.lines.get(line).map_or(self.text.len(), |l| l.start);
        Cursor { line, pos }
    }

    fn run(&mut self, mut cur: Cursor) {
        while cur.line < self.lines.len() {
            let Some(c) = self.char_at(cur.line, cur.pos) else {
                cur = self.next_line(cur, State::Normal);
                continue;
            };
            let start = cur.pos;
            if is_blank(c) {
                cur.pos += c.len_utf8();
            } else if self.starts_with(cur.line, start, "/*") {
                cur = self.comment(cur);
            } else if self.starts_with(cur.line, start, "*/") {
                self.diagnostics.push(
                    Diagnostic::error(codes::SYNTAX, "`*/` outside a comment")
                        .primary(self.span(start, start + 2), "no comment to end here")
                        .help("remove the `*/`, or add the `/*` that starts the comment"),
                );
                cur.pos += 2;
            } else if c == '\'' {
                cur = self.quoted(cur);
            } else if let Some(kind) = punctuation(c) {
                self.push(kind, start, start + 1, String::new(), cur.line);
                cur.pos += 1;
            } else {
                // A word is never empty: the checks above took every
                // character that could end one at its start.
                cur.pos = self.word_end(cur).max(start + c.len_utf8());
                let upper = self.text[start..cur.pos].to_ascii_uppercase();
                self.push(Kind::Word, start, cur.pos, upper, cur.line);
            }
        }
    }

    fn push(&mut self, kind: Kind, start: usize, end: usize, text: String, line: usize) {
        self.tokens.push(Token {
            kind,
            span: self.span(start, end),
            text,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            pieces: Vec::new(),
        });
    }

    /// A word ends at a blank, a parenthesis, a comma, a quote, a comment
    /// delimiter or column 72. A system symbol reference stays in the word
    /// whole, with its substring notation: `IZUSVR&SYSCLONE(2:1).` is one
    /// word, which the parser substitutes (z/OS substitutes symbols before
    /// it reads the statement).
    fn word_end(&self, cur: Cursor) -> usize {
        let data_end = self.lines.get(cur.line).map_or(cur.pos, |l| l.data_end);
        let rest = self.text.get(cur.pos..data_end).unwrap_or("");
        let mut prev = '\0';
        let mut i = 0;
        while let Some(c) = rest.get(i..).and_then(|r| r.chars().next()) {
            if is_blank(c) || c == '\'' || punctuation(c).is_some() {
                return cur.pos + i;
            }
            // `/*` and `*/` end the word before their first character.
            if (prev == '/' && c == '*') || (prev == '*' && c == '/') {
                return cur.pos + i - 1;
            }
            if c == '&'
                && let Some(n) = zha_diag::symbols::reference_len(&rest[i..])
            {
                // A reference ends in a name character, `)` or `.`: none of
                // them starts a comment delimiter with what follows.
                i += n;
                prev = '\0';
                continue;
            }
            prev = c;
            i += c.len_utf8();
        }
        data_end
    }

    /// A comment from its `/*` to the `*/` that balances it. A comment that
    /// is never ended makes the rest of the member a comment, as on z/OS:
    /// nothing after it is read.
    fn comment(&mut self, open: Cursor) -> Cursor {
        let end = Cursor {
            line: self.lines.len(),
            pos: self.text.len(),
        };
        match self.scan_comment(open) {
            (Scan::Done(cur), _) => cur,
            (Scan::Eof, _) if self.shadow => end,
            (Scan::Eof, nested) => {
                self.unterminated = Some(open.line);
                let d = self.unterminated_comment(open, nested);
                self.diagnostics.push(d);
                end
            }
        }
    }

    /// The finding for a comment opened at `open` that is never ended: what
    /// z/OS does, the `*/` that column 72 cuts off if there is one, and the
    /// first statement that is not read. An error when statements are lost;
    /// a warning when none is (the comment is the member's last text, or
    /// hides text that holds no statement): no setting changes, but any
    /// statement added after it later would be lost.
    fn unterminated_comment(&mut self, open: Cursor, nested: Option<Nested>) -> Diagnostic {
        let start = open.pos;
        let cut = (open.line..self.lines.len())
            .find_map(|li| self.cut_comment_end(li).map(|span| (li, span)));
        // What the author most likely meant to be read: the text after the
        // `*/` that column 72 cut off, or after the comment's first line.
        let from = cut.map_or(open.line, |(li, _)| li) + 1;
        let lost = self.lost_statements(from);
        let message = "comment is never ended, so the rest of the member is a comment";
        let mut d = if lost.is_some() {
            Diagnostic::error(codes::UNTERMINATED_COMMENT, message)
        } else {
            Diagnostic::warning(codes::UNTERMINATED_COMMENT, message)
        }
        .primary(
            self.span(start, start + 2),
            "this `/*` has no matching `*/` in columns 1-71",
        );
        // A `/*` after the cut `*/` is nested only because that `*/` was
        // not seen: the cut `*/` is the cause to show.
        let before_cut = |n: usize| cut.is_none_or(|(_, (s, _))| n < s);
        match nested {
            Some(Nested::Open(n)) if before_cut(n) => {
                d = d.secondary(
                    self.span(n, n + 2),
                    "this `/*` opens a nested comment, which needs its own `*/`",
                );
            }
            Some(Nested::Closed(n)) if before_cut(n) => {
                d = d.secondary(
                    self.span(n, n + 2),
                    "comments nest: the `*/` after this `/*` ends it, not the outer comment",
                );
            }
            _ => {}
        }
        if let Some((_, (s, e))) = cut {
            d = d.secondary(
                self.span(s, e),
                "column 72 is where z/OS stops reading: this `*/` is not seen",
            );
        }
        if let Some((first, name, _)) = &lost {
            d = d.secondary(
                *first,
                format!("{name} and every statement after it are not read"),
            );
        }
        d = d.help(if cut.is_some() {
            "move the `*/` left so that it ends by column 71"
        } else {
            "add `*/` where the comment should end"
        });
        d = d.zos(if cut.is_some() {
            "z/OS reads columns 1-71 of each record only, so it does not see a `*/` in columns 72-80; \
             a comment that is never ended makes the rest of the member a comment"
        } else {
            "a comment that is never ended makes the rest of the member a comment"
        });
        match lost {
            Some((_, name, count)) => d.note(format!(
                "{count} statement{} after the comment {} not read, from {name} on: their settings keep \
                 their defaults or the values of earlier members",
                if count == 1 { "" } else { "s" },
                if count == 1 { "is" } else { "are" },
            )),
            None if self.hidden => d.note(
                "the text after the comment is not read; it holds no statement, so no setting is lost, \
                 but a statement added after it would be",
            ),
            None => d.note(
                "no statement follows the comment, so no setting is lost; a statement added after it \
                 later would be",
            ),
        }
    }

    /// Lex the lines from `from` on as if no comment hid them, and return
    /// the first statement found there (its keyword and name) and how many
    /// statements there are. Sets `hidden` when any token is found.
    fn lost_statements(&mut self, from: usize) -> Option<(Span, String, usize)> {
        let start = self.lines.get(from)?.start;
        let mut shadow = Lexer::new(self.file, self.text, self.lines.clone(), true);
        shadow.run(Cursor {
            line: from,
            pos: start,
        });
        let toks = shadow.tokens;
        self.hidden = !toks.is_empty();
        let kind = |i: usize| toks.get(i).map(|t| t.kind);
        let mut first = None;
        let mut count = 0;
        for (i, t) in toks.iter().enumerate() {
            if t.kind != Kind::Word {
                continue;
            }
            let Some(def) = crate::grammar::lookup(&t.text) else {
                continue;
            };
            let is_statement = kind(i + 1) == Some(Kind::LParen)
                || (matches!(def.shape, crate::grammar::Shape::Sub(_))
                    && kind(i + 1) == Some(Kind::Word)
                    && kind(i + 2) == Some(Kind::LParen));
            if is_statement {
                first.get_or_insert((t.span, def.name.to_owned()));
                count += 1;
            }
        }
        first.map(|(span, name)| (span, name, count))
    }

    /// The `*/` that column 72 cuts off on line `li`: in columns 72-80, or
    /// split with its `*` in column 71 and its `/` in column 72. Returns its
    /// byte range.
    fn cut_comment_end(&self, li: usize) -> Option<(usize, usize)> {
        let line = self.lines.get(li)?;
        let data = self.text.get(line.start..line.data_end)?;
        let ignored = self.text.get(line.data_end..line.end)?;
        if data.ends_with('*') && ignored.starts_with('/') {
            return Some((line.data_end - 1, line.data_end + 1));
        }
        let at = line.data_end + ignored.find("*/")?;
        Some((at, at + 2))
    }

    /// Scan a comment; returns where it ended and, when it never ends, the
    /// nested `/*` to show: the innermost one still open, else the first
    /// nested comment that took a `*/` the author may have meant for the
    /// outer one.
    fn scan_comment(&mut self, open: Cursor) -> (Scan, Option<Nested>) {
        let mut cur = Cursor {
            line: open.line,
            pos: open.pos + 2,
        };
        let mut depth = 1u32;
        let mut nested: Vec<usize> = Vec::new();
        let mut closed: Option<usize> = None;
        while let Some(line) = self.lines.get(cur.line).copied() {
            // `/` and `*` are ASCII, so scanning bytes finds them and never
            // stops inside a multi-byte character.
            let data = self
                .text
                .as_bytes()
                .get(cur.pos..line.data_end)
                .unwrap_or(&[]);
            let mut j = 0;
            while j + 1 < data.len() {
                match (data[j], data[j + 1]) {
                    (b'*', b'/') => {
                        j += 2;
                        depth -= 1;
                        if let Some(n) = nested.pop() {
                            closed.get_or_insert(n);
                        }
                        if depth == 0 {
                            cur.pos += j;
                            return (Scan::Done(cur), None);
                        }
                    }
                    (b'/', b'*') => {
                        nested.push(cur.pos + j);
                        depth += 1;
                        j += 2;
                    }
                    _ => j += 1,
                }
            }
            cur.pos = line.data_end;
            cur = self.next_line(cur, State::Comment);
        }
        let nested = match nested.last() {
            Some(&n) => Some(Nested::Open(n)),
            None => closed.map(Nested::Closed),
        };
        (Scan::Eof, nested)
    }

    /// A quoted string from its opening quote to its closing quote.
    fn quoted(&mut self, open: Cursor) -> Cursor {
        let start = open.pos;
        let mut cur = Cursor {
            line: open.line,
            pos: start + 1,
        };
        let mut text = String::new();
        let mut pieces = vec![(0, cur.pos)];
        // Where this line's part of the value starts in `text`: trailing
        // blanks are dropped only from it.
        let mut line_part = 0;
        // The value as far as its first line goes, for recovery: its length
        // in `text`, the number of pieces and the source end.
        let mut first_line: Option<(usize, usize, usize)> = None;
        // The source offset after the last non-blank character taken.
        let mut nonblank_end = start + 1;
        let mut resuming = false;
        while cur.line < self.lines.len() {
            let Some(c) = self.char_at(cur.line, cur.pos) else {
                // The data ends inside the quotes: the value continues at
                // the first non-blank of the next line, and the blanks
                // before column 72 are not part of it.
                if !resuming {
                    let kept = line_part + text[line_part..].trim_end_matches(is_blank).len();
                    text.truncate(kept);
                    // Pieces that began in the dropped blanks would break
                    // the order of `pieces`.
                    while pieces.last().is_some_and(|&(t, _)| t > kept) {
                        pieces.pop();
                    }
                    if first_line.is_none() {
                        first_line = Some((kept, pieces.len(), nonblank_end));
                    }
                }
                cur = self.next_line(cur, State::Quote);
                resuming = true;
                continue;
            };
            if resuming {
                if is_blank(c) {
                    cur.pos += c.len_utf8();
                    continue;
                }
                resuming = false;
                line_part = text.len();
                pieces.push((text.len(), cur.pos));
            }
            if c == '\'' {
                if self.char_at(cur.line, cur.pos + 1) == Some('\'') {
                    text.push('\'');
                    cur.pos += 2;
                    nonblank_end = cur.pos;
                    pieces.push((text.len(), cur.pos));
                    continue;
                }
                cur.pos += 1;
                self.tokens.push(Token {
                    kind: Kind::Quoted,
                    span: self.span(start, cur.pos),
                    text,
                    line: u32::try_from(open.line).unwrap_or(u32::MAX),
                    pieces,
                });
                return cur;
            }
            text.push(c);
            cur.pos += c.len_utf8();
            if !is_blank(c) {
                nonblank_end = cur.pos;
            }
        }
        // The text ended inside the quotes. No quote follows the opening
        // one, so ending the value at the end of its first line and reading
        // on from the next line cannot meet another string: this stays
        // linear.
        let (len, n_pieces, end) = match first_line {
            Some(f) => f,
            None => (text.len(), pieces.len(), nonblank_end),
        };
        text.truncate(len);
        pieces.truncate(n_pieces);
        self.diagnostics.push(
            Diagnostic::error(codes::UNTERMINATED_QUOTE, "quoted string is never ended")
                .primary(self.span(start, start + 1), "this quote has no closing quote")
                .help("add the closing `'`; a quote inside a value is written twice (`''`)")
                .note("the rest of the member was checked as if the value ended at the end of its line"),
        );
        self.tokens.push(Token {
            kind: Kind::Quoted,
            span: self.span(start, end.max(start + 1)),
            text,
            line: u32::try_from(open.line).unwrap_or(u32::MAX),
            pieces,
        });
        // Record the first line as ending inside a quote, then go on after it.
        let first = Cursor {
            line: open.line,
            pos: start,
        };
        self.next_line(first, State::Quote)
    }

    /// Findings about the records themselves: text past column 71 and lines
    /// longer than 80 characters.
    fn check_records(&mut self) {
        for (li, line) in self.lines.iter().enumerate() {
            // Inside a comment that is never ended, a `*/` cut off by column
            // 72 is part of that comment's finding.
            let unended = self.unterminated.is_some_and(|u| li >= u);
            if line.data_end < line.end && !unended {
                let state = self.end_state.get(li).copied().unwrap_or(State::Normal);
                if let Some(d) = self.past_column_71(li, line, state) {
                    self.diagnostics.push(d);
                }
            }
            if let Some(col81) = line.col81 {
                let chars = RECORD_LENGTH + self.text[col81..line.end].chars().count();
                self.diagnostics.push(
                    Diagnostic::warning(
                        codes::LONG_RECORD,
                        format!("line is {chars} characters long; a parmlib record holds 80"),
                    )
                    .primary(self.span(col81, line.end), "past column 80")
                    .help("break the line: a statement may span several lines, and columns 72-80 are not read")
                    .zos("parmlib data sets have 80-byte records (LRECL 80)"),
                );
            }
        }
    }

    fn past_column_71(&self, li: usize, line: &Line, state: State) -> Option<Diagnostic> {
        let data = &self.text[line.start..line.data_end];
        let ignored = &self.text[line.data_end..line.end];
        if state == State::Comment {
            // A `*/` cut off by column 72 does not end the comment.
            let (start, end) = self.cut_comment_end(li)?;
            return Some(
                Diagnostic::warning(
                    codes::PAST_COLUMN_71,
                    "`*/` is cut off by column 72, so the comment does not end here",
                )
                .primary(
                    self.span(start, end),
                    "column 72 is where z/OS stops reading: this `*/` is not seen",
                )
                .help("end the comment by column 71")
                .zos("z/OS reads columns 1-71 of IZUPRMxx records and ignores columns 72-80")
                .note("the comment goes on to the next `*/` in columns 1-71"),
            );
        }
        let col71 = data.chars().next_back()?;
        let col72 = ignored.chars().next()?;
        if is_blank(col71) || is_blank(col72) {
            return None;
        }
        let run = ignored.find(is_blank).unwrap_or(ignored.len());
        let what = if state == State::Quote {
            "quoted value runs past column 71 and is cut there"
        } else {
            "text runs past column 71 and is cut there"
        };
        Some(
            Diagnostic::warning(codes::PAST_COLUMN_71, what)
                .primary(
                    self.span(line.data_end, line.data_end + run),
                    "columns 72-80 are not read",
                )
                .help("end the text by column 71 and continue the statement on the next line")
                .zos("z/OS ignores columns 72-80 of IZUPRMxx records"),
        )
    }
}

fn punctuation(c: char) -> Option<Kind> {
    match c {
        '(' => Some(Kind::LParen),
        ')' => Some(Kind::RParen),
        ',' => Some(Kind::Comma),
        _ => None,
    }
}

/// A nested `/*` inside a comment that never ends.
#[derive(Clone, Copy, Debug)]
enum Nested {
    /// Still open at the end of the member.
    Open(usize),
    /// Closed by a `*/` that the outer comment may have been meant to get.
    Closed(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<(Kind, String)> {
        lex(FileId(0), text)
            .tokens
            .into_iter()
            .map(|t| (t.kind, t.text))
            .collect()
    }

    fn words(text: &str) -> Vec<String> {
        toks(text).into_iter().map(|(_, t)| t).collect()
    }

    fn codes_of(text: &str) -> Vec<&'static str> {
        lex(FileId(0), text)
            .diagnostics
            .iter()
            .map(|d| d.code)
            .collect()
    }

    fn pad(s: &str, width: usize) -> String {
        format!("{s:<width$}")
    }

    #[test]
    fn blanks_delimit_and_parentheses_are_tokens() {
        use Kind::*;
        assert_eq!(
            toks("A(b) C ( d ),E"),
            vec![
                (Word, "A".into()),
                (LParen, String::new()),
                (Word, "B".into()),
                (RParen, String::new()),
                (Word, "C".into()),
                (LParen, String::new()),
                (Word, "D".into()),
                (RParen, String::new()),
                (Comma, String::new()),
                (Word, "E".into()),
            ]
        );
    }

    #[test]
    fn input_is_upper_cased_except_in_quotes() {
        assert_eq!(
            words("keyring_name('IZUKeyring.x') a"),
            ["KEYRING_NAME", "", "IZUKeyring.x", "", "A"]
        );
    }

    #[test]
    fn columns_72_to_80_are_ignored() {
        let line = format!("{}{}", pad("AUTOSTART(LOCAL)", 71), " 00000100");
        assert_eq!(words(&line), ["AUTOSTART", "", "LOCAL", ""]);
        assert!(
            codes_of(&line).is_empty(),
            "sequence numbers after a blank column 71 are silent"
        );
        // Column 72 holds a character that would otherwise continue a word.
        let line = format!("{}X\nB", pad("A", 71));
        assert_eq!(words(&line), ["A", "B"]);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // 70 characters of which some take two bytes, then a word in 71-72.
        let line = format!("'{}'  ¬¬AB", "ä".repeat(66));
        assert_eq!(line.chars().count(), 74);
        let lexed = lex(FileId(0), &line);
        assert_eq!(lexed.tokens[0].text, "ä".repeat(66));
        assert_eq!(lexed.tokens[1].text, "¬");
        assert_eq!(lexed.diagnostics.len(), 1);
        assert_eq!(lexed.diagnostics[0].code, codes::PAST_COLUMN_71);
        let span = lexed.diagnostics[0].labels[0].span;
        assert_eq!(&line[span.range()], "¬AB");
    }

    #[test]
    fn text_running_past_column_71_warns() {
        let line = format!("{}PORT(443)", pad("HTTP_SSL_", 71 - 4) + "HTTP");
        let lexed = lex(FileId(0), &line);
        let d = &lexed.diagnostics[0];
        assert_eq!(d.code, codes::PAST_COLUMN_71);
        assert_eq!(&line[d.labels[0].span.range()], "PORT(443)");
        assert!(d.message.starts_with("text runs past column 71"));
        // Inside a quote the message says so.
        let line = format!("{}abcdef')", pad("LOGGING('", 69) + "xy");
        let lexed = lex(FileId(0), &line);
        let d = lexed
            .diagnostics
            .iter()
            .find(|d| d.code == codes::PAST_COLUMN_71);
        assert!(
            d.is_some_and(|d| d.message.starts_with("quoted value runs past")),
            "{d:?}"
        );
    }

    #[test]
    fn comment_end_past_column_71_warns() {
        let text = format!("{}*/\nA(B) */", pad("/* comment", 71));
        let lexed = lex(FileId(0), &text);
        let codes: Vec<_> = lexed.diagnostics.iter().map(|d| d.code).collect();
        // The comment goes on to the `*/` on the next line.
        assert_eq!(codes, [codes::PAST_COLUMN_71]);
        assert!(lexed.tokens.is_empty());
        let d = &lexed.diagnostics[0];
        assert_eq!(&text[d.labels[0].span.range()], "*/");
        assert_eq!(d.labels[0].span.range(), 71..73);
        assert_eq!(
            d.labels[0].message,
            "column 72 is where z/OS stops reading: this `*/` is not seen"
        );
        // A `*/` split by column 72: `*` in column 71, `/` in column 72.
        let text = format!("{}/\n*/ A(B)", pad("/* comment", 70) + "*");
        let lexed = lex(FileId(0), &text);
        assert_eq!(lexed.diagnostics.len(), 1);
        assert_eq!(lexed.diagnostics[0].labels[0].span.range(), 70..72);
        assert_eq!(words(&text), ["A", "", "B", ""]);
    }

    #[test]
    fn comment_closed_in_columns_70_and_71_is_fine() {
        let text = format!("{}\nAUTOSTART(LOCAL)", pad("/* comment", 69) + "*/");
        assert_eq!(text.find("*/"), Some(69));
        let lexed = lex(FileId(0), &text);
        assert!(lexed.diagnostics.is_empty(), "{:?}", lexed.diagnostics);
        assert_eq!(words(&text), ["AUTOSTART", "", "LOCAL", ""]);
        // With a sequence number in columns 73-80 too.
        let text = format!("{} 00000100\nA", pad("/* c", 69) + "*/");
        assert!(codes_of(&text).is_empty());
        assert_eq!(words(&text), ["A"]);
    }

    #[test]
    fn long_line_warns() {
        let line = "A".to_owned() + &" ".repeat(85);
        let lexed = lex(FileId(0), &line);
        assert_eq!(lexed.diagnostics.len(), 1);
        assert_eq!(lexed.diagnostics[0].code, codes::LONG_RECORD);
        assert_eq!(lexed.diagnostics[0].labels[0].span.range(), 80..86);
        assert!(codes_of(&" ".repeat(80)).is_empty());
    }

    #[test]
    fn crlf_is_accepted() {
        assert_eq!(
            words("A(B)\r\nC(D)\r\n"),
            ["A", "", "B", "", "C", "", "D", ""]
        );
        let lexed = lex(FileId(0), "A\r\nB");
        assert_eq!(lexed.tokens[1].span.range(), 3..4);
        assert_eq!(lexed.tokens[1].line, 1);
    }

    #[test]
    fn comments_nest_and_span_lines() {
        assert_eq!(words("A /* x /* y */ z */ B"), ["A", "B"]);
        assert_eq!(words("A/*a/*b*/*/B"), ["A", "B"]);
        assert_eq!(words("A /* one\ntwo\n */ B"), ["A", "B"]);
        assert_eq!(words("A/*x*/B"), ["A", "B"]);
        assert!(codes_of("A /* x /* y */ z */ B").is_empty());
    }

    #[test]
    fn comment_delimiters_in_quotes_are_text() {
        assert_eq!(words("L('a/*b*/c') D"), ["L", "", "a/*b*/c", "", "D"]);
        // And a quote inside a comment is comment text.
        assert_eq!(words("/* it's */ A"), ["A"]);
    }

    #[test]
    fn unterminated_comment_makes_the_rest_a_comment() {
        let text = "A(1) /* no end\nB(C)\nHOSTNAME('x') AUTOSTART(LOCAL)\nSEC_GROUPS USER(X)";
        let lexed = lex(FileId(0), text);
        assert_eq!(lexed.diagnostics.len(), 1);
        assert!(lexed.hidden);
        let d = &lexed.diagnostics[0];
        assert_eq!(d.code, codes::UNTERMINATED_COMMENT);
        assert_eq!(
            d.message,
            "comment is never ended, so the rest of the member is a comment"
        );
        assert_eq!(d.labels[0].span.range(), 5..7);
        // Nothing after the `/*` is read.
        let words: Vec<_> = lexed.tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(words, ["A", "", "1", ""]);
        // The first statement lost is named (B is no statement).
        let lost = &d.labels[1];
        assert_eq!(&text[lost.span.range()], "HOSTNAME");
        assert_eq!(
            lost.message,
            "HOSTNAME and every statement after it are not read"
        );
        assert_eq!(
            d.notes,
            [
                "3 statements after the comment are not read, from HOSTNAME on: their settings keep \
              their defaults or the values of earlier members"
            ]
        );
        assert_eq!(
            d.help.as_deref(),
            Some("add `*/` where the comment should end")
        );
        // A nested comment that closes is not said to need its own `*/`:
        // the outer `/*` is the one open, and the nested comment is shown
        // as what took the `*/`.
        let d = &lex(
            FileId(0),
            "/* outer\nHOSTNAME('x') /* inner */\nUSER_DIR('/a')",
        )
        .diagnostics[0];
        assert_eq!(d.labels[0].span.range(), 0..2);
        assert!(
            !d.labels.iter().any(|l| l.message.contains("needs its own")),
            "{:?}",
            d.labels
        );
        assert!(
            d.labels.iter().any(|l| l.span.range() == (23..25)
                && l.message
                    .starts_with("comments nest: the `*/` after this `/*` ends it")),
            "{:?}",
            d.labels
        );
        // A nested opener is pointed at.
        let d = &lex(FileId(0), "/* a /* b */\nAUTOSTART(LOCAL)").diagnostics[0];
        assert_eq!(d.labels[1].span.range(), 5..7);
        assert_eq!(
            d.labels[2].message,
            "AUTOSTART and every statement after it are not read"
        );
        assert_eq!(
            d.notes,
            [
                "1 statement after the comment is not read, from AUTOSTART on: their settings keep \
              their defaults or the values of earlier members"
            ]
        );
        // Statements lost: an error.
        assert_eq!(d.severity, zha_diag::Severity::Error);
        assert_eq!(lexed.diagnostics[0].severity, zha_diag::Severity::Error);
    }

    #[test]
    fn unterminated_comment_that_loses_no_statement_is_a_warning() {
        // Nothing after it: nothing hidden, no label for it, no setting lost.
        let lexed = lex(FileId(0), "A(1)\n/* trailing comment with no end");
        assert!(!lexed.hidden);
        let d = &lexed.diagnostics[0];
        assert_eq!(d.code, codes::UNTERMINATED_COMMENT);
        assert_eq!(d.severity, zha_diag::Severity::Warning);
        assert_eq!(d.labels.len(), 1);
        assert_eq!(
            d.notes,
            [
                "no statement follows the comment, so no setting is lost; a statement added after it \
                 later would be"
            ]
        );
        // Text after it that holds no statement: hidden, still no setting.
        let lexed = lex(FileId(0), "A(1) /* note\n  more words, no statement\n");
        assert!(lexed.hidden);
        let d = &lexed.diagnostics[0];
        assert_eq!(d.severity, zha_diag::Severity::Warning);
        assert!(
            d.notes[0].starts_with("the text after the comment is not read; it holds no statement")
        );
        // A `*/` cut by column 72 on the last line: nothing is lost either.
        let text = format!("AUTOSTART(LOCAL)\n{}*/\n", pad("/* the end", 71));
        let d = &lex(FileId(0), &text).diagnostics[0];
        assert_eq!(d.code, codes::UNTERMINATED_COMMENT);
        assert_eq!(d.severity, zha_diag::Severity::Warning);
        // The same with a statement after it: an error.
        let text = format!("{text}HOSTNAME('x')\n");
        let d = &lex(FileId(0), &text).diagnostics[0];
        assert_eq!(d.severity, zha_diag::Severity::Error);
    }

    #[test]
    fn unterminated_comment_cut_by_column_72_says_so() {
        // The `*/` in columns 72-73 of the comment's last line is not seen.
        let text = format!(
            "AUTOSTART(LOCAL)\n/* header\n{}*/\nHOSTNAME('zosmf.example.com')\n{}*/",
            pad("   more header", 71),
            pad("/* another", 72)
        );
        let lexed = lex(FileId(0), &text);
        let codes: Vec<_> = lexed.diagnostics.iter().map(|d| d.code).collect();
        // One finding for the one cause: no separate ZHA0401 for either `*/`.
        assert_eq!(codes, [codes::UNTERMINATED_COMMENT]);
        let d = &lexed.diagnostics[0];
        let labels: Vec<_> = d
            .labels
            .iter()
            .map(|l| (&text[l.span.range()], l.message.as_str()))
            .collect();
        assert_eq!(
            labels,
            [
                ("/*", "this `/*` has no matching `*/` in columns 1-71"),
                (
                    "*/",
                    "column 72 is where z/OS stops reading: this `*/` is not seen"
                ),
                (
                    "HOSTNAME",
                    "HOSTNAME and every statement after it are not read"
                ),
            ]
        );
        // The cut `*/` is the one on the third line.
        assert_eq!(
            d.labels[1].span.range().start,
            text.find("more header").unwrap() - 3 + 71
        );
        assert_eq!(
            d.help.as_deref(),
            Some("move the `*/` left so that it ends by column 71")
        );
        assert!(
            d.zos
                .as_deref()
                .is_some_and(|z| z.contains("columns 72-80"))
        );
        let words: Vec<_> = lexed.tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(words, ["AUTOSTART", "", "LOCAL", ""]);
    }

    #[test]
    fn one_unterminated_comment_ends_the_text_whatever_follows() {
        let text = "/* /* */\n".repeat(100) + "AUTOSTART(LOCAL)";
        let lexed = lex(FileId(0), &text);
        let n = lexed
            .diagnostics
            .iter()
            .filter(|d| d.code == codes::UNTERMINATED_COMMENT)
            .count();
        assert_eq!(n, 1);
        assert!(lexed.tokens.is_empty());
    }

    #[test]
    fn symbol_substrings_stay_in_their_word() {
        assert_eq!(
            words("SERVER_PROC(IZUSVR&SYSCLONE(2:1).)"),
            ["SERVER_PROC", "", "IZUSVR&SYSCLONE(2:1).", ""]
        );
        assert_eq!(
            words("USER_DIR(/u/&sysname(-2:2)./x) A(&B())"),
            [
                "USER_DIR",
                "",
                "/U/&SYSNAME(-2:2)./X",
                "",
                "A",
                "",
                "&B()",
                ""
            ]
        );
        // Without the period the reference ends at `)`; a comment after it
        // is still a comment.
        assert_eq!(words("A(&X(2:1)/* c */)"), ["A", "", "&X(2:1)", ""]);
        // A period before `(`, or notation that is not valid, is no
        // substring: the parenthesis is punctuation, as z/OS reads it.
        assert_eq!(words("A(&X.(2))"), ["A", "", "&X.", "", "2", "", ""]);
        assert_eq!(words("A(&X(B))"), ["A", "", "&X", "", "B", "", ""]);
        assert_eq!(words("A(X&(2))"), ["A", "", "X&", "", "2", "", ""]);
    }

    #[test]
    fn stray_comment_end_is_an_error() {
        let lexed = lex(FileId(0), "A*/ B");
        assert_eq!(lexed.diagnostics[0].code, codes::SYNTAX);
        assert_eq!(lexed.diagnostics[0].labels[0].span.range(), 1..3);
        let words: Vec<_> = lexed.tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(words, ["A", "B"]);
    }

    #[test]
    fn doubled_quote_is_one_quote() {
        let lexed = lex(FileId(0), "X('it''s')");
        let t = &lexed.tokens[2];
        assert_eq!(t.kind, Kind::Quoted);
        assert_eq!(t.text, "it's");
        assert_eq!(t.span.range(), 2..9);
        // The `s` after the doubled quote maps back to its source offset.
        assert_eq!(t.source_offset(3), 7);
        assert_eq!(toks("''")[0], (Kind::Quoted, String::new()));
    }

    #[test]
    fn quoted_value_continues_on_the_next_line() {
        let first = pad(
            "LOGGING('*=warning:com.ibm.zoszmf.*=info:com.ibm.zoszmf.env.ui=",
            71,
        );
        let text = format!("{first}00000010\n             finer')\n");
        let lexed = lex(FileId(0), &text);
        assert!(lexed.diagnostics.is_empty(), "{:?}", lexed.diagnostics);
        let t = &lexed.tokens[2];
        assert_eq!(
            t.text,
            "*=warning:com.ibm.zoszmf.*=info:com.ibm.zoszmf.env.ui=finer"
        );
        // The `f` of `finer` maps to its place on the second line.
        let f = t.text.find("finer").unwrap_or(0);
        assert_eq!(&text[t.source_offset(f)..t.source_offset(f) + 5], "finer");
        assert_eq!(lexed.tokens[3].kind, Kind::RParen);
        // Trailing blanks before column 72 are dropped, blank lines skipped.
        assert_eq!(words("X('a b   \n\n   c')")[2], "a bc");
        // A short line ending inside quotes continues too.
        assert_eq!(words("X('ab\n  cd')")[2], "abcd");
    }

    #[test]
    fn unterminated_quote_is_an_error_and_recovers() {
        let lexed = lex(FileId(0), "HOSTNAME('abc  \nSERVER_PROC(X)");
        assert_eq!(lexed.diagnostics.len(), 1);
        let d = &lexed.diagnostics[0];
        assert_eq!(d.code, codes::UNTERMINATED_QUOTE);
        assert_eq!(d.labels[0].span.range(), 9..10);
        let words: Vec<_> = lexed.tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(words, ["HOSTNAME", "", "abc", "SERVER_PROC", "", "X", ""]);
        assert_eq!(lexed.tokens[2].span.range(), 9..13);
    }

    #[test]
    fn several_statements_per_line_and_over_lines() {
        assert_eq!(
            words("A(1) B(2)\nC\n(\n3\n)"),
            ["A", "", "1", "", "B", "", "2", "", "C", "", "3", ""]
        );
        let lexed = lex(FileId(0), "A\n\nB");
        assert_eq!(lexed.tokens[1].line, 2);
    }

    #[test]
    fn empty_and_blank_texts() {
        assert!(toks("").is_empty());
        assert!(toks("\n\n   \n").is_empty());
        assert!(toks("/* only */").is_empty());
    }
}
