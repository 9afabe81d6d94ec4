//! Logs and traces for a Redress process, set up once at start.
//!
//! Every service logs through `tracing`, as JSON lines on stdout (where
//! container runtimes collect them) or human-readable with `pretty`. The
//! filter comes from `RUST_LOG` when set, otherwise from
//! [`TelemetrySettings::log_filter`]. The W3C TraceContext propagator is
//! always installed, and so is a `tracing-opentelemetry` layer, so RPC spans
//! have trace ids to pass on even when nothing is exported. Export is OTLP
//! over gRPC, switched on by `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); the exporter and SDK read the other
//! standard `OTEL_*` variables themselves (headers, timeout, sampler, batch
//! sizes, resource attributes), and `OTEL_SERVICE_NAME` overrides the name a
//! service passes in. Metrics ([`metrics`]) are exported the same way. RPC spans (target [`RPC_SPAN_TARGET`]) always reach the
//! trace layer whatever the log filter says, so a quiet log level never
//! breaks a trace. Every SQL statement run inside a trace becomes a database
//! span ([`db`]).

mod db;
mod metrics;

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{KeyValue, global};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde::Deserialize;
use tracing_subscriber::filter::{EnvFilter, FilterExt as _, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer as _, Registry};

pub use crate::grpc::trace::RPC_SPAN_TARGET;
pub use db::{DbSpans, SQLX_QUERY_TARGET};
pub use metrics::{install_for_tests, meter, metrics_exported, sample_every};

/// Set once the process-wide subscriber belongs to us.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line.
    #[default]
    Json,
    /// Multi-line, coloured, for a developer's terminal.
    Pretty,
}

/// Logging configuration; tracing export is configured by `OTEL_*` variables.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct TelemetrySettings {
    /// `tracing` filter directives (`info`, `redress_customers=debug,info`),
    /// used when `RUST_LOG` is not set.
    pub log_filter: String,
    /// How log lines are written.
    pub log_format: LogFormat,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            log_filter:
                "info,opentelemetry=warn,opentelemetry_sdk=warn,sqlx::postgres::notice=warn"
                    .to_owned(),
            log_format: LogFormat::Json,
        }
    }
}

/// Why telemetry could not be set up or shut down.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The log filter directives do not parse.
    #[error("invalid log filter {directives:?}")]
    Filter {
        /// The directives given.
        directives: String,
        /// What the parser said.
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// OTLP export was asked for outside a Tokio runtime; its gRPC channel
    /// needs one.
    #[error("OTLP export needs a Tokio runtime: call telemetry::init inside one")]
    NoRuntime,
    /// An OTLP exporter could not be built from the `OTEL_*` variables.
    #[error("cannot build the OTLP exporter")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
    /// Spans or metrics could not be flushed or a provider shut down.
    #[error("cannot shut the tracer or meter provider down")]
    Shutdown(#[from] opentelemetry_sdk::error::OTelSdkError),
}

/// Keeps the tracer and meter providers alive; shut it down (or drop it) at
/// exit to flush spans and metrics not yet exported. Hold it for the life of
/// the process.
#[derive(Debug)]
#[must_use = "dropping the guard shuts tracing down"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
    meters: Option<SdkMeterProvider>,
}

impl TelemetryGuard {
    /// A guard that owns nothing.
    fn inert() -> Self {
        Self {
            provider: None,
            meters: None,
        }
    }

    /// Flushes pending spans and metrics and shuts the providers down, off
    /// the async threads (the exporters block).
    pub async fn shutdown(mut self) -> Result<(), TelemetryError> {
        let provider = self.provider.take();
        let meters = self.meters.take();
        if provider.is_none() && meters.is_none() {
            return Ok(());
        }
        let shutdown = move || -> Result<(), TelemetryError> {
            let metrics = meters.map_or(Ok(()), |meters| meters.shutdown());
            let traces = provider.map_or(Ok(()), |provider| provider.shutdown());
            metrics?;
            traces?;
            Ok(())
        };
        match tokio::task::spawn_blocking(shutdown).await {
            Ok(result) => result,
            Err(join_error) => {
                tracing::error!(error = %join_error, "telemetry shutdown task failed");
                Ok(())
            }
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        let provider = self.provider.take();
        let meters = self.meters.take();
        if provider.is_none() && meters.is_none() {
            return;
        }
        // Best effort. Shutting down blocks on the export, which may need the
        // runtime this thread drives: never block a current-thread runtime.
        let shutdown = move || {
            if let Some(meters) = meters {
                let _ = meters.shutdown();
            }
            if let Some(provider) = provider {
                let _ = provider.shutdown();
            }
        };
        match tokio::runtime::Handle::try_current() {
            Err(_) => shutdown(),
            Ok(handle) => match handle.runtime_flavor() {
                tokio::runtime::RuntimeFlavor::MultiThread => {
                    tokio::task::block_in_place(shutdown);
                }
                _ => {
                    std::thread::spawn(shutdown);
                }
            },
        }
    }
}

/// Sets up logging and tracing for the process. `service_name` names the
/// OpenTelemetry resource unless `OTEL_SERVICE_NAME` (or `service.name` in
/// `OTEL_RESOURCE_ATTRIBUTES`) is set.
///
/// Only the first call installs anything; later ones (several tests in one
/// process) return a guard that does nothing. If another subscriber was
/// installed first, that one stays and the guard does nothing either.
pub fn init(
    service_name: &str,
    settings: &TelemetrySettings,
) -> Result<TelemetryGuard, TelemetryError> {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let directives = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => value,
        _ => settings.log_filter.clone(),
    };
    let log_filter = parse_filter(&directives)?;
    if INSTALLED.load(Ordering::SeqCst) {
        return Ok(TelemetryGuard::inert());
    }

