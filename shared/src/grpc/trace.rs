//! One tracing span per RPC, joined to the caller's trace by W3C trace context.
//!
//! Traces must cross every hop (ARCHITECTURE.md, rule 5). [`RpcTraceLayer`]
//! wraps a server or a client: on a server it continues the trace named by the
//! request's `traceparent`/`tracestate` and answers with a `traceparent` for
//! its own span; on a client it sends the client span's `traceparent` out.
//! Spans carry the OpenTelemetry RPC semantic fields (`rpc.system`,
//! `rpc.service`, `rpc.method`, `rpc.grpc.status_code`) and nothing else: no
//! bodies, and no metadata but the trace ids. The status code is taken from
//! the response headers for a trailers-only answer and otherwise from the
//! trailers, and a span stays open until its response body has ended, so a
//! stream's span lasts as long as the stream (though a server stream's own
//! work, done as its body is polled, is not traced under it).
//!
//! Propagation goes through the global propagator and the
//! `tracing-opentelemetry` layer that [`crate::telemetry::init`] installs;
//! without them spans are still logged but carry no trace context.
//!
//! The same layer measures every call: `rpc.server.call.duration` and
//! `rpc.client.call.duration` histograms (seconds, from the request to the
//! status, so a stream counts its whole life) with `rpc.system`,
//! `rpc.service`, `rpc.method` and `rpc.grpc.status_code`. A call whose
//! response ends without a status (the peer went away) counts as
//! `CANCELLED`; one that failed below gRPC has `error.type` instead.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator as _};
use opentelemetry::trace::{SpanContext, TraceContextExt as _};
use opentelemetry::{KeyValue, global};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tonic::Code;
use tower::{Layer, Service};
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Target of every RPC span. Telemetry always lets these spans through to
/// OpenTelemetry, whatever the log filter, so trace context keeps flowing.
pub const RPC_SPAN_TARGET: &str = "redress::rpc";

/// Reads W3C trace headers out of an `http::HeaderMap`.
struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// Writes W3C trace headers into an `http::HeaderMap`.
struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// Writes the trace context of `span` (`traceparent`, `tracestate`) into
/// `headers`. Writes nothing when the span has no trace context.
pub fn inject_context(span: &Span, headers: &mut HeaderMap) {
    let context = span.context();
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut HeaderInjector(headers));
    });
}

/// The W3C `traceparent` of the current span, for work that continues later
/// (an outbox event), or `None` outside any trace.
pub fn current_traceparent() -> Option<String> {
    let context = Span::current().context();
    let mut carrier = HashMap::new();
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut carrier);
    });
    carrier.remove("traceparent")
}

/// Makes `span`, not yet entered, continue the trace a stored `traceparent`
/// names. Returns whether the value was a valid trace context.
pub fn continue_trace(span: &Span, traceparent: &str) -> bool {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let parent = global::get_text_map_propagator(|propagator| propagator.extract(&carrier));
    let valid = parent.span().span_context().is_valid();
    if valid {
        let _ = span.set_parent(parent);
    }
    valid
}

/// The span context a stored W3C `traceparent` names, for a span link from
/// work done later (an outbox consumer) to the work that caused it; `None`
/// when the value is not a valid trace context. Always read as W3C trace
/// context, whatever the global propagator, since that is what is stored.
pub fn span_context_of(traceparent: &str) -> Option<SpanContext> {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let context = TraceContextPropagator::new().extract(&carrier);
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then_some(span_context)
}

/// Makes `span`, not yet entered, work caused by the span a stored
/// `traceparent` names: it continues that trace (one story in a trace view)
/// and links to that span (as the messaging conventions ask of work that
/// processes what another span produced). Returns whether the value was a
/// valid trace context; an invalid one changes nothing.
pub fn follow_from(span: &Span, traceparent: &str) -> bool {
    let Some(cause) = span_context_of(traceparent) else {
        return false;
    };
    continue_trace(span, traceparent);
    span.add_link(cause);
    true
}

/// Which end of the call a span describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Server,
    Client,
}

/// Splits `/package.Service/Method`. Anything else is reported as `unknown`,
/// so no caller-chosen text reaches a span.
fn rpc_name(path: &str) -> (&str, &str) {
    let valid = |part: &str, extra: char| {
        !part.is_empty()
            && part.len() <= 200
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == extra)
    };
    match path.strip_prefix('/').and_then(|rest| rest.split_once('/')) {
        Some((service, method)) if valid(service, '.') && valid(method, '_') => (service, method),
        _ => ("unknown", "unknown"),
    }
}

