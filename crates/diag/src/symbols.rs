//! z/OS system symbols (`&SYSNAME.`, `&SYSCLONE.`, site symbols), substituted
//! in the text of a token before it is parsed. Both configuration languages
//! use this; it is plain text work and knows nothing else of z/OS.
//!
//! The rules followed (z/OS MVS Initialization and Tuning Reference):
//! - "Know the rules for using system symbols in parmlib"
//!   (<https://www.ibm.com/support/knowledgecenter/SSLTBW_2.1.0/com.ibm.zos.v2r1.ieae200/plcrap.htm>):
//!   a reference is `&`, the name, and an optional period that ends it; a
//!   reference without a period ends at the first character that is not
//!   alphabetic, numeric or special (`@ # $`, and `_` since z/OS 2.2, which
//!   also allows names of up to 16 characters); `(` right after a name
//!   without a period starts substring notation "regardless of how you
//!   intended to use the string".
//! - "Procedure for substringing symbols"
//!   (<https://ibm.com/support/knowledgecenter/en/SSLTBW_2.1.0/com.ibm.zos.v2r1.ieae200/ieae20033.htm>):
//!   `&YR8()` is the whole text; `&YR8(2)` is the one character in position
//!   2 (a start without a length means length 1: `0` of `2008`, not `008`);
//!   a minus sign counts from the end (`&YR8(-1)` is `8`); `(start:length)`
//!   gives `length` characters (`&YR8(3:2)` is `08`). A period after the
//!   closing parenthesis ends the reference, as after a name.
//! - "Errors in substringing"
//!   (<https://www-01.ibm.com/support/knowledgecenter/SSLTBW_2.1.0/com.ibm.zos.v2r1.ieae200/ieae20034.htm>):
//!   start 0, or a negative start past the beginning, is start 1; length 0
//!   is length 1; a start past the end gives the null string; a length past
//!   the end stops at the end; notation that is not valid (`&YR8(-2:a)`) is
//!   left as normal text after the substituted symbol (`2008(-2:a)`); and
//!   `&YR8.(3:3)` is no substring (the period ended the reference).
//!
//! **Decision** (IBM does not say): valid notation is exactly `()`,
//! `(n)`, `(-n)`, `(n:m)` or `(-n:m)` with decimal digits and no blanks;
//! anything else (`(:2)`, `(2:)`, `( 2 )`, a symbol as start or length, as
//! IBM forbids) is normal text.

use std::collections::BTreeMap;
use std::ops::Range;

/// Symbol names (upper case, without `&` and `.`) and their values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Symbols {
    map: BTreeMap<String, String>,
}

/// A reference to a symbol that has no value: its byte range in the
/// original text (including `&` and a trailing `.`) and its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    pub range: Range<usize>,
    pub name: String,
}

impl Symbols {
    pub fn new() -> Symbols {
        Symbols::default()
    }

    /// Set a symbol; the name is upper-cased, a leading `&` and trailing `.`
    /// are dropped.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let name = name.trim_start_matches('&').trim_end_matches('.');
        self.map.insert(name.to_ascii_uppercase(), value.into());
    }

    /// Set unless already set (for defaults such as SYSNAME).
    pub fn set_default(&mut self, name: &str, value: impl Into<String>) {
        let key = name.to_ascii_uppercase();
        self.map.entry(key).or_insert_with(|| value.into());
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(&name.to_ascii_uppercase()).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Replace every `&NAME.` or `&NAME` in `text` by its value, and every
    /// substring reference (`&NAME(start:length).`, see the module
    /// documentation) by that part of the value. A name is 1-16 characters
    /// of `A-Z 0-9 @ # $ _`, not starting with a digit; a period right after
    /// it (or after its substring notation) ends the reference and is
    /// dropped (`&SYSNAME..` leaves one period). Unknown names stay as
    /// written, substring notation included, and are returned. Returns
    /// `None` when `text` holds no `&` (the common case: no copy).
    pub fn substitute(&self, text: &str) -> Option<(String, Vec<Unresolved>)> {
        if !text.contains('&') {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut unresolved = Vec::new();
        let mut i = 0;
        while i < text.len() {
            if let Some(r) = reference(&text[i..]) {
                let end = i + r.len;
                let name = &text[i + 1..i + r.name_end];
                match self.get(name) {
                    Some(v) => match r.notation {
                        Some(n) => out.push_str(n.apply(v)),
                        None => out.push_str(v),
                    },
                    None => {
                        out.push_str(&text[i..end]);
                        unresolved.push(Unresolved {
                            range: i..end,
                            name: name.to_ascii_uppercase(),
                        });
                    }
                }
                i = end;
                continue;
            }
            // Copy one character (which may be several bytes).
            let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + ch_len]);
            i += ch_len;
        }
        Some((out, unresolved))
    }
}

