//! `redress`: the one binary of the suite.
//!
//! `redress up` runs every service in one process (each on its own port,
//! pool, role and schema), starting a private PostgreSQL when no database is
//! configured; `redress serve <service>` runs one service (the container
//! entrypoint); `redress migrate` provisions roles and schemas and runs the
//! migrations; `redress token` mints a development token; and the client
//! subcommands (`redress customers ...`, `redress complaints ...`,
//! `redress notifications ...`, `redress crisis ...`) call the running
//! suite.

mod bench;
mod client;
mod dev;
mod seed;
mod services;
mod suite;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use redress_platform::auth::Role;
use redress_platform::config::Config;

/// Complaint handling and service recovery: a suite of gRPC services.
#[derive(Debug, Parser)]
#[command(name = "redress", version, about)]
struct Cli {
    /// A configuration file (default: ./redress.toml when it exists).
    #[arg(long, global = true, env = "REDRESS_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every service in one process, with a private PostgreSQL when no
    /// database URL is configured; prints the endpoints and a development
    /// token.
    Up,
    /// Run one service (the container entrypoint).
    Serve {
        /// The service: customers, complaints, notifications or crisis.
        service: String,
    },
    /// Provision each service's role and schema and run its migrations.
    Migrate {
        /// Only this service (default: all).
        #[arg(long)]
        service: Option<String>,
    },
    /// Measure the suite's speed and memory against a pgbench baseline on
    /// the same PostgreSQL, in one run (seeds its own database).
    Bench(bench::BenchArgs),
    /// Fill the database with realistic customers and complaints, fast
    /// (COPY), for benchmarks and demonstrations.
    Seed(seed::SeedArgs),
    /// Mint a development token (HS256, signed with the development secret).
    Token {
        /// The subject (staff id).
        #[arg(long, default_value = "dev")]
        subject: String,
        /// Roles, comma separated: agent, supervisor, crisis_manager,
        /// communications, admin, service.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "agent,supervisor,crisis_manager,communications,admin"
        )]
        roles: Vec<Role>,
        /// The team.
        #[arg(long)]
        team: Option<String>,
        /// The locale.
        #[arg(long)]
        locale: Option<String>,
        /// Lifetime in hours.
        #[arg(long, default_value_t = 12)]
        hours: u64,
    },
    /// Call the customers service.
    Customers(client::customers::Command),
    /// Call the complaints service, as yourself or (with a development
    /// token) as `--as <subject> --team <team-id>`.
    Complaints(client::complaints::Command),
    /// Call the notifications service.
    Notifications(client::notifications::Command),
    /// Call the crisis service (early warning, crises, statements), as
    /// yourself or (with a development token) as `--as <subject>`.
    Crisis(client::crisis::Command),
    /// Read a service's audit trail of security-relevant actions (admins
    /// only): `redress audit list --service customers`.
    Audit(client::audit::Command),
}

/// mimalloc: the services allocate many small, short-lived buffers per
/// request (protobuf, HTTP/2 frames, rows), which glibc's allocator served
/// at a fifth of the suite's CPU under load (`redress bench`, profiled).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("redress: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Up => suite::up(&config).await,
        Command::Serve { service } => suite::serve(&config, &service).await,
        Command::Migrate { service } => suite::migrate(&config, service.as_deref()).await,
        Command::Seed(args) => seed::run(&config, &args).await,
        Command::Bench(args) => bench::run(&config, cli.config.as_ref(), &args).await,
        Command::Token {
            subject,
            roles,
            team,
            locale,
            hours,
        } => {
            let token = dev::mint(
                &config,
                &subject,
                &roles,
                team.as_deref(),
                locale.as_deref(),
                hours,
            )?;
            println!("{}", token.expose());
            Ok(())
        }
        Command::Customers(command) => {
            let context = client::Context::new(&config, "customers")?;
            client::customers::run(command, &context).await
        }
        Command::Complaints(command) => {
            let context = client::Context::acting(&config, "complaints", command.identity())?;
            client::complaints::run(command, &context).await
        }
        Command::Notifications(command) => {
            let context = client::Context::new(&config, "notifications")?;
            client::notifications::run(command, &context).await
        }
        Command::Crisis(command) => {
            let context = client::Context::acting(&config, "crisis", command.identity())?;
            client::crisis::run(command, &context).await
        }
        Command::Audit(command) => {
            let context = client::Context::new(&config, command.service().config_name())?;
            client::audit::run(command, &context).await
        }
    }
}