fn rpc_span(side: Side, path: &str) -> Span {
    let (service, method) = rpc_name(path);
    let name = format!("{service}/{method}");
    match side {
        Side::Server => tracing::info_span!(
            target: RPC_SPAN_TARGET,
            "rpc",
            otel.name = %name,
            otel.kind = "server",
            otel.status_code = Empty,
            rpc.system = "grpc",
            rpc.service = service,
            rpc.method = method,
            rpc.grpc.status_code = Empty,
        ),
        Side::Client => tracing::info_span!(
            target: RPC_SPAN_TARGET,
            "rpc",
            otel.name = %name,
            otel.kind = "client",
            otel.status_code = Empty,
            rpc.system = "grpc",
            rpc.service = service,
            rpc.method = method,
            rpc.grpc.status_code = Empty,
        ),
    }
}

/// Records a gRPC status on the span; marks the span as an error following
/// the OpenTelemetry RPC conventions (on a server only codes that mean the
/// server failed, on a client every code but OK).
fn record_status(span: &Span, side: Side, code: Code) {
    span.record("rpc.grpc.status_code", code as i32);
    let error = match side {
        Side::Client => code != Code::Ok,
        Side::Server => matches!(
            code,
            Code::Unknown
                | Code::DeadlineExceeded
                | Code::Unimplemented
                | Code::Internal
                | Code::Unavailable
                | Code::DataLoss
        ),
    };
    if error {
        span.record("otel.status_code", "error");
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .map(|value| Code::from_bytes(value.as_bytes()))
}

/// Bucket boundaries of the call duration histograms, in seconds: the
/// semantic conventions' advice for RPC and HTTP durations.
const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The call duration histogram of one side, from `meter`.
fn duration_histogram(side: Side, meter: &Meter) -> Histogram<f64> {
    let (name, description) = match side {
        Side::Server => (
            "rpc.server.call.duration",
            "How long this service took to answer a call, to its status",
        ),
        Side::Client => (
            "rpc.client.call.duration",
            "How long a call to another service took, to its status",
        ),
    };
    meter
        .f64_histogram(name)
        .with_unit("s")
        .with_description(description)
        .with_boundaries(DURATION_BUCKETS.to_vec())
        .build()
}

/// The server's call-duration histogram from `meter`: what
/// [`RpcTraceLayer::server`] records into, and what the load shedder
/// records the calls it refuses into (they never reach this layer).
pub(super) fn server_call_duration(meter: &Meter) -> Histogram<f64> {
    duration_histogram(Side::Server, meter)
}

/// Records in `histogram` a server call to `path` that began at `start` and
/// ended with `code`, with the attributes every RPC measurement carries.
pub(super) fn record_server_call(
    histogram: &Histogram<f64>,
    path: &str,
    start: Instant,
    code: Code,
) {
    let (service, method) = rpc_name(path);
    let mut timing = Timing::start(histogram.clone(), service, method);
    timing.start = start;
    timing.status(code);
}

/// A layer giving every RPC through it a span and a duration measurement;
/// see the module documentation.
#[derive(Clone, Debug)]
pub struct RpcTraceLayer {
    side: Side,
    duration: Histogram<f64>,
}

impl RpcTraceLayer {
    /// For servers: continue the caller's trace, answer with `traceparent`.
    pub fn server() -> Self {
        Self::new(Side::Server, &crate::telemetry::meter())
    }

    /// For clients: send `traceparent` for a client span.
    pub fn client() -> Self {
        Self::new(Side::Client, &crate::telemetry::meter())
    }

    fn new(side: Side, meter: &Meter) -> Self {
        Self {
            side,
            duration: duration_histogram(side, meter),
        }
    }
}

impl<S> Layer<S> for RpcTraceLayer {
    type Service = RpcTrace<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcTrace {
            inner,
            side: self.side,
            duration: self.duration.clone(),
        }
    }
}

/// The service made by [`RpcTraceLayer`].
#[derive(Clone, Debug)]
pub struct RpcTrace<S> {
    inner: S,
    side: Side,
    duration: Histogram<f64>,
}

/// One call's duration measurement, taken once its status is known.
struct Timing {
    start: Instant,
    histogram: Histogram<f64>,
    /// `rpc.system`, `rpc.service`, `rpc.method`.
    attributes: Vec<KeyValue>,
}

