//! The top-level statements of PROFILE.TCPIP, current and legacy, and how a
//! token is matched against a keyword with IBM's abbreviation rule.
//!
//! A statement ends where the next statement keyword begins, so the parser
//! must know every statement name (shared/reference/profile-statements.md).
//! IBM writes the shortest accepted form in upper case (`VIPADISTribute`);
//! a token matches a keyword when it is a prefix of the keyword at least that
//! long. Where IBM's minimum is not confirmed, we accept the full name and
//! every prefix down to the shortest that no other statement shares, but
//! never fewer than four characters (a two-letter `HO` ending a statement
//! would turn ordinary values into statements); legacy statements only in
//! full.

use std::collections::HashMap;
use std::sync::LazyLock;

/// How the parser finds the end of a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Runs until the next statement keyword.
    Open,
    /// At most this many parameters; the token after them starts a statement.
    Fixed(u8),
    /// Runs until its END keyword (every token in between belongs to it).
    Block { end: &'static str, end_min: u8 },
}

/// One top-level statement.
#[derive(Clone, Copy, Debug)]
pub struct StmtDef {
    pub name: &'static str,
    /// IBM's minimum abbreviation length, or 0 when unconfirmed (computed).
    pub min: u8,
    pub shape: Shape,
    /// `Some(why)` for statements z/OS no longer accepts.
    pub legacy: Option<&'static str>,
    /// Statement names this statement takes as parameters (`DELETE LINK x`),
    /// accepted only as its parameter number `params_at` (0-based): `DELETE`
    /// takes `LINK` first, `INTERFACE name DELETE` second. Anywhere else the
    /// word starts the next statement (`DELETE PORT 20 TCP X` followed by a
    /// `PORT` list).
    pub params: &'static [&'static str],
    pub params_at: u8,
    /// After one of these parameters, the next token is a name, never a keyword.
    pub names_after: &'static [&'static str],
    /// The first N parameters are names (`DEVICE name …`, `START name`).
    pub leading_names: u8,
    /// The token after an IPv4 address is a name (`HOME addr link`).
    pub name_after_address: bool,
}

const fn def(name: &'static str, min: u8, shape: Shape) -> StmtDef {
    StmtDef {
        name,
        min,
        shape,
        legacy: None,
        params: &[],
        params_at: 0,
        names_after: &[],
        leading_names: 0,
        name_after_address: false,
    }
}

const fn block(end: &'static str, end_min: u8) -> Shape {
    Shape::Block { end, end_min }
}

const fn legacy(mut d: StmtDef, why: &'static str) -> StmtDef {
    d.legacy = Some(why);
    d
}

const fn names(mut d: StmtDef, leading: u8) -> StmtDef {
    d.leading_names = leading;
    d
}

const POOL: &str = "a storage pool size of TCP/IP V3 for MVS; z/OS manages these pools itself";
const OLD_BLOCK: &str = "a statement of TCP/IP V3 for MVS that z/OS no longer has";
const TELNET: &str =
    "in-stack TN3270 configuration; on z/OS the TN3270E server reads it from its own profile";
const ATM: &str = "ATM support was removed in z/OS V2R2";

use Shape::{Fixed, Open};

