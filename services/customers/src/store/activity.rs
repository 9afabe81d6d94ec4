//! Transactions, interactions and satisfaction records in SQL: append-only
//! logs hanging off a customer.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::codes::Code;
use super::{StoreError, ts};
use crate::domain::activity::{Direction, NewInteraction, NewTransaction};
use crate::domain::profile::Channel;
use crate::domain::satisfaction::{Answer, SatisfactionPolicy, Summary};

/// Appends a transaction and moves the customer's last transaction time.
pub async fn insert_transaction(
    conn: &mut PgConnection,
    customer_id: Uuid,
    id: Uuid,
    transaction: &NewTransaction,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO transactions
             (id, customer_id, kind, currency, amount_minor, occur_time, external_reference, create_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(customer_id)
    .bind(transaction.kind.code())
    .bind(transaction.amount.as_ref().map(|m| m.currency.as_str()))
    .bind(transaction.amount.as_ref().map(|m| m.minor))
    .bind(transaction.occur_time.to_sqlx())
    .bind(&transaction.external_reference)
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE customers SET last_transaction_time =
             greatest(coalesce(last_transaction_time, $2), $2), update_time = $3,
             version = version + 1
         WHERE id = $1",
    )
    .bind(customer_id)
    .bind(transaction.occur_time.to_sqlx())
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends an interaction.
pub async fn insert_interaction(
    conn: &mut PgConnection,
    customer_id: Uuid,
    id: Uuid,
    interaction: &NewInteraction,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO interactions
             (id, customer_id, channel, direction, summary, agent, occur_time, related_complaint, create_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(customer_id)
    .bind(interaction.channel.code())
    .bind(interaction.direction.code())
    .bind(&interaction.summary)
    .bind(&interaction.agent)
    .bind(interaction.occur_time.to_sqlx())
    .bind(interaction.related_complaint.as_deref())
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An interaction as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionRecord {
    /// Id.
    pub id: Uuid,
    /// The contact.
    pub interaction: NewInteraction,
    /// Recorded.
    pub create_time: Timestamp,
}

/// A page of a customer's interactions, newest first, after `after`
/// (occur time and id of the last one seen).
pub async fn list_interactions(
    conn: &mut PgConnection,
    customer_id: Uuid,
    after: Option<(Timestamp, Uuid)>,
    limit: u32,
) -> Result<Vec<InteractionRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, channel, direction, summary, agent, occur_time, related_complaint, create_time
         FROM interactions
         WHERE customer_id = $1
           AND ($2::timestamptz IS NULL OR (occur_time, id) < ($2, $3))
         ORDER BY occur_time DESC, id DESC LIMIT $4",
    )
    .bind(customer_id)
    .bind(after.map(|(t, _)| t.to_sqlx()))
    .bind(after.map(|(_, id)| id))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(InteractionRecord {
                id: row.try_get("id")?,
                interaction: NewInteraction {
                    channel: Channel::from_code(row.try_get("channel")?)?,
                    direction: Direction::from_code(row.try_get("direction")?)?,
                    summary: row.try_get("summary")?,
                    agent: row.try_get("agent")?,
                    occur_time: ts(row.try_get("occur_time")?),
                    related_complaint: row.try_get("related_complaint")?,
                },
                create_time: ts(row.try_get("create_time")?),
            })
        })
        .collect()
}

/// A satisfaction answer to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSatisfaction {
    /// The answer.
    pub answer: Answer,
    /// The complaint it followed.
    pub related_complaint: Option<String>,
    /// When the customer answered.
    pub answer_time: Timestamp,
}

/// Appends an answer and brings the customer's satisfaction figures up to
/// date. Returns the new summary.
pub async fn insert_satisfaction(
    conn: &mut PgConnection,
    customer_id: Uuid,
    id: Uuid,
    record: &NewSatisfaction,
    policy: &SatisfactionPolicy,
    now: Timestamp,
) -> Result<(Summary, Timestamp), StoreError> {
    sqlx::query(
        "INSERT INTO satisfaction_records
             (id, customer_id, perceived_value, expectation, ratio, related_complaint, answer_time, create_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(customer_id)
    .bind(record.answer.perceived_value)
    .bind(record.answer.expectation)
    .bind(record.answer.ratio())
    .bind(record.related_complaint.as_deref())
    .bind(record.answer_time.to_sqlx())
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    let window = i64::from(policy.trend_window.max(1)) * 2;
    let rows = sqlx::query(
        "SELECT ratio, answer_time, count(*) OVER () AS total FROM satisfaction_records
         WHERE customer_id = $1 ORDER BY answer_time DESC, id DESC LIMIT $2",
    )
    .bind(customer_id)
    .bind(window)
    .fetch_all(&mut *conn)
    .await?;
    let ratios: Vec<f64> = rows
        .iter()
        .map(|r| r.try_get::<f64, _>("ratio"))
        .collect::<Result<_, _>>()?;
    let total: i64 = match rows.first() {
        Some(row) => row.try_get("total")?,
        None => 0,
    };
    // The newest answer by answer time, which may be older than this one.
    let latest = match rows.first() {
        Some(row) => ts(row.try_get("answer_time")?),
        None => record.answer_time,
    };
    let summary = policy
        .summarise(&ratios, total)
        .ok_or_else(|| StoreError::Corrupt("no satisfaction records after insert".into()))?;
    sqlx::query(
        "UPDATE customers SET satisfaction_count = $2, satisfaction_current = $3,
             satisfaction_recent = $4, satisfaction_previous = $5, satisfaction_trend = $6,
             satisfaction_time = $7, update_time = $8, version = version + 1
         WHERE id = $1",
    )
    .bind(customer_id)
    .bind(summary.record_count as i32)
    .bind(summary.current_ratio)
    .bind(summary.recent_mean_ratio)
    .bind(summary.previous_mean_ratio)
    .bind(summary.trend.code())
    .bind(latest.to_sqlx())
    .bind(now.to_sqlx())
    .execute(&mut *conn)
    .await?;
    Ok((summary, latest))
}
