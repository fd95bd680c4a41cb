//! Properties: any input is read without a panic, with findings in file
//! order and spans inside the text; a valid member printed in canonical
//! form reads back as the same statements with no finding.

use proptest::prelude::*;
use zha_diag::symbols::Symbols;
use zha_diag::{FileId, Span};
use zha_parmlib::{Located, Member, Scalar, Statement, SubValue, Value, parse};

use crate::support::bare;

/// Read `text` and check what holds for any input.
fn read_anything(text: &str) {
    let mut symbols = Symbols::new();
    symbols.set("SYSNAME", "SYSA");
    let parsed = parse(FileId(3), text, &symbols);
    let mut last = 0;
    for d in &parsed.diagnostics {
        for label in &d.labels {
            assert_eq!(label.span.file, FileId(3));
            assert!(
                text.get(label.span.range()).is_some(),
                "{d:?} outside the text"
            );
        }
        let start = d.anchor().map_or(0, |s| s.start);
        assert!(
            start >= last,
            "findings out of order: {:?}",
            parsed.diagnostics
        );
        last = start;
    }
    for st in &parsed.member.statements {
        assert!(text.get(st.span.range()).is_some());
        assert!(text.get(st.keyword.range()).is_some());
    }
    // Printing whatever was read works too.
    let printed = parsed.member.to_string();
    let _ = parse(FileId(4), &printed, &symbols);
    let _ = zha_parmlib::effective(&[parsed.member]);
    let _ = zha_parmlib::looks_like_member(text);
}

