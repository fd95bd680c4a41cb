//! Loading the profile the distributor runs: checked like `zosmf-ha
//! check`, refused when the checker finds an error. The error carries the
//! check report; rendering it is the caller's business (the binary renders
//! it like `check` at start; a reload answers and logs one line a finding).

use std::fmt::Write;
use std::path::{Path, PathBuf};

use zha_diag::symbols::Symbols;
use zha_diag::{Severity, Summary};
use zha_plex::Report;
use zha_tcpip::Stack;

use crate::services::{Services, services};
use crate::settings::Settings;

pub struct Loaded {
    pub stack: Stack,
    pub services: Services,
}

/// A profile the distributor does not run.
#[derive(Debug)]
pub enum ProfileError {
    /// It could not be read, or the checker found errors.
    Check { path: PathBuf, report: Box<Report> },
    /// It checks clean but cannot be distributed (what to change).
    Services {
        path: PathBuf,
        problems: Vec<String>,
    },
}

impl ProfileError {
    /// The profile refused.
    pub fn path(&self) -> &Path {
        match self {
            ProfileError::Check { path, .. } | ProfileError::Services { path, .. } => path,
        }
    }

    /// The check report, for a caller that renders it in full.
    pub fn report(&self) -> Option<&Report> {
        match self {
            ProfileError::Check { report, .. } => Some(report),
            ProfileError::Services { .. } => None,
        }
    }

    /// One line: how many errors, and the first with its place.
    pub fn summary(&self) -> String {
        let lines = self.lines();
        let first = lines.first().cloned().unwrap_or_default();
        match self {
            ProfileError::Check { path, report } => {
                let s = Summary::of(&report.diagnostics);
                let more = if lines.len() > 1 {
                    format!(" (and {} more)", lines.len() - 1)
                } else {
                    String::new()
                };
                format!(
                    "{} has {} error(s): {first}{more}; `zosmf-ha check {}` shows them all",
                    path.display(),
                    s.errors.max(1),
                    path.display()
                )
            }
            ProfileError::Services { path, .. } => {
                format!("{} cannot be distributed: {first}", path.display())
            }
        }
    }

    /// A line for each error: `FILE:LINE:COL: ID message`, or a problem.
    pub fn lines(&self) -> Vec<String> {
        match self {
            ProfileError::Check { report, .. } => report
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error || report.fatal)
                .map(|d| {
                    let place = d.anchor().and_then(|sp| {
                        let f = report.sources.get(sp.file)?;
                        let lc = f.line_col(sp.range().start);
                        Some(format!("{}:{}:{}: ", f.name(), lc.line, lc.column))
                    });
                    format!("{}{} {}", place.unwrap_or_default(), d.id(), d.message)
                })
                .collect(),
            ProfileError::Services { problems, .. } => problems.clone(),
        }
    }
}

impl std::fmt::Display for ProfileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = match self {
            ProfileError::Check { path, .. } => format!("{} has errors:", path.display()),
            ProfileError::Services { path, .. } => {
                format!("{} cannot be distributed:", path.display())
            }
        };
        for l in self.lines() {
            let _ = write!(s, "\n  {l}");
        }
        f.write_str(&s)
    }
}

impl std::error::Error for ProfileError {}

/// Check the profile: its stack, or the findings that refuse it.
pub fn check(path: &Path, symbols: &Symbols) -> Result<Stack, ProfileError> {
    let (report, stack) = zha_plex::check::check_profile(&zha_plex::OsFs, path, symbols);
    let s = Summary::of(&report.diagnostics);
    match stack {
        Some(st) if !report.fatal && s.errors == 0 => Ok(st),
        _ => Err(ProfileError::Check {
            path: path.to_path_buf(),
            report: Box::new(report),
        }),
    }
}

/// Check the profile and work out its services.
pub fn load(path: &Path, symbols: &Symbols, settings: &Settings) -> Result<Loaded, ProfileError> {
    let stack = check(path, symbols)?;
    let services = services(&stack, settings).map_err(|problems| ProfileError::Services {
        path: path.to_path_buf(),
        problems,
    })?;
    Ok(Loaded { stack, services })
}
