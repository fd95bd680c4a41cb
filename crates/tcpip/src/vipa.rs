//! The VIPADYNAMIC block: its sub-statements and their grammar.
//!
//! A sub-statement runs to the next sub-statement keyword or the END
//! keyword. Each is parsed by a small recursive-descent grammar over its own
//! tokens; the first error in a sub-statement makes it invalid. As on z/OS,
//! the first syntax error in the block stops processing of the rest of the
//! block: later sub-statements are still parsed (so that all their errors
//! show), but they are marked as skipped and the model does not apply them.
//! EZZ0831I (PREFERRED, BACKUP or another hot-standby keyword with a written
//! DISTMETHOD other than HOTSTANDBY) also ends the block: `apply` reports it
//! (ZHA2006) and lists the statements lost. **Decision:** a syntax error in
//! a statement after it is still reported, as after a first syntax error (it
//! stops the block as soon as the EZZ0831I is fixed, and one run should show
//! everything to fix), but its finding says that z/OS never reaches it and
//! does not claim that the block stops there.
//! A statement that fails only at an unresolved system symbol (already a
//! ZHA0013 warning) is not applied, but is no syntax error and does not stop
//! the block.

use std::net::{IpAddr, Ipv4Addr};

use zha_diag::{Diagnostic, Located, Span};

use crate::addr;
use crate::ast::*;
use crate::codes;
use crate::keywords::matches_min;
use crate::lex::{Token, located, span_of};

/// The sub-statements and IBM's minimum abbreviations.
const SUBS: &[(&str, usize)] = &[
    ("VIPADEFINE", 7),
    ("VIPABACKUP", 5),
    ("VIPADELETE", 7),
    ("VIPADISTRIBUTE", 8),
    ("VIPARANGE", 5),
    ("VIPAROUTE", 9),
    ("VIPASMPARMS", 6),
];

fn sub_keyword(t: &Token) -> Option<&'static str> {
    if t.quoted {
        return None;
    }
    SUBS.iter()
        .find(|(name, min)| matches_min(&t.text, name, *min))
        .map(|(name, _)| *name)
}

/// A syntax error: where, what, and what to write instead.
struct SynErr {
    span: Span,
    code: &'static str,
    message: String,
    label: String,
    help: String,
}

type PResult<T> = Result<T, SynErr>;

fn err(
    span: Span,
    message: impl Into<String>,
    label: impl Into<String>,
    help: impl Into<String>,
) -> SynErr {
    SynErr {
        span,
        code: codes::SYNTAX,
        message: message.into(),
        label: label.into(),
        help: help.into(),
    }
}

