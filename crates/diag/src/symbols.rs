//! z/OS system symbols (`&SYSNAME.`, `&SYSCLONE.`, site symbols), substituted
//! in the text of a token before it is parsed. Both configuration languages
//! use this; it is plain text work and knows nothing else of z/OS.

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

    /// Replace every `&NAME.` or `&NAME` in `text` by its value. A name is
    /// 1-16 characters of `A-Z 0-9 @ # $ _`, not starting with a digit; a
    /// period right after it ends the reference and is dropped (`&SYSNAME..`
    /// leaves one period). Unknown names stay as written and are returned.
    /// Returns `None` when `text` holds no `&` (the common case: no copy).
    pub fn substitute(&self, text: &str) -> Option<(String, Vec<Unresolved>)> {
        if !text.contains('&') {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut unresolved = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'&' {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len()
                    && j - start < 16
                    && (bytes[j].is_ascii_alphanumeric()
                        || matches!(bytes[j], b'@' | b'#' | b'$' | b'_'))
                {
                    j += 1;
                }
                if j > start && !bytes[start].is_ascii_digit() {
                    let name = &text[start..j];
                    let end = if j < bytes.len() && bytes[j] == b'.' {
                        j + 1
                    } else {
                        j
                    };
                    match self.get(name) {
                        Some(v) => out.push_str(v),
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
            }
            // Copy one character (which may be several bytes).
            let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + ch_len]);
            i += ch_len;
        }
        Some((out, unresolved))
    }
}

/// The id of the finding for a symbol without a value.
pub const UNRESOLVED_SYMBOL: &str = "ZHA0013";

/// What `explain` says about [`UNRESOLVED_SYMBOL`].
pub const UNRESOLVED_SYMBOL_INFO: crate::CodeInfo = crate::CodeInfo {
    code: UNRESOLVED_SYMBOL,
    severities: "W",
    title: "a system symbol without a value",
    explanation: "Profiles and parmlib members may use system symbols such as &SYSNAME. or \
site symbols. zosmf-ha substitutes the values it knows: SYSNAME (the system's name) and \
SYSPLEX (the sysplex name) by default, and whatever `symbols = { … }` gives for the system in \
sysplex.toml (or `--symbol NAME=VALUE` for lone files). An unknown symbol stays as written, so \
an address or name that uses it cannot be checked.\n\nFix: give the symbol a value in \
sysplex.toml.",
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
}
