//! The tree a member parses into: its statements and their values.

use zha_diag::{Diagnostic, FileId, Located, Span};

/// The result of [`crate::parse`]: the statements that could be read and every
/// finding about the member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub member: Member,
    pub diagnostics: Vec<Diagnostic>,
}

/// One parmlib member: its statements in the order written. Unknown
/// statements are not kept; repeated statements are all kept (the last one
/// is the one that counts, see [`crate::effective`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub file: FileId,
    pub statements: Vec<Statement>,
}

impl Member {
    /// The last statement with this (upper-case) name: the one that counts
    /// within this member.
    pub fn last(&self, name: &str) -> Option<&Statement> {
        self.statements.iter().rev().find(|s| s.name == name)
    }
}

/// One statement such as `HTTP_SSL_PORT(10443)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// Upper case, e.g. `HTTP_SSL_PORT`.
    pub name: String,
    /// The keyword as written.
    pub keyword: Span,
    /// The whole statement, from the keyword to its last parenthesis.
    pub span: Span,
    pub value: Value,
}

/// The value of a statement, in the shape its keyword takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `KEYWORD(value)`.
    Single(Located<Scalar>),
    /// `SEC_GROUPS USER(..),ADMIN(..)`: sub-keywords in the order written.
    Sub(Vec<SubValue>),
    /// `PLUGINS(a, b c)`: the items in the order written.
    List(Vec<Located<Scalar>>),
    /// The statement's value could not be read (a syntax error was
    /// reported); the setting keeps its default or previous value.
    None,
}

/// One sub-keyword of a statement such as `SEC_GROUPS` and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubValue {
    /// Upper case, e.g. `ADMIN`.
    pub name: String,
    pub keyword: Span,
    pub value: Located<Scalar>,
}

/// One value as z/OS reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scalar {
    /// Upper-cased unless quoted; quotes removed and `''` read as `'`; system
    /// symbols substituted (an unresolved one stays as written).
    pub text: String,
    /// Written in single quotes (so its case is kept).
    pub quoted: bool,
}

impl Scalar {
    pub fn new(text: impl Into<String>, quoted: bool) -> Scalar {
        Scalar {
            text: text.into(),
            quoted,
        }
    }
}