/// Parse the tokens between VIPADYNAMIC and its END keyword.
pub fn parse_block(
    body: &[Token],
    opener: Span,
    end: Option<Span>,
) -> (VipaDynamic, Vec<Diagnostic>) {
    let mut subs = Vec::new();
    let mut diags = Vec::new();
    // Index in `diags` of the first syntax error, and its span.
    let mut first_error: Option<(usize, Span)> = None;
    // The hot-standby keyword of the first VIPADISTRIBUTE that z/OS reaches
    // and rejects with EZZ0831I: the rest of the block is ignored.
    let mut ezz0831: Option<Span> = None;

    // Split into chunks, each starting at a sub-statement keyword.
    let mut starts: Vec<usize> = (0..body.len())
        .filter(|&i| sub_keyword(&body[i]).is_some())
        .collect();
    let leading_end = starts.first().copied().unwrap_or(body.len());
    if leading_end > 0 {
        let junk = &body[..leading_end];
        let e = err(
            junk[0].span,
            format!("`{}` is not a VIPADYNAMIC sub-statement", junk[0].text),
            "expected VIPADEFINE, VIPABACKUP, VIPADELETE, VIPADISTRIBUTE, VIPARANGE, VIPAROUTE or VIPASMPARMS",
            "check the spelling, or end the block with ENDVIPADYNAMIC",
        );
        first_error = Some((diags.len(), e.span));
        diags.push(syntax_diag(e));
    }
    starts.push(body.len());
    for w in starts.windows(2) {
        let chunk = &body[w[0]..w[1]];
        let kw = &chunk[0];
        let name = sub_keyword(kw).unwrap_or("VIPADEFINE");
        let mut c = Cursor {
            toks: &chunk[1..],
            i: 0,
            last: kw.span,
        };
        let res = match name {
            "VIPADEFINE" => define(&mut c).map(SubKind::Define),
            "VIPABACKUP" => backup(&mut c).map(SubKind::Backup),
            "VIPADELETE" => delete(&mut c).map(SubKind::Delete),
            "VIPADISTRIBUTE" => distribute(&mut c).map(SubKind::Distribute),
            "VIPARANGE" => range(&mut c).map(SubKind::Range),
            "VIPAROUTE" => Ok(SubKind::Route(c.rest())),
            _ => Ok(SubKind::SmParms(c.rest())),
        };
        let res = res.and_then(|k| c.finish(name).map(|()| k));
        let (kind, invalid) = match res {
            Ok(k) => (k, false),
            // An unresolved system symbol where a value belongs: the lexer
            // has warned (ZHA0013). It is no syntax error (with its value the
            // statement may well be right), so the block goes on; but the
            // statement cannot be checked or applied.
            Err(e)
                if chunk
                    .iter()
                    .any(|t| t.span == e.span && t.text.contains('&')) =>
            {
                (SubKind::Invalid(name), true)
            }
            Err(e) => match ezz0831 {
                Some(at) => {
                    diags.push(unreached(syntax_diag(e), at));
                    (SubKind::Invalid(name), true)
                }
                None => {
                    if first_error.is_none() {
                        first_error = Some((diags.len(), e.span));
                    }
                    diags.push(syntax_diag(e));
                    (SubKind::Invalid(name), true)
                }
            },
        };
        if first_error.is_none()
            && ezz0831.is_none()
            && let SubKind::Distribute(d) = &kind
        {
            ezz0831 = ends_block(d);
        }
        let skipped_after = first_error
            .map(|(_, s)| s)
            .filter(|s| s.start < kw.span.start);
        subs.push(Sub {
            keyword: kw.span,
            span: span_of(chunk, kw.span),
            kind,
            invalid,
            skipped_after,
        });
    }

    // Tell, on the first error, which statements z/OS then ignores.
    if let Some((idx, _)) = first_error {
        let skipped: Vec<&Sub> = subs.iter().filter(|s| s.skipped_after.is_some()).collect();
        if let Some(d) = diags.get_mut(idx) {
            let mut zos = "z/OS stops processing this VIPADYNAMIC block here".to_owned();
            if skipped.is_empty() {
                zos.push_str("; no statement follows in the block");
            } else {
                zos.push_str(&format!(
                    ": the {} later statement{} of the block {} ignored",
                    skipped.len(),
                    if skipped.len() == 1 { "" } else { "s" },
                    if skipped.len() == 1 { "is" } else { "are" }
                ));
            }
            d.zos = Some(zos);
            for s in skipped.iter().take(4) {
                d.labels.push(zha_diag::Label {
                    span: s.keyword,
                    message: "ignored by z/OS after the error".into(),
                    primary: false,
                });
            }
            d.labels.push(zha_diag::Label {
                span: opener,
                message: "in this block".into(),
                primary: false,
            });
        }
    }
    (VipaDynamic { subs, end }, diags)
}

/// A syntax error in a statement after an EZZ0831I: z/OS never reads it.
fn unreached(d: Diagnostic, ezz0831: Span) -> Diagnostic {
    d.secondary(
        ezz0831,
        "EZZ0831I here (ZHA2006): z/OS ignores the rest of the block from this statement on",
    )
    .zos(
        "z/OS never reaches this statement, because of the EZZ0831I before it in the block; \
         once that is fixed, this error stops processing of the VIPADYNAMIC block here",
    )
}

