//! Keys, tokens, JWKS documents and a tiny JWKS HTTP server for the tests.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::auth::{AuthSettings, Claims, Verifier, generate_dev_secret};
use crate::secret::Secret;

/// Test-only RSA key A (PKCS#1 PEM).
pub const RSA_A: &str = include_str!("../../../tests-data/auth/rsa-a.pem");
/// Test-only RSA key B (PKCS#1 PEM).
pub const RSA_B: &str = include_str!("../../../tests-data/auth/rsa-b.pem");
/// Test-only P-256 key (PKCS#8 PEM).
pub const EC_A: &str = include_str!("../../../tests-data/auth/ec-a.pem");

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Claims for `sub` with `roles`, valid for ten minutes.
pub fn claims(sub: &str, roles: &[&str]) -> Claims {
    Claims {
        sub: sub.to_owned(),
        roles: roles.iter().map(|role| (*role).to_owned()).collect(),
        team: None,
        locale: None,
        exp: now() + 600,
        iat: now(),
        iss: None,
        aud: None,
    }
}

pub fn dev_verifier() -> (Secret, Verifier) {
    let secret = generate_dev_secret();
    let verifier = Verifier::new(&AuthSettings::development(secret.clone())).expect("dev verifier");
    (secret, verifier)
}

fn encoding_key(pem: &str, alg: Algorithm) -> EncodingKey {
    match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem.as_bytes()).expect("rsa pem"),
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem.as_bytes()).expect("ec pem"),
        other => panic!("no test key for {other:?}"),
    }
}

/// A token signed with `pem` under `alg`, naming `kid`.
pub fn signed(
    pem: &str,
    alg: Algorithm,
    kid: Option<&str>,
    claims: &impl serde::Serialize,
) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &encoding_key(pem, alg)).expect("sign")
}

/// The public JWK of `pem` for `alg`, named `kid`.
pub fn jwk(pem: &str, alg: Algorithm, kid: &str) -> serde_json::Value {
    let mut jwk = Jwk::from_encoding_key(&encoding_key(pem, alg), alg).expect("jwk");
    jwk.common.key_id = Some(kid.to_owned());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    serde_json::to_value(jwk).expect("jwk json")
}

pub fn jwks(keys: &[serde_json::Value]) -> String {
    serde_json::json!({ "keys": keys }).to_string()
}

/// A JWKS file removed when dropped.
pub struct JwksFile(pub PathBuf);

impl JwksFile {
    pub fn new(json: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "redress-auth-test-{}-{}.json",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, json).expect("write jwks file");
        Self(path)
    }

    pub fn settings(&self) -> AuthSettings {
        AuthSettings {
            jwks_file: Some(self.0.clone()),
            ..AuthSettings::default()
        }
    }
}

impl Drop for JwksFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A minimal HTTP/1.1 server on 127.0.0.1 answering every GET with the
/// current JWKS body; it counts requests and stops when dropped.
pub struct JwksServer {
    pub url: String,
    body: Arc<Mutex<String>>,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    pub async fn start(body: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/jwks.json", listener.local_addr().expect("addr"));
        let body = Arc::new(Mutex::new(body));
        let hits = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (body.clone(), hits.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (served, counted) = (served.clone(), counted.clone());
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0_u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16_384 {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    counted.fetch_add(1, Ordering::SeqCst);
                    let body = served
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clone();
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self {
            url,
            body,
            hits,
            task,
        }
    }

    pub fn serve(&self, body: String) {
        *self.body.lock().unwrap_or_else(PoisonError::into_inner) = body;
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn settings(&self) -> AuthSettings {
        AuthSettings {
            jwks_url: Some(self.url.clone()),
            ..AuthSettings::default()
        }
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
