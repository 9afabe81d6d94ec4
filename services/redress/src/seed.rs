//! `redress seed`: realistic data at scale, written with COPY by each
//! service's own seeding code ([`redress_customers::seed`],
//! [`redress_complaints::seed`]) through that service's own login role, so
//! seeding keeps the rule that a service's tables are written by it alone.
//! Customers come first (complaints are about them), then complaints; then
//! the tables are vacuumed and analysed so the planner knows the new sizes.

use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use jiff::Timestamp;
use redress_complaints::domain::priority::Grade;
use redress_complaints::seed::SeedCustomer;
use redress_customers::store::codes::Code as _;
use redress_platform::Secret;
use redress_platform::config::Config;
use redress_platform::db;

use crate::services;
use crate::suite;

/// How much to seed.
#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Customers to create.
    #[arg(long, default_value_t = 100_000)]
    pub customers: u64,
    /// Complaints to create, about those customers.
    #[arg(long, default_value_t = 100_000)]
    pub complaints: u64,
    /// Agents who own the complaints (`agent-00001` ...).
    #[arg(long, default_value_t = 1_000)]
    pub agents: u32,
    /// Agents per team (`team-001` ..., supervised by `sup-001` ...).
    #[arg(long, default_value_t = 10)]
    pub agents_per_team: u32,
    /// Over how many days the complaints arrived.
    #[arg(long, default_value_t = 730)]
    pub days: u32,
    /// The random seed (the same seed into an empty database gives the same
    /// data; seeding twice with one seed collides).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// What seeding wrote.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Seeded {
    /// Customers written.
    pub customers: u64,
    /// Complaints written.
    pub complaints: u64,
    /// Of which open.
    pub open_complaints: u64,
    /// Rows in every table together.
    pub rows: u64,
    /// Wall-clock seconds, vacuum and analyse included.
    pub seconds: f64,
}

/// `redress seed`, against the configured database or the private cluster.
pub async fn run(config: &Config, args: &SeedArgs) -> anyhow::Result<()> {
    let admin = suite::admin(config).await?;
    let seeded = seed_into(config, &admin.url, args, true).await?;
    println!(
        "Seeded {} customers and {} complaints ({} open), {} rows in {:.1} s.",
        seeded.customers, seeded.complaints, seeded.open_complaints, seeded.rows, seeded.seconds
    );
    Ok(())
}

/// Provisions and migrates both schemas in the database of `admin_url`,
/// seeds them and analyses the tables; `chatty` prints progress.
pub async fn seed_into(
    config: &Config,
    admin_url: &Secret,
    args: &SeedArgs,
    chatty: bool,
) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let seed = args.seed.unwrap_or_else(|| {
        let seed = Timestamp::now().as_nanosecond().unsigned_abs() as u64;
        if chatty {
            eprintln!("seed {seed}");
        }
        seed
    });
    let now = Timestamp::now();
    let admin = suite::admin_pool(admin_url).await?;
    let secret = suite::role_secret(config)?;
    let customers_login = suite::prepare(
        &admin,
        admin_url,
        &secret,
        services::find(redress_customers::NAME)?,
    )
    .await?;
    let complaints_login = suite::prepare(
        &admin,
        admin_url,
        &secret,
        services::find(redress_complaints::NAME)?,
    )
    .await?;
    let mut pool_settings = config.platform.database.pool.clone();
    pool_settings.max_connections = 8;
    pool_settings.statement_timeout_ms = 0;

    let customers_pool = db::connect(&customers_login, redress_customers::NAME, &pool_settings)
        .await
        .context("connecting as the customers service")?;
    let (_, customer_settings) = redress_customers::service_settings(config)?;
    let standing = redress_customers::store::standing::Policies {
        grading: customer_settings.grading.clone(),
        lifecycle: customer_settings.lifecycle.clone(),
    };
    let report_every = |what: &'static str, total: u64| {
        move |done: u64| {
            if chatty {
                eprintln!("  {what}: {done} of {total}");
            }
        }
    };
    let (customers, customer_report) = redress_customers::seed::seed(
        &customers_pool,
        &standing,
        &redress_customers::seed::SeedPlan {
            customers: args.customers,
            seed,
            now,
        },
        &report_every("customers", args.customers),
    )
    .await
    .context("seeding customers")?;
    customers_pool.close().await;

    let complaints_pool = db::connect(&complaints_login, redress_complaints::NAME, &pool_settings)
        .await
        .context("connecting as the complaints service")?;
    let complaint_settings: redress_complaints::Settings =
        config.service(redress_complaints::NAME)?;
    let policies = complaint_settings
        .policies()
        .map_err(|e| anyhow::anyhow!(e))?;
    let about: Vec<SeedCustomer> = customers
        .iter()
        .map(|c| SeedCustomer {
            id: c.id,
            grade: Grade::from_code(&c.grade.code().to_lowercase()).unwrap_or(Grade::Ungraded),
        })
        .collect();
    let complaint_report = if args.complaints > 0 {
        redress_complaints::seed::seed(
            &complaints_pool,
            &policies,
            &about,
            &redress_complaints::seed::SeedPlan {
                complaints: args.complaints,
                agents: args.agents,
                agents_per_team: args.agents_per_team,
                days: args.days,
                seed: seed.wrapping_add(1),
                now,
            },
            &report_every("complaints", args.complaints),
        )
        .await
        .context("seeding complaints")?
    } else {
        redress_complaints::seed::SeedReport::default()
    };
    complaints_pool.close().await;

    if chatty {
        eprintln!("  vacuuming and analysing");
    }
    for schema in [redress_customers::NAME, redress_complaints::NAME] {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = $1",
        )
        .bind(schema)
        .fetch_all(&admin)
        .await?;
        for table in tables {
            sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM (ANALYZE) {table}")))
                .execute(&admin)
                .await
                .with_context(|| format!("vacuuming {table}"))?;
        }
    }
    admin.close().await;
    Ok(Seeded {
        customers: customer_report.customers,
        complaints: complaint_report.complaints,
        open_complaints: complaint_report.open,
        rows: customer_report.rows + complaint_report.rows,
        seconds: started.elapsed().as_secs_f64(),
    })
}
