//! Plan templates in SQL: one per crisis type, each version kept with why
//! it changed. Tasks and cadences are stored as the JSON forms of
//! `domain::plan`.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreError;
use crate::domain::plan::{StoredCadence, StoredPlanTask};

/// A plan template as stored.
#[derive(Debug, Clone)]
pub struct Template {
    /// Its id.
    pub id: Uuid,
    /// The crisis type it is for.
    pub crisis_type: String,
    /// The title.
    pub title: String,
    /// The guidance text.
    pub guidance: String,
    /// The tasks.
    pub tasks: Vec<StoredPlanTask>,
    /// The cadences.
    pub cadences: Vec<StoredCadence>,
    /// The version.
    pub version: i32,
    /// When it was created.
    pub create_time: Timestamp,
    /// When it last changed.
    pub update_time: Timestamp,
}

type Row = (
    Uuid,
    String,
    String,
    String,
    serde_json::Value,
    serde_json::Value,
    i32,
    jiff_sqlx::Timestamp,
    jiff_sqlx::Timestamp,
);

const COLUMNS: &str =
    "id, crisis_type, title, guidance, tasks, cadences, version, create_time, update_time";

fn read(row: Row) -> Result<Template, StoreError> {
    let (id, crisis_type, title, guidance, tasks, cadences, version, create, update) = row;
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("plan template: {e}"));
    Ok(Template {
        id,
        crisis_type,
        title,
        guidance,
        tasks: serde_json::from_value(tasks).map_err(corrupt)?,
        cadences: serde_json::from_value(cadences).map_err(corrupt)?,
        version,
        create_time: super::ts(create),
        update_time: super::ts(update),
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::Corrupt(format!("plan template: {e}")))
}

/// Inserts a new template (version 1) and its first version row. Fails with
/// a unique violation of `plan_templates_crisis_type_key` for a second
/// template of a type.
pub async fn insert(conn: &mut PgConnection, t: &Template, actor: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO plan_templates (id, crisis_type, title, guidance, tasks, cadences, version, \
         create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
    )
    .bind(t.id)
    .bind(&t.crisis_type)
    .bind(&t.title)
    .bind(&t.guidance)
    .bind(json(&t.tasks)?)
    .bind(json(&t.cadences)?)
    .bind(t.create_time.to_sqlx())
    .execute(&mut *conn)
    .await?;
    insert_version(conn, t, "", actor).await
}

async fn insert_version(
    conn: &mut PgConnection,
    t: &Template,
    note: &str,
    actor: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO plan_template_versions (template_id, version, title, guidance, tasks, \
         cadences, change_note, actor, create_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(t.id)
    .bind(t.version)
    .bind(&t.title)
    .bind(&t.guidance)
    .bind(json(&t.tasks)?)
    .bind(json(&t.cadences)?)
    .bind(note)
    .bind(actor)
    .bind(t.update_time.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes `t` (with its version already bumped) and its version row.
pub async fn update(
    conn: &mut PgConnection,
    t: &Template,
    note: &str,
    actor: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE plan_templates SET title = $2, guidance = $3, tasks = $4, cadences = $5, \
         version = $6, update_time = $7 WHERE id = $1",
    )
    .bind(t.id)
    .bind(&t.title)
    .bind(&t.guidance)
    .bind(json(&t.tasks)?)
    .bind(json(&t.cadences)?)
    .bind(t.version)
    .bind(t.update_time.to_sqlx())
    .execute(&mut *conn)
    .await?;
    insert_version(conn, t, note, actor).await
}

/// Reads a template, locking it when `lock`.
pub async fn get(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<Template>, StoreError> {
    let suffix = if lock { " FOR UPDATE" } else { "" };
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM plan_templates WHERE id = $1{suffix}"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(read).transpose()
}

/// The template of a crisis type, if there is one.
pub async fn for_type(
    conn: &mut PgConnection,
    crisis_type: &str,
) -> Result<Option<Template>, StoreError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM plan_templates WHERE crisis_type = $1"
    )))
    .bind(crisis_type)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(read).transpose()
}

/// Up to `limit` templates oldest first after `(time, id)`.
pub async fn list(
    conn: &mut PgConnection,
    after: Option<(Timestamp, Uuid)>,
    limit: i64,
) -> Result<Vec<Template>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM plan_templates \
         WHERE ($1::timestamptz IS NULL OR (create_time, id) > ($1, $2)) \
         ORDER BY create_time, id LIMIT $3"
    )))
    .bind(after.map(|a| a.0.to_sqlx()))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(read).collect()
}

/// The cadences of one version of a template (the version a crisis was
/// given).
pub async fn cadences_of(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
) -> Result<Vec<StoredCadence>, StoreError> {
    let value: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT cadences FROM plan_template_versions WHERE template_id = $1 AND version = $2",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(&mut *conn)
    .await?;
    match value {
        None => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v)
            .map_err(|e| StoreError::Corrupt(format!("plan template cadences: {e}"))),
    }
}
