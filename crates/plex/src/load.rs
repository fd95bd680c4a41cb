//! Reading files into the source map: decoding (SPEC §2), parsing, and
//! following INCLUDEs. All file access goes through [`Fs`].

use std::path::{Path, PathBuf};

use zha_diag::symbols::Symbols;
use zha_diag::{DecodeError, Diagnostic, FileId, SourceMap, Span, decode};
use zha_parmlib::Member;
use zha_tcpip::{Statement, StmtKind};

use crate::codes;
use crate::fs::Fs;

/// INCLUDEs are followed at most this deep (SPEC §2).
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// The path that names standard input on the command line (`check -`).
pub const STDIN: &str = "-";
/// How findings name standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// Loads files, collecting their text, the findings about them, and whether
/// some input could not be read at all (exit status 2).
pub struct Loader<'f> {
    fs: &'f dyn Fs,
    /// Files already read, by identity: a member shared by several systems
    /// (IZU=(00,0A) and IZU=(00,0B)) is one file in the report.
    read: std::collections::HashMap<PathBuf, FileId>,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    /// Some input could not be read: the check cannot be trusted.
    pub fatal: bool,
}

/// Whether a missing INCLUDE is an error (sysplex mode) or a warning (a lone
/// file, whose included members are often not at hand).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Sysplex,
    Lone,
}

impl<'f> Loader<'f> {
    pub fn new(fs: &'f dyn Fs) -> Loader<'f> {
        Loader {
            fs,
            read: std::collections::HashMap::new(),
            sources: SourceMap::new(),
            diagnostics: Vec::new(),
            fatal: false,
        }
    }

    pub fn fs(&self) -> &'f dyn Fs {
        self.fs
    }

    fn fail(&mut self, d: Diagnostic) {
        self.fatal = true;
        self.diagnostics.push(d);
    }

    /// Read and decode a file. `cause` is where it was named (sysplex.toml
    /// entry, INCLUDE statement), for the finding if it cannot be read.
    pub fn read(&mut self, path: &Path, cause: Option<Span>) -> Option<FileId> {
        let key = self.fs.identity(path);
        if let Some(&id) = self.read.get(&key) {
            return Some(id);
        }
        let id = self.read_new(path, cause)?;
        self.read.insert(key, id);
        Some(id)
    }

    /// A file named on the command line (a pipe or device too, up to the
    /// size limit): see [`Fs::read_any`].
    pub fn read_arg(&mut self, path: &Path) -> Option<FileId> {
        self.read_with(path, None, true)
    }

    fn read_new(&mut self, path: &Path, cause: Option<Span>) -> Option<FileId> {
        self.read_with(path, cause, false)
    }

    fn read_with(&mut self, path: &Path, cause: Option<Span>, arg: bool) -> Option<FileId> {
        let stdin = arg && path == Path::new(STDIN);
        let shown = if stdin {
            STDIN_NAME.to_owned()
        } else {
            path.display().to_string()
        };
        let read = if stdin {
            self.fs.read_stdin()
        } else if arg {
            self.fs.read_any(path)
        } else {
            self.fs.read(path)
        };
        let bytes = match read {
            Ok(b) => b,
            Err(e) => {
                let (code, msg, help) = if e.kind() == std::io::ErrorKind::NotFound {
                    (
                        codes::MISSING_FILE,
                        format!("{shown} does not exist"),
                        match cause {
                            Some(_) => "correct the path (relative to the file that names it), or copy the file there".to_owned(),
                            None => "check the path".to_owned(),
                        },
                    )
                } else if e.kind() == std::io::ErrorKind::InvalidData {
                    // Over the size limit: no member or profile is that big.
                    (
                        codes::UNREADABLE,
                        format!("cannot read {shown}: {e}"),
                        "name the member or profile itself: no configuration file is that large"
                            .to_owned(),
                    )
                } else {
                    (
                        codes::UNREADABLE,
                        format!("cannot read {shown}: {e}"),
                        "check the path and its permissions".to_owned(),
                    )
                };
                let mut d = Diagnostic::error(code, msg).help(help);
                if let Some(c) = cause {
                    d = d.primary(c, "named here");
                }
                self.fail(d);
                return None;
            }
        };
        match decode(&bytes) {
            Ok(dec) => {
                let notice = dec.notice();
                let ebcdic = dec.ebcdic;
                let id = self.sources.add(shown.clone(), dec.text);
                if let Some(n) = notice {
                    let d = if ebcdic {
                        Diagnostic::warning(codes::EBCDIC, format!("{shown}: {n}"))
                            .primary(Span::file_start(id), "decoded from IBM-1047")
                            .help(format!("nothing to do if the findings' text reads right; otherwise transfer {shown} from z/OS in text (ASCII) mode"))
                    } else {
                        Diagnostic::warning(codes::LATIN1, format!("{shown} is {n}"))
                            .primary(Span::file_start(id), "not UTF-8")
                            .help(format!("if characters look wrong, convert the file: iconv -f ISO-8859-1 -t UTF-8 {shown} > {shown}.txt"))
                    };
                    self.diagnostics.push(d);
                }
                Some(id)
            }
            Err(e @ DecodeError::Ebcdic) => {
                let mut d = Diagnostic::error(
                    codes::EBCDIC,
                    format!("{shown} is in EBCDIC without line ends or 80-byte records"),
                )
                .help(e.help(&shown));
                if let Some(c) = cause {
                    d = d.primary(c, "named here");
                }
                self.fail(d);
                None
            }
            Err(DecodeError::Binary) => {
                let mut d = Diagnostic::error(
                    codes::BINARY,
                    format!("{shown} is a binary file, not configuration text"),
                )
                .help("point at the parmlib member or profile as a text file");
                if let Some(c) = cause {
                    d = d.primary(c, "named here");
                }
                self.fail(d);
                None
            }
        }
    }

