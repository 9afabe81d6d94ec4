//! Notes and customer-visible messages on a complaint, with attachments by
//! reference (a URI, a media type, a checksum), never the bytes.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{StoreError, ts};

/// Who may see a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Staff only.
    Internal,
    /// A message to the customer.
    Customer,
}

impl Visibility {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Visibility::Internal => "internal",
            Visibility::Customer => "customer",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "internal" => Some(Visibility::Internal),
            "customer" => Some(Visibility::Customer),
            _ => None,
        }
    }
}

/// A file by reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// `https://` or `s3://` URI.
    pub uri: String,
    /// Media type.
    pub media_type: String,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Size in bytes, or 0 when unknown.
    pub size_bytes: i64,
    /// The file's name, or empty.
    pub file_name: String,
}

/// A note as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// UUIDv7.
    pub id: Uuid,
    /// The complaint.
    pub complaint_id: Uuid,
    /// Who wrote it.
    pub author: String,
    /// Who may see it.
    pub visibility: Visibility,
    /// The text.
    pub body: String,
    /// Files by reference.
    pub attachments: Vec<Attachment>,
    /// The assist it belongs to, if any.
    pub assist_id: Option<Uuid>,
    /// When.
    pub create_time: Timestamp,
}

/// Inserts a note.
pub async fn insert(conn: &mut PgConnection, note: &Note) -> Result<(), StoreError> {
    let attachments = serde_json::to_value(&note.attachments)
        .map_err(|e| StoreError::Corrupt(format!("attachments: {e}")))?;
    sqlx::query(
        "INSERT INTO complaint_notes
             (id, complaint_id, author, visibility, body, attachments, assist_id, create_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(note.id)
    .bind(note.complaint_id)
    .bind(&note.author)
    .bind(note.visibility.code())
    .bind(&note.body)
    .bind(attachments)
    .bind(note.assist_id)
    .bind(note.create_time.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// A page of a complaint's notes after `after` (time, id), oldest first.
pub async fn list(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    after: Option<(Timestamp, Uuid)>,
    limit: u32,
) -> Result<Vec<Note>, StoreError> {
    type Row = (
        Uuid,
        String,
        String,
        String,
        serde_json::Value,
        Option<Uuid>,
        jiff_sqlx::Timestamp,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, author, visibility, body, attachments, assist_id, create_time
         FROM complaint_notes
         WHERE complaint_id = $1 AND ($2::timestamptz IS NULL OR (create_time, id) > ($2, $3))
         ORDER BY create_time, id LIMIT $4",
    )
    .bind(complaint_id)
    .bind(after.map(|(t, _)| t.to_sqlx()))
    .bind(after.map(|(_, id)| id))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(
            |(id, author, visibility, body, attachments, assist_id, at)| {
                Ok(Note {
                    id,
                    complaint_id,
                    author,
                    visibility: Visibility::from_code(&visibility).ok_or_else(|| {
                        StoreError::Corrupt(format!("unknown visibility {visibility:?}"))
                    })?,
                    body,
                    attachments: serde_json::from_value(attachments)
                        .map_err(|e| StoreError::Corrupt(format!("attachments: {e}")))?,
                    assist_id,
                    create_time: ts(at),
                })
            },
        )
        .collect()
}

/// When the customer was sent messages on complaint `id`, oldest first.
pub async fn customer_update_times(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<Timestamp>, StoreError> {
    let rows: Vec<jiff_sqlx::Timestamp> = sqlx::query_scalar(
        "SELECT create_time FROM complaint_notes
         WHERE complaint_id = $1 AND visibility = 'customer' ORDER BY create_time",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(ts).collect())
}