    let resource = resource(service_name);
    let provider = tracer_provider(resource.clone())?;
    let tracer = provider.tracer("redress");
    let trace_filter = parse_filter(&directives)?
        .or(Targets::new().with_target(RPC_SPAN_TARGET, LevelFilter::INFO));
    let trace_layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(trace_filter);
    // Every statement sqlx reports reaches the database span layer, whatever
    // the log filter says (sqlx reports only when someone listens). sqlx
    // reports at DEBUG (WARN when slow); listening no lower keeps the
    // process's most verbose level at DEBUG, so the TRACE events of the
    // HTTP/2 stack stay off at their call sites.
    let db_layer = db::DbSpans::new(&provider)
        .with_filter(Targets::new().with_target(db::SQLX_QUERY_TARGET, LevelFilter::DEBUG));
    let log_layer = match settings.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stdout)
            .with_filter(log_filter)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .pretty()
            .with_writer(std::io::stdout)
            .with_filter(log_filter)
            .boxed(),
    };

    if Registry::default()
        .with(log_layer)
        .with(trace_layer)
        .with(db_layer)
        .try_init()
        .is_err()
    {
        let _ = provider.shutdown();
        return Ok(TelemetryGuard::inert());
    }
    INSTALLED.store(true, Ordering::SeqCst);
    global::set_tracer_provider(provider.clone());
    let meters = metrics::install(resource)?;
    Ok(TelemetryGuard {
        provider: Some(provider),
        meters,
    })
}

/// Parses `tracing` filter directives; unnamed levels default to `info`.
fn parse_filter(directives: &str) -> Result<EnvFilter, TelemetryError> {
    EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse(directives)
        .map_err(|source| TelemetryError::Filter {
            directives: directives.to_owned(),
            source,
        })
}

/// Whether the standard variables ask for OTLP trace export.
fn export_requested() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()))
}

/// The process's resource: `service.name` from `OTEL_SERVICE_NAME` (or
/// `OTEL_RESOURCE_ATTRIBUTES`) when set, else `service_name`.
fn resource(service_name: &str) -> Resource {
    // The default builder reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
    // and falls back to `unknown_service`; only then is our name used.
    let detected = Resource::builder().build();
    let named = detected
        .get(&opentelemetry::Key::from_static_str("service.name"))
        .is_some_and(|name| !name.as_str().starts_with("unknown_service"));
    if named {
        detected
    } else {
        Resource::builder()
            .with_attribute(KeyValue::new("service.name", service_name.to_owned()))
            .build()
    }
}

/// A provider that gives spans trace ids, and exports them in batches over
/// OTLP/gRPC when asked to.
fn tracer_provider(resource: Resource) -> Result<SdkTracerProvider, TelemetryError> {
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if export_requested() {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(TelemetryError::NoRuntime);
        }
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_to_info_and_json() {
        let settings: TelemetrySettings = serde_json::from_str("{}").expect("valid settings");
        assert_eq!(
            settings.log_filter,
            "info,opentelemetry=warn,opentelemetry_sdk=warn,sqlx::postgres::notice=warn"
        );
        assert_eq!(settings.log_format, LogFormat::Json);
        let pretty: TelemetrySettings =
            serde_json::from_str(r#"{"log_format": "pretty"}"#).expect("valid settings");
        assert_eq!(pretty.log_format, LogFormat::Pretty);
    }

    #[test]
    fn initialising_twice_is_harmless() {
        let settings = TelemetrySettings::default();
        let first = init("redress-test", &settings).expect("first init");
        let second = init("redress-test", &settings).expect("second init");
        assert!(second.provider.is_none());
        std::mem::forget(first);
    }

    #[test]
    fn an_unparsable_filter_is_reported() {
        let error = parse_filter("redress=notalevel").expect_err("invalid level");
        assert!(error.to_string().contains("redress=notalevel"));
        assert!(parse_filter("redress_customers=debug,info").is_ok());
    }
}
