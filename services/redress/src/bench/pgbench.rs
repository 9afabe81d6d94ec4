//! The baseline: what the same PostgreSQL does at best for the same number
//! of clients, measured by `pgbench` in the same run, in a database of its
//! own on the same server. Three workloads: TPC-B-like (five statements in
//! a transaction: the closest match to a write of Redress), select-only
//! (one primary-key read: the floor under any read) and a single-row insert.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use redress_platform::Secret;
use redress_platform::db;
use redress_platform::pg_local::PgBinaries;
use sqlx::PgPool;

/// A pgbench workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// The built-in `tpcb-like` script.
    TpcbLike,
    /// The built-in `select-only` script (`-S`).
    SelectOnly,
    /// One INSERT of one row per transaction.
    SingleInsert,
}

impl Workload {
    /// Every workload.
    pub const ALL: [Workload; 3] = [
        Workload::TpcbLike,
        Workload::SelectOnly,
        Workload::SingleInsert,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::TpcbLike => "pgbench tpcb-like",
            Workload::SelectOnly => "pgbench select-only",
            Workload::SingleInsert => "pgbench single insert",
        }
    }
}

/// What a workload measured.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Baseline {
    /// The workload.
    pub workload: Workload,
    /// Transactions per second (without connection time).
    pub tps: f64,
    /// Average latency in milliseconds.
    pub latency_avg_ms: f64,
}

/// pgbench against one database.
pub struct Pgbench {
    program: PathBuf,
    url: Secret,
}

const INSERT_SCRIPT: &str = "INSERT INTO redress_single_insert (id, body, at) \
                             VALUES (gen_random_uuid(), 'one row', now());\n";

/// Finds pgbench beside the PostgreSQL server programs the private cluster
/// would use (so its version is the server's).
fn program() -> anyhow::Result<PathBuf> {
    let program = PgBinaries::find(None)
        .context("no PostgreSQL installation for pgbench; pass --no-baseline")?
        .program("pgbench");
    anyhow::ensure!(
        program.is_file(),
        "pgbench is not at {}; install PostgreSQL's client tools or pass --no-baseline",
        program.display()
    );
    Ok(program)
}

impl Pgbench {
    /// Prepares the baseline database `database` beside the suite's on the
    /// server of `admin_url`, at `scale` (pgbench's scale factor: 100,000
    /// accounts each), reusing it when it is already at that scale.
    pub async fn prepare(
        admin: &PgPool,
        admin_url: &Secret,
        database: &str,
        scale: u32,
    ) -> anyhow::Result<Self> {
        let program = program()?;
        super::ensure_database(admin, database).await?;
        let url = db::database_url(admin_url, database)?;
        let bench = Pgbench { program, url };
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(bench.url.expose())
            .await?;
        let branches: Option<i64> = sqlx::query_scalar(
            "SELECT CASE WHEN to_regclass('pgbench_branches') IS NULL THEN NULL
                    ELSE (SELECT count(*) FROM pgbench_branches) END",
        )
        .fetch_one(&pool)
        .await
        .ok()
        .flatten();
        if branches != Some(i64::from(scale)) {
            bench
                .command(&["-i", "-q", "-s", &scale.to_string()])
                .await
                .context("pgbench -i")?;
        }
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS redress_single_insert
                 (id uuid PRIMARY KEY, body text NOT NULL, at timestamptz NOT NULL)",
        )
        .execute(&pool)
        .await?;
        sqlx::query("TRUNCATE redress_single_insert")
            .execute(&pool)
            .await?;
        pool.close().await;
        Ok(bench)
    }

    async fn command(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = tokio::process::Command::new(&self.program)
            .args(args)
            .arg(self.url.expose())
            .stdin(Stdio::null())
            .output()
            .await
            .context("running pgbench")?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            anyhow::bail!(
                "pgbench failed ({}): {}",
                output.status,
                stderr.lines().last().unwrap_or("")
            );
        }
        Ok(stdout)
    }

    /// Runs `workload` with `clients` connections for `duration`.
    pub async fn run(
        &self,
        workload: Workload,
        clients: usize,
        duration: Duration,
    ) -> anyhow::Result<Baseline> {
        let clients_arg = clients.to_string();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(clients)
            .to_string();
        let seconds = duration.as_secs().max(1).to_string();
        let script = tempfile_with(INSERT_SCRIPT)?;
        let script_path = script.display().to_string();
        let mut args = vec![
            "-n",
            "-M",
            "prepared",
            "-c",
            &clients_arg,
            "-j",
            &threads,
            "-T",
            &seconds,
        ];
        match workload {
            Workload::TpcbLike => args.extend(["-b", "tpcb-like"]),
            Workload::SelectOnly => args.extend(["-b", "select-only"]),
            Workload::SingleInsert => args.extend(["-f", &script_path]),
        }
        let output = self.command(&args).await;
        let _ = std::fs::remove_file(&script);
        let output = output?;
        Ok(Baseline {
            workload,
            tps: number_after(&output, "tps = ").context("pgbench printed no tps")?,
            latency_avg_ms: number_after(&output, "latency average = ").unwrap_or(f64::NAN),
        })
    }
}

/// The number that follows `label` in pgbench's report.
fn number_after(output: &str, label: &str) -> Option<f64> {
    let line = output.lines().find(|line| line.starts_with(label))?;
    line[label.len()..].split_whitespace().next()?.parse().ok()
}

/// Writes `text` to a fresh file in the temporary directory.
fn tempfile_with(text: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::temp_dir().join(format!("redress-pgbench-{}.sql", uuid::Uuid::now_v7()));
    std::fs::write(&path, text)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::number_after;

    #[test]
    fn the_tps_and_latency_are_read_from_pgbench_output() {
        let output = "number of failed transactions: 0 (0.000%)\n\
                      latency average = 6.514 ms\n\
                      initial connection time = 12.003 ms\n\
                      tps = 2456.318120 (without initial connection time)\n";
        assert_eq!(number_after(output, "tps = "), Some(2456.31812));
        assert_eq!(number_after(output, "latency average = "), Some(6.514));
        assert_eq!(number_after(output, "nothing = "), None);
    }
}
