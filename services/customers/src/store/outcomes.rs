//! What became of customers after a moment of their own (a complaint's
//! closure, say): the first purchase or renewal within a window after it,
//! whether they entered the churned stage since, and their stage and grade
//! now. One query for a whole batch, answered in the order asked.

use jiff::{SignedDuration, Timestamp};
use jiff_sqlx::ToSqlx;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::codes::Code;
use super::{StoreError, ts, ts_opt};
use crate::domain::grading::ValueGrade;
use crate::domain::lifecycle::LifecycleStage;

/// One customer's outcome after `since`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The customer.
    pub customer_id: Uuid,
    /// The moment asked about.
    pub since: Timestamp,
    /// The first purchase or renewal in `(since, since + within]`.
    pub return_time: Option<Timestamp>,
    /// Whether the customer entered the churned stage after `since`.
    pub churned_since: bool,
    /// The stage now.
    pub stage: LifecycleStage,
    /// The grade now.
    pub grade: ValueGrade,
}

/// The outcomes of `queries` (customer, moment), in their order; `Err` names
/// the first customer that does not exist.
pub async fn outcomes(
    conn: &mut PgConnection,
    queries: &[(Uuid, Timestamp)],
    within: SignedDuration,
) -> Result<Result<Vec<Outcome>, Uuid>, StoreError> {
    let ids: Vec<Uuid> = queries.iter().map(|(id, _)| *id).collect();
    let since: Vec<jiff_sqlx::Timestamp> = queries.iter().map(|(_, t)| t.to_sqlx()).collect();
    let rows = sqlx::query(
        "SELECT q.customer_id, q.since, c.id IS NOT NULL AS found,
                c.lifecycle_stage, c.value_grade,
                (SELECT min(t.occur_time) FROM transactions t
                  WHERE t.customer_id = q.customer_id
                    AND t.kind IN ('purchase', 'renewal')
                    AND t.occur_time > q.since
                    AND t.occur_time <= q.since + make_interval(secs => $3)) AS return_time,
                EXISTS (SELECT 1 FROM customer_states s
                         WHERE s.customer_id = q.customer_id
                           AND s.stage = 'churned' AND s.at > q.since) AS churned_since
         FROM unnest($1::uuid[], $2::timestamptz[]) WITH ORDINALITY AS q (customer_id, since, ord)
         LEFT JOIN customers c ON c.id = q.customer_id
         ORDER BY q.ord",
    )
    .bind(&ids)
    .bind(&since)
    .bind(within.as_secs_f64())
    .fetch_all(&mut *conn)
    .await?;
    let mut answers = Vec::with_capacity(rows.len());
    for row in rows {
        let customer_id: Uuid = row.try_get("customer_id")?;
        if !row.try_get::<bool, _>("found")? {
            return Ok(Err(customer_id));
        }
        answers.push(Outcome {
            customer_id,
            since: ts(row.try_get("since")?),
            return_time: ts_opt(row.try_get("return_time")?),
            churned_since: row.try_get("churned_since")?,
            stage: LifecycleStage::from_code(row.try_get("lifecycle_stage")?)?,
            grade: ValueGrade::from_code(row.try_get("value_grade")?)?,
        });
    }
    Ok(Ok(answers))
}

/// Satisfaction answers summed over a period.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tally {
    /// How many answers.
    pub answers: i64,
    /// How many customers answered.
    pub customers: i64,
    /// The sum of their ratios.
    pub ratio_sum: f64,
}

/// The answers of `customers` in `[start, split)` and in `[split, end)`.
pub async fn satisfaction_tally(
    conn: &mut PgConnection,
    customers: &[Uuid],
    start: Timestamp,
    split: Timestamp,
    end: Timestamp,
) -> Result<[Tally; 2], StoreError> {
    let rows = sqlx::query(
        "SELECT answer_time >= $3 AS after, count(*) AS answers, \
                count(DISTINCT customer_id) AS customers, COALESCE(sum(ratio), 0) AS ratio_sum \
         FROM satisfaction_records \
         WHERE customer_id = ANY($1) AND answer_time >= $2 AND answer_time < $4 \
         GROUP BY 1",
    )
    .bind(customers)
    .bind(start.to_sqlx())
    .bind(split.to_sqlx())
    .bind(end.to_sqlx())
    .fetch_all(&mut *conn)
    .await?;
    let mut tallies = [Tally::default(); 2];
    for row in rows {
        let after: bool = row.try_get("after")?;
        tallies[usize::from(after)] = Tally {
            answers: row.try_get("answers")?,
            customers: row.try_get("customers")?,
            ratio_sum: row.try_get("ratio_sum")?,
        };
    }
    Ok(tallies)
}
