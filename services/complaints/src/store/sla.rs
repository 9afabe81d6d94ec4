//! SLA clocks and alarms in SQL. The clocks of a complaint are recomputed
//! from its state history after every change and stored whole; the alarms
//! (warning, breach, escalation steps) still to raise are replaced with them,
//! while raised alarms stay, so an alarm of a cycle is never raised twice.
//! The scheduler takes complaints with due alarms one at a time with
//! `FOR UPDATE SKIP LOCKED`, so any number of replicas may run it.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{StoreError, ts, ts_opt};

/// A clock as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredClock {
    /// `acknowledgement`, `first_response`, `update`, `resolution`.
    pub kind: String,
    /// Start of the current cycle.
    pub cycle_start: Timestamp,
    /// Target, in milliseconds of business time.
    pub target_ms: i64,
    /// Used so far, in milliseconds of business time.
    pub elapsed_ms: i64,
    /// `running`, `paused` or `stopped`.
    pub status: String,
    /// Warning time while running.
    pub warn_time: Option<Timestamp>,
    /// Due time while running.
    pub due_time: Option<Timestamp>,
    /// Stop time once stopped.
    pub stop_time: Option<Timestamp>,
    /// Whether a stopped clock met its target.
    pub met: Option<bool>,
}

/// An alarm to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// The clock kind code.
    pub clock: String,
    /// The clock cycle it belongs to.
    pub cycle_start: Timestamp,
    /// `warning`, `breach` or `escalation:<n>`.
    pub step: String,
    /// When to raise it.
    pub due_time: Timestamp,
}

/// Replaces complaint `id`'s clocks and pending alarms.
pub async fn replace(
    conn: &mut PgConnection,
    id: Uuid,
    clocks: &[StoredClock],
    alarms: &[Alarm],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sla_clocks WHERE complaint_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sla_alarms WHERE complaint_id = $1 AND fire_time IS NULL")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if !clocks.is_empty() {
        let kinds: Vec<&str> = clocks.iter().map(|c| c.kind.as_str()).collect();
        let starts: Vec<_> = clocks.iter().map(|c| c.cycle_start.to_sqlx()).collect();
        let targets: Vec<i64> = clocks.iter().map(|c| c.target_ms).collect();
        let elapsed: Vec<i64> = clocks.iter().map(|c| c.elapsed_ms).collect();
        let statuses: Vec<&str> = clocks.iter().map(|c| c.status.as_str()).collect();
        let warns: Vec<_> = clocks
            .iter()
            .map(|c| c.warn_time.map(|t| t.to_sqlx()))
            .collect();
        let dues: Vec<_> = clocks
            .iter()
            .map(|c| c.due_time.map(|t| t.to_sqlx()))
            .collect();
        let stops: Vec<_> = clocks
            .iter()
            .map(|c| c.stop_time.map(|t| t.to_sqlx()))
            .collect();
        let mets: Vec<Option<bool>> = clocks.iter().map(|c| c.met).collect();
        sqlx::query(
            "INSERT INTO sla_clocks (complaint_id, kind, cycle_start, target_ms, elapsed_ms, status,
                 warn_time, due_time, stop_time, met)
             SELECT $1, * FROM UNNEST($2::text[], $3::timestamptz[], $4::bigint[], $5::bigint[],
                 $6::text[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::bool[])",
        )
        .bind(id)
        .bind(&kinds)
        .bind(&starts)
        .bind(&targets)
        .bind(&elapsed)
        .bind(&statuses)
        .bind(&warns)
        .bind(&dues)
        .bind(&stops)
        .bind(&mets)
        .execute(&mut *conn)
        .await?;
    }
    if !alarms.is_empty() {
        let clocks: Vec<&str> = alarms.iter().map(|a| a.clock.as_str()).collect();
        let starts: Vec<_> = alarms.iter().map(|a| a.cycle_start.to_sqlx()).collect();
        let steps: Vec<&str> = alarms.iter().map(|a| a.step.as_str()).collect();
        let dues: Vec<_> = alarms.iter().map(|a| a.due_time.to_sqlx()).collect();
        sqlx::query(
            "INSERT INTO sla_alarms (complaint_id, clock, cycle_start, step, due_time)
             SELECT $1, * FROM UNNEST($2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[])
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(&clocks)
        .bind(&starts)
        .bind(&steps)
        .bind(&dues)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The stored clocks of these complaints: (complaint, clock).
pub async fn clocks_of(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, StoredClock)>, StoreError> {
    type Row = (
        Uuid,
        String,
        jiff_sqlx::Timestamp,
        i64,
        i64,
        String,
        Option<jiff_sqlx::Timestamp>,
        Option<jiff_sqlx::Timestamp>,
        Option<jiff_sqlx::Timestamp>,
        Option<bool>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT complaint_id, kind, cycle_start, target_ms, elapsed_ms, status, warn_time,
                due_time, stop_time, met
         FROM sla_clocks WHERE complaint_id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, kind, start, target_ms, elapsed_ms, status, warn, due, stop, met)| {
                (
                    id,
                    StoredClock {
                        kind,
                        cycle_start: ts(start),
                        target_ms,
                        elapsed_ms,
                        status,
                        warn_time: ts_opt(warn),
                        due_time: ts_opt(due),
                        stop_time: ts_opt(stop),
                        met,
                    },
                )
            },
        )
        .collect())
}

/// A due alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAlarm {
    /// The complaint.
    pub complaint_id: Uuid,
    /// The alarm.
    pub alarm: Alarm,
}

/// Complaints with alarms due at `now`, at most `limit`, earliest first.
/// Nothing is locked: the scheduler then locks each complaint (skipping one
/// another transaction holds) before its alarms, in the same order as every
/// change of a complaint, so the two never deadlock.
pub async fn complaints_due(
    conn: &mut PgConnection,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT complaint_id FROM sla_alarms WHERE fire_time IS NULL AND due_time <= $1
         GROUP BY complaint_id ORDER BY min(due_time) LIMIT $2",
    )
    .bind(now.to_sqlx())
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?)
}

/// The alarms of complaint `id` due at `now`, oldest first; call with the
/// complaint locked.
pub async fn due_alarms_of(
    conn: &mut PgConnection,
    id: Uuid,
    now: Timestamp,
) -> Result<Vec<DueAlarm>, StoreError> {
    let rows: Vec<(String, jiff_sqlx::Timestamp, String, jiff_sqlx::Timestamp)> = sqlx::query_as(
        "SELECT clock, cycle_start, step, due_time FROM sla_alarms
             WHERE complaint_id = $1 AND fire_time IS NULL AND due_time <= $2
             ORDER BY due_time, step",
    )
    .bind(id)
    .bind(now.to_sqlx())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(clock, start, step, due)| DueAlarm {
            complaint_id: id,
            alarm: Alarm {
                clock,
                cycle_start: ts(start),
                step,
                due_time: ts(due),
            },
        })
        .collect())
}

/// Marks an alarm raised.
pub async fn mark_fired(
    conn: &mut PgConnection,
    due: &DueAlarm,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sla_alarms SET fire_time = $5
         WHERE complaint_id = $1 AND clock = $2 AND cycle_start = $3 AND step = $4",
    )
    .bind(due.complaint_id)
    .bind(&due.alarm.clock)
    .bind(due.alarm.cycle_start.to_sqlx())
    .bind(&due.alarm.step)
    .bind(at.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}
