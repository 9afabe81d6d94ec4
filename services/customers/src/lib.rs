//! The customers service: the system of record for who the customer is.
//!
//! It keeps each customer's profile, contact points, preferences and consent,
//! the transactions from which it keeps the value grade (A–D) and lifecycle
//! stage current, the contact log, satisfaction answers, and reports churn by
//! grade and size. It asks no other service. [`build`] gives a bound service
//! ([`CustomersService::port`]) that serves until
//! [`CustomersService::run_until`]'s shutdown future resolves, and meanwhile
//! reviews customers whose stage or grade time alone may have changed.

pub mod domain;
pub mod grpc;
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
use redress_proto::customers::v1::customer_service_server::CustomerServiceServer;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tonic::service::Routes;

pub use settings::Settings;

use crate::grpc::CustomerApi;
use crate::store::standing::{self, Policies};

/// The service's name in configuration, the schema and the command line.
pub const NAME: &str = "customers";

/// Where the service listens unless configured otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";

/// The embedded migrations of the `customers` schema.
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
    /// The `[customers]` configuration is not valid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A policy's numbers are not valid.
    #[error("customers configuration: {0}")]
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
}

/// A bound customers service, not yet serving.
#[derive(Debug)]
pub struct CustomersService {
    bound: BoundServer,
    api: CustomerApi,
    verifier: Arc<Verifier>,
    pool: PgPool,
    clock: SharedClock,
    settings: Arc<Settings>,
}

/// Reads this service's settings and its listen address from `config`.
pub fn service_settings(config: &Config) -> Result<(ServiceSettings, Settings), BuildError> {
    let service: ServiceSettings = config.service(NAME)?;
    let settings: Settings = config.service(NAME)?;
    settings.validate().map_err(BuildError::Policy)?;
    Ok((service, settings))
}

/// Binds the service's port per `config` (`customers.listen`, default
/// 127.0.0.1:50051).
pub async fn build(config: &Config, deps: Dependencies) -> Result<CustomersService, BuildError> {
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
) -> Result<CustomersService, BuildError> {
    settings.validate().map_err(BuildError::Policy)?;
    let settings = Arc::new(settings);
    let bound = Server::bind(listen, grpc).await?;
    let api = CustomerApi::new(deps.pool.clone(), deps.clock.clone(), settings.clone());
    Ok(CustomersService {
        bound,
        api,
        verifier: deps.verifier,
        pool: deps.pool,
        clock: deps.clock,
        settings,
    })
}

impl CustomersService {
    /// The port bound.
    pub fn port(&self) -> u16 {
        self.bound.local_addr().port()
    }

    /// The address bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.bound.local_addr()
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests up to
    /// the drain deadline. Meanwhile, every `review_interval_seconds`, reviews
    /// due customers and forgets request ids past their retention.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
        let grpc = self.bound.settings().clone();
        let server = CustomerServiceServer::new(self.api)
            .max_decoding_message_size(grpc.max_message_bytes)
            .max_encoding_message_size(grpc.max_message_bytes);
        let reviewer = tokio::spawn(review_loop(
            self.pool.clone(),
            self.clock.clone(),
            self.settings.clone(),
        ));
        let parts = ServeParts {
            service_names: vec![grpc::access::SERVICE],
            routes: Routes::new(server),
            layer: AuthLayer::new(self.verifier, access_policy(), grpc::DOMAIN),
            error_domain: grpc::DOMAIN,
        };
        let result = self.bound.serve(parts, shutdown).await;
        reviewer.abort();
        result
    }
}

/// Reviews every customer whose review time has come (see
/// [`store::standing::sweep`]). Returns how many were reviewed.
pub async fn review_due_customers(
    pool: &PgPool,
    clock: &SharedClock,
    settings: &Settings,
) -> Result<usize, store::StoreError> {
    const BATCH: u32 = 500;
    let policies = Policies {
        grading: settings.grading.clone(),
        lifecycle: settings.lifecycle.clone(),
    };
    let mut total = 0;
    loop {
        let done = standing::sweep(pool, clock.now(), &policies, BATCH).await?;
        total += done;
        if done < BATCH as usize {
            return Ok(total);
        }
    }
}

async fn review_loop(pool: PgPool, clock: SharedClock, settings: Arc<Settings>) {
    let mut interval = tokio::time::interval(Duration::from_secs(settings.review_interval_seconds));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match review_due_customers(&pool, &clock, &settings).await {
            Ok(0) => {}
            Ok(reviewed) => tracing::info!(reviewed, "reviewed customers' stage and grade"),
            Err(error) => tracing::warn!(%error, "reviewing customers failed; will retry"),
        }
        let retention = SignedDuration::from_hours(settings.request_id_retention_hours as i64);
        let before = clock
            .now()
            .checked_sub(retention)
            .unwrap_or(jiff::Timestamp::MIN);
        if let Err(error) = idempotency::prune(&pool, before).await {
            tracing::warn!(%error, "forgetting old request ids failed; will retry");
        }
    }
}