/// The hot-standby keywords of a VIPADISTRIBUTE (AUTOSWITCHBACK,
/// HEALTHSWITCH and their NO forms, and the PREFERRED and BACKUP roles), in
/// that order.
pub(crate) fn hot_standby_keywords(d: &VipaDistribute) -> Vec<Span> {
    let mut hs: Vec<Span> = Vec::new();
    hs.extend(d.switchback.map(|s| s.span));
    hs.extend(d.healthswitch.map(|s| s.span));
    if let Some(DestIp::List(l)) = &d.destip {
        hs.extend(
            l.iter()
                .filter(|e| matches!(e.role, Role::Preferred | Role::Backup { .. }))
                .filter_map(|e| e.role_span),
        );
    }
    hs
}

/// EZZ0831I: a VIPADISTRIBUTE DEFINE with a hot-standby keyword and a
/// written DISTMETHOD other than HOTSTANDBY. z/OS ignores it "and any
/// subsequent statements in the VIPADYNAMIC block"; returns the first such
/// keyword. (With DISTMETHOD omitted IBM documents no message, and the
/// block goes on: see `apply`.)
pub(crate) fn ends_block(d: &VipaDistribute) -> Option<Span> {
    if d.delete || d.method.is_none_or(|m| m.value == DistMethod::HotStandby) {
        return None;
    }
    hot_standby_keywords(d).first().copied()
}

fn syntax_diag(e: SynErr) -> Diagnostic {
    Diagnostic::new(e.code, zha_diag::Severity::Error, e.message)
        .primary(e.span, e.label)
        .help(e.help)
}

/// A cursor over one sub-statement's parameter tokens.
struct Cursor<'a> {
    toks: &'a [Token],
    i: usize,
    /// The last token consumed, for "missing after this" errors.
    last: Span,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.i)
    }

    fn bump(&mut self) -> Option<&'a Token> {
        let t = self.toks.get(self.i)?;
        self.i += 1;
        self.last = t.span;
        Some(t)
    }

    /// Consume the keyword if the next token spells it.
    fn eat(&mut self, name: &str, min: usize) -> Option<&'a Token> {
        let t = self.peek()?;
        if !t.quoted && matches_min(&t.text, name, min) {
            self.bump()
        } else {
            None
        }
    }

    fn rest(&mut self) -> Vec<Located<String>> {
        let out = self.toks[self.i..].iter().map(located).collect();
        if let Some(t) = self.toks.last() {
            self.last = t.span;
        }
        self.i = self.toks.len();
        out
    }

    fn missing(&self, what: &str, help: &str) -> SynErr {
        match self.peek() {
            Some(t) => err(
                t.span,
                format!("expected {what}, found `{}`", t.text),
                format!("expected {what}"),
                help,
            ),
            None => err(
                self.last,
                format!("expected {what} after this"),
                format!("{what} missing"),
                help,
            ),
        }
    }

    /// Everything must have been consumed.
    fn finish(&self, name: &str) -> PResult<()> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(err(
                t.span,
                format!("unexpected `{}` in {name}", t.text),
                "not valid here",
                format!(
                    "check the {name} syntax; a sub-statement ends only at the next VIPA… keyword or ENDVIPADYNAMIC"
                ),
            )),
        }
    }

    /// A decimal number in `lo..=hi`. Digits out of that range (however
    /// many) are a range error; anything else is "expected `what`".
    fn number(&mut self, what: &str, lo: u32, hi: u32, help: &str) -> PResult<Located<u32>> {
        let Some(t) = self.peek() else {
            return Err(self.missing(what, help));
        };
        if !is_digits(&t.text) {
            return Err(self.missing(what, help));
        }
        let Some(n) = t.text.parse::<u32>().ok().filter(|n| (lo..=hi).contains(n)) else {
            return Err(SynErr {
                code: codes::RANGE,
                ..err(
                    t.span,
                    format!("{what} {} is out of range", t.text),
                    format!("allowed: {lo}-{hi}"),
                    help,
                )
            });
        };
        self.bump();
        Ok(Located::new(n, t.span))
    }

    fn ipv4(&mut self, what: &str, help: &str) -> PResult<Located<Ipv4Addr>> {
        match self
            .peek()
            .and_then(|t| addr::ipv4(&t.text).map(|a| (a, t.span)))
        {
            Some((a, span)) => {
                self.bump();
                Ok(Located::new(a, span))
            }
            None => Err(self.missing(what, help)),
        }
    }

    fn mask(&mut self, help: &str) -> PResult<Located<Ipv4Addr>> {
        let t = self
            .peek()
            .ok_or_else(|| self.missing("an address mask", help))?;
        match addr::mask(&t.text) {
            Some(m) => {
                self.bump();
                Ok(Located::new(m, t.span))
            }
            None if addr::ipv4(&t.text).is_some() => Err(err(
                t.span,
                format!("`{}` is not an address mask", t.text),
                "mask bits must be contiguous",
                "write a mask such as 255.255.255.0",
            )),
            None => Err(self.missing("an address mask", help)),
        }
    }
}

