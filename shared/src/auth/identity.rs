//! A service's own identity when it calls another service: the bearer
//! token it presents, holding the `service` role, while the person it acts
//! for travels in `x-redress-end-user` (see [`attach_end_user`]).
//!
//! Where the token comes from, in order of preference:
//! - `client.token_file`: a file holding the token, re-read when it may have
//!   changed (at most every 30 s), so a token the platform rotates (a
//!   Kubernetes projected token, a Vault agent sink) is picked up;
//! - `client.token`: a fixed token from the configuration;
//! - in development, when the verifier has the HS256 development secret, a
//!   token minted for `svc-<service>` and renewed before it expires.
//!
//! [`attach_end_user`]: super::attach_end_user

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tonic::metadata::AsciiMetadataValue;
use tonic::service::Interceptor;
use tonic::{Request, Status};

use super::{AuthError, AuthSettings, Role, mint_dev_token};
use crate::grpc::ClientSettings;
use crate::secret::Secret;

/// How long a minted development token lives.
const DEV_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);
/// How long a token read from a file is used before the file is read again.
const FILE_REREAD: Duration = Duration::from_secs(30);

#[derive(Debug)]
enum Source {
    File(PathBuf),
    Fixed(Secret),
    Dev { secret: Secret, subject: String },
}

/// The token a service presents to the services it calls.
#[derive(Debug)]
pub struct ServiceIdentity {
    source: Source,
    /// The token in use and when to renew it.
    current: Mutex<Option<(Secret, Instant)>>,
}

impl ServiceIdentity {
    /// The identity of `service` per the client and auth settings; fails when
    /// no token can be had.
    pub fn from_settings(
        client: &ClientSettings,
        auth: &AuthSettings,
        service: &str,
    ) -> Result<Self, AuthError> {
        let source = if let Some(path) = &client.token_file {
            Source::File(path.clone())
        } else if !client.token.expose().is_empty() {
            Source::Fixed(client.token.clone())
        } else if !auth.dev_secret.expose().is_empty() {
            Source::Dev {
                secret: auth.dev_secret.clone(),
                subject: format!("svc-{service}"),
            }
        } else {
            return Err(AuthError::Config(
                "a service calling another needs client.token_file, client.token, \
                 or the development secret"
                    .into(),
            ));
        };
        let identity = Self {
            source,
            current: Mutex::new(None),
        };
        identity.token()?;
        Ok(identity)
    }

    /// The token to present now.
    pub fn token(&self) -> Result<Secret, AuthError> {
        let mut current = self
            .current
            .lock()
            .map_err(|_| AuthError::Config("the service token cache is poisoned".into()))?;
        if let Some((token, renew_at)) = current.as_ref()
            && Instant::now() < *renew_at
        {
            return Ok(token.clone());
        }
        let (token, renew_at) = match &self.source {
            Source::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    AuthError::Config(format!("cannot read the service token file: {e}"))
                })?;
                (
                    Secret::new(text.trim().to_owned()),
                    Instant::now() + FILE_REREAD,
                )
            }
            Source::Fixed(token) => (token.clone(), Instant::now() + Duration::from_secs(86_400)),
            Source::Dev { secret, subject } => {
                let token =
                    mint_dev_token(secret, subject, &[Role::Service], None, None, DEV_TOKEN_TTL)?;
                (Secret::new(token), Instant::now() + DEV_TOKEN_TTL / 2)
            }
        };
        *current = Some((token.clone(), renew_at));
        Ok(token)
    }
}

/// Puts the service's own token on every outgoing call.
#[derive(Debug, Clone)]
pub struct IdentityInterceptor(pub std::sync::Arc<ServiceIdentity>);

impl Interceptor for IdentityInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let token = self.0.token().map_err(|error| {
            tracing::error!(%error, "no service token for an outgoing call");
            Status::unavailable("this service has no token to call another service with")
        })?;
        let mut value = AsciiMetadataValue::try_from(format!("Bearer {}", token.expose()))
            .map_err(|_| Status::internal("the service token is not valid header text"))?;
        value.set_sensitive(true);
        request.metadata_mut().insert("authorization", value);
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Verifier, generate_dev_secret};

    #[tokio::test]
    async fn a_development_identity_mints_a_service_token_the_verifier_accepts() {
        let secret = generate_dev_secret();
        let auth = AuthSettings::development(secret);
        let identity =
            ServiceIdentity::from_settings(&ClientSettings::default(), &auth, "complaints")
                .expect("an identity");
        let verifier = Verifier::new(&auth).expect("a verifier");
        let caller = verifier
            .verify(identity.token().expect("a token").expose())
            .await
            .expect("valid");
        assert_eq!(caller.subject, "svc-complaints");
        assert_eq!(caller.roles, vec![Role::Service]);
    }

    #[test]
    fn a_token_file_wins_and_no_source_at_all_is_a_configuration_error() {
        let dir = std::env::temp_dir().join(format!("redress-identity-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let path = dir.join("token");
        std::fs::write(&path, "file-token\n").expect("written");
        let client = ClientSettings {
            token_file: Some(path),
            ..ClientSettings::default()
        };
        let identity =
            ServiceIdentity::from_settings(&client, &AuthSettings::default(), "complaints")
                .expect("an identity");
        assert_eq!(identity.token().expect("a token").expose(), "file-token");
        let none = ServiceIdentity::from_settings(
            &ClientSettings::default(),
            &AuthSettings::default(),
            "complaints",
        );
        assert!(matches!(none, Err(AuthError::Config(_))));
        let _ = std::fs::remove_dir_all(dir);
    }
}
