//! Property tests (PROPTEST_CASES sets the number of cases; 256 by default):
//! no input makes `parse` or `apply` panic, every finding renders, and a
//! valid profile printed with `Display` parses back to the same tree.

use proptest::prelude::*;
use proptest::sample::select;
use zha_diag::render::{Style, render};
use zha_diag::symbols::Symbols;

use crate::{Run, run_named, strip_spans, tree};

// ---------------------------------------------------------------------------
// No panics, valid spans.

fn symbols() -> Symbols {
    let mut s = Symbols::new();
    s.set("SYSNAME", "SYSA");
    s.set("TWO", "10.1.1.1 255.255.255.0");
    s
}

/// Parse and apply; every span in bounds and on char boundaries, every
/// finding with a primary label and renderable, the tree printable.
fn check(src: &str) -> Run {
    let r = run_named("FUZZ.TCPIP", src, &symbols());
    let ok = |span: zha_diag::Span| {
        let (s, e) = (span.start as usize, span.end as usize);
        s <= e && e <= src.len() && src.is_char_boundary(s) && src.is_char_boundary(e)
    };
    for d in r.diagnostics() {
        assert!(
            d.labels.iter().any(|l| l.primary),
            "{} without a primary label",
            d.code
        );
        for l in &d.labels {
            assert!(ok(l.span), "{}: bad span {:?} in {src:?}", d.code, l.span);
        }
        let text = render(d, &r.sources, Style::Plain);
        assert!(text.contains(d.code));
    }
    for s in r.statements() {
        assert!(ok(s.span) && ok(s.keyword));
    }
    let _ = r.parsed.profile.to_string();
    r
}

const VOCAB: &[&str] = &[
    "VIPADYNAMIC",
    "VIPAD",
    "ENDVIPADYNAMIC",
    "ENDVIPAD",
    "VIPADEFINE",
    "VIPADEF",
    "VIPABACKUP",
    "VIPAB",
    "VIPADELETE",
    "VIPADISTRIBUTE",
    "VIPADIST",
    "VIPARANGE",
    "VIPAROUTE",
    "VIPASMPARMS",
    "DISTMETHOD",
    "DISTM",
    "HOTSTANDBY",
    "BASEWLM",
    "ROUNDROBIN",
    "SERVERWLM",
    "WEIGHTEDACTIVE",
    "AUTOSWITCHBACK",
    "NOAUTOSWITCHBACK",
    "HEALTHSWITCH",
    "NOHEALTHSWITCH",
    "PREFERRED",
    "BACKUP",
    "WEIGHT",
    "DESTIP",
    "ALL",
    "PORT",
    "DEFINE",
    "DELETE",
    "DELE",
    "MOVEABLE",
    "MOVE",
    "IMMEDIATE",
    "WHENIDLE",
    "SERVICEMGR",
    "TIER1",
    "TIER2",
    "CPCSCOPE",
    "TIMEDAFFINITY",
    "TIMEDAFF",
    "OPTLOCAL",
    "NOOPTLOCAL",
    "SYSPLEXPORTS",
    "PROCTYPE",
    "CP",
    "ZIIP",
    "TIER1",
    "NONDISRUPTIVE",
    "IPCONFIG",
    "IPCONFIG6",
    "DYNAMICXCF",
    "NODYNAMICXCF",
    "SYSPLEXROUTING",
    "INTFID",
    "HOME",
    "INTERFACE",
    "IPADDR",
    "INCLUDE",
    "AUTOLOG",
    "ENDAUTOLOG",
    "BEGINROUTES",
    "ENDROUTES",
    "ROUTE",
    "PORTRANGE",
    "PORTR",
    "UNRSV",
    "DENY",
    "RESERVED",
    "AUTHPORT",
    "OMVS",
    "INTCLIEN",
    "IZUSVR*",
    "IZU?VR1",
    "BIND",
    "SHAREPORT",
    "SHAREPORTWLM",
    "NOAUTOLOG",
    "WHENBIND",
    "WHENLISTEN",
    "TCPCONFIG",
    "RESTRICTLOWPORTS",
    "DEVICE",
    "LINK",
    "START",
    "STOP",
    "SOMAXCONN",
    "ARPAGE",
    "GATEWAY",
    "INFORM",
    "ENDINFORM",
    "TCP",
    "UDP",
    "SAF",
    "JOBNAME",
    "PARMSTRING",
    "10.1.1.1",
    "10.1.9.1",
    "9.67.240.02",
    "255.255.255.0",
    "255.255.0.255",
    "300.1.1.1",
    "10.1.1",
    "2001:db8::1",
    "2001:db8::/64",
    "DVIPA6",
    "0",
    "1",
    "31",
    "100",
    "254",
    "255",
    "443",
    "8000-8010",
    "8010-8000",
    "65536",
    "99999999999",
    "-",
    "*",
    "\"",
    "\"quoted ; text\"",
    "&SYSNAME.",
    "&TWO.",
    "&NOPE.",
    "&SYSNAME(2:3).",
    "&SYSNAME(-9:0)",
    "&TWO(2)",
    "&NOPE(-1:2).",
    "&SYSNAME(",
    "(99999999999999999999999:1)",
    "&",
    "&&",
    "é",
    "¬",
    "\u{a0}",
    "ÉNDVIPAD",
];
const SEPS: &[&str] = &[
    " ",
    " ",
    " ",
    "  ",
    "\n",
    "\r\n",
    "\t",
    ";",
    " ; comment\n",
    "",
    "\n;x\n",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec((select(VOCAB), select(SEPS)), 0..80)
        .prop_map(|v| v.into_iter().flat_map(|(w, s)| [w, s]).collect::<String>())
}

