//! The team scope (`domain::scope`) as SQL: one condition over a row of
//! `complaints`, so that lists and batch reads are filtered before paging and
//! a single complaint can be checked in the transaction that reads or locks
//! it. The condition takes three parameters, rendered by [`params`]: whether
//! the scope is everything, the viewer's subject, and the viewer's team.

use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreError;
use crate::domain::scope::Scope;

/// The scope condition over the current row of `complaints` (unaliased),
/// with its three parameters at the given placeholders: whether everything
/// is seen (`bool`), the viewer's subject (`text`), the viewer's team
/// (`text`, NULL for none). Mirrors the rules of `domain::scope` one line
/// each; never NULL (a comparison with no team is false, not unknown).
#[rustfmt::skip]
macro_rules! visible {
    ($everything:literal, $subject:literal, $team:literal) => {
        concat!(
            "coalesce(", $everything, "::bool
              OR complaints.owner_team = ", $team, "::text
              OR complaints.owner = ", $subject, "::text
              OR ", $subject, "::text = ANY(complaints.watchers)
              OR EXISTS (SELECT 1 FROM hand_offs h
                          WHERE h.complaint_id = complaints.id AND h.state = 'pending'
                            AND (h.to_agent = ", $subject, "::text
                                 OR h.to_team = ", $team, "::text))
              OR EXISTS (SELECT 1 FROM assists a
                          WHERE a.complaint_id = complaints.id
                            AND (a.agent = ", $subject, "::text
                                 OR a.department = ", $team, "::text))
              OR complaints.owner_team IN (SELECT t.id FROM teams t
                                            WHERE t.supervisor = ", $subject, "::text)
              OR complaints.owner_team IN (SELECT t.id FROM teams t
                                            WHERE t.department <> ''
                                              AND t.department IN (
                                                  SELECT d.department FROM teams d
                                                   WHERE d.department_head = ", $subject, "::text)),
              false)"
        )
    };
}
pub(crate) use visible;

/// The three parameters of [`visible!`] for `scope`, in order.
pub fn params(scope: &Scope) -> (bool, &str, Option<&str>) {
    match scope.viewer() {
        None => (true, "", None),
        Some(viewer) => (false, viewer.subject.as_str(), viewer.team.as_deref()),
    }
}

/// Whether complaint `id` is inside `scope`; `false` also when it does not
/// exist.
pub async fn admits(conn: &mut PgConnection, id: Uuid, scope: &Scope) -> Result<bool, StoreError> {
    if scope.is_everything() {
        return Ok(true);
    }
    let (everything, subject, team) = params(scope);
    let seen: Option<bool> = sqlx::query_scalar(concat!(
        "SELECT ",
        visible!("$2", "$3", "$4"),
        " FROM complaints WHERE id = $1"
    ))
    .bind(id)
    .bind(everything)
    .bind(subject)
    .bind(team)
    .fetch_optional(conn)
    .await?;
    Ok(seen.unwrap_or(false))
}

/// Those of `ids` inside `scope`.
pub async fn admitted(
    conn: &mut PgConnection,
    ids: &[Uuid],
    scope: &Scope,
) -> Result<Vec<Uuid>, StoreError> {
    let (everything, subject, team) = params(scope);
    Ok(sqlx::query_scalar(concat!(
        "SELECT id FROM complaints WHERE id = ANY($1) AND ",
        visible!("$2", "$3", "$4")
    ))
    .bind(ids)
    .bind(everything)
    .bind(subject)
    .bind(team)
    .fetch_all(conn)
    .await?)
}
