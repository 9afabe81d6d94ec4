//! The counts behind the insights report, over the complaints created in a
//! period: per bucket and key of each dimension (cut by `date_trunc` in the
//! reader's zone, the rule [`crate::domain::insights::bucket_start`]
//! mirrors), repeat complainers, failure and root causes, survey answers,
//! and the closures whose customers' outcomes the customers service tells.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::{StoreError, ts};
use crate::domain::insights::Interval;

/// A period and how to cut it.
#[derive(Debug, Clone)]
pub struct Period<'a> {
    /// Complaints created at or after.
    pub start: Timestamp,
    /// Complaints created before.
    pub end: Timestamp,
    /// The buckets' length.
    pub interval: Interval,
    /// The IANA zone the buckets are cut in.
    pub zone: &'a str,
}

/// Complaints per (dimension, key, bucket start): `category` (top level),
/// `product` and `region`.
pub async fn series(
    conn: &mut PgConnection,
    period: &Period<'_>,
) -> Result<Vec<(String, String, Timestamp, i64)>, StoreError> {
    let rows = sqlx::query(
        "WITH scope AS (
             SELECT date_trunc($3, create_time, $4) AS bucket,
                    split_part(category, '/', 1) AS category, product, region
             FROM complaints
             WHERE create_time >= $1 AND create_time < $2 AND kind = 'complaint'
         )
         SELECT 'category' AS dimension, category AS key, bucket, count(*) AS n
             FROM scope GROUP BY category, bucket
         UNION ALL SELECT 'product', product, bucket, count(*) FROM scope GROUP BY product, bucket
         UNION ALL SELECT 'region', region, bucket, count(*) FROM scope GROUP BY region, bucket",
    )
    .bind(period.start.to_sqlx())
    .bind(period.end.to_sqlx())
    .bind(period.interval.unit())
    .bind(period.zone)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok((
                row.try_get("dimension")?,
                row.try_get("key")?,
                ts(row.try_get("bucket")?),
                row.try_get("n")?,
            ))
        })
        .collect()
}

/// Complaints per customer in the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Repeats {
    /// Customers with at least one complaint.
    pub customers: i64,
    /// Customers with two or more.
    pub repeat_customers: i64,
    /// Complaints beyond each customer's first.
    pub repeat_complaints: i64,
    /// The customers with the most complaints (two or more), most first,
    /// with their top-level categories, most frequent first.
    pub top: Vec<(Uuid, i64, Vec<String>)>,
}

/// Repeat complainers; at most `top` listed.
pub async fn repeats(
    conn: &mut PgConnection,
    start: Timestamp,
    end: Timestamp,
    top: i64,
) -> Result<Repeats, StoreError> {
    let totals = sqlx::query(
        "WITH per AS (
             SELECT customer_id, count(*) AS n FROM complaints
             WHERE create_time >= $1 AND create_time < $2 AND kind = 'complaint'
             GROUP BY customer_id
         )
         SELECT count(*) AS customers,
                count(*) FILTER (WHERE n > 1) AS repeat_customers,
                coalesce(sum(n - 1), 0)::bigint AS repeat_complaints
         FROM per",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query(
        "WITH per AS (
             SELECT customer_id, split_part(category, '/', 1) AS category, count(*) AS n
             FROM complaints
             WHERE create_time >= $1 AND create_time < $2 AND kind = 'complaint'
             GROUP BY customer_id, 2
         ), ranked AS (
             SELECT customer_id, sum(n)::bigint AS n,
                    array_agg(category ORDER BY n DESC, category) AS categories
             FROM per GROUP BY customer_id HAVING sum(n) > 1
         )
         SELECT customer_id, n, categories FROM ranked
         ORDER BY n DESC, customer_id LIMIT $3",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .bind(top)
    .fetch_all(&mut *conn)
    .await?;
    let top = rows
        .into_iter()
        .map(|row| {
            Ok((
                row.try_get("customer_id")?,
                row.try_get("n")?,
                row.try_get("categories")?,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Repeats {
        customers: totals.try_get("customers")?,
        repeat_customers: totals.try_get("repeat_customers")?,
        repeat_complaints: totals.try_get("repeat_complaints")?,
        top,
    })
}

/// Complaints per top-level category (the failure cause).
pub async fn failure_causes(
    conn: &mut PgConnection,
    start: Timestamp,
    end: Timestamp,
) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT split_part(category, '/', 1), count(*) FROM complaints
         WHERE create_time >= $1 AND create_time < $2 AND kind = 'complaint'
         GROUP BY 1",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .fetch_all(conn)
    .await?)
}

