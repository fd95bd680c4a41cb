//! `zosmf-ha explain`.

use std::process::ExitCode;

use crate::cli::ExplainArgs;
use crate::output;

pub fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let Some(id) = args.id else {
        let mut s = String::from("Finding ids (zosmf-ha explain ID for the details):\n\n");
        for c in zha_plex::codes::all() {
            s.push_str(&format!("  {}  {:<3}  {}\n", c.code, c.severities, c.title));
        }
        output::print(&s)?;
        return Ok(ExitCode::SUCCESS);
    };
    match zha_plex::codes::find(&id) {
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
            eprintln!(
                "zosmf-ha: no finding has the id `{id}`; ids look like ZHA2006 (run `zosmf-ha explain` for the list)"
            );
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
