//! The active target of each service, kept across restarts (SPEC §1: under
//! NOAUTOSWITCHBACK a restart must not switch back).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use zha_standby::{Persisted, ServiceKey};

pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join("active.json")
}

/// Read the file; a missing file is an empty state, a broken one is
/// reported and ignored.
pub fn load(state_dir: &Path) -> (Persisted, Option<String>) {
    let p = path(state_dir);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return (Persisted::new(), None),
        Err(e) => {
            return (
                Persisted::new(),
                Some(format!("cannot read {}: {e}", p.display())),
            );
        }
    };
    let raw: BTreeMap<String, String> = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            return (
                Persisted::new(),
                Some(format!(
                    "{} is not valid ({e}); starting without it",
                    p.display()
                )),
            );
        }
    };
    let mut out = Persisted::new();
    for (k, v) in raw {
        if let (Ok(k), Ok(v)) = (k.parse::<ServiceKey>(), v.parse()) {
            out.insert(k, v);
        }
    }
    (out, None)
}

/// Write the file atomically, readable by its owner only.
pub fn save(state_dir: &Path, p: &Persisted) -> io::Result<()> {
    std::fs::create_dir_all(state_dir)?;
    let raw: BTreeMap<String, String> = p
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let text = serde_json::to_string_pretty(&raw).map_err(io::Error::other)?;
    zha_plex::OsFs::write_atomic(&path(state_dir), text.as_bytes(), 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_broken_file() {
        let d = tempfile::tempdir().unwrap();
        let mut p = Persisted::new();
        p.insert(
            "10.0.0.10..443".parse().unwrap(),
            "127.0.0.12:8443".parse().unwrap(),
        );
        save(d.path(), &p).unwrap();
        assert_eq!(load(d.path()), (p, None));
        std::fs::write(path(d.path()), "{").unwrap();
        let (p, warn) = load(d.path());
        assert!(p.is_empty());
        assert!(warn.unwrap().contains("not valid"));
        assert_eq!(load(&d.path().join("none")), (Persisted::new(), None));
    }
}
