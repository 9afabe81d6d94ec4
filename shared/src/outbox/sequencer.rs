//! The sequencer: gives committed outbox events their positions in the
//! feed, in commit order, so that readers reading `position > cursor` never
//! skip an event (the reasoning is in [`super`]).
//!
//! Each publishing process runs one as a background task. It works in
//! passes; a pass is one transaction that takes a transaction-scoped
//! advisory lock (keyed by the schema, so any number of replicas may run and
//! at most one works at a time; the others report [`Pass::Busy`]), numbers
//! the committed events that have no position yet on from the head row,
//! and, in the same transaction, NOTIFYs the feed's watchers. Passes are
//! woken by the NOTIFY every append queues for its commit, repeated at once
//! while a pass fills its batch, and otherwise run at a fallback poll
//! interval.

use std::future::Future;
use std::time::Duration;

use serde::Deserialize;
use sqlx::postgres::PgPool;

use super::wake::{Wake, tick_or_timeout};
use super::{APPENDED_CHANNEL, OutboxError, SEQUENCED_CHANNEL};

/// How the sequencer paces itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SequencerSettings {
    /// Most events given positions in one pass (one transaction); at least 1.
    pub batch_size: u32,
    /// How often, in milliseconds, to look for unsequenced events when no
    /// notification came.
    pub poll_interval_ms: u64,
    /// How soon, in milliseconds, to try again when another replica held
    /// the lock (it may have started its pass before the latest commits).
    pub busy_retry_ms: u64,
    /// Pause, in milliseconds, after a failed pass; doubles up to 30 s.
    pub retry_backoff_ms: u64,
}

impl Default for SequencerSettings {
    fn default() -> Self {
        Self {
            batch_size: 1_000,
            poll_interval_ms: 1_000,
            busy_retry_ms: 100,
            retry_backoff_ms: 200,
        }
    }
}

/// Longest pause after failed passes.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Another sequencer of this feed held the lock; nothing was done.
    Busy,
    /// No committed event was waiting for a position.
    Idle,
    /// Gave positions to `count` events, the greatest being `last_position`.
    Sequenced {
        /// How many events got positions; a full batch means more may wait.
        count: u32,
        /// The greatest position given.
        last_position: i64,
    },
}

/// The sequencer of the feed in the schema its pool is confined to.
#[derive(Debug, Clone)]
pub struct Sequencer {
    pool: PgPool,
    settings: SequencerSettings,
}

impl Sequencer {
    /// A sequencer working through `pool`.
    pub fn new(pool: PgPool, settings: SequencerSettings) -> Self {
        Self { pool, settings }
    }

    /// Runs passes until `shutdown` resolves: woken by appends, repeated
    /// while there is a backlog, polling otherwise, pausing after failures
    /// (which it logs). Holds one pool connection for its notifications.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) {
        tokio::select! {
            () = shutdown => {}
            () = self.run() => {}
        }
    }

    /// The pass loop; never ends by itself.
    async fn run(&self) {
        let wake = Wake::start(self.pool.clone(), APPENDED_CHANNEL);
        let mut ticks = wake.subscribe();
        let poll = Duration::from_millis(self.settings.poll_interval_ms.max(1));
        let busy = Duration::from_millis(self.settings.busy_retry_ms.max(1));
        let first_backoff = Duration::from_millis(self.settings.retry_backoff_ms.max(1));
        let mut backoff = first_backoff;
        loop {
            // Seen before the pass: a commit during the pass wakes us again.
            ticks.borrow_and_update();
            let pause = match self.pass().await {
                Ok(pass) => {
                    backoff = first_backoff;
                    match pass {
                        Pass::Sequenced { count, .. } if count >= self.settings.batch_size => {
                            continue;
                        }
                        Pass::Busy => busy,
                        Pass::Idle | Pass::Sequenced { .. } => poll,
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "outbox sequencer pass failed; retrying");
                    let pause = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    tokio::time::sleep(pause).await;
                    continue;
                }
            };
            tick_or_timeout(&mut ticks, pause).await;
        }
    }

    /// One pass: in one transaction, if no other sequencer of this feed is
    /// working, gives the next positions to up to `batch_size` committed
    /// events without one, in insertion order, and notifies watchers.
    pub async fn pass(&self) -> Result<Pass, OutboxError> {
        let mut tx = self.pool.begin().await?;
        let locked: bool = sqlx::query_scalar(
            "SELECT pg_try_advisory_xact_lock(
                 hashtextextended('redress.outbox.sequencer.' || current_schema(), 0))",
        )
        .fetch_one(&mut *tx)
        .await?;
        if !locked {
            tx.rollback().await?;
            return Ok(Pass::Busy);
        }
        // A fresh snapshot, taken after the lock: it sees every earlier
        // pass, and only committed events.
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox_events WHERE position IS NULL ORDER BY id LIMIT $1",
        )
        .bind(i64::from(self.settings.batch_size.max(1)))
        .fetch_all(&mut *tx)
        .await?;
        if ids.is_empty() {
            tx.commit().await?;
            return Ok(Pass::Idle);
        }
        let count = i64::try_from(ids.len())
            .map_err(|_| OutboxError::Corrupt("too many events in one pass".into()))?;
        let last_position: i64 = sqlx::query_scalar(
            "UPDATE outbox_head SET last_position = last_position + $1 RETURNING last_position",
        )
        .bind(count)
        .fetch_one(&mut *tx)
        .await?;
        let updated = sqlx::query(
            "UPDATE outbox_events e
             SET position = $2 + u.ordinal, sequence_time = now()
             FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ordinal)
             WHERE e.id = u.id AND e.position IS NULL",
        )
        .bind(&ids)
        .bind(last_position - count)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != ids.len() as u64 {
            // Only possible if something other than a sequencer holding the
            // lock gave positions; refuse rather than leave a hole.
            tx.rollback().await?;
            return Err(OutboxError::Corrupt(
                "outbox events were sequenced outside the sequencer".into(),
            ));
        }
        sqlx::query("SELECT pg_notify($1 || current_schema(), $2)")
            .bind(SEQUENCED_CHANNEL)
            .bind(last_position.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::debug!(count, last_position, "outbox events sequenced");
        Ok(Pass::Sequenced {
            count: ids.len() as u32,
            last_position,
        })
    }
}
