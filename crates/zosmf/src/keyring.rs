//! The key ring folder named by KEYRING_NAME, shared by every server of the
//! sysplex so that clients see one certificate whoever answers: a local CA
//! and a server certificate whose subject alternative names hold the DVIPA,
//! HOSTNAME and the systems' addresses. Created once, under a lock.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType};

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

/// Make sure the key ring exists; the first server to get here creates it,
/// the others wait on the lock and use it.
pub fn ensure(dir: &Path, names: &[String]) -> anyhow::Result<Keyring> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the key ring folder {}", dir.display()))?;
    let lock = File::create(dir.join(".lock"))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", dir.display()))?;
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

    write(&k.ca, ca.pem().as_bytes(), 0o644)?;
    write(&k.cert, cert.pem().as_bytes(), 0o644)?;
    write(&k.key, key.serialize_pem().as_bytes(), 0o600)?;
    Ok(k)
}

fn write(path: &Path, data: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
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
