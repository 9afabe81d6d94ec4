//! The counts behind the churn report: per (grade, size) at a period's
//! start, the customers then active and how many of them churned within the
//! period, read from the `customer_states` history.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::{PgConnection, Row};

use super::StoreError;
use super::codes::{Code, optional};
use crate::domain::churn::{Cells, Counts};
use crate::domain::grading::ValueGrade;
use crate::domain::profile::Size;

/// Counts per (grade, size) for the period `(start, end]`.
pub async fn cells(
    conn: &mut PgConnection,
    start: Timestamp,
    end: Timestamp,
) -> Result<Cells, StoreError> {
    let rows = sqlx::query(
        "WITH at_start AS (
             SELECT DISTINCT ON (customer_id) customer_id, stage, grade, size
             FROM customer_states WHERE at <= $1
             ORDER BY customer_id, at DESC, seq DESC
         ), active AS (
             SELECT * FROM at_start
             WHERE stage IN ('established', 'mature', 'declining', 'reactivated')
         ), churned AS (
             SELECT DISTINCT customer_id FROM customer_states
             WHERE stage = 'churned' AND at > $1 AND at <= $2
         )
         SELECT a.grade, a.size, count(*) AS active, count(c.customer_id) AS churned
         FROM active a LEFT JOIN churned c USING (customer_id)
         GROUP BY a.grade, a.size",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .fetch_all(&mut *conn)
    .await?;
    let mut cells = Cells::new();
    for row in rows {
        let grade = ValueGrade::from_code(row.try_get("grade")?)?;
        let size = optional::<Size>(row.try_get("size")?)?;
        cells.insert(
            (grade, size),
            Counts {
                active: row.try_get("active")?,
                churned: row.try_get("churned")?,
            },
        );
    }
    Ok(cells)
}
