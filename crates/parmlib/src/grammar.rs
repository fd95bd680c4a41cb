//! The IZUPRMxx statements zosmf-ha knows, the shape of each statement's
//! value, and the checks on values (SPEC §3, zos-facts §5.2).
//!
//! Both the parser (which reports invalid values) and `effective` (which
//! skips them) use [`check`], so a value is either valid for both or for
//! neither.

/// One statement.
#[derive(Debug)]
pub(crate) struct Def {
    pub name: &'static str,
    pub shape: Shape,
}

#[derive(Debug)]
pub(crate) enum Shape {
    /// `NAME(value)`.
    Single(Check),
    /// `NAME SUB(value) SUB(value)`.
    Sub(&'static [SubDef]),
    /// `NAME(item, item item)`.
    List,
}

/// One sub-keyword of a statement.
#[derive(Debug)]
pub(crate) struct SubDef {
    pub name: &'static str,
    pub check: Check,
}

/// What a value must look like.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Check {
    /// One of these words (compared in upper case).
    Choice(&'static [&'static str]),
    /// A whole number in this range.
    Number { min: u64, max: u64 },
    /// 1 to `max` characters, no blanks.
    Name { max: usize },
    /// A procedure (member) name: 1-8 of A-Z 0-9 @ # $, not starting with a
    /// digit.
    Member,
    /// A z/OS UNIX absolute path, no blanks.
    Path,
    /// Any text that is not empty and holds no blank.
    Word,
    /// Any text that is not empty.
    Text,
}

/// Why the case of a statement's value matters, for the statements whose
/// value z/OS would change by upper-casing it (SPEC §4, ZHA0412).
///
/// IBM lists more values that "might require mixed casing" (zos-facts
/// §5.1), but SAF_PREFIX, AUTOSTART_GROUP, CLOUD_SAF_PREFIX and
/// CLOUD_SEC_ADMIN are SAF names and INCIDENT_LOG UNIT a unit name, all upper
/// case on z/OS anyway, so upper-casing them changes nothing (zosmf-ha
/// decision). SERVER_PROC and ANGEL_PROC are member names, upper case too.
pub(crate) fn case_reason(statement: &str) -> Option<&'static str> {
    match statement {
        "KEYRING_NAME" => Some(
            "key ring names are case-sensitive: IZUKEYRING.IZUDFLT is another key ring than IZUKeyring.IZUDFLT",
        ),
        "USER_DIR" | "JAVA_HOME" | "TEMP_DIR" => Some(
            "z/OS UNIX path names are case-sensitive: the upper-cased path names another directory",
        ),
        "LOGGING" => Some("logger names are case-sensitive: com.ibm.zoszmf is not COM.IBM.ZOSZMF"),
        "HOSTNAME" => Some(
            "IBM lists HOSTNAME among the values that may need mixed case and should be in quotes",
        ),
        _ => None,
    }
}

/// Whether upper-casing `value` (as written, symbols substituted) of
/// `statement` changes what it means. A HOSTNAME that is an IP address or
/// `*` is not a name: its case does not matter.
pub(crate) fn case_matters(statement: &str, value: &str) -> bool {
    if case_reason(statement).is_none() {
        return false;
    }
    if statement == "HOSTNAME" && (value == "*" || value.parse::<std::net::IpAddr>().is_ok()) {
        return false;
    }
    has_lowercase_outside_symbols(value)
}

/// A lower-case letter outside the system symbol references (`&name.`),
/// whose names z/OS reads in any case.
fn has_lowercase_outside_symbols(text: &str) -> bool {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '&' {
            let mut n = 0;
            while n < 16
                && chars.peek().is_some_and(|&c| {
                    c.is_ascii_alphanumeric() || matches!(c, '@' | '#' | '$' | '_')
                })
            {
                chars.next();
                n += 1;
            }
            if n > 0 && chars.peek() == Some(&'.') {
                chars.next();
            }
        } else if c.is_ascii_lowercase() {
            return true;
        }
    }
    false
}

const TSO_SUBS: &[SubDef] = &[
    // A TSO/E account number is at most 40 characters.
    SubDef {
        name: "ACCT",
        check: Check::Name { max: 40 },
    },
    // A region size in kilobytes; 2096128 is the largest TSO/E region.
    SubDef {
        name: "REGION",
        check: Check::Number {
            min: 1,
            max: 2_096_128,
        },
    },
    SubDef {
        name: "PROC",
        check: Check::Member,
    },
];

