//! Loading the profile the distributor runs: checked like `zosmf-ha check`,
//! refused when the checker finds an error.

use std::path::Path;

use zha_diag::render::{Style, render_all};
use zha_diag::symbols::Symbols;
use zha_tcpip::Stack;

use crate::config::Settings;
use crate::plan::{Plan, plan};

pub struct Loaded {
    pub stack: Stack,
    pub plan: Plan,
}

/// Check the profile and build the plan. The error is what to show the
/// user: the rendered findings, or what the plan needs.
pub fn load(path: &Path, symbols: &Symbols, settings: &Settings) -> Result<Loaded, String> {
    let (report, stack) = zha_plex::check::check_profile(&zha_plex::OsFs, path, symbols);
    let s = zha_diag::Summary::of(&report.diagnostics);
    if report.fatal || s.errors > 0 || stack.is_none() {
        let text = render_all(&report.diagnostics, &report.sources, Style::Plain);
        return Err(format!(
            "{} has errors; the distributor does not start with it:\n\n{text}",
            path.display()
        ));
    }
    let stack = stack.unwrap_or_default();
    let plan = plan(&stack, settings).map_err(|errs| {
        let mut s = format!("{} cannot be distributed:\n", path.display());
        for e in errs {
            s.push_str("  - ");
            s.push_str(&e);
            s.push('\n');
        }
        s
    })?;
    Ok(Loaded { stack, plan })
}
