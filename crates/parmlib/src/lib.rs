//! IZUPRMxx, the z/OSMF parmlib member: lexer, parser, canonical printer and
//! the effective settings of one system.
//!
//! The crate is pure: it is handed the text of a member and never reads a
//! file. [`parse`] never fails and never panics; it returns the statements it
//! could read together with every finding, recovering after each error, so
//! one run reports everything that is wrong. The one exception is z/OS's
//! own: a comment that is never ended makes the rest of the member a
//! comment, so nothing after it is read (its finding names what is lost).
//!
//! Layout:
//! - `lexer`: 80-byte records, columns 72–80, comments, quoted strings and
//!   their continuation, upper-casing; produces tokens.
//! - `member`: the tree: a [`Member`] of [`Statement`]s.
//! - `parser`: tokens into [`Statement`]s, shapes and values checked against
//!   the statement table in `grammar`, symbols substituted.
//! - `settings`: [`effective`], the values z/OSMF would use from the members
//!   of `IZU=(..)` in order.
//! - `print`: the canonical form ([`std::fmt::Display`] for [`Member`]).
//! - `codes`: the finding ids of this crate and their explanations
//!   ([`CODES`]).
//! - `sniff`: [`looks_like_member`], whether a text is plausibly a member.
//!
//! Architecture invariant: this crate depends on `zha-diag` for spans and
//! findings only; it never renders a finding and never does I/O.

mod codes;
mod grammar;
mod lexer;
mod member;
mod parser;
mod print;
mod settings;
mod sniff;

use zha_diag::FileId;
use zha_diag::symbols::Symbols;

pub use codes::CODES;
pub use member::{Member, Parsed, Scalar, Statement, SubValue, Value};
pub use settings::{Autostart, Origin, Setting, ZosmfSettings, effective};
pub use sniff::looks_like_member;
pub use zha_diag::Located;

/// Read one IZUPRMxx member. `file` is the id the spans will carry, `text`
/// the member's text (any line ends), `symbols` the system symbols of the
/// system that reads it. The diagnostics come in file order.
pub fn parse(file: FileId, text: &str, symbols: &Symbols) -> Parsed {
    parser::parse(file, text, symbols)
}
