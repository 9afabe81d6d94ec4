//! The complaints service: the one place a complaint lives (ARCHITECTURE.md,
//! rules 1-3), and where the adoption rule holds: whoever receives a
//! complaint owns it at once, and ownership moves only when a named agent
//! or team accepts a hand-off, or a supervisor reassigns it with a reason.
//!
//! It takes complaints in from every channel (checking the customer with the
//! customers service), runs them through their lifecycle, keeps their SLA
//! clocks in business time, records every change in an append-only history,
//! and publishes what happened on an ordered, resumable event feed. [`build`]
//! gives a bound service ([`ComplaintsService::port`]) that serves until
//! [`ComplaintsService::run_until`]'s shutdown future resolves; meanwhile it
//! sequences the feed, raises due SLA alarms, lapses unanswered offers,
//! makes follow-ups due, records survey answers on customers, and forgets
//! old request ids and events.

pub mod clocks;
pub mod directory;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod metrics;
pub mod satisfaction;
pub mod scheduler;
pub mod seed;
pub mod settings;
pub mod store;

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
use redress_platform::outbox::{self, Feed, FeedSettings, Sequencer, SequencerSettings};
use redress_proto::complaints::v1::complaint_service_server::ComplaintServiceServer;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tonic::service::Routes;

pub use directory::CustomerDirectory;
pub use settings::{Policies, Settings};

use crate::grpc::ComplaintApi;

/// The service's name in configuration, the schema and the command line.
pub const NAME: &str = "complaints";

/// Where the service listens unless configured otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:50052";

/// The embedded migrations of the `complaints` schema.
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
    /// The `[complaints]` configuration is not valid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A policy's numbers are not valid.
    #[error("complaints configuration: {0}")]
    Policy(String),
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
}

/// A bound complaints service, not yet serving.
#[derive(Debug)]
pub struct ComplaintsService {
    bound: BoundServer,
    api: ComplaintApi,
    verifier: Arc<Verifier>,
    pool: PgPool,
    clock: SharedClock,
    settings: Arc<Settings>,
    policies: Arc<Policies>,
    customers: CustomerDirectory,
}

/// Reads this service's settings and its listen address from `config`.
pub fn service_settings(config: &Config) -> Result<(ServiceSettings, Settings), BuildError> {
    let service: ServiceSettings = config.service(NAME)?;
    let settings: Settings = config.service(NAME)?;
    settings.policies().map_err(BuildError::Policy)?;
    Ok((service, settings))
}

/// Binds the service's port per `config` (`complaints.listen`, default
/// 127.0.0.1:50052).
pub async fn build(config: &Config, deps: Dependencies) -> Result<ComplaintsService, BuildError> {
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
) -> Result<ComplaintsService, BuildError> {
    let policies = Arc::new(settings.policies().map_err(BuildError::Policy)?);
    let bound = Server::bind(listen, grpc).await?;
    let feed = Feed::new(deps.pool.clone(), FeedSettings::default());
    let api = ComplaintApi::new(
        deps.pool.clone(),
        deps.clock.clone(),
        policies.clone(),
        deps.customers.clone(),
        feed,
    );
    Ok(ComplaintsService {
        bound,
        api,
        verifier: deps.verifier,
        pool: deps.pool,
        clock: deps.clock,
        settings: Arc::new(settings),
        policies,
        customers: deps.customers,
    })
}

impl ComplaintsService {
    /// The port bound.
    pub fn port(&self) -> u16 {
        self.bound.local_addr().port()
    }

    /// The address bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.bound.local_addr()
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests up to
    /// the drain deadline. Meanwhile sequences the feed, runs the SLA
    /// scheduler every `scheduler_interval_ms`, prunes old request ids and
    /// events, and counts the open complaints for the metrics every
    /// `metrics_interval_ms`.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
        let grpc = self.bound.settings().clone();
        let server = ComplaintServiceServer::new(self.api)
            .max_decoding_message_size(grpc.max_message_bytes)
            .max_encoding_message_size(grpc.max_message_bytes);
        let sequencer = tokio::spawn(
            Sequencer::new(self.pool.clone(), SequencerSettings::default())
                .run_until(std::future::pending()),
        );
        let scheduler = tokio::spawn(background(
            self.pool.clone(),
            self.clock.clone(),
            self.settings.clone(),
            self.policies.clone(),
            self.customers.clone(),
        ));
        let metrics = tokio::spawn(metrics::sample(
            self.pool.clone(),
            Duration::from_millis(self.settings.metrics_interval_ms),
        ));
        let satisfaction = tokio::spawn(
            satisfaction::consumer(self.pool.clone(), self.customers.clone())
                .run_until(std::future::pending()),
        );
        let parts = ServeParts {
            service_names: vec![grpc::access::SERVICE],
            routes: Routes::new(server),
            layer: AuthLayer::new(self.verifier, access_policy(), grpc::DOMAIN),
            error_domain: grpc::DOMAIN,
        };
        let result = self.bound.serve(parts, shutdown).await;
        scheduler.abort();
        metrics.abort();
        satisfaction.abort();
        sequencer.abort();
        result
    }
}

/// The scheduler and retention loop.
async fn background(
    pool: PgPool,
    clock: SharedClock,
    settings: Arc<Settings>,
    policies: Arc<Policies>,
    customers: CustomerDirectory,
) {
    let mut interval = tokio::time::interval(Duration::from_millis(settings.scheduler_interval_ms));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune: Option<jiff::Timestamp> = None;
    loop {
        interval.tick().await;
        let now = clock.now();
        match scheduler::run_once(&pool, &policies, now).await {
            Ok(pass) if pass == scheduler::Pass::default() => {}
            Ok(pass) => tracing::info!(
                alarms = pass.alarms,
                expired_offers = pass.expired_offers,
                "SLA scheduler pass"
            ),
            Err(error) => tracing::warn!(%error, "the SLA scheduler pass failed; will retry"),
        }
        match scheduler::follow_ups_once(&pool, &customers, now).await {
            Ok(pass) if pass == scheduler::FollowUpPass::default() => {}
            Ok(pass) => tracing::info!(
                due = pass.due,
                skipped = pass.skipped,
                "follow-up scheduler pass"
            ),
            Err(error) => tracing::warn!(%error, "the follow-up pass failed; will retry"),
        }
        let hourly =
            last_prune.is_none_or(|last| now.duration_since(last) >= SignedDuration::from_hours(1));
        if hourly {
            last_prune = Some(now);
            prune(&pool, &settings, now).await;
        }
    }
}

/// Forgets request ids, events and applied-event records past their
/// retention.
async fn prune(pool: &PgPool, settings: &Settings, now: jiff::Timestamp) {
    let hours = |h: u64| SignedDuration::from_hours(i64::try_from(h).unwrap_or(i64::MAX / 3600));
    let before = |age: SignedDuration| now.checked_sub(age).unwrap_or(jiff::Timestamp::MIN);
    if let Err(error) =
        idempotency::prune(pool, before(hours(settings.request_id_retention_hours))).await
    {
        tracing::warn!(%error, "forgetting old request ids failed; will retry");
    }
    let events_before = before(hours(settings.event_retention_days.saturating_mul(24)));
    if let Err(error) = outbox::prune_events(pool, events_before).await {
        tracing::warn!(%error, "pruning old events failed; will retry");
    }
    // The satisfaction consumer's record of applied events only needs to
    // outlive the events themselves.
    if let Err(error) = outbox::prune_applied_events(pool, events_before).await {
        tracing::warn!(%error, "pruning old applied events failed; will retry");
    }
}
