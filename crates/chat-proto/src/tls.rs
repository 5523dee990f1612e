//! Client side of the transport (PROTOCOL.md §1.1): TLS 1.3 where the
//! server is identified by the fingerprint of its key, pinned on first use
//! or given by the person, instead of by a certificate authority and a host
//! name. Shared by the daemon and the tests so that both refuse a changed
//! key in exactly the same way.

use std::error::Error as StdError;
use std::io;
use std::sync::{Arc, Mutex};

use rsa::pkcs8::DecodePublicKey;
use rustls::client::Resumption;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, ring};
use rustls::pki_types::{CertificateDer, InvalidDnsNameError, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, OtherError,
    SignatureScheme,
};
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

use crate::crypto::{self, RsaPublicKey};

/// Why the server's key was refused during the handshake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerKeyError {
    /// The server presented a key other than the pinned one.
    #[error(
        "server key mismatch: pinned fingerprint {expected}, but the server presented {presented}; the connection was aborted because someone may be intercepting it; if the server's key was changed on purpose, re-pin with --server-fingerprint {presented}"
    )]
    PinMismatch {
        /// The pinned fingerprint.
        expected: String,
        /// The fingerprint of the key the server presented.
        presented: String,
    },
    /// The server's key is not one the protocol accepts.
    #[error(
        "the server's key (fingerprint {presented}) is refused: it must be an RSA key of at least 2048 bits with e = 65537; check that the address points at a SecureChat server"
    )]
    BadKey {
        /// SHA-256 of the presented SubjectPublicKeyInfo.
        presented: String,
    },
    /// The server's certificate could not be parsed.
    #[error(
        "the server sent a malformed certificate; check that the address points at a SecureChat server"
    )]
    BadCertificate,
}

/// A cheap, clonable handle on the fingerprint of the server key proven in
/// the latest handshake made with its configuration. With trust on first
/// use, the caller reads it after the handshake and stores it as the pin.
#[derive(Debug, Clone, Default)]
pub struct PinObserver(Arc<Mutex<Option<String>>>);

impl PinObserver {
    /// The fingerprint (64 lowercase hex characters) of the key that signed
    /// the latest handshake, or `None` before any handshake got that far.
    pub fn fingerprint(&self) -> Option<String> {
        match self.0.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn record(&self, fingerprint: String) {
        match self.0.lock() {
            Ok(mut guard) => *guard = Some(fingerprint),
            Err(poisoned) => *poisoned.into_inner() = Some(fingerprint),
        }
    }
}

/// The client configuration: TLS 1.3 only, the `ring` provider, no session
/// resumption (every connection proves the key anew), and a verifier that
/// checks the server key against `pin` instead of a CA and host name.
///
/// `pin` is a fingerprint in any form [`crypto::parse_fingerprint`] reads;
/// with `None` any valid RSA key is accepted (trust on first use) and its
/// fingerprint is recorded in the returned [`PinObserver`]. The TLS 1.3
/// handshake signature is always verified, so a recorded fingerprint belongs
/// to a key the server holds.
pub fn client_config(pin: Option<String>) -> (Arc<ClientConfig>, PinObserver) {
    let provider = Arc::new(ring::default_provider());
    let observer = PinObserver::default();
    let verifier = PinningVerifier {
        pin: pin.map(|p| crypto::parse_fingerprint(&p).unwrap_or(p)),
        observer: observer.clone(),
        algorithms: provider.signature_verification_algorithms,
    };
    let builder = match ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
    {
        Ok(builder) => builder,
        // ring's default provider always has TLS 1.3 suites and groups;
        // `client_config_builds` in the tests keeps that true.
        Err(e) => unreachable!("ring provider lacks TLS 1.3: {e}"),
    };
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.resumption = Resumption::disabled();
    (Arc::new(config), observer)
}

/// The `ServerName` to hand rustls for `host` (a DNS name or an IP address,
/// IPv6 with or without brackets). Only used for SNI: the identity check is
/// the pin, so connecting by address or by name is the same.
pub fn server_name(host: &str) -> Result<ServerName<'static>, InvalidDnsNameError> {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    ServerName::try_from(host.to_string())
}

/// fingerprint() of the key in a certificate, after checking it is a key
/// the protocol accepts. The daemon uses it to check that the certificate's
/// key is the `server_key` of `hello`.
pub fn certificate_fingerprint(cert: &CertificateDer<'_>) -> Result<String, ServerKeyError> {
    let spki = spki_der(cert)?;
    let presented = hex::encode(crypto::sha256(&spki));
    check_key(&spki, &presented)?;
    Ok(presented)
}

