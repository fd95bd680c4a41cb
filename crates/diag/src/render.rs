//! rustc-style rendering of findings with annotate-snippets.

use std::borrow::Cow;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::{Diagnostic, FileId, Label, Severity, SourceMap, Summary};

/// Plain text (tests, pipes) or ANSI colours (terminals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Color,
}

/// Render one finding as rustc does: title with id, a snippet per file with
/// carets under the spans, then `= help:` and `= note:` lines (what z/OS
/// does comes first among the notes).
pub fn render(diag: &Diagnostic, sources: &SourceMap, style: Style) -> String {
    let renderer = match style {
        Style::Plain => Renderer::plain(),
        Style::Color => Renderer::styled(),
    };
    let level = level(diag.severity);
    let id = diag.id();
    let mut group = Group::with_title(level.primary_title(diag.message.as_str()).id(id));
    for (file, labels) in labels_by_file(&diag.labels) {
        if let Some(snippet) = snippet(sources, file, &labels) {
            group = group.element(snippet);
        }
    }
    if let Some(help) = &diag.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    if let Some(zos) = &diag.zos {
        group = group.element(Level::NOTE.message(zos.as_str()));
    }
    for note in &diag.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    let report = [group];
    renderer.render(&report)
}

/// Render every finding followed by a one-line summary, as `check` prints.
pub fn render_all(diags: &[Diagnostic], sources: &SourceMap, style: Style) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&render(d, sources, style));
        out.push_str("\n\n");
    }
    out.push_str(&summary_line(Summary::of(diags), sources.len()));
    out.push('\n');
    out
}

/// "2 errors, 1 warning in 4 files", or "no findings in 4 files"; "1 error;
/// no file could be read" when none was.
pub fn summary_line(s: Summary, files: usize) -> String {
    fn plural(n: usize, word: &str) -> String {
        format!("{n} {word}{}", if n == 1 { "" } else { "s" })
    }
    let mut parts = Vec::new();
    if s.errors > 0 {
        parts.push(plural(s.errors, "error"));
    }
    if s.warnings > 0 {
        parts.push(plural(s.warnings, "warning"));
    }
    if s.infos > 0 {
        parts.push(plural(s.infos, "note"));
    }
    let what = if parts.is_empty() {
        "no findings".to_owned()
    } else {
        parts.join(", ")
    };
    if files == 0 {
        return format!("{what}; no file could be read");
    }
    format!("{what} in {}", plural(files, "file"))
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO.with_name("note"),
    }
}

/// Labels grouped by file, files in order of first appearance, with the file
/// of the first primary label first.
fn labels_by_file(labels: &[Label]) -> Vec<(FileId, Vec<&Label>)> {
    let mut order: Vec<FileId> = Vec::new();
    let first_primary = labels.iter().find(|l| l.primary).map(|l| l.span.file);
    order.extend(first_primary);
    for l in labels {
        if !order.contains(&l.span.file) {
            order.push(l.span.file);
        }
    }
    order
        .into_iter()
        .map(|f| (f, labels.iter().filter(|l| l.span.file == f).collect()))
        .collect()
}

/// A snippet holding just the lines the labels touch (annotate-snippets folds
/// the unlabelled ones in between), so a finding in a 50,000-line profile
/// costs only its own lines.
fn snippet<'a>(
    sources: &'a SourceMap,
    file: FileId,
    labels: &[&'a Label],
) -> Option<Snippet<'a, annotate_snippets::Annotation<'a>>> {
    let src = sources.get(file)?;
    let text = src.text();
    let first = labels
        .iter()
        .map(|l| src.line_index(l.span.start as usize))
        .min()?;
    let last = labels
        .iter()
        .map(|l| src.line_index((l.span.end as usize).min(text.len())))
        .max()?;
    let start = src.line_range(first).start;
    let end = src.line_range(last).end.max(start);
    let slice: Cow<'a, str> = Cow::Borrowed(&text[start..end]);
    let mut snippet = Snippet::source(slice)
        .line_start(first + 1)
        .path(src.name());
    for l in labels {
        let s = (l.span.start as usize).clamp(start, end) - start;
        let e = (l.span.end as usize).clamp(start, end) - start;
        let kind = if l.primary {
            AnnotationKind::Primary
        } else {
            AnnotationKind::Context
        };
        let ann = kind.span(s..e);
        let ann = if l.message.is_empty() {
            ann
        } else {
            ann.label(l.message.as_str())
        };
        snippet = snippet.annotation(ann);
    }
    Some(snippet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Span;

    #[test]
    fn renders_two_files_with_help_and_zos() {
        let mut sm = SourceMap::new();
        let a = sm.add("IZUPRM0A", "HOSTNAME('A')\nAUTOSTART_GROUP('IZUDFLT')\n");
        let b = sm.add("IZUPRM0B", "AUTOSTART_GROUP('IZUDFLT')\n");
        let d = Diagnostic::error(
            "ZHA1001",
            "AUTOSTART_GROUP IZUDFLT is used by SYSA and SYSB",
        )
        .primary(Span::new(a, 30..37), "SYSA is in group IZUDFLT")
        .secondary(Span::new(b, 17..24), "SYSB is in group IZUDFLT too")
        .help("give each HA server its own AUTOSTART_GROUP")
        .zos("z/OS starts only one server of a group");
        let out = render(&d, &sm, Style::Plain);
        assert!(out.starts_with("error[ZHA1001E]: AUTOSTART_GROUP"), "{out}");
        assert!(out.contains("--> IZUPRM0A:2:17"), "{out}");
        assert!(out.contains("::: IZUPRM0B:1:18"), "{out}");
        assert!(out.contains("= help: give each"), "{out}");
        assert!(out.contains("= note: z/OS starts only one server"), "{out}");
        assert!(!out.contains('\u{1b}'));
        assert!(render(&d, &sm, Style::Color).contains('\u{1b}'));
    }

    #[test]
    fn empty_file_and_empty_span_render() {
        let mut sm = SourceMap::new();
        let a = sm.add("EMPTY", "");
        let d = Diagnostic::warning("ZHA0114", "empty").primary(Span::file_start(a), "here");
        let out = render(&d, &sm, Style::Plain);
        assert!(out.contains("EMPTY"), "{out}");
    }

    #[test]
    fn summary_words() {
        let s = Summary {
            errors: 1,
            warnings: 2,
            infos: 0,
        };
        assert_eq!(summary_line(s, 1), "1 error, 2 warnings in 1 file");
        assert_eq!(
            summary_line(Summary::default(), 3),
            "no findings in 3 files"
        );
        assert_eq!(
            summary_line(
                Summary {
                    errors: 1,
                    ..Summary::default()
                },
                0
            ),
            "1 error; no file could be read"
        );
    }
}