proptest! {
    #[test]
    fn arbitrary_strings_do_not_panic(s in any::<String>()) {
        check(&s);
    }

    #[test]
    fn arbitrary_bytes_do_not_panic(b in prop::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&b));
    }

    #[test]
    fn token_soups_do_not_panic(s in soup()) {
        check(&s);
    }

    #[test]
    fn long_lines_and_sequence_numbers_do_not_panic(
        prefix in "[ -~éÉ¬]{60,90}",
        digits in "[0-9;A ]{6,10}",
    ) {
        check(&format!("{prefix}{digits}\n{prefix}\r\n"));
    }
}

// ---------------------------------------------------------------------------
// Round trip: random valid profiles.

/// A keyword spelled with IBM's abbreviation rule (any length from the
/// minimum up) in random case.
fn kw(full: &'static str, min: usize) -> BoxedStrategy<String> {
    (min..=full.len(), any::<u32>())
        .prop_map(move |(n, case)| {
            full[..n]
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if (case >> (i % 32)) & 1 == 1 {
                        c.to_ascii_lowercase()
                    } else {
                        c
                    }
                })
                .collect()
        })
        .boxed()
}

fn word(w: &'static str) -> BoxedStrategy<String> {
    kw(w, w.len())
}

/// An IPv4 address, sometimes with leading zeros; never a mask look-alike.
fn v4() -> BoxedStrategy<String> {
    (
        1u8..=223,
        any::<u8>(),
        any::<u8>(),
        1u8..=254,
        any::<bool>(),
    )
        .prop_map(|(a, b, c, d, zeros)| {
            if zeros {
                format!("{a:03}.{b:02}.{c}.{d:03}")
            } else {
                format!("{a}.{b}.{c}.{d}")
            }
        })
        .boxed()
}

fn v6() -> BoxedStrategy<String> {
    (any::<u16>(), 1u16.., any::<bool>())
        .prop_map(|(a, b, upper)| {
            let s = format!("2001:db8:{a:x}::{b:x}");
            if upper { s.to_ascii_uppercase() } else { s }
        })
        .boxed()
}

fn mask() -> BoxedStrategy<String> {
    (8u32..=32)
        .prop_map(|len| {
            let m = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            std::net::Ipv4Addr::from(m).to_string()
        })
        .boxed()
}

/// A name that spells no keyword (it holds a digit).
fn name() -> BoxedStrategy<String> {
    "[A-Z]{1,3}[0-9]{1,3}".boxed()
}

fn opt(s: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop::option::of(s)
        .prop_map(Option::unwrap_or_default)
        .boxed()
}

