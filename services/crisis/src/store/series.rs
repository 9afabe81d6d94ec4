//! Early warning's memory of the complaint feed: recent complaints (ids and
//! routing codes only), per-minute counts per series, and each series'
//! baseline with the minute it is folded up to. Pruned by age.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{StoreError, ts};
use crate::domain::early_warning::{Baseline, Dimension};

/// A complaint as the feed described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentComplaint {
    /// The complaint's id.
    pub id: Uuid,
    /// When it was made, in the complaints service's clock.
    pub create_time: Timestamp,
    /// Its category code.
    pub category: String,
    /// Its product, or empty.
    pub product: String,
    /// Its region, or empty.
    pub region: String,
    /// Its severity code.
    pub severity: String,
    /// Whether it concerns safety.
    pub safety: bool,
    /// The customer's value grade code.
    pub grade: String,
}

impl RecentComplaint {
    /// Its value in `dimension` (empty when it has none).
    pub fn value(&self, dimension: Dimension) -> &str {
        match dimension {
            Dimension::Category => &self.category,
            Dimension::Product => &self.product,
            Dimension::Region => &self.region,
        }
    }
}

/// Records a complaint; false when it was recorded before.
pub async fn record(conn: &mut PgConnection, c: &RecentComplaint) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO recent_complaints
             (complaint_id, create_time, category, product, region, severity, safety, grade)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (complaint_id) DO NOTHING",
    )
    .bind(c.id)
    .bind(c.create_time.to_sqlx())
    .bind(&c.category)
    .bind(&c.product)
    .bind(&c.region)
    .bind(&c.severity)
    .bind(c.safety)
    .bind(&c.grade)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds one to the series' count of `minute` and returns the new count.
pub async fn count_one(
    conn: &mut PgConnection,
    dimension: Dimension,
    value: &str,
    minute: Timestamp,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO series_minutes (dimension, value, minute, count) VALUES ($1, $2, $3, 1)
         ON CONFLICT (dimension, value, minute)
         DO UPDATE SET count = series_minutes.count + 1
         RETURNING count::bigint",
    )
    .bind(dimension.code())
    .bind(value)
    .bind(minute.to_sqlx())
    .fetch_one(conn)
    .await?)
}

/// A series' baseline as stored: folded over every minute before
/// `next_minute`, from `first_minute`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredBaseline {
    /// The moving mean and variance.
    pub baseline: Baseline,
    /// The series' first minute.
    pub first_minute: Timestamp,
    /// The first minute not yet folded in.
    pub next_minute: Timestamp,
}

/// Locks the series' baseline for the rest of the transaction, creating an
/// empty one starting at `minute` when the series is new.
pub async fn lock_baseline(
    conn: &mut PgConnection,
    dimension: Dimension,
    value: &str,
    minute: Timestamp,
) -> Result<StoredBaseline, StoreError> {
    sqlx::query(
        "INSERT INTO series_baselines
             (dimension, value, mean, variance, observed_minutes, first_minute, last_minute)
         VALUES ($1, $2, 0, 0, 0, $3, $3)
         ON CONFLICT (dimension, value) DO NOTHING",
    )
    .bind(dimension.code())
    .bind(value)
    .bind(minute.to_sqlx())
    .execute(&mut *conn)
    .await?;
    let (mean, variance, minutes, first, next): (
        f64,
        f64,
        i64,
        jiff_sqlx::Timestamp,
        jiff_sqlx::Timestamp,
    ) = sqlx::query_as(
        "SELECT mean, variance, observed_minutes, first_minute, last_minute
         FROM series_baselines WHERE dimension = $1 AND value = $2 FOR UPDATE",
    )
    .bind(dimension.code())
    .bind(value)
    .fetch_one(&mut *conn)
    .await?;
    Ok(StoredBaseline {
        baseline: Baseline {
            mean,
            variance,
            minutes: u32::try_from(minutes.max(0)).unwrap_or(u32::MAX),
        },
        first_minute: ts(first),
        next_minute: ts(next),
    })
}

