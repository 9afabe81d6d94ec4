//! Running services: the whole suite in one process (`up`), one service
//! (`serve`), and provisioning plus migrations (`migrate`).

use std::sync::Arc;

use anyhow::Context as _;
use redress_platform::Secret;
use redress_platform::auth::{Role, Verifier};
use redress_platform::clock::SystemClock;
use redress_platform::config::{Config, ServiceSettings};
use redress_platform::db::{self, PoolSettings};
use redress_platform::grpc::shutdown_signal;
use redress_platform::pg_local::{LocalCluster, LocalClusterOptions};
use redress_platform::telemetry;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::watch;

use crate::dev;
use crate::services::{self, Known};

/// Where the administrative URL came from.
pub(crate) struct Admin {
    pub(crate) url: Secret,
    /// The private cluster, when this process uses one.
    pub(crate) local: Option<LocalCluster>,
}

/// The configured admin URL, or a private cluster's.
pub(crate) async fn admin(config: &Config) -> anyhow::Result<Admin> {
    let database = &config.platform.database;
    if !database.url.is_empty() {
        return Ok(Admin {
            url: database.url.clone(),
            local: None,
        });
    }
    let mut options = LocalClusterOptions::new(&database.local_data_dir);
    options.port = database.local_port;
    let cluster = LocalCluster::ensure_running_async(options)
        .await
        .context("starting the private PostgreSQL cluster")?;
    Ok(Admin {
        url: cluster.admin_url(),
        local: Some(cluster),
    })
}

/// The secret service passwords derive from.
pub(crate) fn role_secret(config: &Config) -> anyhow::Result<Secret> {
    let configured = &config.platform.database.role_secret;
    if !configured.is_empty() {
        return Ok(configured.clone());
    }
    dev::secret(config)
}

/// Provisions and migrates `known` through `admin`, returning its login URL.
pub(crate) async fn prepare(
    admin_pool: &sqlx::PgPool,
    admin_url: &Secret,
    secret: &Secret,
    known: Known,
) -> anyhow::Result<Secret> {
    let spec = (known.schema)();
    let role = db::login_role(spec.schema);
    let password = db::derive_password(secret, &role);
    db::provision(admin_pool, &spec, &password)
        .await
        .with_context(|| format!("provisioning {}", known.name))?;
    db::migrate(admin_pool, &spec)
        .await
        .with_context(|| format!("migrating {}", known.name))?;
    Ok(db::login_url(admin_url, &role, &password)?)
}

pub(crate) async fn admin_pool(url: &Secret) -> anyhow::Result<sqlx::PgPool> {
    PgPoolOptions::new()
        .max_connections(2)
        .connect(url.expose())
        .await
        .context("connecting with the administrative database URL")
}

/// `redress migrate`.
pub async fn migrate(config: &Config, only: Option<&str>) -> anyhow::Result<()> {
    let _telemetry = telemetry::init("redress-migrate", &config.platform.telemetry)?;
    let admin = admin(config).await?;
    let pool = admin_pool(&admin.url).await?;
    let secret = role_secret(config)?;
    let targets: Vec<Known> = match only {
        Some(name) => vec![services::find(name)?],
        None => services::ALL.to_vec(),
    };
    for known in targets {
        prepare(&pool, &admin.url, &secret, known).await?;
        println!(
            "{}: roles, schema and migrations are up to date",
            known.name
        );
    }
    pool.close().await;
    Ok(())
}

/// `redress up`.
pub async fn up(config: &Config) -> anyhow::Result<()> {
    let telemetry = telemetry::init("redress", &config.platform.telemetry)?;
    let admin = admin(config).await?;
    let pool = admin_pool(&admin.url).await?;
    let secret = role_secret(config)?;
    let verifier = Arc::new(Verifier::new(&dev::auth_settings(config)?)?);
    let (stop, stopped) = watch::channel(false);

    let mut lines = Vec::new();
    let mut running = Vec::new();
    let mut started = services::Started::new();
    let scheme = if config.platform.grpc.tls.is_some() {
        "https"
    } else {
        "http"
    };
    for known in services::ALL.iter().copied() {
        let login = prepare(&pool, &admin.url, &secret, known).await?;
        let service_pool = db::connect(&login, known.name, &config.platform.database.pool).await?;
        let base = services::Base {
            pool: service_pool,
            clock: SystemClock::shared(),
            verifier: verifier.clone(),
        };
        let mut stopped = stopped.clone();
        let shutdown = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        let service = services::start(known, config, base, &started, shutdown).await?;
        lines.push(format!("{:<14} {scheme}://{}", known.name, service.address));
        started.insert(known.name, service.address);
        running.push(tokio::spawn(service.serve));
    }
    pool.close().await;

    println!("Redress is up.");
    for line in &lines {
        println!("  {line}");
    }
    if verifier.is_development() {
        let token = dev::mint(config, "dev", &Role::ALL, None, None, 12)?;
        println!("Development token (all roles, 12 hours; `redress token` mints others):");
        println!("  {}", token.expose());
    }
    println!("Press Ctrl-C to stop.");

    shutdown_signal().await;
    let _ = stop.send(true);
    for task in running {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("redress: a service stopped with an error: {error:#}"),
            Err(error) => eprintln!("redress: a service task failed: {error}"),
        }
    }
    if let Some(cluster) = admin.local {
        cluster
            .stop()
            .context("stopping the private PostgreSQL cluster")?;
    }
    telemetry.shutdown().await?;
    Ok(())
}

/// `redress serve <service>`: one service on its own login URL.
pub async fn serve(config: &Config, name: &str) -> anyhow::Result<()> {
    let known = services::find(name)?;
    let telemetry = telemetry::init(&format!("redress-{name}"), &config.platform.telemetry)?;
    let settings: ServiceSettings = config.service(name)?;
    let spec = (known.schema)();
    let pool_settings: &PoolSettings = &config.platform.database.pool;
    let admin_url = &config.platform.database.url;
    // With an administrative URL the service brings its schema up to date
    // itself (and, without a login URL of its own, derives it as `up` does);
    // otherwise `redress migrate` (a Kubernetes Job) must have run, and the
    // service refuses to start on an older schema.
    let login = match (settings.database_url.is_empty(), admin_url.is_empty()) {
        (false, true) => settings.database_url.clone(),
        (own_url_missing, false) => {
            let admin = admin_pool(admin_url).await?;
            let derived = prepare(&admin, admin_url, &role_secret(config)?, known).await?;
            admin.close().await;
            if own_url_missing {
                derived
            } else {
                settings.database_url.clone()
            }
        }
        (true, true) => anyhow::bail!(
            "{name}: no database URL; set REDRESS_{}__DATABASE_URL to the service's login URL \
             (or REDRESS_DATABASE__URL to an administrative URL)",
            name.to_uppercase()
        ),
    };
    let pool = db::connect(&login, spec.schema, pool_settings).await?;
    db::check_migrated(&pool, &spec).await?;
    let verifier = Arc::new(Verifier::new(&dev::auth_settings(config)?)?);
    let base = services::Base {
        pool,
        clock: SystemClock::shared(),
        verifier,
    };
    let running = services::start(
        known,
        config,
        base,
        &services::Started::new(),
        shutdown_signal(),
    )
    .await?;
    tracing::info!(service = name, address = %running.address, "serving");
    running.serve.await?;
    telemetry.shutdown().await?;
    Ok(())
}
