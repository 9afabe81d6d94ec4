//! Running a service's embedded migrations into its schema, and checking at
//! start-up that a schema is up to date.
//!
//! sqlx 0.9's PostgreSQL migrator names its ledger `_sqlx_migrations`
//! unqualified (`CREATE TABLE IF NOT EXISTS _sqlx_migrations ...`, then
//! `SELECT ... FROM _sqlx_migrations`), so it follows `search_path`. We run it
//! on one connection that has done `SET ROLE <owner>` and `SET search_path TO
//! <schema>`: the ledger and every object the migrations create land in the
//! service's schema, owned by the owner role. sqlx serialises migrators with
//! a session advisory lock keyed by the database name; we additionally hold
//! the provisioning lock, so that migrations and provisioning (of any schema)
//! in one database run one after another, never at once.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgPool;

use super::provision::{SCHEMA_LOCK, protect_ledger_sql};
use super::{DbError, SchemaSpec, check_schema_name, login_role, owner_role, step};

/// Applies the pending migrations of `spec` as its owner role. Run
/// [`super::provision`] first (it creates the roles and schema).
pub async fn migrate(admin: &PgPool, spec: &SchemaSpec) -> Result<(), DbError> {
    let schema = spec.schema;
    check_schema_name(schema)?;
    let owner = owner_role(schema);
    let mut conn = admin.acquire().await.map_err(|source| DbError::Connect {
        schema: schema.to_owned(),
        source,
    })?;
    // The lock, role and search path below must not leak to the pool's next
    // user: the connection is closed, not returned, whatever happens.
    conn.close_on_drop();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(SCHEMA_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(step(schema, "take the provisioning lock"))?;

    let setup = format!("SET ROLE \"{owner}\"; SET search_path TO \"{schema}\"");
    sqlx::raw_sql(AssertSqlSafe(setup))
        .execute(&mut *conn)
        .await
        .map_err(step(
            schema,
            format!("become `{owner}` with search_path `{schema}`"),
        ))?;

    spec.migrator
        .run(&mut *conn)
        .await
        .map_err(|source| DbError::Migrate {
            schema: schema.to_owned(),
            source,
        })?;

    // Default privileges gave the login role write access to the ledger too.
    sqlx::raw_sql(AssertSqlSafe(protect_ledger_sql(
        schema,
        &login_role(schema),
    )))
    .execute(&mut *conn)
    .await
    .map_err(step(
        schema,
        "make the migration ledger read-only for the service",
    ))?;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(SCHEMA_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(step(schema, "release the provisioning lock"))?;
    tracing::info!(schema, "migrations applied");
    Ok(())
}

/// For a service that may not migrate: fails unless every migration the
/// binary embeds is applied to the schema, successfully and unchanged.
/// Works with the service's own pool (the login role may read the ledger).
pub async fn check_migrated(pool: &PgPool, spec: &SchemaSpec) -> Result<(), DbError> {
    let schema = spec.schema;
    check_schema_name(schema)?;
    let sql = format!("SELECT version, success, checksum FROM \"{schema}\"._sqlx_migrations");
    let applied: Vec<(i64, bool, Vec<u8>)> =
        match sqlx::query_as(AssertSqlSafe(sql)).fetch_all(pool).await {
            Ok(rows) => rows,
            // undefined_table (no ledger yet) or invalid_schema_name (no schema yet)
            Err(error)
                if error
                    .as_database_error()
                    .and_then(|e| e.code())
                    .is_some_and(|code| code == "42P01" || code == "3F000") =>
            {
                Vec::new()
            }
            Err(error) => return Err(step(schema, "read the migration ledger")(error)),
        };
    let applied: HashMap<i64, (bool, Vec<u8>)> = applied
        .into_iter()
        .map(|(version, success, checksum)| (version, (success, checksum)))
        .collect();

    if let Some(version) = applied
        .iter()
        .filter(|(_, (success, _))| !success)
        .map(|(version, _)| *version)
        .min()
    {
        return Err(DbError::MigrationFailed {
            schema: schema.to_owned(),
            version,
        });
    }

    let mut missing = Vec::new();
    for migration in spec
        .migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
    {
        match applied.get(&migration.version) {
            None => missing.push(migration.version),
            Some((_, checksum)) if checksum.as_slice() != &*migration.checksum => {
                return Err(DbError::MigrationChanged {
                    schema: schema.to_owned(),
                    version: migration.version,
                });
            }
            Some(_) => {}
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        missing.sort_unstable();
        Err(DbError::NotMigrated {
            schema: schema.to_owned(),
            missing,
        })
    }
}
