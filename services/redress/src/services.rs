//! The services this binary runs, in one table: each one's name, schema and
//! how to start it. `redress up` starts all of them; `redress serve` one.
//! When a service lands, it gets a line in [`ALL`] and an arm in [`start`].

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use redress_platform::config::Config;
use redress_platform::db::SchemaSpec;

/// A service the binary knows.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    /// Its name in configuration and on the command line.
    pub name: &'static str,
    /// Its schema and migrations.
    pub schema: fn() -> SchemaSpec,
}

/// Every service, in start order (a service only calls services before it).
pub const ALL: &[Known] = &[Known {
    name: redress_customers::NAME,
    schema: redress_customers::schema,
}];

/// The default listen address of a service.
pub fn default_listen(name: &str) -> anyhow::Result<&'static str> {
    match name {
        redress_customers::NAME => Ok(redress_customers::DEFAULT_LISTEN),
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

/// A bound service: its address, and the future that serves it until
/// shutdown.
pub struct Started {
    /// The bound address.
    pub address: SocketAddr,
    /// Serves until the shutdown future given to [`start`] resolves.
    pub serve: Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>,
}

/// Binds `known` with its dependencies; serving stops when `shutdown`
/// resolves.
pub async fn start(
    known: Known,
    config: &Config,
    deps: redress_customers::Dependencies,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Started> {
    match known.name {
        redress_customers::NAME => {
            let service = redress_customers::build(config, deps).await?;
            let address = service.local_addr();
            Ok(Started {
                address,
                serve: Box::pin(async move { Ok(service.run_until(shutdown).await?) }),
            })
        }
        other => anyhow::bail!("service {other:?} has no start-up"),
    }
}
