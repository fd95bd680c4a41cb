//! Integration tests of `zha-tcpip`: the real corpus, a realistic full
//! profile, the grammar of every modelled construct and its error paths, the
//! rules `apply` enforces, property tests and rendered snapshots.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod apply;
mod corpus;
mod errors;
mod full_profile;
mod grammar;
mod ports;
mod props;
mod snapshots;

use zha_diag::render::{Style, render};
use zha_diag::symbols::Symbols;
use zha_diag::{Diagnostic, FileId, Severity, SourceMap, Span};
use zha_tcpip::{Parsed, Profile, Stack, Statement, StmtKind, Sub, VipaDynamic};

/// One profile parsed and applied, with its source map for span checks.
pub struct Run {
    pub sources: SourceMap,
    pub file: FileId,
    pub parsed: Parsed,
    pub stack: Stack,
    /// The findings of `apply` (the parser's are in `parsed.diagnostics`).
    pub applied: Vec<Diagnostic>,
}

pub fn run(src: &str) -> Run {
    run_named("PROFA.TCPIP", src, &Symbols::new())
}

pub fn run_with(src: &str, symbols: &Symbols) -> Run {
    run_named("PROFA.TCPIP", src, symbols)
}

pub fn run_named(name: &str, src: &str, symbols: &Symbols) -> Run {
    let mut sources = SourceMap::new();
    let file = sources.add(name, src.to_owned());
    let parsed = zha_tcpip::parse(file, src, symbols);
    let (stack, applied) = zha_tcpip::apply(parsed.profile.statements.iter());
    Run {
        sources,
        file,
        parsed,
        stack,
        applied,
    }
}

impl Run {
    pub fn statements(&self) -> &[Statement] {
        &self.parsed.profile.statements
    }

    /// Every finding: the parser's, then `apply`'s.
    pub fn diagnostics(&self) -> Vec<&Diagnostic> {
        self.parsed
            .diagnostics
            .iter()
            .chain(self.applied.iter())
            .collect()
    }

    pub fn codes(&self) -> Vec<&'static str> {
        self.diagnostics().iter().map(|d| d.code).collect()
    }

    pub fn text(&self, span: Span) -> &str {
        assert_eq!(span.file, self.file, "span in another file");
        self.sources.text(span)
    }

    /// Every finding rendered as plain text (for failure messages).
    pub fn rendered(&self) -> String {
        self.diagnostics()
            .iter()
            .map(|d| render(d, &self.sources, Style::Plain))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The one finding with this code; fails, showing all findings, when
    /// there is none or more than one.
    pub fn one(&self, code: &str) -> &Diagnostic {
        let found: Vec<&Diagnostic> = self
            .diagnostics()
            .into_iter()
            .filter(|d| d.code == code)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected exactly one {code}, got:\n{}",
            self.rendered()
        );
        found[0]
    }

    /// Fails, showing the findings, unless there is none.
    pub fn assert_clean(&self) {
        assert!(
            self.diagnostics().is_empty(),
            "expected no finding, got:\n{}",
            self.rendered()
        );
    }

    /// The text under the finding's one primary label.
    pub fn primary<'a>(&'a self, d: &Diagnostic) -> &'a str {
        let p: Vec<_> = d.labels.iter().filter(|l| l.primary).collect();
        assert_eq!(p.len(), 1, "{} has {} primary labels", d.code, p.len());
        self.text(p[0].span)
    }

    /// The secondary labels: (text under it, message).
    pub fn secondaries<'a>(&'a self, d: &'a Diagnostic) -> Vec<(&'a str, &'a str)> {
        d.labels
            .iter()
            .filter(|l| !l.primary)
            .map(|l| (self.text(l.span), l.message.as_str()))
            .collect()
    }

    /// The n-th VIPADYNAMIC block.
    pub fn block(&self, n: usize) -> &VipaDynamic {
        self.statements()
            .iter()
            .filter_map(|s| match &s.kind {
                StmtKind::VipaDynamic(b) => Some(b),
                _ => None,
            })
            .nth(n)
            .unwrap_or_else(|| panic!("no VIPADYNAMIC block #{n}"))
    }

    /// The sub-statements of the first VIPADYNAMIC block.
    pub fn subs(&self) -> &[Sub] {
        &self.block(0).subs
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.statements().iter().map(|s| s.name).collect()
    }

    pub fn vipa_addrs(&self) -> Vec<String> {
        self.stack
            .vipas
            .iter()
            .map(|v| v.addr.value.to_string())
            .collect()
    }
}

/// A finding's severity as a letter, for compact assertions.
pub fn sev(d: &Diagnostic) -> char {
    match d.severity {
        Severity::Error => 'E',
        Severity::Warning => 'W',
        Severity::Info => 'I',
    }
}

