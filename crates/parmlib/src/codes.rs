//! The finding ids this crate emits (ZHA0401–ZHA0499) and what `zosmf-ha
//! explain` says about each. The shared id ZHA0013 (unresolved system
//! symbol) is emitted here too but is described by the crate that owns it.

use zha_diag::CodeInfo;

pub(crate) const PAST_COLUMN_71: &str = "ZHA0401";
pub(crate) const LONG_RECORD: &str = "ZHA0402";
pub(crate) const UNTERMINATED_COMMENT: &str = "ZHA0403";
pub(crate) const UNTERMINATED_QUOTE: &str = "ZHA0404";
pub(crate) const UNKNOWN_STATEMENT: &str = "ZHA0405";
pub(crate) const SYNTAX: &str = "ZHA0406";
pub(crate) const INVALID_VALUE: &str = "ZHA0407";
pub(crate) const REPEATED: &str = "ZHA0408";
pub(crate) const DUPLICATE_PLUGIN: &str = "ZHA0409";
pub(crate) const UNKNOWN_SUBKEYWORD: &str = "ZHA0410";
pub(crate) const EMPTY_MEMBER: &str = "ZHA0411";
pub(crate) const UNQUOTED: &str = "ZHA0412";
pub(crate) const SPECIAL_CHARACTERS: &str = "ZHA0413";
/// Shared with the TCP/IP profile parser and described by `zha-diag`: a
/// system symbol without a value.
pub(crate) const UNRESOLVED_SYMBOL: &str = zha_diag::symbols::UNRESOLVED_SYMBOL;

