//! The crisis row as every area needs it: its head (state, priority, type,
//! drill), read or locked for a change. The crises area owns the rest of
//! the row (declaration, assessment, team, measures). The crises not closed
//! are counted here for the metrics.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{StoreError, code};
use crate::domain::crisis::{CrisisState, Priority};

/// What every change to a crisis checks and announces.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Head {
    /// The crisis's id.
    pub id: Uuid,
    /// Its state code, such as "responding".
    pub state: String,
    /// Its priority code, such as "P1".
    pub priority: String,
    /// Its type code.
    #[sqlx(rename = "crisis_type")]
    pub crisis_type: String,
    /// Whether it is a drill.
    pub drill: bool,
}

impl Head {
    /// The codes its events carry.
    pub fn codes(&self) -> crate::events::CrisisCodes<'_> {
        crate::events::CrisisCodes {
            state: &self.state,
            priority: &self.priority,
            crisis_type: &self.crisis_type,
            drill: self.drill,
        }
    }

    /// Whether it is over.
    pub fn is_closed(&self) -> bool {
        self.state == "closed"
    }
}

/// Locks the crisis row for the rest of the transaction and reads its head;
/// `None` when there is no such crisis.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<Head>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, state, priority, crisis_type, drill FROM crises WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Reads the crisis's head without locking; `None` when there is none.
pub async fn head(conn: &mut PgConnection, id: Uuid) -> Result<Option<Head>, StoreError> {
    Ok(
        sqlx::query_as("SELECT id, state, priority, crisis_type, drill FROM crises WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// The whole crisis row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Crisis {
    /// Its id.
    pub id: Uuid,
    /// The title.
    pub title: String,
    /// The type code.
    pub crisis_type: String,
    /// 1 to 5.
    pub likelihood: i16,
    /// 1 to 5.
    pub impact: i16,
    /// The risk level code.
    pub risk_level: String,
    /// The priority code.
    pub priority: String,
    /// The scope as stored.
    pub scope: serde_json::Value,
    /// Whether it is a drill.
    pub drill: bool,
    /// The state code.
    pub state: String,
    /// The warning it came from.
    pub warning_id: Option<Uuid>,
    /// The complaint it came from.
    pub complaint_id: Option<Uuid>,
    /// Who declared it.
    pub declared_by: String,
    /// The plan template it was given.
    pub plan_template_id: Option<Uuid>,
    /// That template's version.
    pub plan_template_version: Option<i32>,
    /// When commander, communications lead and spokesperson were first all held.
    pub team_formed_time: Option<jiff_sqlx::Timestamp>,
    /// When the first statement was released.
    pub first_statement_time: Option<jiff_sqlx::Timestamp>,
    /// When the last statement was released.
    pub last_statement_time: Option<jiff_sqlx::Timestamp>,
    /// When the last update reminder was raised.
    pub update_reminded_time: Option<jiff_sqlx::Timestamp>,
    /// Heavily affected customers.
    pub heavy_customer_count: i64,
    /// Normally affected customers.
    pub normal_customer_count: i64,
    /// Linked complaints.
    pub complaint_count: i64,
    /// When it was declared.
    pub create_time: jiff_sqlx::Timestamp,
    /// When it last changed.
    pub update_time: jiff_sqlx::Timestamp,
    /// The etag's number.
    pub version: i64,
}

impl Crisis {
    /// Its head.
    pub fn head(&self) -> Head {
        Head {
            id: self.id,
            state: self.state.clone(),
            priority: self.priority.clone(),
            crisis_type: self.crisis_type.clone(),
            drill: self.drill,
        }
    }
}

const COLUMNS: &str = "id, title, crisis_type, likelihood, impact, risk_level, priority, scope, \
    drill, state, warning_id, complaint_id, declared_by, plan_template_id, plan_template_version, \
    team_formed_time, first_statement_time, last_statement_time, update_reminded_time, \
    heavy_customer_count, normal_customer_count, complaint_count, create_time, update_time, version";

/// A crisis to declare.
#[derive(Debug, Clone)]
pub struct NewCrisis<'a> {
    /// Its id.
    pub id: Uuid,
    /// The title.
    pub title: &'a str,
    /// The type code.
    pub crisis_type: &'a str,
    /// 1 to 5.
    pub likelihood: i16,
    /// 1 to 5.
    pub impact: i16,
    /// The risk level code.
    pub risk_level: &'a str,
    /// The priority code.
    pub priority: &'a str,
    /// The scope as stored.
    pub scope: serde_json::Value,
    /// Whether it is a drill.
    pub drill: bool,
    /// The warning it came from.
    pub warning_id: Option<Uuid>,
    /// The complaint it came from.
    pub complaint_id: Option<Uuid>,
    /// Who declared it.
    pub declared_by: &'a str,
    /// The plan template and its version.
    pub plan: Option<(Uuid, i32)>,
    /// When.
    pub now: Timestamp,
}

/// Inserts a declared crisis and its first state.
pub async fn insert(conn: &mut PgConnection, c: &NewCrisis<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO crises (id, title, crisis_type, likelihood, impact, risk_level, priority, \
         scope, drill, state, warning_id, complaint_id, declared_by, plan_template_id, \
         plan_template_version, create_time, update_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'declared', $10, $11, $12, $13, $14, $15, $15)",
    )
    .bind(c.id)
    .bind(c.title)
    .bind(c.crisis_type)
    .bind(c.likelihood)
    .bind(c.impact)
    .bind(c.risk_level)
    .bind(c.priority)
    .bind(&c.scope)
    .bind(c.drill)
    .bind(c.warning_id)
    .bind(c.complaint_id)
    .bind(c.declared_by)
    .bind(c.plan.map(|p| p.0))
    .bind(c.plan.map(|p| p.1))
    .bind(c.now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    enter_state(conn, c.id, "declared", c.now, c.declared_by).await
}

/// Records that the crisis entered `state` at `now`.
pub async fn enter_state(
    conn: &mut PgConnection,
    id: Uuid,
    state: &str,
    now: Timestamp,
    actor: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO crisis_states (crisis_id, sequence, state, enter_time, actor) \
         SELECT $1, COALESCE(MAX(sequence), 0) + 1, $2, $3, $4 FROM crisis_states WHERE crisis_id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(now.to_sqlx())
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Reads the whole crisis; `None` when there is none.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Crisis>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM crises WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Up to `limit` crises newest first, after `(time, id)`, in `states` (all
/// when empty), drills left out when asked.
pub async fn list(
    conn: &mut PgConnection,
    states: &[String],
    exclude_drills: bool,
    after: Option<(Timestamp, Uuid)>,
    limit: i64,
) -> Result<Vec<Crisis>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM crises \
         WHERE (cardinality($1::text[]) = 0 OR state = ANY($1)) \
           AND (NOT $2 OR NOT drill) \
           AND ($3::timestamptz IS NULL OR (create_time, id) < ($3, $4)) \
         ORDER BY create_time DESC, id DESC LIMIT $5"
    )))
    .bind(states)
    .bind(exclude_drills)
    .bind(after.map(|a| a.0.to_sqlx()))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// The assessment and description a change may set.