/// Join the non-empty parts of a statement with blanks.
fn join(parts: Vec<String>) -> String {
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn tier() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        word("TIER1"),
        word("TIER2"),
        (word("TIER2"), word("CPCSCOPE")).prop_map(|(a, b)| format!("{a} {b}")),
        word("CPCSCOPE"),
    ]
    .boxed()
}

fn moveable() -> BoxedStrategy<String> {
    prop_oneof![
        (kw("MOVEABLE", 4), kw("IMMEDIATE", 5)).prop_map(|(a, b)| format!("{a} {b}")),
        (kw("MOVEABLE", 4), word("WHENIDLE")).prop_map(|(a, b)| format!("{a} {b}")),
    ]
    .boxed()
}

fn addrs() -> BoxedStrategy<String> {
    prop::collection::vec(v4(), 1..4)
        .prop_map(|v| v.join(" "))
        .boxed()
}

fn v6_form() -> BoxedStrategy<String> {
    (
        prop::option::of((kw("MOVEABLE", 4), kw("IMMEDIATE", 5))),
        name(),
        v6(),
        prop::option::of(0u8..=128),
    )
        .prop_map(|(m, n, a, p)| {
            let m = m.map(|(a, b)| format!("{a} {b}")).unwrap_or_default();
            let p = p.map(|p| format!("/{p}")).unwrap_or_default();
            join(vec![m, n, format!("{a}{p}")])
        })
        .boxed()
}

fn vipadefine() -> BoxedStrategy<String> {
    let v4form = (
        tier(),
        opt(moveable()),
        opt(word("SERVICEMGR")),
        mask(),
        addrs(),
    )
        .prop_map(|(t, m, s, k, a)| join(vec![t, m, s, k, a]));
    (
        kw("VIPADEFINE", 7),
        prop_oneof![3 => v4form, 1 => v6_form()],
    )
        .prop_map(|(k, rest)| format!("{k} {rest}"))
        .boxed()
}

fn vipabackup() -> BoxedStrategy<String> {
    let plain = (tier(), addrs()).prop_map(|(t, a)| join(vec![t, a]));
    let moving = (tier(), moveable(), opt(word("SERVICEMGR")), mask(), addrs())
        .prop_map(|(t, m, s, k, a)| join(vec![t, m, s, k, a]));
    (
        kw("VIPABACKUP", 5),
        prop::option::of(1u32..=254),
        prop_oneof![2 => plain, 2 => moving, 1 => v6_form()],
    )
        .prop_map(|(k, rank, rest)| {
            join(vec![
                k,
                rank.map(|r| r.to_string()).unwrap_or_default(),
                rest,
            ])
        })
        .boxed()
}

fn vipadelete() -> BoxedStrategy<String> {
    (kw("VIPADELETE", 7), prop_oneof![v4(), v6(), name()])
        .prop_map(|(k, a)| format!("{k} {a}"))
        .boxed()
}

fn method() -> BoxedStrategy<String> {
    prop_oneof![
        word("BASEWLM"),
        word("ROUNDROBIN"),
        word("SERVERWLM"),
        kw("WEIGHTEDACTIVE", 9),
        word("HOTSTANDBY"),
        word("TARGCONTROLLED"),
    ]
    .boxed()
}

fn port() -> BoxedStrategy<String> {
    prop_oneof![
        (1u16..).prop_map(|p| p.to_string()),
        (1u16.., 0u16..100).prop_map(|(lo, n)| format!("{lo}-{}", lo.saturating_add(n))),
    ]
    .boxed()
}

fn dest_entry() -> BoxedStrategy<String> {
    let role = prop_oneof![
        Just(String::new()),
        word("PREFERRED"),
        word("BACKUP"),
        (word("BACKUP"), 1u32..=254).prop_map(|(b, r)| format!("{b} {r}")),
        (word("WEIGHT"), 0u32..=99).prop_map(|(w, n)| format!("{w} {n}")),
    ];
    (prop_oneof![3 => v4(), 1 => v6()], role)
        .prop_map(|(a, r)| join(vec![a, r]))
        .boxed()
}