/// The statements, sorted by name.
pub(crate) const STATEMENTS: &[Def] = &[
    Def {
        name: "ANGEL_PROC",
        shape: Shape::Single(Check::Member),
    },
    Def {
        name: "AUTOSTART",
        shape: Shape::Single(Check::Choice(&["LOCAL", "CONNECT"])),
    },
    Def {
        name: "AUTOSTART_GROUP",
        shape: Shape::Single(Check::Name { max: 8 }),
    },
    Def {
        name: "CLOUD_SAF_PREFIX",
        shape: Shape::Single(Check::Name { max: 3 }),
    },
    Def {
        name: "CLOUD_SEC_ADMIN",
        shape: Shape::Single(Check::Name { max: 8 }),
    },
    Def {
        name: "COMMON_TSO",
        shape: Shape::Sub(TSO_SUBS),
    },
    Def {
        name: "CSRF_SWITCH",
        shape: Shape::Single(Check::Choice(&["ON", "OFF"])),
    },
    Def {
        name: "HOSTNAME",
        shape: Shape::Single(Check::Word),
    },
    Def {
        name: "HTTP_SSL_PORT",
        shape: Shape::Single(Check::Number { min: 1, max: 65535 }),
    },
    Def {
        name: "INCIDENT_LOG",
        shape: Shape::Sub(&[SubDef {
            name: "UNIT",
            check: Check::Name { max: 8 },
        }]),
    },
    Def {
        name: "JAVA_HOME",
        shape: Shape::Single(Check::Path),
    },
    Def {
        name: "KEYRING_NAME",
        shape: Shape::Single(Check::Word),
    },
    Def {
        name: "LOGGING",
        shape: Shape::Single(Check::Text),
    },
    Def {
        name: "PLUGINS",
        shape: Shape::List,
    },
    Def {
        name: "RESTAPI_FILE",
        shape: Shape::Sub(TSO_SUBS),
    },
    Def {
        name: "SAF_PREFIX",
        shape: Shape::Single(Check::Name { max: 8 }),
    },
    Def {
        name: "SEC_GROUPS",
        shape: Shape::Sub(&[
            SubDef {
                name: "USER",
                check: Check::Name { max: 8 },
            },
            SubDef {
                name: "ADMIN",
                check: Check::Name { max: 8 },
            },
            SubDef {
                name: "SECADMIN",
                check: Check::Name { max: 8 },
            },
        ]),
    },
    Def {
        name: "SERVER_PROC",
        shape: Shape::Single(Check::Member),
    },
    Def {
        name: "SESSION_EXPIRE",
        shape: Shape::Single(Check::Number {
            min: 1,
            max: u32::MAX as u64,
        }),
    },
    Def {
        name: "TEMP_DIR",
        shape: Shape::Single(Check::Path),
    },
    Def {
        name: "UNAUTH_USER",
        shape: Shape::Single(Check::Name { max: 8 }),
    },
    Def {
        name: "USER_DIR",
        shape: Shape::Single(Check::Path),
    },
    Def {
        name: "WLM_CLASSES",
        shape: Shape::Sub(&[
            SubDef {
                name: "DEFAULT",
                check: Check::Name { max: 8 },
            },
            SubDef {
                name: "LONG_WORK",
                check: Check::Name { max: 8 },
            },
        ]),
    },
];

/// The statement with this upper-case name.
pub(crate) fn lookup(name: &str) -> Option<&'static Def> {
    STATEMENTS
        .binary_search_by(|d| d.name.cmp(name))
        .ok()
        .and_then(|i| STATEMENTS.get(i))
}

impl Def {
    pub fn sub(&self, name: &str) -> Option<&'static SubDef> {
        match self.shape {
            Shape::Sub(subs) => subs.iter().find(|s| s.name == name),
            _ => None,
        }
    }

    /// How the statement is written, for help lines.
    pub fn form(&self) -> String {
        match self.shape {
            Shape::Single(check) => format!("{}({})", self.name, check.placeholder()),
            Shape::Sub(subs) => {
                let subs: Vec<String> = subs
                    .iter()
                    .map(|s| format!("{}({})", s.name, s.check.placeholder()))
                    .collect();
                format!("{} {}", self.name, subs.join(" "))
            }
            Shape::List => format!("{}(name, name ...)", self.name),
        }
    }
}

