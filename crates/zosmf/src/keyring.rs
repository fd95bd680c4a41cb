//! The key ring folder named by KEYRING_NAME, shared by every server of the
//! sysplex so that clients see one certificate whoever answers: a local CA
//! and a server certificate whose subject alternative names hold the DVIPA,
//! HOSTNAME and the systems' addresses. Created once, under a lock.

use std::fs::File;
use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType};
use zha_plex::OsFs;

/// The files of a key ring folder.
#[derive(Clone, Debug)]
pub struct Keyring {
    pub dir: PathBuf,
    /// The CA certificate clients trust (`curl --cacert`, `[probe.http] ca_file`).
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Keyring {
    pub fn at(dir: &Path) -> Keyring {
        Keyring {
            dir: dir.to_path_buf(),
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }
}

/// The key ring folder for KEYRING_NAME under `root`.
pub fn folder(root: &Path, keyring_name: &str) -> PathBuf {
    let safe: String = keyring_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '#' | '$') {
                c
            } else {
                '_'
            }
        })
        .collect();
    root.join("keyrings").join(safe)
}

/// Why a key ring cannot be made or used.
#[derive(Debug, thiserror::Error)]
#[error("the key ring {dir}: {why}")]
pub struct KeyringError {
    pub dir: PathBuf,
    pub why: String,
}

/// Make sure the key ring exists; the first server to get here creates it,
/// the others wait on the lock and use it.
pub fn ensure(dir: &Path, names: &[String]) -> Result<Keyring, KeyringError> {
    let fail = |why: String| KeyringError {
        dir: dir.to_path_buf(),
        why,
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create the folder: {e}")))?;
    let lock = File::create(dir.join(".lock")).map_err(|e| fail(format!("cannot lock: {e}")))?;
    lock.lock().map_err(|e| fail(format!("cannot lock: {e}")))?;
    make(dir, names).map_err(|e| fail(e.to_string()))
}

fn make(dir: &Path, names: &[String]) -> Result<Keyring, Box<dyn std::error::Error>> {
    let k = Keyring::at(dir);
    if k.ca.exists() && k.cert.exists() && k.key.exists() {
        return Ok(k);
    }
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "zosmf-ha local CA");
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "zosmf-ha");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_else(|| "zosmf".into()),
    );
    let mut seen = Vec::new();
    for n in names.iter().chain(std::iter::once(&"localhost".to_owned())) {
        if seen.contains(n) {
            continue;
        }
        seen.push(n.clone());
        let san = match n.parse::<std::net::IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(n.clone().try_into()?),
        };
        params.subject_alt_names.push(san);
    }
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca)?;

    OsFs::write_atomic(&k.ca, ca.pem().as_bytes(), 0o644)?;
    OsFs::write_atomic(&k.cert, cert.pem().as_bytes(), 0o644)?;
    OsFs::write_atomic(&k.key, key.serialize_pem().as_bytes(), 0o600)?;
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_and_reused() {
        let d = tempfile::tempdir().unwrap();
        let dir = folder(d.path(), "IZUKeyring.IZUDFLT");
        assert!(dir.ends_with("keyrings/IZUKeyring.IZUDFLT"));
        let k = ensure(&dir, &["127.0.0.10".into(), "zosmf.example".into()]).unwrap();
        let first = std::fs::read(&k.cert).unwrap();
        let k2 = ensure(&dir, &["other".into()]).unwrap();
        assert_eq!(std::fs::read(&k2.cert).unwrap(), first);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&k.key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(folder(d.path(), "a/b c").file_name().unwrap(), "a_b_c");
    }
}
