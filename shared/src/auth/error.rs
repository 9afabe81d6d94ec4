//! Why authentication failed, and how each failure looks on the wire. Every
//! [`AuthError`] maps to one canonical gRPC code and one AIP-193 reason, and
//! [`status_with_error_info`] is the one place a status with exactly one
//! `google.rpc.ErrorInfo` is built. Messages are fixed texts: they never echo
//! the token, a claim value or an internal error.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// What went wrong while configuring the verifier, checking a token or
/// minting one.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The settings do not describe exactly one usable mode, or a key or
    /// JWKS given in them cannot be used. Start-up should stop on this.
    #[error("authentication is misconfigured: {0}")]
    Config(String),
    /// The token is not a well-formed JWT (shape, base64, JSON, header).
    #[error("the token is not a well-formed JWT")]
    Malformed,
    /// The token's `alg` is not accepted in this mode (this includes `none`,
    /// and HS256 in JWKS mode).
    #[error("the token's signing algorithm is not accepted")]
    AlgorithmNotAllowed,
    /// The token's `kid` is missing or names no key in the JWKS, even after a
    /// refresh.
    #[error("the token names no known signing key")]
    UnknownKey,
    /// The signature does not verify against the key.
    #[error("the token's signature does not verify")]
    BadSignature,
    /// `exp` is in the past (beyond the configured leeway).
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the configured leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` is not the configured issuer.
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    /// `aud` does not name the configured audience, or names one while none is
    /// configured.
    #[error("the token is meant for another audience")]
    WrongAudience,
    /// A required claim (`sub`, `exp`, or a configured `iss`/`aud`) is absent.
    #[error("the token lacks the required claim `{0}`")]
    MissingClaim(String),
    /// The JWKS could not be fetched and no keys are cached.
    #[error("the signing keys are unavailable: {0}")]
    KeysUnavailable(String),
    /// A development token could not be signed.
    #[error("could not sign a token: {0}")]
    Signing(String),
}

impl AuthError {
    /// The canonical gRPC code a request failing with this error gets.
    pub fn code(&self) -> Code {
        match self {
            AuthError::Config(_) | AuthError::Signing(_) => Code::Internal,
            AuthError::KeysUnavailable(_) => Code::Unavailable,
            _ => Code::Unauthenticated,
        }
    }

    /// The AIP-193 `ErrorInfo.reason`. Signature, key and shape failures all
    /// read `TOKEN_INVALID`, so a forger learns nothing about which check
    /// failed; the precise variant is logged at debug level instead.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Config(_) => "AUTH_MISCONFIGURED",
            AuthError::Malformed
            | AuthError::AlgorithmNotAllowed
            | AuthError::UnknownKey
            | AuthError::BadSignature => "TOKEN_INVALID",
            AuthError::Expired => "TOKEN_EXPIRED",
            AuthError::NotYetValid => "TOKEN_NOT_YET_VALID",
            AuthError::WrongIssuer => "TOKEN_ISSUER_MISMATCH",
            AuthError::WrongAudience => "TOKEN_AUDIENCE_MISMATCH",
            AuthError::MissingClaim(_) => "TOKEN_CLAIM_MISSING",
            AuthError::KeysUnavailable(_) => "SIGNING_KEYS_UNAVAILABLE",
            AuthError::Signing(_) => "TOKEN_SIGNING_FAILED",
        }
    }

    /// A message safe to send to the caller: no internals, no token content.
    pub fn public_message(&self) -> String {
        match self {
            AuthError::Config(_) | AuthError::Signing(_) => {
                "authentication is not available on this server".to_owned()
            }
            AuthError::KeysUnavailable(_) => {
                "the signing keys are unavailable; try again later".to_owned()
            }
            AuthError::Malformed
            | AuthError::AlgorithmNotAllowed
            | AuthError::UnknownKey
            | AuthError::BadSignature => "the bearer token is not valid".to_owned(),
            other => other.to_string(),
        }
    }
}

impl From<jsonwebtoken::errors::Error> for AuthError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        use jsonwebtoken::errors::ErrorKind;
        match error.into_kind() {
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::NotYetValid,
            ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
            ErrorKind::InvalidAudience => AuthError::WrongAudience,
            ErrorKind::MissingRequiredClaim(claim) => AuthError::MissingClaim(claim),
            ErrorKind::InvalidSignature => AuthError::BadSignature,
            ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
                AuthError::AlgorithmNotAllowed
            }
            _ => AuthError::Malformed,
        }
    }
}

/// A status with `code`, `message` and exactly one `google.rpc.ErrorInfo`
/// carrying `reason` (UPPER_SNAKE) and `domain` (`<service>.redress`).
pub fn status_with_error_info(
    code: Code,
    message: impl Into<String>,
    reason: &str,
    domain: &str,
    metadata: HashMap<String, String>,
) -> Status {
    Status::with_error_details(
        code,
        message,
        ErrorDetails::with_error_info(reason, domain, metadata),
    )
}