/// One or more ASCII digits.
fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn rank(n: Located<u32>) -> Located<u8> {
    Located::new(u8::try_from(n.value).unwrap_or(u8::MAX), n.span)
}

/// `[TIER1|TIER2 [CPCSCOPE]|CPCSCOPE] [MOVEABLE IMMEDIATE|WHENIDLE] [SERVICEMGR]`,
/// each at most once and in this order: IBM's rule for VIPADEFINE and
/// VIPABACKUP is "specify the parameters in the order shown". On VIPABACKUP,
/// SERVICEMGR exists only after MOVEABLE.
fn vipa_options(c: &mut Cursor, name: &str) -> PResult<VipaOptions> {
    let mut o = VipaOptions::default();
    if c.eat("TIER1", 5).is_some() {
        o.tier = Some(1);
    } else if c.eat("TIER2", 5).is_some() {
        o.tier = Some(2);
        o.cpcscope = c.eat("CPCSCOPE", 8).is_some();
    } else if c.eat("CPCSCOPE", 8).is_some() {
        o.cpcscope = true;
    }
    if c.eat("MOVEABLE", 4).is_some() {
        o.moveable = Some(if c.eat("IMMEDIATE", 5).is_some() {
            Moveable::Immediate
        } else if c.eat("WHENIDLE", 8).is_some() {
            Moveable::WhenIdle
        } else {
            return Err(c.missing(
                "IMMEDIATE or WHENIDLE",
                "write `MOVEABLE IMMEDIATE` or `MOVEABLE WHENIDLE`",
            ));
        });
    }
    if let Some(t) = c.peek().filter(|t| is_option(t, "SERVICEMGR", 10)) {
        if name == "VIPABACKUP" && o.moveable.is_none() {
            return Err(err(
                t.span,
                "SERVICEMGR on VIPABACKUP needs MOVEABLE before it",
                "valid only after MOVEABLE IMMEDIATE|WHENIDLE",
                "write `VIPABACKUP rank MOVEABLE IMMEDIATE SERVICEMGR mask address`, or drop SERVICEMGR",
            ));
        }
        c.bump();
        o.servicemgr = true;
    }
    let misplaced = c.peek().filter(|t| {
        is_option(t, "TIER1", 5)
            || is_option(t, "TIER2", 5)
            || is_option(t, "CPCSCOPE", 8)
            || is_option(t, "MOVEABLE", 4)
            || is_option(t, "SERVICEMGR", 10)
    });
    if let Some(t) = misplaced {
        return Err(err(
            t.span,
            format!("`{}` is out of place in {name}", t.text),
            "repeated, or after an option that must follow it",
            format!(
                "{name} takes its options once each, in this order: TIER1, TIER2 [CPCSCOPE] or CPCSCOPE; then MOVEABLE IMMEDIATE|WHENIDLE; then SERVICEMGR"
            ),
        ));
    }
    Ok(o)
}

