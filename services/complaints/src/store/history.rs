//! The append-only history of every change to a complaint: who, what, when,
//! and each field before and after. Entries are numbered per complaint from
//! the complaint row's counter, which the writer holds locked.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{StoreError, ts};
use crate::domain::complaint::FieldChange;

/// One history entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// From 1 per complaint.
    pub sequence: i64,
    /// Who did it.
    pub actor: String,
    /// The service that called for the actor, if any.
    pub via_service: String,
    /// What was done.
    pub action: String,
    /// Field by field.
    pub changes: Vec<FieldChange>,
    /// When.
    pub change_time: Timestamp,
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The person (or `system:<part>` for the service's own work).
    pub subject: String,
    /// The service that called on the person's behalf, or empty.
    pub via_service: String,
}

impl Actor {
    /// The service's own work, such as the SLA scheduler.
    pub fn system(part: &str) -> Actor {
        Actor {
            subject: format!("system:{part}"),
            via_service: String::new(),
        }
    }
}

/// Appends an entry to complaint `id`'s history.
pub async fn append(
    conn: &mut PgConnection,
    id: Uuid,
    actor: &Actor,
    action: &str,
    changes: &[FieldChange],
    at: Timestamp,
) -> Result<(), StoreError> {
    let changes = serde_json::to_value(changes)
        .map_err(|e| StoreError::Corrupt(format!("history changes: {e}")))?;
    sqlx::query(
        "WITH numbered AS (
             UPDATE complaints SET history_count = history_count + 1 WHERE id = $1
             RETURNING history_count
         )
         INSERT INTO complaint_history
             (complaint_id, sequence, actor, via_service, action, changes, change_time)
         SELECT $1, history_count, $2, $3, $4, $5, $6 FROM numbered",
    )
    .bind(id)
    .bind(&actor.subject)
    .bind(&actor.via_service)
    .bind(action)
    .bind(changes)
    .bind(at.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// A page of complaint `id`'s history after `after_sequence`, oldest first.
pub async fn list(
    conn: &mut PgConnection,
    id: Uuid,
    after_sequence: i64,
    limit: u32,
) -> Result<Vec<Entry>, StoreError> {
    type Row = (
        i64,
        String,
        String,
        String,
        serde_json::Value,
        jiff_sqlx::Timestamp,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT sequence, actor, via_service, action, changes, change_time
         FROM complaint_history WHERE complaint_id = $1 AND sequence > $2
         ORDER BY sequence LIMIT $3",
    )
    .bind(id)
    .bind(after_sequence)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(sequence, actor, via_service, action, changes, at)| {
            Ok(Entry {
                sequence,
                actor,
                via_service,
                action,
                changes: serde_json::from_value(changes)
                    .map_err(|e| StoreError::Corrupt(format!("history changes: {e}")))?,
                change_time: ts(at),
            })
        })
        .collect()
}
