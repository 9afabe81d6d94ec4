//! Provisioning a service's schema and roles with an admin connection:
//! idempotent, and safe when several processes do it at once.
//!
//! Roles are cluster-wide while schemas, grants and default privileges are
//! per database, so two processes provisioning different databases of one
//! cluster still race on the roles. PostgreSQL does not queue such catalog
//! updates: the loser gets `unique_violation`, `duplicate_object` or "tuple
//! concurrently updated". Provisioning therefore runs as one transaction,
//! serialised per database (with migrations too) by an advisory lock, and
//! the whole transaction is retried on those errors; every step is written to
//! be a no-op when already done.

use std::time::Duration;

use rand::Rng;
use sqlx::postgres::{PgPool, Postgres};
use sqlx::{AssertSqlSafe, Transaction};

use super::{DbError, SchemaSpec, check_schema_name, login_role, owner_role, scram, step};
use crate::secret::Secret;

/// Advisory lock key serialising provisioning and migrating within one
/// database ("redress\x01"): GRANT and ALTER TABLE both rewrite catalog rows
/// without locking each other out, so they must not overlap.
pub(super) const SCHEMA_LOCK: i64 = 0x7265_6472_6573_7301;
/// Attempts before a race-caused failure is reported.
const ATTEMPTS: u32 = 30;