fn is_option(t: &Token, name: &str, min: usize) -> bool {
    !t.quoted && matches_min(&t.text, name, min)
}

const DEFINE_HELP: &str = "write `VIPADEFINE [MOVEABLE IMMEDIATE|WHENIDLE] mask address …`, e.g. `VIPADEFINE 255.255.255.0 10.1.1.10`";
const BACKUP_HELP: &str =
    "write `VIPABACKUP [rank] address …` or `VIPABACKUP [rank] MOVEABLE IMMEDIATE mask address …`";

/// IPv4 addresses to the end of the statement (at least one).
fn addresses(c: &mut Cursor, help: &str) -> PResult<Vec<Located<Ipv4Addr>>> {
    let mut v = vec![c.ipv4("a DVIPA address", help)?];
    while c.peek().is_some() {
        v.push(c.ipv4("a DVIPA address", help)?);
    }
    Ok(v)
}

/// The IPv6 form: `intfname ipv6_addr[/len]`.
fn v6_addrs(c: &mut Cursor, help: &str) -> PResult<Option<VipaAddrs>> {
    let (Some(name), Some(a)) = (c.toks.get(c.i), c.toks.get(c.i + 1)) else {
        return Ok(None);
    };
    if addr::looks_like_address(&name.text) {
        return Ok(None);
    }
    match addr::ip_prefix(&a.text) {
        Some((ip @ IpAddr::V6(_), prefix)) => {
            c.bump();
            c.bump();
            Ok(Some(VipaAddrs::V6 {
                intf: located(name),
                addr: Located::new(ip, a.span),
                prefix,
            }))
        }
        _ if a.text.contains(':') => Err(err(
            a.span,
            format!("`{}` is not an IPv6 address", a.text),
            "expected an IPv6 address",
            help,
        )),
        _ => Ok(None),
    }
}

fn define(c: &mut Cursor) -> PResult<VipaDefine> {
    let options = vipa_options(c, "VIPADEFINE")?;
    if let Some(v6) = v6_addrs(c, DEFINE_HELP)? {
        return Ok(VipaDefine { options, addrs: v6 });
    }
    let mask = c.mask(DEFINE_HELP)?;
    let addrs = addresses(c, DEFINE_HELP)?;
    Ok(VipaDefine {
        options,
        addrs: VipaAddrs::V4 {
            mask: Some(mask),
            addrs,
        },
    })
}

fn backup(c: &mut Cursor) -> PResult<VipaBackup> {
    let rank_tok = c.peek().filter(|t| is_digits(&t.text));
    let (rank, rank_given) = match rank_tok {
        Some(_) => (
            rank(c.number(
                "the backup rank",
                1,
                254,
                "a VIPABACKUP rank is 1-254 (higher takes over first)",
            )?),
            true,
        ),
        None => (Located::new(1, c.last), false),
    };
    let options = vipa_options(c, "VIPABACKUP")?;
    if let Some(v6) = v6_addrs(c, BACKUP_HELP)? {
        return Ok(VipaBackup {
            rank,
            rank_given,
            options,
            addrs: v6,
        });
    }
    let mask = if options.moveable.is_some() {
        Some(c.mask(BACKUP_HELP)?)
    } else {
        if let Some(t) = c.peek()
            && addr::mask(&t.text).is_some_and(|m| u32::from(m).leading_ones() >= 8)
            && c.toks.len() > c.i + 1
        {
            return Err(err(
                t.span,
                format!(
                    "`{}` looks like a mask, but VIPABACKUP takes a mask only after MOVEABLE",
                    t.text
                ),
                "read as a DVIPA address",
                "write `VIPABACKUP rank MOVEABLE IMMEDIATE mask address` (a backup that may create the DVIPA), or drop the mask",
            ));
        }
        None
    };
    let addrs = addresses(c, BACKUP_HELP)?;
    Ok(VipaBackup {
        rank,
        rank_given,
        options,
        addrs: VipaAddrs::V4 { mask, addrs },
    })
}

