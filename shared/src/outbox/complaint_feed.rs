//! The complaints service's event feed over gRPC, as an [`EventSource`]:
//! what every service that follows complaints (notifications' triggers,
//! crisis' early warning and scope linking) consumes. It lives here, beside
//! the feed's wire helpers, so the services share one follower of it
//! rather than each keeping a copy.

use std::sync::Arc;

use redress_proto::complaints::v1 as kpb;
use tonic::Request;
use tonic::service::interceptor::InterceptedService;

use super::grpc::{WatchAnswer, batches};
use super::{BoxError, EventBatches, EventSource};
use crate::auth::{IdentityInterceptor, ServiceIdentity};
use crate::grpc::{ClientError, ClientSettings, TracedChannel, connect, traced};

/// The complaints client a feed source calls with: traced, carrying the
/// calling service's identity.
pub type ComplaintsClient = kpb::complaint_service_client::ComplaintServiceClient<
    InterceptedService<TracedChannel, IdentityInterceptor>,
>;

/// The complaints service's event feed.
#[derive(Debug, Clone)]
pub struct ComplaintFeedSource {
    client: ComplaintsClient,
}

impl ComplaintFeedSource {
    /// A source on a client the service already has.
    pub fn new(client: ComplaintsClient) -> Self {
        Self { client }
    }

    /// A source calling `endpoint` as `identity`. Connects lazily, so the
    /// complaints service may start after this one.
    pub async fn connect(
        endpoint: &str,
        settings: &ClientSettings,
        identity: Arc<ServiceIdentity>,
    ) -> Result<Self, ClientError> {
        let channel = traced(connect(endpoint, settings).await?);
        Ok(Self::new(
            kpb::complaint_service_client::ComplaintServiceClient::with_interceptor(
                channel,
                IdentityInterceptor(identity),
            ),
        ))
    }
}

impl EventSource for ComplaintFeedSource {
    async fn watch(
        &mut self,
        after_position: i64,
        types: &[String],
    ) -> Result<EventBatches, BoxError> {
        let stream = self
            .client
            .watch_complaint_events(Request::new(kpb::WatchComplaintEventsRequest {
                after_position,
                types: types.to_vec(),
            }))
            .await?
            .into_inner();
        Ok(batches(stream, |batch| {
            let kpb::WatchComplaintEventsResponse {
                events,
                last_position,
                head_position,
            } = batch;
            WatchAnswer {
                events,
                last_position,
                head_position,
            }
        }))
    }
}
