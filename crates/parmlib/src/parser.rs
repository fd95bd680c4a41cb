//! The parser: tokens into statements, with every syntax and value finding.
//!
//! Each statement keyword decides the shape of what follows (see
//! `grammar`): one value in parentheses, sub-keywords with values, or a
//! list. The parser recovers from every error at the next statement, so one
//! pass reports everything; it never fails.
//!
//! Where a statement ends is not marked in IZUPRMxx. A statement with
//! sub-keywords goes on while the next word is one of its sub-keywords; an
//! unknown word followed by `(` is taken as an unknown sub-keyword when it
//! follows a comma or stands on the same line as the statement's previous
//! token, and as the next (unknown) statement otherwise.

use std::collections::HashMap;

use zha_diag::symbols::Symbols;
use zha_diag::{Diagnostic, FileId, Located, Span};

use crate::codes;
use crate::grammar::{self, Check, Def, Shape};
use crate::lexer::{self, Kind, Token};
use crate::member::{Member, Parsed, Scalar, Statement, SubValue, Value};

pub(crate) fn parse(file: FileId, text: &str, symbols: &Symbols) -> Parsed {
    let lexed = lexer::lex(file, text);
    // A member whose statements an unterminated comment hides is not
    // empty: that comment's finding says what is lost.
    let empty = lexed.tokens.is_empty() && !lexed.hidden;
    let mut p = Parser {
        file,
        text,
        symbols,
        toks: lexed.tokens,
        i: 0,
        diags: lexed.diagnostics,
        statements: Vec::new(),
    };
    while p.i < p.toks.len() {
        p.top();
    }
    p.repeats();
    if empty {
        p.diags.push(
            Diagnostic::warning(
                codes::EMPTY_MEMBER,
                "member is empty: every statement takes its default",
            )
            .primary(Span::file_start(file), "no statement in this member")
            .help(
                "check that IZU= names the right member, and add the statements this system needs",
            )
            .zos("z/OSMF uses the default of every statement that is missing"),
        );
    }
    let mut diagnostics = p.diags;
    diagnostics.sort_by_cached_key(|d| d.anchor().map(|s| (s.start, s.end)));
    Parsed {
        member: Member {
            file,
            statements: p.statements,
        },
        diagnostics,
    }
}

struct Parser<'a> {
    file: FileId,
    text: &'a str,
    symbols: &'a Symbols,
    toks: Vec<Token>,
    i: usize,
    diags: Vec<Diagnostic>,
    statements: Vec<Statement>,
}

