//! The top-level parser: tokens into statements.
//!
//! A statement ends where the next statement keyword begins (SPEC §2), so
//! the parser walks the tokens and asks [`TABLES`] at each one whether it
//! names a statement — unless the current statement takes that word as a
//! parameter or the position holds a name. Blocks run to their END keyword.
//! Unknown words are skipped with a warning; nothing stops the parse.

use zha_diag::symbols::Symbols;
use zha_diag::{Diagnostic, FileId, Located, Span};

use crate::addr;
use crate::ast::*;
use crate::codes;
use crate::keywords::{Shape, StmtDef, TABLES, matches_min};
use crate::lex::{Token, lex, located};
use crate::port;
use crate::vipa;

/// A profile file's tree and every finding about its syntax.
#[derive(Debug)]
pub struct Parsed {
    pub profile: Profile,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parse one profile file. Never fails: bad input gives findings.
pub fn parse(file: FileId, text: &str, symbols: &Symbols) -> Parsed {
    let lexed = lex(file, text, symbols);
    let mut p = Parser {
        toks: &lexed.tokens,
        pos: 0,
        text,
        symbols,
        diags: lexed.diagnostics,
        statements: Vec::new(),
    };
    if p.toks.is_empty() {
        p.diags.push(
            Diagnostic::warning(codes::EMPTY_PROFILE, "the profile holds no statements")
                .primary(Span::file_start(file), "only blanks and comments")
                .help("check that this is the intended file"),
        );
    }
    p.run();
    let mut diagnostics = p.diags;
    diagnostics.sort_by_key(|d| d.anchor().map(|s| (s.start, s.end)));
    Parsed {
        profile: Profile {
            statements: p.statements,
        },
        diagnostics,
    }
}

/// A token as a parameter value: its text, upper case, symbols substituted;
/// a double-quoted string keeps its quotes (and its case), so that the value
/// says how it was written and prints back as the same token.
struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    text: &'a str,
    symbols: &'a Symbols,
    diags: Vec<Diagnostic>,
    statements: Vec<Statement>,
}

