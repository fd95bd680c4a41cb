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
        None => match zos_message(&id) {
            Some(msg) => {
                let citing: Vec<_> = catalog().into_iter().filter(|c| cites(c, &msg)).collect();
                if citing.is_empty() {
                    output::error(&format!(
                        "zosmf-ha: no rule cites the z/OS message {msg} (run `zosmf-ha explain` for the list)"
                    ));
                    return Ok(ExitCode::from(2));
                }
                let mut s = format!("The rules that cite the z/OS message {msg}:\n\n");
                for c in &citing {
                    s.push_str(&format!(
                        "{} ({}): {}\n\n{}\n\n",
                        c.code,
                        severity_words(c.severities),
                        c.title,
                        c.explanation
                    ));
                }
                output::print(s.trim_end_matches('\n'))?;
                output::print("\n")?;
                Ok(ExitCode::SUCCESS)
            }
            None => {
                output::error(&format!(
                    "zosmf-ha: no finding has the id `{id}`; ids look like ZHA2006, or a z/OS message like EZZ0827I (run `zosmf-ha explain` for the list)"
                ));
                Ok(ExitCode::from(2))
            }
        },
    }
}

/// A z/OS message id (`EZZ0827I`, `ezz0827i`, `IZUG349I`), upper-cased:
/// three or four letters, three or four digits, a letter.
fn zos_message(id: &str) -> Option<String> {
    let id = id.trim().to_ascii_uppercase();
    let letters = id.bytes().take_while(u8::is_ascii_alphabetic).count();
    let rest = &id[letters..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let tail = &rest[digits..];
    let ok = (3..=4).contains(&letters)
        && (3..=4).contains(&digits)
        && tail.len() == 1
        && tail.bytes().all(|b| b.is_ascii_alphabetic())
        && !id.starts_with("ZHA");
    ok.then_some(id)
}

/// Whether a rule's text names the message (as a word).
fn cites(c: &zha_diag::CodeInfo, msg: &str) -> bool {
    [c.title, c.explanation].iter().any(|t| {
        t.match_indices(msg).any(|(i, _)| {
            let before = t[..i].chars().next_back();
            let after = t[i + msg.len()..].chars().next();
            !before.is_some_and(|b| b.is_ascii_alphanumeric())
                && !after.is_some_and(|a| a.is_ascii_alphanumeric())
        })
    })
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
