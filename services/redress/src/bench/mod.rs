//! `redress bench`: the suite's speed, measured in one run against what the
//! same machine and the same PostgreSQL do at best, so that a number means
//! something on any machine.
//!
//! One command: it makes (or reuses) a database of its own on the
//! configured server (or the private cluster), seeds it to scale with
//! `redress seed`'s code, starts each service alone (each in its own
//! process, notifications beside the two it calls) to read its idle
//! memory, starts the whole suite in one process (`redress up`), runs the
//! scenarios through the public gRPC API (sampling the suite's memory),
//! stops it, runs `pgbench` at the same client count on the same server,
//! and prints every scenario's throughput beside its baseline's.

mod affinity;
mod broadcast;
mod early_warning;
mod load;
mod open_loop;
mod overload;
mod pgbench;
mod process;
mod report;
mod scenarios;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use redress_notifications::channels::receiver::Receiver;
use redress_platform::Secret;
use redress_platform::config::Config;
use redress_platform::db;
use sqlx::PgPool;

use crate::seed::{SeedArgs, Seeded, seed_into};
use crate::{dev, suite};
use affinity::{CpuList, Placement};
use load::{Measure, Shape};
use pgbench::{Pgbench, Workload};
use process::{Process, RssPeak, free_port};
pub use scenarios::Scenario;

/// `redress bench` options. `overload` is not among the scenarios run by
/// default; name it to run it (`redress bench overload`).
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The scenarios to run (default: all of them but `overload`).
    #[arg(value_enum)]
    pub scenarios: Vec<Scenario>,
    /// HTTP/2 connections to each service.
    #[arg(long, default_value_t = 2)]
    pub connections: usize,
    /// Requests in flight on each connection (clients = connections ×
    /// concurrency; pgbench runs with as many).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// How long each scenario is measured, after the warm-up.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Measure this many requests per scenario instead of a duration.
    #[arg(long)]
    pub requests: Option<u64>,
    /// Unmeasured load before each scenario.
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Customers, and complaints, seeded in the benchmark database.
    #[arg(long, default_value_t = 1_000_000)]
    pub scale: u64,
    /// Drop and seed the benchmark database afresh even when it is seeded.
    #[arg(long)]
    pub reseed: bool,
    /// Skip the pgbench baseline.
    #[arg(long)]
    pub no_baseline: bool,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Customers the broadcast scenario sends to: the seeded locales and
    /// value grades whose count comes closest (everyone when fewer).
    #[arg(long, default_value_t = 100_000)]
    pub broadcast_size: u64,
    /// Bursts the early-warning scenario times.
    #[arg(long, default_value_t = 10)]
    pub early_warning_rounds: u32,
    /// The benchmark's database on the server (created when missing).
    #[arg(long, default_value = "redress_bench")]
    pub database: String,
    /// The pgbench baseline's database on the server (created when
    /// missing, reused at the same scale).
    #[arg(long, default_value = "redress_pgbench")]
    pub baseline_database: String,
    /// Run the suite and its PostgreSQL on these CPUs (`0`, `0,2`, `1-3`)
    /// and the load generator on the others, so the generator's work does
    /// not come out of the suite's (default: no pinning).
    #[arg(long)]
    pub suite_cpus: Option<CpuList>,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |i| text.split_at(i));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 10s, 500ms or 2m"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("{text:?}: use ms, s or m")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

/// Creates database `name` on the server of `admin` unless it exists.
async fn ensure_database(admin: &PgPool, name: &str) -> anyhow::Result<()> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(admin)
            .await?;
    if !exists {
        let ident = name.replace('"', "\"\"");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{ident}\"")))
            .execute(admin)
            .await
            .with_context(|| format!("creating database {name}"))?;
    }
    Ok(())
}

