//! The JWT payload Redress reads and, in development, writes. The identity
//! provider issues `sub`, `roles`, `team` and `locale` beside the registered
//! claims; [`Claims::into_caller`] turns a verified payload into the
//! [`Caller`] handlers see, dropping role strings it does not know.

use serde::{Deserialize, Serialize};

use super::{AuthError, Caller, Role};
use crate::secret::Secret;

/// The claims of a Redress bearer token.
///
/// `sub` and `exp` default when absent only so that the verifier can report
/// the missing claim as [`AuthError::MissingClaim`] instead of a parse error;
/// a token without them is always rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: the stable id of the person or service.
    #[serde(default)]
    pub sub: String,
    /// Role wire strings (`agent`, `crisis_manager`, ...).
    #[serde(default)]
    pub roles: Vec<String>,
    /// The caller's team, if the identity provider knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The caller's locale (BCP 47), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    #[serde(default)]
    pub exp: u64,
    /// Issue time, seconds since the Unix epoch (0 when absent).
    #[serde(default)]
    pub iat: u64,
    /// Issuer, checked when the settings name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience, checked when the settings name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
}

/// The `aud` claim: one string or an array of them (RFC 7519 §4.1.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

impl Claims {
    /// The caller these verified claims describe. `token` is the token they
    /// came from, kept for passing the caller along to other services.
    ///
    /// Fails with [`AuthError::MissingClaim`] when `sub` is empty. Unknown role
    /// strings are logged at debug level and ignored.
    pub fn into_caller(self, token: Secret) -> Result<Caller, AuthError> {
        if self.sub.trim().is_empty() {
            return Err(AuthError::MissingClaim("sub".to_owned()));
        }
        let mut roles: Vec<Role> = self
            .roles
            .iter()
            .filter_map(|name| match name.parse::<Role>() {
                Ok(role) => Some(role),
                Err(unknown) => {
                    tracing::debug!(role = %unknown.0, "ignoring an unknown role in a token");
                    None
                }
            })
            .collect();
        roles.sort_unstable();
        roles.dedup();
        Ok(Caller {
            subject: self.sub,
            roles,
            team: self.team,
            locale: self.locale,
            end_user: None,
            token,
        })
    }
}