/// Why a value is not allowed: a short label for the value and a help line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub label: String,
    pub allowed: String,
}

impl Check {
    pub fn placeholder(self) -> &'static str {
        match self {
            Check::Choice(words) => match words {
                ["LOCAL", "CONNECT"] => "LOCAL|CONNECT",
                ["ON", "OFF"] => "ON|OFF",
                _ => "value",
            },
            Check::Number { .. } => "n",
            Check::Name { .. } | Check::Member => "name",
            Check::Path => "'/path'",
            Check::Word | Check::Text => "'value'",
        }
    }

    /// What the value must be, as a phrase after "takes".
    pub fn allowed(self) -> String {
        match self {
            Check::Choice(words) => match words {
                [] => "nothing".to_owned(),
                [one] => (*one).to_owned(),
                [init @ .., last] => format!("{} or {last}", init.join(", ")),
            },
            Check::Number { min, max } => format!("a whole number from {min} to {max}"),
            Check::Name { max } => format!("a name of 1 to {max} characters without blanks"),
            Check::Member => {
                "a procedure name of 1 to 8 characters (A-Z, 0-9, @, #, $; not starting with a digit)".to_owned()
            }
            Check::Path => "an absolute z/OS UNIX path in quotes, such as '/global/zosmf'".to_owned(),
            Check::Word => "a value without blanks, in quotes".to_owned(),
            Check::Text => "a value that is not empty, in quotes".to_owned(),
        }
    }
}

/// Check a value (after upper-casing and symbol substitution).
pub(crate) fn check(check: Check, text: &str) -> Result<(), Invalid> {
    let invalid = |label: String| {
        Err(Invalid {
            label,
            allowed: check.allowed(),
        })
    };
    let chars = text.chars().count();
    if chars == 0 {
        return invalid("empty value".to_owned());
    }
    match check {
        Check::Choice(words) => {
            let upper = text.to_ascii_uppercase();
            if words.contains(&upper.as_str()) {
                Ok(())
            } else {
                invalid(format!("not {}", check.allowed()))
            }
        }
        Check::Number { min, max } => match number(text) {
            None => invalid("not a whole number".to_owned()),
            Some(n) if n < min => invalid(format!("below {min}")),
            Some(n) if n > max => invalid(format!("above {max}")),
            Some(_) => Ok(()),
        },
        Check::Name { max } => {
            if text.chars().any(is_blank) {
                invalid("holds a blank".to_owned())
            } else if chars > max {
                invalid(format!("{chars} characters; at most {max}"))
            } else {
                Ok(())
            }
        }
        Check::Member => {
            let bad = text.chars().find(|c| {
                !(c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '@' | '#' | '$'))
            });
            if chars > 8 {
                invalid(format!("{chars} characters; at most 8"))
            } else if let Some(c) = bad {
                invalid(format!("`{c}` is not allowed in a procedure name"))
            } else if text.starts_with(|c: char| c.is_ascii_digit()) {
                invalid("starts with a digit".to_owned())
            } else {
                Ok(())
            }
        }
        Check::Path => {
            if !text.starts_with('/') {
                invalid("not an absolute path".to_owned())
            } else if text.chars().any(is_blank) {
                invalid("holds a blank".to_owned())
            } else {
                Ok(())
            }
        }
        Check::Word => {
            if text.chars().any(is_blank) {
                invalid("holds a blank".to_owned())
            } else {
                Ok(())
            }
        }
        Check::Text => Ok(()),
    }
}

/// A whole number written in decimal digits (leading zeros allowed).
pub(crate) fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = text.trim_start_matches('0');
    if digits.len() > 19 {
        // Too large for u64: say so as the largest value, which is above
        // every maximum.
        return Some(u64::MAX);
    }
    Some(digits.parse().unwrap_or(0))
}

/// A blank between tokens in a member.
pub(crate) fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\u{b}' | '\u{c}')
}

/// The text still holds a system symbol reference (`&NAME.`) after
/// substitution: a symbol without a value, so the real value is unknown.
pub(crate) fn has_unresolved_symbol(text: &str) -> bool {
    zha_diag::symbols::Symbols::new()
        .substitute(text)
        .is_some_and(|(_, unresolved)| !unresolved.is_empty())
}

