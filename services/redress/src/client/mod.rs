//! Client subcommands: call a running service as an operator or a script
//! would, printing a table or JSON. The endpoint comes from configuration
//! (`<service>.endpoint`, else the default port); the token from
//! `REDRESS_TOKEN`, else a development token minted with the running
//! suite's secret, so nobody copies tokens by hand. Whom that development
//! token names is an [`Identity`]: `cli` with no team unless a command lets
//! the caller say (`redress complaints --as agent-1 --team front ...`).
//!
//! What every service's commands share lives beside them: [`args`] parses
//! typed values (names, amounts, times), [`wire_enum`] maps protobuf enums to
//! and from their short names, [`render`] prints tables and JSON, and
//! [`failure`] turns a failed call into a message naming the gRPC code and
//! the AIP-193 details.

pub mod args;
pub mod audit;
pub mod complaints;
pub mod crisis;
pub mod customers;
pub mod failure;
pub mod notifications;
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

/// The subject a development token names when no identity is given.
const DEFAULT_SUBJECT: &str = "cli";

/// Whom a minted development token names: the staff subject and team whose
/// work a command does (the complaints service makes the caller the owner of
/// what they take in, and offers hand-offs to a named agent or team). Only
/// for development tokens: with `REDRESS_TOKEN` set, the token names its
/// caller, and asking for another identity is refused rather than ignored.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Identity {
    /// Act as this staff subject (default: cli). Mints a development token
    /// for them; refused when REDRESS_TOKEN is set.
    #[arg(long = "as", value_name = "SUBJECT")]
    pub subject: Option<String>,
    /// Act as a member of this team (its id, such as front; `teams/front`
    /// is taken too). Mints a development token with this team claim;
    /// refused when REDRESS_TOKEN is set.
    #[arg(long = "team", value_name = "TEAM_ID")]
    pub team: Option<String>,
}

impl Identity {
    /// Whether an identity was asked for.
    fn is_given(&self) -> bool {
        self.subject.is_some() || self.team.is_some()
    }

    /// The subject to mint for.
    fn subject(&self) -> &str {
        self.subject.as_deref().map_or(DEFAULT_SUBJECT, str::trim)
    }

    /// The team claim to mint with: the bare id.
    fn team(&self) -> Option<&str> {
        self.team
            .as_deref()
            .map(|team| team.trim().trim_start_matches("teams/"))
            .filter(|team| !team.is_empty())
    }
}

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
    /// The context for calling `service` as the default identity.
    pub fn new(config: &Config, service: &str) -> anyhow::Result<Self> {
        Self::acting(config, service, &Identity::default())
    }

    /// The context for calling `service` as `identity`: `REDRESS_TOKEN` when
    /// set (and no identity is asked for), else a development token for the
    /// identity with every role.
    pub fn acting(config: &Config, service: &str, identity: &Identity) -> anyhow::Result<Self> {
        let settings: ServiceSettings = config.service(service)?;
        let default = crate::services::default_listen(service)?;
        let endpoint = settings.endpoint(
            settings.listen_or(default),
            config.platform.client.tls.is_some(),
        );
        let token = match std::env::var("REDRESS_TOKEN") {
            Ok(token) if !token.trim().is_empty() => {
                if identity.is_given() {
                    anyhow::bail!(
                        "--as and --team only apply to development tokens, and REDRESS_TOKEN \
                         is set (it names its own subject and team); unset it to act as another \
                         identity"
                    );
                }
                Secret::new(token.trim())
            }
            _ => crate::dev::mint(
                config,
                identity.subject(),
                &Role::ALL,
                identity.team(),
                None,
                1,
            )?,
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
