//! Database spans against a real PostgreSQL: a statement run inside a traced
//! operation becomes a client span under it, named by the statement's
//! summary and carrying none of its bound values; a statement outside any
//! trace makes no span.

use opentelemetry::trace::{SpanKind, TraceContextExt as _, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use redress_platform::telemetry::{DbSpans, SQLX_QUERY_TARGET};
use redress_platform::testing::TestDatabase;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;

#[tokio::test]
async fn a_statement_in_a_trace_is_a_child_span_named_by_its_summary_without_its_values() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
        .with(
            DbSpans::new(&provider)
                .with_filter(Targets::new().with_target(SQLX_QUERY_TARGET, LevelFilter::DEBUG)),
        );
    let _default = tracing::subscriber::set_default(subscriber);

    let database = TestDatabase::new().await;
    let pool = database.admin_pool();
    sqlx::query("CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL)")
        .execute(pool)
        .await
        .expect("table created");

    let request = tracing::info_span!("request");
    let request_id = request.context().span().span_context().span_id();
    async {
        sqlx::query("INSERT INTO people (id, name) VALUES ($1, $2)")
            .bind(1)
            .bind("Jane PIIMARK Doe")
            .execute(pool)
            .await
            .expect("inserted");
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM people WHERE name = $1")
            .bind("Jane PIIMARK Doe")
            .fetch_all(pool)
            .await
            .expect("selected");
        assert_eq!(names.len(), 1);
    }
    .instrument(request)
    .await;
    sqlx::query("SELECT count(*) FROM people")
        .execute(pool)
        .await
        .expect("counted outside any trace");

    provider.force_flush().expect("flushed");
    let spans = exporter.get_finished_spans().expect("spans");
    let db_spans: Vec<_> = spans
        .iter()
        .filter(|span| span.span_kind == SpanKind::Client)
        .collect();
    let names: Vec<&str> = db_spans.iter().map(|span| span.name.as_ref()).collect();
    assert_eq!(names, ["INSERT people", "SELECT people"], "{spans:#?}");
    for span in &db_spans {
        assert_eq!(span.parent_span_id, request_id, "{span:#?}");
        assert!(span.start_time <= span.end_time);
        let attribute = |key: &str| {
            span.attributes
                .iter()
                .find(|kv| kv.key.as_str() == key)
                .map(|kv| kv.value.to_string())
        };
        assert_eq!(attribute("db.system.name").as_deref(), Some("postgresql"));
        assert_eq!(attribute("db.collection.name").as_deref(), Some("people"));
        assert_eq!(
            attribute("db.query.summary").as_deref(),
            Some(span.name.as_ref())
        );
        for kv in &span.attributes {
            assert!(!kv.value.to_string().contains("PIIMARK"), "{kv:?}");
        }
    }
    let select = db_spans[1];
    assert!(
        select
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == "db.response.returned_rows" && kv.value.to_string() == "1"),
        "{select:#?}"
    );
}
