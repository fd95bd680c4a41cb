//! The machine-readable report of `check --format json` (SPEC §4).

use serde::Serialize;

use crate::{Diagnostic, SourceMap, Summary};

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    findings: Vec<Finding<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
    infos: usize,
    files: usize,
}

#[derive(Serialize)]
struct Finding<'a> {
    id: String,
    severity: &'static str,
    message: &'a str,
    help: Option<&'a str>,
    zos: Option<&'a str>,
    notes: &'a [String],
    locations: Vec<Location<'a>>,
}

#[derive(Serialize)]
struct Location<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    label: &'a str,
    primary: bool,
}

/// The whole report as one JSON document. Lines and columns are 1-based;
/// columns count characters.
pub fn report(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let summary = Summary::of(diags);
    let findings = diags
        .iter()
        .map(|d| Finding {
            id: d.id(),
            severity: d.severity.as_str(),
            message: &d.message,
            help: d.help.as_deref(),
            zos: d.zos.as_deref(),
            notes: &d.notes,
            // The primary places first: consumers read the first location
            // as "where".
            locations: d
                .labels
                .iter()
                .filter(|l| l.primary)
                .chain(d.labels.iter().filter(|l| !l.primary))
                .filter_map(|l| {
                    let file = sources.get(l.span.file)?;
                    let start = file.line_col(l.span.start as usize);
                    let end = file.line_col(l.span.end as usize);
                    Some(Location {
                        file: file.name(),
                        line: start.line,
                        column: start.column,
                        end_line: end.line,
                        end_column: end.column,
                        label: &l.message,
                        primary: l.primary,
                    })
                })
                .collect(),
        })
        .collect();
    let report = Report {
        version: 1,
        findings,
        summary: JsonSummary {
            errors: summary.errors,
            warnings: summary.warnings,
            infos: summary.infos,
            files: sources.len(),
        },
    };
    // Serialising plain structs of strings and numbers cannot fail.
    serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