fn vipadistribute() -> BoxedStrategy<String> {
    let options = (
        opt(word("DEFINE")),
        opt((kw("DISTMETHOD", 5), method())
            .prop_map(|(a, b)| format!("{a} {b}"))
            .boxed()),
        opt(prop_oneof![word("AUTOSWITCHBACK"), word("NOAUTOSWITCHBACK")].boxed()),
        opt(prop_oneof![word("HEALTHSWITCH"), word("NOHEALTHSWITCH")].boxed()),
        opt(kw("SYSPLEXPORTS", 8)),
        opt((kw("TIMEDAFFINITY", 8), 0u32..=99_999)
            .prop_map(|(k, n)| format!("{k} {n}"))
            .boxed()),
        opt(prop_oneof![
            word("OPTLOCAL"),
            (word("OPTLOCAL"), 0u32..=16).prop_map(|(k, n)| format!("{k} {n}")),
            word("NOOPTLOCAL"),
        ]
        .boxed()),
        opt((word("PROCTYPE"), 0u32..100, 0u32..100)
            .prop_map(|(k, a, b)| format!("{k} CP {a} ZIIP {b}"))
            .boxed()),
    )
        .prop_flat_map(|(a, b, c, d, e, f, g, h)| {
            Just(vec![a, b, c, d, e, f, g, h]).prop_shuffle()
        });
    let destip = prop_oneof![
        1 => (word("DESTIP"), word("ALL")).prop_map(|(a, b)| format!("{a} {b}")),
        3 => (word("DESTIP"), prop::collection::vec(dest_entry(), 1..6))
            .prop_map(|(d, l)| format!("{d} {}", l.join("\n        "))),
    ];
    let ports =
        prop::option::of((word("PORT"), prop::collection::vec(port(), 1..4))).prop_map(|p| {
            p.map(|(k, v)| format!("{k} {}", v.join(" ")))
                .unwrap_or_default()
        });
    let define =
        (options, prop_oneof![3 => v4(), 1 => name()], ports, destip).prop_map(|(o, a, p, d)| {
            let mut parts = o;
            parts.extend([a, p, d]);
            join(parts)
        });
    let delete = (
        kw("DELETE", 4),
        v4(),
        (word("PORT"), port()),
        prop::option::of(v4()),
    )
        .prop_map(|(k, a, (pk, p), d)| {
            join(vec![
                k,
                a,
                format!("{pk} {p}"),
                d.map(|d| format!("DESTIP {d}")).unwrap_or_default(),
            ])
        });
    (
        kw("VIPADISTRIBUTE", 8),
        prop_oneof![4 => define, 1 => delete],
    )
        .prop_map(|(k, rest)| format!("{k} {rest}"))
        .boxed()
}

fn viparange() -> BoxedStrategy<String> {
    (
        kw("VIPARANGE", 5),
        opt(prop_oneof![word("DEFINE"), kw("DELETE", 4)].boxed()),
        opt(prop_oneof![
            (kw("MOVEABLE", 4), kw("NONDISRUPTIVE", 10)).prop_map(|(a, b)| format!("{a} {b}")),
            (kw("MOVEABLE", 4), kw("DISRUPTIVE", 7)).prop_map(|(a, b)| format!("{a} {b}")),
        ]
        .boxed()),
        mask(),
        v4(),
        opt(prop_oneof![
            Just("ZCX".to_owned()),
            name().prop_map(|n| format!("SAF {n}"))
        ]
        .boxed()),
    )
        .prop_map(|(k, d, m, mk, a, t)| join(vec![k, d, m, mk, a, t]))
        .boxed()
}

fn sub_statement() -> BoxedStrategy<String> {
    prop_oneof![
        3 => vipadefine(),
        2 => vipabackup(),
        1 => vipadelete(),
        4 => vipadistribute(),
        1 => viparange(),
        1 => (v4(), v4()).prop_map(|(a, b)| format!("VIPAROUTE DEFINE {a} {b}")),
        1 => (v4(), 1u32..65535).prop_map(|(a, p)| format!("VIPASMPARMS SMMCAST {a} SMPORT {p}")),
    ]
    .boxed()
}

fn vipadynamic() -> BoxedStrategy<String> {
    (
        kw("VIPADYNAMIC", 5),
        prop::collection::vec(sub_statement(), 0..7),
        kw("ENDVIPADYNAMIC", 8),
    )
        .prop_map(|(open, subs, end)| {
            let mut s = open;
            for sub in subs {
                s.push_str("\n   ");
                s.push_str(&sub);
            }
            format!("{s}\n{end}")
        })
        .boxed()
}

