//! The notifications service: the right message, in the recipient's
//! language, on their channel, at a decent hour, exactly once.
//!
//! It keeps templates (per kind, channel, locale and style, with a locale
//! fallback chain), delivery preferences, staff contacts, messages with
//! every attempt, broadcasts and in-app inboxes in its own schema. A durable
//! queue there is worked by delivery workers in every replica (`FOR UPDATE
//! SKIP LOCKED` under a lease), which send through the channels (SMTP, the
//! SMS provider's and the push gateway's signed webhooks, chat webhooks,
//! the inbox) with retries, backoff and fallback. It follows the complaint
//! feed to tell customers and staff what they need to hear. [`build`] gives
//! a bound service that serves until [`NotificationsService::run_until`]'s
//! shutdown future resolves.

pub mod channels;
pub mod delivery;
pub mod directory;
pub mod domain;
pub mod expander;
pub mod grpc;
pub mod metrics;
pub mod settings;
pub mod store;
pub mod triggers;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use redress_platform::auth::{AccessPolicy, AuthLayer, Verifier};
use redress_platform::clock::SharedClock;
use redress_platform::config::{Config, ConfigError, ServiceSettings};
use redress_platform::db::SchemaSpec;
use redress_platform::grpc::{BoundServer, GrpcSettings, ServeError, ServeParts, Server};
use redress_platform::idempotency;
use redress_platform::outbox::{self, Consumer};
use redress_proto::notifications::v1::notification_service_server::NotificationServiceServer;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio::sync::watch;
use tonic::service::Routes;

pub use directory::{ComplaintFeedSource, CustomerDirectory};
pub use settings::Settings;

use crate::delivery::{Transports, Worker};
use crate::expander::Expander;
use crate::grpc::NotificationApi;
use crate::triggers::TriggerHandler;

/// The service's name in configuration, the schema and the command line.
pub const NAME: &str = "notifications";

/// Where the service listens unless configured otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:50054";

/// The consumer's key for the complaint feed in `feed_cursors`.
pub const COMPLAINT_FEED: &str = "complaints";

/// The embedded migrations of the `notifications` schema.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The schema and migrations this service owns.
pub fn schema() -> SchemaSpec {
    SchemaSpec {
        schema: NAME,
        migrator: &MIGRATOR,
    }
}

/// Who may call each RPC.
pub fn access_policy() -> AccessPolicy {
    AccessPolicy::new(grpc::access::ACCESS)
}

