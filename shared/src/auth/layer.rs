//! The tower middleware that authenticates and authorises every RPC before a
//! handler runs. It sits inside tonic's server (after gRPC-Web translation,
//! so gRPC and gRPC-Web requests look alike: HTTP requests with headers),
//! reads `authorization: Bearer <jwt>`, verifies it, checks the service's
//! [`AccessPolicy`], and hands the [`Caller`] to the handler through the
//! request extensions. Health and reflection pass without a token; a method
//! the policy does not declare is refused. Refusals are answered here as gRPC
//! statuses with one AIP-193 `ErrorInfo`; the token never appears in them.
//! Each refusal is also a structured `tracing` event on the `redress::audit`
//! target (method, code, reason, verified subject), so refusals that never
//! reach a handler still leave a security trail.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::HeaderMap;
use tonic::{Code, Status};
use tower::{Layer, Service};

use super::error::status_with_error_info;
use super::{AccessPolicy, AuthError, Caller, Role, Verifier};
use crate::audit::AUDIT_TARGET;

/// Metadata key carrying the end user's own bearer token when a `service`
/// caller acts on a person's behalf. The value is the JWT, optionally prefixed
/// with `Bearer `.
pub const END_USER_HEADER: &str = "x-redress-end-user";

/// Path prefixes served without authentication.
const OPEN_PREFIXES: [&str; 2] = ["/grpc.health.v1.", "/grpc.reflection."];

/// Builds [`AuthService`]s around a service's routes.
#[derive(Clone, Debug)]
pub struct AuthLayer {
    verifier: Arc<Verifier>,
    policy: AccessPolicy,
    /// ErrorInfo domain, `<service>.redress`.
    domain: Arc<str>,
}

impl AuthLayer {
    /// A layer checking tokens with `verifier` against `policy`, reporting
    /// errors in `domain` (e.g. `customers.redress`).
    pub fn new(verifier: Arc<Verifier>, policy: AccessPolicy, domain: impl Into<String>) -> Self {
        Self {
            verifier,
            policy,
            domain: Arc::from(domain.into()),
        }
    }

    /// The caller a request with `path` and `headers` may proceed as: `None`
    /// for open paths, or the status that refuses it.
    pub async fn authorize(
        &self,
        path: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Caller>, Status> {
        if OPEN_PREFIXES.iter().any(|prefix| path.starts_with(prefix)) {
            return Ok(None);
        }
        let Some(allowed) = self.policy.allowed(path) else {
            tracing::warn!(
                method = path,
                "refusing a method the access policy does not declare"
            );
            let metadata = HashMap::from([("method".to_owned(), path.to_owned())]);
            return Err(self.refuse(
                path,
                None,
                Code::PermissionDenied,
                "this method is not open to any caller",
                "METHOD_NOT_DECLARED",
                metadata,
            ));
        };

        let token =
            bearer_token(headers, http::header::AUTHORIZATION.as_str()).ok_or_else(|| {
                self.refuse(
                    path,
                    None,
                    Code::Unauthenticated,
                    "send exactly one `authorization: Bearer <token>` header",
                    "TOKEN_MISSING",
                    HashMap::new(),
                )
            })?;
        let mut caller = self
            .verifier
            .verify(token)
            .await
            .map_err(|error| self.token_refused(path, &error, None))?;

        if !caller.has_any(allowed) {
            tracing::debug!(method = path, "caller lacks every role this method allows");
            let metadata = HashMap::from([("allowed_roles".to_owned(), join_roles(allowed))]);
            return Err(self.refuse(
                path,
                Some(&caller.subject),
                Code::PermissionDenied,
                "the caller's roles do not permit this method",
                "ROLE_NOT_PERMITTED",
                metadata,
            ));
        }

        if headers.contains_key(END_USER_HEADER) {
            caller.end_user = Some(Box::new(self.end_user(path, headers, &caller).await?));
        }
        Ok(Some(caller))
    }

    /// Verifies the end user a `service` caller acts for.
    async fn end_user(
        &self,
        path: &str,
        headers: &HeaderMap,
        caller: &Caller,
    ) -> Result<Caller, Status> {
        let credential = || HashMap::from([("credential".to_owned(), END_USER_HEADER.to_owned())]);
        if !caller.has_role(Role::Service) {
            return Err(self.refuse(
                path,
                Some(&caller.subject),
                Code::PermissionDenied,
                "only a service may act on behalf of an end user",
                "END_USER_NOT_PERMITTED",
                credential(),
            ));
        }
        let token = bearer_token(headers, END_USER_HEADER).ok_or_else(|| {
            self.refuse(
                path,
                Some(&caller.subject),
                Code::Unauthenticated,
                "send exactly one end-user token",
                "TOKEN_MISSING",
                credential(),
            )
        })?;
        self.verifier
            .verify(token)
            .await
            .map_err(|error| self.token_refused(path, &error, Some(END_USER_HEADER)))
    }

    fn token_refused(&self, path: &str, error: &AuthError, credential: Option<&str>) -> Status {
        tracing::debug!(method = path, %error, credential, "token refused");
        let mut metadata = HashMap::new();
        let message = match credential {
            Some(name) => {
                metadata.insert("credential".to_owned(), name.to_owned());
                format!("end-user token: {}", error.public_message())
            }
            None => error.public_message(),
        };
        self.refuse(path, None, error.code(), message, error.reason(), metadata)
    }

    /// The status refusing a call to `path`, announced as a security event
    /// on the [`AUDIT_TARGET`] tracing target: the method, the code, the
    /// reason and the verified subject when there is one (an opaque id);
    /// never the token or anything from an unverified one.
    fn refuse(
        &self,
        path: &str,
        subject: Option<&str>,
        code: Code,
        message: impl Into<String>,
        reason: &str,
        metadata: HashMap<String, String>,
    ) -> Status {
        tracing::info!(
            target: AUDIT_TARGET,
            event = "request.refused",
            method = path,
            code = ?code,
            reason,
            subject,
            domain = &*self.domain,
            "the access layer refused a request"
        );
        status_with_error_info(code, message, reason, &self.domain, metadata)
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps around the inner service.
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    layer: AuthLayer,
}

/// The future an [`AuthService`] returns.
pub type AuthFuture<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send + 'static>>;

impl<S, B, ResBody> Service<http::Request<B>> for AuthService<S>
where
    S: Service<http::Request<B>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = AuthFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The clone is not necessarily ready; keep the ready one for this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            let outcome = layer
                .authorize(request.uri().path(), request.headers())
                .await;
            match outcome {
                Ok(Some(caller)) => {
                    request.extensions_mut().insert(caller);
                    inner.call(request).await
                }
                Ok(None) => inner.call(request).await,
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}

/// The token in the single `name` header, written `Bearer <token>` (for the
/// end-user header the scheme may be left out).
fn bearer_token<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?.to_str().ok()?.trim();
    if values.next().is_some() {
        return None;
    }
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        Some(_) => return None,
        None if name == END_USER_HEADER => value,
        None => return None,
    };
    (!token.is_empty()).then_some(token)
}

fn join_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|role| role.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