/// Text made of the characters that matter to the lexer, so that comments,
/// quotes, continuations and columns 72-80 all occur.
fn parmlib_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("/*".to_owned()),
        Just("*/".to_owned()),
        Just("'".to_owned()),
        Just("''".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just(",".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just(" ".repeat(30)),
        Just("&SYSNAME.".to_owned()),
        Just("&NOPE".to_owned()),
        Just("&SYSNAME(2:1).".to_owned()),
        Just("&SYSNAME(-9:99)".to_owned()),
        Just("&NOPE(1).".to_owned()),
        Just("&SYSNAME(".to_owned()),
        Just("&SYSNAME()".to_owned()),
        Just("(0:0)".to_owned()),
        Just("¬ä".to_owned()),
        prop::sample::select(vec![
            "AUTOSTART",
            "HTTP_SSL_PORT",
            "PLUGINS",
            "SEC_GROUPS",
            "USER",
            "HOSTNAME",
            "LOGGING",
            "UNIT",
            "INCIDENT_LOG",
            "WLM_CLASSES",
            "LONG_WORK",
            "FOO",
            "local",
            "99999",
            "443",
            "=",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z0-9_ ]{1,12}",
    ];
    prop::collection::vec(piece, 0..120).prop_map(|v| v.concat())
}

// The default configuration runs 256 cases, or PROPTEST_CASES when set.
proptest! {
    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        read_anything(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        read_anything(&String::from_utf8_lossy(&bytes));
        // Decoding any bytes (EBCDIC records, Latin-1, binary) never panics,
        // and what it decodes is read without a panic too.
        if let Ok(decoded) = zha_diag::decode(&bytes) {
            read_anything(&decoded.text);
        }
    }

    #[test]
    fn parmlib_like_text_never_panics(text in parmlib_like()) {
        read_anything(&text);
    }
}

// Generators of valid members.

fn nowhere() -> Span {
    Span::file_start(FileId(0))
}

fn located(text: String, quoted: bool) -> Located<Scalar> {
    Located::new(Scalar::new(text, quoted), nowhere())
}

/// A procedure or group name: 1-8 of A-Z 0-9 @ # $, not starting with a digit.
fn name8() -> impl Strategy<Value = String> {
    "[A-Z@#$][A-Z0-9@#$]{0,7}"
}

fn unquoted(s: impl Strategy<Value = String>) -> impl Strategy<Value = Located<Scalar>> {
    s.prop_map(|t| located(t, false))
}

fn quoted(s: impl Strategy<Value = String>) -> impl Strategy<Value = Located<Scalar>> {
    s.prop_map(|t| located(t, true))
}

/// Words of two characters or more joined by single blanks: such a text
/// can always be broken between two non-blank characters.
fn spaced_text() -> impl Strategy<Value = String> {
    let word = "[a-zA-Z0-9=:.*/'¬ä-]{2,40}";
    (prop::collection::vec(word, 1..8), any::<bool>()).prop_map(|(words, lead)| {
        let text = words.join(" ");
        if lead { format!(" {text}") } else { text }
    })
}

fn path() -> impl Strategy<Value = String> {
    "/[a-zA-Z0-9._/-]{0,120}"
}

fn single(name: &'static str) -> BoxedStrategy<Value> {
    let scalar: BoxedStrategy<Located<Scalar>> = match name {
        "AUTOSTART" => prop_oneof![
            unquoted(prop::sample::select(vec![
                "LOCAL".to_owned(),
                "CONNECT".to_owned()
            ])),
            quoted(prop::sample::select(vec![
                "local".to_owned(),
                "Connect".to_owned()
            ])),
        ]
        .boxed(),
        "AUTOSTART_GROUP" | "SAF_PREFIX" => quoted("[A-Za-z0-9@#$]{1,8}").boxed(),
        "CLOUD_SAF_PREFIX" => quoted("[A-Za-z]{1,3}").boxed(),
        "CLOUD_SEC_ADMIN" => quoted("[A-Za-z0-9]{1,8}").boxed(),
        "UNAUTH_USER" | "SERVER_PROC" | "ANGEL_PROC" => unquoted(name8()).boxed(),
        "CSRF_SWITCH" => unquoted(prop::sample::select(vec![
            "ON".to_owned(),
            "OFF".to_owned(),
        ]))
        .boxed(),
        "HOSTNAME" => quoted(prop_oneof![
            Just("*".to_owned()),
            "[a-z0-9][a-z0-9.-]{0,80}".prop_map(|s| s)
        ])
        .boxed(),
        "HTTP_SSL_PORT" => unquoted((1u32..=65535).prop_map(|n| n.to_string())).boxed(),
        "SESSION_EXPIRE" => unquoted((1u32..=u32::MAX).prop_map(|n| n.to_string())).boxed(),
        "KEYRING_NAME" => quoted("[A-Za-z0-9./#$@]{1,150}").boxed(),
        "LOGGING" => quoted(spaced_text()).boxed(),
        _ => quoted(path()).boxed(),
    };
    scalar.prop_map(Value::Single).boxed()
}

fn sub_value(sub: &'static str) -> BoxedStrategy<Located<Scalar>> {
    match sub {
        "ACCT" => unquoted("[A-Z0-9]{1,40}").boxed(),
        "REGION" => unquoted((1u32..=2_096_128).prop_map(|n| n.to_string())).boxed(),
        "UNIT" => quoted("[A-Z0-9]{1,8}").boxed(),
        _ => unquoted(name8()).boxed(),
    }
}

fn subs(names: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop::sample::subsequence(names, 1..=names.len())
        .prop_shuffle()
        .prop_flat_map(|chosen| {
            chosen
                .into_iter()
                .map(|n| {
                    sub_value(n).prop_map(move |value| SubValue {
                        name: n.to_owned(),
                        keyword: nowhere(),
                        value,
                    })
                })
                .collect::<Vec<_>>()
        })
        .prop_map(Value::Sub)
        .boxed()
}

fn plugins() -> BoxedStrategy<Value> {
    prop::collection::btree_set("[A-Z][A-Z_]{0,15}", 0..30)
        .prop_shuffle_set()
        .boxed()
}

trait ShuffleSet {
    fn prop_shuffle_set(self) -> BoxedStrategy<Value>;
}

impl<S> ShuffleSet for S
where
    S: Strategy<Value = std::collections::BTreeSet<String>> + 'static,
{
    fn prop_shuffle_set(self) -> BoxedStrategy<Value> {
        self.prop_map(|set| set.into_iter().collect::<Vec<_>>())
            .prop_shuffle()
            .prop_map(|names| Value::List(names.into_iter().map(|n| located(n, false)).collect()))
            .boxed()
    }
}

const NAMES: &[&str] = &[
    "ANGEL_PROC",
    "AUTOSTART",
    "AUTOSTART_GROUP",
    "CLOUD_SAF_PREFIX",
    "CLOUD_SEC_ADMIN",
    "COMMON_TSO",
    "CSRF_SWITCH",
    "HOSTNAME",
    "HTTP_SSL_PORT",
    "INCIDENT_LOG",
    "JAVA_HOME",
    "KEYRING_NAME",
    "LOGGING",
    "PLUGINS",
    "RESTAPI_FILE",
    "SAF_PREFIX",
    "SEC_GROUPS",
    "SERVER_PROC",
    "SESSION_EXPIRE",
    "TEMP_DIR",
    "UNAUTH_USER",
    "USER_DIR",
    "WLM_CLASSES",
];

fn value(name: &'static str) -> BoxedStrategy<Value> {
    match name {
        "COMMON_TSO" | "RESTAPI_FILE" => subs(&["ACCT", "REGION", "PROC"]),
        "SEC_GROUPS" => subs(&["USER", "ADMIN", "SECADMIN"]),
        "INCIDENT_LOG" => subs(&["UNIT"]),
        "WLM_CLASSES" => subs(&["DEFAULT", "LONG_WORK"]),
        "PLUGINS" => plugins(),
        _ => single(name),
    }
}

/// A valid member: each statement at most once (a repeat is a warning), in
/// any order.
fn valid_member() -> impl Strategy<Value = Member> {
    prop::sample::subsequence(NAMES, 1..=NAMES.len())
        .prop_shuffle()
        .prop_flat_map(|names| {
            names
                .into_iter()
                .map(|n| {
                    value(n).prop_map(move |value| Statement {
                        name: n.to_owned(),
                        keyword: nowhere(),
                        span: nowhere(),
                        value,
                    })
                })
                .collect::<Vec<_>>()
        })
        .prop_map(|statements| Member {
            file: FileId(0),
            statements,
        })
}

// The default configuration runs 256 cases, or PROPTEST_CASES when set.
proptest! {
    #[test]
    fn printed_members_read_back_the_same(member in valid_member()) {
        let printed = member.to_string();
        let parsed = parse(FileId(1), &printed, &Symbols::new());
        prop_assert!(parsed.diagnostics.is_empty(), "{}\n{:#?}", printed, parsed.diagnostics);
        prop_assert_eq!(bare(&member), bare(&parsed.member), "{}", printed);
        for line in printed.lines() {
            prop_assert!(line.chars().count() <= 71, "line over 71 columns:\n{}", printed);
        }
        // Printing is canonical: printing again gives the same text.
        prop_assert_eq!(parsed.member.to_string(), printed);
    }
}
