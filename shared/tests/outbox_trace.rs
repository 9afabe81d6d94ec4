//! Traces across the outbox (ARCHITECTURE.md, rule 5): an event appended
//! inside a traced request carries that request's `traceparent`, and the
//! consumer applies it in a `process` span that continues the same trace
//! and links to the span that wrote the event. Installs a process-wide
//! subscriber whose OpenTelemetry layer exports to memory, hence a test
//! binary of its own.

use std::sync::OnceLock;

use opentelemetry::trace::{SpanKind, TracerProvider as _};
use opentelemetry::{Value, global};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use redress_platform::grpc::{continue_trace, current_traceparent};
use redress_platform::outbox::{self, Consumer, ConsumerSettings, handler_fn};
use tracing::Instrument as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

mod outbox_support;
use outbox_support::{Harness, Running, eventually, record_side_effect, widget_event};

/// The spans this test binary's process has ended so far. The first call
/// installs the W3C propagator and a subscriber exporting every span to
/// memory, for the whole process.
fn exported() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        global::set_text_map_propagator(TraceContextPropagator::new());
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("outbox-tests")))
            .init();
        exporter
    })
}

/// The string value of a span attribute.
fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| match &kv.value {
            Value::String(value) => value.as_str().to_owned(),
            other => other.to_string(),
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_continues_the_events_trace_in_a_span_linked_to_its_writer() {
    let exporter = exported();
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
    let writer = stored.split('-').nth(2).expect("a span id").to_owned();

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

    let process = eventually("the consumer's span to end", || async {
        let spans = exporter.get_finished_spans().expect("spans");
        spans
            .into_iter()
            .find(|span| span.name == "process widgets")
    })
    .await;
    assert_eq!(process.span_kind, SpanKind::Consumer);
    assert_eq!(process.span_context.trace_id().to_string(), trace_id);
    assert_eq!(
        process.parent_span_id.to_string(),
        writer,
        "a child of the span that wrote the event"
    );
    let links: Vec<_> = process
        .links
        .iter()
        .map(|link| {
            (
                link.span_context.trace_id().to_string(),
                link.span_context.span_id().to_string(),
            )
        })
        .collect();
    assert_eq!(
        links,
        vec![(trace_id.to_owned(), writer)],
        "and linked to it"
    );
    for (key, value) in [
        ("messaging.operation.type", "process"),
        ("messaging.destination.name", "widgets"),
        ("messaging.consumer.group.name", "widgets"),
        ("messaging.message.id", id.to_string().as_str()),
        ("event.type", "widget.made"),
    ] {
        assert_eq!(attribute(&process, key).as_deref(), Some(value), "{key}");
    }
}
