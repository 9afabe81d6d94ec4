//! Keeping each customer's value grade and lifecycle stage current.
//!
//! After a transaction, and whenever a customer's `next_review_time` comes
//! (time alone can make a customer decline or churn), the facts are read from
//! the transactions, the domain policies decide, and any change is written to
//! the customer and appended to `customer_states`, the history the churn
//! report reads. The sweep claims due customers with `FOR UPDATE SKIP
//! LOCKED`, so any number of replicas can run it.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

use super::codes::Code;
use super::{StoreError, ts_opt};
use crate::domain::grading::{GradingPolicy, PurchaseFacts, ValueGrade};
use crate::domain::lifecycle::{LifecyclePolicy, LifecycleStage, StageFacts};
use crate::domain::profile::Size;

/// The policies that decide a customer's standing.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    /// Value grade.
    pub grading: GradingPolicy,
    /// Lifecycle stage.
    pub lifecycle: LifecyclePolicy,
}

/// Appends a history row: from `at` on, the customer had this standing.
pub async fn append_state(
    conn: &mut PgConnection,
    id: Uuid,
    at: Timestamp,
    stage: LifecycleStage,
    grade: ValueGrade,
    size: Option<Size>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO customer_states (customer_id, at, stage, grade, size)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(at.to_sqlx())
    .bind(stage.code())
    .bind(grade.code())
    .bind(size.map(Code::code))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Reads what the policies decide from.
async fn facts(
    conn: &mut PgConnection,
    id: Uuid,
    now: Timestamp,
    policies: &Policies,
) -> Result<(PurchaseFacts, StageFacts), StoreError> {
    let row = sqlx::query(
        "SELECT
           min(occur_time) FILTER (WHERE kind <> 'contract_end') AS first_purchase,
           max(occur_time) FILTER (WHERE kind <> 'contract_end') AS last_purchase,
           max(occur_time) FILTER (WHERE kind = 'contract_end') AS last_contract_end,
           count(*) FILTER (WHERE kind <> 'contract_end'
                            AND occur_time > $2 - make_interval(days => $3)) AS recent,
           count(*) FILTER (WHERE kind <> 'contract_end'
                            AND occur_time <= $2 - make_interval(days => $3)
                            AND occur_time > $2 - make_interval(days => 2 * $3)) AS earlier,
           count(*) FILTER (WHERE kind <> 'contract_end'
                            AND occur_time > $2 - interval '365 days') AS last_year,
           count(*) FILTER (WHERE kind <> 'contract_end'
                            AND occur_time > $2 - make_interval(days => $4)) AS in_window
         FROM transactions WHERE customer_id = $1 AND occur_time <= $2",
    )
    .bind(id)
    .bind(now.to_sqlx())
    .bind(policies.lifecycle.trend_days as i32)
    .bind(policies.grading.window_days as i32)
    .fetch_one(&mut *conn)
    .await?;
    let amounts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT currency, sum(amount_minor)::bigint FROM transactions
         WHERE customer_id = $1 AND kind <> 'contract_end' AND currency IS NOT NULL
           AND occur_time <= $2 AND occur_time > $2 - make_interval(days => $3)
         GROUP BY currency",
    )
    .bind(id)
    .bind(now.to_sqlx())
    .bind(policies.grading.window_days as i32)
    .fetch_all(&mut *conn)
    .await?;
    let last_purchase = ts_opt(row.try_get("last_purchase")?);
    Ok((
        PurchaseFacts {
            count_in_window: row.try_get("in_window")?,
            amount_in_window: amounts,
            last_purchase,
        },
        StageFacts {
            first_purchase: ts_opt(row.try_get("first_purchase")?),
            last_purchase,
            last_contract_end: ts_opt(row.try_get("last_contract_end")?),
            recent_purchases: row.try_get("recent")?,
            earlier_purchases: row.try_get("earlier")?,
            purchases_last_year: row.try_get("last_year")?,
            previous: None,
            reactivated_at: None,
        },
    ))
}

/// Re-decides a locked customer's grade and stage at `now`, writes changes
/// and the next review time, and appends history when anything changed.
/// Returns whether the standing changed.
pub async fn refresh(
    conn: &mut PgConnection,
    id: Uuid,
    now: Timestamp,
    policies: &Policies,
) -> Result<bool, StoreError> {
    let current = sqlx::query(
        "SELECT lifecycle_stage, value_grade, reactivated_time, size, erase_time
         FROM customers WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let stage_before = LifecycleStage::from_code(current.try_get("lifecycle_stage")?)?;
    let grade_before = ValueGrade::from_code(current.try_get("value_grade")?)?;
    let size = super::codes::optional::<Size>(current.try_get("size")?)?;
    let (purchases, mut stage_facts) = facts(conn, id, now, policies).await?;
    stage_facts.previous = Some(stage_before);
    stage_facts.reactivated_at = ts_opt(current.try_get("reactivated_time")?);

    let grade = policies.grading.grade(&purchases, now);
    let decision = policies.lifecycle.decide(&stage_facts, size, now);
    let next_review = policies
        .lifecycle
        .next_review(&stage_facts, &decision, size, now);
    sqlx::query(
        "UPDATE customers SET value_grade = $2, lifecycle_stage = $3, reactivated_time = $4,
             next_review_time = $5,
             version = version + CASE WHEN value_grade <> $2 OR lifecycle_stage <> $3 THEN 1 ELSE 0 END
         WHERE id = $1",
    )
    .bind(id)
    .bind(grade.code())
    .bind(decision.stage.code())
    .bind(decision.reactivated_at.map(|t| t.to_sqlx()))
    .bind(next_review.map(|t| t.to_sqlx()))
    .execute(&mut *conn)
    .await?;
    let changed = grade != grade_before || decision.stage != stage_before;
    if changed {
        let at = if decision.stage == LifecycleStage::Churned
            && stage_before != LifecycleStage::Churned
        {
            policies.lifecycle.churned_at(&stage_facts, size, now)
        } else {
            now
        };
        append_state(conn, id, at, decision.stage, grade, size).await?;
    }
    Ok(changed)
}

/// Re-decides up to `batch` customers whose review time has come, each in
/// its own transaction. Returns how many were looked at; call again while it
/// returns `batch`.
pub async fn sweep(
    pool: &PgPool,
    now: Timestamp,
    policies: &Policies,
    batch: u32,
) -> Result<usize, StoreError> {
    let mut done = 0;
    while done < batch as usize {
        let mut tx = pool.begin().await?;
        let due: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM customers WHERE next_review_time <= $1
             ORDER BY next_review_time LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .bind(now.to_sqlx())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = due else {
            break;
        };
        refresh(&mut tx, id, now, policies).await?;
        tx.commit().await?;
        done += 1;
    }
    Ok(done)
}
