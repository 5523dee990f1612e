//! The server's TLS 1.3 configuration (PROTOCOL.md §1.1). Clients
//! authenticate the server by pinning the fingerprint of its key, not by a
//! CA, so the certificate is self-signed over the server key, signed with
//! RSA-PSS, and rebuilt at every start; only the key is long-lived.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use der::oid::db::rfc5280::ID_KP_SERVER_AUTH;
use der::{Decode, Encode};
use rustls::ServerConfig;
use rustls::crypto::ring;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use sha2::Sha256;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};

use crate::keys::ServerKey;

/// Subject and issuer of the certificate.
pub const CERT_SUBJECT: &str = "CN=chat-server";
/// How long a certificate is valid. Nobody checks it (the pin is the
/// identity), but strict TLS tools want a sane window.
pub const CERT_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
/// How far back `notBefore` is set, to tolerate clients with a slow clock.
pub const CERT_BACKDATE: Duration = Duration::from_secs(3600);

/// Why the TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Building or signing the certificate failed.
    #[error(
        "cannot build the server's TLS certificate: {0}; check the server key, or report this as a bug"
    )]
    Certificate(String),
    /// rustls refused the key or the configuration.
    #[error("TLS setup failed: {0}; check that the server key is an RSA key of 2048 to 8192 bits")]
    Rustls(#[from] rustls::Error),
}

fn cert_err(e: impl std::fmt::Display) -> TlsError {
    TlsError::Certificate(e.to_string())
}

/// A self-signed certificate over the server key: subject and issuer
/// `CN=chat-server`, a random positive serial, valid from an hour ago for ten
/// years, signed with RSA-PSS (SHA-256, MGF1-SHA-256, salt 32). Each call
/// makes a new one (new serial); the key and so the fingerprint stay the same.
pub fn certificate_der(key: &ServerKey) -> Result<CertificateDer<'static>, TlsError> {
    let spki_der = chat_proto::crypto::public_key_der(key.public_key());
    let spki = SubjectPublicKeyInfoOwned::from_der(&spki_der).map_err(cert_err)?;
    let subject = Name::from_str(CERT_SUBJECT).map_err(cert_err)?;
    let now = SystemTime::now();
    let not_before = now.checked_sub(CERT_BACKDATE).unwrap_or(now);
    let validity = Validity::new(
        Time::try_from(not_before).map_err(cert_err)?,
        Time::try_from(now + CERT_VALIDITY).map_err(cert_err)?,
    );
    let builder = CertificateBuilder::new(
        SelfSignedServer { subject },
        random_serial()?,
        validity,
        spki,
    )
    .map_err(cert_err)?;
    let signer = rsa::pss::SigningKey::<Sha256>::new(key.private_key().clone());
    let cert = builder
        .build::<_, rsa::pss::Signature>(&signer)
        .map_err(cert_err)?;
    let der = cert.to_der().map_err(cert_err)?;
    Ok(CertificateDer::from(der))
}

/// 16 random bytes with the top bit clear (positive) and the next set (no
/// leading zero byte to strip), as RFC 5280 asks of serials.
fn random_serial() -> Result<SerialNumber, TlsError> {
    let mut bytes: [u8; 16] = chat_proto::crypto::random_bytes().map_err(cert_err)?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes).map_err(cert_err)
}

/// The server's rustls configuration: TLS 1.3 only, the `ring` provider, no
/// client certificates, a fresh self-signed certificate over `key`.
pub fn server_config(key: &ServerKey) -> Result<Arc<ServerConfig>, TlsError> {
    server_config_with_certificate(key, certificate_der(key)?)
}

/// As [`server_config`] with a given certificate, so that tests can compare
/// what the server presents with what was built. The certificate's key must
/// be the server key.
pub fn server_config_with_certificate(
    key: &ServerKey,
    cert: CertificateDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(ring::default_provider());
    // Borrow the PKCS#8 bytes instead of handing rustls an owned copy that
    // nobody would wipe.
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.pkcs8_der()));
    let signing_key = ring::sign::any_supported_type(&der)?;
    let certified = CertifiedKey::new(vec![cert], signing_key);
    certified.keys_match()?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    Ok(Arc::new(config))
}

/// Certificate profile for the server's self-signed leaf: not a CA, usable
/// for TLS server authentication only.
struct SelfSignedServer {
    subject: Name,
}

impl BuilderProfile for SelfSignedServer {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let subject = tbs.subject();
        let mut exts = Vec::new();
        let basic = BasicConstraints {
            ca: false,
            path_len_constraint: None,
        };
        exts.push(basic.to_extension(subject, &exts)?);
        let usage = KeyUsage(KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment);
        exts.push(usage.to_extension(subject, &exts)?);
        let eku = ExtendedKeyUsage(vec![ID_KP_SERVER_AUTH]);
        exts.push(eku.to_extension(subject, &exts)?);
        Ok(exts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_cert::Certificate;

    fn test_key() -> ServerKey {
        let pem = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/openssl/pkcs8.pem"
        ))
        .unwrap();
        ServerKey::from_private_key(chat_proto::crypto::private_key_from_pem(&pem).unwrap())
            .unwrap()
    }

    #[test]
    fn certificate_is_self_signed_with_pss_over_the_server_key() {
        let key = test_key();
        let der = certificate_der(&key).unwrap();
        let cert = Certificate::from_der(&der).unwrap();
        let tbs = cert.tbs_certificate();
        // id-RSASSA-PSS
        assert_eq!(
            cert.signature_algorithm().oid.to_string(),
            "1.2.840.113549.1.1.10"
        );
        assert_eq!(tbs.subject().to_string(), "CN=chat-server");
        assert_eq!(tbs.issuer(), tbs.subject());
        let spki = tbs.subject_public_key_info().to_der().unwrap();
        assert_eq!(
            hex::encode(chat_proto::crypto::sha256(&spki)),
            key.fingerprint()
        );
        // The signature is the protocol's RSA-PSS (salt 32) over the TBS.
        let sig = cert.signature().raw_bytes();
        chat_proto::crypto::pss_verify(key.public_key(), &tbs.to_der().unwrap(), sig).unwrap();
        // Serials differ between builds.
        let again = Certificate::from_der(&certificate_der(&key).unwrap()).unwrap();
        assert_ne!(again.tbs_certificate().serial_number(), tbs.serial_number());
    }

    #[test]
    fn certificate_validity_window() {
        let key = test_key();
        let cert = Certificate::from_der(&certificate_der(&key).unwrap()).unwrap();
        let validity = cert.tbs_certificate().validity();
        let now = SystemTime::now();
        let nb = validity.not_before.to_system_time();
        let na = validity.not_after.to_system_time();
        assert!(nb <= now - Duration::from_secs(3500));
        assert!(na >= now + CERT_VALIDITY - Duration::from_secs(3600));
    }

    #[test]
    fn config_refuses_a_certificate_over_another_key() {
        let key = test_key();
        let pem = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/openssl/pkcs1.pem"
        ))
        .unwrap();
        let other =
            ServerKey::from_private_key(chat_proto::crypto::private_key_from_pem(&pem).unwrap())
                .unwrap();
        let cert = certificate_der(&other).unwrap();
        assert!(server_config_with_certificate(&key, cert).is_err());
        assert!(server_config(&key).is_ok());
    }
}