/// Resolved complaints per root-cause category.
pub async fn root_causes(
    conn: &mut PgConnection,
    start: Timestamp,
    end: Timestamp,
) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT p.root_cause, count(*) FROM recovery_plans p
         JOIN complaints c ON c.id = p.complaint_id
         WHERE c.create_time >= $1 AND c.create_time < $2 AND p.root_cause <> ''
         GROUP BY 1",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .fetch_all(conn)
    .await?)
}

/// A closed complaint of the period: its customer, when it closed, and the
/// customer's grade when they complained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    /// The customer.
    pub customer_id: Uuid,
    /// When the complaint was last closed.
    pub close_time: Timestamp,
    /// The grade code at intake.
    pub grade: String,
}

/// The complaints of the period that are closed now, oldest closure first.
pub async fn closures(
    conn: &mut PgConnection,
    start: Timestamp,
    end: Timestamp,
) -> Result<Vec<Closure>, StoreError> {
    let rows = sqlx::query(
        "SELECT customer_id, close_time, customer_grade FROM complaints
         WHERE create_time >= $1 AND create_time < $2 AND kind = 'complaint'
           AND state = 'closed'
         ORDER BY close_time, id",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Closure {
                customer_id: row.try_get("customer_id")?,
                close_time: ts(row.try_get("close_time")?),
                grade: row.try_get("customer_grade")?,
            })
        })
        .collect()
}

/// The first complaint of each customer in the period, with the customer's
/// grade then: the moment churn after a complaint is measured from.
pub async fn first_complaints(
    conn: &mut PgConnection,
    start: Timestamp,
    end: Timestamp,
) -> Result<BTreeMap<Uuid, (Timestamp, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT ON (customer_id) customer_id, create_time, customer_grade
         FROM complaints
         WHERE create_time >= $1 AND create_time < $2 AND kind = 'complaint'
         ORDER BY customer_id, create_time, id",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok((
                row.try_get("customer_id")?,
                (
                    ts(row.try_get("create_time")?),
                    row.try_get("customer_grade")?,
                ),
            ))
        })
        .collect()
}

/// What the surveys of the period's complaints say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurveyFigures {
    /// Invitations made (withdrawn ones included).
    pub invited: i64,
    /// Answers.
    pub answered: i64,
    /// Answers per CSAT score 1 to 5.
    pub csat_counts: [i64; 5],
    /// Mean CSAT of the answers.
    pub csat_mean: Option<f64>,
    /// Mean of perceived value ÷ expectation.
    pub satisfaction_mean: Option<f64>,
    /// Share of answers that would return.
    pub would_return_share: Option<f64>,
}

/// The surveys of the complaints created in `[start, end)`.
pub async fn surveys(
    conn: &mut PgConnection,
    start: Timestamp,
    end: Timestamp,
) -> Result<SurveyFigures, StoreError> {
    let row = sqlx::query(
        "SELECT count(*) AS invited,
                count(*) FILTER (WHERE s.state = 'answered') AS answered,
                count(*) FILTER (WHERE s.csat = 1) AS c1,
                count(*) FILTER (WHERE s.csat = 2) AS c2,
                count(*) FILTER (WHERE s.csat = 3) AS c3,
                count(*) FILTER (WHERE s.csat = 4) AS c4,
                count(*) FILTER (WHERE s.csat = 5) AS c5,
                avg(s.csat)::float8 AS csat_mean,
                avg(s.perceived_value / s.expectation)::float8 AS satisfaction_mean,
                (count(*) FILTER (WHERE s.would_return = 'yes'))::float8
                    / NULLIF(count(*) FILTER (WHERE s.state = 'answered'), 0) AS would_return
         FROM complaint_surveys s JOIN complaints c ON c.id = s.complaint_id
         WHERE c.create_time >= $1 AND c.create_time < $2",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .fetch_one(conn)
    .await?;
    Ok(SurveyFigures {
        invited: row.try_get("invited")?,
        answered: row.try_get("answered")?,
        csat_counts: [
            row.try_get("c1")?,
            row.try_get("c2")?,
            row.try_get("c3")?,
            row.try_get("c4")?,
            row.try_get("c5")?,
        ],
        csat_mean: row.try_get("csat_mean")?,
        satisfaction_mean: row.try_get("satisfaction_mean")?,
        would_return_share: row.try_get("would_return")?,
    })
}
