//! Figures over the complaints created in a period: what complaints teach
//! (DOMAIN.md: complaints are market research), computed in SQL; and the
//! open complaints now, by state and priority, for the service's metrics.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use sqlx::{PgConnection, PgPool};

use super::{StoreError, code};
use crate::domain::priority::Priority;
use crate::domain::state::State;

/// The figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stats {
    /// Complaints created in the period.
    pub total: i64,
    /// Per top-level category.
    pub by_category: BTreeMap<String, i64>,
    /// Per state code.
    pub by_state: BTreeMap<String, i64>,
    /// Per channel code.
    pub by_channel: BTreeMap<String, i64>,
    /// Median and 90th percentile of receipt → first response, seconds.
    pub first_response: Option<(f64, f64)>,
    /// Median and 90th percentile of receipt → resolution, seconds.
    pub resolution: Option<(f64, f64)>,
    /// Per clock kind, the share met of those stopped or past due.
    pub sla_met_share: BTreeMap<String, f64>,
    /// Mean transfers per complaint.
    pub transfers_per_complaint: f64,
    /// Reopened ÷ (resolved, closed or reopened).
    pub reopen_rate: f64,
}

/// Computes the figures for complaints created in `[start, end)`, of `team`
/// when given, judging running clocks at `now`.
pub async fn compute(
    conn: &mut PgConnection,
    start: Timestamp,
    end: Timestamp,
    team: Option<&str>,
    now: Timestamp,
) -> Result<Stats, StoreError> {
    let counts: Vec<(String, String, i64)> = sqlx::query_as(
        "WITH scope AS (
             SELECT * FROM complaints
             WHERE create_time >= $1 AND create_time < $2 AND ($3::text IS NULL OR owner_team = $3)
         )
         SELECT 'category', split_part(category, '/', 1), count(*) FROM scope GROUP BY 2
         UNION ALL SELECT 'state', state, count(*) FROM scope GROUP BY 2
         UNION ALL SELECT 'channel', channel, count(*) FROM scope GROUP BY 2",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .bind(team)
    .fetch_all(&mut *conn)
    .await?;
    let mut stats = Stats::default();
    for (dimension, key, count) in counts {
        match dimension.as_str() {
            "category" => {
                stats.total += count;
                stats.by_category.insert(key, count);
            }
            "state" => {
                stats.by_state.insert(key, count);
            }
            _ => {
                stats.by_channel.insert(key, count);
            }
        }
    }
    type Times = (
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<f64>,
    );
    let (fr_median, fr_p90, res_median, res_p90, transfers, reopen_rate): Times = sqlx::query_as(
        "SELECT
             percentile_cont(0.5) WITHIN GROUP (ORDER BY
                 extract(epoch FROM first_response_time - create_time)::float8),
             percentile_cont(0.9) WITHIN GROUP (ORDER BY
                 extract(epoch FROM first_response_time - create_time)::float8),
             percentile_cont(0.5) WITHIN GROUP (ORDER BY
                 extract(epoch FROM resolve_time - create_time)::float8),
             percentile_cont(0.9) WITHIN GROUP (ORDER BY
                 extract(epoch FROM resolve_time - create_time)::float8),
             avg(transfer_count)::float8,
             (count(*) FILTER (WHERE reopen_count > 0))::float8
                 / NULLIF(count(*) FILTER (WHERE resolve_time IS NOT NULL OR close_time IS NOT NULL
                                             OR reopen_count > 0), 0)
         FROM complaints
         WHERE create_time >= $1 AND create_time < $2 AND ($3::text IS NULL OR owner_team = $3)",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .bind(team)
    .fetch_one(&mut *conn)
    .await?;
    stats.first_response = fr_median.zip(fr_p90);
    stats.resolution = res_median.zip(res_p90);
    stats.transfers_per_complaint = transfers.unwrap_or(0.0);
    stats.reopen_rate = reopen_rate.unwrap_or(0.0);
    let shares: Vec<(String, Option<f64>)> = sqlx::query_as(
        "SELECT k.kind,
                (count(*) FILTER (WHERE k.status = 'stopped' AND k.met))::float8
                    / NULLIF(count(*) FILTER (WHERE k.status = 'stopped'
                                                OR (k.status = 'running' AND k.due_time <= $4)), 0)
         FROM sla_clocks k JOIN complaints c ON c.id = k.complaint_id
         WHERE c.create_time >= $1 AND c.create_time < $2
           AND ($3::text IS NULL OR c.owner_team = $3)
         GROUP BY k.kind",
    )
    .bind(start.to_sqlx())
    .bind(end.to_sqlx())
    .bind(team)
    .bind(now.to_sqlx())
    .fetch_all(conn)
    .await?;
    stats.sla_met_share = shares
        .into_iter()
        .filter_map(|(kind, share)| share.map(|s| (kind, s)))
        .collect();
    Ok(stats)
}

/// How many complaints are open now ([`State::is_open`]), per state and
/// priority; a pair with none is absent. One grouped count over the
/// complaints table.
pub async fn open_now(pool: &PgPool) -> Result<Vec<(State, Priority, i64)>, StoreError> {
    let open: Vec<&str> = State::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(State::code)
        .collect();
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT state, priority, count(*) FROM complaints
         WHERE state = ANY($1) GROUP BY state, priority",
    )
    .bind(&open)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(state, priority, count)| {
            Ok((
                code(&state, "state", State::from_code)?,
                code(&priority, "priority", Priority::from_code)?,
                count,
            ))
        })
        .collect()
}
