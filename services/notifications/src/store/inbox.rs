//! In-app inboxes.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::{PgPool, Row as _};
use uuid::Uuid;

use super::{StoreError, ts, ts_opt};

/// An inbox item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    /// The message.
    pub message_id: Uuid,
    /// The kind.
    pub kind: String,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// Arrived.
    pub create_time: Timestamp,
    /// Read.
    pub read_time: Option<Timestamp>,
}

/// A page of a recipient's inbox, newest first, after `(create_time, id)`.
pub async fn list(
    pool: &PgPool,
    recipient: &str,
    unread_only: bool,
    after: Option<(Timestamp, Uuid)>,
    limit: u32,
) -> Result<Vec<ItemRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT message_id, kind, subject, body, create_time, read_time FROM inbox_items
         WHERE recipient = $1 AND (NOT $2 OR read_time IS NULL)
           AND ($3::timestamptz IS NULL OR (create_time, message_id) < ($3, $4))
         ORDER BY create_time DESC, message_id DESC LIMIT $5",
    )
    .bind(recipient)
    .bind(unread_only)
    .bind(after.map(|(t, _)| t.to_sqlx()))
    .bind(after.map(|(_, id)| id))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ItemRow {
                message_id: row.try_get("message_id")?,
                kind: row.try_get("kind")?,
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
                create_time: ts(row.try_get("create_time")?),
                read_time: ts_opt(row.try_get("read_time")?),
            })
        })
        .collect()
}

/// How many of a recipient's items are unread.
pub async fn unread(pool: &PgPool, recipient: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM inbox_items WHERE recipient = $1 AND read_time IS NULL",
    )
    .bind(recipient)
    .fetch_one(pool)
    .await?)
}

/// Marks these unread items of `recipient` read; returns how many.
pub async fn mark_read(
    pool: &PgPool,
    recipient: &str,
    messages: &[Uuid],
    now: Timestamp,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE inbox_items SET read_time = $3
         WHERE recipient = $1 AND message_id = ANY($2) AND read_time IS NULL",
    )
    .bind(recipient)
    .bind(messages)
    .bind(now.to_sqlx())
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
