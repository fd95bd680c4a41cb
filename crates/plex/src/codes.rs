//! Ids of findings about input, INCLUDEs and the sysplex, and the catalog of
//! every id for `zosmf-ha explain`.

use zha_diag::CodeInfo;

pub const UNREADABLE: &str = "ZHA0001";
pub const EBCDIC: &str = "ZHA0002";
pub const LATIN1: &str = "ZHA0003";
pub const BINARY: &str = "ZHA0004";
pub const WRONG_KIND: &str = "ZHA0005";
pub const TOML: &str = "ZHA0010";
pub const TOML_CONTENT: &str = "ZHA0011";
pub const MISSING_FILE: &str = "ZHA0012";
pub const INCLUDE_NOT_FOUND: &str = "ZHA0020";
pub const INCLUDE_CYCLE: &str = "ZHA0021";
pub const INCLUDE_DEPTH: &str = "ZHA0022";

pub const NO_ZOSMF_DVIPA: &str = "ZHA1000";
pub const AUTOSTART_GROUP: &str = "ZHA1001";
pub const AUTOSTART_LOCAL: &str = "ZHA1002";
pub const HOSTNAME: &str = "ZHA1003";
pub const PORT: &str = "ZHA1004";
pub const KEYRING: &str = "ZHA1005";
pub const SERVER_PROC: &str = "ZHA1006";
pub const SAF_PREFIX: &str = "ZHA1007";
pub const USER_DIR: &str = "ZHA1008";
pub const DVIPA_OWNERSHIP: &str = "ZHA2012";
pub const DESTIP_SYSTEMS: &str = "ZHA2013";
pub const SYSPLEXROUTING: &str = "ZHA2014";
pub const OWNER_DISTRIBUTES: &str = "ZHA2018";
pub const PORT_RESERVED: &str = "ZHA2019";

