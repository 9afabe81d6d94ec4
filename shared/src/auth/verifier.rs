//! Turns a bearer token into a [`Caller`], or says why it cannot. A verifier
//! runs in exactly one mode, chosen from [`AuthSettings`]: JWKS (RS256 and
//! ES256 only, key chosen by the token's `kid`) for a real identity provider,
//! or HS256 with the development secret. Each mode accepts only its own
//! algorithms, so neither `alg: none` nor an HS256 token signed with a public
//! key (algorithm confusion) ever reaches a signature check.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::jwks::JwksKeys;
use super::{AuthError, AuthSettings, Caller, Claims};
use crate::secret::Secret;

/// The shortest development secret accepted, in bytes (RFC 7518 §3.2).
pub const MIN_DEV_SECRET_BYTES: usize = 32;

/// Checks bearer tokens. Cheap to share behind an `Arc`; JWKS state is
/// internally synchronised.
pub struct Verifier {
    mode: Mode,
    /// Leeway, issuer, audience and required claims; `algorithms` is set per
    /// token from the mode or the JWKS key.
    validation: Validation,
}

enum Mode {
    Development { key: DecodingKey },
    Jwks(JwksKeys),
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("Verifier");
        match &self.mode {
            Mode::Development { .. } => out.field("mode", &"hs256-development"),
            Mode::Jwks(keys) => out.field("mode", keys),
        };
        out.field("issuer", &self.validation.iss)
            .field("audience", &self.validation.aud)
            .field("leeway", &self.validation.leeway)
            .finish()
    }
}

/// The part of a JWT header read before any key is chosen.
#[derive(Deserialize)]
struct PeekedHeader {
    alg: String,
    kid: Option<String>,
}

impl Verifier {
    /// A verifier for `settings`. Fails with [`AuthError::Config`] unless
    /// exactly one of `dev_secret`, `jwks_file` and `jwks_url` is set, when the
    /// development secret is shorter than [`MIN_DEV_SECRET_BYTES`], or when a
    /// JWKS file cannot be read or holds no usable key. A JWKS URL is not
    /// contacted here: call [`Verifier::refresh_keys`] to fail fast.
    pub fn new(settings: &AuthSettings) -> Result<Self, AuthError> {
        let refresh_every = Duration::from_secs(settings.jwks_refresh_seconds);
        let mode = match (
            settings.dev_secret.is_empty(),
            &settings.jwks_file,
            &settings.jwks_url,
        ) {
            (false, None, None) => Mode::Development {
                key: DecodingKey::from_secret(dev_secret_bytes(&settings.dev_secret)?),
            },
            (true, Some(path), None) => {
                check_refresh(settings)?;
                Mode::Jwks(JwksKeys::from_file(path.clone(), refresh_every)?)
            }
            (true, None, Some(url)) => {
                check_refresh(settings)?;
                Mode::Jwks(JwksKeys::from_url(url.clone(), refresh_every)?)
            }
            (true, None, None) => {
                return Err(AuthError::Config(
                    "set one of auth.dev_secret, auth.jwks_file or auth.jwks_url".to_owned(),
                ));
            }
            _ => {
                return Err(AuthError::Config(
                    "set only one of auth.dev_secret, auth.jwks_file and auth.jwks_url".to_owned(),
                ));
            }
        };

        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = settings.leeway_seconds;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if let Some(issuer) = &settings.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        if let Some(audience) = &settings.audience {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        Ok(Self { mode, validation })
    }

    /// Whether this verifier accepts HS256 development tokens.
    pub fn is_development(&self) -> bool {
        matches!(self.mode, Mode::Development { .. })
    }

    /// In JWKS mode, fetches the key set now (useful at start-up to fail
    /// fast or warm the cache). Does nothing in development mode.
    pub async fn refresh_keys(&self) -> Result<(), AuthError> {
        match &self.mode {
            Mode::Development { .. } => Ok(()),
            Mode::Jwks(keys) => keys.refresh().await,
        }
    }

    /// The caller `token` (the JWT alone, without `Bearer `) authenticates.
    pub async fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let header = peek_header(token)?;
        let (algorithm, token_data) = match &self.mode {
            Mode::Development { key } => {
                if header.alg != "HS256" {
                    return Err(AuthError::AlgorithmNotAllowed);
                }
                let algorithm = Algorithm::HS256;
                let decoded =
                    jsonwebtoken::decode::<Claims>(token, key, &self.validation_for(algorithm));
                (algorithm, decoded)
            }
            Mode::Jwks(keys) => {
                if header.alg != "RS256" && header.alg != "ES256" {
                    return Err(AuthError::AlgorithmNotAllowed);
                }
                let kid = header.kid.ok_or(AuthError::UnknownKey)?;
                let key = keys.key_for(&kid).await?;
                if header.alg != algorithm_name(key.algorithm) {
                    return Err(AuthError::AlgorithmNotAllowed);
                }
                let decoded = jsonwebtoken::decode::<Claims>(
                    token,
                    &key.key,
                    &self.validation_for(key.algorithm),
                );
                (key.algorithm, decoded)
            }
        };
        let claims = token_data
            .map_err(|error| {
                let error = AuthError::from(error);
                tracing::debug!(?algorithm, %error, "token rejected");
                error
            })?
            .claims;
        claims.into_caller(Secret::new(token))
    }

    fn validation_for(&self, algorithm: Algorithm) -> Validation {
        let mut validation = self.validation.clone();
        validation.algorithms = vec![algorithm];
        validation
    }
}

/// The development secret's bytes: its UTF-8 text, used as the HMAC key as is.
pub(super) fn dev_secret_bytes(secret: &Secret) -> Result<&[u8], AuthError> {
    let bytes = secret.expose().as_bytes();
    if bytes.len() < MIN_DEV_SECRET_BYTES {
        return Err(AuthError::Config(format!(
            "the development secret must be at least {MIN_DEV_SECRET_BYTES} bytes"
        )));
    }
    Ok(bytes)
}

fn check_refresh(settings: &AuthSettings) -> Result<(), AuthError> {
    if settings.jwks_refresh_seconds == 0 {
        return Err(AuthError::Config(
            "auth.jwks_refresh_seconds must be at least 1".to_owned(),
        ));
    }
    Ok(())
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        Algorithm::HS256 => "HS256",
        _ => "other",
    }
}

/// Reads `alg` and `kid` from the token's header without trusting anything
/// else, so unaccepted algorithms (`none` included) are refused by name.
fn peek_header(token: &str) -> Result<PeekedHeader, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed);
    };
    let json = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| AuthError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| AuthError::Malformed)
}
