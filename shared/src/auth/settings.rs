//! How a service is told to check tokens. Exactly one mode must be set: a
//! JWKS (from a file or a URL) for production identity providers, or the
//! HS256 development secret that `redress up` generates. The
//! [`Verifier`](super::Verifier) refuses any other combination at start-up.

use std::path::PathBuf;

use serde::Deserialize;

use crate::secret::Secret;

/// Token verification settings (the `auth` section of a service's config).
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// HS256 secret for development. Empty means not configured.
    pub dev_secret: Secret,
    /// A JWKS document on disk (e.g. a mounted ConfigMap). Re-read like a URL.
    pub jwks_file: Option<PathBuf>,
    /// The identity provider's JWKS URL (`https://.../jwks.json`).
    pub jwks_url: Option<String>,
    /// Required `iss`, if set.
    pub issuer: Option<String>,
    /// Required `aud`, if set. When unset, a token carrying any `aud` is
    /// rejected (RFC 7519: a recipient must find itself in `aud`).
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
    /// How old cached JWKS keys may get before they are fetched again, in
    /// seconds. At least 1 in JWKS mode.
    pub jwks_refresh_seconds: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            dev_secret: Secret::default(),
            jwks_file: None,
            jwks_url: None,
            issuer: None,
            audience: None,
            leeway_seconds: 30,
            jwks_refresh_seconds: 300,
        }
    }
}

impl AuthSettings {
    /// Development settings: HS256 with `secret`, defaults elsewhere.
    pub fn development(secret: Secret) -> Self {
        Self {
            dev_secret: secret,
            ..Self::default()
        }
    }
}
