//! SCRAM-SHA-256 password verifiers, computed here so a plaintext password
//! never travels in SQL text (where a failing statement would copy it into
//! the server log, and sqlx's statement logging into ours). PostgreSQL stores
//! a verifier given as `PASSWORD '<verifier>'` as is; this is what `psql`'s
//! `\password` does too.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// PostgreSQL's default iteration count.
const ITERATIONS: u32 = 4096;

/// A verifier `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>` for
/// `password` with a fresh random salt; `None` unless the password is
/// printable ASCII (for which SASLprep, applied by server and clients alike,
/// changes nothing).
pub(crate) fn verifier(password: &str) -> Option<String> {
    let mut salt = [0_u8; 16];
    rand::rng().fill_bytes(&mut salt);
    verifier_with(password, &salt, ITERATIONS)
}

fn verifier_with(password: &str, salt: &[u8], iterations: u32) -> Option<String> {
    if password.is_empty() || !password.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return None;
    }
    let salted = pbkdf2_sha256(password.as_bytes(), salt, iterations);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac(&salted, b"Server Key");
    Some(format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        STANDARD.encode(salt),
        STANDARD.encode(stored_key),
        STANDARD.encode(server_key)
    ))
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA256 with a 32-byte output (one block): SCRAM's `Hi()`.
fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1_u32.to_be_bytes());
    let mut u = hmac(password, &block);
    let mut result = u;
    for _ in 1..iterations {
        u = hmac(password, &u);
        for (r, x) in result.iter_mut().zip(u.iter()) {
            *r ^= x;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_matches_the_published_vectors() {
        assert_eq!(
            hex::encode(pbkdf2_sha256(b"password", b"salt", 1)),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"
        );
        assert_eq!(
            hex::encode(pbkdf2_sha256(b"password", b"salt", 4096)),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"
        );
    }

    #[test]
    fn a_verifier_has_postgres_shape_and_a_fresh_salt() {
        let a = verifier("pencil").expect("ascii");
        let b = verifier("pencil").expect("ascii");
        assert!(a.starts_with("SCRAM-SHA-256$4096:"));
        assert_ne!(a, b, "salts differ");
        assert!(!a.contains("pencil"));
        assert!(verifier("pässword").is_none());
        assert!(verifier("").is_none());
    }
}