/// The length in bytes of the symbol reference at the start of `text`:
/// `&`, the name, valid substring notation if any, and the period that ends
/// it if there is one. `None` when `text` does not start with a reference
/// (no `&`, or `&` followed by no name). For lexers, so that they keep a
/// reference such as `&SYSCLONE(2:1).` in one word whatever its
/// parentheses: `reference_len("&SYSCLONE(2:1).)")` is 15.
pub fn reference_len(text: &str) -> Option<usize> {
    reference(text).map(|r| r.len)
}

/// A symbol reference at the start of a text.
struct Reference {
    /// The end of the name (the name is `text[1..name_end]`).
    name_end: usize,
    notation: Option<Notation>,
    /// The end of the whole reference.
    len: usize,
}

/// Substring notation: `()` is the whole value; otherwise the 1-based
/// start (`from_end`: written with a minus sign) and the length if written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Notation {
    whole: bool,
    from_end: bool,
    start: u64,
    len: Option<u64>,
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'@' | b'#' | b'$' | b'_')
}

fn reference(text: &str) -> Option<Reference> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'&') {
        return None;
    }
    let mut j = 1;
    while j < bytes.len() && j - 1 < 16 && is_name_byte(bytes[j]) {
        j += 1;
    }
    if j == 1 || bytes[1].is_ascii_digit() {
        return None;
    }
    let name_end = j;
    let mut notation = None;
    if bytes.get(j) == Some(&b'(')
        && let Some((n, len)) = parse_notation(&bytes[j..])
    {
        notation = Some(n);
        j += len;
    }
    if bytes.get(j) == Some(&b'.') {
        j += 1;
    }
    Some(Reference {
        name_end,
        notation,
        len: j,
    })
}

/// Digits as a number; a number too large for `u64` saturates (it is past
/// the end of any value either way).
fn digits(bytes: &[u8]) -> (u64, usize) {
    let n = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let v = bytes[..n].iter().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    });
    (v, n)
}

/// Valid substring notation at the start of `bytes` (which starts with
/// `(`), and its length in bytes.
fn parse_notation(bytes: &[u8]) -> Option<(Notation, usize)> {
    let mut i = 1;
    if bytes.get(i) == Some(&b')') {
        let whole = Notation {
            whole: true,
            from_end: false,
            start: 1,
            len: None,
        };
        return Some((whole, 2));
    }
    let from_end = bytes.get(i) == Some(&b'-');
    if from_end {
        i += 1;
    }
    let (start, n) = digits(&bytes[i..]);
    if n == 0 {
        return None;
    }
    i += n;
    let mut len = None;
    if bytes.get(i) == Some(&b':') {
        i += 1;
        let (l, n) = digits(&bytes[i..]);
        if n == 0 {
            return None;
        }
        len = Some(l);
        i += n;
    }
    if bytes.get(i) != Some(&b')') {
        return None;
    }
    let notation = Notation {
        whole: false,
        from_end,
        start,
        len,
    };
    Some((notation, i + 1))
}

impl Notation {
    /// The part of `value` this notation names, with IBM's corrections of
    /// out-of-range values (module documentation).
    fn apply(self, value: &str) -> &str {
        if self.whole {
            return value;
        }
        let count = u64::try_from(value.chars().count()).unwrap_or(u64::MAX);
        // 1-based start position.
        let start = if self.start == 0 || (self.from_end && self.start > count) {
            1
        } else if self.from_end {
            count - self.start + 1
        } else {
            self.start
        };
        if start > count {
            return "";
        }
        let len = self.len.unwrap_or(1).max(1).min(count - start + 1);
        let skip = usize::try_from(start - 1).unwrap_or(usize::MAX);
        let take = usize::try_from(len).unwrap_or(usize::MAX);
        let mut idx = value.char_indices().map(|(i, _)| i).chain([value.len()]);
        let from = idx.nth(skip).unwrap_or(value.len());
        // `take` is at least 1.
        let to = idx.nth(take - 1).unwrap_or(value.len());
        &value[from..to]
    }
}

/// The help of a finding for the unresolved symbol `name`: where to give it
/// a value, whether a sysplex or a lone file is checked (`--symbol` is
/// refused for a sysplex).
pub fn unresolved_help(name: &str) -> String {
    format!(
        "give the symbol a value in the system's `symbols` in sysplex.toml (`symbols = {{ {name} = \"…\" }}`), or with `--symbol {name}=…` when checking a lone file"
    )
}

