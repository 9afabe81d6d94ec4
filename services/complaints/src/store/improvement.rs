//! Improvement actions in SQL: insert, read (one, pages by filter, the
//! lessons of those done), lock for a change, write back, and link
//! complaints (a link made twice is one link).

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::{StoreError, code, ts, ts_opt};
use crate::domain::improvement::{ImprovementAction, Status};

macro_rules! select_actions {
    ($rest:literal) => {
        concat!(
            "SELECT a.id, a.title, a.description, a.owner, a.due_time, a.status, a.lesson,
    a.creator, a.version, a.create_time, a.update_time, a.done_time,
    ARRAY(SELECT l.complaint_id FROM improvement_action_links l WHERE l.action_id = a.id
          ORDER BY l.link_time, l.complaint_id) AS complaints
    FROM improvement_actions a ",
            $rest
        )
    };
}

fn from_row(row: &PgRow) -> Result<ImprovementAction, StoreError> {
    Ok(ImprovementAction {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        owner: row.try_get("owner")?,
        due_time: ts(row.try_get("due_time")?),
        status: code(row.try_get("status")?, "action status", Status::from_code)?,
        lesson: row.try_get("lesson")?,
        creator: row.try_get("creator")?,
        complaints: row.try_get("complaints")?,
        version: row.try_get("version")?,
        create_time: ts(row.try_get("create_time")?),
        update_time: ts(row.try_get("update_time")?),
        done_time: ts_opt(row.try_get("done_time")?),
    })
}

/// Inserts an action (version 1), without its links.
pub async fn insert(conn: &mut PgConnection, a: &ImprovementAction) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO improvement_actions (id, title, description, owner, due_time, status, lesson,
             creator, version, create_time, update_time, done_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10)",
    )
    .bind(a.id)
    .bind(&a.title)
    .bind(&a.description)
    .bind(&a.owner)
    .bind(a.due_time.to_sqlx())
    .bind(a.status.code())
    .bind(&a.lesson)
    .bind(&a.creator)
    .bind(a.create_time.to_sqlx())
    .bind(a.done_time.map(ToSqlx::to_sqlx))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes an action's fields back and bumps its version; returns the new
/// version.
pub async fn update(conn: &mut PgConnection, a: &ImprovementAction) -> Result<i64, StoreError> {
    let version: i64 = sqlx::query_scalar(
        "UPDATE improvement_actions SET title = $2, description = $3, owner = $4, due_time = $5,
             status = $6, lesson = $7, update_time = $8, done_time = $9, version = version + 1
         WHERE id = $1 RETURNING version",
    )
    .bind(a.id)
    .bind(&a.title)
    .bind(&a.description)
    .bind(&a.owner)
    .bind(a.due_time.to_sqlx())
    .bind(a.status.code())
    .bind(&a.lesson)
    .bind(a.update_time.to_sqlx())
    .bind(a.done_time.map(ToSqlx::to_sqlx))
    .fetch_one(conn)
    .await?;
    Ok(version)
}

/// Links complaints `ids` to action `id`; returns those newly linked, in
/// the order given.
pub async fn link(
    conn: &mut PgConnection,
    id: Uuid,
    ids: &[Uuid],
    actor: &str,
    now: Timestamp,
) -> Result<Vec<Uuid>, StoreError> {
    let mut linked = Vec::new();
    for &complaint in ids {
        let inserted = sqlx::query(
            "INSERT INTO improvement_action_links (action_id, complaint_id, actor, link_time)
             VALUES ($1, $2, $3, $4) ON CONFLICT (action_id, complaint_id) DO NOTHING",
        )
        .bind(id)
        .bind(complaint)
        .bind(actor)
        .bind(now.to_sqlx())
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 1 {
            linked.push(complaint);
        }
    }
    Ok(linked)
}

/// One action.
pub async fn get(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ImprovementAction>, StoreError> {
    sqlx::query(select_actions!("WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// One action, locked for a change.
pub async fn lock(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ImprovementAction>, StoreError> {
    sqlx::query(select_actions!("WHERE a.id = $1 FOR UPDATE OF a"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// What a list of actions keeps.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this owner.
    pub owner: Option<String>,
    /// Only those linked to this complaint.
    pub complaint: Option<Uuid>,
}

/// A page of actions matching `filter`, newest first, after `after`
/// (create time, id).
pub async fn list(
    conn: &mut PgConnection,
    filter: &Filter,
    after: Option<(Timestamp, Uuid)>,
    limit: u32,
) -> Result<Vec<ImprovementAction>, StoreError> {
    let rows = sqlx::query(select_actions!(
        "WHERE ($1::text IS NULL OR a.status = $1)
           AND ($2::text IS NULL OR a.owner = $2)
           AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM improvement_action_links k
                                            WHERE k.action_id = a.id AND k.complaint_id = $3))
           AND ($4::timestamptz IS NULL OR (a.create_time, a.id) < ($4, $5))
         ORDER BY a.create_time DESC, a.id DESC LIMIT $6"
    ))
    .bind(filter.status.map(Status::code))
    .bind(filter.owner.as_deref())
    .bind(filter.complaint)
    .bind(after.map(|(t, _)| t.to_sqlx()))
    .bind(after.map(|(_, id)| id))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// A page of done actions, most recently done first, after `after` (done
/// time, id).
pub async fn lessons(
    conn: &mut PgConnection,
    after: Option<(Timestamp, Uuid)>,
    limit: u32,
) -> Result<Vec<ImprovementAction>, StoreError> {
    let rows = sqlx::query(select_actions!(
        "WHERE a.status = 'done'
           AND ($1::timestamptz IS NULL OR (a.done_time, a.id) < ($1, $2))
         ORDER BY a.done_time DESC, a.id DESC LIMIT $3"
    ))
    .bind(after.map(|(t, _)| t.to_sqlx()))
    .bind(after.map(|(_, id)| id))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}
