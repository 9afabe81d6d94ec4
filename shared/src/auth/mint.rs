//! Development tokens. `redress up` and `redress token` sign HS256 tokens with
//! the development secret so a laptop needs no identity provider, and tests
//! use the same functions to act as any role. Production tokens come from the
//! identity provider; a verifier in JWKS mode refuses these.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;

use super::verifier::dev_secret_bytes;
use super::{AuthError, Claims, Role};
use crate::secret::Secret;

/// A fresh development secret: 32 random bytes, base64url without padding
/// (43 characters). Its text is the HMAC key.
pub fn generate_dev_secret() -> Secret {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Secret::new(URL_SAFE_NO_PAD.encode(bytes))
}

/// An HS256 token for `subject` with `roles`, valid from now for `ttl`.
pub fn mint_dev_token(
    secret: &Secret,
    subject: &str,
    roles: &[Role],
    team: Option<&str>,
    locale: Option<&str>,
    ttl: Duration,
) -> Result<String, AuthError> {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        sub: subject.to_owned(),
        roles: roles.iter().map(|role| role.as_str().to_owned()).collect(),
        team: team.map(str::to_owned),
        locale: locale.map(str::to_owned),
        exp: now.saturating_add(ttl.as_secs()),
        iat: now,
        iss: None,
        aud: None,
    };
    sign_dev_claims(secret, &claims)
}

/// Signs arbitrary `claims` with the development secret (HS256). For tests
/// that need an expired token, an issuer or an audience.
pub fn sign_dev_claims(secret: &Secret, claims: &Claims) -> Result<String, AuthError> {
    if claims.sub.trim().is_empty() {
        return Err(AuthError::MissingClaim("sub".to_owned()));
    }
    let key = EncodingKey::from_secret(dev_secret_bytes(secret)?);
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
        .map_err(|error| AuthError::Signing(error.to_string()))
}
