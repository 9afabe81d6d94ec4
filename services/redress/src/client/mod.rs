//! Client subcommands: call a running service as an operator or a script
//! would, printing a table or JSON. The endpoint comes from configuration
//! (`<service>.endpoint`, else the default port); the token from
//! `REDRESS_TOKEN`, else a development token minted with the running
//! suite's secret, so nobody copies tokens by hand.
//!
//! What every service's commands share lives beside them: [`args`] parses
//! typed values (names, amounts, times), [`wire_enum`] maps protobuf enums to
//! and from their short names, [`render`] prints tables and JSON, and
//! [`failure`] turns a failed call into a message naming the gRPC code and
//! the AIP-193 details.

pub mod args;
pub mod customers;
pub mod failure;
pub mod render;
pub mod wire_enum;

use redress_platform::Secret;
use redress_platform::auth::{BearerInterceptor, Role};
use redress_platform::config::{Config, ServiceSettings};
use redress_platform::grpc::TracedChannel;
use tonic::service::interceptor::InterceptedService;

pub use failure::CallError;

/// A channel to one service that traces each call and sends the bearer
/// token.
pub type AuthedChannel = InterceptedService<TracedChannel, BearerInterceptor>;

/// Where and as whom to call.
#[derive(Debug, Clone)]
pub struct Context {
    /// The service's endpoint, such as `http://127.0.0.1:50051`.
    pub endpoint: String,
    /// The bearer token.
    pub token: Secret,
    /// Client settings (timeouts, TLS).
    pub settings: redress_platform::grpc::ClientSettings,
}

impl Context {
    /// The context for calling `service`.
    pub fn new(config: &Config, service: &str) -> anyhow::Result<Self> {
        let settings: ServiceSettings = config.service(service)?;
        let default = crate::services::default_listen(service)?;
        let endpoint = settings.endpoint(settings.listen_or(default));
        let token = match std::env::var("REDRESS_TOKEN") {
            Ok(token) if !token.trim().is_empty() => Secret::new(token.trim()),
            _ => crate::dev::mint(config, "cli", &Role::ALL, None, None, 1)?,
        };
        Ok(Self {
            endpoint,
            token,
            settings: config.platform.client.clone(),
        })
    }

    /// A lazily connecting, traced channel to the endpoint that sends the
    /// token on every call. Fails only on configuration errors (a malformed
    /// endpoint, unreadable TLS files, a token that is not header text); an
    /// unreachable server shows on the first call, as a [`CallError`].
    pub async fn channel(&self) -> anyhow::Result<AuthedChannel> {
        let channel = redress_platform::grpc::connect(&self.endpoint, &self.settings).await?;
        let interceptor = BearerInterceptor::new(&self.token)
            .map_err(|error| anyhow::anyhow!("the bearer token cannot be sent: {error}"))?;
        Ok(InterceptedService::new(
            redress_platform::grpc::traced(channel),
            interceptor,
        ))
    }

    /// A failed call to this context's endpoint, ready to report.
    pub fn failure(&self, status: tonic::Status) -> CallError {
        CallError::new(&self.endpoint, status)
    }
}
