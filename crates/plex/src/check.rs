//! `check`: load a sysplex (or lone files), build the model, apply the
//! rules, and return every finding with the sources they point into.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use zha_diag::symbols::Symbols;
use zha_diag::{Diagnostic, SourceMap, Span};
use zha_parmlib::Member;
use zha_tcpip::Stack;

use crate::config;
use crate::fs::Fs;
use crate::load::{Loader, Mode};
use crate::model::{Sysplex, System};
use crate::rules::{self, RuleOptions};

/// What a lone file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Parmlib,
    Profile,
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub rules: RuleOptions,
    /// For lone files: force the kind instead of guessing.
    pub kind: Option<Kind>,
    /// For lone files: system symbols (sysplex mode takes them from sysplex.toml).
    pub symbols: Symbols,
}

/// The outcome of a check.
#[derive(Debug)]
pub struct Report {
    pub sources: SourceMap,
    /// In file order.
    pub diagnostics: Vec<Diagnostic>,
    /// Some input could not be read (exit status 2).
    pub fatal: bool,
    /// The model, in sysplex mode when every file could be read.
    pub sysplex: Option<Sysplex>,
}

/// A `.toml` file or a folder holding `sysplex.toml` means sysplex mode.
pub fn is_sysplex_path(fs: &dyn Fs, path: &Path) -> bool {
    path != Path::new(crate::load::STDIN) && fs.is_dir(path)
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}

/// Check the paths given on the command line (SPEC §4).
pub fn check(fs: &dyn Fs, paths: &[PathBuf], opts: &Options) -> Report {
    match paths {
        [one] if is_sysplex_path(fs, one) => check_sysplex(fs, one, opts),
        _ => check_lone(fs, paths, opts),
    }
}

fn finish(mut loader: Loader, sysplex: Option<Sysplex>, extra: Vec<Diagnostic>) -> Report {
    loader.diagnostics.extend(extra);
    let mut diagnostics = loader.diagnostics;
    // File order: by the file a finding points at first, then position;
    // findings without a place (unreadable files) first.
    diagnostics.sort_by_key(|d| d.anchor().map(|s| (s.file, s.start, s.end)));
    // A member shared by several systems is parsed once per system (their
    // symbols may differ); the same finding is reported once.
    let mut unique: Vec<Diagnostic> = Vec::with_capacity(diagnostics.len());
    for d in diagnostics {
        if !unique.contains(&d) {
            unique.push(d);
        }
    }
    let statements = sysplex.as_ref().map(distribution_keys).unwrap_or_default();
    let diagnostics = merge_across_profiles(unique, &statements);
    Report {
        sources: loader.sources,
        diagnostics,
        fatal: loader.fatal,
        sysplex,
    }
}

/// Every VIPADISTRIBUTE of the sysplex, applied or ignored by z/OS: the
/// places that belong to it, and what it is (DVIPA, ports, targets with
/// their roles) — two statements with the same key are one distribution
/// coded alike in several profiles.
fn distribution_keys(plex: &Sysplex) -> Vec<(Vec<Span>, String)> {
    fn key(
        dvipa: String,
        method: zha_tcpip::DistMethod,
        ports: &[zha_diag::Located<zha_tcpip::PortRange>],
        targets: &[&zha_tcpip::Target],
    ) -> String {
        let mut p: Vec<(u16, u16)> = ports.iter().map(|p| (p.value.lo, p.value.hi)).collect();
        p.sort_unstable();
        let t: Vec<String> = targets
            .iter()
            .map(|t| format!("{} {:?}", t.addr.value, t.role))
            .collect();
        format!("{dvipa} {method:?} {p:?} {t:?}")
    }
    let mut v = Vec::new();
    for s in &plex.systems {
        let Some(st) = &s.stack else { continue };
        for d in &st.distributions {
            let targets: Vec<&zha_tcpip::Target> = d.targets.iter().flatten().collect();
            v.push((
                vec![d.span],
                key(d.dvipa.value.to_string(), d.method, &d.ports, &targets),
            ));
        }
        for d in &st.ignored {
            let mut spans = vec![d.keyword, d.dvipa.span];
            spans.extend(d.ports.iter().map(|p| p.span));
            for t in &d.targets {
                spans.push(t.addr.span);
                spans.extend(t.role_span);
            }
            let targets: Vec<&zha_tcpip::Target> = d.targets.iter().collect();
            v.push((
                spans,
                key(format!("{:?}", d.dvipa.value), d.method, &d.ports, &targets),
            ));
        }
    }
    v
}

