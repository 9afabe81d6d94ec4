//! The audit trail in SQL: append an entry on the caller's connection (the
//! action's transaction), append one alone, and read a filtered page newest
//! first. The table is unqualified: a service's pool and migrations set
//! `search_path` to its own schema.

use std::collections::BTreeMap;

use jiff_sqlx::ToSqlx;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Row};

use super::{AUDIT_TARGET, AuditEntry, AuditQuery, Outcome};
use crate::db::StoreError;
use crate::error::ApiError;

impl AuditEntry {
    /// Appends the entry on `conn`, which should hold the transaction of the
    /// action it records: the entry commits or rolls back with the action.
    pub async fn record(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_entries (id, action, target, actor, actor_roles, via_service,
                 requested_by, method, outcome, details, create_time)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(self.id)
        .bind(&self.action)
        .bind(&self.target)
        .bind(&self.actor)
        .bind(&self.actor_roles)
        .bind(&self.via_service)
        .bind(&self.requested_by)
        .bind(&self.method)
        .bind(self.outcome.as_str())
        .bind(Json(&self.details))
        .bind(self.time.to_sqlx())
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Appends the entry in a transaction of its own: for a refusal, whose
    /// action wrote nothing.
    pub async fn record_alone(&self, pool: &PgPool) -> Result<(), StoreError> {
        let mut tx = pool.begin().await?;
        self.record(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Passes `result` through; when it is a PERMISSION_DENIED decided by a
/// handler's rule, first records `entry()` as denied (with the refusal's
/// reason code as the `reason` detail) in a transaction of its own. A failure
/// to record is logged, and the caller still gets the refusal.
pub async fn record_refusal<T>(
    pool: &PgPool,
    result: Result<T, ApiError>,
    entry: impl FnOnce() -> AuditEntry,
) -> Result<T, ApiError> {
    if let Err(ApiError::PermissionDenied { reason, .. }) = &result {
        let entry = entry().denied().detail("reason", reason);
        if let Err(error) = entry.record_alone(pool).await {
            tracing::error!(
                target: AUDIT_TARGET,
                action = entry.action,
                method = entry.method,
                %error,
                "a refusal could not be recorded in the audit trail"
            );
        }
    }
    result
}

/// One page of entries matching `query`, newest first, with one row more
/// than the page size when there is a next page.
pub async fn list(pool: &PgPool, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
    let (after_time, after_id) = match query.after {
        Some((time, id)) => (Some(time.to_sqlx()), Some(id)),
        None => (None, None),
    };
    let rows = sqlx::query(
        "SELECT id, action, target, actor, actor_roles, via_service, requested_by, method,
                outcome, details, create_time
         FROM audit_entries
         WHERE ($1::text IS NULL OR action = $1)
           AND ($2::text IS NULL OR actor = $2)
           AND ($3::text IS NULL OR target = $3)
           AND ($4::timestamptz IS NULL OR create_time >= $4)
           AND ($5::timestamptz IS NULL OR create_time < $5)
           AND ($6::timestamptz IS NULL OR (create_time, id) < ($6, $7))
         ORDER BY create_time DESC, id DESC
         LIMIT $8",
    )
    .bind(&query.action)
    .bind(&query.actor)
    .bind(&query.target)
    .bind(query.start.map(|t| t.to_sqlx()))
    .bind(query.end.map(|t| t.to_sqlx()))
    .bind(after_time)
    .bind(after_id)
    .bind(i64::from(query.size) + 1)
    .fetch_all(pool)
    .await?;
    rows.iter().map(entry_from_row).collect()
}

fn entry_from_row(row: &PgRow) -> Result<AuditEntry, StoreError> {
    let id = row.try_get("id")?;
    let outcome: String = row.try_get("outcome")?;
    let details: Json<BTreeMap<String, String>> = row
        .try_get("details")
        .map_err(|_| StoreError::Corrupt(format!("audit entry {id} has unreadable details")))?;
    Ok(AuditEntry {
        id,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        actor: row.try_get("actor")?,
        actor_roles: row.try_get("actor_roles")?,
        via_service: row.try_get("via_service")?,
        requested_by: row.try_get("requested_by")?,
        method: row.try_get("method")?,
        outcome: Outcome::parse(&outcome).ok_or_else(|| {
            StoreError::Corrupt(format!("audit entry {id} has outcome `{outcome}`"))
        })?,
        details: details.0,
        time: row
            .try_get::<jiff_sqlx::Timestamp, _>("create_time")?
            .to_jiff(),
    })
}
