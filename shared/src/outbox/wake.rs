//! Wake-ups from PostgreSQL NOTIFY, shared by everyone in the process who
//! waits on the same channel.
//!
//! A `PgListener` holds a connection of its own for as long as it listens,
//! so one per waiting task would drain the pool: a feed with fifty watchers
//! would need fifty connections. A [`Wake`] instead runs one listener task
//! and turns every notification into a tick on a `tokio::sync::watch`
//! channel that any number of tasks can wait on. Notifications are hints,
//! not data: they carry nothing a waiter relies on, are lost while the
//! connection is down, and every waiter also polls at a fallback interval.
//! The task ticks after each (re)connection too, since something may have
//! been missed meanwhile. Dropping the [`Wake`] stops the task.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::OutboxError;

/// First pause before reconnecting a lost listener; doubles up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(100);
/// Longest pause between reconnection attempts.
const MAX_RETRY: Duration = Duration::from_secs(10);

/// A running listener on `<prefix><current schema>`; see the module docs.
#[derive(Debug)]
pub(super) struct Wake {
    /// Ticks once per notification or reconnection.
    ticks: watch::Receiver<u64>,
    /// The listener task, aborted on drop.
    task: JoinHandle<()>,
}

impl Wake {
    /// Starts listening, on a connection taken from `pool` and held, on the
    /// channel `prefix` followed by the pool's schema. Must be called within
    /// a Tokio runtime.
    pub(super) fn start(pool: PgPool, prefix: &'static str) -> Self {
        let (sender, ticks) = watch::channel(0_u64);
        let task = tokio::spawn(listen(pool, prefix, sender));
        Self { ticks, task }
    }

    /// A receiver that sees every tick from now on.
    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        let mut ticks = self.ticks.clone();
        ticks.mark_unchanged();
        ticks
    }
}

impl Drop for Wake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Waits for a tick on `ticks`, or for `timeout`, whichever comes first.
/// A closed channel (the listener is gone) just waits out the timeout.
pub(super) async fn tick_or_timeout(ticks: &mut watch::Receiver<u64>, timeout: Duration) {
    tokio::select! {
        changed = ticks.changed() => {
            if changed.is_err() {
                tokio::time::sleep(timeout).await;
            }
        }
        () = tokio::time::sleep(timeout) => {}
    }
}

/// The listener task: connect, listen, tick on every notification; on a
/// lost connection, tick, pause and start over. Ends when the pool closes.
async fn listen(pool: PgPool, prefix: &'static str, sender: watch::Sender<u64>) {
    let tick = || sender.send_modify(|count| *count = count.wrapping_add(1));
    let mut retry = FIRST_RETRY;
    loop {
        match connect(&pool, prefix).await {
            Ok(mut listener) => {
                retry = FIRST_RETRY;
                tick();
                loop {
                    match listener.try_recv().await {
                        // A notification, or a lost and re-made connection
                        // (notifications may have been missed).
                        Ok(_) => tick(),
                        Err(error) => {
                            if pool.is_closed() {
                                return;
                            }
                            tracing::warn!(channel = prefix, %error, "outbox listener lost its connection");
                            break;
                        }
                    }
                }
            }
            Err(error) => {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(channel = prefix, %error, "outbox listener cannot listen; retrying");
            }
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(MAX_RETRY);
    }
}

/// A listener on `<prefix><current schema>`.
async fn connect(pool: &PgPool, prefix: &str) -> Result<PgListener, OutboxError> {
    let mut listener = PgListener::connect_with(pool).await?;
    let schema: Option<String> = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(&mut listener)
        .await?;
    let schema = schema.ok_or(OutboxError::NoSchema)?;
    listener.listen(&format!("{prefix}{schema}")).await?;
    Ok(listener)
}