impl Timing {
    fn start(histogram: Histogram<f64>, service: &str, method: &str) -> Self {
        Self {
            start: Instant::now(),
            histogram,
            attributes: vec![
                KeyValue::new("rpc.system", "grpc"),
                KeyValue::new("rpc.service", service.to_owned()),
                KeyValue::new("rpc.method", method.to_owned()),
            ],
        }
    }

    /// Records the call as ended with `code`.
    fn status(mut self, code: Code) {
        self.attributes
            .push(KeyValue::new("rpc.grpc.status_code", code as i64));
        self.record();
    }

    /// Records the call as failed below gRPC (no status at all).
    fn failed(mut self) {
        self.attributes.push(KeyValue::new("error.type", "_OTHER"));
        self.record();
    }

    fn record(self) {
        self.histogram
            .record(self.start.elapsed().as_secs_f64(), &self.attributes);
    }
}

impl<S, B, ResB> Service<Request<B>> for RpcTrace<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    ResB: HttpBody,
{
    type Response = Response<TracedBody<ResB>>;
    type Error = S::Error;
    type Future = TracedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let (service, method) = rpc_name(request.uri().path());
        let timing = Timing::start(self.duration.clone(), service, method);
        let span = rpc_span(self.side, request.uri().path());
        match self.side {
            Side::Server => {
                let parent = global::get_text_map_propagator(|propagator| {
                    propagator.extract(&HeaderExtractor(request.headers()))
                });
                if parent.span().span_context().is_valid() {
                    let _ = span.set_parent(parent);
                }
            }
            Side::Client => inject_context(&span, request.headers_mut()),
        }
        let inner = span.in_scope(|| self.inner.call(request));
        TracedFuture {
            inner,
            span: Some(span),
            side: self.side,
            timing: Some(timing),
        }
    }
}

pin_project_lite::pin_project! {
    /// Response future of [`RpcTrace`].
    pub struct TracedFuture<F> {
        #[pin]
        inner: F,
        span: Option<Span>,
        side: Side,
        timing: Option<Timing>,
    }
}

impl<F> std::fmt::Debug for TracedFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracedFuture").finish_non_exhaustive()
    }
}

impl<F, ResB, E> Future for TracedFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
{
    type Output = Result<Response<TracedBody<ResB>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let span = this.span.take().unwrap_or_else(Span::none);
        let polled = span.in_scope(|| this.inner.poll(cx));
        let Poll::Ready(result) = polled else {
            *this.span = Some(span);
            return Poll::Pending;
        };
        let side = *this.side;
        let timing = this.timing.take();
        Poll::Ready(match result {
            Ok(mut response) => {
                if side == Side::Server {
                    inject_context(&span, response.headers_mut());
                }
                let status = grpc_status(response.headers());
                let timing = match (status, timing) {
                    (Some(code), timing) => {
                        record_status(&span, side, code);
                        if let Some(timing) = timing {
                            timing.status(code);
                        }
                        None
                    }
                    (None, timing) => timing,
                };
                Ok(response.map(|inner| TracedBody {
                    inner,
                    span,
                    side,
                    recorded: status.is_some(),
                    timing,
                }))
            }
            Err(error) => {
                span.record("otel.status_code", "error");
                if let Some(timing) = timing {
                    timing.failed();
                }
                Err(error)
            }
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that keeps its RPC span open until it ends and records
    /// the status from the trailers.
    pub struct TracedBody<B> {
        #[pin]
        inner: B,
        span: Span,
        side: Side,
        recorded: bool,
        // The call's measurement until its status is known.
        timing: Option<Timing>,
    }

    impl<B> PinnedDrop for TracedBody<B> {
        fn drop(this: Pin<&mut Self>) {
            // Ended without a status: the peer went away mid-call.
            if let Some(timing) = this.project().timing.take() {
                timing.status(Code::Cancelled);
            }
        }
    }
}

/// An empty body outside any span: what an interceptor in front of a traced
/// channel answers with when it refuses a call before it is sent.
impl<B: Default> Default for TracedBody<B> {
    fn default() -> Self {
        Self {
            inner: B::default(),
            span: Span::none(),
            side: Side::Client,
            recorded: true,
            timing: None,
        }
    }
}

impl<B> std::fmt::Debug for TracedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracedBody").finish_non_exhaustive()
    }
}