/// The statements of later members that override earlier members' (SPEC
/// §3: the later member wins).
fn overrides(members: &[Member], names: &[toml::Spanned<String>]) -> Vec<crate::model::Override> {
    let suffix = |i: usize| -> String {
        let n = names.get(i).map(|n| n.get_ref().as_str()).unwrap_or("?");
        let base = n.rsplit('/').next().unwrap_or(n).to_ascii_uppercase();
        match base.strip_prefix("IZUPRM") {
            Some(x) if !x.is_empty() => x.to_owned(),
            _ => base,
        }
    };
    let order: Vec<String> = (0..members.len()).map(suffix).collect();
    let order = order.join(",");
    let mut last: std::collections::HashMap<String, (usize, Span)> = Default::default();
    let mut v = Vec::new();
    for (i, m) in members.iter().enumerate() {
        for st in &m.statements {
            let k = st.name.to_ascii_uppercase();
            if let Some(&(j, earlier)) = last.get(&k)
                && j != i
            {
                v.push(crate::model::Override {
                    by: st.span,
                    overridden: earlier,
                    order: order.clone(),
                    later: suffix(i),
                    earlier: suffix(j),
                });
            }
            last.insert(k, (i, st.span));
        }
    }
    v
}

/// One cause, one finding (SPEC §4): a distribution coded alike in several
/// profiles that z/OS would treat alike gets one finding with a label in
/// each profile, not one finding per profile; and a statement of a profile
/// or member shared by several systems (read once per system, with each
/// system's symbols) gets one finding, whatever system its context names.
fn merge_across_profiles(
    diagnostics: Vec<Diagnostic>,
    statements: &[(Vec<Span>, String)],
) -> Vec<Diagnostic> {
    // The distribution a finding is about: the statement one of its labels
    // points into.
    let about = |d: &Diagnostic| -> Option<&str> {
        d.labels.iter().find_map(|l| {
            statements
                .iter()
                .find(|(spans, _)| {
                    spans.iter().any(|s| {
                        s.file == l.span.file && s.start <= l.span.start && l.span.end <= s.end
                    })
                })
                .map(|(_, k)| k.as_str())
        })
    };
    let mut out: Vec<Diagnostic> = Vec::with_capacity(diagnostics.len());
    for d in diagnostics {
        let anchor = d.anchor();
        let file = anchor.map(|s| s.file);
        let key = about(&d);
        let same = out.iter_mut().find(|o| {
            let alike = o.code == d.code
                && o.severity == d.severity
                && o.message == d.message
                && o.help == d.help
                && o.zos == d.zos
                && o.notes == d.notes;
            let same_place = anchor.is_some() && o.anchor() == anchor;
            let other_profile = o.code.starts_with("ZHA20")
                && key.is_some()
                && about(o) == key
                && file.is_some()
                && !o.labels.iter().any(|l| Some(l.span.file) == file);
            alike && (same_place || other_profile)
        });
        match same {
            Some(o) => {
                for mut l in d.labels {
                    l.primary = false;
                    if !o.labels.iter().any(|x| x.span == l.span) {
                        o.labels.push(l);
                    }
                }
            }
            None => out.push(d),
        }
    }
    out
}