/// Replace every `Span { file: FileId(N), start: N, end: N }` in a `{:?}`
/// string by `_`, so that trees from different texts can be compared.
pub fn strip_spans(s: &str) -> String {
    const HEAD: &str = "Span { file: FileId(";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(HEAD) {
        out.push_str(&rest[..i]);
        let after = &rest[i + HEAD.len()..];
        match span_tail(after) {
            Some(len) => {
                out.push('_');
                rest = &after[len..];
            }
            None => {
                out.push_str(HEAD);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Length of `N), start: N, end: N }` at the start of `s`.
fn span_tail(s: &str) -> Option<usize> {
    let mut i = 0;
    for part in ["), start: ", ", end: ", " }"] {
        let digits = s[i..].bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        i += digits;
        if !s[i..].starts_with(part) {
            return None;
        }
        i += part.len();
    }
    Some(i)
}

/// `strip_spans`, then `Located { value: V, span: _ }` written as `V`, so
/// expected trees read like the profile.
pub fn compact(s: &str) -> String {
    let s = strip_spans(s);
    unlocate(&s)
}

fn unlocate(s: &str) -> String {
    const HEAD: &str = "Located { value: ";
    const TAIL: &str = ", span: _ }";
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(HEAD) {
        out.push_str(&rest[..i]);
        let body = &rest[i + HEAD.len()..];
        // Find the TAIL that closes this Located, at nesting depth 0.
        let mut depth = 0i32;
        let mut end = None;
        for (j, c) in body.char_indices() {
            match c {
                '{' | '(' | '[' => depth += 1,
                '}' | ')' | ']' => depth -= 1,
                ',' if depth == 0 && body[j..].starts_with(TAIL) => {
                    end = Some(j);
                    break;
                }
                _ => {}
            }
        }
        let Some(j) = end else {
            out.push_str(HEAD);
            rest = body;
            continue;
        };
        out.push_str(&unlocate(&body[..j]));
        rest = &body[j + TAIL.len()..];
    }
    out.push_str(rest);
    out
}

/// The tree of a profile with spans erased.
pub fn tree(p: &Profile) -> String {
    strip_spans(&format!("{:?}", p.statements))
}

/// The compact form of each sub-statement kind of the first block; fails
/// when one of them is not applied.
pub fn sub_kinds(r: &Run) -> Vec<String> {
    r.subs()
        .iter()
        .map(|s| {
            assert!(s.applies(), "sub-statement not applied:\n{}", r.rendered());
            compact(&format!("{:?}", s.kind))
        })
        .collect()
}

/// A VIPADYNAMIC block around the given sub-statement lines.
pub fn vipadyn(body: &str) -> String {
    format!("VIPADYNAMIC\n{body}\nENDVIPADYNAMIC\n")
}

/// The one sub-statement of a block holding `line`, which must parse clean.
pub fn one_sub(line: &str) -> String {
    let r = run(&vipadyn(line));
    r.assert_clean_parse();
    let k = sub_kinds(&r);
    assert_eq!(k.len(), 1, "{line}");
    k.into_iter().next().unwrap_or_default()
}

impl Run {
    pub fn assert_clean_parse(&self) {
        assert!(
            self.parsed.diagnostics.is_empty(),
            "expected no parse finding, got:\n{}",
            self.rendered()
        );
    }
}

#[test]
fn strip_spans_and_compact_work() {
    let s = "Located { value: 1.2.3.4, span: Span { file: FileId(0), start: 10, end: 17 } }";
    assert_eq!(strip_spans(s), "Located { value: 1.2.3.4, span: _ }");
    assert_eq!(compact(s), "1.2.3.4");
    let nested = "Some(Located { value: PortRange { lo: 1, hi: 2 }, span: Span { file: FileId(3), start: 0, end: 1 } })";
    assert_eq!(compact(nested), "Some(PortRange { lo: 1, hi: 2 })");
    // Not a span: left alone.
    assert_eq!(
        strip_spans("Span { file: FileId(x) }"),
        "Span { file: FileId(x) }"
    );
    assert_eq!(
        strip_spans(
            "[Span { file: FileId(1), start: 2, end: 3 }, Span { file: FileId(1), start: 4, end: 5 }]"
        ),
        "[_, _]"
    );
}

/// A tester's profile for ZHA2006: after the EZZ0831I (a HOTSTANDBY
/// keyword with another method) come only a VIPADEFINE and a
/// VIPADISTRIBUTE with a syntax error (BACKUP 255).
pub const ZHA2006_LOST_REST: &str = "\
IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.1.1 255.255.255.0 1
VIPADYNAMIC
  VIPADEFINE 255.255.255.0 10.0.0.10
  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 10.0.0.10 PORT 443 DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP
  VIPADEFINE 255.255.255.0 10.0.0.20
  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.20 PORT 443 DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 255
ENDVIPADYNAMIC
";
