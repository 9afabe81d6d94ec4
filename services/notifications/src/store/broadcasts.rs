//! Broadcasts: created with their audience, claimed for expansion under a
//! lease, counted by state.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Row as _};
use uuid::Uuid;

use super::{StoreError, ts, ts_opt};

/// Who a broadcast goes to, as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum AudienceRow {
    /// Listed customers (in `broadcast_audience`).
    Customers,
    /// A selector, encoded as `redress.customers.v1.CustomerSelector`.
    Selector(Vec<u8>),
    /// Customers added by the creator before starting it (in
    /// `broadcast_audience`, some marked first).
    Assembled,
}

/// A broadcast as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastRow {
    /// Its id.
    pub id: Uuid,
    /// The kind.
    pub kind: String,
    /// The category.
    pub category: String,
    /// Critical.
    pub critical: bool,
    /// Variables (a JSON object of strings).
    pub variables: Value,
    /// Channel codes asked for.
    pub channels: Vec<String>,
    /// The audience.
    pub audience: AudienceRow,
    /// `assembling`, `expanding`, `queued` or `cancelled`.
    pub state: String,
    /// Members listed or added (0 for a selector).
    pub member_count: i64,
    /// Messages queued so far.
    pub queued_count: i64,
    /// Who created it.
    pub created_by: String,
    /// Created.
    pub create_time: Timestamp,
    /// Expanded.
    pub expand_time: Option<Timestamp>,
}

const COLUMNS: &str =
    "id, kind, category, critical, variables, channels, audience, selector, state,
    member_count, queued_count, created_by, create_time, expand_time";

fn row_of(row: &sqlx::postgres::PgRow) -> Result<BroadcastRow, StoreError> {
    let audience: String = row.try_get("audience")?;
    let audience = match audience.as_str() {
        "customers" => AudienceRow::Customers,
        "assembled" => AudienceRow::Assembled,
        "selector" => AudienceRow::Selector(
            row.try_get::<Option<Vec<u8>>, _>("selector")?
                .unwrap_or_default(),
        ),
        other => return Err(StoreError::Corrupt(format!("unknown audience {other:?}"))),
    };
    Ok(BroadcastRow {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        category: row.try_get("category")?,
        critical: row.try_get("critical")?,
        variables: row.try_get("variables")?,
        channels: row.try_get("channels")?,
        audience,
        state: row.try_get("state")?,
        member_count: row.try_get("member_count")?,
        queued_count: row.try_get("queued_count")?,
        created_by: row.try_get("created_by")?,
        create_time: ts(row.try_get("create_time")?),
        expand_time: ts_opt(row.try_get("expand_time")?),
    })
}

/// Saves a new broadcast with its listed members (all distinct, as many as
/// `b.member_count`): assembling when its audience is assembled, else
/// expanding.
pub async fn create(
    conn: &mut PgConnection,
    b: &BroadcastRow,
    members: &[String],
) -> Result<(), StoreError> {
    let (audience, selector) = match &b.audience {
        AudienceRow::Customers => ("customers", None),
        AudienceRow::Selector(bytes) => ("selector", Some(bytes.clone())),
        AudienceRow::Assembled => ("assembled", None),
    };
    sqlx::query(
        "INSERT INTO broadcasts (id, kind, category, critical, variables, channels, audience,
                                 selector, state, member_count, created_by, create_time,
                                 update_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(b.id)
    .bind(&b.kind)
    .bind(&b.category)
    .bind(b.critical)
    .bind(&b.variables)
    .bind(&b.channels)
    .bind(audience)
    .bind(selector)
    .bind(&b.state)
    .bind(b.member_count)
    .bind(&b.created_by)
    .bind(b.create_time.to_sqlx())
    .execute(&mut *conn)
    .await?;
    for chunk in members.chunks(10_000) {
        sqlx::query(
            "INSERT INTO broadcast_audience (broadcast_id, recipient)
             SELECT $1, r FROM unnest($2::text[]) AS r ON CONFLICT DO NOTHING",
        )
        .bind(b.id)
        .bind(chunk)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// One broadcast.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<BroadcastRow>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM broadcasts WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(row_of).transpose()
}

/// Claims one expanding broadcast whose claim is free or lapsed, until
/// `claim_until`.
pub async fn claim_expanding(
    pool: &PgPool,
    now: Timestamp,
    claim_until: Timestamp,
) -> Result<Option<BroadcastRow>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE broadcasts SET claim_until = $2
         WHERE id = (SELECT id FROM broadcasts
                     WHERE state = 'expanding' AND (claim_until IS NULL OR claim_until <= $1)
                     ORDER BY create_time LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING {COLUMNS}"
    )))
    .bind(now.to_sqlx())
    .bind(claim_until.to_sqlx())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(row_of).transpose()
}

