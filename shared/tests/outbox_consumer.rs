//! The consumer against a real PostgreSQL, reading the feed in-process:
//! every event is applied exactly once, counted by the side effects its
//! handler writes in the same transaction, when a handler fails once, when
//! the transaction fails at COMMIT after the handler ran, when a consumer
//! is killed between its handler and its commit and started again, and
//! when two consumers race on one feed. Applied-event records are pruned by
//! age.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use jiff::{SignedDuration, Timestamp};
use redress_platform::outbox::{
    self, Consumer, ConsumerSettings, EventHandler, Feed, FnHandler, HandlerFuture, handler_fn,
};
use sqlx::PgConnection;
use sqlx::postgres::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

mod outbox_support;
use outbox_support::{Harness, Running, eventually, record_side_effect, widget_event};

/// The consumers' key for the test feed.
const FEED: &str = "widgets";

/// Retries quickly: the tests wait on retries.
fn fast() -> ConsumerSettings {
    ConsumerSettings {
        initial_backoff_ms: 10,
        max_backoff_ms: 200,
    }
}

/// Starts a consumer of the test feed in the background.
fn start<H: EventHandler + 'static>(pool: &PgPool, feed: &Feed, handler: H) -> Running {
    let consumer = Consumer::new(pool.clone(), FEED, feed.clone(), handler).with_settings(fast());
    Running::spawn(consumer.run_until(std::future::pending()))
}

/// A handler recording one side effect per event under `label`.
fn recording(
    label: &'static str,
) -> FnHandler<
    impl for<'a> FnMut(&'a mut PgConnection, &'a outbox::Event) -> HandlerFuture<'a> + Send,
> {
    handler_fn(move |conn, event| Box::pin(record_side_effect(conn, label, event, None)))
}

/// Appends `count` events and sequences them; returns their ids and the
/// last position.
async fn publish(harness: &Harness, count: i64) -> (Vec<Uuid>, i64) {
    let mut ids = Vec::new();
    for n in 0..count {
        ids.push(harness.append_committed(widget_event(n)).await);
    }
    let sequencer = outbox::Sequencer::new(harness.pool.clone(), Default::default());
    let mut last = 0;
    while let outbox::Pass::Sequenced { last_position, .. } = sequencer.pass().await.expect("pass")
    {
        last = last_position;
    }
    (ids, last)
}

/// Waits until the consumer's cursor reaches `position`.
async fn wait_for_cursor(pool: &PgPool, position: i64) {
    eventually("the consumer's cursor", || async {
        let cursor = outbox::cursor(pool, FEED).await.expect("cursor");
        (cursor >= position).then_some(())
    })
    .await;
}