/// How many customers and complaints the benchmark database holds.
async fn seeded_counts(pool: &PgPool) -> anyhow::Result<(i64, i64)> {
    let count = |table: &'static str| async move {
        let present: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table)
            .fetch_one(pool)
            .await?;
        if !present {
            return Ok::<i64, anyhow::Error>(0);
        }
        // The planner's estimate: exact enough to tell a seeded million
        // from an empty table, without counting a million rows.
        let estimate: f64 = sqlx::query_scalar(
            "SELECT greatest(reltuples, 0)::float8 FROM pg_class WHERE oid = to_regclass($1)",
        )
        .bind(table)
        .fetch_one(pool)
        .await?;
        Ok(estimate as i64)
    };
    Ok((
        count("customers.customers").await?,
        count("complaints.complaints").await?,
    ))
}

/// `redress bench`.
pub async fn run(
    config: &Config,
    config_path: Option<&PathBuf>,
    args: &BenchArgs,
) -> anyhow::Result<()> {
    let scenarios = if args.scenarios.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        args.scenarios.clone()
    };
    let auth = dev::auth_settings(config)?;
    anyhow::ensure!(
        !auth.dev_secret.is_empty(),
        "redress bench signs development tokens; it needs the development secret, not a JWKS"
    );
    let shape = Shape {
        connections: args.connections.max(1),
        concurrency: args.concurrency.max(1),
        warmup: args.warmup,
        measure: match args.requests {
            Some(count) => Measure::Count(count),
            None => Measure::For(args.duration),
        },
    };

    // The database: the benchmark's own, seeded to scale.
    let server = suite::admin(config).await?;
    let server_pool = suite::admin_pool(&server.url).await?;
    let bench_url = db::database_url(&server.url, &args.database)?;
    let mut seeded: Option<Seeded> = None;
    ensure_database(&server_pool, &args.database).await?;
    let mut bench_pool = suite::admin_pool(&bench_url).await?;
    let (customers, complaints) = seeded_counts(&bench_pool).await?;
    let scale = i64::try_from(args.scale).unwrap_or(i64::MAX);
    // Estimates run a little off; 95% of the scale counts as seeded.
    if args.reseed || customers < scale * 95 / 100 || complaints < scale * 95 / 100 {
        bench_pool.close().await;
        let ident = args.database.replace('"', "\"\"");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{ident}\" WITH (FORCE)"
        )))
        .execute(&server_pool)
        .await?;
        ensure_database(&server_pool, &args.database).await?;
        eprintln!(
            "Seeding {} customers and {} complaints into {} ...",
            args.scale, args.scale, args.database
        );
        let seed_args = SeedArgs {
            customers: args.scale,
            complaints: args.scale,
            agents: 1_000,
            agents_per_team: 10,
            days: 730,
            seed: Some(1),
        };
        seeded = Some(seed_into(config, &bench_url, &seed_args, true).await?);
        bench_pool = suite::admin_pool(&bench_url).await?;
    } else {
        eprintln!(
            "Reusing the seeded database {} (--reseed to start afresh).",
            args.database
        );
    }

    let logs = std::env::temp_dir().join(format!("redress-bench-{}", std::process::id()));
    std::fs::create_dir_all(&logs)?;
    let customers_port = free_port()?;
    let complaints_port = free_port()?;
    let customers_endpoint = format!("http://127.0.0.1:{customers_port}");
    let complaints_endpoint = format!("http://127.0.0.1:{complaints_port}");
    let notifications_port = free_port()?;
    let notifications_endpoint = format!("http://127.0.0.1:{notifications_port}");
    let crisis_port = free_port()?;
    let crisis_endpoint = format!("http://127.0.0.1:{crisis_port}");
    // The broadcast scenario's webhook receiver, on loopback in this
    // process; the suite signs its POSTs with a secret made for this run.
    let webhook_secret = Secret::new(uuid::Uuid::new_v4().simple().to_string());
    let receiver = Receiver::start_keeping(webhook_secret.clone(), 0)
        .await
        .context("starting the webhook receiver")?;
    let mut env = vec![
        (
            "REDRESS_DATABASE__URL".to_owned(),
            bench_url.expose().to_owned(),
        ),
        (
            "REDRESS_AUTH__DEV_SECRET".to_owned(),
            auth.dev_secret.expose().to_owned(),
        ),
        (
            "REDRESS_CUSTOMERS__LISTEN".to_owned(),
            format!("127.0.0.1:{customers_port}"),
        ),
        (
            "REDRESS_COMPLAINTS__LISTEN".to_owned(),
            format!("127.0.0.1:{complaints_port}"),
        ),
        (
            "REDRESS_NOTIFICATIONS__LISTEN".to_owned(),
            format!("127.0.0.1:{notifications_port}"),
        ),
        (
            "REDRESS_CRISIS__LISTEN".to_owned(),
            format!("127.0.0.1:{crisis_port}"),
        ),
        // The early-warning scenario's bursts are about fresh products,
        // whose series have no history to warm up on.
        (
            "REDRESS_CRISIS__EARLY_WARNING__SPIKE__WARMUP_MINUTES".to_owned(),
            "0".to_owned(),
        ),
        (
            "REDRESS_NOTIFICATIONS__CHANNELS__WEBHOOK__ENDPOINT".to_owned(),
            receiver.url(),
        ),
        (
            "REDRESS_NOTIFICATIONS__CHANNELS__WEBHOOK__SECRET".to_owned(),
            webhook_secret.expose().to_owned(),
        ),
    ];
    if let Some(path) = config_path {
        env.push(("REDRESS_CONFIG".to_owned(), path.display().to_string()));
    }

    // Each service alone, idle.
    let mut idle = report::IdleMemory::default();
    {
        eprintln!("Measuring each service's idle memory ...");
        let mut customers =
            Process::start(&["serve", "customers"], &env, &logs.join("customers.log"))?;
        customers
            .wait_serving(&customers_endpoint, "redress.customers.v1.CustomerService")
            .await?;
        let mut with_endpoint = env.clone();
        with_endpoint.push((
            "REDRESS_CUSTOMERS__ENDPOINT".to_owned(),
            customers_endpoint.clone(),
        ));
        let mut complaints = Process::start(
            &["serve", "complaints"],
            &with_endpoint,
            &logs.join("complaints.log"),
        )?;
        complaints
            .wait_serving(
                &complaints_endpoint,
                "redress.complaints.v1.ComplaintService",
            )
            .await?;
        // Notifications calls both (and follows the complaints feed), so it
        // is measured in its own process while they run.
        with_endpoint.push((
            "REDRESS_COMPLAINTS__ENDPOINT".to_owned(),
            complaints_endpoint.clone(),
        ));
        let mut notifications = Process::start(
            &["serve", "notifications"],
            &with_endpoint,
            &logs.join("notifications.log"),
        )?;
        notifications
            .wait_serving(
                &notifications_endpoint,
                "redress.notifications.v1.NotificationService",
            )
            .await?;
        tokio::time::sleep(Duration::from_secs(3)).await;
        idle.customers = customers.rss();
        idle.complaints = complaints.rss();
        idle.notifications = notifications.rss();
        notifications.stop().await?;
        complaints.stop().await?;
        customers.stop().await?;
    }

    // The whole suite in one process, under load.
    let mut placement = args.suite_cpus.clone().map(Placement::new).transpose()?;
    // From pinning to the baseline in one block, so that the database
    // server gets its CPUs back however the run ends: finished, failed, or
    // interrupted (Ctrl-C or SIGTERM drop the block, and with it the suite's
    // processes, which are killed on drop).
    let measured = async {
        if let Some(placement) = &mut placement {
            eprintln!(
                "Pinning the suite and its database to CPUs {}, the load generator to {} ...",
                placement.suite, placement.generator
            );
            placement.pin_generator()?;
            placement.pin_database(&bench_pool).await?;
        }
        eprintln!("Starting the suite (redress up) ...");
        let mut suite = Process::start(&["up"], &env, &logs.join("suite.log"))?;
        suite
            .wait_serving(&customers_endpoint, "redress.customers.v1.CustomerService")
            .await?;
        suite
            .wait_serving(
                &complaints_endpoint,
                "redress.complaints.v1.ComplaintService",
            )
            .await?;
        suite
            .wait_serving(
                &notifications_endpoint,
                "redress.notifications.v1.NotificationService",
            )
            .await?;
        suite
            .wait_serving(&crisis_endpoint, "redress.crisis.v1.CrisisService")
            .await?;
        if let Some(placement) = &placement {
            placement.pin_suite(suite.pid().context("the suite has no process id")?)?;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        idle.suite = suite.rss();
        let peak = RssPeak::start(suite.pid().context("the suite has no process id")?);
        let target = scenarios::Target {
            customers: customers_endpoint,
            complaints: complaints_endpoint,
            notifications: notifications_endpoint,
            crisis: crisis_endpoint,
            secret: auth.dev_secret.clone(),
            admin: bench_pool.clone(),
        };
        let mut results = Vec::new();
        let mut ramp = None;
        for scenario in scenarios {
            eprintln!("Running {} ...", scenario.name());
            peak.take();
            if scenario == Scenario::Overload {
                // The capacity search runs here; the overload itself after
                // this suite stops, on a suite limited to that capacity.
                ramp = Some(
                    overload::ramp(&target, shape.connections, args.warmup, args.duration)
                        .await
                        .context("scenario overload: the capacity search")?,
                );
                continue;
            }
            if scenario == Scenario::EarlyWarning {
                let outcome = early_warning::run(&target, args.early_warning_rounds)
                    .await
                    .context("scenario early-warning")?;
                results.push(report::ScenarioResult::early_warning(outcome, peak.take()));
                continue;
            }
            if scenario == Scenario::Broadcast {
                let outcome = broadcast::run(&target, &receiver, args.broadcast_size)
                    .await
                    .context("scenario broadcast")?;
                results.push(report::ScenarioResult::broadcast(outcome, peak.take()));
                continue;
            }
            let outcome = scenarios::run(scenario, &target, shape)
                .await
                .with_context(|| format!("scenario {}", scenario.name()))?;
            results.push(report::ScenarioResult::new(scenario, &outcome, peak.take()));
        }
        drop(peak);
        suite.stop().await?;
        let overloaded = match ramp {
            Some(steps) => Some(
                overload::overload(
                    &overload::Offer {
                        target: &target,
                        env: &env,
                        logs: &logs,
                        placement: placement.as_ref(),
                        warmup: args.warmup,
                        duration: args.duration,
                    },
                    config.platform.grpc.concurrency_limit,
                    steps,
                )
                .await
                .context("scenario overload")?,
            ),
            None => None,
        };

        // The baseline, on the same server at the same client count.
        let mut baselines = Vec::new();
        if !args.no_baseline {
            let clients = shape.clients();
            let duration = match shape.measure {
                Measure::For(duration) => duration,
                Measure::Count(_) => Duration::from_secs(10),
            };
            eprintln!("Running the pgbench baseline ({clients} clients) ...");
            let pg = Pgbench::prepare(
                &server_pool,
                &server.url,
                &args.baseline_database,
                u32::try_from(clients)?,
            )
            .await?;
            for workload in Workload::ALL {
                baselines.push(pg.run(workload, clients, duration).await?);
            }
        }
        Ok::<_, anyhow::Error>((results, overloaded, baselines))
    };
    let measured = tokio::select! {
        measured = measured => measured,
        () = redress_platform::grpc::shutdown_signal() => Err(anyhow::anyhow!("interrupted")),
    };
    let released = match &placement {
        Some(placement) => placement.release_database(&bench_pool).await,
        None => Ok(()),
    };
    if let (Err(_), Err(error)) = (&measured, &released) {
        eprintln!("Could not give the database server its CPUs back: {error:#}");
    }
    let (results, overloaded, baselines) = measured?;
    released?;
    let postgres: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&bench_pool)
        .await?;
    bench_pool.close().await;
    server_pool.close().await;

    let mut report = report::Report::new(
        shape, args.scale, seeded, postgres, idle, results, baselines,
    );
    report.overload = overloaded;
    report.placement = placement;
    println!("{}", report.table());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("Wrote {}", path.display());
    }
    eprintln!("Logs: {}", logs.display());
    Ok(())
}
