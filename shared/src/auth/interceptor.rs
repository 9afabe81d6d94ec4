//! The client side of authentication: a tonic interceptor that puts the
//! bearer token (and, for a service acting for a person, the person's token)
//! on every outgoing call. Values are marked sensitive so HTTP/2 header
//! compression never indexes them, and `Debug` never prints them.

use tonic::metadata::AsciiMetadataValue;
use tonic::service::Interceptor;
use tonic::{Request, Status};

use super::layer::END_USER_HEADER;
use super::{AuthError, Caller};
use crate::secret::Secret;

/// Adds `authorization: Bearer <token>` and, if set, `x-redress-end-user`.
#[derive(Clone)]
pub struct BearerInterceptor {
    authorization: AsciiMetadataValue,
    end_user: Option<AsciiMetadataValue>,
}

impl std::fmt::Debug for BearerInterceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerInterceptor")
            .field("authorization", &"[redacted]")
            .field("end_user", &self.end_user.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl BearerInterceptor {
    /// An interceptor sending `token` as the caller's bearer token. Fails with
    /// [`AuthError::Malformed`] if the token is not valid header text.
    pub fn new(token: &Secret) -> Result<Self, AuthError> {
        Ok(Self {
            authorization: sensitive_value(&format!("Bearer {}", token.expose()))?,
            end_user: None,
        })
    }

    /// Also sends `end_user_token` as the person this service acts for on
    /// every call. For a per-call end user use [`attach_end_user`] instead.
    pub fn with_end_user(mut self, end_user_token: &Secret) -> Result<Self, AuthError> {
        self.end_user = Some(sensitive_value(end_user_token.expose())?);
        Ok(self)
    }
}

impl Interceptor for BearerInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let metadata = request.metadata_mut();
        metadata.insert("authorization", self.authorization.clone());
        if let Some(end_user) = &self.end_user {
            metadata.insert(END_USER_HEADER, end_user.clone());
        }
        Ok(request)
    }
}

/// Marks an outgoing `request` as made on behalf of `caller`'s end user (see
/// [`Caller::end_user_token`]): the way a handler passes the person along
/// when it calls another service.
pub fn attach_end_user<T>(request: &mut Request<T>, caller: &Caller) -> Result<(), AuthError> {
    let value = sensitive_value(caller.end_user_token().expose())?;
    request.metadata_mut().insert(END_USER_HEADER, value);
    Ok(())
}

fn sensitive_value(text: &str) -> Result<AsciiMetadataValue, AuthError> {
    let mut value = AsciiMetadataValue::try_from(text).map_err(|_| AuthError::Malformed)?;
    value.set_sensitive(true);
    Ok(value)
}
