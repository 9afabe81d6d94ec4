//! Recipients' stored delivery preferences.

use jiff::Timestamp;
use jiff_sqlx::ToSqlx as _;
use sqlx::{PgConnection, PgPool, Row as _};

use super::{StoreError, ts};
use crate::domain::preferences::{OptOut, QuietHours};

/// Preferences as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferencesRow {
    /// The recipient.
    pub recipient: String,
    /// Opt-outs.
    pub opt_outs: Vec<OptOut>,
    /// Own quiet hours: `None` for the default, `Some(None)` for none.
    pub quiet_hours: Option<Option<QuietHours>>,
    /// Own daily cap; 0 for the default.
    pub daily_cap: u32,
    /// Bumped on each update (the etag).
    pub version: i64,
    /// Changed.
    pub update_time: Timestamp,
}

fn row_of(row: &sqlx::postgres::PgRow) -> Result<PreferencesRow, StoreError> {
    let opt_outs: serde_json::Value = row.try_get("opt_outs")?;
    let opt_outs = serde_json::from_value(opt_outs)
        .map_err(|e| StoreError::Corrupt(format!("opt-outs: {e}")))?;
    let set: bool = row.try_get("quiet_set")?;
    let enabled: bool = row.try_get("quiet_enabled")?;
    let minute = |name: &str| -> Result<u16, StoreError> {
        let v: i32 = row.try_get(name)?;
        u16::try_from(v).map_err(|_| StoreError::Corrupt(format!("{name} {v}")))
    };
    let quiet_hours = if set {
        Some(enabled.then_some(QuietHours {
            start_minute: minute("quiet_start")?,
            end_minute: minute("quiet_end")?,
        }))
    } else {
        None
    };
    let cap: i32 = row.try_get("daily_cap")?;
    Ok(PreferencesRow {
        recipient: row.try_get("recipient")?,
        opt_outs,
        quiet_hours,
        daily_cap: u32::try_from(cap).unwrap_or(0),
        version: row.try_get("version")?,
        update_time: ts(row.try_get("update_time")?),
    })
}

const COLUMNS: &str = "recipient, opt_outs, quiet_set, quiet_enabled, quiet_start, quiet_end, daily_cap, version, update_time";

/// The stored preferences of these recipients.
pub async fn of(pool: &PgPool, recipients: &[String]) -> Result<Vec<PreferencesRow>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM preferences WHERE recipient = ANY($1)"
    )))
    .bind(recipients)
    .fetch_all(pool)
    .await?;
    rows.iter().map(row_of).collect()
}

/// One recipient's, locked when `lock`.
pub async fn get(
    conn: &mut PgConnection,
    recipient: &str,
    lock: bool,
) -> Result<Option<PreferencesRow>, StoreError> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM preferences WHERE recipient = $1{lock}"
    )))
    .bind(recipient)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(row_of).transpose()
}

/// Writes a recipient's preferences (insert or replace) as `row.version`.
pub async fn put(conn: &mut PgConnection, row: &PreferencesRow) -> Result<(), StoreError> {
    let opt_outs = serde_json::to_value(&row.opt_outs)
        .map_err(|e| StoreError::Corrupt(format!("opt-outs: {e}")))?;
    let (set, enabled, start, end) = match row.quiet_hours {
        None => (false, false, 0, 0),
        Some(None) => (true, false, 0, 0),
        Some(Some(q)) => (
            true,
            true,
            i32::from(q.start_minute),
            i32::from(q.end_minute),
        ),
    };
    sqlx::query(
        "INSERT INTO preferences (recipient, opt_outs, quiet_set, quiet_enabled, quiet_start,
                                  quiet_end, daily_cap, version, update_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (recipient) DO UPDATE SET opt_outs = $2, quiet_set = $3, quiet_enabled = $4,
             quiet_start = $5, quiet_end = $6, daily_cap = $7, version = $8, update_time = $9",
    )
    .bind(&row.recipient)
    .bind(opt_outs)
    .bind(set)
    .bind(enabled)
    .bind(start)
    .bind(end)
    .bind(i32::try_from(row.daily_cap).unwrap_or(i32::MAX))
    .bind(row.version)
    .bind(row.update_time.to_sqlx())
    .execute(conn)
    .await?;
    Ok(())
}
