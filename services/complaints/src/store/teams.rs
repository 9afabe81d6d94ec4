//! The escalation structure: teams, their supervisors and departments.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::{StoreError, ts};

/// A team.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    /// The `team` claim of its members.
    pub id: String,
    /// What it is called.
    pub display_name: String,
    /// The supervisor's subject, or empty.
    pub supervisor: String,
    /// The department, or empty.
    pub department: String,
    /// The department head's subject, or empty.
    pub department_head: String,
    /// Bumped by every change.
    pub version: i64,
    /// Created.
    pub create_time: Timestamp,
    /// Last changed.
    pub update_time: Timestamp,
}

impl Team {
    /// The etag of this version.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}

fn from_row(row: &PgRow) -> Result<Team, StoreError> {
    Ok(Team {
        id: row.try_get("id")?,
        display_name: row.try_get("display_name")?,
        supervisor: row.try_get("supervisor")?,
        department: row.try_get("department")?,
        department_head: row.try_get("department_head")?,
        version: row.try_get("version")?,
        create_time: ts(row.try_get("create_time")?),
        update_time: ts(row.try_get("update_time")?),
    })
}

macro_rules! select_teams {
    ($rest:literal) => {
        concat!(
            "SELECT id, display_name, supervisor, department, department_head, version,
        create_time, update_time FROM teams ",
            $rest
        )
    };
}

/// Inserts a team (version 1).
pub async fn insert(conn: &mut PgConnection, team: &Team) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO teams (id, display_name, supervisor, department, department_head, version,
             create_time, update_time)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
    )
    .bind(&team.id)
    .bind(&team.display_name)
    .bind(&team.supervisor)
    .bind(&team.department)
    .bind(&team.department_head)
    .bind(team.create_time.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces a team's fields and bumps its version; returns the new version
/// and the update time as stored.
pub async fn update(conn: &mut PgConnection, team: &Team) -> Result<(i64, Timestamp), StoreError> {
    let (version, update_time): (i64, jiff_sqlx::Timestamp) = sqlx::query_as(
        "UPDATE teams SET display_name = $2, supervisor = $3, department = $4,
             department_head = $5, update_time = $6, version = version + 1
         WHERE id = $1
         RETURNING version, update_time",
    )
    .bind(&team.id)
    .bind(&team.display_name)
    .bind(&team.supervisor)
    .bind(&team.department)
    .bind(&team.department_head)
    .bind(team.update_time.to_sqlx())
    .fetch_one(conn)
    .await?;
    Ok((version, ts(update_time)))
}

/// One team.
pub async fn get(conn: &mut PgConnection, id: &str) -> Result<Option<Team>, StoreError> {
    sqlx::query(select_teams!("WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// One team, locked.
pub async fn lock(conn: &mut PgConnection, id: &str) -> Result<Option<Team>, StoreError> {
    sqlx::query(select_teams!("WHERE id = $1 FOR UPDATE"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A page of teams after `after`, by id.
pub async fn list(
    conn: &mut PgConnection,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<Team>, StoreError> {
    let rows = sqlx::query(select_teams!(
        "WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}