/// Creates (if absent) the schema's owner and login roles and the schema,
/// sets the login role's password, and grants the login role exactly the use
/// of this schema's tables and sequences, now and for objects created later
/// by the owner. `admin` needs CREATEROLE and CREATE on the database (a
/// superuser in the local cluster); it is granted membership in the owner
/// role so it can migrate as the owner.
pub async fn provision(
    admin: &PgPool,
    spec: &SchemaSpec,
    login_password: &Secret,
) -> Result<(), DbError> {
    check_schema_name(spec.schema)?;
    let verifier =
        scram::verifier(login_password.expose()).ok_or_else(|| DbError::UnsupportedPassword {
            role: login_role(spec.schema),
        })?;
    let mut attempt = 1;
    loop {
        match provision_once(admin, spec.schema, &verifier).await {
            Ok(()) => return Ok(()),
            Err(error) if attempt < ATTEMPTS && is_race(&error) => {
                tracing::debug!(schema = spec.schema, attempt, %error, "provisioning raced another process; retrying");
                let pause = rand::rng().random_range(5..=20 * u64::from(attempt.min(10)));
                tokio::time::sleep(Duration::from_millis(pause)).await;
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Whether an error comes from a concurrent provisioning and deserves a retry.
fn is_race(error: &DbError) -> bool {
    let DbError::Statement { source, .. } = error else {
        return false;
    };
    let Some(db) = source.as_database_error() else {
        return false;
    };
    match db.code().as_deref() {
        // unique_violation, duplicate_object, serialization_failure, deadlock_detected
        Some("23505" | "42710" | "40001" | "40P01") => true,
        // "tuple concurrently updated" / "... deleted" (internal_error)
        Some("XX000") => db.message().contains("concurrently"),
        _ => false,
    }
}

async fn provision_once(admin: &PgPool, schema: &str, verifier: &str) -> Result<(), DbError> {
    let owner = owner_role(schema);
    let login = login_role(schema);
    let mut tx = admin
        .begin()
        .await
        .map_err(step(schema, "begin a transaction"))?;

    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SCHEMA_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(step(schema, "take the provisioning lock"))?;

    for (role, attributes) in [(&owner, "NOLOGIN"), (&login, "LOGIN")] {
        let sql = format!(
            "DO $$ BEGIN CREATE ROLE \"{role}\" {attributes}; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        );
        exec(&mut tx, sql, schema, format!("create role `{role}`")).await?;
    }
    exec(
        &mut tx,
        format!("ALTER ROLE \"{login}\" WITH LOGIN PASSWORD '{verifier}'"),
        schema,
        format!("set the password of role `{login}`"),
    )
    .await?;

    let is_superuser: bool =
        sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut *tx)
            .await
            .map_err(step(schema, "inspect the admin role"))?;
    if !is_superuser {
        // A superuser may SET ROLE to anyone; others need membership to migrate as the owner.
        exec(
            &mut tx,
            format!("GRANT \"{owner}\" TO CURRENT_USER"),
            schema,
            format!("grant role `{owner}` to the admin role"),
        )
        .await?;
    }

    let current_owner: Option<String> = sqlx::query_scalar(
        "SELECT pg_get_userbyid(nspowner)::text FROM pg_namespace WHERE nspname = $1",
    )
    .bind(schema)
    .fetch_optional(&mut *tx)
    .await
    .map_err(step(schema, "look up the schema"))?;
    match current_owner {
        None => {
            let sql = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\" AUTHORIZATION \"{owner}\"");
            exec(&mut tx, sql, schema, "create the schema").await?;
        }
        Some(current) if current != owner => {
            let sql = format!("ALTER SCHEMA \"{schema}\" OWNER TO \"{owner}\"");
            exec(
                &mut tx,
                sql,
                schema,
                format!("give the schema to `{owner}`"),
            )
            .await?;
        }
        Some(_) => {}
    }

    let sql = format!(
        "DO $$ BEGIN \
           IF NOT has_database_privilege('{login}', current_database(), 'CONNECT') THEN \
             EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), '{login}'); \
           END IF; \
         END $$"
    );
    exec(
        &mut tx,
        sql,
        schema,
        format!("let `{login}` connect to the database"),
    )
    .await?;

    exec(
        &mut tx,
        "DO $$ BEGIN \
           IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN \
             REVOKE CREATE ON SCHEMA public FROM PUBLIC; \
           END IF; \
         END $$"
            .to_owned(),
        schema,
        "revoke CREATE on schema public from PUBLIC",
    )
    .await?;

    // The login role holds nothing outside its schema: no grants on other
    // schemas and no membership in other roles (defensive; we never grant them).
    let sql = format!(
        "DO $$ DECLARE target name; BEGIN \
           FOR target IN \
             SELECT n.nspname FROM pg_namespace n, aclexplode(n.nspacl) a \
             WHERE a.grantee = '{login}'::regrole AND n.nspname <> '{schema}' \
           LOOP EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', target, '{login}'); END LOOP; \
           FOR target IN \
             SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = '{login}'::regrole \
           LOOP EXECUTE format('REVOKE %s FROM %I', target, '{login}'); END LOOP; \
         END $$"
    );
    exec(
        &mut tx,
        sql,
        schema,
        format!("confine `{login}` to its schema"),
    )
    .await?;

    // As the owner: grants on its own objects, and default privileges for
    // the objects its migrations will create.
    let sql = format!(
        "SET LOCAL ROLE \"{owner}\"; \
         GRANT USAGE ON SCHEMA \"{schema}\" TO \"{login}\"; \
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"{schema}\" TO \"{login}\"; \
         GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA \"{schema}\" TO \"{login}\"; \
         ALTER DEFAULT PRIVILEGES FOR ROLE \"{owner}\" IN SCHEMA \"{schema}\" \
           GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO \"{login}\"; \
         ALTER DEFAULT PRIVILEGES FOR ROLE \"{owner}\" IN SCHEMA \"{schema}\" \
           GRANT USAGE, SELECT ON SEQUENCES TO \"{login}\"; \
         {} \
         RESET ROLE",
        protect_ledger_sql(schema, &login)
    );
    exec(
        &mut tx,
        sql,
        schema,
        format!("grant `{login}` the use of the schema"),
    )
    .await?;

    tx.commit()
        .await
        .map_err(step(schema, "commit the provisioning"))
}

/// SQL making the migration ledger read-only and the audit trail
/// append-only for the login role (each when it exists). Provisioning grants
/// every table privilege on the whole schema, so this runs after it and after
/// every migration.
pub(super) fn protect_ledger_sql(schema: &str, login: &str) -> String {
    format!(
        "DO $$ BEGIN \
           IF to_regclass('\"{schema}\"._sqlx_migrations') IS NOT NULL THEN \
             REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON \"{schema}\"._sqlx_migrations FROM \"{login}\"; \
           END IF; \
           IF to_regclass('\"{schema}\".audit_entries') IS NOT NULL THEN \
             REVOKE UPDATE, DELETE, TRUNCATE ON \"{schema}\".audit_entries FROM \"{login}\"; \
           END IF; \
         END $$;"
    )
}

/// Runs trusted SQL (identifiers checked by `check_schema_name`) in the transaction.
async fn exec(
    tx: &mut Transaction<'static, Postgres>,
    sql: String,
    schema: &str,
    what: impl Into<String>,
) -> Result<(), DbError> {
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(&mut **tx)
        .await
        .map(drop)
        .map_err(step(schema, what))
}
