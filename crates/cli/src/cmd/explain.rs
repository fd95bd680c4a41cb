//! `zosmf-ha explain`.

use std::process::ExitCode;

use crate::args::ExplainArgs;
use crate::output;

pub fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let answer = match args.id.as_deref() {
        None => Answer {
            zos: None,
            full: false,
            rules: catalog(),
        },
        Some(id) => match find(id) {
            Some(c) => Answer {
                zos: None,
                full: true,
                rules: vec![c],
            },
            None => match zos_message(id) {
                Some(msg) => {
                    let citing: Vec<_> = catalog().into_iter().filter(|c| cites(c, &msg)).collect();
                    if citing.is_empty() {
                        output::error(&format!(
                            "zosmf-ha: no rule cites the z/OS message {msg} (run `zosmf-ha explain` for the list)"
                        ));
                        return Ok(ExitCode::from(2));
                    }
                    Answer {
                        zos: Some(msg),
                        full: true,
                        rules: citing,
                    }
                }
                None => {
                    output::error(&format!(
                        "zosmf-ha: no finding has the id `{id}`; ids look like ZHA2006, or a z/OS message like EZZ0827I (run `zosmf-ha explain` for the list)"
                    ));
                    return Ok(ExitCode::from(2));
                }
            },
        },
    };
    let out = if args.format.json() {
        output::json(&answer.json())?
    } else {
        answer.text()
    };
    output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// What `explain` says: the list of every id (`full` false: titles only),
/// one id, or the rules citing a z/OS message.
struct Answer {
    zos: Option<String>,
    full: bool,
    rules: Vec<zha_diag::CodeInfo>,
}

impl Answer {
    fn text(&self) -> String {
        if !self.full {
            let mut s = String::from("Finding ids (zosmf-ha explain ID for the details):\n\n");
            for c in &self.rules {
                s.push_str(&format!("  {}  {:<3}  {}\n", c.code, c.severities, c.title));
            }
            return s;
        }
        let mut s = match &self.zos {
            Some(msg) => format!("The rules that cite the z/OS message {msg}:\n\n"),
            None => String::new(),
        };
        let blocks: Vec<String> = self
            .rules
            .iter()
            .map(|c| {
                format!(
                    "{} ({}): {}\n\n{}\n",
                    c.code,
                    severity_words(c.severities),
                    c.title,
                    c.explanation
                )
            })
            .collect();
        s.push_str(&blocks.join("\n"));
        s
    }

    /// `{"version": 1, "zos": "EZZ0827I" or null, "ids": [{"id",
    /// "severities": ["error", …], "title", "explanation"}]}` (the list of
    /// every id has no explanations, as its text).
    fn json(&self) -> serde_json::Value {
        let ids: Vec<serde_json::Value> = self
            .rules
            .iter()
            .map(|c| {
                let mut v = serde_json::json!({
                    "id": c.code,
                    "severities": c.severities.split('/').map(severity_word).collect::<Vec<_>>(),
                    "title": c.title,
                });
                if self.full {
                    v["explanation"] = c.explanation.into();
                }
                v
            })
            .collect();
        serde_json::json!({ "version": 1, "zos": self.zos, "ids": ids })
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
        .map(severity_word)
        .collect::<Vec<_>>()
        .join(" or ")
}

fn severity_word(letter: &str) -> &str {
    match letter {
        "E" => "error",
        "W" => "warning",
        "I" => "note",
        other => other,
    }
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