impl Parser<'_> {
    fn peek(&self, k: usize) -> Option<&Token> {
        self.toks.get(self.i + k)
    }

    fn is_kind(&self, k: usize, kind: Kind) -> bool {
        self.peek(k).is_some_and(|t| t.kind == kind)
    }

    /// The token `k` ahead is a known statement keyword.
    fn is_statement(&self, k: usize) -> bool {
        self.peek(k)
            .is_some_and(|t| t.kind == Kind::Word && grammar::lookup(&t.text).is_some())
    }

    /// The token `k` ahead ends a parenthesised group that lacks its `)`:
    /// the end of the text, or a word followed by `(` (the next statement
    /// or sub-keyword).
    fn ends_group(&self, k: usize) -> bool {
        match self.peek(k) {
            None => true,
            Some(t) => t.kind == Kind::Word && self.is_kind(k + 1, Kind::LParen),
        }
    }

    /// The line of the last token taken.
    fn prev_line(&self) -> u32 {
        self.i
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(0, |t| t.line)
    }

    /// Take the next token. Its text and pieces move out (a token is taken
    /// once); its kind, span and line stay for looking back.
    fn bump(&mut self) -> Option<Token> {
        let t = self.toks.get_mut(self.i)?;
        let taken = Token {
            kind: t.kind,
            span: t.span,
            text: std::mem::take(&mut t.text),
            line: t.line,
            pieces: std::mem::take(&mut t.pieces),
        };
        self.i += 1;
        Some(taken)
    }

    fn source(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// One item at statement level.
    fn top(&mut self) {
        let Some(tok) = self.peek(0) else {
            return;
        };
        let span = tok.span;
        match tok.kind {
            // Commas may separate statements as blanks do.
            Kind::Comma => self.i += 1,
            Kind::Word => self.statement(),
            Kind::RParen => {
                self.diags.push(
                    Diagnostic::error(codes::SYNTAX, "unexpected `)`")
                        .primary(span, "no `(` is open here")
                        .help("remove the `)`, or add the statement and `(` it closes"),
                );
                self.i += 1;
            }
            Kind::LParen => {
                self.diags.push(
                    Diagnostic::error(codes::SYNTAX, "`(` where a statement keyword should be")
                        .primary(span, "no statement keyword before this")
                        .help("write the keyword before its value: KEYWORD(value)"),
                );
                self.skip_group();
            }
            Kind::Quoted => {
                self.diags.push(
                    Diagnostic::error(
                        codes::SYNTAX,
                        "quoted value where a statement keyword should be",
                    )
                    .primary(span, "not a statement")
                    .help("a value goes in parentheses after its keyword: KEYWORD('value')"),
                );
                self.i += 1;
            }
        }
    }

    fn statement(&mut self) {
        let Some(kw) = self.bump() else {
            return;
        };
        match grammar::lookup(&kw.text) {
            None => self.unknown(&kw),
            Some(def) => match def.shape {
                Shape::Single(check) => self.single(def, &kw, check),
                Shape::Sub(_) => self.sub_statement(def, &kw),
                Shape::List => self.list(def, &kw),
            },
        }
    }

    /// `NAME(value)`.
    fn single(&mut self, def: &'static Def, kw: &Token, check: Check) {
        let form = def.form();
        let (value, end) = self.paren_value(def.name, def.name, &form, kw);
        let value = match value {
            Some(v) => {
                self.validate(def.name, def.name, check, Some(def.name), &v);
                Value::Single(v)
            }
            None => Value::None,
        };
        self.statements.push(Statement {
            name: def.name.to_owned(),
            keyword: kw.span,
            span: kw.span.to(end),
            value,
        });
    }

    /// `NAME SUB(value) SUB(value)`, sub-keywords separated by blanks or
    /// commas, in any order.
    fn sub_statement(&mut self, def: &'static Def, kw: &Token) {
        let mut subs: Vec<SubValue> = Vec::new();
        let mut end = kw.span;
        // A sub-keyword, known or not, was seen.
        let mut seen = false;
        let mut failed = false;
        let mut after_comma = false;
        while let Some(t) = self.peek(0) {
            match t.kind {
                Kind::Comma => {
                    // A comma separates sub-keywords, or statements.
                    let sub_follows = self.peek(1).is_some_and(|n| {
                        n.kind == Kind::Word
                            && (def.sub(&n.text).is_some()
                                || (!self.is_statement(1) && self.is_kind(2, Kind::LParen)))
                    });
                    if !(seen && sub_follows) {
                        break;
                    }
                    self.i += 1;
                    after_comma = true;
                    continue;
                }
                Kind::Word => {
                    if let Some(sd) = def.sub(&t.text) {
                        let Some(w) = self.bump() else {
                            break;
                        };
                        let what = format!("{} {}", def.name, sd.name);
                        let form = format!("{}({})", sd.name, sd.check.placeholder());
                        let (value, e) = self.paren_value(&what, sd.name, &form, &w);
                        end = e;
                        seen = true;
                        if let Some(v) = value {
                            self.validate(&what, sd.name, sd.check, None, &v);
                            if let Some(prev) = subs.iter().find(|s| s.name == sd.name) {
                                self.diags.push(
                                    Diagnostic::warning(
                                        codes::REPEATED,
                                        format!("{} is given more than once in {}", sd.name, def.name),
                                    )
                                    .primary(w.span.to(e), "given again here")
                                    .secondary(prev.keyword.to(prev.value.span), "first given here")
                                    .help(format!("keep one {}(..)", sd.name))
                                    .note("IBM does not say which one z/OSMF uses; zosmf-ha uses the last"),
                                );
                            }
                            subs.push(SubValue {
                                name: sd.name.to_owned(),
                                keyword: w.span,
                                value: v,
                            });
                        }
                    } else if !self.is_statement(0)
                        && self.is_kind(1, Kind::LParen)
                        && (!seen || after_comma || t.line == self.prev_line())
                    {
                        let name = t.text.clone();
                        let span = t.span;
                        let mut d = Diagnostic::warning(
                            codes::UNKNOWN_SUBKEYWORD,
                            format!("unknown {} sub-keyword {name}", def.name),
                        )
                        .primary(span, format!("not a sub-keyword of {}", def.name))
                        .help(format!(
                            "{} is written {}",
                            def.name,
                            def.form()
                        ));
                        if let Some(owner) = grammar::owner_of_sub(&name) {
                            d = d.note(format!("{name} is a sub-keyword of {owner}"));
                        }
                        self.diags
                            .push(d.note("the sub-keyword was skipped with its value"));
                        self.i += 1;
                        end = self.skip_group();
                        seen = true;
                    } else {
                        break;
                    }
                }
                Kind::LParen if !seen => {
                    let span = t.span;
                    self.diags.push(
                        Diagnostic::error(
                            codes::SYNTAX,
                            format!("{} takes sub-keywords", def.name),
                        )
                        .primary(span, "expected a sub-keyword before `(`")
                        .help(format!("write {}", def.form())),
                    );
                    end = self.skip_group();
                    failed = true;
                    break;
                }
                _ => break,
            }
            after_comma = false;
        }
        if !seen && !failed {
            self.diags.push(
                Diagnostic::error(codes::SYNTAX, format!("{} has no sub-keyword", def.name))
                    .primary(kw.span, "expected a sub-keyword after this")
                    .help(format!("write {}", def.form())),
            );
            failed = true;
        }
        self.statements.push(Statement {
            name: def.name.to_owned(),
            keyword: kw.span,
            span: kw.span.to(end),
            value: if failed {
                Value::None
            } else {
                Value::Sub(subs)
            },
        });
    }

    /// `NAME(item, item item)`: commas or blanks separate the items.
    fn list(&mut self, def: &'static Def, kw: &Token) {
        let Some(open) = self
            .peek(0)
            .filter(|t| t.kind == Kind::LParen)
            .map(|t| t.span)
        else {
            let end = self.missing_paren(def.name, &def.form(), kw);
            self.statements.push(Statement {
                name: def.name.to_owned(),
                keyword: kw.span,
                span: kw.span.to(end),
                value: Value::None,
            });
            return;
        };
        self.i += 1;
        let mut items: Vec<Located<Scalar>> = Vec::new();
        let mut end = open;
        // Right after `(` or a comma: a comma or `)` here leaves an empty item.
        let mut expect_item = true;
        let mut closed = false;
        while let Some(t) = self.peek(0) {
            let span = t.span;
            match t.kind {
                Kind::RParen => {
                    if expect_item && !items.is_empty() {
                        self.diags.push(
                            Diagnostic::error(
                                codes::SYNTAX,
                                format!("comma after the last item of {}", def.name),
                            )
                            .primary(end, "no item after this comma")
                            .help("remove the comma"),
                        );
                    }
                    end = span;
                    self.i += 1;
                    closed = true;
                    break;
                }
                Kind::Comma => {
                    if expect_item {
                        self.diags.push(
                            Diagnostic::error(codes::SYNTAX, format!("empty item in {}", def.name))
                                .primary(span, "no item before this comma")
                                .help("remove the extra comma"),
                        );
                    }
                    expect_item = true;
                    end = span;
                    self.i += 1;
                }
                // A word followed by `(` is the next statement when it is a
                // statement keyword or starts a line; otherwise it is an item
                // followed by a stray `(`.
                Kind::Word
                    if self.is_kind(1, Kind::LParen)
                        && (self.is_statement(0) || t.line != self.prev_line()) =>
                {
                    break;
                }
                Kind::Word | Kind::Quoted => {
                    let Some(tok) = self.bump() else {
                        break;
                    };
                    let item = self.scalar(&tok);
                    self.validate(def.name, def.name, Check::Word, None, &item);
                    end = item.span;
                    items.push(item);
                    expect_item = false;
                }
                Kind::LParen => {
                    self.diags.push(
                        Diagnostic::error(codes::SYNTAX, format!("unexpected `(` in {}", def.name))
                            .primary(span, "not allowed in the list")
                            .help(format!("write {}", def.form())),
                    );
                    end = self.skip_group();
                }
            }
        }
        if !closed {
            self.diags.push(
                Diagnostic::error(codes::SYNTAX, format!("`(` of {} is not closed", def.name))
                    .primary(open, "this `(` has no `)`")
                    .secondary(end, "the list seems to end here")
                    .help("add `)` after the last item"),
            );
        }
        self.duplicate_items(&items);
        self.statements.push(Statement {
            name: def.name.to_owned(),
            keyword: kw.span,
            span: kw.span.to(end),
            value: Value::List(items),
        });
    }

    fn duplicate_items(&mut self, items: &[Located<Scalar>]) {
        let mut first: HashMap<String, Span> = HashMap::new();
        for item in items {
            let key = item.value.text.to_ascii_uppercase();
            match first.get(&key) {
                Some(&earlier) => self.diags.push(
                    Diagnostic::warning(
                        codes::DUPLICATE_PLUGIN,
                        format!("plug-in {key} is listed twice"),
                    )
                    .primary(item.span, "listed again here")
                    .secondary(earlier, "first listed here")
                    .help(format!(
                        "remove one {key}, or name the plug-in that was meant"
                    )),
                ),
                None => {
                    first.insert(key, item.span);
                }
            }
        }
    }

    /// A statement keyword that zosmf-ha does not know: warn and skip it
    /// with its parenthesised value or its sub-keywords.
    fn unknown(&mut self, kw: &Token) {
        let name = kw.text.as_str();
        let help = if let Some((prefix, value)) = name.split_once('=') {
            // The value as written: after `=` in the same word, or the
            // next token on the line.
            let written = match self.source(kw.span).split_once('=') {
                Some((_, rest)) if !rest.is_empty() => rest.to_owned(),
                _ => self
                    .peek(0)
                    .filter(|t| matches!(t.kind, Kind::Word | Kind::Quoted) && t.line == kw.line)
                    .map_or_else(|| value.to_owned(), |t| self.source(t.span).to_owned()),
            };
            let write = match grammar::lookup(prefix) {
                Some(def) => format!("write {}({written})", def.name),
                None => "write KEYWORD(value)".to_owned(),
            };
            format!("{write}: KEYWORD=value is the form of the SETIZU command, not of IZUPRMxx")
        } else if let Some(s) = grammar::suggest(name) {
            format!("did you mean {s}? Otherwise remove the statement")
        } else if let Some(owner) = grammar::owner_of_sub(name) {
            let form = grammar::lookup(owner).map_or_else(|| owner.to_owned(), Def::form);
            format!("{name} is a sub-keyword of {owner}: write {form}")
        } else {
            "check the spelling, or remove the statement".to_owned()
        };
        self.diags.push(
            Diagnostic::warning(
                codes::UNKNOWN_STATEMENT,
                format!("unknown statement {name}"),
            )
            .primary(kw.span, "not an IZUPRMxx statement")
            .help(help)
            .note("the statement was skipped"),
        );
        if self.is_kind(0, Kind::LParen) {
            self.skip_group();
            return;
        }
        // `KEYWORD=value` written as for SETIZU: the value belongs to it.
        if name.ends_with('=')
            && self.peek(0).is_some_and(|t| {
                matches!(t.kind, Kind::Word | Kind::Quoted)
                    && t.line == kw.line
                    && !self.ends_group(0)
            })
        {
            self.i += 1;
            return;
        }
        // Sub-keywords: words followed by `(` on the same line or after a comma.
        loop {
            let comma = usize::from(self.is_kind(0, Kind::Comma));
            let take = self.peek(comma).is_some_and(|w| {
                w.kind == Kind::Word
                    && !self.is_statement(comma)
                    && self.is_kind(comma + 1, Kind::LParen)
                    && (comma == 1 || w.line == self.prev_line())
            });
            if !take {
                break;
            }
            self.i += comma + 1;
            self.skip_group();
        }
    }

    /// After a keyword: `( value )`. `what` names the value in messages
    /// (`HOSTNAME`, `SEC_GROUPS USER`), `name` is the keyword itself and
    /// `form` how it is written. Returns the value (`None` when it could not
    /// be read: an error was reported) and the span of the last token taken.
    fn paren_value(
        &mut self,
        what: &str,
        name: &str,
        form: &str,
        kw: &Token,
    ) -> (Option<Located<Scalar>>, Span) {
        let Some(open) = self
            .peek(0)
            .filter(|t| t.kind == Kind::LParen)
            .map(|t| t.span)
        else {
            return (None, self.missing_paren(name, form, kw));
        };
        self.i += 1;
        let next = self.peek(0).map(|t| (t.kind, t.span));
        match next {
            Some((Kind::RParen, close)) => {
                self.i += 1;
                self.diags.push(
                    Diagnostic::error(codes::SYNTAX, format!("{what} has an empty value"))
                        .primary(open.to(close), "no value between the parentheses")
                        .help(format!("write {form}")),
                );
                (None, close)
            }
            Some((Kind::Word | Kind::Quoted, _)) if !self.ends_group(0) => {
                let Some(tok) = self.bump() else {
                    return (None, open);
                };
                let value = self.scalar(&tok);
                match self.peek(0).map(|t| (t.kind, t.span)) {
                    Some((Kind::RParen, close)) => {
                        self.i += 1;
                        (Some(value), close)
                    }
                    _ if self.ends_group(0) => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::SYNTAX,
                                format!("`(` after {what} is not closed"),
                            )
                            .primary(open, "this `(` has no `)`")
                            .secondary(value.span, "the value ends here")
                            .help("add `)` after the value"),
                        );
                        let end = value.span;
                        (Some(value), end)
                    }
                    other => {
                        let at = other.map_or(value.span, |(_, s)| s);
                        self.diags.push(
                            Diagnostic::error(codes::SYNTAX, format!("{what} takes one value"))
                                .primary(at, "unexpected here")
                                .secondary(value.span, "the value")
                                .help(format!(
                                    "write {form}; a value with blanks, commas or parentheses goes in single quotes"
                                )),
                        );
                        (None, self.skip_group_rest(value.span))
                    }
                }
            }
            Some((_, at)) if !self.ends_group(0) => {
                // A comma or a `(` where the value should be.
                self.diags.push(
                    Diagnostic::error(codes::SYNTAX, format!("expected the value of {what}"))
                        .primary(at, "unexpected here")
                        .help(format!("write {form}")),
                );
                (None, self.skip_group_rest(open))
            }
            _ => {
                self.diags.push(
                    Diagnostic::error(codes::SYNTAX, format!("`(` after {what} is not closed"))
                        .primary(open, "this `(` has no value and no `)`")
                        .help(format!("write {form}")),
                );
                (None, open)
            }
        }
    }

    /// A keyword not followed by `(`. A lone value right after it on the
    /// same line (`AUTOSTART LOCAL`) is taken, so that the help can say
    /// exactly what to write. Returns the span of the last token taken.
    fn missing_paren(&mut self, name: &str, form: &str, kw: &Token) -> Span {
        let lone = self.peek(0).is_some_and(|t| {
            matches!(t.kind, Kind::Word | Kind::Quoted)
                && t.line == kw.line
                && !self.is_statement(0)
                && !self.ends_group(0)
        });
        if lone && let Some(v) = self.bump() {
            let written = self.source(v.span).to_owned();
            self.diags.push(
                Diagnostic::error(
                    codes::SYNTAX,
                    format!("the value of {name} is not in parentheses"),
                )
                .primary(v.span, "expected `(` before this")
                .help(format!("write {name}({written})")),
            );
            return kw.span.to(v.span);
        }
        self.diags.push(
            Diagnostic::error(codes::SYNTAX, format!("{name} has no value in parentheses"))
                .primary(kw.span, "expected `(` after this")
                .help(format!("write {form}")),
        );
        kw.span
    }

    /// Skip a `(` and everything to its matching `)`. Returns the span of
    /// the last token taken.
    fn skip_group(&mut self) -> Span {
        let Some(open) = self.bump() else {
            return Span::file_start(self.file);
        };
        self.skip_group_rest(open.span)
    }

    /// Skip to the `)` that closes the group we are in, stopping early
    /// before the next statement or sub-keyword when it is missing.
    fn skip_group_rest(&mut self, mut end: Span) -> Span {
        let mut depth = 0u32;
        while let Some(t) = self.peek(0) {
            match t.kind {
                Kind::RParen => {
                    end = t.span;
                    self.i += 1;
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                Kind::LParen => {
                    end = t.span;
                    self.i += 1;
                    depth += 1;
                }
                Kind::Word if depth == 0 && self.is_kind(1, Kind::LParen) => break,
                _ => {
                    end = t.span;
                    self.i += 1;
                }
            }
        }
        end
    }

    /// The value of a word or quoted token: symbols substituted, an
    /// unquoted value upper-cased.
    fn scalar(&mut self, tok: &Token) -> Located<Scalar> {
        let quoted = tok.kind == Kind::Quoted;
        let raw = if quoted {
            tok.text.as_str()
        } else {
            self.source(tok.span)
        };
        let text = match self.symbols.substitute(raw) {
            None => tok.text.clone(),
            Some((text, unresolved)) => {
                for u in unresolved {
                    let (start, end) = if quoted {
                        // The last character of a reference is ASCII.
                        let last = u.range.end.saturating_sub(1).max(u.range.start);
                        (
                            tok.source_offset(u.range.start),
                            tok.source_offset(last) + 1,
                        )
                    } else {
                        let base = tok.span.range().start;
                        (base + u.range.start, base + u.range.end)
                    };
                    let span = Span::new(tok.span.file, start..end);
                    self.diags.push(
                        Diagnostic::warning(
                            codes::UNRESOLVED_SYMBOL,
                            format!("system symbol &{}. has no value", u.name),
                        )
                        .primary(span, "no value for this symbol")
                        .help(zha_diag::symbols::unresolved_help(&u.name))
                        .zos("z/OS leaves a symbol that has no value as it is written"),
                    );
                }
                if quoted {
                    text
                } else {
                    text.to_ascii_uppercase()
                }
            }
        };
        Located::new(Scalar { text, quoted }, tok.span)
    }

    /// Report a value that its statement does not allow, an unquoted value
    /// whose case z/OS changes where case matters (ZHA0412), and an unquoted
    /// value with special characters, which IBM says must be quoted
    /// (ZHA0413). `case_of` names the statement whose case rule applies
    /// (none for sub-keywords and list items).
    fn validate(
        &mut self,
        what: &str,
        name: &str,
        check: Check,
        case_of: Option<&str>,
        v: &Located<Scalar>,
    ) {
        // A value with a symbol that has no value cannot be judged: the
        // unresolved symbol was reported.
        let unknown = grammar::has_unresolved_symbol(&v.value.text);
        if let Err(invalid) = grammar::check(check, &v.value.text)
            && !unknown
        {
            self.diags.push(
                Diagnostic::error(
                    codes::INVALID_VALUE,
                    format!("{what} value {} is not valid", shown(&v.value)),
                )
                .primary(v.span, invalid.label)
                .help(format!("{what} takes {}", invalid.allowed)),
            );
            // One finding for the value: how it is written is secondary.
            return;
        }
        if v.value.quoted {
            return;
        }
        let raw = self.source(v.span).to_owned();
        // The value as written with symbols substituted, before z/OS
        // upper-cases it.
        let written = self
            .symbols
            .substitute(&raw)
            .map_or_else(|| raw.clone(), |(t, _)| t);
        let help = format!(
            "write {name}('{}'), in the case you mean",
            raw.replace('\'', "''")
        );
        if let Some(stmt) = case_of
            && grammar::case_matters(stmt, &written)
        {
            let mut d = Diagnostic::warning(
                codes::UNQUOTED,
                format!(
                    "unquoted value of {what} is upper-cased to {}",
                    v.value.text
                ),
            )
            .primary(v.span, format!("z/OS reads this as {}", v.value.text))
            .help(help)
            .zos("z/OS converts IZUPRMxx input to upper case unless it is in single quotes");
            if let Some(why) = grammar::case_reason(stmt) {
                d = d.note(why);
            }
            self.diags.push(d);
            return;
        }
        // Symbol references are made of `&`, a name and `.`: judge the text
        // after substitution, and say nothing while one is unresolved.
        if unknown {
            return;
        }
        let special = v
            .value
            .text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '@' | '#' | '$' | '_')));
        if let Some(c) = special {
            self.diags.push(
                Diagnostic::warning(
                    codes::SPECIAL_CHARACTERS,
                    format!("value of {what} holds `{c}` and is not in quotes"),
                )
                .primary(v.span, "special characters must be in single quotes")
                .help(help.replace(", in the case you mean", ""))
                .zos("IBM: enclose any IZUPRMxx value that contains special characters in single quotation marks"),
            );
        }
    }

    /// Warn about each statement given again in the member.
    fn repeats(&mut self) {
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, st) in self.statements.iter().enumerate() {
            if let Some(prev) = last
                .insert(st.name.as_str(), i)
                .and_then(|p| self.statements.get(p))
            {
                self.diags.push(
                    Diagnostic::warning(
                        codes::REPEATED,
                        format!("{} is given more than once", st.name),
                    )
                    .primary(st.span, "given again here")
                    .secondary(prev.span, "given earlier here")
                    .help(format!(
                        "keep only the {} statement with the value you want",
                        st.name
                    ))
                    .note("IBM does not say which one z/OSMF uses; zosmf-ha uses the last"),
                );
            }
        }
    }
}

