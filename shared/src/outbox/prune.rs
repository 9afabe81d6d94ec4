//! Retention: deleting outbox events and applied-event records once they
//! are old. Plain functions, called by the service on its own schedule
//! (a periodic task, or `redress` maintenance), never a hidden task.
//!
//! Outbox events are pruned as a prefix of the feed: up to just before the
//! first event young enough to keep, never an unsequenced one. The head
//! row's `pruned_through` is raised, and committed, before anything is
//! deleted, so a reader whose cursor is older is told so
//! ([`super::OutboxError::CursorExpired`]) instead of silently missing
//! events. Applied-event records only guard against applying an event
//! twice while the cursor might still be behind it; once older than any
//! redelivery they can go.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use sqlx::postgres::PgPool;

use super::OutboxError;

/// Rows deleted per statement, so pruning never holds long locks or builds
/// one huge transaction.
const DELETE_BATCH: i64 = 5_000;

/// How long events and applied-event records are kept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RetentionSettings {
    /// Days a publisher keeps its outbox events; consumers must never lag
    /// further behind than this.
    pub event_retention_days: u32,
    /// Days a consumer keeps its applied-event records.
    pub applied_retention_days: u32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            event_retention_days: 30,
            applied_retention_days: 30,
        }
    }
}

impl RetentionSettings {
    /// Outbox events created before this are pruned.
    pub fn event_cutoff(&self, now: Timestamp) -> Timestamp {
        days_before(now, self.event_retention_days)
    }

    /// Applied-event records older than this are pruned.
    pub fn applied_cutoff(&self, now: Timestamp) -> Timestamp {
        days_before(now, self.applied_retention_days)
    }
}

fn days_before(now: Timestamp, days: u32) -> Timestamp {
    let age = SignedDuration::from_hours(i64::from(days) * 24);
    now.checked_sub(age).unwrap_or(Timestamp::MIN)
}

/// Deletes the feed's oldest sequenced events, up to (not including) the
/// first one created at or after `before`; returns how many were deleted.
pub async fn prune_events(pool: &PgPool, before: Timestamp) -> Result<u64, OutboxError> {
    let before = jiff_sqlx::Timestamp::from(before);
    // The first event to keep, scanning from the oldest, or else the head:
    // everything up to it is old. Unsequenced events are never touched.
    let through: i64 = sqlx::query_scalar(
        "SELECT COALESCE(
             (SELECT position - 1 FROM outbox_events
              WHERE position > (SELECT pruned_through FROM outbox_head)
                AND create_time >= $1
              ORDER BY position LIMIT 1),
             (SELECT last_position FROM outbox_head))",
    )
    .bind(before)
    .fetch_one(pool)
    .await?;
    sqlx::query("UPDATE outbox_head SET pruned_through = GREATEST(pruned_through, $1)")
        .bind(through)
        .execute(pool)
        .await?;
    let mut deleted = 0;
    loop {
        let batch = sqlx::query(
            "DELETE FROM outbox_events WHERE id IN (
                 SELECT id FROM outbox_events WHERE position <= $1 ORDER BY position LIMIT $2)",
        )
        .bind(through)
        .bind(DELETE_BATCH)
        .execute(pool)
        .await?
        .rows_affected();
        deleted += batch;
        if batch < DELETE_BATCH as u64 {
            break;
        }
    }
    if deleted > 0 {
        tracing::info!(deleted, pruned_through = through, "outbox events pruned");
    }
    Ok(deleted)
}

/// Deletes applied-event records made before `before`; returns how many.
pub async fn prune_applied_events(pool: &PgPool, before: Timestamp) -> Result<u64, OutboxError> {
    let before = jiff_sqlx::Timestamp::from(before);
    let mut deleted = 0;
    loop {
        let batch = sqlx::query(
            "DELETE FROM applied_events WHERE (feed, event_id) IN (
                 SELECT feed, event_id FROM applied_events WHERE applied_time < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(DELETE_BATCH)
        .execute(pool)
        .await?
        .rows_affected();
        deleted += batch;
        if batch < DELETE_BATCH as u64 {
            break;
        }
    }
    if deleted > 0 {
        tracing::info!(deleted, "applied-event records pruned");
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_defaults_to_thirty_days() {
        let settings: RetentionSettings = serde_json::from_str("{}").expect("valid settings");
        assert_eq!(settings, RetentionSettings::default());
        let now = Timestamp::from_second(1_790_000_000).expect("in range");
        assert_eq!(
            now.duration_since(settings.event_cutoff(now)),
            SignedDuration::from_hours(30 * 24)
        );
        assert_eq!(settings.applied_cutoff(Timestamp::MIN), Timestamp::MIN);
    }
}