fn spki_der(cert: &CertificateDer<'_>) -> Result<Vec<u8>, ServerKeyError> {
    let cert = Certificate::from_der(cert.as_ref()).map_err(|_| ServerKeyError::BadCertificate)?;
    cert.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|_| ServerKeyError::BadCertificate)
}

/// The SPKI must be an RSA key the protocol accepts, in the canonical
/// encoding, so that its hash is fingerprint(key) as `hello` would give it.
fn check_key(spki: &[u8], presented: &str) -> Result<(), ServerKeyError> {
    let bad = || ServerKeyError::BadKey {
        presented: presented.to_string(),
    };
    let key = RsaPublicKey::from_public_key_der(spki).map_err(|_| bad())?;
    crypto::public_key_from_pem(&crypto::public_key_to_pem(&key)).map_err(|_| bad())?;
    if crypto::public_key_der(&key) != spki {
        return Err(bad());
    }
    Ok(())
}

#[derive(Debug)]
struct PinningVerifier {
    pin: Option<String>,
    observer: PinObserver,
    algorithms: WebPkiSupportedAlgorithms,
}

fn refuse(err: ServerKeyError) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(err))))
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let spki = spki_der(end_entity).map_err(refuse)?;
        let presented = hex::encode(crypto::sha256(&spki));
        if let Some(expected) = &self.pin
            && *expected != presented
        {
            return Err(refuse(ServerKeyError::PinMismatch {
                expected: expected.clone(),
                presented,
            }));
        }
        check_key(&spki, &presented).map_err(refuse)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // Never reached: the configuration offers TLS 1.3 only.
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig,
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let valid = rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)?;
        // Only now has the server proven it holds the key: record it.
        let spki = spki_der(cert).map_err(refuse)?;
        self.observer.record(hex::encode(crypto::sha256(&spki)));
        Ok(valid)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Each error in `err`'s chain, looking inside `io::Error`s (whose
/// `source()` skips the error they wrap, which is where tokio-rustls puts
/// the rustls error).
fn causes<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |e| {
        let e: &'a (dyn StdError + 'static) = *e;
        match e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        }
    })
}

/// The [`ServerKeyError`] behind a failed handshake, if that is why it
/// failed. Accepts the `io::Error` tokio-rustls returns, a `rustls::Error`,
/// or any chain holding one.
pub fn server_key_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a ServerKeyError> {
    causes(err).find_map(|e| {
        if let Some(found) = e.downcast_ref::<ServerKeyError>() {
            return Some(found);
        }
        match e.downcast_ref::<rustls::Error>() {
            Some(rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner)))) => {
                inner.downcast_ref::<ServerKeyError>()
            }
            _ => None,
        }
    })
}

