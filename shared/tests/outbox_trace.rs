//! Traces across the outbox (ARCHITECTURE.md, rule 5): an event appended
//! inside a traced request carries that request's `traceparent`, and the
//! consumer's handler runs in a span that continues the same trace. Needs
//! the process-wide telemetry (propagator and OpenTelemetry layer), hence a
//! test binary of its own.

use std::sync::OnceLock;

use redress_platform::grpc::{continue_trace, current_traceparent};
use redress_platform::outbox::{self, Consumer, ConsumerSettings, handler_fn};
use redress_platform::telemetry::{self, TelemetryGuard, TelemetrySettings};
use tracing::Instrument as _;

mod outbox_support;
use outbox_support::{Harness, Running, eventually, record_side_effect, widget_event};

/// Telemetry for the whole test binary, never shut down.
fn telemetry() {
    static GUARD: OnceLock<TelemetryGuard> = OnceLock::new();
    GUARD.get_or_init(|| {
        telemetry::init("outbox-tests", &TelemetrySettings::default()).expect("telemetry")
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_carries_its_requests_trace_and_the_consumer_continues_it() {
    telemetry();
    let harness = Harness::new().await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller = format!("00-{trace_id}-00f067aa0ba902b7-01");
    let request = tracing::info_span!("request");
    assert!(continue_trace(&request, &caller));

    let id = async {
        let mut tx = harness.pool.begin().await.expect("begin");
        let id = outbox::append(&mut tx, widget_event(1))
            .await
            .expect("append");
        tx.commit().await.expect("commit");
        id
    }
    .instrument(request)
    .await;

    let stored: Option<String> =
        sqlx::query_scalar("SELECT traceparent FROM outbox_events WHERE event_id = $1")
            .bind(id)
            .fetch_one(&harness.pool)
            .await
            .expect("stored traceparent");
    let stored = stored.expect("a traceparent is stored");
    assert!(stored.starts_with(&format!("00-{trace_id}-")), "{stored}");

    let _sequencer = harness.run_sequencer();
    let handler = handler_fn(|conn, event| {
        Box::pin(record_side_effect(
            conn,
            "traced",
            event,
            current_traceparent(),
        ))
    });
    let consumer = Consumer::new(harness.pool.clone(), "widgets", harness.feed(), handler)
        .with_settings(ConsumerSettings {
            initial_backoff_ms: 10,
            max_backoff_ms: 200,
        });
    let _consumer = Running::spawn(consumer.run_until(std::future::pending()));

    let seen: Option<String> = eventually("the handler to run", || async {
        sqlx::query_scalar("SELECT traceparent FROM side_effects WHERE event_id = $1")
            .bind(id)
            .fetch_optional(&harness.pool)
            .await
            .expect("side effect")
    })
    .await;
    let seen = seen.expect("the handler ran inside a trace");
    assert!(
        seen.starts_with(&format!("00-{trace_id}-")),
        "the handler continues the request's trace: {seen}"
    );
    assert_ne!(seen, stored, "in a span of its own");
}