impl<B: HttpBody> HttpBody for TracedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        // A server's response body is where a streaming handler does its
        // work (a feed watch polls its database for as long as the client
        // stays). That work runs outside the call's span: a stream that
        // lasts days must not gather a child span per poll into one
        // endless trace. A unary handler's work is done before its body.
        let frame = std::task::ready!(match this.side {
            Side::Server => this.inner.poll_frame(cx),
            Side::Client => this.span.in_scope(|| this.inner.poll_frame(cx)),
        });
        match &frame {
            Some(Ok(frame)) if !*this.recorded => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                    record_status(this.span, *this.side, code);
                    *this.recorded = true;
                    if let Some(timing) = this.timing.take() {
                        timing.status(code);
                    }
                }
            }
            Some(Err(_)) => {
                this.span.record("otel.status_code", "error");
                if let Some(timing) = this.timing.take() {
                    timing.failed();
                }
            }
            _ => {}
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::convert::Infallible;
    use std::sync::{Arc, Mutex};

    use tonic::Status;
    use tonic::body::Body;
    use tracing::field::{Field, Visit};
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    /// Every field value recorded on any span, as `(name, value)`.
    #[derive(Clone, Default)]
    struct Recorded(Arc<Mutex<Vec<(String, String)>>>);

    impl Recorded {
        fn has(&self, name: &str, value: &str) -> bool {
            let fields = self.0.lock().expect("not poisoned");
            fields.iter().any(|(n, v)| n == name && v == value)
        }
    }

    impl Visit for &Recorded {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let value = format!("{value:?}").trim_matches('"').to_owned();
            let mut fields = self.0.lock().expect("not poisoned");
            fields.push((field.name().to_owned(), value));
        }
    }

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Recorded {
        fn on_new_span(
            &self,
            attributes: &tracing::span::Attributes<'_>,
            _id: &tracing::span::Id,
            _ctx: tracing_subscriber::layer::Context<'_, S>,
        ) {
            attributes.record(&mut &*self);
        }

        fn on_record(
            &self,
            _id: &tracing::span::Id,
            values: &tracing::span::Record<'_>,
            _ctx: tracing_subscriber::layer::Context<'_, S>,
        ) {
            values.record(&mut &*self);
        }
    }

    /// A body with no data and the given trailers.
    struct Trailers(Option<HeaderMap>);

    impl HttpBody for Trailers {
        type Data = bytes::Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
            Poll::Ready(self.0.take().map(|trailers| Ok(Frame::trailers(trailers))))
        }
    }

    fn request(path: &str) -> Request<()> {
        Request::builder()
            .uri(path)
            .body(())
            .expect("valid request")
    }

    #[test]
    fn a_server_span_records_the_status_of_a_trailers_only_answer() {
        let recorded = Recorded::default();
        let subscriber = tracing_subscriber::registry().with(recorded.clone());
        tracing::subscriber::with_default(subscriber, || {
            let inner = tower::service_fn(|_request: Request<()>| async {
                Ok::<_, Infallible>(Status::internal("broken").into_http::<Body>())
            });
            let mut service = RpcTraceLayer::server().layer(inner);
            futures::executor::block_on(service.call(request("/redress.x.v1.XService/Do")))
                .expect("infallible");
        });
        assert!(recorded.has("otel.kind", "server"));
        assert!(recorded.has("rpc.service", "redress.x.v1.XService"));
        assert!(recorded.has("rpc.method", "Do"));
        assert!(recorded.has("rpc.grpc.status_code", "13"));
        assert!(recorded.has("otel.status_code", "error"));
    }

    #[test]
    fn a_client_span_records_the_status_from_the_trailers() {
        let recorded = Recorded::default();
        let subscriber = tracing_subscriber::registry().with(recorded.clone());
        tracing::subscriber::with_default(subscriber, || {
            let inner = tower::service_fn(|_request: Request<()>| async {
                let mut trailers = HeaderMap::new();
                trailers.insert("grpc-status", HeaderValue::from_static("5"));
                Ok::<_, Infallible>(Response::new(Trailers(Some(trailers))))
            });
            let mut service = RpcTraceLayer::client().layer(inner);
            let response =
                futures::executor::block_on(service.call(request("/redress.x.v1.XService/Get")))
                    .expect("infallible");
            assert!(
                !recorded.has("rpc.grpc.status_code", "5"),
                "not before the trailers"
            );
            let mut body = response.into_body();
            while futures::executor::block_on(std::future::poll_fn(|cx| {
                Pin::new(&mut body).poll_frame(cx)
            }))
            .is_some()
            {}
        });
        assert!(recorded.has("otel.kind", "client"));
        assert!(recorded.has("rpc.grpc.status_code", "5"));
        assert!(recorded.has("otel.status_code", "error"));
    }

    /// A meter whose measurements stay in memory, with its provider and
    /// exporter to read them back by [`recorded_durations`].
    pub(in crate::grpc) fn test_meter() -> (
        opentelemetry_sdk::metrics::SdkMeterProvider,
        opentelemetry_sdk::metrics::InMemoryMetricExporter,
        Meter,
    ) {
        let exporter = opentelemetry_sdk::metrics::InMemoryMetricExporter::default();
        let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder()
            .with_reader(
                opentelemetry_sdk::metrics::PeriodicReader::builder(exporter.clone()).build(),
            )
            .build();
        let meter = opentelemetry::metrics::MeterProvider::meter(&provider, "test");
        (provider, exporter, meter)
    }

    /// The data points of `rpc.server.call.duration` a provider recorded,
    /// as (attributes, count).
    pub(in crate::grpc) fn recorded_durations(
        provider: &opentelemetry_sdk::metrics::SdkMeterProvider,
        exporter: &opentelemetry_sdk::metrics::InMemoryMetricExporter,
    ) -> Vec<(Vec<(String, String)>, u64)> {
        use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
        provider.force_flush().expect("flushed");
        let mut points = Vec::new();
        for resource in exporter.get_finished_metrics().expect("metrics") {
            for scope in resource.scope_metrics() {
                for metric in scope.metrics() {
                    if metric.name() != "rpc.server.call.duration" {
                        continue;
                    }
                    let AggregatedMetrics::F64(MetricData::Histogram(histogram)) = metric.data()
                    else {
                        panic!("a histogram of f64");
                    };
                    for point in histogram.data_points() {
                        let mut attributes: Vec<(String, String)> = point
                            .attributes()
                            .map(|kv| (kv.key.to_string(), kv.value.to_string()))
                            .collect();
                        attributes.sort();
                        points.push((attributes, point.count()));
                    }
                }
            }
        }
        points
    }

    #[test]
    fn a_server_call_is_measured_by_method_and_status() {
        let (provider, exporter, meter) = test_meter();
        let inner = tower::service_fn(|request: Request<()>| async move {
            let status = if request.uri().path().ends_with("Missing") {
                Status::not_found("no such thing")
            } else {
                Status::ok("")
            };
            Ok::<_, Infallible>(status.into_http::<Body>())
        });
        let mut service = RpcTraceLayer::new(Side::Server, &meter).layer(inner);
        for path in [
            "/redress.x.v1.XService/Missing",
            "/redress.x.v1.XService/Missing",
            "/redress.x.v1.XService/Get",
        ] {
            futures::executor::block_on(service.call(request(path))).expect("infallible");
        }

        let points = recorded_durations(&provider, &exporter);
        let expect = |method: &str, code: &str| {
            let mut attributes: Vec<(String, String)> = [
                ("rpc.grpc.status_code", code),
                ("rpc.method", method),
                ("rpc.service", "redress.x.v1.XService"),
                ("rpc.system", "grpc"),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
            attributes.sort();
            attributes
        };
        assert_eq!(points.len(), 2, "{points:?}");
        assert!(points.contains(&(expect("Missing", "5"), 2)), "{points:?}");
        assert!(points.contains(&(expect("Get", "0"), 1)), "{points:?}");
    }

    #[test]
    fn a_stored_traceparent_names_the_span_context_to_link_to() {
        let linked = span_context_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .expect("a valid traceparent");
        assert_eq!(
            linked.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(linked.span_id().to_string(), "00f067aa0ba902b7");
        assert!(linked.is_remote());
        for invalid in [
            "",
            "nonsense",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        ] {
            assert!(span_context_of(invalid).is_none(), "{invalid}");
        }
    }

    #[test]
    fn a_grpc_path_names_its_service_and_method() {
        assert_eq!(
            rpc_name("/redress.customers.v1.CustomerService/GetCustomer"),
            ("redress.customers.v1.CustomerService", "GetCustomer")
        );
    }

    #[test]
    fn any_other_path_is_unknown_so_no_caller_text_reaches_a_span() {
        for path in [
            "/",
            "",
            "/a/b/c",
            "/svc/",
            "/Jane Doe/x",
            "/svc/%40me",
            "/a.b",
        ] {
            assert_eq!(rpc_name(path), ("unknown", "unknown"), "{path}");
        }
    }
}
