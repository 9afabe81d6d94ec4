//! The other services as the notifications service sees them, over gRPC
//! with this service's own identity:
//!
//! - [`CustomerDirectory`]: what a message needs of its customer recipients
//!   (the name to greet them by, locale, time zone, style, channel order,
//!   contact points, consents withdrawn), read in batches at the time of
//!   sending so that a changed address or a withdrawn consent counts at
//!   once; and the members of a selector, streamed.
//! - the complaints service's event feed for the trigger consumer is the
//!   platform's [`ComplaintFeedSource`].

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt as _;
use futures::stream::BoxStream;
use redress_platform::auth::{IdentityInterceptor, ServiceIdentity};
use redress_platform::grpc::{ClientError, ClientSettings, TracedChannel, connect, traced};
pub use redress_platform::outbox::ComplaintFeedSource;
use redress_proto::customers::v1 as cpb;
use tonic::service::interceptor::InterceptedService;
use tonic::{Code, Request, Status};
use uuid::Uuid;

use crate::domain::channel::Channel;
use crate::domain::recipient::Recipient;

type Intercepted = InterceptedService<TracedChannel, IdentityInterceptor>;

/// The most names one BatchGetCustomers takes.
const BATCH: usize = 1000;

/// The customers service, reached over gRPC.
#[derive(Debug, Clone)]
pub struct CustomerDirectory {
    client: cpb::customer_service_client::CustomerServiceClient<Intercepted>,
}

/// What delivery needs to know of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerContact {
    /// The name to greet them by.
    pub display_name: String,
    /// Their BCP 47 locale; empty when unknown.
    pub locale: String,
    /// Their IANA zone; empty when unknown.
    pub time_zone: String,
    /// Whether they like familiar address.
    pub familiar: bool,
    /// Their preferred channels this service can deliver on, in order.
    pub channels: Vec<Channel>,
    /// Their first e-mail address, verified ones first.
    pub email: Option<String>,
    /// Their first phone, verified ones first.
    pub phone: Option<String>,
    /// Purposes they opted out of (consent withdrawn).
    pub opted_out: Vec<String>,
    /// Whether their personal data was erased (nothing may be sent).
    pub erased: bool,
}

impl CustomerDirectory {
    /// A directory calling `endpoint` as `identity`.
    pub async fn connect(
        endpoint: &str,
        settings: &ClientSettings,
        identity: Arc<ServiceIdentity>,
    ) -> Result<Self, ClientError> {
        let channel = traced(connect(endpoint, settings).await?);
        Ok(Self {
            client: cpb::customer_service_client::CustomerServiceClient::with_interceptor(
                channel,
                IdentityInterceptor(identity),
            )
            .max_decoding_message_size(64 * 1024 * 1024),
        })
    }

    /// The customers of `ids` that exist, by id. Unknown ids are left out.
    pub async fn contacts(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, CustomerContact>, Status> {
        let mut found = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH) {
            let names: Vec<String> = chunk
                .iter()
                .map(|id| Recipient::Customer(*id).to_string())
                .collect();
            let answer = self
                .client
                .clone()
                .batch_get_customers(Request::new(cpb::BatchGetCustomersRequest { names }))
                .await;
            let customers = match answer {
                Ok(answer) => answer.into_inner().customers,
                // One unknown name fails the whole batch: ask one by one.
                Err(status) if status.code() == Code::NotFound => self.one_by_one(chunk).await?,
                Err(status) => return Err(status),
            };
            for customer in customers {
                if let Some(id) = customer
                    .name
                    .strip_prefix("customers/")
                    .and_then(|id| Uuid::parse_str(id).ok())
                {
                    found.insert(id, contact_of(customer));
                }
            }
        }
        Ok(found)
    }

    async fn one_by_one(&self, ids: &[Uuid]) -> Result<Vec<cpb::Customer>, Status> {
        let mut customers = Vec::with_capacity(ids.len());
        for id in ids {
            let request = Request::new(cpb::GetCustomerRequest {
                name: Recipient::Customer(*id).to_string(),
            });
            match self.client.clone().get_customer(request).await {
                Ok(answer) => customers.extend(answer.into_inner().customer),
                Err(status) if status.code() == Code::NotFound => {}
                Err(status) => return Err(status),
            }
        }
        Ok(customers)
    }

    /// The names of the customers `selector` takes, in batches of ids.
    pub async fn select(
        &self,
        selector: cpb::CustomerSelector,
    ) -> Result<BoxStream<'static, Result<Vec<Uuid>, Status>>, Status> {
        let stream = self
            .client
            .clone()
            .select_customers(Request::new(cpb::SelectCustomersRequest {
                selector: Some(selector),
                batch_size: 1000,
            }))
            .await?
            .into_inner();
        Ok(stream
            .map(|batch| {
                batch.map(|b| {
                    b.names
                        .iter()
                        .filter_map(|n| n.strip_prefix("customers/"))
                        .filter_map(|id| Uuid::parse_str(id).ok())
                        .collect()
                })
            })
            .boxed())
    }
}

/// The channel this service delivers a customer's preferred channel on.
fn deliverable(channel: cpb::Channel) -> Option<Channel> {
    match channel {
        cpb::Channel::Email => Some(Channel::Email),
        cpb::Channel::Sms => Some(Channel::Sms),
        cpb::Channel::MobileApp => Some(Channel::Webhook),
        cpb::Channel::InApp => Some(Channel::InApp),
        _ => None,
    }
}

fn contact_of(customer: cpb::Customer) -> CustomerContact {
    let mut channels = Vec::new();
    for c in &customer.preferred_channels {
        if let Some(ch) = cpb::Channel::try_from(*c).ok().and_then(deliverable)
            && !channels.contains(&ch)
        {
            channels.push(ch);
        }
    }
    let first = |want: fn(&cpb::contact_point::Point) -> Option<&String>| {
        let mut points: Vec<_> = customer
            .contact_points
            .iter()
            .filter_map(|p| p.point.as_ref().and_then(want).map(|v| (p.verified, v)))
            .collect();
        points.sort_by_key(|(verified, _)| !verified);
        points.first().map(|(_, v)| (*v).clone())
    };
    let email = first(|p| match p {
        cpb::contact_point::Point::Email(e) => Some(e),
        _ => None,
    });
    let phone = first(|p| match p {
        cpb::contact_point::Point::Phone(p) => Some(p),
        _ => None,
    });
    CustomerContact {
        display_name: customer.display_name,
        locale: customer.locale,
        time_zone: customer.time_zone,
        familiar: customer.communication_style == cpb::CommunicationStyle::Familiar as i32,
        channels,
        email,
        phone,
        opted_out: customer
            .consents
            .iter()
            .filter(|c| c.state == cpb::ConsentState::OptedOut as i32)
            .map(|c| c.purpose.clone())
            .collect(),
        erased: customer.erase_time.is_some(),
    }
}
