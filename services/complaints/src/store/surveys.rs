//! Satisfaction survey invitations and their answers. The invitation's
//! token is never stored, only its SHA-256; the answer columns are written
//! once, by the update that moves an invitation from `invited` to
//! `answered`.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{StoreError, code, ts, ts_opt};
use crate::domain::survey::{Answer, Stored, WouldReturn};

/// A survey as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    /// UUIDv7.
    pub id: Uuid,
    /// The complaint it follows.
    pub complaint_id: Uuid,
    /// Invited, answered or withdrawn.
    pub stored: Stored,
    /// When it was made.
    pub invite_time: Timestamp,
    /// When it lapses unless answered.
    pub expire_time: Timestamp,
    /// When a reopening withdrew it.
    pub withdraw_time: Option<Timestamp>,
    /// The answer, exactly when answered.
    pub answer: Option<Answer>,
    /// When it was answered.
    pub answer_time: Option<Timestamp>,
    /// Who recorded the answer.
    pub recorded_by: String,
}

type Row = (
    Uuid,
    Uuid,
    String,
    jiff_sqlx::Timestamp,
    jiff_sqlx::Timestamp,
    Option<jiff_sqlx::Timestamp>,
    Option<i16>,
    Option<f64>,
    Option<f64>,
    Option<String>,
    String,
    Option<jiff_sqlx::Timestamp>,
    String,
);

fn from_row(row: Row) -> Result<Survey, StoreError> {
    let (
        id,
        complaint_id,
        state,
        invite,
        expire,
        withdraw,
        csat,
        value,
        expectation,
        ret,
        comment,
        answer_time,
        recorded_by,
    ) = row;
    let stored = code(&state, "survey state", Stored::from_code)?;
    let answer = match (csat, value, expectation, ret) {
        (Some(csat), Some(perceived_value), Some(expectation), Some(would_return)) => {
            Some(Answer {
                csat: u8::try_from(csat)
                    .map_err(|_| StoreError::Corrupt(format!("survey csat {csat}")))?,
                perceived_value,
                expectation,
                would_return: code(&would_return, "would_return", WouldReturn::from_code)?,
                comment,
            })
        }
        _ => None,
    };
    Ok(Survey {
        id,
        complaint_id,
        stored,
        invite_time: ts(invite),
        expire_time: ts(expire),
        withdraw_time: ts_opt(withdraw),
        answer,
        answer_time: ts_opt(answer_time),
        recorded_by,
    })
}

/// Stores a new invitation of complaint `complaint_id` under the token's
/// SHA-256.
pub async fn invite(
    conn: &mut PgConnection,
    id: Uuid,
    complaint_id: Uuid,
    token_sha256: &[u8],
    invite_time: Timestamp,
    expire_time: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO complaint_surveys
             (id, complaint_id, token_sha256, state, invite_time, expire_time)
         VALUES ($1, $2, $3, 'invited', $4, $5)",
    )
    .bind(id)
    .bind(complaint_id)
    .bind(token_sha256)
    .bind(invite_time.to_sqlx())
    .bind(expire_time.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// Withdraws complaint `complaint_id`'s invitations still open at `now`;
/// returns their ids.
pub async fn withdraw_open(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    now: Timestamp,
) -> Result<Vec<Uuid>, StoreError> {
    let ids = sqlx::query_scalar(
        "UPDATE complaint_surveys SET state = 'withdrawn', withdraw_time = $2
         WHERE complaint_id = $1 AND state = 'invited' AND expire_time > $2
         RETURNING id",
    )
    .bind(complaint_id)
    .bind(now.to_sqlx())
    .fetch_all(conn)
    .await?;
    Ok(ids)
}

/// The survey whose token has this SHA-256.
pub async fn by_token(
    conn: &mut PgConnection,
    token_sha256: &[u8],
) -> Result<Option<Survey>, StoreError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, complaint_id, state, invite_time, expire_time, withdraw_time, \
         csat, perceived_value, expectation, would_return, comment, answer_time, recorded_by \
         FROM complaint_surveys WHERE token_sha256 = $1",
    )
    .bind(token_sha256)
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// Survey `id` of complaint `complaint_id`, locked for the transaction.
pub async fn lock(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    id: Uuid,
) -> Result<Option<Survey>, StoreError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, complaint_id, state, invite_time, expire_time, withdraw_time, \
         csat, perceived_value, expectation, would_return, comment, answer_time, recorded_by \
         FROM complaint_surveys WHERE complaint_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(complaint_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// Survey `id` of complaint `complaint_id`.
pub async fn get(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    id: Uuid,
) -> Result<Option<Survey>, StoreError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, complaint_id, state, invite_time, expire_time, withdraw_time, \
         csat, perceived_value, expectation, would_return, comment, answer_time, recorded_by \
         FROM complaint_surveys WHERE complaint_id = $1 AND id = $2",
    )
    .bind(complaint_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// Records the answer of invited survey `id`; `false` when it was not
/// waiting for one (the caller holds it locked, so this is a guard).
pub async fn answer(
    conn: &mut PgConnection,
    id: Uuid,
    answer: &Answer,
    recorded_by: &str,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE complaint_surveys
         SET state = 'answered', csat = $2, perceived_value = $3, expectation = $4,
             would_return = $5, comment = $6, answer_time = $7, recorded_by = $8
         WHERE id = $1 AND state = 'invited'",
    )
    .bind(id)
    .bind(i16::from(answer.csat))
    .bind(answer.perceived_value)
    .bind(answer.expectation)
    .bind(answer.would_return.code())
    .bind(&answer.comment)
    .bind(at.to_sqlx())
    .bind(recorded_by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A page of complaint `complaint_id`'s surveys after `after` (invite time,
/// id), oldest first.
pub async fn list(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    after: Option<(Timestamp, Uuid)>,
    limit: u32,
) -> Result<Vec<Survey>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, complaint_id, state, invite_time, expire_time, withdraw_time, \
         csat, perceived_value, expectation, would_return, comment, answer_time, recorded_by \
         FROM complaint_surveys
         WHERE complaint_id = $1 AND ($2::timestamptz IS NULL OR (invite_time, id) > ($2, $3))
         ORDER BY invite_time, id LIMIT $4",
    )
    .bind(complaint_id)
    .bind(after.map(|(t, _)| t.to_sqlx()))
    .bind(after.map(|(_, id)| id))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}
