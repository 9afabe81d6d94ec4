//! Test support: a fresh PostgreSQL database per test, against a real server.
//!
//! With `DATABASE_URL` set, that URL is taken as an admin URL of an existing
//! server. Otherwise the first test to ask starts one private cluster
//! (`pg_local`, tuned for tests) in `<workspace>/target/redress-test-pg` and
//! every later test, in this process or another, reuses it; it is left
//! running for the next run. Each [`TestDatabase`] is a new database named
//! `redress_test_<unix seconds>_<uuid>`, dropped again when the value is
//! dropped; databases left behind by an interrupted run are dropped once
//! they are two hours old.

pub mod authz;
pub mod collector;
pub mod metrics;
pub mod python;
mod server;
pub mod tls;

use std::thread;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::db::{self, SchemaSpec};
use crate::secret::Secret;

#[cfg(test)]
pub(crate) use server::target_dir;

/// A database of its own for one test, on the shared test server. Dropping
/// it drops the database (terminating connections still open to it).
#[derive(Debug)]
pub struct TestDatabase {
    /// Admin URL of the server's maintenance database; the same for every
    /// test of the run, and the secret service passwords derive from.
    server_url: Secret,
    /// `redress_test_<unix seconds>_<uuid>`; exists until drop.
    name: String,
    /// Admin URL of this database.
    admin_url: Secret,
    /// Admin pool on this database.
    admin_pool: PgPool,
}

impl TestDatabase {
    /// Creates a fresh database on the test server (starting the private
    /// cluster if needed). Panics with the reason when that is impossible.
    pub async fn new() -> Self {
        let server_url = server::admin_url().await;
        let name = format!(
            "redress_test_{}_{}",
            server::unix_now(),
            uuid::Uuid::new_v4().simple()
        );
        let mut conn = PgConnection::connect(server_url.expose())
            .await
            .unwrap_or_else(|error| {
                panic!("test support: cannot reach the test PostgreSQL server: {error}")
            });
        sqlx::raw_sql(AssertSqlSafe(format!(
            "CREATE DATABASE \"{name}\" TEMPLATE template0"
        )))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|error| panic!("test support: cannot create database {name}: {error}"));
        let _ = conn.close().await;

        let admin_url = db::database_url(&server_url, &name).unwrap_or_else(|error| {
            panic!("test support: cannot derive the test database URL: {error}")
        });
        let admin_pool = PgPoolOptions::new()
            .max_connections(5)
            .connect(admin_url.expose())
            .await
            .unwrap_or_else(|error| {
                panic!("test support: cannot connect to database {name}: {error}")
            });
        Self {
            server_url,
            name,
            admin_url,
            admin_pool,
        }
    }

    /// A pool on this database as the admin (superuser in the private cluster).
    pub fn admin_pool(&self) -> &PgPool {
        &self.admin_pool
    }

    /// Admin URL of this database.
    pub fn admin_url(&self) -> Secret {
        self.admin_url.clone()
    }

    /// This database's name.
    pub fn database_name(&self) -> &str {
        &self.name
    }

    /// Provisions and migrates `spec` here, as a service's deployment would,
    /// and returns the URL of this database as the service's login role.
    pub async fn provision(&self, spec: &SchemaSpec) -> Secret {
        let password = self.login_password(spec.schema);
        db::provision(&self.admin_pool, spec, &password)
            .await
            .unwrap_or_else(|error| panic!("test support: {error}"));
        db::migrate(&self.admin_pool, spec)
            .await
            .unwrap_or_else(|error| panic!("test support: {error}"));
        db::login_url(&self.admin_url, &db::login_role(spec.schema), &password)
            .unwrap_or_else(|error| panic!("test support: {error}"))
    }

    /// The password of a schema's login role on this server: derived from
    /// the server URL, so every test process sets the same one on the
    /// cluster-wide role and none locks another out.
    pub fn login_password(&self, schema: &str) -> Secret {
        db::derive_password(&self.server_url, &db::login_role(schema))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let server_url = self.server_url.clone();
        let name = self.name.clone();
        // Drop is synchronous and may run inside the test's runtime: use a
        // thread with a runtime of its own, and wait for it.
        let dropper = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(runtime) => runtime.block_on(server::drop_database(&server_url, &name)),
                Err(error) => {
                    tracing::warn!(database = %name, %error, "cannot drop the test database")
                }
            }
        });
        if dropper.join().is_err() {
            tracing::warn!(database = %self.name, "dropping the test database panicked");
        }
    }
}

/// Runs a test's own `sql` on `pool` in a transaction that is rolled back,
/// and returns its SQLSTATE, or `None` when it succeeded: how privilege tests
/// try a statement without writing anything.
pub async fn sqlstate(pool: &PgPool, sql: &str) -> Option<String> {
    let mut tx = pool.begin().await.expect("a transaction");
    let outcome = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
        .execute(&mut *tx)
        .await;
    tx.rollback().await.expect("rolled back");
    match outcome {
        Ok(_) => None,
        Err(error) => Some(
            error
                .as_database_error()
                .and_then(|e| e.code())
                .map(|code| code.into_owned())
                .unwrap_or_else(|| panic!("not a database error: {error}")),
        ),
    }
}

#[cfg(test)]
mod tests;