fn ipconfig() -> BoxedStrategy<String> {
    let dx = prop_oneof![
        (v4(), mask(), 0u32..100).prop_map(|(a, m, c)| format!("DYNAMICXCF {a} {m} {c}")),
        (v4(), 1u8..=32, 0u32..100).prop_map(|(a, l, c)| format!("DYNAMICXCF {a}/{l} {c}")),
        (v4(), mask()).prop_map(|(a, m)| format!("DYNAMICXCF {a} {m}")),
        Just("NODYNAMICXCF".to_owned()),
    ];
    let routing = prop_oneof![kw("SYSPLEXROUTING", 8), kw("NOSYSPLEXROUTING", 10)];
    let other = select(
        &[
            "DATAGRAMFWD",
            "NODATAGRAMFWD",
            "SOURCEVIPA",
            "IGNOREREDIRECT",
            "MULTIPATH PERCONNECTION",
            "PATHMTUDISCOVERY",
            "TTL 64",
            "ARPTO 1200",
            "IPSECURITY",
        ][..],
    )
    .prop_map(str::to_owned);
    let v4cfg = (
        kw("IPCONFIG", 6),
        prop::collection::vec(prop_oneof![dx, routing.boxed(), other.boxed()], 0..5),
    )
        .prop_flat_map(|(k, ps)| (Just(k), Just(ps).prop_shuffle()))
        .prop_map(|(k, ps)| format!("{k} {}", ps.join("\n    ")));
    let v6cfg = (
        prop::option::of((v6(), prop::option::of(1u8..=128), any::<bool>())),
        any::<bool>(),
    )
        .prop_map(|(dx, fwd)| {
            let mut s = "IPCONFIG6".to_owned();
            if fwd {
                s.push_str(" DATAGRAMFWD");
            }
            if let Some((a, p, intf)) = dx {
                s.push_str(&format!(" DYNAMICXCF {a}"));
                if let Some(p) = p {
                    s.push_str(&format!("/{p}"));
                }
                if intf {
                    s.push_str(" INTFID 0:0:0:1");
                }
            }
            s
        });
    prop_oneof![3 => v4cfg, 1 => v6cfg].boxed()
}

fn home() -> BoxedStrategy<String> {
    prop::collection::vec((v4(), name()), 0..4)
        .prop_map(|e| {
            let mut s = "HOME".to_owned();
            for (a, l) in e {
                s.push_str(&format!("\n   {a} {l}"));
            }
            s
        })
        .boxed()
}

fn interface() -> BoxedStrategy<String> {
    (
        name(),
        name(),
        v4(),
        1u8..=32,
        opt((1u32..4095).prop_map(|v| format!("VLANID {v}")).boxed()),
    )
        .prop_map(|(n, p, a, l, vlan)| {
            join(vec![
                format!("INTERFACE {n}\n  DEFINE IPAQENET\n  PORTNAME {p}\n  IPADDR {a}/{l}"),
                vlan,
            ])
        })
        .boxed()
}

fn include() -> BoxedStrategy<String> {
    prop_oneof![
        (name(), name()).prop_map(|(a, m)| format!("INCLUDE sys1.{a}.tcpparms({m})")),
        "[a-z]{1,6}".prop_map(|p| format!("INCLUDE /u/tcpip/{p}/Prof.tcpip")),
    ]
    .boxed()
}

