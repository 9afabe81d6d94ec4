//! The written record of a crisis in SQL: status reports, the review, and
//! the affected customers' ids read in batches for the review's
//! satisfaction figures.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreError;

/// A status report.
#[derive(Debug, Clone)]
pub struct StatusReport {
    /// Its id.
    pub id: Uuid,
    /// Its crisis.
    pub crisis_id: Uuid,
    /// The conditions now.
    pub conditions: String,
    /// The actions taken and planned.
    pub actions: String,
    /// What is needed.
    pub needs: String,
    /// The crisis's state code when filed.
    pub state: String,
    /// Who filed it.
    pub author: String,
    /// When.
    pub create_time: Timestamp,
}

/// Inserts a status report.
pub async fn insert_status_report(
    conn: &mut PgConnection,
    r: &StatusReport,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO status_reports (id, crisis_id, conditions, actions, needs, state, author, \
         create_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(r.id)
    .bind(r.crisis_id)
    .bind(&r.conditions)
    .bind(&r.actions)
    .bind(&r.needs)
    .bind(&r.state)
    .bind(&r.author)
    .bind(r.create_time.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Up to `limit` status reports newest first, before `(time, id)`.
pub async fn list_status_reports(
    conn: &mut PgConnection,
    crisis: Uuid,
    before: Option<(Timestamp, Uuid)>,
    limit: i64,
) -> Result<Vec<StatusReport>, StoreError> {
    let rows: Vec<(
        Uuid,
        String,
        String,
        String,
        String,
        String,
        jiff_sqlx::Timestamp,
    )> = sqlx::query_as(
        "SELECT id, conditions, actions, needs, state, author, create_time FROM status_reports \
             WHERE crisis_id = $1 AND ($2::timestamptz IS NULL OR (create_time, id) < ($2, $3)) \
             ORDER BY create_time DESC, id DESC LIMIT $4",
    )
    .bind(crisis)
    .bind(before.map(|b| b.0.to_sqlx()))
    .bind(before.map(|b| b.1))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, conditions, actions, needs, state, author, t)| StatusReport {
                id,
                crisis_id: crisis,
                conditions,
                actions,
                needs,
                state,
                author,
                create_time: super::ts(t),
            },
        )
        .collect())
}

/// An improvement action as stored: `{title, owner, due_time}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewAction {
    /// What to change.
    pub title: String,
    /// Its owner.
    pub owner: String,
    /// When it is due (RFC 3339), if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_time: Option<Timestamp>,
}

/// A review as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// The root cause.
    pub root_cause: String,
    /// What went well.
    pub went_well: Vec<String>,
    /// What went badly.
    pub went_badly: Vec<String>,
    /// The lessons.
    pub lessons: Vec<String>,
    /// Improvement actions.
    pub actions: Vec<ReviewAction>,
    /// Changes to the plan template.
    pub plan_changes: String,
    /// Who last wrote it.
    pub author: String,
    /// When.
    pub update_time: Timestamp,
    /// The etag's number.
    pub version: i64,
}

/// Reads a crisis's review, locking it when `lock`; `None` before the first
/// write.
pub async fn get_review(
    conn: &mut PgConnection,
    crisis: Uuid,
    lock: bool,
) -> Result<Option<Review>, StoreError> {
    let suffix = if lock { " FOR UPDATE" } else { "" };
    type Row = (
        String,
        Vec<String>,
        Vec<String>,
        Vec<String>,
        serde_json::Value,
        String,
        String,
        jiff_sqlx::Timestamp,
        i64,
    );
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT root_cause, went_well, went_badly, lessons, actions, plan_changes, author, \
         update_time, version FROM reviews WHERE crisis_id = $1{suffix}"
    )))
    .bind(crisis)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(
        |(
            root_cause,
            went_well,
            went_badly,
            lessons,
            actions,
            plan_changes,
            author,
            t,
            version,
        )| {
            Ok(Review {
                root_cause,
                went_well,
                went_badly,
                lessons,
                actions: serde_json::from_value(actions)
                    .map_err(|e| StoreError::Corrupt(format!("review actions: {e}")))?,
                plan_changes,
                author,
                update_time: super::ts(t),
                version,
            })
        },
    )
    .transpose()
}

/// Writes a crisis's review (its version already set: 1 for the first).
pub async fn put_review(
    conn: &mut PgConnection,
    crisis: Uuid,
    r: &Review,
) -> Result<(), StoreError> {
    let actions = serde_json::to_value(&r.actions)
        .map_err(|e| StoreError::Corrupt(format!("review actions: {e}")))?;
    sqlx::query(
        "INSERT INTO reviews (crisis_id, root_cause, went_well, went_badly, lessons, actions, \
         plan_changes, author, update_time, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (crisis_id) DO UPDATE SET root_cause = EXCLUDED.root_cause, \
         went_well = EXCLUDED.went_well, went_badly = EXCLUDED.went_badly, \
         lessons = EXCLUDED.lessons, actions = EXCLUDED.actions, \
         plan_changes = EXCLUDED.plan_changes, author = EXCLUDED.author, \
         update_time = EXCLUDED.update_time, version = EXCLUDED.version",
    )
    .bind(crisis)
    .bind(&r.root_cause)
    .bind(&r.went_well)
    .bind(&r.went_badly)
    .bind(&r.lessons)
    .bind(actions)
    .bind(&r.plan_changes)
    .bind(&r.author)
    .bind(r.update_time.to_sqlx())
    .bind(r.version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Up to `limit` affected customer ids of a crisis after `after`, in id
/// order.
pub async fn affected_customer_ids(
    conn: &mut PgConnection,
    crisis: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT customer_id FROM affected_customers WHERE crisis_id = $1 \
         AND ($2::uuid IS NULL OR customer_id > $2) ORDER BY customer_id LIMIT $3",
    )
    .bind(crisis)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}