/// A message for a person about a failed TLS handshake: the pin mismatch
/// naming both fingerprints, a server that does not speak TLS 1.3, a
/// plaintext server, or the error itself.
pub fn describe_handshake_error(err: &(dyn StdError + 'static)) -> String {
    if let Some(key_err) = server_key_error(err) {
        return key_err.to_string();
    }
    let rustls_err = causes(err).find_map(|e| e.downcast_ref::<rustls::Error>());
    match rustls_err {
        Some(
            e @ (rustls::Error::PeerIncompatible(_)
            | rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)),
        ) => format!(
            "the server does not speak TLS 1.3 ({e}); check that the address points at a SecureChat server"
        ),
        Some(e @ rustls::Error::InvalidMessage(_)) => format!(
            "the server did not answer in TLS ({e}); if it runs with --plaintext, connect with --plaintext too"
        ),
        Some(e) => format!("TLS handshake with the server failed: {e}"),
        None => format!("TLS handshake with the server failed: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use std::time::Duration;
    use x509_cert::builder::profile::BuilderProfile;
    use x509_cert::builder::{Builder, CertificateBuilder};
    use x509_cert::certificate::TbsCertificate;
    use x509_cert::ext::Extension;
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
    use x509_cert::time::Validity;

    fn testdata(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/../../testdata/openssl/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    struct Leaf;
    impl BuilderProfile for Leaf {
        fn get_issuer(&self, subject: &Name) -> Name {
            subject.clone()
        }
        fn get_subject(&self) -> Name {
            Name::from_str("CN=test").unwrap()
        }
        fn build_extensions(
            &self,
            _: SubjectPublicKeyInfoRef<'_>,
            _: SubjectPublicKeyInfoRef<'_>,
            _: &TbsCertificate,
        ) -> x509_cert::builder::Result<Vec<Extension>> {
            Ok(Vec::new())
        }
    }

    /// A self-signed certificate over testdata's pkcs8.pem, and that key's
    /// fingerprint as computed from the openssl-written public key.
    fn cert_and_fingerprint() -> (CertificateDer<'static>, String) {
        let key = crypto::private_key_from_pem(&testdata("pkcs8.pem")).unwrap();
        let spki_der = crypto::public_key_der(&key.to_public_key());
        let builder = CertificateBuilder::new(
            Leaf,
            SerialNumber::from(7u32),
            Validity::from_now(Duration::from_secs(60)).unwrap(),
            SubjectPublicKeyInfoOwned::from_der(&spki_der).unwrap(),
        )
        .unwrap();
        let signer = rsa::pss::SigningKey::<sha2::Sha256>::new(key);
        let cert = builder.build::<_, rsa::pss::Signature>(&signer).unwrap();
        let fpr =
            crypto::fingerprint(&crypto::public_key_from_pem(&testdata("pkcs8.pub.pem")).unwrap());
        (CertificateDer::from(cert.to_der().unwrap()), fpr)
    }

    fn verifier(pin: Option<&str>) -> PinningVerifier {
        PinningVerifier {
            pin: pin.map(|p| crypto::parse_fingerprint(p).unwrap_or(p.to_string())),
            observer: PinObserver::default(),
            algorithms: ring::default_provider().signature_verification_algorithms,
        }
    }

    fn check(v: &PinningVerifier, cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        let name = server_name("127.0.0.1").unwrap();
        v.verify_server_cert(cert, &[], &name, &[], UnixTime::now())
            .map(|_| ())
    }

    #[test]
    fn client_config_builds() {
        let (config, observer) = client_config(None);
        assert!(observer.fingerprint().is_none());
        assert!(config.alpn_protocols.is_empty());
    }

    #[test]
    fn certificate_fingerprint_is_the_key_fingerprint() {
        let (cert, fpr) = cert_and_fingerprint();
        assert_eq!(certificate_fingerprint(&cert).unwrap(), fpr);
    }

    #[test]
    fn pinned_key_passes_in_any_typed_form() {
        let (cert, fpr) = cert_and_fingerprint();
        check(&verifier(Some(&fpr)), &cert).unwrap();
        let typed = crypto::format_fingerprint(&fpr).to_uppercase();
        check(&verifier(Some(&typed)), &cert).unwrap();
    }

    #[test]
    fn other_key_fails_naming_both_fingerprints() {
        let (cert, fpr) = cert_and_fingerprint();
        let pinned = "ab".repeat(32);
        let err = check(&verifier(Some(&pinned)), &cert).unwrap_err();
        let expected = ServerKeyError::PinMismatch {
            expected: pinned.clone(),
            presented: fpr.clone(),
        };
        assert_eq!(server_key_error(&err), Some(&expected));
        // As tokio-rustls hands it to the caller.
        let io_err = io::Error::new(io::ErrorKind::InvalidData, err);
        assert_eq!(server_key_error(&io_err), Some(&expected));
        let msg = describe_handshake_error(&io_err);
        assert!(msg.contains(&pinned) && msg.contains(&fpr), "{msg}");
        assert!(msg.contains("--server-fingerprint"), "{msg}");
        assert!(!msg.ends_with('.'));
    }

    #[test]
    fn trust_on_first_use_accepts_but_records_only_after_the_signature() {
        let (cert, _) = cert_and_fingerprint();
        let v = verifier(None);
        check(&v, &cert).unwrap();
        assert_eq!(v.observer.fingerprint(), None);
    }

    #[test]
    fn garbage_certificate_is_refused() {
        let cert = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let err = check(&verifier(None), &cert).unwrap_err();
        assert_eq!(
            server_key_error(&err),
            Some(&ServerKeyError::BadCertificate)
        );
    }

    #[test]
    fn other_handshake_errors_are_described() {
        let err = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::ProtocolVersion),
        );
        assert!(describe_handshake_error(&err).contains("TLS 1.3"));
        let err = io::Error::new(io::ErrorKind::ConnectionReset, "reset");
        assert!(describe_handshake_error(&err).contains("reset"));
    }

    #[test]
    fn server_names_accept_hosts_and_addresses() {
        assert!(server_name("chat.example.org").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("[::1]").is_ok());
        assert!(server_name("::1").is_ok());
        assert!(server_name("not a name").is_err());
    }
}
