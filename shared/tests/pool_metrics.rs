//! A service pool reports its connections by state, and its maximum, as the
//! semantic conventions' `db.client.connection.*` metrics.

use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use redress_platform::db::{self, PoolSettings};
use redress_platform::telemetry;
use redress_platform::testing::TestDatabase;

/// The latest value of `metric` for each attribute set, as (sorted
/// attributes, value), of the last collection.
fn latest(
    provider: &SdkMeterProvider,
    exporter: &InMemoryMetricExporter,
    metric: &str,
) -> Vec<(Vec<(String, String)>, i64)> {
    exporter.reset();
    provider.force_flush().expect("flushed");
    let mut points = Vec::new();
    for resource in exporter.get_finished_metrics().expect("metrics") {
        for scope in resource.scope_metrics() {
            for found in scope.metrics().filter(|found| found.name() == metric) {
                let AggregatedMetrics::I64(MetricData::Sum(sum)) = found.data() else {
                    panic!("{metric} is not a sum of i64");
                };
                for point in sum.data_points() {
                    let mut attributes: Vec<(String, String)> = point
                        .attributes()
                        .map(|kv| (kv.key.to_string(), kv.value.to_string()))
                        .collect();
                    attributes.sort();
                    points.push((attributes, point.value()));
                }
            }
        }
    }
    points
}

fn attributes(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut attributes: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    attributes.sort();
    attributes
}

#[tokio::test]
async fn a_pool_reports_its_connections_in_use_idle_and_its_maximum() {
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    telemetry::install_for_tests(provider.clone());
    let database = TestDatabase::new().await;
    let settings = PoolSettings {
        max_connections: 3,
        ..PoolSettings::default()
    };
    let pool = db::connect(&database.admin_url(), "public", &settings)
        .await
        .expect("pool");

    let held = pool.acquire().await.expect("a connection");
    let name = ("db.client.connection.pool.name", "redress-public");
    let used = attributes(&[name, ("db.client.connection.state", "used")]);
    let idle = attributes(&[name, ("db.client.connection.state", "idle")]);
    let counts = latest(&provider, &exporter, "db.client.connection.count");
    assert!(counts.contains(&(used.clone(), 1)), "{counts:?}");
    let max = latest(&provider, &exporter, "db.client.connection.max");
    assert_eq!(max, vec![(attributes(&[name]), 3)]);

    // A dropped connection goes back to the pool on a task of its own.
    drop(held);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let counts = loop {
        let counts = latest(&provider, &exporter, "db.client.connection.count");
        if counts.contains(&(used.clone(), 0)) || std::time::Instant::now() > deadline {
            break counts;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(counts.contains(&(used, 0)), "{counts:?}");
    assert!(
        counts.iter().any(|(a, value)| *a == idle && *value >= 1),
        "{counts:?}"
    );

    pool.close().await;
    let counts = latest(&provider, &exporter, "db.client.connection.count");
    assert!(
        counts.is_empty(),
        "a closed pool reports nothing: {counts:?}"
    );
}
