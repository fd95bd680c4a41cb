//! `sysplex.toml`: the systems of a sysplex and the files that configure
//! each (SPEC §4). Errors carry their location like any other finding.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;
use zha_diag::{Diagnostic, FileId, Span};

use crate::codes;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SysplexToml {
    /// The sysplex name (also the value of &SYSPLEX.).
    pub name: Spanned<String>,
    #[serde(default)]
    pub system: Vec<SystemToml>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemToml {
    pub name: Spanned<String>,
    /// The IZU=(..) members, in order; paths relative to sysplex.toml.
    #[serde(default)]
    pub parmlib: Vec<Spanned<String>>,
    /// The system's PROFILE.TCPIP.
    pub profile: Option<Spanned<String>>,
    /// System symbols; SYSNAME defaults to the system name.
    #[serde(default)]
    pub symbols: BTreeMap<String, String>,
}

fn span(file: FileId, s: std::ops::Range<usize>) -> Span {
    Span::new(file, s)
}

/// Parse and validate the description. On error, the findings say where.
pub fn parse(file: FileId, text: &str) -> Result<SysplexToml, Vec<Diagnostic>> {
    let cfg: SysplexToml = match toml::from_str(text) {
        Ok(c) => c,
        Err(e) => {
            let mut d = Diagnostic::error(
                codes::TOML,
                format!("sysplex.toml: {}", first_line(e.message())),
            );
            d = match e.span() {
                Some(s) => d.primary(span(file, s), first_line(e.message())),
                None => d.primary(Span::file_start(file), "in this file"),
            };
            return Err(vec![d.help(
                "sysplex.toml has `name = \"PLEX\"` and one [[system]] table per system with `name`, `parmlib = [..]`, `profile` and optional `symbols`; see `zosmf-ha explain ZHA0010`",
            )]);
        }
    };
    let mut diags = Vec::new();
    if cfg.system.is_empty() {
        diags.push(
            Diagnostic::error(codes::TOML_CONTENT, "sysplex.toml describes no system")
                .primary(span(file, cfg.name.span()), "sysplex with no [[system]]")
                .help("add a [[system]] table for each system: name, parmlib = [\"IZUPRM0A\"], profile = \"PROFA.TCPIP\""),
        );
    }
    let name_ok = |n: &str| {
        (1..=8).contains(&n.len())
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'@' | b'#' | b'$'))
    };
    for (i, s) in cfg.system.iter().enumerate() {
        if !name_ok(s.name.get_ref()) {
            diags.push(
                Diagnostic::error(
                    codes::TOML_CONTENT,
                    format!("`{}` is not a z/OS system name", s.name.get_ref()),
                )
                .primary(
                    span(file, s.name.span()),
                    "1-8 characters: letters, digits, @ # $",
                )
                .help("use the system's SYSNAME, e.g. SYSA"),
            );
        }
        if let Some(prev) = cfg.system[..i]
            .iter()
            .find(|p| p.name.get_ref().eq_ignore_ascii_case(s.name.get_ref()))
        {
            diags.push(
                Diagnostic::error(
                    codes::TOML_CONTENT,
                    format!("system {} is described twice", s.name.get_ref()),
                )
                .primary(span(file, s.name.span()), "second description")
                .secondary(span(file, prev.name.span()), "first description")
                .help("give each [[system]] its own name"),
            );
        }
        if s.parmlib.is_empty() && s.profile.is_none() {
            diags.push(
                Diagnostic::error(codes::TOML_CONTENT, format!("system {} names no file", s.name.get_ref()))
                    .primary(span(file, s.name.span()), "neither parmlib nor profile")
                    .help("add `parmlib = [\"IZUPRMxx\"]` and `profile = \"PROFILE.TCPIP\"` for this system"),
            );
        }
    }
    if diags.is_empty() {
        Ok(cfg)
    } else {
        Err(diags)
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_owned()
}
