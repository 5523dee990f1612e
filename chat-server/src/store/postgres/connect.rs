//! How chat-server reaches PostgreSQL, decided in one place so that the
//! store's pool, the cluster's presence pool and `migrate` cannot
//! disagree: plain TCP (or a unix socket) on a network the operator
//! trusts, or TLS verified against the CA the operator names
//! (`--store-ca`).
//!
//! TLS here always means libpq's `verify-full`: the certificate chains to
//! that CA and names the URL's host. There is deliberately no "encrypt
//! but do not verify" mode (libpq's `require`): it stops an eavesdropper
//! but hands every mailbox to whoever answers in the database's place.
//! A URL that asks for `sslmode=require` without a CA is refused rather
//! than silently downgraded; `prefer` (also what no `sslmode` means) is
//! never the driver's "try TLS, fall back to plain text": the connection
//! is verified TLS when a CA is given, plain text otherwise.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::StoreError;

/// A PostgreSQL database and how to reach it.
#[derive(Clone)]
pub struct PgTarget {
    config: Config,
    /// `None`: plain text.
    tls: Option<MakeRustlsConnect>,
    /// The URL names the application itself.
    named: bool,
}

/// Never prints the configuration: it may hold a password.
impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTarget")
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl PgTarget {
    /// `url` (a `postgres://` URL or libpq's key=value form), verified TLS
    /// when `ca` names the CA certificates (PEM) to trust;
    /// `connect_timeout` applies unless the URL sets one.
    pub fn new(
        url: &str,
        ca: Option<&Path>,
        connect_timeout: Duration,
    ) -> Result<PgTarget, StoreError> {
        let mut config: Config = url.parse().map_err(|e| {
            StoreError::Db(format!(
                "bad PostgreSQL URL: {e}; expected postgres://USER@HOST:PORT/DATABASE"
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(connect_timeout);
        }
        // tokio-postgres reports `prefer` when the URL names no mode.
        let asked = config.get_ssl_mode();
        let tls = match ca {
            Some(path) => {
                if asked == SslMode::Disable {
                    return Err(StoreError::Db(
                        "the --store URL says sslmode=disable but --store-ca asks for TLS; \
                         drop one of them"
                            .to_owned(),
                    ));
                }
                config.ssl_mode(SslMode::Require);
                Some(connector(path)?)
            }
            None => {
                if asked == SslMode::Require {
                    return Err(StoreError::Db(
                        "the --store URL asks for sslmode=require: give --store-ca FILE, the \
                         CA certificate (PEM) that signed PostgreSQL's, so that chat-server \
                         can verify it (for a public CA, /etc/ssl/certs/ca-certificates.crt)"
                            .to_owned(),
                    ));
                }
                config.ssl_mode(SslMode::Disable);
                None
            }
        };
        let named = config.get_application_name().is_some();
        Ok(PgTarget { config, tls, named })
    }

    /// Whether connections use TLS.
    pub fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The configuration, as `application` unless the URL names one
    /// (what `pg_stat_activity` shows).
    fn config_for(&self, application: &str) -> Config {
        let mut config = self.config.clone();
        if !self.named {
            config.application_name(application);
        }
        config
    }

    /// A connection manager for a deadpool pool of `application`.
    pub fn manager(&self, application: &str) -> Manager {
        let config = self.config_for(application);
        let mc = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        match &self.tls {
            Some(tls) => Manager::from_config(config, tls.clone(), mc),
            None => Manager::from_config(config, NoTls, mc),
        }
    }

    /// One connection outside any pool; its I/O runs on a task of its own
    /// until the client is dropped.
    pub async fn connect(&self, application: &str) -> Result<Client, StoreError> {
        fn drive<F>(connection: F)
        where
            F: std::future::Future<Output = Result<(), tokio_postgres::Error>> + Send + 'static,
        {
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "a PostgreSQL connection ended");
                }
            });
        }
        let config = self.config_for(application);
        match &self.tls {
            Some(tls) => {
                let (client, connection) = config.connect(tls.clone()).await?;
                drive(connection);
                Ok(client)
            }
            None => {
                let (client, connection) = config.connect(NoTls).await?;
                drive(connection);
                Ok(client)
            }
        }
    }
}

/// A TLS connector that trusts only the certificates in `ca`.
fn connector(ca: &Path) -> Result<MakeRustlsConnect, StoreError> {
    let bad = |why: String| {
        StoreError::Db(format!(
            "cannot use {} as --store-ca: {why}; give the PEM file of the CA that signed \
             PostgreSQL's certificate",
            ca.display()
        ))
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| bad(e.to_string()))? {
        let cert = cert.map_err(|e| bad(e.to_string()))?;
        roots.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(bad("it holds no certificate".to_owned()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
