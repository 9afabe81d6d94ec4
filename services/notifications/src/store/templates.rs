//! Templates and their versions.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::{PgConnection, PgPool, Row as _};
use uuid::Uuid;

use super::{StoreError, ts};

/// A template version as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    /// Its id.
    pub id: Uuid,
    /// The kind.
    pub kind: String,
    /// The channel code ('' = any).
    pub channel: String,
    /// The locale ('' = default).
    pub locale: String,
    /// The style code ('' = any).
    pub style: String,
    /// This version.
    pub version: i32,
    /// Subject source.
    pub subject: String,
    /// Body source.
    pub body: String,
    /// Declared variables.
    pub variables: Vec<String>,
    /// Created.
    pub create_time: Timestamp,
    /// This version saved.
    pub update_time: Timestamp,
}

fn row_of(row: &sqlx::postgres::PgRow) -> Result<TemplateRow, StoreError> {
    Ok(TemplateRow {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        channel: row.try_get("channel")?,
        locale: row.try_get("locale")?,
        style: row.try_get("style")?,
        version: row.try_get("version")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        variables: row.try_get("variables")?,
        create_time: ts(row.try_get("create_time")?),
        update_time: ts(row.try_get("update_time")?),
    })
}

const COLUMNS: &str =
    "id, kind, channel, locale, style, version, subject, body, variables, create_time, update_time";

/// Saves a new template, version 1. `Ok(None)` when one exists for the same
/// kind, channel, locale and style.
pub async fn create(
    conn: &mut PgConnection,
    t: &TemplateRow,
) -> Result<Option<TemplateRow>, StoreError> {
    let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO templates ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $9)
         ON CONFLICT (kind, channel, locale, style) DO NOTHING RETURNING {COLUMNS}"
    )))
    .bind(t.id)
    .bind(&t.kind)
    .bind(&t.channel)
    .bind(&t.locale)
    .bind(&t.style)
    .bind(&t.subject)
    .bind(&t.body)
    .bind(&t.variables)
    .bind(t.create_time.to_sqlx())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = inserted else { return Ok(None) };
    let saved = row_of(&row)?;
    record_version(conn, &saved).await?;
    Ok(Some(saved))
}

async fn record_version(conn: &mut PgConnection, t: &TemplateRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO template_versions (template_id, version, subject, body, variables, create_time)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(t.id)
    .bind(t.version)
    .bind(&t.subject)
    .bind(&t.body)
    .bind(&t.variables)
    .bind(t.update_time.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// A template's current version, locked for update when `lock`.
pub async fn get(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<TemplateRow>, StoreError> {
    let sql = if lock {
        format!("SELECT {COLUMNS} FROM templates WHERE id = $1 FOR UPDATE")
    } else {
        format!("SELECT {COLUMNS} FROM templates WHERE id = $1")
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(row_of).transpose()
}

/// One version of a template.
pub async fn get_version(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
) -> Result<Option<TemplateRow>, StoreError> {
    let row = sqlx::query(
        "SELECT t.id, t.kind, t.channel, t.locale, t.style, v.version, v.subject, v.body,
                v.variables, t.create_time, v.create_time AS update_time
         FROM templates t JOIN template_versions v ON v.template_id = t.id
         WHERE t.id = $1 AND v.version = $2",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(row_of).transpose()
}

/// Saves the next version of `t` (whose `version` is the new number).
pub async fn update(conn: &mut PgConnection, t: &TemplateRow) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE templates SET version = $2, subject = $3, body = $4, variables = $5, update_time = $6
         WHERE id = $1",
    )
    .bind(t.id)
    .bind(t.version)
    .bind(&t.subject)
    .bind(&t.body)
    .bind(&t.variables)
    .bind(t.update_time.to_sqlx())
    .execute(&mut *conn)
    .await?;
    record_version(conn, t).await
}

/// A page of current templates ordered by (kind, channel, locale, style, id).
pub async fn list(
    pool: &PgPool,
    kind: Option<&str>,
    after: Option<&[String; 5]>,
    limit: u32,
) -> Result<Vec<TemplateRow>, StoreError> {
    let (k, c, l, s, id) = match after {
        Some([k, c, l, s, id]) => (Some(k), Some(c), Some(l), Some(s), Uuid::parse_str(id).ok()),
        None => (None, None, None, None, None),
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM templates
         WHERE ($1::text IS NULL OR kind = $1)
           AND ($2::text IS NULL OR (kind, channel, locale, style, id) > ($2, $3, $4, $5, $6))
         ORDER BY kind, channel, locale, style, id LIMIT $7"
    )))
    .bind(kind)
    .bind(k)
    .bind(c)
    .bind(l)
    .bind(s)
    .bind(id)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(row_of).collect()
}

/// Every current template of these kinds, for choosing by fallback.
pub async fn of_kinds(pool: &PgPool, kinds: &[String]) -> Result<Vec<TemplateRow>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM templates WHERE kind = ANY($1)"
    )))
    .bind(kinds)
    .fetch_all(pool)
    .await?;
    rows.iter().map(row_of).collect()
}
