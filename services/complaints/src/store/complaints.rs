//! Complaint rows: insert, read (one, many, by reference, pages, a work
//! queue), lock for a change, and write back whole.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::scope::visible;
use super::{StoreError, code, optional_code, ts, ts_opt};
use crate::domain::complaint::{Channel, Complaint, Description, EscalationReached, Motive};
use crate::domain::lifecycle::Kind;
use crate::domain::priority::{Grade, Priority, Severity};
use crate::domain::scope::Scope;
use crate::domain::state::State;

macro_rules! select_complaints {
    ($($rest:expr),+ $(,)?) => {
        concat!(
            "SELECT id, reference, customer_id, channel, kind, summary, description, product,
    region, category, requested_remedy, motive, severity, safety, language, escalation_reached,
    priority, customer_grade, state, merged_from_state, merged_into, owner, owner_team, watchers,
    transfer_count, reopen_count, resolution, create_time, acknowledge_time, first_response_time,
    resolve_time, close_time, update_time, version, sla_due_time FROM complaints ",
            $($rest),+
        )
    };
}

fn from_row(row: &PgRow) -> Result<Complaint, StoreError> {
    let merged_from: Option<String> = row.try_get("merged_from_state")?;
    Ok(Complaint {
        id: row.try_get("id")?,
        reference: row.try_get("reference")?,
        customer_id: row.try_get("customer_id")?,
        channel: code(row.try_get("channel")?, "channel", Channel::from_code)?,
        description: Description {
            kind: code(row.try_get("kind")?, "kind", Kind::from_code)?,
            summary: row.try_get("summary")?,
            description: row.try_get("description")?,
            product: row.try_get("product")?,
            region: row.try_get("region")?,
            category: row.try_get("category")?,
            requested_remedy: row.try_get("requested_remedy")?,
            motive: optional_code(row.try_get("motive")?, "motive", Motive::from_code)?,
            severity: code(row.try_get("severity")?, "severity", Severity::from_code)?,
            safety: row.try_get("safety")?,
            language: row.try_get("language")?,
            escalation_reached: optional_code(
                row.try_get("escalation_reached")?,
                "escalation",
                EscalationReached::from_code,
            )?,
        },
        priority: code(row.try_get("priority")?, "priority", Priority::from_code)?,
        customer_grade: code(row.try_get("customer_grade")?, "grade", Grade::from_code)?,
        state: code(row.try_get("state")?, "state", State::from_code)?,
        merged_from: merged_from
            .as_deref()
            .map(|s| code(s, "state", State::from_code))
            .transpose()?,
        merged_into: row.try_get("merged_into")?,
        owner: row.try_get("owner")?,
        owner_team: row.try_get("owner_team")?,
        watchers: row.try_get("watchers")?,
        transfer_count: row.try_get("transfer_count")?,
        reopen_count: row.try_get("reopen_count")?,
        resolution: row.try_get("resolution")?,
        create_time: ts(row.try_get("create_time")?),
        acknowledge_time: ts_opt(row.try_get("acknowledge_time")?),
        first_response_time: ts_opt(row.try_get("first_response_time")?),
        resolve_time: ts_opt(row.try_get("resolve_time")?),
        close_time: ts_opt(row.try_get("close_time")?),
        update_time: ts(row.try_get("update_time")?),
        version: row.try_get("version")?,
    })
}

fn from_rows(rows: Vec<PgRow>) -> Result<Vec<Complaint>, StoreError> {
    rows.iter().map(from_row).collect()
}

/// The next reference number (never reused; may leave gaps).
pub async fn next_reference_number(conn: &mut PgConnection) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT nextval('complaint_reference_numbers')")
            .fetch_one(conn)
            .await?,
    )
}