impl Parser<'_> {
    fn run(&mut self) {
        while self.pos < self.toks.len() {
            let t = &self.toks[self.pos];
            match statement_at(t) {
                Some((idx, def)) => self.statement(idx, def),
                None => self.stray(),
            }
        }
    }

    /// A word in statement position that starts no statement.
    fn stray(&mut self) {
        let t = &self.toks[self.pos];
        let d = if let Some(def) = TABLES.end_of(&t.text) {
            let end = match def.shape {
                Shape::Block { end, .. } => end,
                _ => def.name,
            };
            Diagnostic::error(
                codes::STRAY_END,
                format!("{end} without {} {} before it", article(def.name), def.name),
            )
            .primary(t.span, format!("no open {} block", def.name))
            .help(format!(
                "remove it, or add the {} statement that it closes",
                def.name
            ))
        } else if let Some((word, block)) = TABLES.block_only(&t.text) {
            Diagnostic::error(
                codes::OUT_OF_BLOCK,
                format!("{word} outside {} {block} block", article(block)),
            )
            .primary(
                t.span,
                format!("valid only between {block} and its END keyword"),
            )
            .help(format!("move it into {} {block} … block", article(block)))
            .zos("z/OS reports a syntax error for it and ignores it")
        } else {
            Diagnostic::warning(
                codes::UNKNOWN_STATEMENT,
                format!("unknown statement `{}`", t.text),
            )
            .primary(t.span, "not a PROFILE.TCPIP statement")
            .help("check the spelling; the words up to the next statement are skipped")
        };
        self.diags.push(d);
        self.pos += 1;
        while self.pos < self.toks.len() {
            let t = &self.toks[self.pos];
            if statement_at(t).is_some()
                || (!t.quoted
                    && (TABLES.end_of(&t.text).is_some() || TABLES.block_only(&t.text).is_some()))
            {
                break;
            }
            self.pos += 1;
        }
    }

    fn statement(&mut self, idx: usize, def: &'static StmtDef) {
        let kw = &self.toks[self.pos];
        let start = self.pos;
        self.pos += 1;
        if let Some(why) = def.legacy {
            self.diags.push(
                Diagnostic::warning(
                    codes::LEGACY,
                    format!("{} is not a z/OS profile statement", def.name),
                )
                .primary(kw.span, "legacy statement, skipped")
                .help("remove it when this profile is used on z/OS")
                .note(why),
            );
        }
        let kind = match def.shape {
            Shape::Block { end, .. } => {
                let body_start = self.pos;
                let close = (body_start..self.toks.len()).find(|&j| {
                    let t = &self.toks[j];
                    !t.quoted && TABLES.is_end(idx, &t.text)
                });
                let body = &self.toks[body_start..close.unwrap_or(self.toks.len())];
                self.pos = close.map_or(self.toks.len(), |j| j + 1);
                let end_span = close.map(|j| self.toks[j].span);
                if end_span.is_none() {
                    self.missing_end(kw, def.name, end, body);
                }
                if def.name == "VIPADYNAMIC" {
                    let (block, diags) = vipa::parse_block(body, kw.span, end_span);
                    self.diags.extend(diags);
                    StmtKind::VipaDynamic(block)
                } else {
                    StmtKind::Other(body.iter().map(located).collect())
                }
            }
            Shape::Open | Shape::Fixed(_) => {
                let args_start = self.pos;
                let limit = match def.shape {
                    Shape::Fixed(n) => usize::from(n),
                    _ => usize::MAX,
                };
                while self.pos < self.toks.len() && self.pos - args_start < limit {
                    let t = &self.toks[self.pos];
                    if statement_at(t).is_some() && !self.protected(def, args_start, self.pos) {
                        break;
                    }
                    self.pos += 1;
                }
                let args = &self.toks[args_start..self.pos];
                match def.name {
                    "IPCONFIG" | "IPCONFIG6" => {
                        StmtKind::IpConfig(self.ipconfig(def.name == "IPCONFIG6", args))
                    }
                    "HOME" => StmtKind::Home(self.home(args)),
                    "INTERFACE" => self.interface(kw, args),
                    "INCLUDE" => self.include(kw, args),
                    "PORT" | "PORTRANGE" => StmtKind::Port(port::parse_list(
                        args,
                        args,
                        def.name == "PORTRANGE",
                        false,
                        &mut self.diags,
                    )),
                    "DELETE" => match args.first() {
                        Some(t) if !t.quoted && TABLES.names_statement(&t.text, "PORT") => {
                            StmtKind::Port(port::parse_list(
                                args,
                                &args[1..],
                                false,
                                true,
                                &mut self.diags,
                            ))
                        }
                        Some(t) if !t.quoted && TABLES.names_statement(&t.text, "PORTRANGE") => {
                            StmtKind::Port(port::parse_list(
                                args,
                                &args[1..],
                                true,
                                true,
                                &mut self.diags,
                            ))
                        }
                        _ => StmtKind::Other(args.iter().map(located).collect()),
                    },
                    _ => StmtKind::Other(args.iter().map(located).collect()),
                }
            }
        };
        let last = self.pos.saturating_sub(1).max(start);
        self.statements.push(Statement {
            name: def.name,
            keyword: kw.span,
            span: kw.span.to(self.toks[last].span),
            kind,
        });
    }

    fn missing_end(&mut self, kw: &Token, name: &str, end: &str, body: &[Token]) {
        let mut d = Diagnostic::error(codes::MISSING_END, format!("{name} has no {end}"))
            .primary(kw.span, format!("this block is never closed by {end}"))
            .help(format!("add {end} where the block ends"))
            .zos(format!(
                "z/OS reads every later token of the data set as part of this {name} block"
            ));
        // Point at the first statement the block swallows, to show where the
        // END keyword probably belongs.
        let mut prev_line = kw.line;
        for t in body {
            if t.line != prev_line && statement_at(t).is_some() {
                d = d.secondary(
                    t.span,
                    format!("{} is read as part of the {name} block", t.text),
                );
                break;
            }
            prev_line = t.line;
        }
        self.diags.push(d);
    }

    /// Whether the token at `j` is a parameter or a name of `def`, even
    /// though it spells a statement keyword.
    fn protected(&self, def: &StmtDef, args_start: usize, j: usize) -> bool {
        let t = &self.toks[j];
        if j - args_start < usize::from(def.leading_names) {
            return true;
        }
        if j - args_start == usize::from(def.params_at)
            && def
                .params
                .iter()
                .any(|p| TABLES.names_statement(&t.text, p))
        {
            return true;
        }
        if j > args_start {
            let prev = &self.toks[j - 1];
            if def
                .names_after
                .iter()
                .any(|w| TABLES.names_statement(&prev.text, w))
            {
                return true;
            }
            if def.name_after_address && addr::ipv4(&prev.text).is_some() {
                return true;
            }
        }
        false
    }

    fn syntax(&mut self, span: Span, message: String, label: &str, help: &str) {
        self.diags.push(
            Diagnostic::error(codes::SYNTAX, message)
                .primary(span, label)
                .help(help),
        );
    }

    fn ipconfig(&mut self, v6: bool, args: &[Token]) -> IpConfig {
        let mut cfg = IpConfig {
            v6,
            args: args.iter().map(located).collect(),
            sysplex_routing: None,
            dynamic_xcf: None,
        };
        let mut i = 0;
        while i < args.len() {
            let t = &args[i];
            if matches_min(&t.text, "SYSPLEXROUTING", 8) {
                cfg.sysplex_routing = Some(Located::new(true, t.span));
            } else if matches_min(&t.text, "NOSYSPLEXROUTING", 10) {
                cfg.sysplex_routing = Some(Located::new(false, t.span));
            } else if t.text == "NODYNAMICXCF" {
                cfg.dynamic_xcf = Some(Located::new(None, t.span));
            } else if t.text == "DYNAMICXCF" {
                let (dx, used) = self.dynamic_xcf(v6, t, &args[i + 1..]);
                if let Some(dx) = dx {
                    let end = args[i + used].span;
                    cfg.dynamic_xcf = Some(Located::new(Some(dx), t.span.to(end)));
                }
                i += used;
            }
            i += 1;
        }
        cfg
    }

    /// DYNAMICXCF's operands: `addr mask cost`, `addr/len cost`, or for
    /// IPv6 `addr[/len] [INTFID id]`. Returns the value and how many tokens
    /// it used.
    fn dynamic_xcf(&mut self, v6: bool, kw: &Token, rest: &[Token]) -> (Option<DynamicXcf>, usize) {
        let Some(a) = rest.first() else {
            self.syntax(
                kw.span,
                "DYNAMICXCF needs an address".into(),
                "address missing after this",
                "write `DYNAMICXCF ip_address subnet_mask cost_metric`",
            );
            return (None, 0);
        };
        if a.text.contains('&') {
            // An unresolved symbol, already reported.
            return (None, 1);
        }
        let Some((ip, prefix)) = addr::ip_prefix(&a.text) else {
            self.syntax(
                a.span,
                format!("DYNAMICXCF address `{}` is not an IP address", a.text),
                "expected an address",
                "write `DYNAMICXCF ip_address subnet_mask cost_metric`",
            );
            return (None, 1);
        };
        let mut used = 1;
        let mut dx = DynamicXcf {
            addr: Located::new(ip, a.span),
            mask: None,
            prefix,
            cost: None,
        };
        if v6 || ip.is_ipv6() {
            if rest.get(1).is_some_and(|t| t.text == "INTFID") && rest.len() > 2 {
                used = 3;
            }
            return (Some(dx), used);
        }
        if prefix.is_none() {
            match rest.get(1).map(|t| (t, addr::mask(&t.text))) {
                Some((_, Some(m))) => {
                    dx.mask = Some(m);
                    used = 2;
                }
                Some((t, None)) if addr::ipv4(&t.text).is_some() => {
                    self.syntax(
                        t.span,
                        format!("`{}` is not a subnet mask", t.text),
                        "mask bits must be contiguous",
                        "write a mask such as 255.255.255.0",
                    );
                    return (None, 2);
                }
                _ => {
                    self.syntax(
                        a.span,
                        "DYNAMICXCF needs a subnet mask after the address".into(),
                        "mask missing after this",
                        "write `DYNAMICXCF ip_address subnet_mask cost_metric`",
                    );
                    return (None, 1);
                }
            }
        }
        if let Some(c) = rest.get(used).and_then(|t| t.text.parse::<u32>().ok()) {
            dx.cost = Some(c);
            used += 1;
        }
        (Some(dx), used)
    }

    fn home(&mut self, args: &[Token]) -> Vec<HomeEntry> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            let link = args.get(i + 1);
            match (addr::ipv4(&a.text), link) {
                (Some(ip), Some(l)) => out.push(HomeEntry {
                    addr: Located::new(ip, a.span),
                    link: located(l),
                }),
                (None, Some(_)) if a.text.contains('&') => {}
                _ => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::SYNTAX,
                            format!("HOME entry `{}` is not `ip_address link_name`", a.text),
                        )
                        .primary(
                            a.span,
                            if link.is_none() {
                                "link name missing"
                            } else {
                                "expected an IPv4 address"
                            },
                        )
                        .help("each HOME entry is an IPv4 address followed by a link name")
                        .zos("z/OS ignores the rest of the HOME list after an entry in error"),
                    );
                    break;
                }
            }
            i += 2;
        }
        out
    }

    fn interface(&mut self, kw: &Token, args: &[Token]) -> StmtKind {
        let Some(name) = args.first() else {
            self.syntax(
                kw.span,
                "INTERFACE needs an interface name".into(),
                "name missing",
                "write `INTERFACE name DEFINE type …`",
            );
            return StmtKind::Other(Vec::new());
        };
        let ipaddr = args
            .windows(2)
            .find(|w| w[0].text == "IPADDR")
            .and_then(|w| addr::ip_prefix(&w[1].text).map(|(a, _)| Located::new(a, w[1].span)));
        StmtKind::Interface(Interface {
            name: located(name),
            args: args[1..].iter().map(located).collect(),
            ipaddr,
        })
    }

    fn include(&mut self, kw: &Token, args: &[Token]) -> StmtKind {
        let Some(name) = args.first() else {
            self.syntax(
                kw.span,
                "INCLUDE needs a data set name".into(),
                "name missing",
                "write `INCLUDE HLQ.TCPPARMS(MEMBER)` or `INCLUDE /path/to/file`",
            );
            return StmtKind::Other(Vec::new());
        };
        // Data set names are case-insensitive, but a z/OS UNIX path is not:
        // keep the name as written (symbols substituted).
        let raw = self.text.get(name.span.range()).unwrap_or(&name.text);
        let raw = raw.trim_matches('"');
        let value = match self.symbols.substitute(raw) {
            Some((s, _)) => s,
            None => raw.to_owned(),
        };
        let value = if value.starts_with('/') {
            value
        } else {
            value.to_ascii_uppercase()
        };
        StmtKind::Include(Located::new(value, name.span))
    }
}

/// "a" or "an" before a statement name, as it is read (`an AUTOLOG`).
fn article(name: &str) -> &'static str {
    if name.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

/// The statement a token starts, if it is not quoted and names one.
fn statement_at(t: &Token) -> Option<(usize, &'static StmtDef)> {
    if t.quoted {
        None
    } else {
        TABLES.statement(&t.text)
    }
}
