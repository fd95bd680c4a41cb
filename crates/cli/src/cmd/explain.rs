//! `zosmf-ha explain`.

use std::process::ExitCode;

use crate::args::ExplainArgs;
use crate::output;

pub fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let Some(id) = args.id else {
        let mut s = String::from("Finding ids (zosmf-ha explain ID for the details):\n\n");
        for c in catalog() {
            s.push_str(&format!("  {}  {:<3}  {}\n", c.code, c.severities, c.title));
        }
        output::print(&s)?;
        return Ok(ExitCode::SUCCESS);
    };
    match find(&id) {
        Some(c) => {
            let s = format!(
                "{} ({}): {}\n\n{}\n",
                c.code,
                severity_words(c.severities),
                c.title,
                c.explanation
            );
            output::print(&s)?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            output::error(&format!(
                "zosmf-ha: no finding has the id `{id}`; ids look like ZHA2006 (run `zosmf-ha explain` for the list)"
            ));
            Ok(ExitCode::from(2))
        }
    }
}

fn severity_words(s: &str) -> String {
    s.split('/')
        .map(|l| match l {
            "E" => "error",
            "W" => "warning",
            "I" => "note",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Every id: the checker's and the distributor's.
pub fn catalog() -> Vec<zha_diag::CodeInfo> {
    let mut v = zha_plex::codes::all();
    v.extend(zha_distributor::codes::catalog());
    v.sort_by_key(|c| c.code);
    v
}

/// Look an id up; accepts `ZHA2006`, `ZHA2006E`, `zha2006` and `2006`.
fn find(id: &str) -> Option<zha_diag::CodeInfo> {
    let id = id.trim().to_ascii_uppercase();
    let id = id.strip_prefix("ZHA").unwrap_or(&id);
    let digits: String = id.chars().take(4).collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = &id[4..];
    if !(rest.is_empty() || matches!(rest, "E" | "W" | "I")) {
        return None;
    }
    let code = format!("ZHA{digits}");
    catalog().into_iter().find(|c| c.code == code)
}
