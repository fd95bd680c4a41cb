//! IZUPRMxx, the z/OSMF parmlib member: lexer, parser, canonical printer and
//! the effective settings of one system.
//!
//! The crate is pure: it is handed the text of a member and never reads a
//! file. [`parse`] never fails and never panics; it returns the statements it
//! could read together with every finding, recovering after each error, so
//! one run reports everything that is wrong.
//!
//! Layout:
//! - `lexer`: 80-byte records, columns 72–80, comments, quoted strings and
//!   their continuation, upper-casing; produces tokens.
//! - `parser`: tokens into [`Statement`]s, shapes and values checked against
//!   the statement table in `grammar`, symbols substituted.
//! - `settings`: [`effective`], the values z/OSMF would use from the members
//!   of `IZU=(..)` in order.
//! - `print`: the canonical form ([`std::fmt::Display`] for [`Member`]).
//! - `codes`: the finding ids of this crate and their explanations
//!   ([`CODES`]).
//!
//! Architecture invariant: this crate depends on `zha-diag` for spans and
//! findings only; it never renders a finding and never does I/O.

mod codes;
mod grammar;
mod lexer;
mod parser;
mod print;
mod settings;

use zha_diag::symbols::Symbols;
use zha_diag::{Diagnostic, FileId, Span};

pub use codes::CODES;
pub use settings::{Autostart, Origin, Setting, Settings, effective};
pub use zha_diag::Located;

/// Read one IZUPRMxx member. `file` is the id the spans will carry, `text`
/// the member's text (any line ends), `symbols` the system symbols of the
/// system that reads it. The diagnostics come in file order.
pub fn parse(file: FileId, text: &str, symbols: &Symbols) -> Parsed {
    parser::parse(file, text, symbols)
}

/// The result of [`parse`]: the statements that could be read and every
/// finding about the member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub member: Member,
    pub diagnostics: Vec<Diagnostic>,
}

/// One parmlib member: its statements in the order written. Unknown
/// statements are not kept; repeated statements are all kept (the last one
/// is the one that counts, see [`effective`]).
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
