//! The outbox writer, the sequencer and the feed reader against a real
//! PostgreSQL: events commit and roll back with their transactions, a
//! reader never skips an event whose transaction committed late, positions
//! keep cause before effect, many concurrent writers and two sequencers
//! leave each committed event in the feed exactly once, a watcher follows
//! new events, filters move the cursor past what they skip (and a watch
//! says so, with the feed's head), and pruning refuses a cursor into what it
//! deleted.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::{Stream, StreamExt as _};
use jiff::{SignedDuration, Timestamp};
use redress_platform::outbox::{
    self, Event, Feed, FeedSettings, NewEvent, OutboxError, Page, Pass, Sequencer,
    SequencerSettings, grpc,
};
use tokio::sync::Mutex;
use tonic::Code;
use tonic_types::StatusExt as _;
use uuid::Uuid;

mod outbox_support;
use outbox_support::{Harness, PATIENCE, widget_event};

type Batches = Pin<Box<dyn Stream<Item = Result<Page, OutboxError>> + Send>>;

/// The next page of a watch, failing the test if none comes in time.
async fn next_page(watch: &mut Batches) -> Page {
    tokio::time::timeout(PATIENCE, watch.next())
        .await
        .expect("a page in time")
        .expect("the watch goes on")
        .expect("no error")
}

/// The events of the next page of a watch that has any, passing over pages
/// that only move the cursor (the first page of a watch may be one).
async fn next_batch(watch: &mut Batches) -> Vec<Event> {
    loop {
        let page = next_page(watch).await;
        if !page.events.is_empty() {
            return page.events;
        }
    }
}

fn ids(events: &[Event]) -> Vec<Uuid> {
    events.iter().map(|event| event.id).collect()
}

fn assert_strictly_increasing(events: &[Event]) {
    for pair in events.windows(2) {
        assert!(
            pair[0].position < pair[1].position,
            "positions {} then {}",
            pair[0].position,
            pair[1].position
        );
    }
}

fn sequencer(harness: &Harness) -> Sequencer {
    Sequencer::new(harness.pool.clone(), SequencerSettings::default())
}

#[tokio::test]
async fn an_event_commits_and_rolls_back_with_its_transaction() {
    let harness = Harness::new().await;
    let sequencer = sequencer(&harness);
    let feed = harness.feed();

    let mut tx = harness.pool.begin().await.expect("begin");
    sqlx::query("INSERT INTO widgets (id, name) VALUES ($1, 'rolled back')")
        .bind(Uuid::now_v7())
        .execute(&mut *tx)
        .await
        .expect("widget");
    outbox::append(&mut tx, widget_event(1))
        .await
        .expect("append");
    tx.rollback().await.expect("rollback");

    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM widgets) + (SELECT count(*) FROM outbox_events)",
    )
    .fetch_one(&harness.pool)
    .await
    .expect("count");
    assert_eq!(rows, 0, "neither the change nor its event survives");
    assert_eq!(sequencer.pass().await.expect("pass"), Pass::Idle);

    let made = Timestamp::from_second(1_790_000_000).expect("in range");
    let mut tx = harness.pool.begin().await.expect("begin");
    sqlx::query("INSERT INTO widgets (id, name) VALUES ($1, 'kept')")
        .bind(Uuid::now_v7())
        .execute(&mut *tx)
        .await
        .expect("widget");
    let id = outbox::append(&mut tx, widget_event(2).schema_version(3).at(made))
        .await
        .expect("append");
    tx.commit().await.expect("commit");

    assert_eq!(
        sequencer.pass().await.expect("pass"),
        Pass::Sequenced {
            count: 1,
            last_position: 1
        }
    );
    let events = harness.read_all(&feed, 10).await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.id, id);
    assert_eq!(event.position, 1);
    assert_eq!(event.event_type, "widget.made");
    assert_eq!(event.subject, "widgets/2");
    assert_eq!(
        event.attributes.get("batch").map(String::as_str),
        Some("test")
    );
    assert_eq!(event.payload, serde_json::json!({ "n": 2 }));
    assert_eq!(event.schema_version, 3);
    assert_eq!(event.create_time, made);
    assert_eq!(event.traceparent, None, "no span, no trace");
}

