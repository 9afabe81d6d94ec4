//! TLS settings for listeners and channels, read from PEM files.
//!
//! Redress uses rustls through tonic (`tls-ring`). A listener with a client CA
//! requires every caller to present a certificate signed by it (mTLS between
//! services); a channel trusts exactly the CA it is given, since no system or
//! bundled root store is compiled in. Files are read once, when a server binds
//! or a channel is built, so a missing file fails start-up rather than the
//! first handshake.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

/// TLS for a listener.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM certificate chain the server presents.
    pub cert_path: PathBuf,
    /// PEM private key of that certificate.
    pub key_path: PathBuf,
    /// PEM CA bundle for client certificates. When set, clients must present
    /// a certificate it signed (mTLS required).
    #[serde(default)]
    pub client_ca_path: Option<PathBuf>,
}

/// TLS for a channel to another service.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ClientTlsSettings {
    /// PEM CA bundle the server's certificate must chain to.
    pub ca_path: PathBuf,
    /// PEM client certificate, for servers that require mTLS.
    #[serde(default)]
    pub cert_path: Option<PathBuf>,
    /// PEM private key of the client certificate.
    #[serde(default)]
    pub key_path: Option<PathBuf>,
    /// Name to verify in the server certificate when it differs from the
    /// endpoint's host.
    #[serde(default)]
    pub domain_name: Option<String>,
}

/// Why TLS settings could not be turned into a configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A configured PEM file could not be read.
    #[error("cannot read TLS file {path}")]
    Read {
        /// The file that was configured.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
    /// A client certificate was configured without its key, or the reverse.
    #[error("a client certificate and its key must be configured together")]
    IncompleteIdentity,
}

async fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    tokio::fs::read(path)
        .await
        .map_err(|source| TlsError::Read {
            path: path.to_owned(),
            source,
        })
}

impl TlsSettings {
    /// Reads the files into tonic's server TLS configuration.
    pub async fn load(&self) -> Result<ServerTlsConfig, TlsError> {
        let cert = read(&self.cert_path).await?;
        let key = read(&self.key_path).await?;
        let mut config = ServerTlsConfig::new().identity(Identity::from_pem(cert, key));
        if let Some(ca_path) = &self.client_ca_path {
            config = config.client_ca_root(Certificate::from_pem(read(ca_path).await?));
        }
        Ok(config)
    }
}

impl ClientTlsSettings {
    /// Reads the files into tonic's client TLS configuration.
    pub async fn load(&self) -> Result<ClientTlsConfig, TlsError> {
        let mut config = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(read(&self.ca_path).await?));
        match (&self.cert_path, &self.key_path) {
            (Some(cert_path), Some(key_path)) => {
                let cert = read(cert_path).await?;
                let key = read(key_path).await?;
                config = config.identity(Identity::from_pem(cert, key));
            }
            (None, None) => {}
            _ => return Err(TlsError::IncompleteIdentity),
        }
        if let Some(domain_name) = &self.domain_name {
            config = config.domain_name(domain_name.clone());
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_certificate_file_is_named_in_the_error() {
        let settings = TlsSettings {
            cert_path: PathBuf::from("/nonexistent/redress/cert.pem"),
            key_path: PathBuf::from("/nonexistent/redress/key.pem"),
            client_ca_path: None,
        };
        let error = settings.load().await.expect_err("files are missing");
        assert!(error.to_string().contains("/nonexistent/redress/cert.pem"));
    }

    #[tokio::test]
    async fn a_client_certificate_without_its_key_is_refused() {
        let dir = std::env::temp_dir().join(format!("redress-tls-{}", std::process::id()));
        tokio::fs::create_dir_all(&dir).await.expect("temp dir");
        let ca = dir.join("ca.pem");
        tokio::fs::write(&ca, b"not checked until the handshake")
            .await
            .expect("write");
        let settings = ClientTlsSettings {
            ca_path: ca,
            cert_path: Some(dir.join("client.pem")),
            key_path: None,
            domain_name: None,
        };
        let error = settings.load().await.expect_err("key is missing");
        assert!(matches!(error, TlsError::IncompleteIdentity));
    }
}