fn delete(c: &mut Cursor) -> PResult<Vec<Located<DvipaRef>>> {
    let mut v = Vec::new();
    while let Some(t) = c.bump() {
        let r = match addr::ip(&t.text) {
            Some(a) => DvipaRef::Addr(a),
            None if !addr::looks_like_address(&t.text) => DvipaRef::Intf(t.text.clone()),
            None => {
                return Err(err(
                    t.span,
                    format!("`{}` is not an IP address", t.text),
                    "expected a DVIPA",
                    "write `VIPADELETE address`",
                ));
            }
        };
        v.push(Located::new(r, t.span));
    }
    if v.is_empty() {
        return Err(c.missing("a DVIPA address", "write `VIPADELETE address`"));
    }
    Ok(v)
}

fn range(c: &mut Cursor) -> PResult<VipaRange> {
    let args = c.toks[c.i..].iter().map(located).collect();
    let mut r = VipaRange {
        delete: false,
        args,
        mask: None,
        addr: None,
    };
    // VIPARANGE is recorded, not acted on: read the mask and address and
    // accept what follows (newer releases add parameters, e.g. ZCX).
    c.eat("DEFINE", 6);
    if c.eat("DELETE", 4).is_some() {
        r.delete = true;
    }
    // IBM: MOVEable NONDISRUPTive | MOVEable DISRUPTive.
    if c.eat("MOVEABLE", 4).is_some()
        && c.eat("NONDISRUPTIVE", 10).is_none()
        && c.eat("DISRUPTIVE", 7).is_none()
    {
        return Err(c.missing(
            "NONDISRUPTIVE or DISRUPTIVE",
            "write `VIPARANGE [DEFINE] [MOVEABLE NONDISRUPTIVE] mask address`",
        ));
    }
    if let Some(VipaAddrs::V6 { addr, .. }) =
        v6_addrs(c, "write `VIPARANGE DEFINE intfname ipv6_address/prefix`")?
    {
        r.addr = Some(addr);
    } else {
        r.mask = Some(c.mask("write `VIPARANGE [DEFINE] [MOVEABLE NONDISRUPTIVE] mask address`")?);
        let a = c.ipv4("an address", "write `VIPARANGE [DEFINE] mask address`")?;
        r.addr = Some(Located::new(IpAddr::V4(a.value), a.span));
    }
    c.rest();
    Ok(r)
}

const DIST_HELP: &str =
    "write `VIPADISTRIBUTE [DEFINE] [DISTMETHOD method …] dvipa [PORT n …] DESTIP address …`";

fn method_of(t: &Token) -> Option<DistMethod> {
    DistMethod::ALL
        .iter()
        .find(|(_, name, min)| !t.quoted && matches_min(&t.text, name, *min))
        .map(|m| m.0)
}

fn set_flag(slot: &mut Option<Located<bool>>, value: bool, t: &Token, name: &str) -> PResult<()> {
    if let Some(prev) = slot
        && prev.value != value
    {
        return Err(err(
            t.span,
            format!(
                "`{}` contradicts an earlier option of this statement",
                t.text
            ),
            format!("conflicts with the earlier {name} option"),
            "keep only one of the two",
        ));
    }
    *slot = Some(Located::new(value, t.span));
    Ok(())
}

