//! Graceful shutdown: the signal that starts it and the drain that bounds it.
//!
//! When a service is told to stop (SIGTERM from Kubernetes, Ctrl-C on a
//! laptop) its server reports NOT_SERVING, stops accepting, and lets requests
//! already running finish, but only until the drain deadline; tonic alone
//! would wait for them for ever. [`DrainLayer`] wraps every request so the
//! server can cut the ones still running: a response not yet begun becomes
//! `UNAVAILABLE`, a stream still open ends with `UNAVAILABLE` trailers, and
//! the caller may retry elsewhere. Health `Watch` streams are cut as soon as
//! draining begins, after they have carried the NOT_SERVING status, so a
//! watching load balancer never holds a stopping server open.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::FutureExt as _;
use futures::future::Shared;
use http::{HeaderMap, Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::oneshot;
use tonic::Status;
use tonic::body::Body;
use tower::{Layer, Service};

use super::BoxError;

/// Path of the health `Watch` method, whose streams end when draining begins.
const HEALTH_WATCH_PATH: &str = "/grpc.health.v1.Health/Watch";

/// Resolves when the process is asked to stop: SIGTERM or SIGINT (Ctrl-C).
///
/// If a handler cannot be installed the failure is logged and that signal is
/// ignored, rather than stopping the server at once.
pub async fn shutdown_signal() {
    let interrupt = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => tracing::info!("SIGINT received"),
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGINT");
                std::future::pending::<()>().await;
            }
        }
    };

    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
                tracing::info!("SIGTERM received");
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// A future every request clones; it resolves when its sender fires or is
/// dropped.
type Trigger = Shared<oneshot::Receiver<()>>;

/// The server's handle on draining: first [`begin`](Self::begin), then, if
/// requests are still running at the deadline, [`expire`](Self::expire).
/// Dropping it cuts everything still running.
#[derive(Debug)]
pub(crate) struct DrainController {
    begin: Option<oneshot::Sender<()>>,
    expire: Option<oneshot::Sender<()>>,
    layer: DrainLayer,
}

impl DrainController {
    pub(crate) fn new() -> Self {
        let (begin, begun) = oneshot::channel();
        let (expire, expired) = oneshot::channel();
        Self {
            begin: Some(begin),
            expire: Some(expire),
            layer: DrainLayer {
                begun: begun.shared(),
                expired: expired.shared(),
            },
        }
    }

    /// The layer whose requests this controller can cut.
    pub(crate) fn layer(&self) -> DrainLayer {
        self.layer.clone()
    }

    /// Draining has begun: end health watches.
    pub(crate) fn begin(&mut self) {
        if let Some(sender) = self.begin.take() {
            let _ = sender.send(());
        }
    }

    /// The drain deadline has passed: cut every request still running.
    pub(crate) fn expire(&mut self) {
        self.begin();
        if let Some(sender) = self.expire.take() {
            let _ = sender.send(());
        }
    }
}

/// A layer making requests cancellable by the server when it drains.
#[derive(Clone)]
pub struct DrainLayer {
    begun: Trigger,
    expired: Trigger,
}

impl std::fmt::Debug for DrainLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrainLayer").finish_non_exhaustive()
    }
}

impl<S> Layer<S> for DrainLayer {
    type Service = Drain<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Drain {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`DrainLayer`].
#[derive(Clone, Debug)]
pub struct Drain<S> {
    inner: S,
    layer: DrainLayer,
}

impl<S, B, ResB> Service<Request<B>> for Drain<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    ResB: HttpBody<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = DrainFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let cut = if request.uri().path() == HEALTH_WATCH_PATH {
            self.layer.begun.clone()
        } else {
            self.layer.expired.clone()
        };
        DrainFuture {
            inner: self.inner.call(request),
            cut: Some(cut),
        }
    }
}

/// Whether the trigger has fired; registers for a wake-up if not.
fn fired(cut: &mut Option<Trigger>, cx: &mut Context<'_>) -> bool {
    cut.as_mut()
        .is_some_and(|cut| cut.poll_unpin(cx).is_ready())
}

fn shutting_down() -> Status {
    Status::unavailable("the server is shutting down; retry")
}

pin_project_lite::pin_project! {
    /// Response future of [`Drain`].
    pub struct DrainFuture<F> {
        #[pin]
        inner: F,
        cut: Option<Trigger>,
    }
}

impl<F> std::fmt::Debug for DrainFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrainFuture").finish_non_exhaustive()
    }
}

impl<F, ResB, E> Future for DrainFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    ResB: HttpBody<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(result) = this.inner.poll(cx) {
            let cut = this.cut.take();
            return Poll::Ready(result.map(|response| {
                response.map(|inner| {
                    Body::new(DrainBody {
                        inner,
                        cut,
                        cut_off: false,
                    })
                })
            }));
        }
        if !fired(this.cut, cx) {
            return Poll::Pending;
        }
        this.cut.take();
        tracing::warn!("request cut off at the drain deadline");
        Poll::Ready(Ok(shutting_down().into_http()))
    }
}

pin_project_lite::pin_project! {
    /// A response body that ends with `UNAVAILABLE` trailers when cut.
    struct DrainBody<B> {
        #[pin]
        inner: B,
        cut: Option<Trigger>,
        cut_off: bool,
    }
}

impl<B: HttpBody> HttpBody for DrainBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        if *this.cut_off {
            return Poll::Ready(None);
        }
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            if frame.is_none() {
                this.cut.take();
            }
            return Poll::Ready(frame);
        }
        if !fired(this.cut, cx) {
            return Poll::Pending;
        }
        this.cut.take();
        *this.cut_off = true;
        let mut trailers = HeaderMap::new();
        // Status codes and messages are always valid header values.
        let _ = shutting_down().add_header(&mut trailers);
        Poll::Ready(Some(Ok(Frame::trailers(trailers))))
    }

    fn is_end_stream(&self) -> bool {
        self.cut_off || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::time::Duration;

    use tower::ServiceExt as _;

    use super::*;

    async fn never_answers(_request: Request<Body>) -> Result<Response<Body>, Infallible> {
        std::future::pending::<()>().await;
        Ok(Response::new(Body::empty()))
    }

    fn request(path: &str) -> Request<Body> {
        Request::builder()
            .uri(path)
            .body(Body::empty())
            .expect("valid request")
    }

    #[tokio::test]
    async fn a_request_still_running_at_the_deadline_is_answered_unavailable() {
        let mut controller = DrainController::new();
        let service = controller.layer().layer(tower::service_fn(never_answers));
        let call = tokio::spawn(service.oneshot(request("/redress.test.v1.Slow/Wait")));

        controller.begin();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!call.is_finished(), "draining alone does not cut requests");

        controller.expire();
        let response = call.await.expect("task").expect("infallible");
        assert_eq!(response.headers()["grpc-status"], "14");
    }

    #[tokio::test]
    async fn a_health_watch_is_cut_as_soon_as_draining_begins() {
        let mut controller = DrainController::new();
        let service = controller.layer().layer(tower::service_fn(never_answers));
        let call = tokio::spawn(service.oneshot(request(HEALTH_WATCH_PATH)));

        controller.begin();
        let response = call.await.expect("task").expect("infallible");
        assert_eq!(response.headers()["grpc-status"], "14");
    }
}
