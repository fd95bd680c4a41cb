//! Spans, source files and diagnostics shared by every part of zosmf-ha.
//!
//! This crate knows nothing about z/OS: it holds text, positions in that
//! text, and findings that point into it. Parsers produce [`Diagnostic`]s;
//! [`render`] turns them into rustc-style text and [`json`] into the
//! machine-readable report. Nothing here does I/O: callers hand in bytes.
//!
//! Architecture invariant: parsers depend on this crate for [`Span`] and
//! [`Diagnostic`] only; they never render.

mod diagnostic;
pub mod json;
pub mod render;
mod source;
pub mod symbols;

pub use diagnostic::{CodeInfo, Diagnostic, Label, Located, Severity, Summary};
pub use source::{DecodeError, Decoded, FileId, LineCol, SourceFile, SourceMap, Span, decode};
