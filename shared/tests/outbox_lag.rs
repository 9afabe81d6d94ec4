//! Feed lag per consumer: a consumer stuck behind N events reports N events
//! and a growing age, then 0 and 0 once it has caught up; a consumer that
//! filters by type reports 0 when only events of other types follow what it
//! applied. Read through an in-memory metric exporter installed as the
//! process's meter provider, hence a test binary of its own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use redress_platform::outbox::{
    BoxError, Consumer, ConsumerSettings, EventHandler, Feed, FeedSettings, NewEvent, Sequencer,
    SequencerSettings, handler_fn,
};
use redress_platform::telemetry;

mod outbox_support;
use outbox_support::{Harness, Running, eventually, record_side_effect, widget_event};

/// The process's meter provider and what it exported, installed on first
/// use for the whole binary; tests tell their consumers apart by key.
fn metrics() -> &'static (SdkMeterProvider, InMemoryMetricExporter) {
    static METRICS: OnceLock<(SdkMeterProvider, InMemoryMetricExporter)> = OnceLock::new();
    METRICS.get_or_init(|| {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        telemetry::install_for_tests(provider.clone());
        (provider, exporter)
    })
}

/// A gauge's value now for the consumer keyed `consumer`, if recorded.
fn gauge<T>(
    name: &str,
    consumer: &str,
    pick: impl Fn(&AggregatedMetrics) -> Option<Vec<(String, T)>>,
) -> Option<T> {
    let (provider, exporter) = metrics();
    provider.force_flush().expect("flushed");
    let exported = exporter.get_finished_metrics().expect("metrics");
    let last = exported.last()?;
    last.scope_metrics()
        .flat_map(|scope| scope.metrics())
        .filter(|metric| metric.name() == name)
        .filter_map(|metric| pick(metric.data()))
        .flatten()
        .find(|(group, _)| group == consumer)
        .map(|(_, value)| value)
}

/// `redress.feed.lag.events` of `consumer`.
fn events_behind(consumer: &str) -> Option<i64> {
    gauge("redress.feed.lag.events", consumer, |data| match data {
        AggregatedMetrics::I64(MetricData::Gauge(gauge)) => Some(
            gauge
                .data_points()
                .map(|point| (group(point.attributes()), point.value()))
                .collect(),
        ),
        _ => None,
    })
}

/// `redress.feed.lag.seconds` of `consumer`.
fn seconds_behind(consumer: &str) -> Option<f64> {
    gauge("redress.feed.lag.seconds", consumer, |data| match data {
        AggregatedMetrics::F64(MetricData::Gauge(gauge)) => Some(
            gauge
                .data_points()
                .map(|point| (group(point.attributes()), point.value()))
                .collect(),
        ),
        _ => None,
    })
}

/// The consumer key among a data point's attributes, which must be the
/// only one.
fn group<'a>(attributes: impl Iterator<Item = &'a opentelemetry::KeyValue>) -> String {
    let attributes: Vec<_> = attributes.collect();
    assert_eq!(attributes.len(), 1, "{attributes:?}");
    assert_eq!(attributes[0].key.as_str(), "messaging.consumer.group.name");
    attributes[0].value.to_string()
}

/// A handler recording a side effect for `consumer`, failing (so the
/// consumer retries in place) while `held` is set.
fn held_handler(consumer: &'static str, held: Arc<AtomicBool>) -> impl EventHandler {
    handler_fn(move |conn, event| {
        let held = held.load(Ordering::SeqCst);
        Box::pin(async move {
            if held {
                return Err::<(), BoxError>("held by the test".into());
            }
            record_side_effect(conn, consumer, event, None).await
        })
    })
}

fn fast() -> ConsumerSettings {
    ConsumerSettings {
        initial_backoff_ms: 10,
        max_backoff_ms: 50,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_behind_by_n_events_reports_n_and_a_growing_age_then_zero_once_caught_up() {
    const CONSUMER: &str = "widgets.behind";
    metrics();
    let harness = Harness::new().await;
    let _sequencer = harness.run_sequencer();
    for n in 1..=3 {
        harness.append_committed(widget_event(n)).await;
    }
    eventually("the events to be sequenced", || async {
        let head: i64 = sqlx::query_scalar("SELECT last_position FROM outbox_head")
            .fetch_one(&harness.pool)
            .await
            .expect("head");
        (head == 3).then_some(())
    })
    .await;
    let held = Arc::new(AtomicBool::new(true));
    let consumer = Consumer::new(
        harness.pool.clone(),
        CONSUMER,
        harness.feed(),
        held_handler(CONSUMER, held.clone()),
    )
    .with_settings(fast());
    let _consumer = Running::spawn(consumer.run_until(std::future::pending()));

    eventually("lag of 3 events while the first is stuck", || async {
        (events_behind(CONSUMER) == Some(3)).then_some(())
    })
    .await;
    let first_age = seconds_behind(CONSUMER).expect("an age is reported");
    eventually("the stuck event's age to grow", || async {
        seconds_behind(CONSUMER)
            .filter(|age| *age > first_age)
            .map(|_| ())
    })
    .await;

    held.store(false, Ordering::SeqCst);
    eventually("the consumer to catch up", || async {
        (harness.side_effects(CONSUMER).await.len() == 3).then_some(())
    })
    .await;
    eventually("lag 0 events and 0 seconds", || async {
        (events_behind(CONSUMER) == Some(0) && seconds_behind(CONSUMER) == Some(0.0)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_filtering_by_type_reports_no_lag_when_only_other_types_follow() {
    const CONSUMER: &str = "widgets.broken";
    metrics();
    let harness = Harness::new().await;
    // Sequenced by hand, so each group of events reaches the feed at once.
    let sequencer = Sequencer::new(harness.pool.clone(), SequencerSettings::default());
    let broken = |n: i64| NewEvent::new("widget.broken", format!("widgets/{n}"));
    harness.append_committed(widget_event(1)).await;
    harness.append_committed(widget_event(2)).await;
    sequencer.pass().await.expect("pass");
    // One event per page, so a page with the wanted event ends at it and
    // the events of other types after it come in a page of their own.
    let feed = Feed::new(
        harness.pool.clone(),
        FeedSettings {
            watch_batch_size: 1,
            ..FeedSettings::default()
        },
    );
    let held = Arc::new(AtomicBool::new(true));
    let consumer = Consumer::new(
        harness.pool.clone(),
        CONSUMER,
        feed,
        held_handler(CONSUMER, held.clone()),
    )
    .with_types(vec!["widget.broken".to_owned()])
    .with_settings(fast());
    let _consumer = Running::spawn(consumer.run_until(std::future::pending()));

    eventually("no lag with only other types in the feed", || async {
        (events_behind(CONSUMER) == Some(0)).then_some(())
    })
    .await;

    harness.append_committed(broken(3)).await;
    harness.append_committed(widget_event(4)).await;
    harness.append_committed(widget_event(5)).await;
    sequencer.pass().await.expect("pass");
    eventually("lag while the wanted event is stuck", || async {
        // Positions 3 (being applied) to 5 are not applied yet.
        (events_behind(CONSUMER) == Some(3)).then_some(())
    })
    .await;

    held.store(false, Ordering::SeqCst);
    eventually("the wanted event to be applied", || async {
        (harness.side_effects(CONSUMER).await.len() == 1).then_some(())
    })
    .await;
    eventually("no lag once only other types follow it", || async {
        (events_behind(CONSUMER) == Some(0) && seconds_behind(CONSUMER) == Some(0.0)).then_some(())
    })
    .await;
}
