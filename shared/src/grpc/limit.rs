//! Load shedding: a cap on requests in flight that refuses, never queues.
//!
//! tower's `ConcurrencyLimit` makes excess requests wait, which under overload
//! turns into ever longer latency and deadlines missed after the work is done.
//! Redress would rather answer at once with `RESOURCE_EXHAUSTED` (AIP-193
//! `ErrorInfo` reason `OVERLOADED`) so the caller can back off or try another
//! replica. A request takes a permit from a semaphore with `try_acquire_owned`
//! and holds it until its response body has ended (or is dropped), so a
//! streaming response counts for as long as it streams. Health checks bypass
//! the limit: an overloaded server is busy, not dead.
//!
//! Refusing must cost far less than serving, or an overloaded server spends
//! on refusals the CPU its admitted requests need. So the refusal is built
//! once per layer and copied, the layer sits outside the RPC span (a shed
//! request gets no span, no trace context and no token check), and a shed
//! request writes no log line of its own: one warning a second at most says
//! how many were shed. Each one is still measured in
//! `rpc.server.call.duration`, with status `RESOURCE_EXHAUSTED`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use opentelemetry::metrics::{Histogram, Meter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::body::Body;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use tower::{Layer, Service};

/// The AIP-193 reason given to a shed request.
pub const OVERLOADED_REASON: &str = "OVERLOADED";

/// Path prefix of the gRPC health service, which is never shed.
const HEALTH_PATH_PREFIX: &str = "/grpc.health.v1.Health/";

/// A layer admitting at most `limit` requests at once across every service it
/// wraps; clones share one semaphore.
#[derive(Clone, Debug)]
pub struct LoadShedLimitLayer {
    permits: Arc<Semaphore>,
    refusal: Arc<Refusal>,
}

/// How a layer and its services refuse, shared by every clone.
#[derive(Debug)]
struct Refusal {
    /// The headers of the trailers-only refusal, made once.
    headers: HeaderMap,
    /// `rpc.server.call.duration`, where each refusal is measured.
    duration: Histogram<f64>,
    /// The rate-limited warning about shed requests.
    shed_log: ShedLog,
}

impl LoadShedLimitLayer {
    /// A limit of `limit` requests in flight; refusals carry `error_domain`
    /// (`customers.redress`) in their `ErrorInfo`. A limit of 0 is taken as 1.
    pub fn new(limit: usize, error_domain: &'static str) -> Self {
        Self::measured_by(limit, error_domain, &crate::telemetry::meter())
    }

    /// [`LoadShedLimitLayer::new`], measuring refusals with `meter`.
    fn measured_by(limit: usize, error_domain: &'static str, meter: &Meter) -> Self {
        let (refusal, _) = overloaded(error_domain).into_http::<Body>().into_parts();
        Self {
            permits: Arc::new(Semaphore::new(limit.max(1))),
            refusal: Arc::new(Refusal {
                headers: refusal.headers,
                duration: super::trace::server_call_duration(meter),
                shed_log: ShedLog::new(),
            }),
        }
    }
}

impl<S> Layer<S> for LoadShedLimitLayer {
    type Service = LoadShedLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LoadShedLimit {
            inner,
            permits: Arc::clone(&self.permits),
            refusal: Arc::clone(&self.refusal),
        }
    }
}

/// The service made by [`LoadShedLimitLayer`].
#[derive(Clone, Debug)]
pub struct LoadShedLimit<S> {
    inner: S,
    permits: Arc<Semaphore>,
    refusal: Arc<Refusal>,
}

impl<S, B, ResB> Service<Request<B>> for LoadShedLimit<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    ResB: HttpBody<Data = Bytes> + Send + 'static,
    ResB::Error: Into<super::BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = LimitFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let permit = if request.uri().path().starts_with(HEALTH_PATH_PREFIX) {
            None
        } else {
            match Arc::clone(&self.permits).try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    let start = Instant::now();
                    let _ = self.refusal.shed_log.shed();
                    let mut refusal = Response::new(Body::empty());
                    *refusal.headers_mut() = self.refusal.headers.clone();
                    super::trace::record_server_call(
                        &self.refusal.duration,
                        request.uri().path(),
                        start,
                        Code::ResourceExhausted,
                    );
                    return LimitFuture::Shed {
                        response: Some(refusal),
                    };
                }
            }
        };
        LimitFuture::Admitted {
            inner: self.inner.call(request),
            permit,
        }
    }
}

/// A warning about shed requests at most once a second, with how many
/// were shed since the last one, instead of a line per request.
#[derive(Debug)]
struct ShedLog {
    /// When the layer was made: the origin of the millisecond clock below.
    origin: Instant,
    /// Milliseconds after `origin` (plus one second, so the first shed
    /// warns at once) of the last warning.
    warned_at: AtomicU64,
    /// Requests shed since the last warning.
    since_warning: AtomicU64,
}

impl ShedLog {
    const EVERY_MS: u64 = 1_000;

    fn new() -> Self {
        Self {
            origin: Instant::now(),
            warned_at: AtomicU64::new(0),
            since_warning: AtomicU64::new(0),
        }
    }