/// Writes the series' baseline back.
pub async fn save_baseline(
    conn: &mut PgConnection,
    dimension: Dimension,
    value: &str,
    stored: &StoredBaseline,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE series_baselines
         SET mean = $3, variance = $4, observed_minutes = $5, last_minute = $6
         WHERE dimension = $1 AND value = $2",
    )
    .bind(dimension.code())
    .bind(value)
    .bind(stored.baseline.mean)
    .bind(stored.baseline.variance)
    .bind(i64::from(stored.baseline.minutes))
    .bind(stored.next_minute.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}

/// The series' counted minutes in `[from, to)`, oldest first (minutes
/// without a complaint have no row).
pub async fn counts_between(
    conn: &mut PgConnection,
    dimension: Dimension,
    value: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<(Timestamp, i64)>, StoreError> {
    let rows: Vec<(jiff_sqlx::Timestamp, i32)> = sqlx::query_as(
        "SELECT minute, count FROM series_minutes
         WHERE dimension = $1 AND value = $2 AND minute >= $3 AND minute < $4
         ORDER BY minute",
    )
    .bind(dimension.code())
    .bind(value)
    .bind(from.to_sqlx())
    .bind(to.to_sqlx())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(m, c)| (ts(m), i64::from(c)))
        .collect())
}

/// Up to `limit` complaints of the series made in `[from, to)`, oldest
/// first.
pub async fn samples(
    conn: &mut PgConnection,
    dimension: Dimension,
    value: &str,
    from: Timestamp,
    to: Timestamp,
    limit: usize,
) -> Result<Vec<Uuid>, StoreError> {
    // The column is one of three fixed names, never input.
    let sql = match dimension {
        Dimension::Category => {
            "SELECT complaint_id FROM recent_complaints
             WHERE category = $1 AND create_time >= $2 AND create_time < $3
             ORDER BY create_time, complaint_id LIMIT $4"
        }
        Dimension::Product => {
            "SELECT complaint_id FROM recent_complaints
             WHERE product = $1 AND create_time >= $2 AND create_time < $3
             ORDER BY create_time, complaint_id LIMIT $4"
        }
        Dimension::Region => {
            "SELECT complaint_id FROM recent_complaints
             WHERE region = $1 AND create_time >= $2 AND create_time < $3
             ORDER BY create_time, complaint_id LIMIT $4"
        }
    };
    Ok(sqlx::query_scalar(sql)
        .bind(value)
        .bind(from.to_sqlx())
        .bind(to.to_sqlx())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(conn)
        .await?)
}

/// The critical-severity or safety complaints made in `(from, to]`: how
/// many, and up to `limit` of them, newest first.
pub async fn critical_within(
    conn: &mut PgConnection,
    from: Timestamp,
    to: Timestamp,
    limit: usize,
) -> Result<(i64, Vec<Uuid>), StoreError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM recent_complaints
         WHERE (severity = 'critical' OR safety) AND create_time > $1 AND create_time <= $2",
    )
    .bind(from.to_sqlx())
    .bind(to.to_sqlx())
    .fetch_one(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT complaint_id FROM recent_complaints
         WHERE (severity = 'critical' OR safety) AND create_time > $1 AND create_time <= $2
         ORDER BY create_time DESC, complaint_id DESC LIMIT $3",
    )
    .bind(from.to_sqlx())
    .bind(to.to_sqlx())
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    Ok((count, ids))
}

/// Forgets recent complaints and per-minute counts from before `before`;
/// returns how many rows went. A minute its series' baseline has not taken
/// in yet stays until it has (a series quiet since then folds it in with
/// its next complaint).
pub async fn prune(conn: &mut PgConnection, before: Timestamp) -> Result<u64, StoreError> {
    let complaints = sqlx::query("DELETE FROM recent_complaints WHERE create_time < $1")
        .bind(before.to_sqlx())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let minutes = sqlx::query(
        "DELETE FROM series_minutes m USING series_baselines b
         WHERE m.dimension = b.dimension AND m.value = b.value
           AND m.minute < $1 AND m.minute < b.last_minute",
    )
    .bind(before.to_sqlx())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(complaints + minutes)
}
