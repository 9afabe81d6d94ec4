//! Metrics: one meter for the whole suite, exported over OTLP when asked.
//!
//! Every instrument comes from [`meter`] (scope `redress`). Names follow the
//! OpenTelemetry semantic conventions where one exists
//! (`rpc.server.call.duration`, `db.client.connection.count`) and are
//! `redress.<area>.<what>` otherwise (`redress.complaints.sla.breaches`).
//! Attribute values are always from a closed set the code names (a state, a
//! channel, a priority, an RPC method): never a customer's data, never a
//! name or id, so a metric's cardinality is bounded and nothing personal
//! reaches it.
//!
//! [`super::init`] installs an [`SdkMeterProvider`] with a periodic OTLP
//! exporter when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`) is set; the export interval is
//! `OTEL_METRIC_EXPORT_INTERVAL` milliseconds (60 s by default). Without it
//! the global meter is a no-op and recording costs next to nothing.
//!
//! Figures read from a database (open complaints by state, active crises by
//! priority) are sampled by a task running [`sample_every`], which does
//! nothing unless metrics are exported, so no query runs for a figure nobody
//! reads.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::global;
use opentelemetry::metrics::Meter;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};

use super::TelemetryError;

/// Set once a meter provider that exports is installed.
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// The meter every Redress instrument is made from.
pub fn meter() -> Meter {
    global::meter("redress")
}

/// Whether metrics are exported by this process.
pub fn metrics_exported() -> bool {
    EXPORTING.load(Ordering::SeqCst)
}

/// Whether the standard variables ask for OTLP metrics export.
pub(super) fn export_requested() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()))
}

/// A meter provider exporting over OTLP/gRPC, installed as the global one;
/// `None` when export is not asked for. The caller holds it and shuts it
/// down at exit.
pub(super) fn install(resource: Resource) -> Result<Option<SdkMeterProvider>, TelemetryError> {
    if !export_requested() {
        return Ok(None);
    }
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(TelemetryError::NoRuntime);
    }
    let exporter = opentelemetry_otlp::MetricExporter::builder()
        .with_tonic()
        .build()?;
    let reader = PeriodicReader::builder(exporter).build();
    let provider = SdkMeterProvider::builder()
        .with_resource(resource)
        .with_reader(reader)
        .build();
    global::set_meter_provider(provider.clone());
    EXPORTING.store(true, Ordering::SeqCst);
    Ok(Some(provider))
}

/// Runs `sample` now and then every `period` for ever while metrics are
/// exported, and only waits when they are not: it never returns, so run it
/// beside a service's workers and drop it when the service shuts down. `sample` records what it reads on
/// gauges made from [`meter`]; a failed reading should log and keep the
/// last value.
pub async fn sample_every<F, Fut>(period: Duration, mut sample: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    if !metrics_exported() {
        return std::future::pending().await;
    }
    let mut ticks = tokio::time::interval(period.max(Duration::from_millis(100)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        sample().await;
    }
}

/// Installs `provider` as the global meter provider and counts metrics as
/// exported, so [`sample_every`] samples: for tests that read what was
/// recorded through a reader of their own (one test per process, as
/// nextest runs them).
#[doc(hidden)]
pub fn install_for_tests(provider: SdkMeterProvider) {
    global::set_meter_provider(provider);
    EXPORTING.store(true, Ordering::SeqCst);
}
