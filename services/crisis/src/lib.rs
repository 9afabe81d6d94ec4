//! The crisis service: when many customers are hit at once, see it early,
//! take command, tell everyone affected the same true story at the first
//! moment, and learn from it (DOMAIN.md, "Crisis").
//!
//! It follows the complaint feed into per-minute counts per category,
//! product and region and raises warnings on spikes against each series'
//! own baseline and on rules; staff report signals from outside. A warning,
//! one complaint that risks going public, or a person declares a crisis,
//! which then runs through its lifecycle with exactly one commander, a team,
//! tasks from the contingency plan of its type (one owner and a due time
//! each), affected customers and complaints linked by name only, statements
//! approved by the spokesperson and published through the notifications
//! service, a timeline, status reports and a review. Everything is
//! announced on its own event feed. [`build`] gives a bound service that
//! serves until [`CrisisService::run_until`]'s shutdown future resolves.

pub mod directory;
pub mod domain;
pub mod early_warning;
pub mod events;
pub mod grpc;
pub mod linking;
pub mod metrics;
pub mod names;
pub mod publication;
pub mod scheduler;
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
use redress_proto::crisis::v1::crisis_service_server::CrisisServiceServer;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio::sync::watch;
use tonic::service::Routes;

pub use directory::{Directories, Endpoints};
pub use settings::Settings;

use crate::grpc::CrisisApi;

/// The service's name in configuration, the schema and the command line.
pub const NAME: &str = "crisis";

/// Where the service listens unless configured otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:50053";

/// The embedded migrations of the `crisis` schema.
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
    /// The `[crisis]` configuration is not valid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A setting is not valid.
    #[error("crisis configuration: {0}")]
    Settings(String),
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
    /// The customers, complaints and notifications services.
    pub directories: Directories,
}

/// A bound crisis service, not yet serving.
#[derive(Debug)]
pub struct CrisisService {
    bound: BoundServer,
    api: CrisisApi,
    verifier: Arc<Verifier>,
    deps: Dependencies,
    settings: Arc<Settings>,
}

/// Reads this service's settings and its listen address from `config`.
pub fn service_settings(config: &Config) -> Result<(ServiceSettings, Settings), BuildError> {
    let service: ServiceSettings = config.service(NAME)?;
    let settings: Settings = config.service(NAME)?;
    settings.validate().map_err(BuildError::Settings)?;
    Ok((service, settings))
}

/// Binds the service's port per `config` (`crisis.listen`, default
/// 127.0.0.1:50053).
pub async fn build(config: &Config, deps: Dependencies) -> Result<CrisisService, BuildError> {
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
) -> Result<CrisisService, BuildError> {
    settings.validate().map_err(BuildError::Settings)?;
    let settings = Arc::new(settings);
    let bound = Server::bind(listen, grpc).await?;
    let feed = Feed::new(deps.pool.clone(), FeedSettings::default());
    let api = CrisisApi::new(
        deps.pool.clone(),
        deps.clock.clone(),
        settings.clone(),
        deps.directories.clone(),
        feed,
    );
    Ok(CrisisService {
        bound,
        api,
        verifier: deps.verifier.clone(),
        deps,
        settings,
    })
}

impl CrisisService {
    /// The port bound.
    pub fn port(&self) -> u16 {
        self.bound.local_addr().port()
    }

    /// The address bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.bound.local_addr()
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests up
    /// to the drain deadline. Meanwhile sequences the feed, follows the
    /// complaint feed, links customers by selector, raises overdue tasks and
    /// due updates, forgets old request ids and events, and counts open
    /// warnings and active crises for the metrics.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
        let grpc = self.bound.settings().clone();
        let server = CrisisServiceServer::new(self.api)
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
        #[allow(unused_mut)]
        let mut tasks = vec![
            tokio::spawn(
                Sequencer::new(deps.pool.clone(), SequencerSettings::default())
                    .run_until(until_stopped()),
            ),
            tokio::spawn(retention(
                deps.pool.clone(),
                deps.clock.clone(),
                self.settings.clone(),
                until_stopped(),
            )),
        ];
        // Each area's background work is started here (one push per area).
        tasks.extend(early_warning::spawn(
            &deps.pool,
            &deps.clock,
            &deps.directories,
            &self.settings,
            &until_stopped,
        ));
        tasks.push(tokio::spawn(scheduler::run_until(
            deps.pool.clone(),
            deps.clock.clone(),
            self.settings.clone(),
            until_stopped(),
        )));
        tasks.push(tokio::spawn(linking::customers::run_until(
            deps.pool.clone(),
            deps.clock.clone(),
            deps.directories.clone(),
            Arc::new(self.settings.linking.clone()),
            until_stopped(),
        )));
        tasks.push(tokio::spawn(linking::scope::run_until(
            deps.pool.clone(),
            deps.clock.clone(),
            deps.directories.clone(),
            until_stopped(),
        )));
        tasks.push(tokio::spawn(metrics::sample_until(
            deps.pool.clone(),
            deps.clock.clone(),
            Duration::from_millis(self.settings.metrics_interval_ms),
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

/// Forgets old request ids, events and applied-event records, hourly.
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
            let hours = |h: u64| SignedDuration::from_hours(i64::try_from(h).unwrap_or(24));
            let before = now
                .checked_sub(hours(settings.request_id_retention_hours))
                .unwrap_or(now);
            if let Err(error) = idempotency::prune(&pool, before).await {
                tracing::warn!(%error, "forgetting old request ids failed; will retry");
            }
            let applied_before = now
                .checked_sub(hours(
                    settings.applied_event_retention_days.saturating_mul(24),
                ))
                .unwrap_or(now);
            if let Err(error) = outbox::prune_applied_events(&pool, applied_before).await {
                tracing::warn!(%error, "forgetting old applied events failed; will retry");
            }
            let events_before = now
                .checked_sub(hours(settings.event_retention_days.saturating_mul(24)))
                .unwrap_or(now);
            if let Err(error) = outbox::prune_events(&pool, events_before).await {
                tracing::warn!(%error, "forgetting old events failed; will retry");
            }
        }
    };
    tokio::select! {
        () = shutdown => {}
        () = work => {}
    }
}
