//! A crisis's team in SQL: who holds which role. The rules (one commander,
//! one spokesperson, the commander never leaves alone) are kept by the
//! handlers under the crisis row's lock, with unique indexes as the last
//! word.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreError;

/// One role held by one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Their subject.
    pub subject: String,
    /// The role code.
    pub role: String,
    /// Their department.
    pub department: String,
    /// Their duties.
    pub duties: String,
    /// When they took the role.
    pub assign_time: Timestamp,
}

/// The team, commander first, then by when each role was given.
pub async fn list(conn: &mut PgConnection, crisis: Uuid) -> Result<Vec<Member>, StoreError> {
    let rows: Vec<(String, String, String, String, jiff_sqlx::Timestamp)> = sqlx::query_as(
        "SELECT subject, role, department, duties, assign_time FROM team_members \
         WHERE crisis_id = $1 ORDER BY role <> 'commander', assign_time, subject, role",
    )
    .bind(crisis)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(subject, role, department, duties, t)| Member {
            subject,
            role,
            department,
            duties,
            assign_time: super::ts(t),
        })
        .collect())
}

/// Who holds a single role (commander, spokesperson), if anyone.
pub async fn holder(
    conn: &mut PgConnection,
    crisis: Uuid,
    role: &str,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT subject FROM team_members WHERE crisis_id = $1 AND role = $2 LIMIT 1",
    )
    .bind(crisis)
    .bind(role)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Whether `subject` holds any role on the crisis's team.
pub async fn is_member(
    conn: &mut PgConnection,
    crisis: Uuid,
    subject: &str,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM team_members WHERE crisis_id = $1 AND subject = $2)",
    )
    .bind(crisis)
    .bind(subject)
    .fetch_one(&mut *conn)
    .await?)
}

/// Gives `role` to `subject` (or rewrites their department and duties in
/// it when they hold it already).
pub async fn put(conn: &mut PgConnection, crisis: Uuid, member: &Member) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO team_members (crisis_id, subject, role, department, duties, assign_time) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (crisis_id, subject, role) DO UPDATE \
         SET department = EXCLUDED.department, duties = EXCLUDED.duties",
    )
    .bind(crisis)
    .bind(&member.subject)
    .bind(&member.role)
    .bind(&member.department)
    .bind(&member.duties)
    .bind(member.assign_time.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Keeps `subject` on the team as a plain member of `department` (when
/// not one already).
pub async fn keep_as_member(
    conn: &mut PgConnection,
    crisis: Uuid,
    subject: &str,
    department: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO team_members (crisis_id, subject, role, department, duties, assign_time) \
         VALUES ($1, $2, 'member', $3, '', $4) \
         ON CONFLICT (crisis_id, subject, role) DO NOTHING",
    )
    .bind(crisis)
    .bind(subject)
    .bind(department)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Takes `role` from `holder`; returns the department they held it in.
pub async fn take_role(
    conn: &mut PgConnection,
    crisis: Uuid,
    role: &str,
    holder: &str,
) -> Result<String, StoreError> {
    Ok(sqlx::query_scalar(
        "DELETE FROM team_members WHERE crisis_id = $1 AND role = $2 AND subject = $3 \
         RETURNING department",
    )
    .bind(crisis)
    .bind(role)
    .bind(holder)
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or_default())
}

/// Takes `subject` off the team in `role`, or in every role when `None`;
/// returns the role codes they left.
pub async fn remove(
    conn: &mut PgConnection,
    crisis: Uuid,
    subject: &str,
    role: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "DELETE FROM team_members WHERE crisis_id = $1 AND subject = $2 \
         AND ($3::text IS NULL OR role = $3) RETURNING role",
    )
    .bind(crisis)
    .bind(subject)
    .bind(role)
    .fetch_all(&mut *conn)
    .await?)
}

/// The roles `subject` holds.
pub async fn roles_of(
    conn: &mut PgConnection,
    crisis: Uuid,
    subject: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT role FROM team_members WHERE crisis_id = $1 AND subject = $2")
            .bind(crisis)
            .bind(subject)
            .fetch_all(&mut *conn)
            .await?,
    )
}
