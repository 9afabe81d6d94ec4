//! The other services as the crisis service sees them, over gRPC with this
//! service's own identity (passing the end user along where a person acts):
//!
//! - the customers service: members of a selector (streamed), the churn
//!   report's warning flag, and satisfaction before and after a crisis;
//! - the complaints service: that linked complaints exist, and its event
//!   feed ([`ComplaintFeedSource`]) for early warning and scope linking;
//! - the notifications service: statements out as broadcasts and
//!   messages.
//!
//! Each area of the service adds the questions it asks in its own module,
//! on the clients kept here. A call made while serving a person's request
//! goes out as [`for_person`] builds it: this service's identity, with the
//! person attached as the end user, so the other service applies that
//! person's scope and names them in its records. Work the service does by
//! itself (scope linking, early warning, the feed) calls with its identity
//! alone.

use std::sync::Arc;

use redress_platform::auth::{Caller, IdentityInterceptor, ServiceIdentity, attach_end_user};
use redress_platform::error::ApiError;
use redress_platform::grpc::{ClientError, ClientSettings, TracedChannel, connect, traced};
use redress_platform::outbox::ComplaintFeedSource;
use redress_proto::complaints::v1 as kpb;
use redress_proto::customers::v1 as cpb;
use redress_proto::notifications::v1 as npb;
use tonic::Request;
use tonic::service::interceptor::InterceptedService;

/// A client channel carrying this service's identity.
pub type Intercepted = InterceptedService<TracedChannel, IdentityInterceptor>;

/// The customers service's client.
pub type CustomersClient = cpb::customer_service_client::CustomerServiceClient<Intercepted>;
/// The complaints service's client.
pub type ComplaintsClient = kpb::complaint_service_client::ComplaintServiceClient<Intercepted>;
/// The notifications service's client.
pub type NotificationsClient =
    npb::notification_service_client::NotificationServiceClient<Intercepted>;

/// The services this one asks.
#[derive(Debug, Clone)]
pub struct Directories {
    /// The customers service.
    pub customers: CustomersClient,
    /// The complaints service.
    pub complaints: ComplaintsClient,
    /// The notifications service.
    pub notifications: NotificationsClient,
}

/// Where the other services are.
#[derive(Debug, Clone, Copy)]
pub struct Endpoints<'a> {
    /// The customers service.
    pub customers: &'a str,
    /// The complaints service.
    pub complaints: &'a str,
    /// The notifications service.
    pub notifications: &'a str,
}

impl Directories {
    /// Clients of the services at `endpoints`, calling as `identity`.
    /// Channels connect lazily, so the others may start after this one.
    pub async fn connect(
        endpoints: Endpoints<'_>,
        settings: &ClientSettings,
        identity: Arc<ServiceIdentity>,
    ) -> Result<Self, ClientError> {
        let channel = |endpoint: &str| {
            let endpoint = endpoint.to_owned();
            async move { Ok::<_, ClientError>(traced(connect(&endpoint, settings).await?)) }
        };
        let customers = channel(endpoints.customers).await?;
        let complaints = channel(endpoints.complaints).await?;
        let notifications = channel(endpoints.notifications).await?;
        Ok(Self {
            customers: cpb::customer_service_client::CustomerServiceClient::with_interceptor(
                customers,
                IdentityInterceptor(identity.clone()),
            )
            .max_decoding_message_size(64 * 1024 * 1024),
            complaints: kpb::complaint_service_client::ComplaintServiceClient::with_interceptor(
                complaints,
                IdentityInterceptor(identity.clone()),
            )
            .max_decoding_message_size(64 * 1024 * 1024),
            notifications:
                npb::notification_service_client::NotificationServiceClient::with_interceptor(
                    notifications,
                    IdentityInterceptor(identity),
                ),
        })
    }

    /// The complaint feed, as an [`redress_platform::outbox::EventSource`].
    pub fn complaint_feed(&self) -> ComplaintFeedSource {
        ComplaintFeedSource::new(self.complaints.clone())
    }
}

/// `message` as a request made on behalf of the person `caller` acts for
/// (see [`Caller::end_user_token`]). Fails closed: a person who cannot be
/// passed along is not silently replaced by this service's own rights.
pub fn for_person<T>(message: T, caller: &Caller) -> Result<Request<T>, ApiError> {
    let mut request = Request::new(message);
    attach_end_user(&mut request, caller).map_err(|error| {
        tracing::error!(%error, "the caller's token cannot be passed along");
        ApiError::Internal
    })?;
    Ok(request)
}
