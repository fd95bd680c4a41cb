//! The ids of findings about PROFILE.TCPIP, and what `explain` says of them.

use zha_diag::CodeInfo;

pub use zha_diag::symbols::UNRESOLVED_SYMBOL;

pub const SEQUENCE_NUMBER: &str = "ZHA0101";
pub const SEMICOLON_NO_BLANK: &str = "ZHA0102";
pub const UNKNOWN_STATEMENT: &str = "ZHA0103";
pub const MISSING_END: &str = "ZHA0104";
pub const STRAY_END: &str = "ZHA0105";
pub const LEGACY: &str = "ZHA0106";
pub const OUT_OF_BLOCK: &str = "ZHA0107";
pub const SYNTAX: &str = "ZHA0111";
pub const RANGE: &str = "ZHA0112";
pub const UNTERMINATED_QUOTE: &str = "ZHA0113";
pub const EMPTY_PROFILE: &str = "ZHA0114";
pub const PORT_ENTRY: &str = "ZHA0115";
pub const PORT_IGNORED: &str = "ZHA0116";
pub const DELETE_NOTHING: &str = "ZHA0117";

pub const HS_NO_ROLES: &str = "ZHA2001";
pub const HS_ROLE_COUNT: &str = "ZHA2002";
pub const HS_TOO_MANY_BACKUPS: &str = "ZHA2003";
pub const HS_DUPLICATE: &str = "ZHA2004";
pub const HS_DESTIP_ALL: &str = "ZHA2005";
pub const HS_KEYWORD_OTHER_METHOD: &str = "ZHA2006";
pub const DVIPA_NOT_DEFINED: &str = "ZHA2011";
pub const EQUAL_RANKS: &str = "ZHA2015";
pub const DVIPA_IS_HOME: &str = "ZHA2016";
pub const DVIPA_DEFINED_TWICE: &str = "ZHA2017";
pub const BACKUP_NOT_MOVEABLE: &str = "ZHA2020";

