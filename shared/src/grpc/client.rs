//! Channels from one Redress service to another.
//!
//! [`connect`] turns an endpoint and [`ClientSettings`] into a tonic
//! [`Channel`] that connects lazily (a service may start before the services
//! it calls) with a connect timeout, a per-request deadline and, when
//! configured, TLS. [`traced`] wraps a channel so each call gets a client span
//! and carries its `traceparent` out; a bearer-token interceptor composes on
//! top in the usual way:
//!
//! ```ignore
//! let channel = grpc::traced(grpc::connect("http://127.0.0.1:50051", &settings).await?);
//! let client = CustomerServiceClient::with_interceptor(channel, bearer_interceptor);
//! ```

use std::time::Duration;

use serde::Deserialize;
use tonic::transport::{Channel, Endpoint};
use tower::Layer as _;

use super::tls::{ClientTlsSettings, TlsError};
use super::trace::{RpcTrace, RpcTraceLayer};

/// How a service reaches another.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ClientSettings {
    /// Longest wait, in milliseconds, for a connection to be established.
    pub connect_timeout_ms: u64,
    /// Deadline of each request, in milliseconds.
    pub request_timeout_ms: u64,
    /// TLS towards the server; absent means plaintext.
    pub tls: Option<ClientTlsSettings>,
    /// This service's own bearer token (role `service`) for calls to other
    /// services. Empty: `token_file`, or in development a minted one.
    pub token: crate::secret::Secret,
    /// A file holding this service's token, re-read as it rotates.
    pub token_file: Option<std::path::PathBuf>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            connect_timeout_ms: 3_000,
            request_timeout_ms: 10_000,
            tls: None,
            token: crate::secret::Secret::default(),
            token_file: None,
        }
    }
}

/// Why a channel could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The endpoint is not a valid URI.
    #[error("invalid endpoint {endpoint:?}")]
    InvalidEndpoint {
        /// The endpoint as configured.
        endpoint: String,
        /// What tonic said.
        #[source]
        source: tonic::transport::Error,
    },
    /// The TLS files could not be read.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The endpoint's scheme contradicts the TLS setting: `http://` with TLS
    /// configured (tonic would quietly connect in plaintext) or `https://`
    /// without it (there is no CA to trust).
    #[error(
        "endpoint {endpoint:?} does not match the client TLS setting: use https:// exactly when client.tls is configured"
    )]
    SchemeMismatch {
        /// The endpoint as configured.
        endpoint: String,
    },
    /// tonic refused the TLS configuration.
    #[error("invalid TLS configuration for {endpoint:?}")]
    TlsConfig {
        /// The endpoint as configured.
        endpoint: String,
        /// What tonic said.
        #[source]
        source: tonic::transport::Error,
    },
}

/// A channel whose calls are traced; see [`traced`].
pub type TracedChannel = RpcTrace<Channel>;

/// A lazily connecting channel to `endpoint`: `http://host:port`, or
/// `https://host:port` exactly when TLS is configured (anything else is
/// refused, since tonic only speaks TLS to `https://` and would ignore the
/// TLS settings for `http://`). Fails only on configuration errors; the
/// first call reports an unreachable server.
pub async fn connect(endpoint: &str, settings: &ClientSettings) -> Result<Channel, ClientError> {
    let invalid = |source| ClientError::InvalidEndpoint {
        endpoint: endpoint.to_owned(),
        source,
    };
    let https = endpoint
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
    if https != settings.tls.is_some() {
        return Err(ClientError::SchemeMismatch {
            endpoint: endpoint.to_owned(),
        });
    }
    let mut builder = Endpoint::from_shared(endpoint.to_owned())
        .map_err(invalid)?
        .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
        .timeout(Duration::from_millis(settings.request_timeout_ms));
    if let Some(tls) = &settings.tls {
        let config = tls.load().await?;
        builder = builder
            .tls_config(config)
            .map_err(|source| ClientError::TlsConfig {
                endpoint: endpoint.to_owned(),
                source,
            })?;
    }
    Ok(builder.connect_lazy())
}

/// Wraps a channel so every call runs in a client span and sends that span's
/// W3C `traceparent` in its metadata.
pub fn traced(channel: Channel) -> TracedChannel {
    RpcTraceLayer::client().layer(channel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_settings_default_as_documented() {
        let settings: ClientSettings = serde_json::from_str("{}").expect("valid settings");
        assert_eq!(settings, ClientSettings::default());
        assert_eq!(settings.connect_timeout_ms, 3_000);
        assert_eq!(settings.request_timeout_ms, 10_000);
    }

    #[tokio::test]
    async fn an_endpoint_whose_scheme_contradicts_the_tls_setting_is_refused() {
        let error = connect("https://127.0.0.1:1", &ClientSettings::default())
            .await
            .expect_err("https without TLS settings");
        assert!(matches!(error, ClientError::SchemeMismatch { .. }));

        let with_tls = ClientSettings {
            tls: Some(ClientTlsSettings {
                ca_path: "/nonexistent/ca.pem".into(),
                cert_path: None,
                key_path: None,
                domain_name: None,
            }),
            ..ClientSettings::default()
        };
        let error = connect("http://127.0.0.1:1", &with_tls)
            .await
            .expect_err("http with TLS settings");
        assert!(matches!(error, ClientError::SchemeMismatch { .. }));
    }

    #[tokio::test]
    async fn a_malformed_endpoint_is_refused_before_any_call() {
        let error = connect("not a uri", &ClientSettings::default())
            .await
            .expect_err("invalid");
        assert!(matches!(error, ClientError::InvalidEndpoint { .. }));
    }
}
