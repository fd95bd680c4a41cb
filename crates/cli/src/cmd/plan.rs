//! `zosmf-ha plan`.
//!
//! Everything is validated before the first byte is written, and the files
//! are written whole or not at all: each goes into a staging folder inside
//! `--out` first, and only when all are there are they moved into place.
//! Any failure (a value out of range, a folder that cannot be written, a
//! full disk or a full stdout) is a message naming the value or the path
//! and exit status 2.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use zha_plex::plan;

use crate::args::PlanArgs;
use crate::output;

pub fn run(a: PlanArgs) -> anyhow::Result<ExitCode> {
    let text = match std::fs::read_to_string(&a.plan) {
        Ok(t) => t,
        Err(e) => {
            output::error(&format!(
                "zosmf-ha plan: cannot read {}: {e}",
                a.plan.display()
            ));
            return Ok(ExitCode::from(2));
        }
    };
    let spec = match plan::parse(&text) {
        Ok(s) => s,
        Err(e) => {
            output::error(&format!(
                "zosmf-ha plan: {}: {e}; nothing was written",
                a.plan.display()
            ));
            return Ok(ExitCode::from(2));
        }
    };
    let files = match plan::generate(&spec) {
        Ok(f) => f,
        Err(errs) => {
            let mut msg = format!(
                "zosmf-ha plan: {} cannot be planned (nothing was written):",
                a.plan.display()
            );
            for e in errs {
                msg.push_str(&format!("\n  - {e}"));
            }
            output::error(&msg);
            return Ok(ExitCode::from(2));
        }
    };
    match write(&a.out, &files, a.force) {
        Ok(Some(())) => {}
        Ok(None) => return Ok(ExitCode::from(2)),
        Err(e) => {
            output::error(&format!("zosmf-ha plan: {e:#}; nothing was written"));
            return Ok(ExitCode::from(2));
        }
    }
    // What plan writes must check clean; say so, or say what is wrong.
    let report = zha_plex::check(
        &zha_plex::OsFs,
        std::slice::from_ref(&a.out),
        &Default::default(),
    );
    let summary = zha_diag::Summary::of(&report.diagnostics);
    let code = ExitCode::from(if summary.errors > 0 { 1 } else { 0 });
    let out = if a.format.json() {
        let check: serde_json::Value = serde_json::from_str(&zha_diag::json::report(
            &report.diagnostics,
            &report.sources,
        ))?;
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        output::json(&serde_json::json!({
            "version": 1,
            "out": a.out,
            "files": names,
            "check": check,
        }))?
    } else {
        let mut out = format!("wrote {} files to {}:\n", files.len(), a.out.display());
        for f in &files {
            out.push_str(&format!("  {}\n", f.name));
        }
        if report.diagnostics.is_empty() {
            out.push_str(&format!(
                "`zosmf-ha check {}`: no findings. Next: CHECKLIST.md.\n",
                a.out.display()
            ));
        } else {
            out.push_str(&zha_diag::render::render_all(
                &report.diagnostics,
                &report.sources,
                output::style(a.color.color),
            ));
        }
        out
    };
    // A closed pipe is no error (output::print); a full one is.
    if let Err(e) = output::print(&out) {
        output::error(&format!(
            "zosmf-ha plan: the files are in {}, but the report could not be written: {e:#}",
            a.out.display()
        ));
        return Ok(ExitCode::from(2));
    }
    Ok(code)
}

/// Write the files into `out` (created if needed), all or none; refuses to
/// overwrite unless `force`. `None`: refused (the message is given).
pub fn write(out: &Path, files: &[plan::File], force: bool) -> anyhow::Result<Option<()>> {
    // Decide everything before creating anything.
    if out.exists() && !out.is_dir() {
        anyhow::bail!(
            "cannot write into {}: it is not a folder; give --out a folder",
            out.display()
        );
    }
    let targets: Vec<PathBuf> = files.iter().map(|f| out.join(&f.name)).collect();
    let existing: Vec<&Path> = targets
        .iter()
        .filter(|p| std::fs::symlink_metadata(p).is_ok())
        .map(PathBuf::as_path)
        .collect();
    if let Some(d) = existing.iter().find(|p| p.is_dir()) {
        anyhow::bail!(
            "cannot write {}: a folder of that name is there; move it away or use another --out",
            d.display()
        );
    }
    if !force && !existing.is_empty() {
        let names: Vec<String> = existing
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        output::error(&format!(
            "zosmf-ha plan: {} already holds {}; use --force to replace them, or another --out",
            out.display(),
            names.join(", ")
        ));
        return Ok(None);
    }
    // The folders this call creates, outermost first: removed again on failure.
    let created: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = out
            .ancestors()
            .filter(|p| !p.as_os_str().is_empty())
            .take_while(|p| !p.exists())
            .map(Path::to_path_buf)
            .collect();
        v.reverse();
        v
    };
    let done = stage_and_move(out, files, &targets);
    if done.is_err() {
        for d in created.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
    done.map(Some)
}

/// Write every file into a staging folder inside `out`, then move them all
/// into place; the staging folder goes in any case.
fn stage_and_move(out: &Path, files: &[plan::File], targets: &[PathBuf]) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the folder {}", out.display()))?;
    let staging = out.join(format!(".zosmf-ha-plan.{}", std::process::id()));
    // A leftover of a killed run of a process with this id: ours to replace.
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir(&staging)
        .with_context(|| format!("cannot write in the folder {}", out.display()))?;
    let moved = (|| {
        for (f, target) in files.iter().zip(targets) {
            zha_plex::OsFs::write_atomic(&staging.join(&f.name), f.text.as_bytes(), 0o644)
                .with_context(|| format!("cannot write {}", target.display()))?;
        }
        // Renames within one folder: a failure here is all but impossible;
        // if one comes, the new files already moved go again.
        let mut new = Vec::new();
        for (f, target) in files.iter().zip(targets) {
            let fresh = std::fs::symlink_metadata(target).is_err();
            if let Err(e) = std::fs::rename(staging.join(&f.name), target) {
                for p in &new {
                    let _ = std::fs::remove_file(p);
                }
                return Err(
                    anyhow::Error::new(e).context(format!("cannot write {}", target.display()))
                );
            }
            if fresh {
                new.push(target);
            }
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    moved
}