pub const CODES: &[CodeInfo] = &[
    CodeInfo {
        code: SEQUENCE_NUMBER,
        severities: "E",
        title: "sequence numbers in columns 73-80 of a profile",
        explanation: "PROFILE.TCPIP is free format and z/OS does not allow sequence numbers: \
an 8-digit number in columns 73-80 is read as one more parameter of the statement on that line, \
which breaks it. ISPF adds them when a data set is edited with NUMBER ON.\n\n\
zosmf-ha reports them once per file, with the lines that carry them, and reads those lines \
without the numbers, so that the other checks still see the statements.\n\nFix: in ISPF, \
enter UNNUM (or NUMBER OFF) and save.",
    },
    CodeInfo {
        code: SEMICOLON_NO_BLANK,
        severities: "W",
        title: "a `;` comment directly after a parameter",
        explanation: "A `;` starts a comment, but IBM requires a blank between a parameter and \
the comment after it. Real profiles contain `REPL;CHG`; z/OS may read such a word as a single \
parameter. zosmf-ha treats the `;` as a comment start.\n\nFix: insert a blank before the `;`.",
    },
    CodeInfo {
        code: UNKNOWN_STATEMENT,
        severities: "W",
        title: "a word in statement position that is no profile statement",
        explanation: "zosmf-ha knows the names and abbreviations of all top-level profile \
statements, current and legacy. A word where a statement must start that is none of them is \
skipped, with every word after it up to the next statement keyword. It is often a misspelled \
statement, or a parameter left over after a statement that takes a fixed number of them \
(ARPAGE, SOMAXCONN, START, STOP, INCLUDE …).\n\nFix: correct the spelling or remove the words.",
    },
    CodeInfo {
        code: MISSING_END,
        severities: "E",
        title: "a block statement without its END keyword",
        explanation: "VIPADYNAMIC, AUTOLOG, BEGINROUTES and other blocks end with an END keyword \
(ENDVIPADYNAMIC, ENDAUTOLOG, ENDROUTES …). Without it, z/OS reads every later token of the data \
set as part of the block, so the statements after it are lost or misread. A block may not \
continue into or out of an INCLUDE file.\n\nFix: add the END keyword where the block ends; the \
finding points at the first statement the block swallows.",
    },
    CodeInfo {
        code: STRAY_END,
        severities: "E",
        title: "an END keyword with no open block",
        explanation: "An END keyword (ENDVIPADYNAMIC, ENDAUTOLOG …) appears where no block of \
that kind is open: the opening statement is missing or misspelled, or the block was already \
closed.\n\nFix: add or correct the opening statement, or remove the END keyword.",
    },
    CodeInfo {
        code: LEGACY,
        severities: "W",
        title: "a statement z/OS no longer accepts",
        explanation: "The statement belongs to an older TCP/IP (TCP/IP V3 for MVS, in-stack \
TN3270, ATM, GATEWAY …). It is recognised so that the statements around it parse correctly, \
and skipped.\n\nFix: remove or convert it before the profile is used on a current z/OS.",
    },
    CodeInfo {
        code: OUT_OF_BLOCK,
        severities: "E",
        title: "a sub-statement outside its block",
        explanation: "VIPADEFINE, VIPABACKUP, VIPADISTRIBUTE and the other VIPA sub-statements \
are valid only inside VIPADYNAMIC … ENDVIPADYNAMIC; ROUTE only inside BEGINROUTES … ENDROUTES. \
Outside, z/OS reports a syntax error and the definition does not exist.\n\nFix: move the \
statement into its block (or add the block around it).",
    },
    CodeInfo {
        code: SYNTAX,
        severities: "E",
        title: "a syntax error in a statement zosmf-ha models",
        explanation: "zosmf-ha models VIPADYNAMIC and its sub-statements, IPCONFIG DYNAMICXCF, \
HOME, INTERFACE and INCLUDE in full, and reports where their syntax is broken and what was \
expected.\n\nInside VIPADYNAMIC this matters twice: z/OS stops processing the rest of the \
block at the first syntax error, so later VIPADEFINE or VIPADISTRIBUTE statements of the same \
block never take effect. The finding lists them.\n\nFix: correct the statement as the help \
line shows.",
    },
    CodeInfo {
        code: RANGE,
        severities: "E",
        title: "a number out of its allowed range",
        explanation: "A rank, port, weight or time is outside what the statement allows: \
VIPABACKUP and BACKUP ranks are 1-254, ports 1-65535, OPTLOCAL 0-16. Inside VIPADYNAMIC this is \
a syntax error that ends processing of the block.\n\nFix: use a value in the range.",
    },
    CodeInfo {
        code: UNTERMINATED_QUOTE,
        severities: "W",
        title: "a double-quoted string without its closing quote",
        explanation: "A `\"` opens a string (as in AUTOLOG PARMSTRING) that must close on the same \
line. zosmf-ha takes the rest of the line as the string.\n\nFix: add the closing quote.",
    },
    CodeInfo {
        code: EMPTY_PROFILE,
        severities: "W",
        title: "a profile with no statements",
        explanation: "The file holds only blanks and comments. A stack started with it has no \
DVIPA, no DYNAMICXCF and no sysplex distribution.\n\nFix: check that sysplex.toml names the \
right file.",
    },
    CodeInfo {
        code: PORT_ENTRY,
        severities: "W",
        title: "a PORT or PORTRANGE entry zosmf-ha cannot read",
        explanation: "PORT and PORTRANGE reserve ports for job names: `443 TCP IZUSVR1`, \
`10000 2000 TCP OMVS`, `UNRSV TCP * DENY`. zosmf-ha reads them to tell whether the z/OSMF \
server may listen on its port. An entry without a protocol or job name, with a port out of \
1-65535, a job name longer than 8 characters, or BIND without an address is left out of that \
check; an option zosmf-ha does not know is skipped and the entry kept.\n\nFix: write the \
entry as IBM's PORT or PORTRANGE syntax shows; the options follow the job name.",
    },
    CodeInfo {
        code: PORT_IGNORED,
        severities: "E",
        title: "a port reservation z/OS ignores",
        explanation: "A port may be reserved by PORT statements (several times, for several \
jobs) or by one PORTRANGE, not by both: a PORT entry for a port inside an earlier PORTRANGE is \
ignored, and a PORTRANGE that holds a port reserved earlier, or overlaps an earlier PORTRANGE, \
is ignored; z/OS reports an error either way. DENY on a PORT UNRSV entry is valid only with the \
job name `*`: otherwise z/OS issues EZZ0146I and ignores the whole PORT statement, every \
reservation in it included.\n\nA reservation that is ignored protects nothing, and a server \
that relied on it may find its port taken.\n\nFix: reserve each port in one place; use DENY \
only as `UNRSV TCP * DENY`.",
    },
    CodeInfo {
        code: DELETE_NOTHING,
        severities: "W",
        title: "a VIPADISTRIBUTE DELETE that removes nothing",
        explanation: "A VIPADISTRIBUTE DELETE removes the named ports (every port when PORT is \
omitted) and, when it names DESTIPs, only those targets, of a distribution of the DVIPA that an \
earlier VIPADISTRIBUTE DEFINE put in effect. This one matches none: the DVIPA is not \
distributed at that point of the profile, or on none of the named ports, or to none of the \
named targets. It is most often a typo in the address or the port, and the distribution it was \
meant to remove stays in effect.\n\nFix: name the DVIPA, ports and DESTIPs of the \
VIPADISTRIBUTE DEFINE to remove, or delete the statement.",
    },
    CodeInfo {
        code: HS_NO_ROLES,
        severities: "E",
        title: "HOTSTANDBY without PREFERRED or BACKUP (EZZ0826I)",
        explanation: "DISTMETHOD HOTSTANDBY needs each DESTIP target marked PREFERRED or BACKUP. \
When none is, z/OS issues EZZ0826I and ignores the VIPADISTRIBUTE statement: the DVIPA is not \
distributed at all.\n\nFix: mark one target PREFERRED and the others BACKUP with a rank, e.g. \
`DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100`.",
    },
    CodeInfo {
        code: HS_ROLE_COUNT,
        severities: "E",
        title: "not exactly one PREFERRED and at least one BACKUP (EZZ0827I)",
        explanation: "A HOTSTANDBY VIPADISTRIBUTE must have exactly one PREFERRED target and at \
least one BACKUP. Otherwise z/OS issues EZZ0827I and ignores the statement, so there is no hot \
standby.\n\nA target that is neither PREFERRED nor BACKUP is reported too: hot standby gives \
every target one of the two roles, and zosmf-ha does not apply such a statement (IBM documents \
no message for it). WEIGHT is no hot-standby role: z/OS issues EZZ0799I and ignores it.\n\n\
After a VIPADISTRIBUTE DELETE that names some DESTIPs, the targets that remain are judged \
again by the same rule.\n\nFix: keep one PREFERRED; mark every other target BACKUP.",
    },
    CodeInfo {
        code: HS_TOO_MANY_BACKUPS,
        severities: "E",
        title: "more than 31 BACKUP targets (EZZ0829I)",
        explanation: "HOTSTANDBY allows at most 31 backups (32 targets). With more, z/OS issues \
EZZ0829I and ignores the statement.\n\nFix: remove backups.",
    },
    CodeInfo {
        code: HS_DUPLICATE,
        severities: "E",
        title: "a target listed twice, or both PREFERRED and BACKUP (EZZ0830I)",
        explanation: "Each DESTIP address may appear once. An address repeated (for example once \
PREFERRED and once BACKUP) makes z/OS issue EZZ0830I and ignore the statement.\n\nFix: list \
each target's DYNAMICXCF address once.",
    },
    CodeInfo {
        code: HS_DESTIP_ALL,
        severities: "E",
        title: "DESTIP ALL with HOTSTANDBY (EZZ0165I)",
        explanation: "Hot standby needs to know which target is preferred, so DESTIP ALL is not \
allowed with DISTMETHOD HOTSTANDBY: z/OS issues EZZ0165I and rejects the statement.\n\nFix: \
list the targets' DYNAMICXCF addresses with PREFERRED and BACKUP.",
    },
    CodeInfo {
        code: HS_KEYWORD_OTHER_METHOD,
        severities: "E",
        title: "a HOTSTANDBY keyword with another DISTMETHOD (EZZ0831I)",
        explanation: "PREFERRED, BACKUP, AUTOSWITCHBACK, NOAUTOSWITCHBACK, HEALTHSWITCH and \
NOHEALTHSWITCH belong to DISTMETHOD HOTSTANDBY.\n\nWith another DISTMETHOD written out, z/OS \
issues EZZ0831I and ignores this statement and every later statement of the VIPADYNAMIC block, \
which can silently remove other DVIPAs. The finding lists the statements lost.\n\nWith no \
DISTMETHOD at all the method is BASEWLM, and z/OS does not distribute the DVIPA in hot standby \
with this statement; IBM documents no message for that case, so zosmf-ha cites none and \
judges the later statements of the block as applied.\n\nFix: add DISTMETHOD HOTSTANDBY, or \
remove the hot-standby keywords.",
    },
    CodeInfo {
        code: DVIPA_NOT_DEFINED,
        severities: "E",
        title: "a distributed DVIPA not defined on the same stack, or defined after it",
        explanation: "VIPADISTRIBUTE turns on sysplex distribution for a DVIPA that the same \
stack owns or backs up: it needs a VIPADEFINE or VIPABACKUP for that address in the same \
profile, and before it: IBM says \"the VIPA is first defined with the VIPADEFINE statement and \
then included on a VIPADISTRIBUTE statement\". z/OS reads the profile in order, so a \
VIPADISTRIBUTE that comes before the definition of its DVIPA names an address the stack does \
not have yet. Without a definition, or with it too late, the distribution does not take \
effect.\n\nFix: add `VIPADEFINE mask dvipa` on the distributing system (or VIPABACKUP on a \
backup distributor) before the VIPADISTRIBUTE, or move the VIPADISTRIBUTE after it.",
    },
    CodeInfo {
        code: EQUAL_RANKS,
        severities: "W",
        title: "BACKUP targets with equal ranks",
        explanation: "When the preferred target is down, the highest-ranked available backup \
takes new connections. With equal ranks the order on z/OS is not documented; zosmf-ha's \
distributor uses DESTIP order. A takeover order that matters should be written down.\n\nFix: \
give each BACKUP a distinct rank (higher is tried first), e.g. BACKUP 100, BACKUP 50.",
    },
    CodeInfo {
        code: DVIPA_IS_HOME,
        severities: "E",
        title: "a DVIPA that is also a home or DYNAMICXCF address (EZZ8307I)",
        explanation: "A dynamic VIPA must be an address of its own. If it is already a HOME or \
INTERFACE address or the DYNAMICXCF address of a stack, z/OS issues EZZ8307I (address already \
defined) and drops it, and clients of the DVIPA reach one fixed system instead of the \
distributor.\n\nFix: choose a DVIPA that no stack uses as a home or DYNAMICXCF address.",
    },
    CodeInfo {
        code: DVIPA_DEFINED_TWICE,
        severities: "E",
        title: "a DVIPA defined twice in one profile without VIPADELETE",
        explanation: "Within one profile a DVIPA may appear on one VIPADEFINE or VIPABACKUP \
only. A later definition of the same address is rejected unless a VIPADELETE for it comes \
first.\n\nFix: remove the duplicate, or put `VIPADELETE address` before the redefinition.",
    },
    CodeInfo {
        code: BACKUP_NOT_MOVEABLE,
        severities: "W",
        title: "a VIPABACKUP without MOVEABLE for a DVIPA this stack distributes",
        explanation: "A VIPABACKUP without MOVEABLE only takes over a DVIPA that another stack \
has already created. When this stack's system is IPLed first (or the owner is down), it does \
not create the DVIPA, so its VIPADISTRIBUTE distributes nothing until the owning stack comes up \
(IBM support Q&A 433874, \"Backup sysplex distributor is not creating the DVIPA\"). With \
MOVEABLE IMMEDIATE and a mask the backup creates the DVIPA itself when no other stack has it.\n\n\
The rule judges one profile: it fires when the same profile distributes the DVIPA.\n\nFix: \
write `VIPABACKUP rank MOVEABLE IMMEDIATE mask dvipa`.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_one_catalog_entry() {
        let ids = [
            SEQUENCE_NUMBER,
            SEMICOLON_NO_BLANK,
            UNKNOWN_STATEMENT,
            MISSING_END,
            STRAY_END,
            LEGACY,
            OUT_OF_BLOCK,
            SYNTAX,
            RANGE,
            UNTERMINATED_QUOTE,
            EMPTY_PROFILE,
            PORT_ENTRY,
            PORT_IGNORED,
            DELETE_NOTHING,
            HS_NO_ROLES,
            HS_ROLE_COUNT,
            HS_TOO_MANY_BACKUPS,
            HS_DUPLICATE,
            HS_DESTIP_ALL,
            HS_KEYWORD_OTHER_METHOD,
            DVIPA_NOT_DEFINED,
            EQUAL_RANKS,
            DVIPA_IS_HOME,
            DVIPA_DEFINED_TWICE,
            BACKUP_NOT_MOVEABLE,
        ];
        assert_eq!(CODES.len(), ids.len());
        for id in ids {
            let n = CODES.iter().filter(|c| c.code == id).count();
            assert_eq!(n, 1, "{id}");
        }
        for c in CODES {
            assert!(c.explanation.len() > 100, "{}", c.code);
            assert!(matches!(c.severities, "E" | "W" | "E/W"), "{}", c.code);
        }
    }
}