/// Every top-level statement name the parser knows.
pub static STATEMENTS: &[StmtDef] = &[
    def("ARPAGE", 6, Fixed(1)),
    def("AUTOLOG", 5, block("ENDAUTOLOG", 8)),
    def("BEGINROUTES", 6, block("ENDROUTES", 4)),
    def("BSDROUTINGPARMS", 4, block("ENDBSDROUTINGPARMS", 0)),
    def("DEFADDRTABLE", 0, block("ENDDEFADDRTABLE", 0)),
    StmtDef {
        params: &[
            "DEVICE",
            "LINK",
            "PORT",
            "PORTRANGE",
            "ATMARPSV",
            "ATMLIS",
            "ATMPVC",
        ],
        names_after: &[
            "DEVICE", "LINK", "ATMARPSV", "ATMLIS", "ATMPVC", "TCP", "UDP",
        ],
        ..def("DELETE", 4, Open)
    },
    names(def("DEVICE", 3, Open), 1),
    def("GLOBALCONFIG", 10, Open),
    StmtDef {
        name_after_address: true,
        ..def("HOME", 0, Open)
    },
    def("INCLUDE", 0, Fixed(1)),
    StmtDef {
        params: &["DELETE"],
        params_at: 1,
        ..names(def("INTERFACE", 0, Open), 1)
    },
    def("IPCONFIG", 6, Open),
    def("IPCONFIG6", 9, Open),
    def("IPSEC", 5, block("ENDIPSEC", 8)),
    def("ITRACE", 6, Open),
    names(def("LINK", 4, Open), 1),
    def("NETACCESS", 0, block("ENDNETACCESS", 0)),
    def("NETMONITOR", 0, Open),
    def("PKTTRACE", 0, Open),
    StmtDef {
        names_after: &["TCP", "UDP", "SAF"],
        ..def("PORT", 4, Open)
    },
    StmtDef {
        names_after: &["TCP", "UDP", "SAF"],
        ..def("PORTRANGE", 5, Open)
    },
    names(def("PRIMARYINTERFACE", 0, Fixed(1)), 1),
    def("SACONFIG", 6, Open),
    def("SMFCONFIG", 0, Open),
    def("SMFPARMS", 0, Open),
    def("SOMAXCONN", 9, Fixed(1)),
    def("SRCIP", 0, block("ENDSRCIP", 0)),
    names(def("START", 0, Fixed(1)), 1),
    names(def("STOP", 0, Fixed(1)), 1),
    def("TCPCONFIG", 9, Open),
    def("TRANSLATE", 0, Open),
    def("UDPCONFIG", 0, Open),
    def("VIPADYNAMIC", 5, block("ENDVIPADYNAMIC", 8)),
    // Legacy statements: recognised so that they end the statement before
    // them and are skipped whole, with a warning.
    legacy(
        def("GATEWAY", 0, Open),
        "GATEWAY was removed in z/OS V2R2; static routes go in BEGINROUTES … ENDROUTES",
    ),
    legacy(def("ATMARPSV", 0, Open), ATM),
    legacy(def("ATMLIS", 0, Open), ATM),
    legacy(def("ATMPVC", 0, Open), ATM),
    legacy(
        def("TELNETGLOBALS", 0, block("ENDTELNETGLOBALS", 0)),
        TELNET,
    ),
    legacy(def("TELNETPARMS", 0, block("ENDTELNETPARMS", 0)), TELNET),
    legacy(def("BEGINVTAM", 0, block("ENDVTAM", 0)), TELNET),
    legacy(def("ACBPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("ADDRESSTRANSLATIONPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("CCBPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("DATABUFFERPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("ENVELOPEPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("IPROUTEPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("LARGEENVELOPEPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("RCBPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("SCBPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("SKCBPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("SMALLDATABUFFERPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("TCBPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("TINYDATABUFFERPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("UCBPOOLSIZE", 0, Fixed(2)), POOL),
    legacy(def("INFORM", 0, block("ENDINFORM", 0)), OLD_BLOCK),
    legacy(def("OBEY", 0, block("ENDOBEY", 0)), OLD_BLOCK),
    legacy(def("SYSCONTACT", 0, block("ENDSYSCONTACT", 0)), OLD_BLOCK),
    legacy(def("SYSLOCATION", 0, block("ENDSYSLOCATION", 0)), OLD_BLOCK),
    legacy(
        def("ASSORTEDPARMS", 0, block("ENDASSORTEDPARMS", 0)),
        OLD_BLOCK,
    ),
    legacy(
        def("INTERNALCLIENTPARMS", 0, block("ENDINTERNALCLIENTPARMS", 0)),
        OLD_BLOCK,
    ),
    legacy(
        def("KEEPALIVEOPTIONS", 0, block("ENDKEEPALIVEOPTIONS", 0)),
        OLD_BLOCK,
    ),
    legacy(
        def("DATASETPREFIX", 0, Fixed(1)),
        "DATASETPREFIX belongs in TCPIP.DATA; the z/OS profile does not use it",
    ),
    legacy(def("NOTRACE", 0, Fixed(0)), OLD_BLOCK),
    legacy(def("TRACE", 0, Open), OLD_BLOCK),
    legacy(def("MORETRACE", 0, Open), OLD_BLOCK),
    legacy(def("LESSTRACE", 0, Open), OLD_BLOCK),
    legacy(def("SCREEN", 0, Fixed(0)), OLD_BLOCK),
];

/// Words valid only inside a block, and the block they belong to. Found in
/// statement position they get a precise error instead of "unknown".
pub static BLOCK_ONLY: &[(&str, u8, &str)] = &[
    ("VIPADEFINE", 7, "VIPADYNAMIC"),
    ("VIPABACKUP", 5, "VIPADYNAMIC"),
    ("VIPADELETE", 7, "VIPADYNAMIC"),
    ("VIPADISTRIBUTE", 8, "VIPADYNAMIC"),
    ("VIPARANGE", 5, "VIPADYNAMIC"),
    ("VIPAROUTE", 9, "VIPADYNAMIC"),
    ("VIPASMPARMS", 6, "VIPADYNAMIC"),
    ("ROUTE", 5, "BEGINROUTES"),
    ("IPSECRULE", 6, "IPSEC"),
    ("IPSEC6RULE", 10, "IPSEC"),
];

/// Lookup tables built once: every accepted spelling of every keyword.
pub struct Tables {
    statements: HashMap<String, usize>,
    ends: HashMap<String, usize>,
    block_only: HashMap<String, usize>,
    /// Effective minimum length per statement (index as in STATEMENTS).
    mins: Vec<usize>,
    end_mins: Vec<usize>,
}

pub static TABLES: LazyLock<Tables> = LazyLock::new(Tables::build);

const FLOOR: usize = 4;

fn shortest_unique(name: &str, all: &[&str]) -> usize {
    (1..=name.len())
        .find(|&n| {
            let p = &name[..n];
            all.iter().filter(|o| o.starts_with(p)).count() == 1
        })
        .unwrap_or(name.len())
}

fn insert_prefixes(map: &mut HashMap<String, usize>, name: &str, min: usize, idx: usize) {
    for n in min.min(name.len())..=name.len() {
        map.entry(name[..n].to_owned()).or_insert(idx);
    }
}

impl Tables {
    fn build() -> Tables {
        let names: Vec<&str> = STATEMENTS.iter().map(|d| d.name).collect();
        let end_names: Vec<&str> = STATEMENTS
            .iter()
            .filter_map(|d| match d.shape {
                Shape::Block { end, .. } => Some(end),
                _ => None,
            })
            .collect();
        let mut statements = HashMap::new();
        let mut ends = HashMap::new();
        let mut mins = Vec::new();
        let mut end_mins = Vec::new();
        for (i, d) in STATEMENTS.iter().enumerate() {
            let min = if d.min > 0 {
                usize::from(d.min)
            } else if d.legacy.is_some() {
                // Legacy statements only in full: their short forms (INFO,
                // OBEY, TRAC …) are too likely as values in a modern profile.
                d.name.len()
            } else {
                shortest_unique(d.name, &names).max(FLOOR).min(d.name.len())
            };
            mins.push(min);
            insert_prefixes(&mut statements, d.name, min, i);
            let end_min = match d.shape {
                Shape::Block { end, end_min } => {
                    let m = if end_min > 0 {
                        usize::from(end_min)
                    } else {
                        shortest_unique(end, &end_names)
                            .max(FLOOR + 3)
                            .min(end.len())
                    };
                    insert_prefixes(&mut ends, end, m, i);
                    m
                }
                _ => 0,
            };
            end_mins.push(end_min);
        }
        let mut block_only = HashMap::new();
        for (i, (name, min, _)) in BLOCK_ONLY.iter().enumerate() {
            insert_prefixes(&mut block_only, name, usize::from(*min), i);
        }
        Tables {
            statements,
            ends,
            block_only,
            mins,
            end_mins,
        }
    }

    /// The statement a token (already upper case) names, if any.
    pub fn statement(&self, token: &str) -> Option<(usize, &'static StmtDef)> {
        self.statements.get(token).map(|&i| (i, &STATEMENTS[i]))
    }

    /// The block whose END keyword this token is, if any.
    pub fn end_of(&self, token: &str) -> Option<&'static StmtDef> {
        self.ends.get(token).map(|&i| &STATEMENTS[i])
    }

    /// Whether `token` is the END keyword of statement `idx`.
    pub fn is_end(&self, idx: usize, token: &str) -> bool {
        match STATEMENTS[idx].shape {
            Shape::Block { end, .. } => matches_min(token, end, self.end_mins[idx]),
            _ => false,
        }
    }

    pub fn block_only(&self, token: &str) -> Option<(&'static str, &'static str)> {
        self.block_only
            .get(token)
            .map(|&i| (BLOCK_ONLY[i].0, BLOCK_ONLY[i].2))
    }

    /// Whether a token names this statement (used for `params`).
    pub fn names_statement(&self, token: &str, name: &str) -> bool {
        match STATEMENTS.iter().position(|d| d.name == name) {
            Some(i) => matches_min(token, name, self.mins[i]),
            None => token == name,
        }
    }

    #[cfg(test)]
    pub fn min_len(&self, idx: usize) -> usize {
        self.mins[idx]
    }
}

/// IBM's abbreviation rule: `token` is a prefix of `keyword` of at least `min` characters.
pub fn matches_min(token: &str, keyword: &str, min: usize) -> bool {
    token.len() >= min.min(keyword.len()) && keyword.starts_with(token) && !token.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations() {
        let t = &*TABLES;
        assert_eq!(t.statement("VIPAD").map(|s| s.1.name), Some("VIPADYNAMIC"));
        assert_eq!(
            t.statement("VIPADYNAMIC").map(|s| s.1.name),
            Some("VIPADYNAMIC")
        );
        assert!(t.statement("VIPA").is_none());
        assert_eq!(t.statement("IPCONF").map(|s| s.1.name), Some("IPCONFIG"));
        assert_eq!(
            t.statement("IPCONFIG6").map(|s| s.1.name),
            Some("IPCONFIG6")
        );
        assert_eq!(t.statement("BEGINR").map(|s| s.1.name), Some("BEGINROUTES"));
        assert!(t.statement("TCP").is_none());
        assert!(t.statement("UDP").is_none());
        assert!(t.statement("HO").is_none());
        assert_eq!(t.statement("HOME").map(|s| s.1.name), Some("HOME"));
        assert_eq!(t.statement("DEV").map(|s| s.1.name), Some("DEVICE"));
        assert_eq!(t.end_of("ENDVIPAD").map(|s| s.name), Some("VIPADYNAMIC"));
        assert_eq!(t.end_of("ENDR").map(|s| s.name), Some("BEGINROUTES"));
        assert_eq!(
            t.block_only("VIPADIST"),
            Some(("VIPADISTRIBUTE", "VIPADYNAMIC"))
        );
        assert!(t.block_only("VIPARO").is_none());
        // Legacy statements only in full.
        assert!(t.statement("INFO").is_none());
        assert!(t.statement("MORE").is_none());
        assert_eq!(t.statement("INFORM").map(|s| s.1.name), Some("INFORM"));
    }

    #[test]
    fn no_two_statements_share_an_accepted_spelling() {
        let t = &*TABLES;
        for (i, a) in STATEMENTS.iter().enumerate() {
            for n in t.min_len(i)..=a.name.len() {
                let spelling = &a.name[..n];
                let takers: Vec<&str> = STATEMENTS
                    .iter()
                    .enumerate()
                    .filter(|(j, b)| matches_min(spelling, b.name, t.min_len(*j)))
                    .map(|(_, b)| b.name)
                    .collect();
                assert_eq!(takers, vec![a.name], "spelling {spelling}");
            }
        }
    }
}