/// The id of the finding for a symbol without a value.
pub const UNRESOLVED_SYMBOL: &str = "ZHA0013";

/// What `explain` says about [`UNRESOLVED_SYMBOL`].
pub const UNRESOLVED_SYMBOL_INFO: crate::CodeInfo = crate::CodeInfo {
    code: UNRESOLVED_SYMBOL,
    severities: "W",
    title: "a system symbol without a value",
    explanation: "Profiles and parmlib members may use system symbols such as &SYSNAME. or \
site symbols. zosmf-ha substitutes the values it knows: SYSNAME (the system's name), \
SYSCLONE (the last two characters of SYSNAME, as on z/OS) and SYSPLEX (the sysplex name) by \
default, and whatever `symbols = { … }` gives for the system in \
sysplex.toml (or `--symbol NAME=VALUE` when checking a lone file). Substring references such \
as &SYSCLONE(2:1). or &SYSNAME(-2:2). are substituted as z/OS does. An unknown symbol stays \
as written, so an address or name that uses it cannot be checked.\n\nFix: give the symbol a \
value in the system's `symbols` in sysplex.toml (or with --symbol when checking a lone \
file).",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_with_and_without_period() {
        let mut s = Symbols::new();
        s.set("SYSNAME", "SYSA");
        s.set("&SYSCLONE.", "0A");
        let (t, u) = s.substitute("/global/&SYSNAME./&sysclone").unwrap();
        assert_eq!(t, "/global/SYSA/0A");
        assert!(u.is_empty());
        let (t, _) = s.substitute("&SYSNAME..X").unwrap();
        assert_eq!(t, "SYSA.X");
        let (t, u) = s.substitute("IPADDR=&HOMEIP.X¬").unwrap();
        assert_eq!(t, "IPADDR=&HOMEIP.X¬");
        assert_eq!(
            u,
            vec![Unresolved {
                range: 7..15,
                name: "HOMEIP".into()
            }]
        );
        assert!(s.substitute("plain").is_none());
        assert_eq!(s.substitute("A & B").unwrap().0, "A & B");
    }

    fn sub(s: &Symbols, text: &str) -> String {
        s.substitute(text).expect("no reference").0
    }

    #[test]
    fn substrings_as_z_os_writes_them() {
        let mut s = Symbols::new();
        s.set("SYSNAME", "SYSA01");
        s.set("SYSCLONE", "0A");
        // (start:length), 1-based.
        assert_eq!(sub(&s, "IZUSVR&SYSCLONE(2:1)."), "IZUSVRA");
        assert_eq!(
            sub(&s, "SERVER_PROC(IZUSVR&SYSCLONE(2:1).)"),
            "SERVER_PROC(IZUSVRA)"
        );
        assert_eq!(sub(&s, "&SYSNAME(1:4).X"), "SYSAX");
        // A start alone is one character (IBM: &YR8(2) is 0), not the rest.
        assert_eq!(sub(&s, "&SYSNAME(3)."), "S");
        assert_eq!(sub(&s, "&SYSNAME(3)"), "S");
        // A minus sign counts from the end.
        assert_eq!(sub(&s, "/u/&SYSNAME(-2:2)./x"), "/u/01/x");
        assert_eq!(sub(&s, "&SYSNAME(-1)"), "1");
        // `()` is the whole value; the period after `)` ends the reference.
        assert_eq!(sub(&s, "&SYSNAME()..T"), "SYSA01.T");
        assert_eq!(sub(&s, "&sysname(2:3).&SYSCLONE."), "YSA0A");
        // Non-ASCII values count characters.
        s.set("SITE", "\u{c4}BC");
        assert_eq!(sub(&s, "&SITE(2:1)."), "B");
        assert_eq!(sub(&s, "&SITE(-3:1)."), "\u{c4}");
    }

    #[test]
    fn substring_errors_follow_ibm() {
        // IBM's table "Errors in substringing", with &YR8. = 2008.
        let mut s = Symbols::new();
        s.set("YR8", "2008");
        for (text, want) in [
            ("&YR8", "2008"),
            ("&YR8()", "2008"),
            ("&YR8(4)", "8"),
            ("&YR8(2)", "0"),
            ("&YR8(-4)", "2"),
            ("&YR8(-1)", "8"),
            ("&YR8(3:2)", "08"),
            ("&YR8(-4:2)", "20"),
            // Start past the beginning, or zero: start 1.
            ("&YR8(-5:1)", "2"),
            ("&YR8(0:1)", "2"),
            ("&YR8(-0:2)", "20"),
            // Length zero: one.
            ("&YR8(4:0)", "8"),
            // Start past the end: nothing.
            ("&YR8(5:1)", ""),
            ("&YR8(5:1).X", "X"),
            // Length past the end: to the end.
            ("&YR8(3:3)", "08"),
            ("&YR8(-2:9)", "08"),
            // Numbers too large for any integer.
            ("&YR8(99999999999999999999999:1)", ""),
            ("&YR8(-99999999999999999999999:2)", "20"),
            ("&YR8(2:99999999999999999999999)", "008"),
            // Not valid notation: normal text after the substituted symbol.
            ("&YR8(-2:a)", "2008(-2:a)"),
            ("&YR8(:2)", "2008(:2)"),
            ("&YR8(2:)", "2008(2:)"),
            ("&YR8( 2 )", "2008( 2 )"),
            ("&YR8(2", "2008(2"),
            ("&YR8(&YR8:1)", "2008(2008:1)"),
            // The period ended the reference: no substring.
            ("&YR8.(3:3)", "2008(3:3)"),
        ] {
            assert_eq!(sub(&s, text), want, "{text}");
        }
        // An empty value has no characters to take.
        s.set("NONE", "");
        assert_eq!(sub(&s, "A&NONE(1:2).B"), "AB");
    }

    #[test]
    fn unresolved_substring_stays_as_written() {
        let mut s = Symbols::new();
        s.set("SYSNAME", "SYSA");
        let (t, u) = s
            .substitute("IZUSVR&SYSCLONE(2:1).X &SYSNAME(1:3).")
            .unwrap();
        assert_eq!(t, "IZUSVR&SYSCLONE(2:1).X SYS");
        assert_eq!(
            u,
            vec![Unresolved {
                range: 6..21,
                name: "SYSCLONE".into()
            }]
        );
        // Invalid notation is not part of the reference.
        let (t, u) = s.substitute("&FOO(-2:a)").unwrap();
        assert_eq!(t, "&FOO(-2:a)");
        assert_eq!(u[0].range, 0..4);
    }

    #[test]
    fn reference_lengths_for_lexers() {
        assert_eq!(reference_len("&SYSCLONE(2:1).)"), Some(15));
        assert_eq!(reference_len("&SYSCLONE(2:1))"), Some(14));
        assert_eq!(reference_len("&SYSNAME(-2:2)./x"), Some(15));
        assert_eq!(reference_len("&SYSNAME.(2)"), Some(9));
        assert_eq!(reference_len("&SYSNAME(A)"), Some(8));
        assert_eq!(reference_len("&SYSNAME"), Some(8));
        assert_eq!(reference_len("& B"), None);
        assert_eq!(reference_len("&1A"), None);
        assert_eq!(reference_len("SYSNAME"), None);
        assert_eq!(reference_len(""), None);
        assert_eq!(reference_len("&"), None);
    }

    #[test]
    fn unresolved_help_covers_sysplex_and_lone_files() {
        let h = unresolved_help("SYSCLONE");
        assert!(h.contains("sysplex.toml"), "{h}");
        assert!(h.contains("`symbols = { SYSCLONE = \"…\" }`"), "{h}");
        assert!(
            h.contains("`--symbol SYSCLONE=…` when checking a lone file"),
            "{h}"
        );
    }

    #[test]
    fn any_short_text_is_substituted_without_panic() {
        // Every text of up to 5 pieces from the characters that matter.
        const PIECES: &[&str] = &["&", "A", "(", ")", ":", "-", "1", ".", "\u{e9}", " "];
        let mut s = Symbols::new();
        s.set("A", "X\u{e9}Z");
        let none = Symbols::new();
        let mut texts = vec![String::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for t in &texts {
                for p in PIECES {
                    next.push(format!("{t}{p}"));
                }
            }
            for t in &next {
                if let Some((_, unresolved)) = s.substitute(t) {
                    assert!(unresolved.iter().all(|u| u.name != "A"), "{t}");
                }
                // Nothing known: the text stays as written, and every
                // unresolved reference is a piece of it.
                if let Some((out, unresolved)) = none.substitute(t) {
                    assert_eq!(&out, t);
                    for u in unresolved {
                        assert!(t.get(u.range.clone()).is_some_and(|r| r.starts_with('&')));
                    }
                }
                if let Some(n) = reference_len(t) {
                    assert!(t.is_char_boundary(n) && n <= t.len(), "{t}");
                }
            }
            texts = next;
        }
    }
}