/// Load a sysplex described by `sysplex.toml` (or a folder holding one).
pub fn load_sysplex<'f>(fs: &'f dyn Fs, path: &Path) -> (Loader<'f>, Option<Sysplex>) {
    let mut loader = Loader::new(fs);
    let toml_path = if fs.is_dir(path) {
        path.join("sysplex.toml")
    } else {
        path.to_path_buf()
    };
    if fs.is_dir(path) && !fs.is_file(&toml_path) {
        loader.diagnostics.push(
            Diagnostic::error(crate::codes::MISSING_FILE, format!("{} holds no sysplex.toml", path.display()))
                .help("point at a folder with a sysplex.toml, or at the .toml file; `zosmf-ha explain ZHA0010` shows its format. To check a single member or profile, name the file"),
        );
        loader.fatal = true;
        return (loader, None);
    }
    let Some(toml_id) = loader.read(&toml_path, None) else {
        return (loader, None);
    };
    let cfg = match config::parse(toml_id, loader.sources.file(toml_id).text()) {
        Ok(c) => c,
        Err(diags) => {
            loader.diagnostics.extend(diags);
            loader.fatal = true;
            return (loader, None);
        }
    };
    let dir = toml_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let plex_name = cfg.name.get_ref().clone();
    let mut systems = Vec::new();
    for s in &cfg.system {
        let name = s.name.get_ref().to_ascii_uppercase();
        let name_span = Span::new(toml_id, s.name.span());
        let mut symbols = Symbols::new();
        for (k, v) in &s.symbols {
            symbols.set(k, v.clone());
        }
        symbols.set_default("SYSNAME", name.clone());
        // IBM: &SYSCLONE. defaults to the last two characters of &SYSNAME.
        let clone: String = name
            .chars()
            .skip(name.chars().count().saturating_sub(2))
            .collect();
        symbols.set_default("SYSCLONE", clone);
        symbols.set_default("SYSPLEX", plex_name.to_ascii_uppercase());
        let mut members = Vec::new();
        let mut member_files = Vec::new();
        for m in &s.parmlib {
            let at = Span::new(toml_id, m.span());
            if let Some(id) = loader.read(&dir.join(m.get_ref()), Some(at))
                && wrong_kind(&mut loader, id, Kind::Parmlib, Some(at))
            {
                continue;
            }
            if let Some(member) = loader.member(&dir.join(m.get_ref()), &symbols, Some(at)) {
                member_files.push(member.file);
                members.push(member);
            }
        }
        let settings = zha_parmlib::effective(&members);
        let overrides = overrides(&members, &s.parmlib);
        let (profile, stack) = match &s.profile {
            Some(p) => {
                let at = Span::new(toml_id, p.span());
                let wrong = loader
                    .read(&dir.join(p.get_ref()), Some(at))
                    .is_some_and(|id| wrong_kind(&mut loader, id, Kind::Profile, Some(at)));
                let profile = if wrong {
                    None
                } else {
                    loader.profile(&dir.join(p.get_ref()), &symbols, Mode::Sysplex, Some(at))
                };
                match profile {
                    Some((id, statements)) => {
                        let (stack, diags) = zha_tcpip::apply(statements.iter());
                        loader.diagnostics.extend(diags);
                        (Some(id), Some(stack))
                    }
                    None => (None, None),
                }
            }
            None => (None, None),
        };
        systems.push(System {
            name,
            name_span: Some(name_span),
            members: member_files,
            settings,
            overrides,
            profile,
            stack,
        });
    }
    let plex = Sysplex {
        name: plex_name,
        systems,
        zosmf: cfg.zosmf_pin(toml_id),
        resolve: cfg.resolved(),
    };
    (loader, Some(plex))
}

fn check_sysplex(fs: &dyn Fs, path: &Path, opts: &Options) -> Report {
    let (loader, plex) = load_sysplex(fs, path);
    match plex {
        Some(plex) if !loader.fatal => {
            let extra = rules::sysplex(&plex, &opts.rules);
            finish(loader, Some(plex), extra)
        }
        _ => finish(loader, None, Vec::new()),
    }
}

/// Which language a lone file is in: `--kind`, else a name starting with
/// IZUPRM, else its content.
pub fn kind_of(path: &Path, text: &str, forced: Option<Kind>) -> Kind {
    if let Some(k) = forced {
        return k;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_uppercase())
        .unwrap_or_default();
    if name.starts_with("IZUPRM") {
        Kind::Parmlib
    } else if zha_tcpip::looks_like_profile(text) {
        Kind::Profile
    } else {
        Kind::Parmlib
    }
}

