//! A correct two-system sysplex to start from, and helpers to change one
//! file and run the check.

use std::path::PathBuf;

use zha_diag::{Diagnostic, Severity};
use zha_plex::{MemFs, Options, Report, check};

pub const TOML: &str = r#"name = "PLEX1"

[[system]]
name = "SYSA"
parmlib = ["IZUPRM00", "IZUPRM0A"]
profile = "PROFA"

[[system]]
name = "SYSB"
parmlib = ["IZUPRM00", "IZUPRM0B"]
profile = "PROFB"
"#;

pub const IZUPRM00: &str = "HOSTNAME('10.0.0.10')\nHTTP_SSL_PORT(443)\nKEYRING_NAME('IZUKeyring.IZUDFLT')\nSAF_PREFIX(IZUDFLT)\n";
pub const IZUPRM0A: &str = "AUTOSTART(LOCAL)\nAUTOSTART_GROUP('IZUDFLA')\nSERVER_PROC(IZUSVRA)\nUSER_DIR('/global/zosmf/a')\n";
pub const IZUPRM0B: &str = "AUTOSTART(LOCAL)\nAUTOSTART_GROUP('IZUDFLB')\nSERVER_PROC(IZUSVRB)\nUSER_DIR('/global/zosmf/b')\n";

pub const PROFA: &str = "\
IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.1.1 255.255.255.0 1
VIPADYNAMIC
  VIPADEFINE 255.255.255.0 10.0.0.10
  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443
    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100
ENDVIPADYNAMIC
";

pub const PROFB: &str = "\
IPCONFIG SYSPLEXROUTING DYNAMICXCF 10.1.1.2 255.255.255.0 1
VIPADYNAMIC
  VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.0.0.10
  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.10 PORT 443
    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100
ENDVIPADYNAMIC
";

/// The files of the good sysplex under `p/`, with some replaced.
pub struct Plex {
    pub files: Vec<(String, Vec<u8>)>,
    pub opts: Options,
}

impl Plex {
    pub fn good() -> Plex {
        let files = [
            ("sysplex.toml", TOML),
            ("IZUPRM00", IZUPRM00),
            ("IZUPRM0A", IZUPRM0A),
            ("IZUPRM0B", IZUPRM0B),
            ("PROFA", PROFA),
            ("PROFB", PROFB),
        ];
        Plex {
            files: files
                .iter()
                .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
                .collect(),
            opts: Options::default(),
        }
    }

    /// Replace (or add) a file.
    pub fn with(mut self, name: &str, text: impl AsRef<[u8]>) -> Plex {
        self.files.retain(|f| f.0 != name);
        self.files.push((name.to_owned(), text.as_ref().to_vec()));
        self
    }

    /// Edit a file's text: replace `from` (which must occur) by `to`.
    pub fn edit(self, name: &str, from: &str, to: &str) -> Plex {
        let text = self.text(name);
        assert!(text.contains(from), "{name} does not contain {from:?}");
        let new = text.replacen(from, to, 1);
        self.with(name, new)
    }

    /// A copy with a file replaced (or added).
    pub fn clone_with(&self, name: &str, text: impl AsRef<[u8]>) -> Plex {
        Plex {
            files: self.files.clone(),
            opts: self.opts.clone(),
        }
        .with(name, text)
    }

    pub fn without(mut self, name: &str) -> Plex {
        self.files.retain(|f| f.0 != name);
        self
    }

    pub fn text(&self, name: &str) -> String {
        let f = self.files.iter().find(|f| f.0 == name).unwrap();
        String::from_utf8(f.1.clone()).unwrap()
    }

    pub fn fs(&self) -> MemFs {
        let mut fs = MemFs::new();
        for (n, t) in &self.files {
            fs.add(PathBuf::from("p").join(n), t.clone());
        }
        fs
    }

    pub fn check(&self) -> Report {
        check(&self.fs(), &[PathBuf::from("p")], &self.opts)
    }
}

/// The good sysplex with a second hot-standby DVIPA, 10.0.0.20, that
/// distributes 443 to SYSA and SYSB as well, and HOSTNAME a DNS name:
/// nothing tells z/OSMF's distribution from the other.
pub fn two_candidates() -> Plex {
    let second = "  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 10.0.0.20 PORT 443\n    DESTIP 10.1.1.1 PREFERRED 10.1.1.2 BACKUP 100\nENDVIPADYNAMIC";
    Plex::good()
        .edit(
            "IZUPRM00",
            "HOSTNAME('10.0.0.10')",
            "HOSTNAME('zosmf.example.com')",
        )
        .edit(
            "PROFA",
            "ENDVIPADYNAMIC",
            &format!("  VIPADEFINE 255.255.255.0 10.0.0.20\n{second}"),
        )
        .edit(
            "PROFB",
            "ENDVIPADYNAMIC",
            &format!("  VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 10.0.0.20\n{second}"),
        )
}

/// The findings with this id.
pub fn with_code<'r>(r: &'r Report, code: &str) -> Vec<&'r Diagnostic> {
    r.diagnostics.iter().filter(|d| d.code == code).collect()
}

/// Exactly one finding with this id; returns it.
pub fn one<'r>(r: &'r Report, code: &str) -> &'r Diagnostic {
    let v = with_code(r, code);
    assert_eq!(
        v.len(),
        1,
        "expected one {code}, got {}: {}",
        v.len(),
        ids(r)
    );
    v[0]
}

pub fn ids(r: &Report) -> String {
    r.diagnostics
        .iter()
        .map(|d| d.id())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text under the finding's primary label, and the file it is in.
pub fn primary(r: &Report, d: &Diagnostic) -> (String, String) {
    let l = d
        .labels
        .iter()
        .find(|l| l.primary)
        .expect("a primary label");
    (
        r.sources.file(l.span.file).name().to_owned(),
        r.sources.text(l.span).to_owned(),
    )
}

/// Every label's (file, text), primary or not.
pub fn places(r: &Report, d: &Diagnostic) -> Vec<(String, String)> {
    d.labels
        .iter()
        .map(|l| {
            (
                r.sources.file(l.span.file).name().to_owned(),
                r.sources.text(l.span).to_owned(),
            )
        })
        .collect()
}

pub fn errors(r: &Report) -> usize {
    r.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}