/// Why the service could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The `[notifications]` configuration is not valid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A setting is not valid.
    #[error("notifications configuration: {0}")]
    Settings(String),
    /// A channel's configuration is not valid.
    #[error("notifications.channels: {0}")]
    Channels(#[from] channels::ChannelConfigError),
    /// The port could not be bound.
    #[error(transparent)]
    Serve(#[from] ServeError),
}

/// What the service runs on, decided by whoever starts it.
#[derive(Debug, Clone)]
pub struct Dependencies {
    /// A pool on the service's own login role and schema.
    pub pool: PgPool,
    /// The clock.
    pub clock: SharedClock,
    /// Checks callers' tokens.
    pub verifier: Arc<Verifier>,
    /// The customers service.
    pub customers: CustomerDirectory,
    /// The complaint feed, when this service follows it.
    pub complaints: Option<ComplaintFeedSource>,
}

/// A bound notifications service, not yet serving.
#[derive(Debug)]
pub struct NotificationsService {
    bound: BoundServer,
    api: NotificationApi,
    verifier: Arc<Verifier>,
    deps: Dependencies,
    settings: Arc<Settings>,
    transports: Arc<Transports>,
}

/// Reads this service's settings and its listen address from `config`.
pub fn service_settings(config: &Config) -> Result<(ServiceSettings, Settings), BuildError> {
    let service: ServiceSettings = config.service(NAME)?;
    let settings: Settings = config.service(NAME)?;
    settings.validate().map_err(BuildError::Settings)?;
    Ok((service, settings))
}

/// Binds the service's port per `config` (`notifications.listen`, default
/// 127.0.0.1:50054).
pub async fn build(
    config: &Config,
    deps: Dependencies,
) -> Result<NotificationsService, BuildError> {
    let (service, settings) = service_settings(config)?;
    let listen = service.listen_or(DEFAULT_LISTEN);
    build_with(listen, &config.platform.grpc, settings, deps).await
}

/// Binds the service on `listen` with explicit settings (tests, embedding).
pub async fn build_with(
    listen: SocketAddr,
    grpc: &GrpcSettings,
    settings: Settings,
    deps: Dependencies,
) -> Result<NotificationsService, BuildError> {
    settings.validate().map_err(BuildError::Settings)?;
    let transports: Transports = channels::transports(&settings.channels)?
        .into_iter()
        .map(|t| (t.channel(), t))
        .collect::<HashMap<_, _>>();
    let transports = Arc::new(transports);
    let bound = Server::bind(listen, grpc).await?;
    let api = NotificationApi::new(
        deps.pool.clone(),
        deps.clock.clone(),
        transports.clone(),
        deps.customers.clone(),
    );
    Ok(NotificationsService {
        bound,
        api,
        verifier: deps.verifier.clone(),
        deps,
        settings: Arc::new(settings),
        transports,
    })
}

impl NotificationsService {
    /// The port bound.
    pub fn port(&self) -> u16 {
        self.bound.local_addr().port()
    }

    /// The address bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.bound.local_addr()
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests up
    /// to the drain deadline. Meanwhile runs the delivery workers, the
    /// broadcast expander, the complaint-feed consumer, retention, and the
    /// queue's sampling for the metrics.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
        let grpc = self.bound.settings().clone();
        let server = NotificationServiceServer::new(self.api)
            .max_decoding_message_size(grpc.max_message_bytes)
            .max_encoding_message_size(grpc.max_message_bytes);
        let (stop, stopped) = watch::channel(false);
        let until_stopped = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            }
        };
        let deps = &self.deps;
        let mut tasks = Vec::new();
        for _ in 0..self.settings.workers {
            let worker = Worker::new(
                deps.pool.clone(),
                deps.clock.clone(),
                deps.customers.clone(),
                self.transports.clone(),
                self.settings.clone(),
            );
            tasks.push(tokio::spawn(worker.run_until(until_stopped())));
        }
        let expander = Expander::new(
            deps.pool.clone(),
            deps.clock.clone(),
            deps.customers.clone(),
            self.settings.expand_batch,
            Duration::from_secs(self.settings.expand_claim_seconds),
        );
        let poll = Duration::from_millis(self.settings.poll_interval_ms);
        tasks.push(tokio::spawn(expander.run_until(until_stopped(), poll)));
        if let (Some(feed), true) = (deps.complaints.clone(), self.settings.follow_complaints) {
            let handler = TriggerHandler::new(self.settings.triggers.clone(), deps.clock.clone());
            let consumer = Consumer::new(deps.pool.clone(), COMPLAINT_FEED, feed, handler)
                .with_types(triggers::event_types(&self.settings.triggers));
            tasks.push(tokio::spawn(consumer.run_until(until_stopped())));
        }
        tasks.push(tokio::spawn(metrics::sample_until(
            deps.pool.clone(),
            Duration::from_millis(self.settings.metrics_interval_ms),
            until_stopped(),
        )));
        tasks.push(tokio::spawn(retention(
            deps.pool.clone(),
            deps.clock.clone(),
            self.settings.clone(),
            until_stopped(),
        )));
        let parts = ServeParts {
            service_names: vec![grpc::access::SERVICE],
            routes: Routes::new(server),
            layer: AuthLayer::new(self.verifier, access_policy(), grpc::DOMAIN),
            error_domain: grpc::DOMAIN,
        };
        let result = self.bound.serve(parts, shutdown).await;
        let _ = stop.send(true);
        for task in tasks {
            let _ = task.await;
        }
        result
    }
}

/// Forgets old request ids and applied-event records, hourly.
async fn retention(
    pool: PgPool,
    clock: SharedClock,
    settings: Arc<Settings>,
    shutdown: impl Future<Output = ()>,
) {
    let work = async {
        let mut interval = tokio::time::interval(Duration::from_secs(3600));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let now = clock.now();
            let hours = SignedDuration::from_hours(
                i64::try_from(settings.request_id_retention_hours).unwrap_or(24),
            );
            let before = now.checked_sub(hours).unwrap_or(now);
            if let Err(error) = idempotency::prune(&pool, before).await {
                tracing::warn!(%error, "forgetting old request ids failed; will retry");
            }
            let days = SignedDuration::from_hours(
                i64::from(settings.applied_event_retention_days).saturating_mul(24),
            );
            let applied_before = now.checked_sub(days).unwrap_or(now);
            if let Err(error) = outbox::prune_applied_events(&pool, applied_before).await {
                tracing::warn!(%error, "forgetting old applied events failed; will retry");
            }
        }
    };
    tokio::select! {
        () = shutdown => {}
        () = work => {}
    }
}