/// Inserts a new complaint (version 1).
pub async fn insert(conn: &mut PgConnection, c: &Complaint) -> Result<(), StoreError> {
    let d = &c.description;
    sqlx::query(
        "INSERT INTO complaints (id, reference, customer_id, channel, kind, summary, description,
             product, region, category, requested_remedy, motive, severity, safety, language,
             escalation_reached, priority, customer_grade, state, owner, owner_team, watchers,
             create_time, update_time, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21, $22, $23, $23, 1)",
    )
    .bind(c.id)
    .bind(&c.reference)
    .bind(c.customer_id)
    .bind(c.channel.code())
    .bind(d.kind.code())
    .bind(&d.summary)
    .bind(&d.description)
    .bind(&d.product)
    .bind(&d.region)
    .bind(&d.category)
    .bind(&d.requested_remedy)
    .bind(d.motive.map(Motive::code).unwrap_or_default())
    .bind(d.severity.code())
    .bind(d.safety)
    .bind(&d.language)
    .bind(
        d.escalation_reached
            .map(EscalationReached::code)
            .unwrap_or_default(),
    )
    .bind(c.priority.code())
    .bind(c.customer_grade.code())
    .bind(c.state.code())
    .bind(&c.owner)
    .bind(&c.owner_team)
    .bind(&c.watchers)
    .bind(c.create_time.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes back every changeable field of `c`, bumping its version; `c` was
/// read with [`lock`] in the same transaction. Returns the new version.
pub async fn save(conn: &mut PgConnection, c: &Complaint) -> Result<i64, StoreError> {
    let d = &c.description;
    Ok(sqlx::query_scalar(
        "UPDATE complaints SET kind = $2, summary = $3, description = $4, product = $5,
             region = $6, category = $7, requested_remedy = $8, motive = $9, severity = $10,
             safety = $11, language = $12, escalation_reached = $13, priority = $14, state = $15,
             merged_from_state = $16, merged_into = $17, owner = $18, owner_team = $19,
             watchers = $20, transfer_count = $21, reopen_count = $22, resolution = $23,
             acknowledge_time = $24, first_response_time = $25, resolve_time = $26,
             close_time = $27, update_time = $28, version = version + 1
         WHERE id = $1
         RETURNING version",
    )
    .bind(c.id)
    .bind(d.kind.code())
    .bind(&d.summary)
    .bind(&d.description)
    .bind(&d.product)
    .bind(&d.region)
    .bind(&d.category)
    .bind(&d.requested_remedy)
    .bind(d.motive.map(Motive::code).unwrap_or_default())
    .bind(d.severity.code())
    .bind(d.safety)
    .bind(&d.language)
    .bind(
        d.escalation_reached
            .map(EscalationReached::code)
            .unwrap_or_default(),
    )
    .bind(c.priority.code())
    .bind(c.state.code())
    .bind(c.merged_from.map(State::code))
    .bind(c.merged_into)
    .bind(&c.owner)
    .bind(&c.owner_team)
    .bind(&c.watchers)
    .bind(c.transfer_count)
    .bind(c.reopen_count)
    .bind(&c.resolution)
    .bind(c.acknowledge_time.map(|t| t.to_sqlx()))
    .bind(c.first_response_time.map(|t| t.to_sqlx()))
    .bind(c.resolve_time.map(|t| t.to_sqlx()))
    .bind(c.close_time.map(|t| t.to_sqlx()))
    .bind(c.update_time.to_sqlx())
    .fetch_one(conn)
    .await?)
}

/// One complaint.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Complaint>, StoreError> {
    sqlx::query(select_complaints!("WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// One complaint by its reference.
pub async fn get_by_reference(
    conn: &mut PgConnection,
    reference: &str,
) -> Result<Option<Complaint>, StoreError> {
    sqlx::query(select_complaints!("WHERE reference = $1"))
        .bind(reference)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// One complaint, locked until the transaction ends; `None` also when
/// another transaction holds it (for background work that comes back
/// later).
pub async fn try_lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<Complaint>, StoreError> {
    sqlx::query(select_complaints!("WHERE id = $1 FOR UPDATE SKIP LOCKED"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// One complaint, locked until the transaction ends.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<Complaint>, StoreError> {
    sqlx::query(select_complaints!("WHERE id = $1 FOR UPDATE"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The complaints with these ids, in no particular order.
pub async fn get_many(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Complaint>, StoreError> {
    let rows = sqlx::query(select_complaints!("WHERE id = ANY($1)"))
        .bind(ids)
        .fetch_all(conn)
        .await?;
    from_rows(rows)
}

/// Which SLA condition a list filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaCondition {
    /// A running clock is past due.
    Overdue,
    /// A running clock is past its warning but not due.
    AtRisk,
    /// Either.
    OverdueOrAtRisk,
}

/// Filters of a complaint list; `None` and empty match everything.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Owner.
    pub owner: Option<String>,
    /// Owner's team id.
    pub team: Option<String>,
    /// States.
    pub states: Vec<State>,
    /// Category path; matches it and below.
    pub category: Option<String>,
    /// Severities.
    pub severities: Vec<Severity>,
    /// Customer.
    pub customer: Option<Uuid>,
    /// SLA condition, judged at `now`.
    pub sla: Option<SlaCondition>,
    /// Created at or after.
    pub created_from: Option<Timestamp>,
    /// Created before.
    pub created_before: Option<Timestamp>,
}

/// A keyset position: newest first by (create_time, id).
pub type ListCursor = (Timestamp, Uuid);

/// A page of complaints after `after`, newest first.
pub async fn list(
    conn: &mut PgConnection,
    filter: &ListFilter,
    scope: &Scope,
    now: Timestamp,
    after: Option<ListCursor>,
    limit: u32,
) -> Result<Vec<Complaint>, StoreError> {
    let states: Vec<&str> = filter.states.iter().map(|s| s.code()).collect();
    let severities: Vec<&str> = filter.severities.iter().map(|s| s.code()).collect();
    let sla = filter.sla.map(|c| match c {
        SlaCondition::Overdue => "overdue",
        SlaCondition::AtRisk => "at_risk",
        SlaCondition::OverdueOrAtRisk => "either",
    });
    let (everything, subject, team) = super::scope::params(scope);
    let rows = sqlx::query(select_complaints!(
        "WHERE ($1::timestamptz IS NULL OR (create_time, id) < ($1, $2))
           AND ($3::text IS NULL OR owner = $3)
           AND ($4::text IS NULL OR owner_team = $4)
           AND (cardinality($5::text[]) = 0 OR state = ANY($5))
           AND ($6::text IS NULL OR category = $6 OR category LIKE $6 || '/%')
           AND (cardinality($7::text[]) = 0 OR severity = ANY($7))
           AND ($8::uuid IS NULL OR customer_id = $8)
           AND ($9::text IS NULL
                OR ($9 = 'overdue' AND sla_due_time <= $10)
                OR ($9 = 'at_risk' AND sla_warn_time <= $10 AND sla_due_time > $10)
                OR ($9 = 'either' AND sla_warn_time <= $10))
           AND ($11::timestamptz IS NULL OR create_time >= $11)
           AND ($12::timestamptz IS NULL OR create_time < $12)
           AND ",
        visible!("$14", "$15", "$16"),
        " ORDER BY create_time DESC, id DESC LIMIT $13"
    ))
    .bind(after.map(|(t, _)| t.to_sqlx()))
    .bind(after.map(|(_, id)| id))
    .bind(filter.owner.as_deref())
    .bind(filter.team.as_deref())
    .bind(&states)
    .bind(filter.category.as_deref())
    .bind(&severities)
    .bind(filter.customer)
    .bind(sla)
    .bind(now.to_sqlx())
    .bind(filter.created_from.map(|t| t.to_sqlx()))
    .bind(filter.created_before.map(|t| t.to_sqlx()))
    .bind(i64::from(limit))
    .bind(everything)
    .bind(subject)
    .bind(team)
    .fetch_all(conn)
    .await?;
    from_rows(rows)
}

/// A position in a work queue: (due time or none, priority, id).
pub type WorkCursor = (Option<Timestamp>, String, Uuid);

/// A page of `owner`'s open complaints: the earliest SLA due time first,
/// those without one last; then by priority and id.
pub async fn work_queue(
    conn: &mut PgConnection,
    owner: &str,
    after: Option<&WorkCursor>,
    limit: u32,
) -> Result<Vec<(Complaint, Option<Timestamp>)>, StoreError> {
    // Rows with a due time sort before rows without (NULLS LAST); the
    // cursor compares within the same group, then moves to the next.
    let rows = sqlx::query(select_complaints!(
        "WHERE owner = $1 AND state NOT IN ('resolved', 'closed', 'merged')
           AND (NOT $2
                OR ($3::timestamptz IS NOT NULL
                    AND (sla_due_time IS NULL OR (sla_due_time, priority, id) > ($3, $4, $5)))
                OR ($3::timestamptz IS NULL
                    AND sla_due_time IS NULL AND (priority, id) > ($4, $5)))
         ORDER BY sla_due_time ASC NULLS LAST, priority, id LIMIT $6"
    ))
    .bind(owner)
    .bind(after.is_some())
    .bind(after.and_then(|(due, _, _)| due.map(|t| t.to_sqlx())))
    .bind(after.map(|(_, priority, _)| priority.as_str()))
    .bind(after.map(|(_, _, id)| *id))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok((from_row(row)?, ts_opt(row.try_get("sla_due_time")?))))
        .collect()
}

/// Sets the summary of the running clocks kept on the complaint row.
pub async fn set_sla_summary(
    conn: &mut PgConnection,
    id: Uuid,
    due: Option<Timestamp>,
    warn: Option<Timestamp>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE complaints SET sla_due_time = $2, sla_warn_time = $3 WHERE id = $1")
        .bind(id)
        .bind(due.map(|t| t.to_sqlx()))
        .bind(warn.map(|t| t.to_sqlx()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Appends the state a complaint entered to its state history.
pub async fn push_state(
    conn: &mut PgConnection,
    id: Uuid,
    state: State,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO complaint_states (complaint_id, seq, state, enter_time)
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3 FROM complaint_states WHERE complaint_id = $1",
    )
    .bind(id)
    .bind(state.code())
    .bind(at.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// The states a complaint entered, oldest first.
pub async fn state_history(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<(Timestamp, State)>, StoreError> {
    let rows: Vec<(jiff_sqlx::Timestamp, String)> = sqlx::query_as(
        "SELECT enter_time, state FROM complaint_states WHERE complaint_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(at, state)| Ok((ts(at), code(&state, "state", State::from_code)?)))
        .collect()
}