#[derive(Debug, Clone)]
pub struct Assessment<'a> {
    /// The title.
    pub title: &'a str,
    /// 1 to 5.
    pub likelihood: i16,
    /// 1 to 5.
    pub impact: i16,
    /// The risk level code.
    pub risk_level: &'a str,
    /// The priority code.
    pub priority: &'a str,
    /// The scope as stored.
    pub scope: &'a serde_json::Value,
}

/// Writes a new assessment and bumps the version.
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    a: &Assessment<'_>,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE crises SET title = $2, likelihood = $3, impact = $4, risk_level = $5, \
         priority = $6, scope = $7, update_time = $8, version = version + 1 WHERE id = $1",
    )
    .bind(id)
    .bind(a.title)
    .bind(a.likelihood)
    .bind(a.impact)
    .bind(a.risk_level)
    .bind(a.priority)
    .bind(a.scope)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves the crisis to `state` (with its state row) and bumps the version.
pub async fn set_state(
    conn: &mut PgConnection,
    id: Uuid,
    state: &str,
    now: Timestamp,
    actor: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE crises SET state = $2, update_time = $3, version = version + 1 WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    enter_state(conn, id, state, now, actor).await
}

/// Bumps the version after a change to the crisis's parts (its team).
pub async fn touch(conn: &mut PgConnection, id: Uuid, now: Timestamp) -> Result<(), StoreError> {
    sqlx::query("UPDATE crises SET update_time = $2, version = version + 1 WHERE id = $1")
        .bind(id)
        .bind(now.to_sqlx())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The latest time the crisis entered each state it has been in, and the
/// first time it entered stable.
pub async fn state_times(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<(String, Timestamp, Timestamp)>, StoreError> {
    let rows: Vec<(String, jiff_sqlx::Timestamp, jiff_sqlx::Timestamp)> = sqlx::query_as(
        "SELECT state, MAX(enter_time), MIN(enter_time) FROM crisis_states WHERE crisis_id = $1 \
         GROUP BY state ORDER BY MIN(sequence)",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(s, latest, first)| (s, super::ts(latest), super::ts(first)))
        .collect())
}

/// Marks the team formed at `now` when it was not yet and its commander,
/// communications lead and spokesperson are all named; whether it did.
pub async fn mark_team_formed(
    conn: &mut PgConnection,
    id: Uuid,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE crises SET team_formed_time = $2 WHERE id = $1 AND team_formed_time IS NULL \
         AND (SELECT COUNT(DISTINCT role) FROM team_members WHERE crisis_id = $1 \
              AND role IN ('commander', 'communications_lead', 'spokesperson')) = 3",
    )
    .bind(id)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Links the complaint a crisis was declared from, counts it and records the
/// counts.
pub async fn link_origin_complaint(
    conn: &mut PgConnection,
    id: Uuid,
    complaint: Uuid,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO linked_complaints (crisis_id, complaint_id, source, link_time) \
         VALUES ($1, $2, 'origin', $3)",
    )
    .bind(id)
    .bind(complaint)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE crises SET complaint_count = 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO affected_counts (crisis_id, time, heavy_customer_count, \
         normal_customer_count, complaint_count) VALUES ($1, $2, 0, 0, 1)",
    )
    .bind(id)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A crisis waiting for its next statement update.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AwaitingUpdate {
    /// The crisis.
    pub id: Uuid,
    /// Its priority code.
    pub priority: String,
    /// Its plan template.
    pub plan_template_id: Option<Uuid>,
    /// That template's version.
    pub plan_template_version: Option<i32>,
    /// Its last release.
    pub last_statement_time: jiff_sqlx::Timestamp,
}