fn distribute(c: &mut Cursor) -> PResult<VipaDistribute> {
    let mut d = VipaDistribute {
        delete: false,
        method: None,
        switchback: None,
        healthswitch: None,
        sysplexports: None,
        timedaffinity: None,
        optlocal: None,
        other: Vec::new(),
        dvipa: Located::new(DvipaRef::Intf(String::new()), c.last),
        ports: Vec::new(),
        destip: None,
    };
    // Options before the address, in any order.
    while let Some(t) = c.peek().filter(|t| !t.quoted) {
        let x = t.text.as_str();
        if matches_min(x, "DEFINE", 6) {
            c.bump();
        } else if matches_min(x, "DELETE", 4) {
            c.bump();
            d.delete = true;
        } else if matches_min(x, "DISTMETHOD", 5) {
            c.bump();
            let m = c.peek().and_then(|t| method_of(t).map(|m| (m, t.span)));
            match m {
                Some((m, span)) => {
                    c.bump();
                    d.method = Some(Located::new(m, t.span.to(span)));
                }
                None => {
                    return Err(c.missing(
                        "a distribution method",
                        "DISTMETHOD takes BASEWLM, ROUNDROBIN, SERVERWLM, WEIGHTEDACTIVE, HOTSTANDBY or TARGCONTROLLED",
                    ));
                }
            }
        } else if x == "AUTOSWITCHBACK" || x == "NOAUTOSWITCHBACK" {
            c.bump();
            set_flag(&mut d.switchback, x == "AUTOSWITCHBACK", t, "switch-back")?;
        } else if x == "HEALTHSWITCH" || x == "NOHEALTHSWITCH" {
            c.bump();
            set_flag(&mut d.healthswitch, x == "HEALTHSWITCH", t, "health-switch")?;
        } else if matches_min(x, "SYSPLEXPORTS", 8) {
            c.bump();
            d.sysplexports = Some(t.span);
        } else if matches_min(x, "TIMEDAFFINITY", 8) {
            c.bump();
            d.timedaffinity = Some(c.number(
                "TIMEDAFFINITY seconds",
                0,
                99_999,
                "write `TIMEDAFFINITY seconds`",
            )?);
        } else if x == "OPTLOCAL" {
            c.bump();
            let n = match c.peek() {
                Some(n) if is_digits(&n.text) => Some(
                    c.number("the OPTLOCAL value", 0, 16, "write `OPTLOCAL [0-16]`")?
                        .value,
                ),
                _ => None,
            };
            d.optlocal = Some(Located::new(n, t.span.to(c.last)));
        } else if x == "NOOPTLOCAL" || x == "GRE" || x == "ENCAP" {
            c.bump();
            d.other.push(located(t));
        } else if matches!(x, "PROCTYPE" | "PROCXCOST") {
            // PROCTYPE CP n ZAAP n ZIIP n / PROCXCOST ZAAP n ZIIP n
            c.bump();
            d.other.push(located(t));
            while let Some(k) = c
                .peek()
                .filter(|k| matches!(k.text.as_str(), "CP" | "ZAAP" | "ZIIP"))
            {
                c.bump();
                d.other.push(located(k));
                let n = c.number(
                    "a weight",
                    0,
                    99_999,
                    "write a weight after CP, ZAAP or ZIIP",
                )?;
                d.other.push(Located::new(n.value.to_string(), n.span));
            }
        } else if matches!(x, "ILWEIGHTING" | "CONTROLPORT") {
            c.bump();
            d.other.push(located(t));
            let n = c.number(x, 0, 65_535, DIST_HELP)?;
            d.other.push(Located::new(n.value.to_string(), n.span));
        } else if matches!(x, "TIER1" | "TIER2") {
            c.bump();
            d.other.push(located(t));
            let g = c
                .bump()
                .ok_or_else(|| c.missing("a tier group name", "write `TIER1 groupname`"))?;
            d.other.push(located(g));
        } else {
            break;
        }
    }
    // The DVIPA: an IPv4 address or an IPv6 interface name.
    let t = c
        .peek()
        .ok_or_else(|| c.missing("the DVIPA address", DIST_HELP))?;
    if t.quoted || t.text == "PORT" || t.text == "DESTIP" {
        return Err(c.missing("the DVIPA address", DIST_HELP));
    }
    let dvipa = match addr::ip(&t.text) {
        Some(a) => DvipaRef::Addr(a),
        None if addr::looks_like_address(&t.text) => {
            return Err(err(
                t.span,
                format!("`{}` is not a valid IP address", t.text),
                "expected the DVIPA",
                DIST_HELP,
            ));
        }
        None => DvipaRef::Intf(t.text.clone()),
    };
    c.bump();
    d.dvipa = Located::new(dvipa, t.span);

    if c.eat("PORT", 4).is_some() {
        while let Some(t) = c.peek().filter(|t| looks_like_port(&t.text)) {
            let r = port_range(t)?;
            c.bump();
            d.ports.push(Located::new(r, t.span));
        }
        if d.ports.is_empty() {
            return Err(c.missing(
                "a port number or range",
                "write `PORT 443` or `PORT 8000-8010`; ports are 1-65535",
            ));
        }
    }

    if let Some(kw) = c.eat("DESTIP", 6) {
        if let Some(all) = c.eat("ALL", 3) {
            d.destip = Some(DestIp::All(all.span));
        } else {
            let mut list = Vec::new();
            while c.peek().is_some() {
                list.push(dest_entry(c)?);
            }
            if list.is_empty() {
                return Err(err(
                    kw.span,
                    "DESTIP names no target",
                    "targets missing after this",
                    "list the targets' DYNAMICXCF addresses, e.g. `DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100`",
                ));
            }
            d.destip = Some(DestIp::List(list));
        }
    } else if !d.delete {
        return Err(c.missing(
            "DESTIP",
            "a VIPADISTRIBUTE DEFINE needs `DESTIP ALL` or a list of target DYNAMICXCF addresses",
        ));
    }
    Ok(d)
}

