//! Warnings as stored: raised, counted on again within their dedup window,
//! moved by people, woken from their snooze, listed newest first, and
//! counted by source and state for the metrics.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{StoreError, code, ts};
use crate::domain::warning::{Evidence, SignalChannel, WarningSource, WarningState};

/// A warning as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// UUIDv7.
    pub id: Uuid,
    /// What raised it.
    pub source: WarningSource,
    /// Where it is as stored (see [`WarningState::at`] for a snooze that is
    /// over but not yet woken).
    pub state: WarningState,
    /// Its dedup key.
    pub dedup_key: String,
    /// The evidence of the first detection.
    pub evidence: Evidence,
    /// Detections counted, from 1.
    pub detection_count: i32,
    /// The last detection.
    pub last_detect_time: Timestamp,
    /// For a staff report: where it was seen.
    pub signal_channel: Option<SignalChannel>,
    /// For a staff report: what was seen.
    pub summary: String,
    /// For a staff report: a link.
    pub source_uri: String,
    /// Who reported or last acted on it; empty for the service.
    pub actor: String,
    /// Why it was dismissed.
    pub dismiss_reason: String,
    /// Until when it is snoozed.
    pub snooze_until: Option<Timestamp>,
    /// The crisis declared from it.
    pub crisis_id: Option<Uuid>,
    /// When it was raised.
    pub create_time: Timestamp,
    /// When it last changed.
    pub update_time: Timestamp,
    /// Bumped on every change; the etag.
    pub version: i64,
}

impl Warning {
    /// The etag.
    pub fn etag(&self) -> String {
        self.version.to_string()
    }
}

const COLUMNS: &str = "id, source, state, dedup_key, evidence, detection_count, \
     last_detect_time, signal_channel, summary, source_uri, actor, dismiss_reason, \
     snooze_until_time, crisis_id, create_time, update_time, version";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    source: String,
    state: String,
    dedup_key: String,
    evidence: serde_json::Value,
    detection_count: i32,
    last_detect_time: jiff_sqlx::Timestamp,
    signal_channel: String,
    summary: String,
    source_uri: String,
    actor: String,
    dismiss_reason: String,
    snooze_until_time: Option<jiff_sqlx::Timestamp>,
    crisis_id: Option<Uuid>,
    create_time: jiff_sqlx::Timestamp,
    update_time: jiff_sqlx::Timestamp,
    version: i64,
}

fn from_row(row: Row) -> Result<Warning, StoreError> {
    let Row {
        id,
        source,
        state,
        dedup_key,
        evidence,
        detection_count,
        last_detect_time,
        signal_channel,
        summary,
        source_uri,
        actor,
        dismiss_reason,
        snooze_until_time,
        crisis_id,
        create_time,
        update_time,
        version,
    } = row;
    Ok(Warning {
        id,
        source: code(&source, "warning source", WarningSource::from_code)?,
        state: code(&state, "warning state", WarningState::from_code)?,
        dedup_key,
        evidence: serde_json::from_value(evidence)
            .map_err(|e| StoreError::Corrupt(format!("warning evidence: {e}")))?,
        detection_count,
        last_detect_time: ts(last_detect_time),
        signal_channel: if signal_channel.is_empty() {
            None
        } else {
            Some(code(
                &signal_channel,
                "signal channel",
                SignalChannel::from_code,
            )?)
        },
        summary,
        source_uri,
        actor,
        dismiss_reason,
        snooze_until: snooze_until_time.map(ts),
        crisis_id,
        create_time: ts(create_time),
        update_time: ts(update_time),
        version,
    })
}

/// Inserts a new warning.
pub async fn insert(conn: &mut PgConnection, w: &Warning) -> Result<(), StoreError> {
    let evidence = serde_json::to_value(&w.evidence)
        .map_err(|e| StoreError::Corrupt(format!("warning evidence: {e}")))?;
    sqlx::query(
        "INSERT INTO warnings
             (id, source, state, dedup_key, evidence, detection_count, last_detect_time,
              signal_channel, summary, source_uri, actor, dismiss_reason, snooze_until_time,
              crisis_id, create_time, update_time, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(w.id)
    .bind(w.source.code())
    .bind(w.state.code())
    .bind(&w.dedup_key)
    .bind(evidence)
    .bind(w.detection_count)
    .bind(w.last_detect_time.to_sqlx())
    .bind(w.signal_channel.map(SignalChannel::code).unwrap_or(""))
    .bind(&w.summary)
    .bind(&w.source_uri)
    .bind(&w.actor)
    .bind(&w.dismiss_reason)
    .bind(w.snooze_until.map(|t| t.to_sqlx()))
    .bind(w.crisis_id)
    .bind(w.create_time.to_sqlx())
    .bind(w.update_time.to_sqlx())
    .bind(w.version)
    .execute(conn)
    .await?;
    Ok(())
}

/// Serialises detections of one dedup key until the transaction ends, so
/// two detections of one episode never open two warnings.
pub async fn lock_key(conn: &mut PgConnection, dedup_key: &str) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('crisis.warning:' || $1, 0))")
        .bind(dedup_key)
        .execute(conn)
        .await?;
    Ok(())
}