    /// Counts a shed request, and warns if the last warning is a second
    /// old: then the count it warned with.
    fn shed(&self) -> Option<u64> {
        self.since_warning.fetch_add(1, Ordering::Relaxed);
        let now = u64::try_from(self.origin.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .saturating_add(Self::EVERY_MS);
        let last = self.warned_at.load(Ordering::Relaxed);
        if now >= last.saturating_add(Self::EVERY_MS)
            && self
                .warned_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let shed = self.since_warning.swap(0, Ordering::Relaxed);
            tracing::warn!(
                shed,
                "requests shed at the concurrency limit since the last warning"
            );
            return Some(shed);
        }
        None
    }
}

/// The `RESOURCE_EXHAUSTED` status given to a shed request.
pub fn overloaded(error_domain: &str) -> Status {
    Status::with_error_details(
        Code::ResourceExhausted,
        "the server is at its concurrency limit; retry with backoff",
        ErrorDetails::with_error_info(OVERLOADED_REASON, error_domain, HashMap::new()),
    )
}

pin_project_lite::pin_project! {
    /// Response future of [`LoadShedLimit`].
    #[project = LimitFutureProj]
    #[derive(Debug)]
    pub enum LimitFuture<F> {
        /// The request holds a permit (or needs none) and is being served.
        Admitted {
            #[pin]
            inner: F,
            permit: Option<OwnedSemaphorePermit>,
        },
        /// The request was refused; the trailers-only answer waits here.
        Shed {
            response: Option<Response<Body>>,
        },
    }
}

impl<F, ResB, E> Future for LimitFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    ResB: HttpBody<Data = Bytes> + Send + 'static,
    ResB::Error: Into<super::BoxError>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            LimitFutureProj::Admitted { inner, permit } => {
                let response = std::task::ready!(inner.poll(cx))?;
                let permit = permit.take();
                Poll::Ready(Ok(response.map(|body| {
                    Body::new(PermitBody {
                        inner: body,
                        permit,
                    })
                })))
            }
            LimitFutureProj::Shed { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| Status::internal("response polled twice").into_http()))),
        }
    }
}

pin_project_lite::pin_project! {
    /// A response body that gives its permit back when it ends.
    struct PermitBody<B> {
        #[pin]
        inner: B,
        permit: Option<OwnedSemaphorePermit>,
    }
}

impl<B: HttpBody> HttpBody for PermitBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = std::task::ready!(this.inner.poll_frame(cx));
        let ended = match &frame {
            None | Some(Err(_)) => true,
            Some(Ok(frame)) => frame.is_trailers(),
        };
        if ended {
            this.permit.take();
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
mod tests {
    use super::*;

    #[test]
    fn an_overloaded_status_carries_the_reason_and_domain() {
        let status = overloaded("customers.redress");
        assert_eq!(status.code(), Code::ResourceExhausted);
        let info = status.get_details_error_info().expect("error info");
        assert_eq!(info.reason, OVERLOADED_REASON);
        assert_eq!(info.domain, "customers.redress");
    }

    #[test]
    fn the_first_shed_warns_at_once_and_the_next_wait_for_the_next_second() {
        let log = ShedLog::new();

        let first = log.shed();
        let next: Vec<Option<u64>> = (0..100).map(|_| log.shed()).collect();

        assert_eq!(first, Some(1));
        assert!(next.iter().all(Option::is_none), "{next:?}");
        assert_eq!(log.since_warning.load(Ordering::Relaxed), 100);
    }

    #[test]
    fn a_shed_request_is_measured_with_its_method_and_status() {
        // Arrange: a limit of one, held by a call that never ends.
        let (provider, exporter, meter) = super::super::trace::tests::test_meter();
        let inner = tower::service_fn(|_: Request<()>| {
            std::future::pending::<Result<Response<Body>, std::convert::Infallible>>()
        });
        let mut service =
            LoadShedLimitLayer::measured_by(1, "customers.redress", &meter).layer(inner);
        let request = |path: &str| Request::builder().uri(path).body(()).expect("a request");
        let _held = service.call(request("/redress.x.v1.XService/Get"));

        // Act
        let shed = futures::executor::block_on(service.call(request("/redress.x.v1.XService/Get")))
            .expect("infallible");

        // Assert
        assert_eq!(shed.headers()["grpc-status"], "8");
        let points = super::super::trace::tests::recorded_durations(&provider, &exporter);
        let attributes: Vec<(String, String)> = [
            ("rpc.grpc.status_code", "8"),
            ("rpc.method", "Get"),
            ("rpc.service", "redress.x.v1.XService"),
            ("rpc.system", "grpc"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(points, vec![(attributes, 1)], "only the shed call ended");
    }

    #[test]
    fn a_shed_answer_is_trailers_only() {
        let response: Response<Body> = overloaded("customers.redress").into_http();
        assert_eq!(response.headers()["grpc-status"], "8");
        assert!(response.headers().contains_key("grpc-status-details-bin"));
        assert!(response.body().is_end_stream());
    }
}
