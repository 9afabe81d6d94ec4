//! Finding the test server: `DATABASE_URL`, or the private test cluster in
//! the workspace's target directory. Also the clean-up of databases that
//! interrupted runs left behind.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::pg_local::{LocalCluster, LocalClusterOptions};
use crate::secret::Secret;

/// Directory of the private test cluster inside the target directory.
const CLUSTER_DIR: &str = "redress-test-pg";
/// Overrides where the private test cluster lives (e.g. when the checkout is
/// somewhere the unprivileged server user cannot reach).
const DIR_OVERRIDE: &str = "REDRESS_TEST_PG_DIR";
/// Test databases older than this are leftovers of an interrupted run.
const LEFTOVER_AGE_S: u64 = 2 * 60 * 60;

/// The admin URL of the test server, found once per process.
static SERVER_URL: OnceLock<Secret> = OnceLock::new();
/// Whether this process has swept leftover databases.
static SWEPT: AtomicBool = AtomicBool::new(false);

/// The test server's admin URL (its maintenance database); panics with the
/// reason when there is none.
pub(super) async fn admin_url() -> Secret {
    if let Some(url) = SERVER_URL.get() {
        return url.clone();
    }
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Secret::new(url),
        _ => {
            let dir = std::env::var_os(DIR_OVERRIDE)
                .map(PathBuf::from)
                .unwrap_or_else(|| target_dir().join(CLUSTER_DIR));
            let options = LocalClusterOptions {
                for_tests: true,
                ..LocalClusterOptions::new(dir)
            };
            LocalCluster::ensure_running_async(options)
                .await
                .unwrap_or_else(|error| {
                    panic!(
                        "test support: no test database server: {error} \
                         (set DATABASE_URL to use an existing server, or {DIR_OVERRIDE} to put the private cluster elsewhere)"
                    )
                })
                .admin_url()
        }
    };
    if !SWEPT.swap(true, Ordering::SeqCst) {
        drop_leftovers(&url).await;
    }
    SERVER_URL.get_or_init(|| url).clone()
}

/// The workspace's target directory: `CARGO_TARGET_DIR` when set, else
/// `target/` beside the `Cargo.toml` that declares `[workspace]` above the
/// crate under test.
pub(crate) fn target_dir() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let workspace = workspace_root(&manifest_dir).unwrap_or(manifest_dir);
    match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    }
}

/// The nearest ancestor of `start` (itself included) whose Cargo.toml has a `[workspace]` table.
fn workspace_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|text| text.lines().any(|line| line.trim() == "[workspace]"))
        })
        .map(Path::to_path_buf)
}

/// Seconds since the Unix epoch.
pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Drops a test database, forcibly; logs failures.
pub(super) async fn drop_database(server_url: &Secret, name: &str) {
    let result = async {
        let mut conn = PgConnection::connect(server_url.expose()).await?;
        // Bounded: a database that cannot be dropped now is left for the
        // sweep of leftovers rather than holding the test up.
        sqlx::raw_sql("SET statement_timeout = '15s'")
            .execute(&mut conn)
            .await?;
        sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await?;
        conn.close().await
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(database = %name, %error, "cannot drop the test database");
    }
}

/// Best effort: drops `redress_test_<secs>_*` databases older than two hours.
async fn drop_leftovers(server_url: &Secret) {
    let names: Vec<String> = match async {
        let mut conn = PgConnection::connect(server_url.expose()).await?;
        let names = sqlx::query_scalar(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'redress\\_test\\_%'",
        )
        .fetch_all(&mut conn)
        .await?;
        let _ = conn.close().await;
        Ok::<_, sqlx::Error>(names)
    }
    .await
    {
        Ok(names) => names,
        Err(error) => {
            tracing::warn!(%error, "cannot list leftover test databases");
            return;
        }
    };
    let now = unix_now();
    for name in names {
        if created_at(&name).is_some_and(|created| now.saturating_sub(created) > LEFTOVER_AGE_S) {
            tracing::info!(database = %name, "dropping a leftover test database");
            drop_database(server_url, &name).await;
        }
    }
}

/// The creation time encoded in a test database's name.
pub(super) fn created_at(name: &str) -> Option<u64> {
    name.strip_prefix("redress_test_")?
        .split('_')
        .next()?
        .parse()
        .ok()
}
