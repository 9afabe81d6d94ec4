//! What the service recorded on its metrics, read in-process: a
//! [`Recorder`] installs a meter provider exporting to memory as the global
//! one (before the service is built, so its instruments are made from it)
//! and reads back each metric's data points as last exported. nextest runs
//! every test in a process of its own, so the global provider is the test's.

use std::collections::BTreeMap;

use crate::telemetry;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};

/// One data point: its attributes (key to value as text) and its value.
pub type Point = (BTreeMap<String, String>, u64);

/// A counted value as a `u64`; every Redress count is non-negative.
fn count(value: i64) -> u64 {
    u64::try_from(value).expect("a count is never negative")
}

/// The test's meter provider and what it exported.
#[derive(Debug)]
pub struct Recorder {
    provider: SdkMeterProvider,
    exporter: InMemoryMetricExporter,
}

impl Recorder {
    /// Installs a provider exporting to memory as the global one, and marks
    /// metrics as exported (so database-read gauges are sampled).
    pub fn install() -> Self {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        telemetry::install_for_tests(provider.clone());
        Self { provider, exporter }
    }

    /// The data points of the integer counter, up-down counter or gauge
    /// `name` as of now (cumulative sums, last gauge values); empty before
    /// anything was recorded on it.
    pub fn points(&self, name: &str) -> Vec<Point> {
        self.exporter.reset();
        self.provider
            .force_flush()
            .expect("the metrics are flushed");
        let exported = self
            .exporter
            .get_finished_metrics()
            .expect("exported metrics");
        let Some(metric) = exported
            .iter()
            .flat_map(|r| r.scope_metrics())
            .flat_map(|s| s.metrics())
            .filter(|m| m.name() == name)
            .last()
        else {
            return Vec::new();
        };
        let attributes = |kvs: &mut dyn Iterator<Item = &opentelemetry::KeyValue>| {
            kvs.map(|kv| (kv.key.to_string(), kv.value.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        match metric.data() {
            AggregatedMetrics::U64(MetricData::Sum(sum)) => sum
                .data_points()
                .map(|p| (attributes(&mut p.attributes()), p.value()))
                .collect(),
            AggregatedMetrics::U64(MetricData::Gauge(gauge)) => gauge
                .data_points()
                .map(|p| (attributes(&mut p.attributes()), p.value()))
                .collect(),
            AggregatedMetrics::I64(MetricData::Sum(sum)) => sum
                .data_points()
                .map(|p| (attributes(&mut p.attributes()), count(p.value())))
                .collect(),
            AggregatedMetrics::I64(MetricData::Gauge(gauge)) => gauge
                .data_points()
                .map(|p| (attributes(&mut p.attributes()), count(p.value())))
                .collect(),
            other => panic!("{name} is not an integer counter or gauge: {other:?}"),
        }
    }

    /// The value of `name`'s data point with exactly `attributes`, if any.
    pub fn value(&self, name: &str, attributes: &[(&str, &str)]) -> Option<u64> {
        let wanted: BTreeMap<String, String> = attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.points(name)
            .into_iter()
            .find(|(a, _)| *a == wanted)
            .map(|(_, v)| v)
    }

    /// Waits (up to a generous deadline) until `name`'s point with
    /// `attributes` reads `expected`: for what is recorded in the
    /// background (sampled gauges, a worker's counts).
    pub async fn eventually(&self, name: &str, attributes: &[(&str, &str)], expected: u64) {
        let mut last = None;
        for _ in 0..300 {
            last = self.value(name, attributes);
            if last == Some(expected) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "{name}{attributes:?} read {last:?}, not {expected}; points: {:?}",
            self.points(name)
        );
    }

    /// Waits (up to a generous deadline) until `name` has exactly the
    /// points `expected` (attributes and value), in any order.
    pub async fn eventually_exactly(&self, name: &str, expected: &[(&[(&str, &str)], u64)]) {
        let mut expected: Vec<Point> = expected
            .iter()
            .map(|(attributes, value)| {
                let attributes = attributes
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect();
                (attributes, *value)
            })
            .collect();
        expected.sort();
        let mut last = Vec::new();
        for _ in 0..300 {
            last = self.points(name);
            last.sort();
            if last == expected {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{name} has {last:?}, not {expected:?}");
    }
}
