//! File access for loading, behind a trait so that loading and checking run
//! against memory in tests. [`OsFs`] is the only code in this crate that
//! touches the file system.

use std::io;
use std::path::{Path, PathBuf};

pub trait Fs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    fn is_dir(&self, path: &Path) -> bool;
    fn is_file(&self, path: &Path) -> bool;
    /// Names of the entries of a folder.
    fn list(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// A key that is the same for two paths to one file (for INCLUDE cycles).
    fn identity(&self, path: &Path) -> PathBuf {
        path.to_path_buf()
    }
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsFs;

/// Files larger than this are refused: no configuration file is that big,
/// and reading one whole would cost memory for nothing.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

impl Fs for OsFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let meta = std::fs::metadata(path)?;
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a folder, not a file",
            ));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "file is {} bytes; the limit is {MAX_FILE_BYTES}",
                    meta.len()
                ),
            ));
        }
        std::fs::read(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut v = Vec::new();
        for e in std::fs::read_dir(dir)? {
            v.push(e?.file_name().to_string_lossy().into_owned());
        }
        Ok(v)
    }

    fn identity(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }
}

/// An in-memory file system for tests.
#[derive(Clone, Debug, Default)]
pub struct MemFs {
    files: std::collections::BTreeMap<PathBuf, Vec<u8>>,
}

impl MemFs {
    pub fn new() -> MemFs {
        MemFs::default()
    }

    pub fn add(&mut self, path: impl Into<PathBuf>, content: impl Into<Vec<u8>>) -> &mut MemFs {
        self.files.insert(path.into(), content.into());
        self
    }
}

impl Fs for MemFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "No such file or directory"))
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.files.keys().any(|k| k.parent() == Some(path))
    }

    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        Ok(self
            .files
            .keys()
            .filter(|k| k.parent() == Some(dir))
            .filter_map(|k| k.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect())
    }
}