pub const CODES: &[CodeInfo] = &[
    CodeInfo {
        code: UNREADABLE,
        severities: "E",
        title: "a file cannot be read",
        explanation: "A file named on the command line, in sysplex.toml or by an INCLUDE cannot be \
opened or read (permissions, a folder instead of a file, a file over 64 MiB). Nothing can be \
checked without it, so `check` exits with status 2.\n\nFix: check the path and its permissions.",
    },
    CodeInfo {
        code: EBCDIC,
        severities: "E/W",
        title: "a file in EBCDIC",
        explanation: "The file is EBCDIC (mostly EBCDIC blanks 0x40 and EBCDIC letters, no ASCII \
blank or line end): it was transferred from z/OS in binary. zosmf-ha decodes it as IBM-1047, \
with a warning: lines are cut at EBCDIC line ends (NL 0x15, LF 0x25) or, when there are none \
and the length is a whole number of 80 bytes, into fixed 80-byte records (a data set with LRECL \
80), trailing blanks dropped. When neither applies the lines cannot be told apart, and `check` \
exits with status 2.\n\nFix: transfer the member in text (ASCII) mode, or convert it keeping \
its records: `iconv -f IBM-1047 -t ISO-8859-1 MEMBER | dd conv=unblock cbs=80 | iconv -f \
ISO-8859-1 -t UTF-8 > MEMBER.txt` (IBM-1047 maps one to one onto ISO-8859-1, so the records \
stay whole; converting to UTF-8 first would not).",
    },
    CodeInfo {
        code: LATIN1,
        severities: "W",
        title: "a file that is not UTF-8, read as ISO-8859-1",
        explanation: "The file holds bytes that are not UTF-8, for example `¬` or `¢` from a \
code page conversion. zosmf-ha reads it as ISO-8859-1, which keeps every byte; columns are then \
counted in those characters.\n\nFix: nothing, if the characters are right; otherwise convert \
the file to UTF-8.",
    },
    CodeInfo {
        code: BINARY,
        severities: "E",
        title: "a binary file",
        explanation: "The file holds NUL bytes or many control characters: it is not a parmlib \
member or a profile. `check` exits with status 2.\n\nFix: point at the text file.",
    },
    CodeInfo {
        code: WRONG_KIND,
        severities: "E",
        title: "a profile where a member is expected, or the reverse",
        explanation: "The file was named as an IZUPRMxx member (by `--kind parmlib`, a name \
starting with IZUPRM, or `parmlib = [..]` in sysplex.toml) but reads like a TCP/IP profile, or \
named as a profile but reads like an IZUPRMxx member. Checking it as the wrong kind would give \
a warning for nearly every line, so `check` stops with status 2 instead.\n\nFix: give the \
right `--kind`, or swap the `parmlib` and `profile` entries in sysplex.toml.",
    },
    CodeInfo {
        code: TOML,
        severities: "E",
        title: "sysplex.toml is not valid TOML or has an unknown key",
        explanation: "sysplex.toml describes the sysplex:\n\n  name = \"PLEX1\"\n\n  [[system]]\n  \
name = \"SYSA\"\n  parmlib = [\"IZUPRM0A\"]         # the IZU=(..) members, in order\n  profile = \
\"PROFA.TCPIP\"          # the TCP/IP profile\n  symbols = { SYSCLONE = \"0A\" }  # optional\n\nPaths are \
relative to sysplex.toml. The finding shows where the file departs from this. `check` exits with \
status 2.",
    },
    CodeInfo {
        code: TOML_CONTENT,
        severities: "E",
        title: "sysplex.toml describes an impossible sysplex",
        explanation: "sysplex.toml parsed, but it describes no system, the same system twice, a \
name that is no z/OS system name (1-8 characters: letters, digits, @ # $), or a system with no \
file. `check` exits with status 2.\n\nFix: as the finding says.",
    },
    CodeInfo {
        code: MISSING_FILE,
        severities: "E",
        title: "a file that does not exist",
        explanation: "A file named on the command line, or a `parmlib` member or `profile` of a \
system in sysplex.toml (paths are relative to the folder of sysplex.toml), does not exist. \
Without it nothing (or that system) can be checked, so `check` exits with status 2.\n\nFix: \
correct the path, or copy the member there (one file per member, named like the member).",
    },
    CodeInfo {
        code: INCLUDE_NOT_FOUND,
        severities: "E/W",
        title: "an INCLUDE whose file is not found",
        explanation: "`INCLUDE A.B(MEM)` is looked for as MEM, then A.B(MEM), then A.B.MEM in the \
folder of the including file (ignoring case); `INCLUDE /path` is used as is. When none exists, \
the statements of the included member are missing from the model, which can hide a DVIPA or a \
VIPADISTRIBUTE. It is an error in sysplex mode, a warning when a lone file is checked.\n\nFix: \
copy the member next to the profile under one of those names.",
    },
    CodeInfo {
        code: INCLUDE_CYCLE,
        severities: "E",
        title: "an INCLUDE cycle",
        explanation: "A file includes itself, directly or through other files. The INCLUDE that \
closes the cycle is not followed.\n\nFix: remove the INCLUDE that leads back.",
    },
    CodeInfo {
        code: INCLUDE_DEPTH,
        severities: "E",
        title: "INCLUDEs nested more than 16 deep",
        explanation: "zosmf-ha follows INCLUDE statements at most 16 files deep. Deeper ones are \
not followed.\n\nFix: flatten the include structure.",
    },
    CodeInfo {
        code: NO_ZOSMF_DVIPA,
        severities: "E/W",
        title: "no hot-standby DVIPA for z/OSMF, or two that qualify",
        explanation: "The HA group is found from the z/OSMF DVIPA: among the VIPADISTRIBUTE \
DISTMETHOD HOTSTANDBY statements whose PORT list holds the HTTP_SSL_PORT of a system with z/OSMF \
members, the one with the most such systems as DESTIP, then the most of them with \
AUTOSTART(LOCAL), then the most with HOSTNAME equal to the DVIPA; never the first in file order \
(z/OS Connect on 443 on another DVIPA, or the API ML gateway on 7554 on the same DVIPA, are \
normal neighbours). An error when no such statement exists, so there is no hot standby for \
z/OSMF and rules ZHA1001-ZHA1008 cannot be applied, or when `zosmf = \"addr..port\"` in \
sysplex.toml names a distribution that does not exist. A warning when two candidates rank \
equal: the rules judge neither until `zosmf = \"addr..port\"` in sysplex.toml says which. A VIPADISTRIBUTE with another \
method (BASEWLM is the default) load-balances, which z/OSMF does not support: each server keeps \
its own state.\n\nFix: define the DVIPA with `VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY dvipa \
PORT 443 DESTIP sysa_xcf PREFERRED sysb_xcf BACKUP` and set HOSTNAME to the DVIPA. This id is \
zosmf-ha's addition to the rule table.",
    },
    CodeInfo {
        code: AUTOSTART_GROUP,
        severities: "E/I",
        title: "AUTOSTART_GROUP must be unique per HA server",
        explanation: "Only one z/OSMF server of an autostart group runs in the sysplex; a second \
system in the same group does not start its own server at IPL, so there is no standby. The \
default group is IZUDFLT, so two members that do not set AUTOSTART_GROUP collide. A value that holds a system symbol without a value is not compared: an \
information finding says the rule could not judge it.\n\nFix: give \
each HA server its own group, e.g. AUTOSTART_GROUP('IZUDFLA') and AUTOSTART_GROUP('IZUDFLB').",
    },
    CodeInfo {
        code: AUTOSTART_LOCAL,
        severities: "E",
        title: "AUTOSTART(LOCAL) on every HA server",
        explanation: "AUTOSTART(CONNECT) makes a system connect to the server of its group instead \
of starting its own. An HA server must start its own: AUTOSTART(LOCAL), the default.\n\nFix: \
AUTOSTART(LOCAL), or remove the AUTOSTART statement.",
    },
    CodeInfo {
        code: HOSTNAME,
        severities: "E/W/I",
        title: "HOSTNAME equal to the DVIPA on every HA server",
        explanation: "z/OSMF builds URLs and checks requests with HOSTNAME; in hot standby every \
server must answer as the DVIPA (or a DNS name for it), whichever system answers. An IP address \
that differs from the DVIPA, `'*'` or no HOSTNAME at all (the system's own host name) is an \
error. A DNS name cannot be verified offline: a warning, unless `--resolve NAME=ADDR` says what \
it resolves to. A value that holds a system symbol without a value is not compared: an \
information finding says the rule could not judge it.\n\nFix: HOSTNAME('dvipa') or HOSTNAME('name.of.the.dvipa') on every HA server.",
    },
    CodeInfo {
        code: PORT,
        severities: "E",
        title: "HTTP_SSL_PORT equal everywhere and distributed",
        explanation: "Clients connect to DVIPA:port and the distributor forwards to the same port \
on the target, so every HA server must listen on the same HTTP_SSL_PORT (default 443), and the \
VIPADISTRIBUTE PORT list must hold it (or PORT must be omitted).\n\nFix: set the same \
HTTP_SSL_PORT in every member and list it on PORT.",
    },
    CodeInfo {
        code: KEYRING,
        severities: "E/I",
        title: "KEYRING_NAME equal on all HA servers",
        explanation: "After a switch a client must see the same server certificate, whoever \
answers; otherwise TLS clients that pinned or verified it fail. All HA servers must use the same \
key ring (default IZUKeyring.IZUDFLT) with the same certificate, whose subject alternative names \
hold the DVIPA and its host name. A value that holds a system symbol without a value is not compared: an \
information finding says the rule could not judge it.\n\nFix: the same KEYRING_NAME in every member.",
    },
    CodeInfo {
        code: SERVER_PROC,
        severities: "E/I",
        title: "SERVER_PROC different per HA server",
        explanation: "Each HA server runs its own started procedure (a copy of IZUSVR1, e.g. \
IZUSVRA and IZUSVRB) with its own STARTED profile. Two servers with one procedure name collide \
in the sysplex. A value that holds a system symbol without a value is not compared: an \
information finding says the rule could not judge it.\n\nFix: copy IZUSVR1 per server and name it in SERVER_PROC.",
    },
    CodeInfo {
        code: SAF_PREFIX,
        severities: "E/I",
        title: "SAF_PREFIX equal on all HA servers",
        explanation: "The servers share one SAF database; with different prefixes a user \
authorised on one server is refused on the other after a switch. A value that holds a system symbol without a value is not compared: an \
information finding says the rule could not judge it.\n\nFix: the same SAF_PREFIX \
(default IZUDFLT) in every member.",
    },
    CodeInfo {
        code: USER_DIR,
        severities: "E/I",
        title: "USER_DIR different per HA server, none inside another",
        explanation: "Each z/OSMF server locks its own data directory (an ENQ on the file \
system); a second server pointed at the same directory, or at one inside it, fails to start or \
corrupts the first one's data. The default is /global/zosmf for all. A value that holds a system symbol without a value is not compared: an \
information finding says the rule could not judge it.\n\nFix: one USER_DIR per \
server on its own file system (IZUMKFS), e.g. /global/zosmf/zosmfa and /global/zosmf/zosmfb.",
    },
    CodeInfo {
        code: DVIPA_OWNERSHIP,
        severities: "W",
        title: "the DVIPA has no single owner and backup",
        explanation: "One stack should own the DVIPA (VIPADEFINE) and at least one other should \
back it up (VIPABACKUP). With VIPADEFINE on several stacks ownership moves between them by \
time stamp; with no VIPABACKUP elsewhere, losing the distributing system loses the DVIPA and \
every client with it.\n\nFix: VIPADEFINE on the distributing system, VIPABACKUP (and the same \
VIPADISTRIBUTE) on at least one other.",
    },
    CodeInfo {
        code: DESTIP_SYSTEMS,
        severities: "E",
        title: "DESTIP addresses and HA servers agree",
        explanation: "A DESTIP address is the DYNAMICXCF address of a target system. An address \
that is no system's DYNAMICXCF address reaches nothing; an HA server (its HOSTNAME is the DVIPA) \
whose system is not a DESTIP never gets a connection.\n\nFix: list exactly the HA servers' \
DYNAMICXCF addresses on DESTIP.",
    },
    CodeInfo {
        code: SYSPLEXROUTING,
        severities: "E",
        title: "IPCONFIG SYSPLEXROUTING where the DVIPA is owned or backed up",
        explanation: "Sysplex distribution needs IPCONFIG SYSPLEXROUTING on every stack that \
owns or backs up a distributed DVIPA (and DYNAMICXCF for the targets).\n\nFix: add \
SYSPLEXROUTING to the IPCONFIG statement of that stack.",
    },
    CodeInfo {
        code: OWNER_DISTRIBUTES,
        severities: "E",
        title: "the owning stack distributes the z/OSMF DVIPA",
        explanation: "The stack that owns the z/OSMF DVIPA (VIPADEFINE) has no VIPADISTRIBUTE for \
it, while a backup stack (VIPABACKUP) has one. IBM: a VIPADISTRIBUTE coded only on the backup \
takes effect only during a primary outage. While the owner runs, the DVIPA is an ordinary \
address of the owner: a failed z/OSMF server on a running owner is never switched away from, \
which is the failure hot standby is for.\n\nFix: code the same VIPADISTRIBUTE in the owner's \
VIPADYNAMIC block, after its VIPADEFINE.",
    },
    CodeInfo {
        code: PORT_RESERVED,
        severities: "E/I",
        title: "the z/OSMF port is reserved for another job",
        explanation: "The HA server's stack reserves the z/OSMF port (HTTP_SSL_PORT) with PORT or \
PORTRANGE, and no reservation of it matches the system's SERVER_PROC (job names may hold the \
wildcards * and ?; one port may be reserved by several PORT statements, and any match \
suffices), or RESERVED or `PORT UNRSV ... DENY` blocks it. The z/OSMF server then cannot listen \
on the port and the target never becomes ready; an entry that admits it with BIND to another \
address than the DVIPA makes it listen there only, which is an error too. A reservation with \
SAF depends on a RACF SERVAUTH profile, and an unreserved port below 1024 under TCPCONFIG \
RESTRICTLOWPORTS on APF authorization: neither can be verified offline, and an information \
finding says so.\n\nFix: \
reserve the port for the server's procedure, e.g. `PORT 443 TCP IZUSVR* SHAREPORT`, or remove \
the reservation for other jobs.",
    },
];

/// Every id zosmf-ha reports, sorted.
pub fn all() -> Vec<CodeInfo> {
    let mut v: Vec<CodeInfo> = Vec::new();
    v.push(zha_diag::symbols::UNRESOLVED_SYMBOL_INFO);
    v.extend_from_slice(CODES);
    v.extend_from_slice(zha_tcpip::CODES);
    v.extend_from_slice(zha_parmlib::CODES);
    v.sort_by_key(|c| c.code);
    v
}
