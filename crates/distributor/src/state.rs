//! The active target of each service, kept across restarts (SPEC §1: under
//! NOAUTOSWITCHBACK a restart must not switch back), behind a small
//! storage interface: today a file in a private folder; the sysplex group
//! will keep it in a shared folder or in etcd under the same rules.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use zha_standby::{Persisted, ServiceKey};

/// Where persisted state lives.
pub trait StateStore: Send {
    /// What was saved; a missing store is an empty state, an unreadable one
    /// is reported (the warning) and ignored.
    fn load(&self) -> (Persisted, Option<String>);
    fn save(&self, p: &Persisted) -> io::Result<()>;
    /// Where, for messages.
    fn describe(&self) -> String;
}

/// `active.json` in a folder only its owner can change.
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// Open the folder, creating it private (0700) whatever the umask;
    /// refuse one another user could write to (see
    /// [`zha_plex::OsFs::private_dir`]).
    pub fn open(dir: &Path) -> io::Result<FileStore> {
        zha_plex::OsFs::private_dir(dir)?;
        Ok(FileStore {
            dir: dir.to_path_buf(),
        })
    }
}

impl StateStore for FileStore {
    fn load(&self) -> (Persisted, Option<String>) {
        load(&self.dir)
    }

    fn save(&self, p: &Persisted) -> io::Result<()> {
        save(&self.dir, p)
    }

    fn describe(&self) -> String {
        path(&self.dir).display().to_string()
    }
}

/// The largest state file read: a line per service, far below this.
const MAX_BYTES: u64 = 1 << 20;

pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join("active.json")
}

/// Read the file; a missing file is an empty state, a broken one is
/// reported and ignored.
fn load(state_dir: &Path) -> (Persisted, Option<String>) {
    let p = path(state_dir);
    match std::fs::symlink_metadata(&p) {
        Ok(m) if !m.is_file() || m.len() > MAX_BYTES => {
            return (
                Persisted::new(),
                Some(format!(
                    "{} is not a regular file of at most {MAX_BYTES} bytes; starting without it",
                    p.display()
                )),
            );
        }
        _ => {}
    }
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
    (from_raw(raw), None)
}

/// The active targets as written (`DVIPA..port` → `ip:port`); entries
/// that do not parse are left out.
pub fn from_raw(raw: BTreeMap<String, String>) -> Persisted {
    let mut out = Persisted::new();
    for (k, v) in raw {
        if let (Ok(k), Ok(v)) = (k.parse::<ServiceKey>(), v.parse()) {
            out.insert(k, v);
        }
    }
    out
}

pub fn to_raw(p: &Persisted) -> BTreeMap<String, String> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Write the file atomically, readable by its owner only.
fn save(state_dir: &Path, p: &Persisted) -> io::Result<()> {
    let text = serde_json::to_string_pretty(&to_raw(p)).map_err(io::Error::other)?;
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
