//! Layered configuration: built-in defaults, then a TOML file, then
//! `REDRESS_*` environment variables (`__` separates levels, so
//! `REDRESS_CUSTOMERS__LISTEN=0.0.0.0:50051` sets `customers.listen`).
//!
//! The settings every service shares are typed here ([`PlatformSettings`]);
//! each service reads its own table (`[customers]`, ...) with
//! [`Config::service`]. Secrets are [`Secret`]s, so printing a configuration
//! never shows them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::Secret;
use crate::auth::AuthSettings;
use crate::db::PoolSettings;
use crate::grpc::{ClientSettings, GrpcSettings};
use crate::telemetry::TelemetrySettings;

/// The file read when no other is named, if it exists.
pub const DEFAULT_FILE: &str = "redress.toml";

/// A configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A named configuration file does not exist.
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    /// A value has the wrong shape; the message names the key.
    #[error("configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
}

/// The loaded configuration: typed shared settings plus the raw layers, from
/// which each service extracts its own table.
#[derive(Debug, Clone)]
pub struct Config {
    figment: Figment,
    /// Settings every service shares.
    pub platform: PlatformSettings,
}

/// Settings every service shares.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlatformSettings {
    /// Where the data lives.
    pub database: DatabaseSettings,
    /// Logs and traces.
    pub telemetry: TelemetrySettings,
    /// gRPC servers.
    pub grpc: GrpcSettings,
    /// gRPC clients calling other services.
    pub client: ClientSettings,
    /// Who may call.
    pub auth: AuthSettings,
}

/// Where the data lives.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// A URL with rights to create roles and schemas and run migrations
    /// (`redress up` and `redress migrate`). Empty: start a private cluster
    /// from the machine's PostgreSQL binaries.
    pub url: Secret,
    /// The secret from which service login passwords are derived when
    /// `redress up` or `redress migrate` provisions the roles. Empty: the
    /// development secret (`.redress/dev-secret`).
    pub role_secret: Secret,
    /// The private cluster's directory.
    pub local_data_dir: PathBuf,
    /// The private cluster's port; 0 picks a free one the first time and
    /// keeps it.
    pub local_port: u16,
    /// Connection pools.
    pub pool: PoolSettings,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: Secret::default(),
            role_secret: Secret::default(),
            local_data_dir: PathBuf::from(".redress/postgres"),
            local_port: 0,
            pool: PoolSettings::default(),
        }
    }
}

/// Settings each service has under its own table.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceSettings {
    /// The address the service listens on; each service has a default.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    /// The service's own login URL (its role, its schema's database).
    /// Empty under `redress up`, which provisions the role and derives it.
    #[serde(default)]
    pub database_url: Secret,
    /// How other services reach this one; `http://<listen>` when empty, or
    /// `https://<listen>` when the caller's client TLS is configured.
    #[serde(default)]
    pub endpoint: String,
}

impl ServiceSettings {
    /// The configured listen address, or `default` (which must parse).
    pub fn listen_or(&self, default: &str) -> SocketAddr {
        self.listen.unwrap_or_else(|| {
            default
                .parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
        })
    }

    /// The endpoint other services use to reach this one, given the address
    /// it listens on and whether the caller speaks TLS.
    pub fn endpoint(&self, listen: SocketAddr, tls: bool) -> String {
        if self.endpoint.is_empty() {
            let scheme = if tls { "https" } else { "http" };
            format!("{scheme}://{listen}")
        } else {
            self.endpoint.clone()
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (or `redress.toml` in the working
    /// directory when it exists), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        match file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.into())),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None if Path::new(DEFAULT_FILE).exists() => {
                figment = figment.merge(Toml::file(DEFAULT_FILE));
            }
            None => {}
        }
        figment = figment.merge(Env::prefixed("REDRESS_").split("__"));
        Self::from_figment(figment)
    }

    /// Builds from explicit layers (tests, embedding).
    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let platform = figment.extract().map_err(Box::new)?;
        Ok(Self { figment, platform })
    }

    /// This configuration with `key` set to `value` on top (for tests and
    /// for values decided at run time, such as a derived database URL).
    pub fn with(&self, key: &str, value: impl serde::Serialize) -> Result<Self, ConfigError> {
        Self::from_figment(
            self.figment
                .clone()
                .merge(figment::providers::Serialized::global(key, value)),
        )
    }

    /// A service's own table, such as `customers`, with the service's
    /// defaults filling what the layers leave out (all of it when the table
    /// is absent).
    pub fn service<T: DeserializeOwned>(&self, table: &str) -> Result<T, ConfigError> {
        self.figment
            .focus(table)
            .extract()
            .map_err(|e| Box::new(e).into())
    }

    /// Whether a key is set in any layer.
    pub fn contains(&self, key: &str) -> bool {
        self.figment.contains(key)
    }
}

#[cfg(test)]
// figment::Jail's closures must return figment's own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Example {
        listen: SocketAddr,
        #[serde(default)]
        window_days: u32,
        #[serde(default)]
        other: Option<String>,
    }

    #[test]
    fn the_environment_overrides_the_file_which_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "redress.toml",
                r#"
                [example]
                listen = "127.0.0.1:1"
                window_days = 30
                [database]
                url = "postgres://admin:pw@db/redress"
                "#,
            )?;
            jail.set_env("REDRESS_EXAMPLE__LISTEN", "127.0.0.1:2");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            let example: Example = config.service("example").map_err(|e| e.to_string())?;
            assert_eq!(example.listen.port(), 2);
            assert_eq!(example.other, None);
            assert_eq!(example.window_days, 30);
            assert_eq!(config.platform.database.local_port, 0);
            assert_eq!(
                config.platform.database.url.expose(),
                "postgres://admin:pw@db/redress"
            );
            Ok(())
        });
    }

    #[test]
    fn printing_the_configuration_never_shows_a_secret() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("REDRESS_DATABASE__URL", "postgres://admin:s3cret@db/x");
            jail.set_env("REDRESS_AUTH__DEV_SECRET", "also-s3cret");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            let printed = format!("{:?}", config.platform);
            assert!(!printed.contains("s3cret"), "{printed}");
            Ok(())
        });
    }

    #[test]
    fn a_named_file_that_does_not_exist_is_an_error() {
        let error = Config::load(Some(Path::new("/nonexistent/redress.toml")));
        assert!(matches!(error, Err(ConfigError::MissingFile(_))));
    }
}