/// Asserts that each of `ids`, and nothing else, has exactly one side
/// effect under `label`.
async fn assert_applied_once(harness: &Harness, label: &str, ids: &[Uuid]) {
    let effects: HashMap<Uuid, i64> = harness.side_effects(label).await.into_iter().collect();
    assert_eq!(
        effects.len(),
        ids.len(),
        "one event, one side effect: {effects:?}"
    );
    for id in ids {
        assert_eq!(effects.get(id), Some(&1), "event {id} applied exactly once");
    }
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM applied_events WHERE feed = $1")
        .bind(FEED)
        .fetch_one(&harness.pool)
        .await
        .expect("applied events");
    assert_eq!(recorded, ids.len() as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_fails_once_is_retried_and_the_event_applied_once() {
    let harness = Harness::new().await;
    let (ids, last) = publish(&harness, 5).await;
    let target = ids[2];
    let failed = Arc::new(AtomicBool::new(false));
    let handler = handler_fn(move |conn, event| {
        let failed = failed.clone();
        Box::pin(async move {
            record_side_effect(conn, "once", event, None).await?;
            if event.id == target && !failed.swap(true, Ordering::SeqCst) {
                return Err("the first attempt fails".into());
            }
            Ok(())
        })
    });

    let _consumer = start(&harness.pool, &harness.feed(), handler);
    wait_for_cursor(&harness.pool, last).await;

    assert_applied_once(&harness, "once", &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_failing_at_commit_after_the_handler_ran_is_retried_and_applied_once() {
    let harness = Harness::new().await;
    let (ids, last) = publish(&harness, 4).await;
    let target = ids[1];
    let attempts = Arc::new(AtomicUsize::new(0));
    let handler = handler_fn({
        let attempts = attempts.clone();
        move |conn, event| {
            let attempts = attempts.clone();
            Box::pin(async move {
                record_side_effect(conn, "commit", event, None).await?;
                if event.id == target && attempts.fetch_add(1, Ordering::SeqCst) == 0 {
                    // A deferred foreign key: fine now, fatal at COMMIT.
                    sqlx::query("INSERT INTO commit_guards (id) VALUES (999)")
                        .execute(conn)
                        .await?;
                }
                Ok(())
            })
        }
    });

    let _consumer = start(&harness.pool, &harness.feed(), handler);
    wait_for_cursor(&harness.pool, last).await;

    assert_eq!(
        attempts.load(Ordering::SeqCst),
        2,
        "failed at commit, then applied"
    );
    assert_applied_once(&harness, "commit", &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_killed_between_its_handler_and_its_commit_applies_each_event_once_when_restarted()
 {
    let harness = Harness::new().await;
    let (ids, last) = publish(&harness, 6).await;
    let target = ids[3];
    let reached = Arc::new(Notify::new());
    let stalling = handler_fn({
        let reached = reached.clone();
        move |conn, event| {
            let reached = reached.clone();
            Box::pin(async move {
                record_side_effect(conn, "killed", event, None).await?;
                if event.id == target {
                    // The handler ran; the commit never comes.
                    reached.notify_one();
                    std::future::pending::<()>().await;
                }
                Ok(())
            })
        }
    });
    let feed = harness.feed();
    let first = start(&harness.pool, &feed, stalling);
    tokio::time::timeout(outbox_support::PATIENCE, reached.notified())
        .await
        .expect("the handler reaches the stalling event");
    first.kill().await;

    let before_restart = outbox::cursor(&harness.pool, FEED).await.expect("cursor");
    assert!(before_restart < last, "the stalled event was not committed");

    let _second = start(&harness.pool, &feed, recording("killed"));
    wait_for_cursor(&harness.pool, last).await;

    assert_applied_once(&harness, "killed", &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_consumers_racing_on_one_feed_apply_each_event_exactly_once() {
    let harness = Harness::new().await;
    let (mut ids, _) = publish(&harness, 100).await;
    let feed = harness.feed();
    let _sequencer = harness.run_sequencer();

    let _one = start(&harness.pool, &feed, recording("race"));
    let _two = start(&harness.pool, &feed, recording("race"));
    // More events while both run.
    for n in 100..150 {
        ids.push(harness.append_committed(widget_event(n)).await);
    }
    let last: i64 = eventually("every event to be sequenced", || async {
        sqlx::query_scalar::<_, Option<i64>>(
            "SELECT max(position) FROM outbox_events HAVING bool_and(position IS NOT NULL)",
        )
        .fetch_optional(&harness.pool)
        .await
        .expect("positions")
        .flatten()
    })
    .await;
    wait_for_cursor(&harness.pool, last).await;

    assert_applied_once(&harness, "race", &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applied_event_records_are_pruned_by_age() {
    let harness = Harness::new().await;
    let (ids, last) = publish(&harness, 3).await;
    let _consumer = start(&harness.pool, &harness.feed(), recording("pruned"));
    wait_for_cursor(&harness.pool, last).await;
    let now = Timestamp::now();
    sqlx::query("UPDATE applied_events SET applied_time = $1 WHERE event_id = ANY($2)")
        .bind(jiff_sqlx::Timestamp::from(
            now - SignedDuration::from_hours(40 * 24),
        ))
        .bind(&ids[..2])
        .execute(&harness.pool)
        .await
        .expect("age two records");

    let cutoff = outbox::RetentionSettings::default().applied_cutoff(now);
    let pruned = outbox::prune_applied_events(&harness.pool, cutoff)
        .await
        .expect("prune");

    assert_eq!(pruned, 2);
    let left: Vec<Uuid> = sqlx::query_scalar("SELECT event_id FROM applied_events")
        .fetch_all(&harness.pool)
        .await
        .expect("left");
    assert_eq!(left, vec![ids[2]]);
}
