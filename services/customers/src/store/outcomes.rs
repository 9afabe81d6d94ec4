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
