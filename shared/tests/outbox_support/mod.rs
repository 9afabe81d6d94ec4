//! Shared set-up for the outbox tests: a fresh database with the test
//! schema `outboxtest` (the outbox and consumer migrations services copy,
//! plus test-only tables), its service pool, a running sequencer, and small
//! helpers to write events and wait for the feed.

#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use redress_platform::db::{self, PoolSettings, SchemaSpec};
use redress_platform::outbox::{
    self, BoxError, Event, Feed, FeedSettings, NewEvent, Sequencer, SequencerSettings,
};
use redress_platform::testing::TestDatabase;
use sqlx::PgConnection;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPool;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The test migration set: `shared/tests-migrations/outbox`.
pub static MIGRATOR: Migrator = sqlx::migrate!("tests-migrations/outbox");

/// The test schema.
pub const SCHEMA: &str = "outboxtest";

/// How long any wait in these tests may take before the test fails. Long,
/// because a loaded machine is slow; no test asserts on speed.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A fresh database with the test schema, and the service's pool on it.
pub struct Harness {
    /// Dropped last: dropping it drops the database.
    pub db: TestDatabase,
    /// The service's pool, confined to `outboxtest`.
    pub pool: PgPool,
}

impl Harness {
    /// Provisions and migrates the test schema in a new database.
    pub async fn new() -> Self {
        let db = TestDatabase::new().await;
        let url = db
            .provision(&SchemaSpec {
                schema: SCHEMA,
                migrator: &MIGRATOR,
            })
            .await;
        let settings = PoolSettings {
            max_connections: 24,
            ..PoolSettings::default()
        };
        let pool = db::connect(&url, SCHEMA, &settings)
            .await
            .expect("service pool");
        Self { db, pool }
    }

    /// The feed of the test schema, with default settings.
    pub fn feed(&self) -> Feed {
        Feed::new(self.pool.clone(), FeedSettings::default())
    }

    /// A sequencer running in the background until the guard is dropped.
    pub fn run_sequencer(&self) -> Running {
        let sequencer = Sequencer::new(self.pool.clone(), SequencerSettings::default());
        Running::spawn(sequencer.run_until(std::future::pending()))
    }

    /// Appends `event` in a transaction of its own and commits.
    pub async fn append_committed(&self, event: NewEvent) -> Uuid {
        let mut tx = self.pool.begin().await.expect("begin");
        let id = outbox::append(&mut tx, event).await.expect("append");
        tx.commit().await.expect("commit");
        id
    }

    /// Every event in the feed now, read page by page from the start.
    pub async fn read_all(&self, feed: &Feed, page_size: u32) -> Vec<Event> {
        let mut events = Vec::new();
        let mut cursor = 0;
        loop {
            let page = feed.list(cursor, page_size, &[]).await.expect("list");
            let full = page.events.len() == page_size as usize;
            events.extend(page.events);
            cursor = page.last_position;
            if !full {
                return events;
            }
        }
    }

    /// How many side effects the handlers of `consumer` recorded.
    pub async fn side_effects(&self, consumer: &str) -> Vec<(Uuid, i64)> {
        sqlx::query_as(
            "SELECT event_id, count(*) FROM side_effects WHERE consumer = $1 GROUP BY event_id",
        )
        .bind(consumer)
        .fetch_all(&self.pool)
        .await
        .expect("side effects")
    }
}

/// A background task, aborted when this guard is dropped.
pub struct Running(JoinHandle<()>);

impl Running {
    /// Spawns `work`.
    pub fn spawn(work: impl Future<Output = ()> + Send + 'static) -> Self {
        Self(tokio::spawn(work))
    }

    /// Aborts the task now and waits until it is gone (its connections
    /// returned, its open transaction rolled back).
    pub async fn kill(mut self) {
        self.0.abort();
        let _ = (&mut self.0).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A `widget.made` event about `widgets/{n}`, with `n` in its payload.
pub fn widget_event(n: i64) -> NewEvent {
    NewEvent::new("widget.made", format!("widgets/{n}"))
        .attribute("batch", "test")
        .payload(serde_json::json!({ "n": n }))
}

/// What a test handler does: records a side effect of `event` for
/// `consumer`, in the handler's transaction.
pub async fn record_side_effect(
    conn: &mut PgConnection,
    consumer: &str,
    event: &Event,
    traceparent: Option<String>,
) -> Result<(), BoxError> {
    sqlx::query(
        "INSERT INTO side_effects (consumer, event_id, position, traceparent) VALUES ($1, $2, $3, $4)",
    )
    .bind(consumer)
    .bind(event.id)
    .bind(event.position)
    .bind(traceparent)
    .execute(conn)
    .await?;
    Ok(())
}

/// Polls `check` until it gives `Some`, failing the test after [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