fn other_statement() -> BoxedStrategy<String> {
    prop_oneof![
        (0u32..100).prop_map(|n| format!("ARPAGE {n}")),
        (1u32..4096).prop_map(|n| format!("SOMAXCONN {n}")),
        prop::collection::vec(
            (
                1u16..,
                prop_oneof![Just("TCP"), Just("UDP")],
                prop_oneof![name(), Just("*".to_owned())],
                select(&["", "NOAUTOLOG", "SHAREPORT", "BIND 10.1.1.1", "SAF PORTSEC"][..])
            ),
            1..5
        )
        .prop_map(|v| {
            let mut s = "PORT".to_owned();
            for (p, t, j, o) in v {
                s.push_str(&format!("\n   {p} {t} {j} {o}"));
            }
            s
        }),
        (
            kw("AUTOLOG", 5),
            name(),
            name(),
            "[a-zA-Z0-9=;/ -]{0,12}",
            kw("ENDAUTOLOG", 8)
        )
            .prop_map(|(k, p, j, parm, e)| format!(
                "{k} 5\n  {p} JOBNAME {j}\n  TRMD PARMSTRING \"{parm}\"\n{e}"
            )),
        (kw("BEGINROUTES", 6), v4(), name(), kw("ENDROUTES", 4))
            .prop_map(|(k, a, l, e)| format!("{k}\n  ROUTE DEFAULT {a} {l} MTU 1492\n{e}")),
        name().prop_map(|n| format!("START {n}")),
        name().prop_map(|n| format!("STOP {n}")),
        name().prop_map(|n| format!("DELETE LINK {n}")),
        (name(), 1u16..).prop_map(|(n, p)| format!("DELETE PORT {p} TCP {n}")),
        prop::collection::vec(
            (
                1u16..,
                1u16..,
                prop_oneof![Just("TCP"), Just("UDP")],
                prop_oneof![
                    name(),
                    Just("OMVS".to_owned()),
                    Just("RESERVED".to_owned()),
                    Just("AUTHPORT".to_owned())
                ],
                select(&["", "NOAUTOLOG", "DELAYACKS SAF RNG1", "NOSMC"][..])
            ),
            1..4
        )
        .prop_map(|v| {
            let mut s = "PORTRANGE".to_owned();
            for (p, n, t, j, o) in v {
                s.push_str(&format!("\n   {p} {n} {t} {j} {o}"));
            }
            s
        }),
        (
            prop_oneof![Just("TCP"), Just("UDP")],
            select(&["* DENY", "* SAF UNRSV1", "IZU* SAF X1", "A1 WHENBIND"][..])
        )
            .prop_map(|(t, rest)| format!("PORT UNRSV {t} {rest}")),
        Just("TCPCONFIG TTLS RESTRICTLOWPORTS".to_owned()),
        Just("GLOBALCONFIG TCPIPSTATISTICS".to_owned()),
        Just("ITRACE OFF".to_owned()),
        (name(), name()).prop_map(|(d, l)| format!("DEVICE {d} MPCIPA\nLINK {l} IPAQIDIO {d}")),
    ]
    .boxed()
}

fn statement() -> BoxedStrategy<String> {
    prop_oneof![
        4 => vipadynamic(),
        2 => ipconfig(),
        1 => home(),
        1 => interface(),
        1 => include(),
        3 => other_statement(),
    ]
    .boxed()
}

/// A whole profile: statements with comments around, LF or CRLF.
fn profile() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((statement(), opt("; [ -~]{0,30}".boxed())), 1..8),
        any::<bool>(),
    )
        .prop_map(|(stmts, crlf)| {
            let mut s = String::from("; generated profile\n");
            for (st, comment) in stmts {
                s.push_str(&st);
                if !comment.is_empty() {
                    s.push_str("   ");
                    s.push_str(&comment);
                }
                s.push('\n');
            }
            if crlf { s.replace('\n', "\r\n") } else { s }
        })
}

proptest! {
    #[test]
    fn printing_and_reparsing_gives_the_same_tree(src in profile()) {
        let first = check(&src);
        prop_assert!(
            first.parsed.diagnostics.is_empty(),
            "the generator made an invalid profile:\n{}",
            first.rendered()
        );
        let printed = first.parsed.profile.to_string();
        let again = check(&printed);
        prop_assert!(
            again.parsed.diagnostics.is_empty(),
            "the printed profile does not parse clean:\n{printed}\n{}",
            again.rendered()
        );
        prop_assert_eq!(tree(&again.parsed.profile), tree(&first.parsed.profile), "printed:\n{}", printed);
        // And it means the same to z/OS.
        prop_assert_eq!(
            strip_spans(&format!("{:?}", again.stack)),
            strip_spans(&format!("{:?}", first.stack))
        );
        prop_assert_eq!(
            again.applied.iter().map(|d| d.code).collect::<Vec<_>>(),
            first.applied.iter().map(|d| d.code).collect::<Vec<_>>()
        );
        // Printing is stable.
        prop_assert_eq!(again.parsed.profile.to_string(), printed);
    }
}
