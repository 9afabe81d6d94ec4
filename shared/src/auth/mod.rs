//! Authentication and authorisation for every Redress service.
//!
//! Callers send a bearer JWT. A [`Verifier`] checks it, in production against
//! the identity provider's JWKS (RS256/ES256), in development against the
//! HS256 secret `redress up` generates ([`mint_dev_token`]). Each service
//! declares in one [`AccessPolicy`] which [`Role`]s may call each RPC, and
//! mounts an [`AuthLayer`] that refuses everything else before a handler
//! runs, handing handlers a verified [`Caller`]. A service calling another on
//! a person's behalf sends the person's token in `x-redress-end-user`
//! ([`BearerInterceptor`], [`attach_end_user`]), so the callee sees both.

mod caller;
mod claims;
mod error;
mod identity;
mod interceptor;
mod jwks;
mod layer;
mod mint;
mod policy;
mod role;
mod settings;
mod verifier;

#[cfg(test)]
mod tests;

pub use caller::{CALLER_MISSING_DOMAIN, Caller};
pub use claims::{Audience, Claims};
pub use error::{AuthError, status_with_error_info};
pub use identity::{IdentityInterceptor, ServiceIdentity};
pub use interceptor::{BearerInterceptor, attach_end_user};
pub use jwks::UNKNOWN_KID_REFRESH_INTERVAL;
pub use layer::{AuthFuture, AuthLayer, AuthService, END_USER_HEADER};
pub use mint::{generate_dev_secret, mint_dev_token, sign_dev_claims};
pub use policy::{AccessPolicy, MethodRoles};
pub use role::{Role, UnknownRole};
pub use settings::AuthSettings;
pub use verifier::{MIN_DEV_SECRET_BYTES, Verifier};
