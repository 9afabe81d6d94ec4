//! Follow-ups of closed complaints: scheduled at closure, made due by the
//! scheduler, done by the owner, skipped when the customer came back, or
//! cancelled by a reopening. Each closure is a `round` (the complaint's
//! reopen count then), so a complaint closed again gets a fresh cadence.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{StoreError, code, ts, ts_opt};
use crate::domain::follow_up::FollowUpState;

/// A follow-up as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    /// UUIDv7.
    pub id: Uuid,
    /// The complaint.
    pub complaint_id: Uuid,
    /// The closure that scheduled it.
    pub round: i32,
    /// Its place in the cadence, from 1.
    pub sequence: i32,
    /// When it falls due.
    pub due_time: Timestamp,
    /// The customer's zone it was placed in.
    pub time_zone: String,
    /// Where it stands.
    pub state: FollowUpState,
    /// What came of it, when done.
    pub outcome: String,
    /// Who did it, when done.
    pub done_by: String,
    /// When it was done, skipped or cancelled.
    pub end_time: Option<Timestamp>,
}

type Row = (
    Uuid,
    Uuid,
    i32,
    i32,
    jiff_sqlx::Timestamp,
    String,
    String,
    String,
    String,
    Option<jiff_sqlx::Timestamp>,
);

fn from_row(row: Row) -> Result<FollowUp, StoreError> {
    let (id, complaint_id, round, sequence, due, time_zone, state, outcome, done_by, end) = row;
    Ok(FollowUp {
        id,
        complaint_id,
        round,
        sequence,
        due_time: ts(due),
        time_zone,
        state: code(&state, "follow-up state", FollowUpState::from_code)?,
        outcome,
        done_by,
        end_time: ts_opt(end),
    })
}

/// Stores scheduled follow-ups.
pub async fn insert(conn: &mut PgConnection, follow_ups: &[FollowUp]) -> Result<(), StoreError> {
    for f in follow_ups {
        sqlx::query(
            "INSERT INTO complaint_follow_ups
                 (id, complaint_id, round, sequence, due_time, time_zone, state)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(f.id)
        .bind(f.complaint_id)
        .bind(f.round)
        .bind(f.sequence)
        .bind(f.due_time.to_sqlx())
        .bind(&f.time_zone)
        .bind(f.state.code())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Moves complaint `complaint_id`'s follow-ups in `from` states to `to` at
/// `now`; returns their ids.
pub async fn end_all(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    from: &[FollowUpState],
    to: FollowUpState,
    now: Timestamp,
) -> Result<Vec<Uuid>, StoreError> {
    let from: Vec<&str> = from.iter().map(|s| s.code()).collect();
    let ids = sqlx::query_scalar(
        "UPDATE complaint_follow_ups SET state = $3, end_time = $4
         WHERE complaint_id = $1 AND state = ANY($2)
         RETURNING id",
    )
    .bind(complaint_id)
    .bind(from)
    .bind(to.code())
    .bind(now.to_sqlx())
    .fetch_all(conn)
    .await?;
    Ok(ids)
}

/// A closed complaint with follow-ups due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueClosure {
    /// The complaint.
    pub complaint_id: Uuid,
    /// Its customer.
    pub customer_id: Uuid,
    /// When it was closed.
    pub close_time: Timestamp,
}

/// Up to `limit` closed complaints with scheduled follow-ups due at `now`,
/// the longest-waiting first.
pub async fn complaints_due(
    conn: &mut PgConnection,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<DueClosure>, StoreError> {
    let rows: Vec<(Uuid, Uuid, jiff_sqlx::Timestamp)> = sqlx::query_as(
        "SELECT c.id, c.customer_id, c.close_time
         FROM (SELECT complaint_id, min(due_time) AS first_due FROM complaint_follow_ups
               WHERE state = 'scheduled' AND due_time <= $1
               GROUP BY complaint_id ORDER BY first_due LIMIT $2) f
         JOIN complaints c ON c.id = f.complaint_id
         WHERE c.close_time IS NOT NULL
         ORDER BY f.first_due",
    )
    .bind(now.to_sqlx())
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(complaint_id, customer_id, close_time)| DueClosure {
            complaint_id,
            customer_id,
            close_time: ts(close_time),
        })
        .collect())
}

/// Complaint `complaint_id`'s scheduled follow-ups due at `now`, locked.
pub async fn lock_due(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    now: Timestamp,
) -> Result<Vec<FollowUp>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, complaint_id, round, sequence, due_time, time_zone, state, outcome,
                done_by, end_time
         FROM complaint_follow_ups
         WHERE complaint_id = $1 AND state = 'scheduled' AND due_time <= $2
         ORDER BY due_time, id FOR UPDATE",
    )
    .bind(complaint_id)
    .bind(now.to_sqlx())
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// Follow-up `id` of complaint `complaint_id`, locked.
pub async fn lock(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    id: Uuid,
) -> Result<Option<FollowUp>, StoreError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, complaint_id, round, sequence, due_time, time_zone, state, outcome,
                done_by, end_time
         FROM complaint_follow_ups WHERE complaint_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(complaint_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// Makes follow-up `id` due.
pub async fn make_due(conn: &mut PgConnection, id: Uuid) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE complaint_follow_ups SET state = 'due' WHERE id = $1 AND state = 'scheduled'",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks due follow-up `id` done by `by` with `outcome` at `now`.
pub async fn complete(
    conn: &mut PgConnection,
    id: Uuid,
    outcome: &str,
    by: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE complaint_follow_ups
         SET state = 'done', outcome = $2, done_by = $3, end_time = $4
         WHERE id = $1 AND state = 'due'",
    )
    .bind(id)
    .bind(outcome)
    .bind(by)
    .bind(now.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// Every follow-up of complaint `complaint_id`, by due time.
pub async fn of_complaint(
    conn: &mut PgConnection,
    complaint_id: Uuid,
) -> Result<Vec<FollowUp>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, complaint_id, round, sequence, due_time, time_zone, state, outcome,
                done_by, end_time
         FROM complaint_follow_ups WHERE complaint_id = $1 ORDER BY due_time, id",
    )
    .bind(complaint_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// The due follow-ups of complaints `owner` owns, the earliest first, at
/// most `limit`.
pub async fn due_for_owner(
    conn: &mut PgConnection,
    owner: &str,
    limit: u32,
) -> Result<Vec<FollowUp>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT f.id, f.complaint_id, f.round, f.sequence, f.due_time, f.time_zone, f.state,
                f.outcome, f.done_by, f.end_time
         FROM complaint_follow_ups f JOIN complaints c ON c.id = f.complaint_id
         WHERE f.state = 'due' AND c.owner = $1
         ORDER BY f.due_time, f.id LIMIT $2",
    )
    .bind(owner)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}
