//! gRPC plumbing every Redress service shares, so that each port behaves the
//! same way without each service repeating it.
//!
//! A service hands [`server::Server`] its generated routes, its service names
//! and one extra tower layer (authentication), and gets on the same port:
//! `grpc.health.v1` with a status per service, server reflection (v1 and
//! v1alpha), gRPC-Web with CORS, a per-RPC tracing span that continues the
//! caller's W3C trace, load shedding past a concurrency limit, a default
//! deadline, TLS when configured, and a graceful shutdown with a drain
//! deadline. [`client`] builds channels to other services that carry the
//! trace context out. The layers themselves live in [`limit`], [`trace`] and
//! [`shutdown`]; [`tls`] turns configured PEM paths into rustls settings.

pub mod client;
pub mod limit;
pub mod server;
pub mod shutdown;
pub mod size;
pub mod tls;
pub mod trace;

use std::time::Duration;

use serde::Deserialize;

pub use client::{ClientError, ClientSettings, TracedChannel, connect, traced};
pub use server::{BoundServer, ServeError, ServeParts, Server};
pub use shutdown::shutdown_signal;
pub use tls::{ClientTlsSettings, TlsError, TlsSettings};
pub use trace::{RpcTraceLayer, continue_trace, current_traceparent, follow_from};

/// The error type tonic and tower use for anything a service may fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How a service's gRPC port behaves. Deserialises from configuration; every
/// field has a default, so an empty table is valid.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct GrpcSettings {
    /// Largest message, in bytes, a server decodes or encodes. The platform
    /// cannot reach into generated servers, so each service applies it with
    /// `max_decoding_message_size` / `max_encoding_message_size`.
    pub max_message_bytes: usize,
    /// Most requests in flight on this port at once (a streaming response
    /// counts until its body ends). Past it requests are refused at once with
    /// `RESOURCE_EXHAUSTED`, never queued. Health checks are not counted.
    pub concurrency_limit: usize,
    /// Default deadline of a request, in milliseconds. A shorter
    /// `grpc-timeout` sent by the client wins.
    pub request_timeout_ms: u64,
    /// How long, in milliseconds, in-flight requests may run once shutdown
    /// begins before they are cut off with `UNAVAILABLE`.
    pub drain_timeout_ms: u64,
    /// Browser origins allowed to call through gRPC-Web (`https://desk.example`).
    /// Empty: no cross-origin browser access. `*` allows any origin.
    pub cors_allowed_origins: Vec<String>,
    /// TLS for the listener; absent means plaintext.
    pub tls: Option<TlsSettings>,
}

impl GrpcSettings {
    /// The default deadline as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// The drain deadline as a duration.
    pub fn drain_timeout(&self) -> Duration {
        Duration::from_millis(self.drain_timeout_ms)
    }
}

impl Default for GrpcSettings {
    fn default() -> Self {
        Self {
            max_message_bytes: 4 * 1024 * 1024,
            concurrency_limit: 256,
            request_timeout_ms: 30_000,
            drain_timeout_ms: 10_000,
            cors_allowed_origins: Vec::new(),
            tls: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_gives_the_documented_defaults() {
        let settings: GrpcSettings = serde_json::from_str("{}").expect("valid settings");
        assert_eq!(settings, GrpcSettings::default());
        assert_eq!(settings.max_message_bytes, 4 * 1024 * 1024);
        assert_eq!(settings.concurrency_limit, 256);
        assert_eq!(settings.request_timeout(), Duration::from_secs(30));
        assert_eq!(settings.drain_timeout(), Duration::from_secs(10));
        assert!(settings.cors_allowed_origins.is_empty());
        assert!(settings.tls.is_none());
    }

    #[test]
    fn settings_read_partially_keep_other_defaults() {
        let settings: GrpcSettings = serde_json::from_str(
            r#"{"concurrency_limit": 8, "tls": {"cert_path": "c.pem", "key_path": "k.pem"}}"#,
        )
        .expect("valid settings");
        assert_eq!(settings.concurrency_limit, 8);
        assert_eq!(settings.request_timeout_ms, 30_000);
        let tls = settings.tls.expect("tls configured");
        assert!(tls.client_ca_path.is_none());
    }
}