/// Crises that are not closed, have released a statement and were not
/// reminded since.
pub async fn awaiting_update(conn: &mut PgConnection) -> Result<Vec<AwaitingUpdate>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, priority, plan_template_id, plan_template_version, last_statement_time \
         FROM crises WHERE state <> 'closed' AND last_statement_time IS NOT NULL \
         AND (update_reminded_time IS NULL OR update_reminded_time < last_statement_time)",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Records that the update reminder for the release at `last_release` was
/// raised; false when another pass did it already or a newer release came.
pub async fn mark_reminded(
    conn: &mut PgConnection,
    id: Uuid,
    last_release: Timestamp,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE crises SET update_reminded_time = $3 WHERE id = $1 AND state <> 'closed' \
         AND last_statement_time = $2 \
         AND (update_reminded_time IS NULL OR update_reminded_time < last_statement_time)",
    )
    .bind(id)
    .bind(last_release.to_sqlx())
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many crises are not closed, per priority, state and whether they
/// are drills; a combination with none is absent.
pub async fn active_now(
    pool: &PgPool,
) -> Result<Vec<(Priority, CrisisState, bool, i64)>, StoreError> {
    let rows: Vec<(String, String, bool, i64)> = sqlx::query_as(
        "SELECT priority, state, drill, count(*) FROM crises
         WHERE state <> 'closed' GROUP BY 1, 2, 3",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(priority, state, drill, count)| {
            Ok((
                code(&priority, "priority", Priority::from_code)?,
                code(&state, "crisis state", CrisisState::from_code)?,
                drill,
                count,
            ))
        })
        .collect()
}