/// The warning of `dedup_key` last detected at or after `since`, locked;
/// the newest when there are several.
pub async fn lock_episode(
    conn: &mut PgConnection,
    dedup_key: &str,
    since: Timestamp,
) -> Result<Option<Warning>, StoreError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM warnings
         WHERE dedup_key = $1 AND last_detect_time >= $2
         ORDER BY last_detect_time DESC, id DESC LIMIT 1 FOR UPDATE"
    )))
    .bind(dedup_key)
    .bind(since.to_sqlx())
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// Counts a detection at `now` on warning `id`, leaving it in `state`.
pub async fn redetect(
    conn: &mut PgConnection,
    id: Uuid,
    state: WarningState,
    now: Timestamp,
) -> Result<Warning, StoreError> {
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE warnings
         SET detection_count = detection_count + 1,
             last_detect_time = GREATEST(last_detect_time, $3),
             state = $2,
             snooze_until_time = CASE WHEN $2 = 'snoozed' THEN snooze_until_time END,
             update_time = GREATEST(update_time, $3),
             version = version + 1
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(state.code())
    .bind(now.to_sqlx())
    .fetch_one(conn)
    .await?;
    from_row(row)
}

/// Reads a warning.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Warning>, StoreError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM warnings WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// Reads a warning and locks it for the rest of the transaction.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<Warning>, StoreError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM warnings WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// Writes what a person changed: state, actor, dismissal reason and snooze
/// time, at `now`, bumping the version.
pub async fn update(
    conn: &mut PgConnection,
    w: &Warning,
    now: Timestamp,
) -> Result<Warning, StoreError> {
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE warnings
         SET state = $2, actor = $3, dismiss_reason = $4, snooze_until_time = $5,
             update_time = $6, version = version + 1
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(w.id)
    .bind(w.state.code())
    .bind(&w.actor)
    .bind(&w.dismiss_reason)
    .bind(w.snooze_until.map(|t| t.to_sqlx()))
    .bind(now.to_sqlx())
    .fetch_one(conn)
    .await?;
    from_row(row)
}

/// Marks warning `id` escalated to crisis `crisis_id` by `actor` at `now`
/// (DeclareCrisis, in its transaction, after [`lock`] and
/// `domain::warning::act(state, Action::Escalate)`); the caller announces
/// it with a `warning.changed` event.
pub async fn escalate(
    conn: &mut PgConnection,
    id: Uuid,
    crisis_id: Uuid,
    actor: &str,
    now: Timestamp,
) -> Result<Warning, StoreError> {
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE warnings
         SET state = 'escalated', crisis_id = $2, actor = $3, snooze_until_time = NULL,
             update_time = $4, version = version + 1
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(crisis_id)
    .bind(actor)
    .bind(now.to_sqlx())
    .fetch_one(conn)
    .await?;
    from_row(row)
}

/// Opens again, at `now`, the warnings whose snooze is over; returns them.
pub async fn wake(conn: &mut PgConnection, now: Timestamp) -> Result<Vec<Warning>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE warnings
         SET state = 'open', snooze_until_time = NULL, update_time = $1, version = version + 1
         WHERE state = 'snoozed' AND snooze_until_time <= $1
         RETURNING {COLUMNS}"
    )))
    .bind(now.to_sqlx())
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// A page of warnings in `states` (all when empty), newest first, after
/// `after` (create time, id).
pub async fn list(
    conn: &mut PgConnection,
    states: &[WarningState],
    after: Option<(Timestamp, Uuid)>,
    limit: u32,
) -> Result<Vec<Warning>, StoreError> {
    let states: Vec<&str> = states.iter().map(|s| s.code()).collect();
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM warnings
         WHERE (cardinality($1::text[]) = 0 OR state = ANY($1))
           AND ($2::timestamptz IS NULL OR (create_time, id) < ($2, $3))
         ORDER BY create_time DESC, id DESC LIMIT $4"
    )))
    .bind(&states)
    .bind(after.map(|(t, _)| t.to_sqlx()))
    .bind(after.map(|(_, id)| id))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// How many warnings still wait for a judgement (open, watched or snoozed)
/// at `now`, per source and state as [`WarningState::at`] tells it (a
/// snooze that is over counts as open, woken or not); a pair with none is
/// absent.
pub async fn undecided_now(
    pool: &PgPool,
    now: Timestamp,
) -> Result<Vec<(WarningSource, WarningState, i64)>, StoreError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT source,
                CASE WHEN state = 'snoozed' AND snooze_until_time <= $1 THEN 'open' ELSE state END,
                count(*)
         FROM warnings WHERE state IN ('open', 'watched', 'snoozed')
         GROUP BY 1, 2",
    )
    .bind(now.to_sqlx())
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(source, state, count)| {
            Ok((
                code(&source, "warning source", WarningSource::from_code)?,
                code(&state, "warning state", WarningState::from_code)?,
                count,
            ))
        })
        .collect()
}