/// The diagnostic codes this crate emits, for `zosmf-ha explain`.
pub const CODES: &[CodeInfo] = &[
    CodeInfo {
        code: PAST_COLUMN_71,
        severities: "W",
        title: "IZUPRMxx text runs past column 71 and is cut there",
        explanation: "\
A parmlib record is 80 bytes long, and z/OS reads only columns 1 to 71 of an \
IZUPRMxx record: columns 72 to 80 are ignored (they often hold sequence \
numbers). When column 71 and column 72 both hold a character, a value or \
keyword most likely runs on past column 71, and z/OS reads it cut short. The \
same finding is given when the `*/` that would end a comment stands in \
columns 72 to 80, or has its `/` in column 72: column 72 is where z/OS stops \
reading, so it does not see that `*/` and the comment goes on to the next \
`*/` (when there is none, ZHA0403 says so instead).

Fix it by ending the text by column 71 and continuing the statement on the \
next line; a quoted value may continue on the next line, where it resumes at \
the first non-blank character.",
    },
    CodeInfo {
        code: LONG_RECORD,
        severities: "W",
        title: "IZUPRMxx line longer than 80 characters",
        explanation: "\
Parmlib data sets have 80-byte records (LRECL 80). A longer line cannot be \
stored as one record: when the file is transferred to z/OS it is cut or \
split, and either way what z/OS reads differs from what the file shows. \
zosmf-ha reads columns 1 to 71 and ignores the rest.

Fix it by breaking the line: one statement may span several lines.",
    },
    CodeInfo {
        code: UNTERMINATED_COMMENT,
        severities: "E/W",
        title: "comment not ended by */: the rest of the member is a comment",
        explanation: "\
A comment starts with `/*` and ends with `*/`, in columns 1 to 71. Comments \
may be nested, and nested comments must balance: `/*a/*b*/*/` is one \
comment. A comment that is never ended makes the rest of the member a \
comment, as on z/OS: the statements after it are not read, and their \
settings keep their defaults or the values of earlier members. zosmf-ha \
checks the member as z/OS reads it, so the high-availability rules see \
those settings as missing too; the finding names the first statement that \
is lost. That is an error. When no statement follows the comment (it is \
the member's last text, or what follows holds no statement), no setting is \
lost and the finding is a warning: the member reads as intended today, but a \
statement added after the comment later would be lost.

A common cause is a `*/` that stands in columns 72 to 80, or whose `/` is in \
column 72: column 72 is where z/OS stops reading a record, so that `*/` is \
not seen. Another is a `/*` inside the comment that opens a nested comment.

Fix it by adding the missing `*/`, by moving the `*/` left so that it ends \
by column 71, or by removing the `/*` that opens a nested comment.",
    },
    CodeInfo {
        code: UNTERMINATED_QUOTE,
        severities: "E",
        title: "quoted string not ended by a quote",
        explanation: "\
A value in single quotes must end with a single quote. A quoted value may \
continue on the next line (when a line's columns 1 to 71 end inside the \
quotes, the value resumes at the first non-blank character of the next \
line), so a missing closing quote swallows the rest of the member. A quote \
inside a quoted value is written twice: 'IT''S'.

Fix it by adding the closing quote. zosmf-ha ends the value at the end of \
its first line so that the rest of the member is still checked.",
    },
    CodeInfo {
        code: UNKNOWN_STATEMENT,
        severities: "W",
        title: "unknown IZUPRMxx statement",
        explanation: "\
The word in statement position is not an IZUPRMxx statement that zosmf-ha \
knows. It may be misspelt (then the setting it was meant for keeps its \
default), belong to another parmlib member, or be a statement of a newer \
z/OSMF level. zosmf-ha skips it with its parenthesised value and \
sub-keywords.

Fix the spelling, or remove the statement.",
    },
    CodeInfo {
        code: SYNTAX,
        severities: "E",
        title: "IZUPRMxx syntax error",
        explanation: "\
The statement does not have the form its keyword takes: a missing or extra \
parenthesis, a value missing between the parentheses, several values where \
one is expected, an empty item in a list, or a token where a statement \
should start. A statement is written KEYWORD(value), KEYWORD ( value ), \
KEYWORD SUB(value) SUB(value), or PLUGINS(a, b, c).

Fix the statement as the help line says. The setting keeps its default or \
previous value when the value could not be read.",
    },
    CodeInfo {
        code: INVALID_VALUE,
        severities: "E",
        title: "IZUPRMxx value not allowed",
        explanation: "\
The value is not one the statement accepts: for example AUTOSTART takes \
LOCAL or CONNECT, HTTP_SSL_PORT a port from 1 to 65535, SERVER_PROC and \
ANGEL_PROC a procedure name of 1 to 8 characters, SAF_PREFIX and \
AUTOSTART_GROUP 1 to 8 characters. The help line says what is allowed.

zosmf-ha checks the rest of the configuration as if the statement were \
absent: the setting keeps its default or previous value.",
    },
    CodeInfo {
        code: REPEATED,
        severities: "W",
        title: "IZUPRMxx statement or sub-keyword repeated",
        explanation: "\
A statement (or a sub-keyword within one statement) is given more than once \
in one member. IBM does not document which one z/OSMF uses; zosmf-ha \
assumes the last one wins, as for most parmlib members. Two values for one \
setting usually mean an edit that was only half done.

Fix it by keeping only the statement with the value you want.",
    },
    CodeInfo {
        code: DUPLICATE_PLUGIN,
        severities: "W",
        title: "plug-in listed twice in PLUGINS",
        explanation: "\
A plug-in name appears more than once in one PLUGINS statement. It does no \
harm by itself, but it often means that another plug-in was meant.

Fix it by removing the second entry, or by naming the plug-in that was \
meant.",
    },
    CodeInfo {
        code: UNKNOWN_SUBKEYWORD,
        severities: "W",
        title: "unknown sub-keyword",
        explanation: "\
A statement that takes sub-keywords (SEC_GROUPS, COMMON_TSO, RESTAPI_FILE, \
INCIDENT_LOG, WLM_CLASSES) has one that zosmf-ha does not know for that \
statement. It is skipped with its value.

Fix the spelling, or remove the sub-keyword.",
    },
    CodeInfo {
        code: EMPTY_MEMBER,
        severities: "W",
        title: "IZUPRMxx member is empty",
        explanation: "\
The member holds no statement, only blanks or comments. z/OSMF then uses the \
default of every statement (a missing statement takes its default). For a \
high-availability setup the defaults are almost never right: every server \
would use the same AUTOSTART_GROUP, SERVER_PROC and USER_DIR.

Check that the right member (IZU=xx) was named, and add the statements the \
system needs.",
    },
    CodeInfo {
        code: UNQUOTED,
        severities: "W",
        title: "unquoted value is upper-cased where its case matters",
        explanation: "\
z/OS converts IZUPRMxx input to upper case unless it is in single quotes. \
For most values that changes nothing: SAF_PREFIX, AUTOSTART_GROUP, \
SERVER_PROC, ANGEL_PROC, CLOUD_SAF_PREFIX, CLOUD_SEC_ADMIN and INCIDENT_LOG \
UNIT are upper case on z/OS anyway, so zosmf-ha says nothing about them. \
Where case matters, the upper-cased value means something else: \
KEYRING_NAME (key ring names are case-sensitive: an unquoted \
IZUKeyring.IZUDFLT becomes IZUKEYRING.IZUDFLT, another key ring), USER_DIR, \
JAVA_HOME and TEMP_DIR (z/OS UNIX path names are case-sensitive), LOGGING \
(logger names are case-sensitive) and HOSTNAME when it is a name (IBM asks \
for it in quotes; an IP address or `*` is not affected). zosmf-ha gives \
this finding only for a value written with lower-case letters.

Fix it by putting the value in single quotes, in the case you mean.",
    },
    CodeInfo {
        code: SPECIAL_CHARACTERS,
        severities: "W",
        title: "unquoted value holds special characters",
        explanation: "\
IBM says that an IZUPRMxx value which contains special characters must be \
enclosed in single quotation marks. A special character is anything other \
than a letter, a digit or one of @ # $ _: for example the `/` of a path, the \
`.` of a host name or IP address, the `*` of HOSTNAME(*). How z/OSMF reads \
such a value without quotes is not documented, so it may not be read as \
written.

Fix it by putting the value in single quotes: HOSTNAME('*'), \
USER_DIR('/global/zosmf').",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_and_in_range() {
        let mut seen = std::collections::BTreeSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "{} listed twice", c.code);
            assert!(
                c.code.starts_with("ZHA04"),
                "{} outside ZHA0401-ZHA0499",
                c.code
            );
            assert!(!c.title.contains('\n'));
            assert!(!c.explanation.is_empty());
        }
        for code in [
            PAST_COLUMN_71,
            LONG_RECORD,
            UNTERMINATED_COMMENT,
            UNTERMINATED_QUOTE,
            UNKNOWN_STATEMENT,
            SYNTAX,
            INVALID_VALUE,
            REPEATED,
            DUPLICATE_PLUGIN,
            UNKNOWN_SUBKEYWORD,
            EMPTY_MEMBER,
            UNQUOTED,
            SPECIAL_CHARACTERS,
        ] {
            assert!(seen.contains(code), "{code} missing from CODES");
        }
    }
}
