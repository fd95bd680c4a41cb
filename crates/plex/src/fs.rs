//! File access for loading, behind a trait so that loading and checking run
//! against memory in tests. [`OsFs`] is the only code in this crate that
//! touches the file system.

use std::io;
use std::path::{Path, PathBuf};

pub trait Fs {
    /// A regular file, whole (members, profiles, INCLUDEs, sysplex.toml):
    /// anything else — a FIFO, a device — is refused, never waited on.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// A file named on the command line: a regular file, or a pipe or
    /// device read up to the size limit (`check <(…)`).
    fn read_any(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.read(path)
    }
    /// Standard input, whole (`check -`), up to the size limit.
    fn read_stdin(&self) -> io::Result<Vec<u8>> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "standard input cannot be read here",
        ))
    }
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
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is not a regular file (a FIFO, a device or a socket); name a file",
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
        // Read no more than the limit even if the file grew since.
        read_capped(std::fs::File::open(path)?)
    }

    fn read_any(&self, path: &Path) -> io::Result<Vec<u8>> {
        let meta = std::fs::metadata(path)?;
        if meta.is_file() || meta.is_dir() {
            return self.read(path);
        }
        read_capped(std::fs::File::open(path)?)
    }

    fn read_stdin(&self) -> io::Result<Vec<u8>> {
        read_capped(io::stdin().lock())
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

/// At most [`MAX_FILE_BYTES`] of a reader; more is an error.
fn read_capped(r: impl io::Read) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::new();
    r.take(MAX_FILE_BYTES + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_FILE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("more than {MAX_FILE_BYTES} bytes; the limit is {MAX_FILE_BYTES}"),
        ));
    }
    Ok(buf)
}

impl OsFs {
    /// A folder only its owner can change, for state, sockets and work
    /// files: created (with its missing parents) mode 0700 whatever the
    /// umask, and refused when it is a symbolic link, is not owned by this
    /// process's user, or can be written by its group or others — another
    /// local user could then plant files or links in it.
    pub fn private_dir(path: &Path) -> io::Result<()> {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        let created = !path.exists();
        if created {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(path)?;
            // mkdir applies the umask: set the mode itself.
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
        }
        let meta = std::fs::symlink_metadata(path)?;
        let refuse = |why: String| Err(io::Error::new(io::ErrorKind::PermissionDenied, why));
        if meta.file_type().is_symlink() {
            return refuse(format!(
                "{} is a symbolic link; name the folder itself",
                path.display()
            ));
        }
        if !meta.is_dir() {
            return refuse(format!("{} is not a folder", path.display()));
        }
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return refuse(format!(
                "{} belongs to user {}, not to this process's user {me}; use a folder of your own",
                path.display(),
                meta.uid()
            ));
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o022 != 0 {
            return refuse(format!(
                "{} can be written by other users (mode {mode:o}); `chmod 700` it or use another folder",
                path.display()
            ));
        }
        Ok(())
    }

    /// Write a whole file so that a reader sees the old content or the new,
    /// never a part: the one implementation of the atomic write (state
    /// files, key rings, planned configurations). The temporary file beside
    /// it has a unique name and is created exclusively (`O_EXCL`, so never
    /// through a symbolic link someone put there), gets `mode` whatever the
    /// umask, is synced, then renamed over `path`.
    pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?
            .to_string_lossy();
        for _ in 0..32 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
            let mut f = match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&tmp)
            {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            };
            let written = f
                .set_permissions(std::fs::Permissions::from_mode(mode))
                .and_then(|()| f.write_all(data))
                .and_then(|()| f.sync_all())
                .and_then(|()| std::fs::rename(&tmp, path));
            if written.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            return written;
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("no free temporary name beside {}", path.display()),
        ))
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    }

    #[test]
    fn only_regular_files_are_read_and_never_more_than_the_limit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .expect("mkfifo");
        // Refused at once, not waited on for a writer.
        let e = OsFs.read(&fifo).expect_err("a FIFO is refused").to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let e = OsFs
            .read(Path::new("/dev/zero"))
            .expect_err("a device is refused")
            .to_string();
        assert!(e.contains("not a regular file"), "{e}");
        // Named on the command line, a device is read up to the limit.
        let e = OsFs
            .read_any(Path::new("/dev/zero"))
            .expect_err("endless")
            .to_string();
        assert!(e.contains("the limit is"), "{e}");
        let file = dir.path().join("f");
        std::fs::write(&file, b"PORT 1").expect("file");
        assert_eq!(OsFs.read_any(&file).expect("a file"), b"PORT 1");
    }

    #[test]
    fn private_folders_are_made_private_and_others_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let _turn = UMASK.lock().unwrap_or_else(|p| p.into_inner());
        let old = rustix_umask(0o000);
        let made = dir.path().join("a/b/state");
        let r = OsFs::private_dir(&made);
        rustix_umask(old);
        r.expect("created");
        assert_eq!(mode(&made), 0o700);
        // Open to others: refused, and left as it is.
        let open = dir.path().join("open");
        std::fs::create_dir(&open).expect("mkdir");
        std::fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .expect("chmod");
        let e = OsFs::private_dir(&open).expect_err("refused").to_string();
        assert!(
            e.contains("can be written by other users (mode 777)"),
            "{e}"
        );
        assert_eq!(mode(&open), 0o777);
        // A link to a folder: refused.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&made, &link).expect("link");
        assert!(OsFs::private_dir(&link).is_err());
        // A file: refused.
        let file = dir.path().join("file");
        std::fs::write(&file, b"").expect("file");
        assert!(OsFs::private_dir(&file).is_err());
    }

    #[test]
    fn atomic_writes_replace_whole_files_with_their_mode_and_no_leftovers() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("active.json");
        OsFs::write_atomic(&p, b"one", 0o600).expect("first write");
        OsFs::write_atomic(&p, b"two", 0o600).expect("second write");
        assert_eq!(std::fs::read(&p).expect("read"), b"two");
        assert_eq!(mode(&p), 0o600);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["active.json"], "no temporary file is left");
    }

    #[test]
    fn atomic_writes_ignore_the_umask_and_never_follow_a_planted_link() {
        let dir = tempfile::tempdir().expect("temp dir");
        // A world-writable umask does not make the file world-writable.
        let _turn = UMASK.lock().unwrap_or_else(|p| p.into_inner());
        let old = rustix_umask(0o000);
        let p = dir.path().join("key.pem");
        let r = OsFs::write_atomic(&p, b"secret", 0o600);
        rustix_umask(old);
        r.expect("write");
        assert_eq!(mode(&p), 0o600);
        // A symbolic link where the file goes is replaced, not written through.
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep").expect("victim");
        let link = dir.path().join("state.json");
        std::os::unix::fs::symlink(&victim, &link).expect("link");
        OsFs::write_atomic(&link, b"new", 0o600).expect("write over the link");
        assert_eq!(std::fs::read(&victim).expect("victim"), b"keep");
        assert_eq!(std::fs::read(&link).expect("file"), b"new");
        assert!(
            !std::fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
    }

    /// Tests that change the process's umask take turns.
    static UMASK: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// Set the process umask, returning the old one.
    fn rustix_umask(mask: u32) -> u32 {
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(mask)).as_raw_mode()
    }
}