/// Extends an expansion's claim; false when the broadcast is no longer
/// expanding (cancelled).
pub async fn renew(
    conn: &mut PgConnection,
    id: Uuid,
    claim_until: Timestamp,
    queued: u64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE broadcasts SET claim_until = $2, queued_count = queued_count + $3
         WHERE id = $1 AND state = 'expanding'",
    )
    .bind(id)
    .bind(claim_until.to_sqlx())
    .bind(i64::try_from(queued).unwrap_or(i64::MAX))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Why members cannot be added to, or a start given to, a broadcast.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// No such broadcast.
    Unknown,
    /// It is no longer assembling (it is in this state).
    NotAssembling(String),
    /// A start without any member.
    Empty,
}

/// Locks a broadcast for a change to its assembly: `None` when it is
/// assembling, else why it cannot change.
async fn lock_assembling(conn: &mut PgConnection, id: Uuid) -> Result<Option<Refusal>, StoreError> {
    let state: Option<String> =
        sqlx::query_scalar("SELECT state FROM broadcasts WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(match state {
        None => Some(Refusal::Unknown),
        Some(state) if state != "assembling" => Some(Refusal::NotAssembling(state)),
        Some(_) => None,
    })
}

/// Adds distinct `names` to an assembling broadcast; a member already there
/// is kept once, and becomes first if `first`. (Members new to it, members
/// in all.)
pub async fn add_members(
    conn: &mut PgConnection,
    id: Uuid,
    names: &[String],
    first: bool,
    now: Timestamp,
) -> Result<Result<(u64, i64), Refusal>, StoreError> {
    if let Some(refusal) = lock_assembling(&mut *conn, id).await? {
        return Ok(Err(refusal));
    }
    // `xmax = 0` tells a fresh row from one the conflict clause updated.
    let inserted: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO broadcast_audience (broadcast_id, recipient, first)
         SELECT $1, r, $3 FROM unnest($2::text[]) AS r
         ON CONFLICT (broadcast_id, recipient) DO UPDATE SET first = true
             WHERE EXCLUDED.first AND NOT broadcast_audience.first
         RETURNING xmax = 0",
    )
    .bind(id)
    .bind(names)
    .bind(first)
    .fetch_all(&mut *conn)
    .await?;
    let added = inserted.iter().filter(|fresh| **fresh).count() as u64;
    let total: i64 = sqlx::query_scalar(
        "UPDATE broadcasts SET member_count = member_count + $2, update_time = $3
         WHERE id = $1 RETURNING member_count",
    )
    .bind(id)
    .bind(i64::try_from(added).unwrap_or(i64::MAX))
    .bind(now.to_sqlx())
    .fetch_one(conn)
    .await?;
    Ok(Ok((added, total)))
}

/// Starts an assembling broadcast with at least one member: it expands.
/// Without members nothing changes.
pub async fn start(
    conn: &mut PgConnection,
    id: Uuid,
    now: Timestamp,
) -> Result<Result<BroadcastRow, Refusal>, StoreError> {
    if let Some(refusal) = lock_assembling(&mut *conn, id).await? {
        return Ok(Err(refusal));
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE broadcasts SET state = 'expanding', update_time = $2
         WHERE id = $1 AND member_count > 0 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(now.to_sqlx())
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => Ok(Ok(row_of(&row)?)),
        None => Ok(Err(Refusal::Empty)),
    }
}

/// A page of a listed or assembled audience's members in one tier (`first`
/// or not), after `after`.
pub async fn members(
    pool: &PgPool,
    id: Uuid,
    first: bool,
    after: &str,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT recipient FROM broadcast_audience
         WHERE broadcast_id = $1 AND first = $2 AND recipient > $3
         ORDER BY recipient LIMIT $4",
    )
    .bind(id)
    .bind(first)
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?)
}

/// Marks a broadcast fully expanded, with its exact count.
pub async fn expanded(pool: &PgPool, id: Uuid, now: Timestamp) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE broadcasts SET state = 'queued', expand_time = $2, claim_until = NULL, update_time = $2,
             queued_count = (SELECT count(*) FROM messages WHERE broadcast_id = $1)
         WHERE id = $1 AND state = 'expanding'",
    )
    .bind(id)
    .bind(now.to_sqlx())
    .execute(pool)
    .await?;
    Ok(())
}

/// Cancels a broadcast and its unsent messages: the broadcast as it is
/// now and how many messages were cancelled; `None` when unknown.
pub async fn cancel(
    conn: &mut PgConnection,
    id: Uuid,
    now: Timestamp,
) -> Result<Option<(BroadcastRow, u64)>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE broadcasts SET state = 'cancelled', claim_until = NULL, update_time = $2
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(now.to_sqlx())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let done = sqlx::query(
        "UPDATE messages SET state = 'cancelled', state_reason = 'BROADCAST_CANCELLED',
                due_time = NULL, update_time = $2
         WHERE broadcast_id = $1 AND state IN ('queued', 'held')",
    )
    .bind(id)
    .bind(now.to_sqlx())
    .execute(conn)
    .await?;
    Ok(Some((row_of(&row)?, done.rows_affected())))
}

/// A broadcast's messages by state code.
pub async fn progress(pool: &PgPool, id: Uuid) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT state, count(*) AS n FROM messages WHERE broadcast_id = $1 GROUP BY state ORDER BY state",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("state")?, row.try_get("n")?)))
        .collect()
}
