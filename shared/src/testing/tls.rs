//! Certificates for TLS tests, generated per test with `rcgen` and written
//! as PEM files to a directory of their own, so the platform's file-based
//! [`TlsSettings`] and [`ClientTlsSettings`] are tested exactly as an
//! operator configures them.
//!
//! [`TestCertificates::generate`] makes two unrelated certificate
//! authorities: the suite's CA, which signs a server certificate (SAN
//! `localhost` and `127.0.0.1`) and a client certificate (for a service
//! calling another over mTLS); and a foreign CA, which signs a client
//! certificate the suite must refuse. The directory is removed on drop.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::grpc::{ClientTlsSettings, TlsSettings};

/// The names the server certificate is valid for.
pub const SERVER_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// A certificate authority able to sign leaf certificates.
struct Authority {
    /// Signs leaves.
    issuer: Issuer<'static, KeyPair>,
    /// Its own self-signed certificate, PEM.
    pem: String,
}

impl Authority {
    /// A new self-signed CA called `name`.
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::new()).expect("no names to refuse");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("a CA key");
        let pem = params.self_signed(&key).expect("a CA certificate").pem();
        Self {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    /// A leaf certificate for `names` with `purpose`, and its key, as PEM.
    fn sign(&self, common_name: &str, names: &[&str], purpose: ExtendedKeyUsagePurpose) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("valid subject names");
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![purpose];
        let key = KeyPair::generate().expect("a leaf key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("a signed certificate");
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }
}

/// A certificate and its private key, PEM.
struct Leaf {
    cert: String,
    key: String,
}

/// PEM files for TLS tests in a temporary directory, removed on drop.
#[derive(Debug)]
pub struct TestCertificates {
    /// The directory holding every file below.
    dir: PathBuf,
}

/// File names inside the directory.
const CA: &str = "ca.pem";
const SERVER: &str = "server.pem";
const SERVER_KEY: &str = "server-key.pem";
const CLIENT: &str = "client.pem";
const CLIENT_KEY: &str = "client-key.pem";
const FOREIGN_CA: &str = "foreign-ca.pem";
const FOREIGN_CLIENT: &str = "foreign-client.pem";
const FOREIGN_CLIENT_KEY: &str = "foreign-client-key.pem";

impl TestCertificates {
    /// Generates both authorities and their certificates into a fresh
    /// directory under the system's temporary directory.
    pub fn generate() -> Self {
        let dir = std::env::temp_dir().join(format!("redress-tls-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("a directory for the certificates");
        let ca = Authority::new("Redress test CA");
        let server = ca.sign(
            "redress test server",
            &SERVER_NAMES,
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let client = ca.sign(
            "redress test service",
            &["redress-service.test"],
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        let foreign = Authority::new("Foreign test CA");
        let foreign_client = foreign.sign(
            "foreign client",
            &["redress-service.test"],
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        let files = [
            (CA, &ca.pem),
            (SERVER, &server.cert),
            (SERVER_KEY, &server.key),
            (CLIENT, &client.cert),
            (CLIENT_KEY, &client.key),
            (FOREIGN_CA, &foreign.pem),
            (FOREIGN_CLIENT, &foreign_client.cert),
            (FOREIGN_CLIENT_KEY, &foreign_client.key),
        ];
        for (name, pem) in files {
            std::fs::write(dir.join(name), pem).expect("a certificate file written");
        }
        Self { dir }
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of a file in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The suite CA's certificate.
    pub fn ca_path(&self) -> PathBuf {
        self.path(CA)
    }

    /// A listener presenting the server certificate; with `require_client`
    /// callers must present a certificate the suite CA signed (mTLS).
    pub fn server(&self, require_client: bool) -> TlsSettings {
        TlsSettings {
            cert_path: self.path(SERVER),
            key_path: self.path(SERVER_KEY),
            client_ca_path: require_client.then(|| self.ca_path()),
        }
    }

    /// A client trusting the suite CA and presenting no certificate.
    pub fn client_without_certificate(&self) -> ClientTlsSettings {
        ClientTlsSettings {
            ca_path: self.ca_path(),
            cert_path: None,
            key_path: None,
            domain_name: None,
        }
    }

    /// A client trusting the suite CA and presenting the certificate it
    /// signed (what a service uses towards another under mTLS).
    pub fn client(&self) -> ClientTlsSettings {
        ClientTlsSettings {
            cert_path: Some(self.path(CLIENT)),
            key_path: Some(self.path(CLIENT_KEY)),
            ..self.client_without_certificate()
        }
    }

    /// A client trusting the suite CA but presenting a certificate the
    /// foreign CA signed.
    pub fn client_with_foreign_certificate(&self) -> ClientTlsSettings {
        ClientTlsSettings {
            cert_path: Some(self.path(FOREIGN_CLIENT)),
            key_path: Some(self.path(FOREIGN_CLIENT_KEY)),
            ..self.client_without_certificate()
        }
    }

    /// A client trusting only the foreign CA (so not the server), presenting
    /// the suite's client certificate.
    pub fn client_trusting_foreign_ca(&self) -> ClientTlsSettings {
        ClientTlsSettings {
            ca_path: self.path(FOREIGN_CA),
            ..self.client()
        }
    }
}

impl Drop for TestCertificates {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
