//! The finding type every checker and parser produces.

use crate::source::Span;

/// How bad a finding is. The letter goes after the id: `ZHA1001E`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn letter(self) -> char {
        match self {
            Severity::Error => 'E',
            Severity::Warning => 'W',
            Severity::Info => 'I',
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A place in a file that takes part in a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    /// The place that causes the finding (a caret `^`); secondary places
    /// give context (a dash `-`).
    pub primary: bool,
}

/// One finding: an id such as `ZHA2002`, a one-line message, the places that
/// cause it (possibly in several files), what to change, and what z/OS does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The id without its severity letter, e.g. `ZHA2002`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    /// What to change.
    pub help: Option<String>,
    /// What z/OS would do with this input, e.g. "z/OS issues EZZ0827I and
    /// ignores this VIPADISTRIBUTE statement".
    pub zos: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            zos: None,
            notes: Vec::new(),
        }
    }

    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Error, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Warning, message)
    }

    pub fn info(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Info, message)
    }

    /// The id as users see and search it: `ZHA2002E`.
    pub fn id(&self) -> String {
        format!("{}{}", self.code, self.severity.letter())
    }

    pub fn primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn zos(mut self, zos: impl Into<String>) -> Diagnostic {
        self.zos = Some(zos.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Where the finding is first reported: its first primary label, else
    /// its first label. Used to sort findings in file order.
    pub fn anchor(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }
}

/// Counts of findings by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn of(diags: &[Diagnostic]) -> Summary {
        let mut s = Summary::default();
        for d in diags {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }
}

/// What `zosmf-ha explain` knows about an id.
#[derive(Clone, Copy, Debug)]
pub struct CodeInfo {
    pub code: &'static str,
    /// The severities this id can carry, e.g. "E" or "E/W".
    pub severities: &'static str,
    /// One line: what the rule demands.
    pub title: &'static str,
    /// Why it matters and how to fix it; plain text, several paragraphs.
    pub explanation: &'static str,
}

/// A value and the span of the text it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Located<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Located<T> {
    pub fn new(value: T, span: Span) -> Located<T> {
        Located { value, span }
    }
}
