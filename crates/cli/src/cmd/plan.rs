//! `zosmf-ha plan`.

use std::process::ExitCode;

use anyhow::Context;
use zha_plex::plan;

use crate::args::PlanArgs;
use crate::output;

pub fn run(a: PlanArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&a.plan)
        .with_context(|| format!("cannot read {}", a.plan.display()))?;
    let spec = match plan::parse(&text) {
        Ok(s) => s,
        Err(e) => {
            output::error(&format!("zosmf-ha plan: {}: {e}", a.plan.display()));
            return Ok(ExitCode::from(2));
        }
    };
    let files = match plan::generate(&spec) {
        Ok(f) => f,
        Err(errs) => {
            let mut msg = format!("zosmf-ha plan: {} cannot be planned:", a.plan.display());
            for e in errs {
                msg.push_str(&format!("\n  - {e}"));
            }
            output::error(&msg);
            return Ok(ExitCode::from(2));
        }
    };
    let written = write(&a.out, &files, a.force)?;
    if written.is_none() {
        return Ok(ExitCode::from(2));
    }
    // What plan writes must check clean; say so, or say what is wrong.
    let report = zha_plex::check(
        &zha_plex::OsFs,
        std::slice::from_ref(&a.out),
        &Default::default(),
    );
    let summary = zha_diag::Summary::of(&report.diagnostics);
    let mut out = format!("wrote {} files to {}:\n", files.len(), a.out.display());
    for f in &files {
        out.push_str(&format!("  {}\n", f.name));
    }
    if report.diagnostics.is_empty() {
        out.push_str(&format!(
            "`zosmf-ha check {}`: no findings. Next: CHECKLIST.md.\n",
            a.out.display()
        ));
        output::print(&out)?;
        Ok(ExitCode::SUCCESS)
    } else {
        out.push_str(&zha_diag::render::render_all(
            &report.diagnostics,
            &report.sources,
            zha_diag::render::Style::Plain,
        ));
        output::print(&out)?;
        Ok(ExitCode::from(if summary.errors > 0 { 1 } else { 0 }))
    }
}

/// Write the files; refuses to overwrite unless `force`. `None`: refused.
pub fn write(
    out: &std::path::Path,
    files: &[plan::File],
    force: bool,
) -> anyhow::Result<Option<()>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    if !force {
        let existing: Vec<&str> = files
            .iter()
            .filter(|f| out.join(&f.name).exists())
            .map(|f| f.name.as_str())
            .collect();
        if !existing.is_empty() {
            output::error(&format!(
                "zosmf-ha plan: {} already holds {}; use --force to replace them, or another --out",
                out.display(),
                existing.join(", ")
            ));
            return Ok(None);
        }
    }
    for f in files {
        let p = out.join(&f.name);
        zha_plex::OsFs::write_atomic(&p, f.text.as_bytes(), 0o644)
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(Some(()))
}
