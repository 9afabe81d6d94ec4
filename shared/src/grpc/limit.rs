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

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
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
    error_domain: &'static str,
}

impl LoadShedLimitLayer {
    /// A limit of `limit` requests in flight; refusals carry `error_domain`
    /// (`customers.redress`) in their `ErrorInfo`. A limit of 0 is taken as 1.
    pub fn new(limit: usize, error_domain: &'static str) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limit.max(1))),
            error_domain,
        }
    }
}

impl<S> Layer<S> for LoadShedLimitLayer {
    type Service = LoadShedLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LoadShedLimit {
            inner,
            permits: Arc::clone(&self.permits),
            error_domain: self.error_domain,
        }
    }
}

/// The service made by [`LoadShedLimitLayer`].
#[derive(Clone, Debug)]
pub struct LoadShedLimit<S> {
    inner: S,
    permits: Arc<Semaphore>,
    error_domain: &'static str,
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
                    tracing::warn!(
                        limit.available = self.permits.available_permits(),
                        "request shed: concurrency limit reached"
                    );
                    return LimitFuture::shed(overloaded(self.error_domain));
                }
            }
        };
        LimitFuture::Admitted {
            inner: self.inner.call(request),
            permit,
        }
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

impl<F> LimitFuture<F> {
    fn shed(status: Status) -> Self {
        Self::Shed {
            response: Some(status.into_http()),
        }
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
    fn a_shed_answer_is_trailers_only() {
        let response: Response<Body> = overloaded("customers.redress").into_http();
        assert_eq!(response.headers()["grpc-status"], "8");
        assert!(response.headers().contains_key("grpc-status-details-bin"));
        assert!(response.body().is_end_stream());
    }
}