/// A file read as one kind whose content is plainly the other: one finding
/// (exit status 2) instead of a warning for nearly every line.
fn wrong_kind(loader: &mut Loader, id: zha_diag::FileId, kind: Kind, cause: Option<Span>) -> bool {
    let text = loader.sources.file(id).text();
    let (profile, member) = (
        zha_tcpip::looks_like_profile(text),
        zha_parmlib::looks_like_member(text),
    );
    let (is, named, flag) = match kind {
        Kind::Parmlib if profile && !member => {
            ("a TCP/IP profile", "an IZUPRMxx member", "profile")
        }
        Kind::Profile if member && !profile => {
            ("an IZUPRMxx member", "a TCP/IP profile", "parmlib")
        }
        _ => return false,
    };
    let name = loader.sources.file(id).name().to_owned();
    let mut d = Diagnostic::error(
        crate::codes::WRONG_KIND,
        format!("{name} looks like {is}, not {named}"),
    )
    .primary(Span::file_start(id), format!("read as {named}"));
    d = match cause {
        Some(c) => d
            .secondary(c, format!("named as {named} here"))
            .help("swap the parmlib and profile entries of this system in sysplex.toml, or correct the path"),
        None => d.help(format!(
            "check it as {is} with `--kind {flag}`, or name the right file"
        )),
    };
    loader.diagnostics.push(d);
    loader.fatal = true;
    true
}

fn check_lone(fs: &dyn Fs, paths: &[PathBuf], opts: &Options) -> Report {
    let mut loader = Loader::new(fs);
    let mut extra = Vec::new();
    for path in paths {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
        {
            loader.diagnostics.push(
                Diagnostic::error(crate::codes::UNREADABLE, format!("{} describes a sysplex: name it alone", path.display()))
                    .help("`zosmf-ha check sysplex.toml` (or its folder) checks the whole sysplex; name members and profiles alone to check them alone"),
            );
            loader.fatal = true;
            continue;
        }
        if path != Path::new(crate::load::STDIN) && fs.is_dir(path) {
            loader.diagnostics.push(
                Diagnostic::error(crate::codes::UNREADABLE, format!("{} is a folder", path.display()))
                    .help("name one folder (holding sysplex.toml) alone for a sysplex check, or name files"),
            );
            loader.fatal = true;
            continue;
        }
        let Some(id) = loader.read_arg(path) else {
            continue;
        };
        let text = loader.sources.file(id).text().to_owned();
        let kind = kind_of(path, &text, opts.kind);
        if wrong_kind(&mut loader, id, kind, None) {
            continue;
        }
        match kind {
            Kind::Parmlib => {
                let parsed = zha_parmlib::parse(id, &text, &opts.symbols);
                loader.diagnostics.extend(parsed.diagnostics);
            }
            Kind::Profile => {
                extra.extend(lone_profile(&mut loader, id, path, &opts.symbols).1);
            }
        }
    }
    finish(loader, None, extra)
}

/// Parse a profile already read (following its INCLUDEs), apply it, and
/// return the stack with the lone-profile rules' findings.
fn lone_profile(
    loader: &mut Loader,
    id: zha_diag::FileId,
    path: &Path,
    symbols: &Symbols,
) -> (Stack, Vec<Diagnostic>) {
    let statements = loader.profile_from(id, path, symbols, Mode::Lone);
    let (stack, diags) = zha_tcpip::apply(statements.iter());
    loader.diagnostics.extend(diags);
    let extra = rules::lone_profile(&stack);
    (stack, extra)
}

/// Check one profile alone, as `check --kind profile FILE` does, and return
/// the stack z/OS would run (`None` when the file could not be read): what
/// the distributor starts from.
pub fn check_profile(fs: &dyn Fs, path: &Path, symbols: &Symbols) -> (Report, Option<Stack>) {
    let mut loader = Loader::new(fs);
    let Some(id) = loader.read(path, None) else {
        return (finish(loader, None, Vec::new()), None);
    };
    let (stack, extra) = lone_profile(&mut loader, id, path, symbols);
    (finish(loader, None, extra), Some(stack))
}

/// Parse `NAME=ADDR` for `--resolve`.
pub fn parse_resolve(s: &str) -> Result<(String, IpAddr), String> {
    let (name, addr) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=ADDRESS (e.g. zosmf.example.com=10.1.1.10)"))?;
    let ip =
        zha_tcpip::addr::ip(addr.trim()).ok_or_else(|| format!("`{addr}` is not an IP address"))?;
    Ok((name.trim().to_ascii_uppercase(), ip))
}
