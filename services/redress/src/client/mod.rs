//! Client subcommands: call a running service as an operator or a script
//! would, printing a table or JSON. The endpoint comes from configuration
//! (`<service>.endpoint`, else the default port); the token from
//! `REDRESS_TOKEN`, else a development token minted with the running
//! suite's secret, so nobody copies tokens by hand.

pub mod customers;

use redress_platform::Secret;
use redress_platform::auth::Role;
use redress_platform::config::{Config, ServiceSettings};

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
}