/// The known statement closest in spelling to an unknown word, if close.
pub(crate) fn suggest(word: &str) -> Option<&'static str> {
    let best = STATEMENTS
        .iter()
        .map(|d| (distance(word, d.name), d.name))
        .min_by_key(|&(d, _)| d)?;
    let limit = if word.len() <= 6 { 1 } else { 2 };
    (best.0 <= limit).then_some(best.1)
}

/// The statement that has this sub-keyword, if one has.
pub(crate) fn owner_of_sub(sub: &str) -> Option<&'static str> {
    STATEMENTS
        .iter()
        .find(|d| d.sub(sub).is_some())
        .map(|d| d.name)
}

/// Levenshtein distance on characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut row = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            row[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(row[j] + 1);
        }
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_so_lookup_works() {
        assert!(STATEMENTS.windows(2).all(|w| w[0].name < w[1].name));
        for d in STATEMENTS {
            assert!(lookup(d.name).is_some_and(|x| x.name == d.name));
        }
        assert!(lookup("NOPE").is_none());
    }

    #[test]
    fn checks() {
        let choice = Check::Choice(&["LOCAL", "CONNECT"]);
        assert!(check(choice, "LOCAL").is_ok());
        assert!(check(choice, "local").is_ok());
        assert_eq!(
            check(choice, "MAYBE").map_err(|e| e.allowed),
            Err("LOCAL or CONNECT".to_owned())
        );
        let port = Check::Number { min: 1, max: 65535 };
        assert!(check(port, "00443").is_ok());
        assert_eq!(
            check(port, "99999").map_err(|e| e.label),
            Err("above 65535".to_owned())
        );
        assert!(check(port, "0").is_err());
        assert!(check(port, "12a").is_err());
        assert!(check(port, &"9".repeat(40)).is_err());
        assert!(check(Check::Member, "IZUSVR1").is_ok());
        assert!(check(Check::Member, "IZUSVR123").is_err());
        assert!(check(Check::Member, "1ZUSVR").is_err());
        assert!(check(Check::Member, "IZU-1").is_err());
        assert!(check(Check::Name { max: 8 }, "NONE").is_ok());
        assert!(check(Check::Name { max: 3 }, "IYUX").is_err());
        assert!(check(Check::Name { max: 8 }, "A B").is_err());
        assert!(check(Check::Path, "/global/zosmf").is_ok());
        assert!(check(Check::Path, "global").is_err());
        assert!(check(Check::Word, "*").is_ok());
        assert!(check(Check::Text, "").is_err());
    }

    #[test]
    fn case_matters_for_names_paths_and_loggers_only() {
        for (stmt, value) in [
            ("KEYRING_NAME", "IZUKeyring.IZUDFLT"),
            ("USER_DIR", "/global/zosmf"),
            ("JAVA_HOME", "/usr/lpp/java/J17.0_64"),
            ("TEMP_DIR", "/tmp"),
            ("LOGGING", "com.ibm.zoszmf=finer"),
            ("HOSTNAME", "zosmf.example.com"),
        ] {
            assert!(case_matters(stmt, value), "{stmt}({value})");
            assert!(!case_matters(stmt, &value.to_ascii_uppercase()), "{stmt}");
        }
        for (stmt, value) in [
            ("HOSTNAME", "*"),
            ("HOSTNAME", "fe80::1"),
            ("HOSTNAME", "::ffff:10.1.1.1"),
            ("HOSTNAME", "10.1.1.1"),
            ("SAF_PREFIX", "izudflt"),
            ("AUTOSTART_GROUP", "izudfla"),
            ("SERVER_PROC", "izusvr1"),
            ("ANGEL_PROC", "izuang1"),
            ("CLOUD_SAF_PREFIX", "iyu"),
            ("CLOUD_SEC_ADMIN", "secadm"),
            ("HOSTNAME", "ZOSMF&sysclone."),
        ] {
            assert!(!case_matters(stmt, value), "{stmt}({value})");
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("HTTP_SSL_PRT"), Some("HTTP_SSL_PORT"));
        assert_eq!(suggest("AUTOSTRT"), Some("AUTOSTART"));
        assert_eq!(suggest("FOO"), None);
        assert_eq!(owner_of_sub("UNIT"), Some("INCIDENT_LOG"));
        assert!(has_unresolved_symbol("IZUSVR&SYSCLONE."));
        assert!(!has_unresolved_symbol("A & B"));
    }
}
