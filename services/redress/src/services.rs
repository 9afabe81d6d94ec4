//! The services this binary runs, in one table: each one's name, schema and
//! how to start it. `redress up` starts all of them; `redress serve` one.
//! When a service lands, it gets a line in [`ALL`] and an arm in [`start`].

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use redress_platform::auth::{ServiceIdentity, Verifier};
use redress_platform::clock::SharedClock;
use redress_platform::config::{Config, ServiceSettings};
use redress_platform::db::SchemaSpec;
use sqlx::PgPool;

use crate::dev;

/// A service the binary knows.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    /// Its name in configuration and on the command line.
    pub name: &'static str,
    /// Its schema and migrations.
    pub schema: fn() -> SchemaSpec,
}

/// Every service, in start order (a service only calls services before it).
pub const ALL: &[Known] = &[
    Known {
        name: redress_customers::NAME,
        schema: redress_customers::schema,
    },
    Known {
        name: redress_complaints::NAME,
        schema: redress_complaints::schema,
    },
    Known {
        name: redress_notifications::NAME,
        schema: redress_notifications::schema,
    },
    Known {
        name: redress_crisis::NAME,
        schema: redress_crisis::schema,
    },
];

/// The default listen address of a service.
pub fn default_listen(name: &str) -> anyhow::Result<&'static str> {
    match name {
        redress_customers::NAME => Ok(redress_customers::DEFAULT_LISTEN),
        redress_complaints::NAME => Ok(redress_complaints::DEFAULT_LISTEN),
        redress_notifications::NAME => Ok(redress_notifications::DEFAULT_LISTEN),
        redress_crisis::NAME => Ok(redress_crisis::DEFAULT_LISTEN),
        other => anyhow::bail!("unknown service {other:?}"),
    }
}

/// Finds a service by name.
pub fn find(name: &str) -> anyhow::Result<Known> {
    ALL.iter().copied().find(|k| k.name == name).ok_or_else(|| {
        let names: Vec<_> = ALL.iter().map(|k| k.name).collect();
        anyhow::anyhow!("unknown service {name:?}; known: {}", names.join(", "))
    })
}

/// What every service runs on.
#[derive(Debug, Clone)]
pub struct Base {
    /// A pool on the service's own login role and schema.
    pub pool: PgPool,
    /// The clock.
    pub clock: SharedClock,
    /// Checks callers' tokens.
    pub verifier: Arc<Verifier>,
}

/// The addresses of the services started so far in this process, by name.
pub type Started = BTreeMap<&'static str, SocketAddr>;

/// How a service reaches `name`: its configured endpoint, else the address
/// it was started on in this process, else its configured or default
/// listen address (`https://` when client TLS is configured).
pub fn endpoint_of(config: &Config, name: &str, started: &Started) -> anyhow::Result<String> {
    let settings: ServiceSettings = config.service(name)?;
    if !settings.endpoint.is_empty() {
        return Ok(settings.endpoint);
    }
    let address = match started.get(name) {
        Some(address) => *address,
        None => settings.listen_or(default_listen(name)?),
    };
    Ok(settings.endpoint(address, config.platform.client.tls.is_some()))
}

/// A bound service: its address, and the future that serves it until
/// shutdown.
pub struct Running {
    /// The bound address.
    pub address: SocketAddr,
    /// Serves until the shutdown future given to [`start`] resolves.
    pub serve: Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>,
}

/// Binds `known` on `base`, reaching the services it calls as `started`
/// says; serving stops when `shutdown` resolves.
pub async fn start(
    known: Known,
    config: &Config,
    base: Base,
    started: &Started,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Running> {
    match known.name {
        redress_customers::NAME => {
            let deps = redress_customers::Dependencies {
                pool: base.pool,
                clock: base.clock,
                verifier: base.verifier,
            };
            let service = redress_customers::build(config, deps).await?;
            let address = service.local_addr();
            Ok(Running {
                address,
                serve: Box::pin(async move { Ok(service.run_until(shutdown).await?) }),
            })
        }
        redress_complaints::NAME => {
            let identity = Arc::new(ServiceIdentity::from_settings(
                &config.platform.client,
                &dev::auth_settings(config)?,
                redress_complaints::NAME,
            )?);
            let customers = redress_complaints::CustomerDirectory::connect(
                &endpoint_of(config, redress_customers::NAME, started)?,
                &config.platform.client,
                identity,
            )
            .await?;
            let deps = redress_complaints::Dependencies {
                pool: base.pool,
                clock: base.clock,
                verifier: base.verifier,
                customers,
            };
            let service = redress_complaints::build(config, deps).await?;
            let address = service.local_addr();
            Ok(Running {
                address,
                serve: Box::pin(async move { Ok(service.run_until(shutdown).await?) }),
            })
        }
        redress_notifications::NAME => {
            let identity = Arc::new(ServiceIdentity::from_settings(
                &config.platform.client,
                &dev::auth_settings(config)?,
                redress_notifications::NAME,
            )?);
            let customers = redress_notifications::CustomerDirectory::connect(
                &endpoint_of(config, redress_customers::NAME, started)?,
                &config.platform.client,
                identity.clone(),
            )
            .await?;
            let complaints = redress_notifications::ComplaintFeedSource::connect(
                &endpoint_of(config, redress_complaints::NAME, started)?,
                &config.platform.client,
                identity,
            )
            .await?;
            let deps = redress_notifications::Dependencies {
                pool: base.pool,
                clock: base.clock,
                verifier: base.verifier,
                customers,
                complaints: Some(complaints),
            };
            let service = redress_notifications::build(config, deps).await?;
            let address = service.local_addr();
            Ok(Running {
                address,
                serve: Box::pin(async move { Ok(service.run_until(shutdown).await?) }),
            })
        }
        redress_crisis::NAME => {
            let identity = Arc::new(ServiceIdentity::from_settings(
                &config.platform.client,
                &dev::auth_settings(config)?,
                redress_crisis::NAME,
            )?);
            let directories = redress_crisis::Directories::connect(
                redress_crisis::Endpoints {
                    customers: &endpoint_of(config, redress_customers::NAME, started)?,
                    complaints: &endpoint_of(config, redress_complaints::NAME, started)?,
                    notifications: &endpoint_of(config, redress_notifications::NAME, started)?,
                },
                &config.platform.client,
                identity,
            )
            .await?;
            let deps = redress_crisis::Dependencies {
                pool: base.pool,
                clock: base.clock,
                verifier: base.verifier,
                directories,
            };
            let service = redress_crisis::build(config, deps).await?;
            let address = service.local_addr();
            Ok(Running {
                address,
                serve: Box::pin(async move { Ok(service.run_until(shutdown).await?) }),
            })
        }
        other => anyhow::bail!("service {other:?} has no start-up"),
    }
}
