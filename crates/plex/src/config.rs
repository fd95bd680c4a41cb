//! `sysplex.toml`: the systems of a sysplex and the files that configure
//! each (SPEC §4). Errors carry their location like any other finding.

use std::collections::BTreeMap;
use std::net::IpAddr;

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
    /// Which hot-standby distribution is z/OSMF's (`"addr..port"`), when
    /// two qualify equally (SPEC §4).
    pub zosmf: Option<Spanned<String>>,
    /// What host names resolve to, written down (what `--resolve` says).
    #[serde(default)]
    pub resolve: BTreeMap<String, Spanned<String>>,
}

/// A parsed `zosmf = "addr..port"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZosmfPin {
    pub dvipa: IpAddr,
    pub port: u16,
    /// Where sysplex.toml says it.
    pub span: Span,
}

/// Parse `addr..port` (z/OS NETSTAT's notation), or `addr:port` for IPv4.
pub fn parse_dvipa_port(s: &str) -> Option<(IpAddr, u16)> {
    let s = s.trim();
    let (a, p) = s.rsplit_once("..").or_else(|| {
        let (a, p) = s.rsplit_once(':')?;
        (!a.contains(':')).then_some((a, p))
    })?;
    let a = a.trim_start_matches('[').trim_end_matches(']');
    Some((zha_tcpip::addr::ip(a)?, p.parse().ok()?))
}

impl SysplexToml {
    /// The `zosmf` pin, checked by [`parse`].
    pub fn zosmf_pin(&self, file: FileId) -> Option<ZosmfPin> {
        let z = self.zosmf.as_ref()?;
        let (dvipa, port) = parse_dvipa_port(z.get_ref())?;
        Some(ZosmfPin {
            dvipa,
            port,
            span: span(file, z.span()),
        })
    }

    /// `[resolve]`, names upper case, checked by [`parse`].
    pub fn resolved(&self) -> BTreeMap<String, IpAddr> {
        self.resolve
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.to_ascii_uppercase(),
                    zha_tcpip::addr::ip(v.get_ref().trim())?,
                ))
            })
            .collect()
    }
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
                "sysplex.toml has `name = \"PLEX\"` and one [[system]] table per system with `name`, `parmlib = [..]`, `profile` and optional `symbols`; optional top-level `zosmf = \"addr..port\"` and `[resolve]`; see `zosmf-ha explain ZHA0010`",
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
    if let Some(z) = &cfg.zosmf
        && parse_dvipa_port(z.get_ref()).is_none()
    {
        diags.push(
            Diagnostic::error(
                codes::TOML_CONTENT,
                format!("`{}` is not a DVIPA and port", z.get_ref()),
            )
            .primary(span(file, z.span()), "expected addr..port")
            .help(
                "name the z/OSMF distribution as NETSTAT does, e.g. `zosmf = \"10.1.1.10..443\"`",
            ),
        );
    }
    for (name, v) in &cfg.resolve {
        if zha_tcpip::addr::ip(v.get_ref().trim()).is_none() {
            diags.push(
                Diagnostic::error(
                    codes::TOML_CONTENT,
                    format!("`{}` is not an IP address for {name}", v.get_ref()),
                )
                .primary(span(file, v.span()), "expected an IPv4 or IPv6 address")
                .help(
                    "write what the name resolves to, e.g. `\"zosmf.example.com\" = \"10.1.1.10\"`",
                ),
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