    /// Read and parse an IZUPRMxx member.
    pub fn member(
        &mut self,
        path: &Path,
        symbols: &Symbols,
        cause: Option<Span>,
    ) -> Option<Member> {
        let id = self.read(path, cause)?;
        let parsed = zha_parmlib::parse(id, self.sources.file(id).text(), symbols);
        self.diagnostics.extend(parsed.diagnostics);
        Some(parsed.member)
    }

    /// Read and parse a profile with its INCLUDEs, in processing order. The
    /// INCLUDE statements themselves are replaced by what they include.
    pub fn profile(
        &mut self,
        path: &Path,
        symbols: &Symbols,
        mode: Mode,
        cause: Option<Span>,
    ) -> Option<(FileId, Vec<Statement>)> {
        let id = self.read(path, cause)?;
        Some((id, self.profile_from(id, path, symbols, mode)))
    }

    /// Parse a profile already in the source map, following its INCLUDEs.
    pub fn profile_from(
        &mut self,
        id: FileId,
        path: &Path,
        symbols: &Symbols,
        mode: Mode,
    ) -> Vec<Statement> {
        let chain = vec![self.fs.identity(path)];
        self.parse_profile(id, path, symbols, mode, &chain)
    }

    fn parse_profile(
        &mut self,
        id: FileId,
        path: &Path,
        symbols: &Symbols,
        mode: Mode,
        chain: &[PathBuf],
    ) -> Vec<Statement> {
        let parsed = zha_tcpip::parse(id, self.sources.file(id).text(), symbols);
        self.diagnostics.extend(parsed.diagnostics);
        let mut out = Vec::with_capacity(parsed.profile.statements.len());
        for s in parsed.profile.statements {
            let StmtKind::Include(name) = &s.kind else {
                out.push(s);
                continue;
            };
            let Some(found) = self.find_include(path, &name.value) else {
                let dir = path
                    .parent()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default();
                let tried = zha_tcpip::include_candidates(&name.value).join(", ");
                let msg = format!("INCLUDE {} not found", name.value);
                let d = match mode {
                    Mode::Sysplex => Diagnostic::error(codes::INCLUDE_NOT_FOUND, msg),
                    Mode::Lone => Diagnostic::warning(codes::INCLUDE_NOT_FOUND, msg),
                };
                self.diagnostics.push(
                    d.primary(
                        name.span,
                        format!(
                            "looked for {tried} in {}",
                            if dir.is_empty() { "." } else { &dir }
                        ),
                    )
                    .help(format!(
                        "copy the included member next to this profile, named like the member ({})",
                        zha_tcpip::include_candidates(&name.value)
                            .first()
                            .cloned()
                            .unwrap_or_default()
                    ))
                    .note("its statements are not checked"),
                );
                continue;
            };
            let key = self.fs.identity(&found);
            if chain.contains(&key) {
                let shown: Vec<String> = chain
                    .iter()
                    .chain(std::iter::once(&key))
                    .map(|p| p.display().to_string())
                    .collect();
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::INCLUDE_CYCLE,
                        format!("INCLUDE {} leads back to a file being included", name.value),
                    )
                    .primary(name.span, "this INCLUDE closes a cycle")
                    .help("remove the INCLUDE that leads back")
                    .note(format!("include chain: {}", shown.join(" -> "))),
                );
                continue;
            }
            if chain.len() > MAX_INCLUDE_DEPTH {
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::INCLUDE_DEPTH,
                        format!(
                            "INCLUDE {} is nested more than {MAX_INCLUDE_DEPTH} deep",
                            name.value
                        ),
                    )
                    .primary(name.span, "not followed")
                    .help("flatten the include structure"),
                );
                continue;
            }
            let Some(inc) = self.read(&found, Some(name.span)) else {
                continue;
            };
            let mut next = chain.to_vec();
            next.push(key);
            let inner = self.parse_profile(inc, &found, symbols, mode, &next);
            out.extend(inner);
        }
        out
    }

    /// The file an INCLUDE name refers to: the candidates of SPEC §2 in the
    /// including file's folder, exact name first, then ignoring case.
    fn find_include(&self, including: &Path, name: &str) -> Option<PathBuf> {
        let dir = including.parent().unwrap_or(Path::new(""));
        let candidates = zha_tcpip::include_candidates(name);
        for c in &candidates {
            let p = if c.starts_with('/') {
                PathBuf::from(c)
            } else {
                dir.join(c)
            };
            if self.fs.is_file(&p) {
                return Some(p);
            }
        }
        let entries = self
            .fs
            .list(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            })
            .ok()?;
        for c in candidates.iter().filter(|c| !c.starts_with('/')) {
            if let Some(e) = entries.iter().find(|e| e.eq_ignore_ascii_case(c)) {
                let p = dir.join(e);
                if self.fs.is_file(&p) {
                    return Some(p);
                }
            }
        }
        None
    }
}
