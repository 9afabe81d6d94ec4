//! The collector process: spans and metrics sent to it over OTLP, by the
//! same exporters the services use, are read back; dropping it stops rotel.

use std::time::{Duration, Instant};

use opentelemetry::KeyValue;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{
    Link, Span as _, SpanContext, SpanId, TraceFlags, TraceId, TraceState, Tracer as _,
    TracerProvider as _,
};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;

use super::*;

/// Polls `probe` every 100 ms for up to 30 s.
fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(100));
    }
}

fn resource() -> Resource {
    Resource::builder()
        .with_service_name("collector-test")
        .build()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_span_sent_over_otlp_is_read_back_with_its_attributes_and_link() {
    let collector = tokio::task::spawn_blocking(Collector::start)
        .await
        .expect("the collector starts");
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(collector.otlp_endpoint())
        .build()
        .expect("an exporter");
    let provider = SdkTracerProvider::builder()
        .with_resource(resource())
        .with_batch_exporter(exporter)
        .build();
    let linked = SpanContext::new(
        TraceId::from_hex("5b8efff798038103d269b633813fc60d").expect("a trace id"),
        SpanId::from_hex("eee19b7ec3c1b175").expect("a span id"),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let tracer = provider.tracer("redress");
    let mut span = tracer
        .span_builder("process probes")
        .with_kind(opentelemetry::trace::SpanKind::Consumer)
        .with_attributes([KeyValue::new("event.type", "probe.created")])
        .with_links(vec![Link::with_context(linked)])
        .start(&tracer);
    let span_id = span.span_context().span_id().to_string();
    span.add_event("probe applied", vec![KeyValue::new("probe.position", 7)]);
    span.end();
    tokio::task::spawn_blocking(move || provider.shutdown())
        .await
        .expect("the provider shuts down")
        .expect("the spans are exported");

    let received = eventually("the span at the collector", || {
        collector.spans().into_iter().find(|s| s.span_id == span_id)
    });
    assert_eq!(received.service, "collector-test");
    assert_eq!(received.name, "process probes");
    assert_eq!(received.kind, SpanKind::Consumer);
    assert_eq!(received.attribute("event.type"), Some("probe.created"));
    assert_eq!(received.events.len(), 1);
    assert_eq!(received.events[0].name, "probe applied");
    assert_eq!(
        received.links,
        [SpanLink {
            trace_id: "5b8efff798038103d269b633813fc60d".into(),
            span_id: "eee19b7ec3c1b175".into(),
            attributes: Default::default(),
        }]
    );
    assert!(collector.raw_output().contains("process probes"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_metric_sent_over_otlp_is_read_back_by_name() {
    let collector = tokio::task::spawn_blocking(Collector::start)
        .await
        .expect("the collector starts");
    let exporter = opentelemetry_otlp::MetricExporter::builder()
        .with_tonic()
        .with_endpoint(collector.otlp_endpoint())
        .build()
        .expect("an exporter");
    let provider = SdkMeterProvider::builder()
        .with_resource(resource())
        .with_reader(PeriodicReader::builder(exporter).build())
        .build();
    provider
        .meter("redress")
        .u64_counter("redress.test.probes")
        .build()
        .add(2, &[KeyValue::new("channel", "email")]);
    tokio::task::spawn_blocking(move || provider.shutdown())
        .await
        .expect("the provider shuts down")
        .expect("the metrics are exported");

    eventually("the metric at the collector", || {
        collector
            .metric_names("collector-test")
            .contains("redress.test.probes")
            .then_some(())
    });
    let metric = collector
        .metrics()
        .into_iter()
        .find(|m| m.name == "redress.test.probes")
        .expect("the metric");
    assert_eq!(metric.data_type, "Sum");
    assert_eq!(
        metric.points[0]
            .attributes
            .get("channel")
            .map(String::as_str),
        Some("email")
    );
    assert_eq!(
        metric.points[0].values.get("Value").map(String::as_str),
        Some("2")
    );
}

#[test]
fn dropping_the_collector_stops_rotel() {
    let collector = Collector::start();
    let address = collector.grpc;
    let agent: i32 = fs::read_to_string(collector.dir.join("agent.pid"))
        .expect("the supervisor wrote the agent's pid")
        .trim()
        .parse()
        .expect("a pid");
    drop(collector);
    let pid = nix::unistd::Pid::from_raw(agent);
    // Signal 0 only asks whether the process exists; it was reaped by the
    // supervisor, so it is gone rather than a zombie.
    assert!(
        nix::sys::signal::kill(pid, None).is_err(),
        "rotel still runs"
    );
    assert!(
        TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err(),
        "something still listens on {address}"
    );
}

#[test]
fn a_block_still_being_printed_waits_for_the_next_read() {
    let text = "{\"v\":0}\nResourceSpans #0\nResource SchemaURL: \nResourceMetrics #0\nDescr";
    assert_eq!(
        last_block_start(text, 0),
        text.find("ResourceMetrics").expect("a block")
    );
    assert_eq!(last_block_start("ResourceSpans #0\nSpan #0\n", 0), 0);
    let from = text.find("ResourceMetrics").expect("a block");
    assert_eq!(last_block_start(text, from), from);
}