#[tokio::test]
async fn an_invalid_event_is_refused_and_nothing_is_written() {
    let harness = Harness::new().await;
    let mut conn = harness.pool.acquire().await.expect("connection");
    let refused = outbox::append(&mut conn, NewEvent::new("no dots", "widgets/1")).await;
    assert!(matches!(refused, Err(OutboxError::InvalidEvent { .. })));
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox_events")
        .fetch_one(&harness.pool)
        .await
        .expect("count");
    assert_eq!(rows, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_never_skips_an_event_whose_transaction_committed_after_a_later_one() {
    let harness = Harness::new().await;
    let _sequencer = harness.run_sequencer();
    let feed = harness.feed();
    let mut reader: Batches = Box::pin(feed.watch(0, Vec::new()));

    // A appends first, taking the lower insertion id, and stays open.
    let mut tx_a = harness.pool.begin().await.expect("begin A");
    let a = outbox::append(&mut tx_a, widget_event(1))
        .await
        .expect("append A");
    let a_row: i64 = sqlx::query_scalar("SELECT id FROM outbox_events WHERE event_id = $1")
        .bind(a)
        .fetch_one(&mut *tx_a)
        .await
        .expect("A's id");
    // B appends after it and commits first.
    let b = harness.append_committed(widget_event(2)).await;
    let visible: Vec<i64> = sqlx::query_scalar("SELECT id FROM outbox_events ORDER BY id")
        .fetch_all(&harness.pool)
        .await
        .expect("visible ids");
    assert_eq!(visible.len(), 1);
    assert!(
        visible[0] > a_row,
        "a reader using the id as its cursor would now stand past A, and skip it"
    );

    let first = next_batch(&mut reader).await;
    assert_eq!(ids(&first), vec![b], "the reader sees B while A is open");
    tx_a.commit().await.expect("commit A");
    let second = next_batch(&mut reader).await;
    assert_eq!(ids(&second), vec![a], "and still gets A once it commits");
    assert!(second[0].position > first[0].position);

    let all = harness.read_all(&feed, 10).await;
    assert_eq!(
        ids(&all),
        vec![b, a],
        "the feed holds both, in commit order"
    );
    assert_strictly_increasing(&all);
}

#[tokio::test]
async fn an_event_written_after_another_committed_follows_it_even_if_its_transaction_began_first() {
    let harness = Harness::new().await;
    let feed = harness.feed();

    // B begins and writes first (as a command recording its request id
    // before waiting for a row lock), so it holds the older transaction id.
    let mut tx_b = harness.pool.begin().await.expect("begin B");
    sqlx::query("INSERT INTO widgets (id, name) VALUES ($1, 'claim')")
        .bind(Uuid::now_v7())
        .execute(&mut *tx_b)
        .await
        .expect("B's first write");
    // A runs whole meanwhile.
    let a = harness.append_committed(widget_event(1)).await;
    // B, having seen A's change, announces its own and commits.
    let b = outbox::append(&mut tx_b, widget_event(2))
        .await
        .expect("append B");
    tx_b.commit().await.expect("commit B");

    let b_is_older: bool = sqlx::query_scalar(
        "SELECT (SELECT xid FROM outbox_events WHERE event_id = $1)
              < (SELECT xid FROM outbox_events WHERE event_id = $2)",
    )
    .bind(b)
    .bind(a)
    .fetch_one(&harness.pool)
    .await
    .expect("xids");
    assert!(b_is_older, "ordering by transaction id would put B first");

    sequencer(&harness).pass().await.expect("pass");
    let all = harness.read_all(&feed, 10).await;
    assert_eq!(ids(&all), vec![a, b], "cause before effect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_writers_leave_each_committed_event_in_the_feed_once_in_increasing_positions()
 {
    const WRITERS: i64 = 8;
    const EACH: i64 = 200;
    let harness = Harness::new().await;
    // Two sequencers, as two replicas of the service would run.
    let _first = harness.run_sequencer();
    let _second = harness.run_sequencer();
    let feed = harness.feed();

    // A reader pages through the feed while the writers write.
    let writing_done = Arc::new(AtomicBool::new(false));
    let reader = tokio::spawn({
        let feed = feed.clone();
        let writing_done = writing_done.clone();
        async move {
            let mut seen = Vec::new();
            let mut cursor = 0;
            let mut quiet_after_done = 0;
            loop {
                let page = feed.list(cursor, 37, &[]).await.expect("list");
                assert!(page.events.iter().all(|event| event.position > cursor));
                assert!(page.last_position >= cursor);
                cursor = page.last_position;
                let empty = page.events.is_empty();
                seen.extend(page.events);
                if empty {
                    if writing_done.load(Ordering::SeqCst) {
                        quiet_after_done += 1;
                        if quiet_after_done > 40 {
                            return seen;
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            }
        }
    });

    let committed = Arc::new(Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let pool = harness.pool.clone();
        let committed = committed.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..EACH {
                let n = writer * EACH + i;
                let mut tx = pool.begin().await.expect("begin");
                let id = outbox::append(&mut tx, widget_event(n))
                    .await
                    .expect("append");
                // Hold some transactions open a little, so commits overtake
                // each other.
                if n % 3 == 0 {
                    tokio::time::sleep(Duration::from_millis(n as u64 % 4)).await;
                }
                if i % 5 == 4 {
                    tx.rollback().await.expect("rollback");
                } else {
                    tx.commit().await.expect("commit");
                    committed.lock().await.push(id);
                }
            }
        }));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    let committed: HashSet<Uuid> = committed.lock().await.iter().copied().collect();
    assert_eq!(committed.len(), (WRITERS * EACH * 4 / 5) as usize);

    // Wait until the sequencers have caught up, then let the reader finish.
    let feed_for_wait = feed.clone();
    let expected = committed.len();
    outbox_support::eventually("every committed event to be sequenced", || {
        let feed = feed_for_wait.clone();
        let harness_pool = harness.pool.clone();
        async move {
            let unsequenced: i64 =
                sqlx::query_scalar("SELECT count(*) FROM outbox_events WHERE position IS NULL")
                    .fetch_one(&harness_pool)
                    .await
                    .expect("count");
            let page = feed.list(0, 1, &[]).await.expect("list");
            (unsequenced == 0 && !page.events.is_empty()).then_some(())
        }
    })
    .await;
    writing_done.store(true, Ordering::SeqCst);
    let seen = tokio::time::timeout(PATIENCE, reader)
        .await
        .expect("the reader finishes")
        .expect("reader");

    assert_eq!(
        seen.len(),
        expected,
        "each committed event once, none extra"
    );
    let seen_ids: HashSet<Uuid> = ids(&seen).into_iter().collect();
    assert_eq!(seen_ids, committed);
    assert_strictly_increasing(&seen);
    let again = harness.read_all(&feed, 1000).await;
    assert_eq!(again, seen, "a later reader sees the very same feed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_from_the_start_receives_events_appended_later_in_order() {
    let harness = Harness::new().await;
    let _sequencer = harness.run_sequencer();
    let feed = harness.feed();
    let mut watch: Batches = Box::pin(feed.watch(0, Vec::new()));
    let watcher = tokio::spawn(async move {
        let mut received = Vec::new();
        while received.len() < 5 {
            received.extend(next_batch(&mut watch).await);
        }
        received
    });
    // Let the watcher find the feed empty and start waiting.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut appended = Vec::new();
    for n in 0..5 {
        appended.push(harness.append_committed(widget_event(n)).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let received = tokio::time::timeout(PATIENCE, watcher)
        .await
        .expect("the watcher gets them in time")
        .expect("watcher");
    assert_eq!(ids(&received), appended);
    assert_strictly_increasing(&received);
}

#[tokio::test]
async fn a_type_filter_skips_other_events_and_the_cursor_moves_past_them() {
    let harness = Harness::new().await;
    let feed = harness.feed();
    let mut broken = Vec::new();
    for n in 0..5 {
        if n % 2 == 1 {
            broken.push(
                harness
                    .append_committed(NewEvent::new("widget.broken", format!("widgets/{n}")))
                    .await,
            );
        } else {
            harness.append_committed(widget_event(n)).await;
        }
    }
    sequencer(&harness).pass().await.expect("pass");
    let types = vec!["widget.broken".to_owned()];

    let page = feed.list(0, 10, &types).await.expect("list");
    assert_eq!(ids(&page.events), broken);
    assert_eq!(
        page.last_position, 5,
        "a short page moves the cursor to the head"
    );

    let first = feed.list(0, 1, &types).await.expect("list");
    assert_eq!(ids(&first.events), vec![broken[0]]);
    assert_eq!(
        first.last_position, first.events[0].position,
        "a full page stops at its last event"
    );

    let none = feed.list(5, 10, &types).await.expect("list");
    assert!(none.events.is_empty());
    assert_eq!(none.last_position, 5);

    let refused = feed.list(-1, 10, &[]).await;
    assert!(matches!(
        refused,
        Err(OutboxError::InvalidArgument {
            field: "after_position",
            ..
        })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_watch_tells_the_head_and_the_cursor_moving_past_what_it_skips() {
    let harness = Harness::new().await;
    let feed = Feed::new(
        harness.pool.clone(),
        FeedSettings {
            watch_batch_size: 1,
            ..FeedSettings::default()
        },
    );
    let mut watch: Batches = Box::pin(feed.watch(0, vec!["widget.broken".to_owned()]));
    let summary = |page: Page| (ids(&page.events), page.last_position, page.head);

    assert_eq!(
        summary(next_page(&mut watch).await),
        (vec![], 0, 0),
        "the first page comes at once, even empty"
    );

    let broken = [
        harness
            .append_committed(NewEvent::new("widget.broken", "widgets/1"))
            .await,
        harness
            .append_committed(NewEvent::new("widget.broken", "widgets/2"))
            .await,
    ];
    harness.append_committed(widget_event(3)).await;
    sequencer(&harness).pass().await.expect("pass");
    assert_eq!(
        summary(next_page(&mut watch).await),
        (vec![broken[0]], 1, 3),
        "a full page stops at its event and tells the head"
    );
    assert_eq!(
        summary(next_page(&mut watch).await),
        (vec![broken[1]], 2, 3)
    );
    assert_eq!(
        summary(next_page(&mut watch).await),
        (vec![], 3, 3),
        "then an empty page moves past the event of another type"
    );

    harness.append_committed(widget_event(4)).await;
    harness.append_committed(widget_event(5)).await;
    sequencer(&harness).pass().await.expect("pass");
    assert_eq!(
        summary(next_page(&mut watch).await),
        (vec![], 5, 5),
        "only other types follow: the cursor still moves to the head"
    );
}

#[tokio::test]
async fn a_second_sequencer_stands_aside_while_one_works() {
    let harness = Harness::new().await;
    harness.append_committed(widget_event(1)).await;
    let mut working = harness.pool.begin().await.expect("begin");
    let locked: bool = sqlx::query_scalar(
        "SELECT pg_try_advisory_xact_lock(
             hashtextextended('redress.outbox.sequencer.' || current_schema(), 0))",
    )
    .fetch_one(&mut *working)
    .await
    .expect("lock");
    assert!(locked);

    assert_eq!(sequencer(&harness).pass().await.expect("pass"), Pass::Busy);
    working.rollback().await.expect("release");
    assert!(matches!(
        sequencer(&harness).pass().await.expect("pass"),
        Pass::Sequenced { count: 1, .. }
    ));
}

#[tokio::test]
async fn pruning_keeps_young_events_and_refuses_a_cursor_into_what_it_deleted() {
    let harness = Harness::new().await;
    let feed = harness.feed();
    let now = Timestamp::now();
    let old = now - SignedDuration::from_hours(40 * 24);
    for n in 0..3 {
        harness.append_committed(widget_event(n).at(old)).await;
    }
    let young = vec![
        harness.append_committed(widget_event(3).at(now)).await,
        harness.append_committed(widget_event(4).at(now)).await,
    ];
    sequencer(&harness).pass().await.expect("pass");
    // An old event not yet sequenced is never pruned.
    let late = harness.append_committed(widget_event(5).at(old)).await;

    let cutoff = outbox::RetentionSettings::default().event_cutoff(now);
    assert_eq!(
        outbox::prune_events(&harness.pool, cutoff)
            .await
            .expect("prune"),
        3
    );
    assert_eq!(
        outbox::prune_events(&harness.pool, cutoff)
            .await
            .expect("again"),
        0
    );

    let expired = feed.list(0, 10, &[]).await;
    assert!(
        matches!(
            expired,
            Err(OutboxError::CursorExpired {
                after_position: 0,
                pruned_through: 3
            })
        ),
        "{expired:?}"
    );
    sequencer(&harness).pass().await.expect("pass");
    let kept = feed.list(3, 10, &[]).await.expect("list");
    let mut expected = young;
    expected.push(late);
    assert_eq!(ids(&kept.events), expected);
}

/// The feed a fresh database starts with: empty, cursor 0.
#[tokio::test]
async fn an_empty_feed_lists_nothing_from_the_start() {
    let harness = Harness::new().await;
    let feed: Feed = harness.feed();
    let page = feed.list(0, 50, &[]).await.expect("list");
    assert!(page.events.is_empty());
    assert_eq!(page.last_position, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grpc_helpers_answer_with_wire_events_and_errors_in_the_aip_shape() {
    const DOMAIN: &str = "widgets.redress";
    let harness = Harness::new().await;
    let feed = harness.feed();
    let id = harness.append_committed(widget_event(1)).await;
    sequencer(&harness).pass().await.expect("pass");

    let answer = grpc::list(&feed, 0, 0, Vec::new(), DOMAIN)
        .await
        .expect("list");
    assert_eq!(answer.events.len(), 1);
    assert_eq!(answer.events[0].id, id.to_string());
    assert_eq!(answer.events[0].r#type, "widget.made");
    assert_eq!(answer.last_position, 1);

    let mut watch = grpc::watch(&feed, 0, Vec::new(), DOMAIN, |answer| answer)
        .expect("watch")
        .into_inner();
    let first = tokio::time::timeout(PATIENCE, watch.next())
        .await
        .expect("in time")
        .expect("a message")
        .expect("ok");
    assert_eq!(first.events[0].id, id.to_string());
    assert_eq!((first.last_position, first.head_position), (1, 1));

    let negative_page = grpc::list(&feed, 0, -1, Vec::new(), DOMAIN)
        .await
        .expect_err("refused");
    assert_eq!(negative_page.code(), Code::InvalidArgument);
    let negative_cursor = grpc::watch(&feed, -1, Vec::new(), DOMAIN, |answer| answer)
        .err()
        .expect("refused");
    assert_eq!(negative_cursor.code(), Code::InvalidArgument);

    let later = Timestamp::now() + SignedDuration::from_hours(1);
    outbox::prune_events(&harness.pool, later)
        .await
        .expect("prune");
    let expired = grpc::list(&feed, 0, 0, Vec::new(), DOMAIN)
        .await
        .expect_err("expired");
    assert_eq!(expired.code(), Code::FailedPrecondition);
    let info = expired
        .get_error_details()
        .error_info()
        .cloned()
        .expect("ErrorInfo");
    assert_eq!(info.reason, "FEED_CURSOR_EXPIRED");
    assert_eq!(info.domain, DOMAIN);
}
