//! A request over the size limit answered as gRPC says it should be:
//! `RESOURCE_EXHAUSTED` (AIP-193 `ErrorInfo` reason `MESSAGE_TOO_LARGE`).
//!
//! Each service sets `grpc.max_message_bytes` on its generated server, and
//! tonic refuses a larger request before decoding it, which is the point:
//! nothing is allocated for it. But tonic answers `OUT_OF_RANGE` with its own
//! wording, where the gRPC status-code guide (and every other gRPC
//! implementation) answers `RESOURCE_EXHAUSTED`, the code a caller's retry
//! and alerting policy knows for "too big or too many". No Redress handler
//! answers `OUT_OF_RANGE` (the `ApiError` mapping has no such variant), so
//! this layer turns a trailers-only `OUT_OF_RANGE` answer into the platform's
//! own `RESOURCE_EXHAUSTED` with the limit in its metadata.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body as HttpBody;
use tonic::body::Body;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use tower::{Layer, Service};

/// The AIP-193 reason given to a request over the size limit.
pub const MESSAGE_TOO_LARGE_REASON: &str = "MESSAGE_TOO_LARGE";

/// A layer turning tonic's `OUT_OF_RANGE` size refusals into
/// `RESOURCE_EXHAUSTED` [`message_too_large`] answers.
#[derive(Clone, Copy, Debug)]
pub struct MessageSizeLayer {
    max_message_bytes: usize,
    error_domain: &'static str,
}

impl MessageSizeLayer {
    /// For a server whose limit is `max_message_bytes`, answering in
    /// `error_domain` (`customers.redress`).
    pub fn new(max_message_bytes: usize, error_domain: &'static str) -> Self {
        Self {
            max_message_bytes,
            error_domain,
        }
    }
}

impl<S> Layer<S> for MessageSizeLayer {
    type Service = MessageSize<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MessageSize {
            inner,
            layer: *self,
        }
    }
}

/// The service made by [`MessageSizeLayer`].
#[derive(Clone, Debug)]
pub struct MessageSize<S> {
    inner: S,
    layer: MessageSizeLayer,
}

impl<S, B, ResB> Service<Request<B>> for MessageSize<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    ResB: HttpBody<Data = Bytes> + Send + 'static,
    ResB::Error: Into<super::BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = SizeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        SizeFuture {
            inner: self.inner.call(request),
            layer: self.layer,
        }
    }
}

/// The `RESOURCE_EXHAUSTED` status given to a request over `max_message_bytes`.
pub fn message_too_large(max_message_bytes: usize, error_domain: &str) -> Status {
    Status::with_error_details(
        Code::ResourceExhausted,
        format!("the message is larger than this server's limit of {max_message_bytes} bytes"),
        ErrorDetails::with_error_info(
            MESSAGE_TOO_LARGE_REASON,
            error_domain,
            HashMap::from([(
                "max_message_bytes".to_owned(),
                max_message_bytes.to_string(),
            )]),
        ),
    )
}

pin_project_lite::pin_project! {
    /// Response future of [`MessageSize`].
    #[derive(Debug)]
    pub struct SizeFuture<F> {
        #[pin]
        inner: F,
        layer: MessageSizeLayer,
    }
}

impl<F, ResB, E> Future for SizeFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    ResB: HttpBody<Data = Bytes> + Send + 'static,
    ResB::Error: Into<super::BoxError>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = std::task::ready!(this.inner.poll(cx))?;
        let out_of_range = response
            .headers()
            .get("grpc-status")
            .is_some_and(|status| status.as_bytes() == b"11");
        if out_of_range {
            tracing::warn!(
                limit = this.layer.max_message_bytes,
                "request refused: message over the size limit"
            );
            let status = message_too_large(this.layer.max_message_bytes, this.layer.error_domain);
            return Poll::Ready(Ok(status.into_http()));
        }
        Poll::Ready(Ok(response.map(Body::new)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_too_large_status_carries_the_reason_domain_and_limit() {
        let status = message_too_large(4_194_304, "crisis.redress");
        assert_eq!(status.code(), Code::ResourceExhausted);
        let info = status.get_details_error_info().expect("error info");
        assert_eq!(info.reason, MESSAGE_TOO_LARGE_REASON);
        assert_eq!(info.domain, "crisis.redress");
        assert_eq!(info.metadata["max_message_bytes"], "4194304");
    }
}