/// `n` or `n-m` written with digits (in range or not).
fn looks_like_port(s: &str) -> bool {
    match s.split_once('-') {
        Some((a, b)) => is_digits(a) && is_digits(b),
        None => is_digits(s),
    }
}

/// A port or port range; the token looks like one.
fn port_range(t: &Token) -> PResult<PortRange> {
    const HELP: &str = "write `PORT 443` or `PORT 8000-8010`; ports are 1-65535";
    let port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| SynErr {
                code: codes::RANGE,
                ..err(
                    t.span,
                    format!("port {p} is out of range"),
                    "allowed: 1-65535",
                    HELP,
                )
            })
    };
    match t.text.split_once('-') {
        Some((a, b)) => {
            let (lo, hi) = (port(a)?, port(b)?);
            if lo > hi {
                return Err(err(
                    t.span,
                    format!("port range {} ends before it starts", t.text),
                    "the lower port comes first",
                    format!("write `PORT {hi}-{lo}`"),
                ));
            }
            Ok(PortRange { lo, hi })
        }
        None => port(&t.text).map(|p| PortRange { lo: p, hi: p }),
    }
}

fn dest_entry(c: &mut Cursor) -> PResult<DestEntry> {
    let help = "each DESTIP entry is a target's DYNAMICXCF address, optionally followed by PREFERRED, BACKUP [rank] or WEIGHT n";
    let t = c
        .peek()
        .ok_or_else(|| c.missing("a DESTIP address", help))?;
    let Some(a) = addr::ip(&t.text) else {
        return Err(c.missing("a DESTIP address", help));
    };
    c.bump();
    let addr = Located::new(a, t.span);
    let (role, role_span) = if let Some(p) = c.eat("PREFERRED", 9) {
        (Role::Preferred, Some(p.span))
    } else if let Some(b) = c.eat("BACKUP", 6) {
        match c.peek() {
            Some(n) if is_digits(&n.text) => {
                let r = c.number(
                    "the BACKUP rank",
                    1,
                    254,
                    "a BACKUP rank is 1-254 (higher is tried first)",
                )?;
                (
                    Role::Backup {
                        rank: rank(r).value,
                        rank_given: true,
                    },
                    Some(b.span.to(r.span)),
                )
            }
            _ => (
                Role::Backup {
                    rank: 1,
                    rank_given: false,
                },
                Some(b.span),
            ),
        }
    } else if let Some(w) = c.eat("WEIGHT", 6) {
        let n = c.number("the WEIGHT", 0, 99, "WEIGHT takes 0-99")?;
        (Role::Weight(n.value), Some(w.span.to(n.span)))
    } else {
        (Role::Plain, None)
    };
    Ok(DestEntry {
        addr,
        role,
        role_span,
    })
}