/// A value as it would be written, shortened for a message.
fn shown(s: &Scalar) -> String {
    let text: String = if s.text.chars().count() > 40 {
        s.text.chars().take(37).chain("...".chars()).collect()
    } else {
        s.text.clone()
    };
    if s.quoted {
        format!("'{}'", text.replace('\'', "''"))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use zha_diag::symbols::Symbols;
    use zha_diag::{FileId, Severity};

    use crate::{Parsed, Value, codes, parse};

    fn run(text: &str) -> Parsed {
        parse(FileId(0), text, &Symbols::new())
    }

    /// Each finding as (code, text under its primary label).
    fn findings(text: &str) -> Vec<(&'static str, String)> {
        let parsed = run(text);
        parsed
            .diagnostics
            .iter()
            .map(|d| {
                let span = d.anchor().map_or(0..0, |s| s.range());
                (d.code, text.get(span).unwrap_or("").to_owned())
            })
            .collect()
    }

    fn codes(text: &str) -> Vec<&'static str> {
        run(text).diagnostics.iter().map(|d| d.code).collect()
    }

    /// The statements as `NAME=value` strings, quoted values in quotes.
    fn shapes(text: &str) -> Vec<String> {
        run(text)
            .member
            .statements
            .iter()
            .map(|s| {
                let show = |v: &crate::Scalar| {
                    if v.quoted {
                        format!("'{}'", v.text)
                    } else {
                        v.text.clone()
                    }
                };
                let value = match &s.value {
                    Value::Single(v) => show(&v.value),
                    Value::Sub(subs) => subs
                        .iter()
                        .map(|s| format!("{}:{}", s.name, show(&s.value.value)))
                        .collect::<Vec<_>>()
                        .join(" "),
                    Value::List(items) => items
                        .iter()
                        .map(|i| show(&i.value))
                        .collect::<Vec<_>>()
                        .join(","),
                    Value::None => "<none>".to_owned(),
                };
                format!("{}={value}", s.name)
            })
            .collect()
    }

    #[test]
    fn spacing_forms_are_equal() {
        for text in [
            "SESSION_EXPIRE(495)",
            "SESSION_EXPIRE (495)",
            "SESSION_EXPIRE ( 495 )",
            "  SESSION_EXPIRE\n(\n  495\n   )",
            "session_expire(/* minutes */495)",
        ] {
            assert_eq!(shapes(text), ["SESSION_EXPIRE=495"], "{text:?}");
            assert!(codes(text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn several_statements_per_line_and_commas_between_them() {
        assert_eq!(
            shapes("SERVER_PROC(IZUSVRA) ANGEL_PROC(IZUANG1),AUTOSTART(LOCAL)"),
            [
                "SERVER_PROC=IZUSVRA",
                "ANGEL_PROC=IZUANG1",
                "AUTOSTART=LOCAL"
            ]
        );
    }

    #[test]
    fn case_is_folded_outside_quotes() {
        assert_eq!(
            shapes("autostart(connect) keyring_name('IZUKeyring.IZUDFLT')"),
            ["AUTOSTART=CONNECT", "KEYRING_NAME='IZUKeyring.IZUDFLT'"]
        );
    }

    #[test]
    fn spans_point_at_keyword_value_and_statement() {
        let text = "  HTTP_SSL_PORT ( 10443 )  ";
        let parsed = run(text);
        let st = &parsed.member.statements[0];
        assert_eq!(&text[st.keyword.range()], "HTTP_SSL_PORT");
        assert_eq!(&text[st.span.range()], "HTTP_SSL_PORT ( 10443 )");
        let Value::Single(v) = &st.value else {
            panic!("a single value was expected");
        };
        assert_eq!(&text[v.span.range()], "10443");
    }

    #[test]
    fn sub_keywords_in_any_order_with_commas_or_blanks_over_lines() {
        assert_eq!(
            shapes("SEC_GROUPS USER(IZUUSER),ADMIN(IZUADMIN),SECADMIN(IZUSECAD)"),
            ["SEC_GROUPS=USER:IZUUSER ADMIN:IZUADMIN SECADMIN:IZUSECAD"]
        );
        assert_eq!(
            shapes("WLM_CLASSES DEFAULT(IZUGHTTP)\n  LONG_WORK(IZUGWORK) HOSTNAME('*')"),
            [
                "WLM_CLASSES=DEFAULT:IZUGHTTP LONG_WORK:IZUGWORK",
                "HOSTNAME='*'"
            ]
        );
        assert_eq!(
            shapes("RESTAPI_FILE PROC(IZUFPROC) , ACCT(IZUACCT) REGION(65536)"),
            ["RESTAPI_FILE=PROC:IZUFPROC ACCT:IZUACCT REGION:65536"]
        );
        assert_eq!(
            shapes("INCIDENT_LOG\n UNIT('SYSALLDA')"),
            ["INCIDENT_LOG=UNIT:'SYSALLDA'"]
        );
    }

    #[test]
    fn list_items_separated_by_commas_or_blanks() {
        let text =
            "PLUGINS( INCIDENT_LOG,\n   COMMSERVER_CFG,\n   WORKLOAD_MGMT\n   RESOURCE_MON, ISPF)";
        assert_eq!(
            shapes(text),
            ["PLUGINS=INCIDENT_LOG,COMMSERVER_CFG,WORKLOAD_MGMT,RESOURCE_MON,ISPF"]
        );
        assert!(codes(text).is_empty());
        assert_eq!(shapes("PLUGINS()"), ["PLUGINS="]);
    }

    #[test]
    fn repeated_statement_warns_at_both_and_keeps_both() {
        let text = "CSRF_SWITCH(ON)\nCSRF_SWITCH(OFF)";
        let parsed = run(text);
        assert_eq!(parsed.diagnostics.len(), 1);
        let d = &parsed.diagnostics[0];
        assert_eq!(d.code, codes::REPEATED);
        assert_eq!(d.severity, Severity::Warning);
        assert_eq!(&text[d.labels[0].span.range()], "CSRF_SWITCH(OFF)");
        assert_eq!(&text[d.labels[1].span.range()], "CSRF_SWITCH(ON)");
        assert_eq!(
            parsed.member.last("CSRF_SWITCH").map(|s| s.span),
            Some(parsed.member.statements[1].span)
        );
        assert_eq!(
            findings("RESTAPI_FILE ACCT(A) ACCT(B)"),
            [(codes::REPEATED, "ACCT(B)".to_owned())]
        );
    }

    #[test]
    fn symbols_are_substituted_in_values() {
        let mut symbols = Symbols::new();
        symbols.set("SYSCLONE", "0A");
        let text = "SERVER_PROC(IZUSVR&sysclone.) USER_DIR('/global/zosmf/&SYSCLONE.')\n\
                    LOGGING('x=&SYSCLONE.:y=\n   &SYSCLONE.')";
        let parsed = parse(FileId(0), text, &symbols);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let values: Vec<String> = parsed
            .member
            .statements
            .iter()
            .filter_map(|s| match &s.value {
                Value::Single(v) => Some(v.value.text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(values, ["IZUSVR0A", "/global/zosmf/0A", "x=0A:y=0A"]);
    }

    #[test]
    fn unresolved_symbol_warns_at_the_symbol_and_keeps_the_text() {
        let text = "HOSTNAME('&HOMEIP.') USER_DIR('/u/&X')\nLOGGING('a=\n  &SYMB.')";
        assert_eq!(
            findings(text),
            [
                ("ZHA0013", "&HOMEIP.".to_owned()),
                ("ZHA0013", "&X".to_owned()),
                ("ZHA0013", "&SYMB.".to_owned()),
            ]
        );
        let parsed = run(text);
        assert_eq!(
            parsed.diagnostics[0].message,
            "system symbol &HOMEIP. has no value"
        );
        assert_eq!(shapes(text)[0], "HOSTNAME='&HOMEIP.'");
        // No value error for a value that cannot be known.
        assert_eq!(codes("SERVER_PROC(IZUSVR&SYSCLONE.)"), ["ZHA0013"]);
    }

    #[test]
    fn missing_parenthesis_errors() {
        assert_eq!(
            findings("AUTOSTART LOCAL"),
            [(codes::SYNTAX, "LOCAL".to_owned())]
        );
        let d = &run("AUTOSTART LOCAL").diagnostics[0];
        assert_eq!(d.help.as_deref(), Some("write AUTOSTART(LOCAL)"));
        assert_eq!(shapes("AUTOSTART LOCAL"), ["AUTOSTART=<none>"]);
        assert_eq!(
            findings("AUTOSTART\nHOSTNAME('x')"),
            [(codes::SYNTAX, "AUTOSTART".to_owned())]
        );
        assert_eq!(
            shapes("AUTOSTART\nHOSTNAME('x')"),
            ["AUTOSTART=<none>", "HOSTNAME='x'"]
        );
        assert_eq!(
            findings("PLUGINS ISPF"),
            [(codes::SYNTAX, "ISPF".to_owned())]
        );
    }

    #[test]
    fn value_errors_inside_parentheses() {
        assert_eq!(findings("ANGEL_PROC()"), [(codes::SYNTAX, "()".to_owned())]);
        assert_eq!(
            findings("HOSTNAME(my host)"),
            [(codes::SYNTAX, "host".to_owned())]
        );
        assert_eq!(
            shapes("HOSTNAME(my host) AUTOSTART(LOCAL)"),
            ["HOSTNAME=<none>", "AUTOSTART=LOCAL"]
        );
        assert_eq!(findings("HOSTNAME(,)"), [(codes::SYNTAX, ",".to_owned())]);
        // A `(` that is not closed before the next statement: the value is kept.
        let text = "AUTOSTART(LOCAL\nSERVER_PROC(IZUSVRA)";
        assert_eq!(findings(text), [(codes::SYNTAX, "(".to_owned())]);
        assert_eq!(shapes(text), ["AUTOSTART=LOCAL", "SERVER_PROC=IZUSVRA"]);
        assert_eq!(
            findings("AUTOSTART(LOCAL"),
            [(codes::SYNTAX, "(".to_owned())]
        );
        assert_eq!(findings("AUTOSTART("), [(codes::SYNTAX, "(".to_owned())]);
    }

    #[test]
    fn stray_tokens_at_statement_level() {
        assert_eq!(
            findings("AUTOSTART(LOCAL))"),
            [(codes::SYNTAX, ")".to_owned())]
        );
        assert_eq!(
            findings("(LOCAL) AUTOSTART(LOCAL)"),
            [(codes::SYNTAX, "(".to_owned())]
        );
        assert_eq!(shapes("(LOCAL) AUTOSTART(LOCAL)"), ["AUTOSTART=LOCAL"]);
        assert_eq!(
            findings("'x' AUTOSTART(LOCAL)"),
            [(codes::SYNTAX, "'x'".to_owned())]
        );
    }

    #[test]
    fn sub_keyword_statement_errors() {
        assert_eq!(
            findings("SEC_GROUPS(IZUUSER)"),
            [(codes::SYNTAX, "(".to_owned())]
        );
        assert_eq!(shapes("SEC_GROUPS(IZUUSER)"), ["SEC_GROUPS=<none>"]);
        assert_eq!(
            findings("COMMON_TSO"),
            [(codes::SYNTAX, "COMMON_TSO".to_owned())]
        );
        assert_eq!(
            findings("INCIDENT_LOG UNIT"),
            [(codes::SYNTAX, "UNIT".to_owned())]
        );
        // Unknown sub-keyword on the same line or after a comma.
        assert_eq!(
            findings("SEC_GROUPS USER(A) GUEST(B),ADMIN(C)"),
            [(codes::UNKNOWN_SUBKEYWORD, "GUEST".to_owned())]
        );
        assert_eq!(
            shapes("SEC_GROUPS USER(A) GUEST(B),ADMIN(C)"),
            ["SEC_GROUPS=USER:A ADMIN:C"]
        );
        assert_eq!(
            findings("SEC_GROUPS USER(A),\nGUEST(B)"),
            [(codes::UNKNOWN_SUBKEYWORD, "GUEST".to_owned())]
        );
        // On a new line without a comma it is the next (unknown) statement.
        assert_eq!(
            findings("SEC_GROUPS USER(A)\nGUEST(B)"),
            [(codes::UNKNOWN_STATEMENT, "GUEST".to_owned())]
        );
    }

    #[test]
    fn missing_sub_keyword_label_covers_the_keyword() {
        // The sub-keyword without `(`: the error points at it.
        let text = "INCIDENT_LOG UNIT";
        let parsed = run(text);
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(
            parsed.diagnostics[0].help.as_deref(),
            Some("write UNIT(name)")
        );
    }

    #[test]
    fn unknown_statements_are_skipped_with_their_values() {
        let text = "FOO(1) BAR A(1) B(2) , C(3)\nSERVER_PROC(X) HTTP_SSL_PRT(1)";
        assert_eq!(
            findings(text),
            [
                (codes::UNKNOWN_STATEMENT, "FOO".to_owned()),
                (codes::UNKNOWN_STATEMENT, "BAR".to_owned()),
                (codes::UNKNOWN_STATEMENT, "HTTP_SSL_PRT".to_owned()),
            ]
        );
        assert_eq!(shapes(text), ["SERVER_PROC=X"]);
        let parsed = run(text);
        assert_eq!(
            parsed.diagnostics[2].help.as_deref(),
            Some("did you mean HTTP_SSL_PORT? Otherwise remove the statement")
        );
        // SETIZU style.
        let parsed = run("HOSTNAME='zosmf.example.com' AUTOSTART(LOCAL)");
        assert_eq!(parsed.diagnostics.len(), 1);
        assert!(
            parsed.diagnostics[0]
                .help
                .as_deref()
                .is_some_and(|h| h.starts_with("write HOSTNAME('zosmf.example.com')")),
            "{:?}",
            parsed.diagnostics[0].help
        );
        assert_eq!(parsed.member.statements.len(), 1);
    }

    #[test]
    fn list_errors() {
        assert_eq!(findings("PLUGINS(A,,B)"), [(codes::SYNTAX, ",".to_owned())]);
        assert_eq!(findings("PLUGINS(,A)"), [(codes::SYNTAX, ",".to_owned())]);
        assert_eq!(findings("PLUGINS(A,)"), [(codes::SYNTAX, ",".to_owned())]);
        assert_eq!(
            findings("PLUGINS(A (B) C)"),
            [(codes::SYNTAX, "(".to_owned())]
        );
        let text = "PLUGINS(A, B\nSERVER_PROC(X)";
        assert_eq!(findings(text), [(codes::SYNTAX, "(".to_owned())]);
        assert_eq!(shapes(text), ["PLUGINS=A,B", "SERVER_PROC=X"]);
        assert_eq!(
            findings("PLUGINS('')"),
            [(codes::INVALID_VALUE, "''".to_owned())]
        );
    }

    #[test]
    fn plugin_listed_twice_warns() {
        let text = "PLUGINS(INCIDENT_LOG, ISPF, incident_log)";
        let parsed = run(text);
        assert_eq!(parsed.diagnostics.len(), 1);
        let d = &parsed.diagnostics[0];
        assert_eq!(d.code, codes::DUPLICATE_PLUGIN);
        assert_eq!(&text[d.labels[0].span.range()], "incident_log");
        assert_eq!(&text[d.labels[1].span.range()], "INCIDENT_LOG");
    }

    #[test]
    fn invalid_values_are_errors_at_the_value() {
        assert_eq!(
            findings("AUTOSTART(MAYBE)"),
            [(codes::INVALID_VALUE, "MAYBE".to_owned())]
        );
        let d = &run("AUTOSTART(MAYBE)").diagnostics[0];
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.help.as_deref(), Some("AUTOSTART takes LOCAL or CONNECT"));
        assert_eq!(
            findings("HTTP_SSL_PORT(99999)"),
            [(codes::INVALID_VALUE, "99999".to_owned())]
        );
        assert_eq!(
            findings("HTTP_SSL_PORT(0)"),
            [(codes::INVALID_VALUE, "0".to_owned())]
        );
        assert_eq!(
            findings("SERVER_PROC(IZUSVRAAA)"),
            [(codes::INVALID_VALUE, "IZUSVRAAA".to_owned())]
        );
        assert_eq!(
            findings("AUTOSTART_GROUP('TOOLONGNAME')"),
            [(codes::INVALID_VALUE, "'TOOLONGNAME'".to_owned())]
        );
        assert_eq!(
            findings("CLOUD_SAF_PREFIX(IYUX)"),
            [(codes::INVALID_VALUE, "IYUX".to_owned())]
        );
        assert_eq!(
            findings("CSRF_SWITCH(MAYBE)"),
            [(codes::INVALID_VALUE, "MAYBE".to_owned())]
        );
        assert_eq!(
            findings("USER_DIR('zosmf')"),
            [(codes::INVALID_VALUE, "'zosmf'".to_owned())]
        );
        assert_eq!(
            findings("SESSION_EXPIRE(x)"),
            [(codes::INVALID_VALUE, "x".to_owned())]
        );
        assert_eq!(
            findings("COMMON_TSO REGION(99999999)"),
            [(codes::INVALID_VALUE, "99999999".to_owned())]
        );
        // The invalid value stays in the tree; `effective` skips it.
        assert_eq!(shapes("AUTOSTART(MAYBE)"), ["AUTOSTART=MAYBE"]);
        // Values that real members hold are valid.
        assert!(codes("AUTOSTART_GROUP(NONE) HOSTNAME('*') AUTOSTART('connect')").is_empty());
    }

    #[test]
    fn unquoted_lower_case_warns_only_where_case_matters() {
        // Case matters: key ring names, paths, logger names, host names.
        for (text, value) in [
            ("KEYRING_NAME(IZUKeyring.IZUDFLT)", "IZUKeyring.IZUDFLT"),
            ("USER_DIR(/global/zosmf/sysa)", "/global/zosmf/sysa"),
            (
                "JAVA_HOME(/usr/lpp/java/J17.0_64)",
                "/usr/lpp/java/J17.0_64",
            ),
            ("TEMP_DIR(/tmp/zosmf)", "/tmp/zosmf"),
            ("LOGGING(com.ibm.zoszmf=finer)", "com.ibm.zoszmf=finer"),
            ("HOSTNAME(zosmf.example.com)", "zosmf.example.com"),
            ("HOSTNAME(zosmf)", "zosmf"),
        ] {
            assert_eq!(
                findings(text),
                [(codes::UNQUOTED, value.to_owned())],
                "{text}"
            );
        }
        let d = &run("KEYRING_NAME(IZUKeyring.IZUDFLT)").diagnostics[0];
        assert_eq!(
            d.message,
            "unquoted value of KEYRING_NAME is upper-cased to IZUKEYRING.IZUDFLT"
        );
        assert_eq!(
            d.help.as_deref(),
            Some("write KEYRING_NAME('IZUKeyring.IZUDFLT'), in the case you mean")
        );
        assert!(d.notes[0].starts_with("key ring names are case-sensitive"));
        // Upper case on z/OS anyway: upper-casing changes nothing.
        assert_eq!(
            findings(
                "SERVER_PROC(izusvr1) ANGEL_PROC(izuang1) SAF_PREFIX(izudflt)\n\
                 AUTOSTART_GROUP(izudfla) CLOUD_SAF_PREFIX(iyu)\n\
                 CLOUD_SEC_ADMIN(secadm) UNAUTH_USER(izuguest)\n\
                 SEC_GROUPS USER(izuuser)\nINCIDENT_LOG UNIT(sysallda)\n\
                 WLM_CLASSES DEFAULT(izughttp)\n\
                 PLUGINS(ispf, sysplex_mgmt) AUTOSTART(local)"
            ),
            []
        );
        // An upper-case value, quoted or not, is what z/OS reads.
        assert!(codes("KEYRING_NAME(IZUKEYRING.IZUDFLT)") != [codes::UNQUOTED]);
        assert!(codes("KEYRING_NAME('IZUKeyring.IZUDFLT') USER_DIR('/global/zosmf')").is_empty());
        // A HOSTNAME that is an IP address or `*` is not a name.
        for text in ["HOSTNAME(fe80::1)", "HOSTNAME(10.1.1.1)", "HOSTNAME(*)"] {
            assert!(!codes(text).contains(&codes::UNQUOTED), "{text}");
        }
        // A symbol name in lower case is not a lower-case value.
        let mut symbols = Symbols::new();
        symbols.set("SYSCLONE", "0A");
        let parsed = parse(FileId(0), "HOSTNAME(ZOSMF&sysclone.)", &symbols);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        // Nor is the name of a symbol without a value (ZHA0013 says so).
        assert_eq!(codes("HOSTNAME(ZOSMF&nope.)"), ["ZHA0013"]);
        // A symbol whose value is in lower case is upper-cased too.
        symbols.set("HOST", "zosmf.example.com");
        let parsed = parse(FileId(0), "HOSTNAME(&HOST.)", &symbols);
        let ids: Vec<_> = parsed.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(ids, [codes::UNQUOTED]);
    }

    #[test]
    fn unquoted_special_characters_warn_apart_from_case() {
        assert_eq!(
            findings("HOSTNAME(*)"),
            [(codes::SPECIAL_CHARACTERS, "*".to_owned())]
        );
        assert_eq!(
            findings("HOSTNAME(10.1.1.1)"),
            [(codes::SPECIAL_CHARACTERS, "10.1.1.1".to_owned())]
        );
        assert_eq!(
            findings("USER_DIR(/GLOBAL/ZOSMF)"),
            [(codes::SPECIAL_CHARACTERS, "/GLOBAL/ZOSMF".to_owned())]
        );
        let d = &run("HOSTNAME(*)").diagnostics[0];
        assert_eq!(
            d.message,
            "value of HOSTNAME holds `*` and is not in quotes"
        );
        assert_eq!(d.help.as_deref(), Some("write HOSTNAME('*')"));
        // A lower-case path gets one finding, about its case.
        assert_eq!(codes("USER_DIR(/global/zosmf)"), [codes::UNQUOTED]);
        // An invalid value gets one finding, about its value.
        assert_eq!(codes("SERVER_PROC(IZU-1)"), [codes::INVALID_VALUE]);
        // Quoted: nothing.
        assert!(codes("HOSTNAME('*') USER_DIR('/GLOBAL/ZOSMF')").is_empty());
    }

    #[test]
    fn empty_member_warns_once_at_the_start() {
        for text in ["", "\n\n", "/* nothing\n   at all */\n", &" ".repeat(80)] {
            let parsed = run(text);
            assert_eq!(parsed.diagnostics.len(), 1, "{text:?}");
            let d = &parsed.diagnostics[0];
            assert_eq!(d.code, codes::EMPTY_MEMBER);
            assert_eq!(
                d.message,
                "member is empty: every statement takes its default"
            );
            assert_eq!(d.labels[0].span.range(), 0..0);
        }
        assert!(codes("AUTOSTART(LOCAL)").is_empty());
    }

    #[test]
    fn diagnostics_come_in_file_order() {
        let text = format!(
            "FOO(1) AUTOSTART(MAYBE)\nHTTP_SSL_PORT(99999) {}X\n/* unended",
            " ".repeat(50 - 22)
        );
        let parsed = run(&text);
        let starts: Vec<u32> = parsed
            .diagnostics
            .iter()
            .filter_map(|d| d.anchor())
            .map(|s| s.start)
            .collect();
        let mut sorted = starts.clone();
        sorted.sort_unstable();
        assert_eq!(starts, sorted);
        assert!(parsed.diagnostics.len() >= 4, "{:?}", parsed.diagnostics);
    }
}
