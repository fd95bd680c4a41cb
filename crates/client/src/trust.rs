//! TLS client configuration for zosmf-ha's HTTPS probes and clients: trust
//! the system's CA store, a CA file, or (for tests and first steps) any
//! certificate. rustls with the ring provider (no C toolchain beyond a
//! compiler needed). The one dangerous verifier lives here and nowhere
//! else.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use crate::error::ClientError;

/// What a client trusts.
#[derive(Clone, Copy, Debug)]
pub enum Trust<'a> {
    /// The system's CA store (`rustls-native-certs`: on Linux the
    /// distribution's bundle, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when
    /// set). A store that cannot be read or holds no certificate is an
    /// error, never an empty trust.
    System,
    /// The CA certificates in this PEM file, and nothing else (as curl's
    /// `--cacert`).
    CaFile(&'a Path),
    /// Any certificate: no protection against a man in the middle.
    Insecure,
}

/// A client configuration (TLS 1.2 and 1.3) with this trust.
pub fn client_config(trust: Trust) -> Result<Arc<ClientConfig>, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(ClientError::Tls)?;
    let config = match trust {
        Trust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
            .with_no_client_auth(),
        Trust::System => builder
            .with_root_certificates(system_roots()?)
            .with_no_client_auth(),
        Trust::CaFile(path) => {
            let mut roots = rustls::RootCertStore::empty();
            let ca_error = |why: String| ClientError::CaFile {
                path: path.to_path_buf(),
                why,
            };
            let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(path)
                .map_err(|e| ca_error(format!("cannot be read: {e}")))?
                .collect::<Result<_, _>>()
                .map_err(|e| ca_error(e.to_string()))?;
            if certs.is_empty() {
                return Err(ca_error("holds no certificate".into()));
            }
            for c in certs {
                roots.add(c).map_err(|e| ca_error(e.to_string()))?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(Arc::new(config))
}

/// The system's CA certificates. Certificates that do not parse are
/// skipped (a bundle may hold a few); none at all is an error that says
/// what was read.
fn system_roots() -> Result<rustls::RootCertStore, ClientError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added > 0 {
        return Ok(roots);
    }
    let why = match found.errors.first() {
        Some(e) => format!("cannot be read: {e}"),
        None => "holds no certificate".to_owned(),
    };
    let from = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .filter_map(|v| std::env::var_os(v).map(|p| format!("{v}={}", p.to_string_lossy())))
        .collect::<Vec<_>>();
    Err(ClientError::SystemStore {
        why,
        from: if from.is_empty() {
            "the distribution's locations, as OpenSSL finds them".to_owned()
        } else {
            from.join(", ")
        },
    })
}

/// Accepts any certificate, but still checks the handshake signatures.
#[derive(Debug)]
struct AnyCert(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_ca_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("ca.pem");
        std::fs::write(&d, "not a certificate\n").unwrap();
        let e = client_config(Trust::CaFile(&d)).unwrap_err().to_string();
        assert!(e.contains("holds no certificate"), "{e}");
        assert!(e.contains(&d.display().to_string()), "{e}");
        let e = client_config(Trust::CaFile(Path::new("/no/such/ca.pem")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be read"), "{e}");
        assert!(client_config(Trust::Insecure).is_ok());
    }
}
