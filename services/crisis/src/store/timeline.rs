//! The timeline: everything that happened to a crisis, in order, with a
//! sequence number per crisis taken from the crisis row (so entries of one
//! crisis never interleave out of order and never collide).

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreError;

/// One entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// What kind, such as "state_changed".
    pub kind: &'a str,
    /// Who; "system" for the service itself.
    pub actor: &'a str,
    /// A one-line summary (no personal data).
    pub summary: String,
    /// Codes and names worth keeping.
    pub details: BTreeMap<String, String>,
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its number within the crisis, from 1.
    pub sequence: i64,
    /// When.
    pub time: Timestamp,
    /// What kind.
    pub kind: String,
    /// Who.
    pub actor: String,
    /// The summary.
    pub summary: String,
    /// The details.
    pub details: BTreeMap<String, String>,
}

/// Appends `entry` to the crisis's timeline at `now`, in the caller's
/// transaction, and returns its sequence number. Takes the crisis row's
/// lock (callers usually hold it already).
pub async fn append(
    conn: &mut PgConnection,
    crisis: Uuid,
    now: Timestamp,
    entry: NewEntry<'_>,
) -> Result<i64, StoreError> {
    let sequence: i64 = sqlx::query_scalar(
        "UPDATE crises SET timeline_sequence = timeline_sequence + 1 \
         WHERE id = $1 RETURNING timeline_sequence",
    )
    .bind(crisis)
    .fetch_one(&mut *conn)
    .await?;
    let details = serde_json::to_value(&entry.details)
        .map_err(|e| StoreError::Corrupt(format!("timeline details: {e}")))?;
    sqlx::query(
        "INSERT INTO timeline (crisis_id, sequence, time, kind, actor, summary, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(crisis)
    .bind(sequence)
    .bind(now.to_sqlx())
    .bind(entry.kind)
    .bind(entry.actor)
    .bind(&entry.summary)
    .bind(details)
    .execute(&mut *conn)
    .await?;
    Ok(sequence)
}

/// Up to `limit` entries of the crisis after `after_sequence`, oldest first.
pub async fn list(
    conn: &mut PgConnection,
    crisis: Uuid,
    after_sequence: i64,
    limit: i64,
) -> Result<Vec<Entry>, StoreError> {
    let rows: Vec<(
        i64,
        jiff_sqlx::Timestamp,
        String,
        String,
        String,
        serde_json::Value,
    )> = sqlx::query_as(
        "SELECT sequence, time, kind, actor, summary, details FROM timeline \
             WHERE crisis_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3",
    )
    .bind(crisis)
    .bind(after_sequence)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(sequence, time, kind, actor, summary, details)| {
            let details: BTreeMap<String, String> = serde_json::from_value(details)
                .map_err(|e| StoreError::Corrupt(format!("timeline details: {e}")))?;
            Ok(Entry {
                sequence,
                time: super::ts(time),
                kind,
                actor,
                summary,
                details,
            })
        })
        .collect()
}
