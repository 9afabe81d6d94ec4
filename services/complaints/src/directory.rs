//! The customers service as the complaints service sees it: whether a
//! customer exists and may complain (not erased), their value grade, and
//! recording the intake contact in their interaction log. Calls carry this
//! service's own identity and the agent it acts for, and map the customers
//! service's answers to this service's errors: an unknown or erased customer
//! is FAILED_PRECONDITION naming it; an unreachable customers service is
//! UNAVAILABLE, and the intake writes nothing.

use std::sync::Arc;

use redress_platform::auth::{Caller, IdentityInterceptor, ServiceIdentity, attach_end_user};
use redress_platform::error::ApiError;
use redress_platform::grpc::{ClientError, ClientSettings, TracedChannel, connect, traced};
use redress_platform::wire;
use redress_proto::customers::v1 as cpb;
use tonic::service::interceptor::InterceptedService;
use tonic::{Code, Request, Status};
use uuid::Uuid;

use crate::domain::complaint::Channel;
use crate::domain::names;
use crate::domain::priority::Grade;

type Client = cpb::customer_service_client::CustomerServiceClient<
    InterceptedService<TracedChannel, IdentityInterceptor>,
>;

/// The customers service, reached over gRPC.
#[derive(Debug, Clone)]
pub struct CustomerDirectory {
    client: Client,
}

/// What the complaints service needs to know of a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerFacts {
    /// The value grade now.
    pub grade: Grade,
}

/// How many customers one GetCustomerOutcomes call asks about.
const OUTCOMES_PER_CALL: usize = 1000;

/// What became of a customer after a moment of theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerOutcome {
    /// They bought again within the window.
    pub returned: bool,
    /// They churned since.
    pub churned_since: bool,
}

/// The contact an intake records in the customer's log.
#[derive(Debug, Clone)]
pub struct IntakeContact<'a> {
    /// The complaint.
    pub complaint_id: Uuid,
    /// How it came in.
    pub channel: Channel,
    /// Its one-line summary.
    pub summary: &'a str,
    /// When.
    pub at: jiff::Timestamp,
}

/// A survey answer to record on the customer.
#[derive(Debug, Clone, Copy)]
pub struct SatisfactionAnswer {
    /// The survey; its id names the request, so a repeat records nothing
    /// twice.
    pub survey_id: Uuid,
    /// The complaint the survey followed.
    pub complaint_id: Uuid,
    /// Perceived value.
    pub perceived_value: f64,
    /// Expectation, on the same scale.
    pub expectation: f64,
    /// When the customer answered.
    pub answer_time: jiff::Timestamp,
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
            ),
        })
    }

    /// What became of each customer after their moment (a closure, a first
    /// complaint): whether they bought again within `within` after it, and
    /// whether they churned since; asked 1000 at a time, answered in order;
    /// on behalf of `caller` when one acts, else as this service alone.
    pub async fn outcomes(
        &self,
        caller: Option<&Caller>,
        queries: &[(Uuid, jiff::Timestamp)],
        within: jiff::SignedDuration,
    ) -> Result<Vec<CustomerOutcome>, ApiError> {
        let mut answers = Vec::with_capacity(queries.len());
        for chunk in queries.chunks(OUTCOMES_PER_CALL) {
            let mut request = Request::new(cpb::GetCustomerOutcomesRequest {
                queries: chunk
                    .iter()
                    .map(|(id, since)| cpb::OutcomeQuery {
                        customer: names::customer(*id),
                        since_time: Some(wire::timestamp(*since)),
                    })
                    .collect(),
                within: Some(prost_types::Duration {
                    seconds: within.as_secs(),
                    nanos: within.subsec_nanos(),
                }),
            });
            if let Some(caller) = caller {
                on_behalf_of(&mut request, caller)?;
            }
            let outcomes = self
                .client
                .clone()
                .get_customer_outcomes(request)
                .await
                .map_err(|status| customer_error(status, "a customer of the period"))?
                .into_inner()
                .outcomes;
            if outcomes.len() != chunk.len() {
                tracing::error!("the customers service answered GetCustomerOutcomes short");
                return Err(ApiError::Internal);
            }
            answers.extend(outcomes.into_iter().map(|o| CustomerOutcome {
                returned: o.return_time.is_some(),
                churned_since: o.churned_since,
            }));
        }
        Ok(answers)
    }

    /// Checks that the customer exists and is not erased, and reads their
    /// grade.
    pub async fn check(&self, caller: &Caller, customer: Uuid) -> Result<CustomerFacts, ApiError> {
        let name = names::customer(customer);
        let found = self.fetch(caller, &name).await?;
        if found.erase_time.is_some() {
            return Err(ApiError::FailedPrecondition {
                reason: "CUSTOMER_ERASED",
                message: format!("{name} was erased; a complaint cannot be recorded for it"),
                allowed: vec!["CreateCustomer".into()],
            });
        }
        let grade = match cpb::ValueGrade::try_from(found.value_grade) {
            Ok(cpb::ValueGrade::A) => Grade::A,
            Ok(cpb::ValueGrade::B) => Grade::B,
            Ok(cpb::ValueGrade::C) => Grade::C,
            Ok(cpb::ValueGrade::D) => Grade::D,
            _ => Grade::Ungraded,
        };
        Ok(CustomerFacts { grade })
    }

    /// Records the intake in the customer's interaction log, idempotently
    /// per complaint.
    pub async fn record_intake(
        &self,
        caller: &Caller,
        customer: Uuid,
        contact: IntakeContact<'_>,
    ) -> Result<(), ApiError> {
        let name = names::customer(customer);
        let mut request = Request::new(cpb::RecordInteractionRequest {
            parent: name.clone(),
            interaction: Some(cpb::Interaction {
                name: String::new(),
                channel: customers_channel(contact.channel) as i32,
                direction: cpb::Direction::Inbound as i32,
                summary: contact.summary.to_owned(),
                agent: caller.acting_subject().to_owned(),
                occur_time: Some(wire::timestamp(contact.at)),
                related_complaint: names::complaint(contact.complaint_id),
                create_time: None,
            }),
            request_id: contact.complaint_id.to_string(),
        });
        on_behalf_of(&mut request, caller)?;
        self.client
            .clone()
            .record_interaction(request)
            .await
            .map_err(|status| customer_error(status, &name))?;
        Ok(())
    }
}

impl CustomerDirectory {
    /// The customer's IANA time zone, empty when none is on record, read on
    /// behalf of `caller`.
    pub async fn time_zone(&self, caller: &Caller, customer: Uuid) -> Result<String, ApiError> {
        let name = names::customer(customer);
        Ok(self.fetch(caller, &name).await?.time_zone)
    }

    /// GetCustomer `name`, on behalf of `caller`.
    async fn fetch(&self, caller: &Caller, name: &str) -> Result<cpb::Customer, ApiError> {
        let mut request = Request::new(cpb::GetCustomerRequest {
            name: name.to_owned(),
        });
        on_behalf_of(&mut request, caller)?;
        self.client
            .clone()
            .get_customer(request)
            .await
            .map_err(|status| customer_error(status, name))?
            .into_inner()
            .customer
            .ok_or_else(|| {
                tracing::error!("the customers service answered GetCustomer without a customer");
                ApiError::Internal
            })
    }

    /// Records a survey answer on customer `customer`
    /// (customers.RecordSatisfaction), idempotently per survey. Called by
    /// this service itself once the answer is committed, never for a caller.
    pub async fn record_satisfaction(
        &self,
        customer: Uuid,
        answer: SatisfactionAnswer,
    ) -> Result<(), ApiError> {
        let name = names::customer(customer);
        let request = Request::new(cpb::RecordSatisfactionRequest {
            parent: name.clone(),
            record: Some(cpb::SatisfactionRecord {
                name: String::new(),
                perceived_value: answer.perceived_value,
                expectation: answer.expectation,
                ratio: 0.0,
                related_complaint: names::complaint(answer.complaint_id),
                answer_time: Some(wire::timestamp(answer.answer_time)),
                create_time: None,
            }),
            request_id: answer.survey_id.to_string(),
        });
        self.client
            .clone()
            .record_satisfaction(request)
            .await
            .map_err(|status| customer_error(status, &name))?;
        Ok(())
    }
}

/// Sends the person this call is made for.
fn on_behalf_of<T>(request: &mut Request<T>, caller: &Caller) -> Result<(), ApiError> {
    attach_end_user(request, caller).map_err(|error| {
        tracing::error!(%error, "the caller's token cannot be passed along");
        ApiError::Internal
    })
}

/// The customers service's channel for a complaint channel.
fn customers_channel(channel: Channel) -> cpb::Channel {
    match channel {
        Channel::Phone => cpb::Channel::Phone,
        Channel::Email => cpb::Channel::Email,
        Channel::Chat => cpb::Channel::Chat,
        Channel::WebForm => cpb::Channel::WebForm,
        Channel::SocialMedia => cpb::Channel::SocialMedia,
        Channel::InPerson => cpb::Channel::InPerson,
        Channel::Letter => cpb::Channel::Letter,
        Channel::MobileApp => cpb::Channel::MobileApp,
    }
}

/// This service's error for a failed call about customer `name`.
fn customer_error(status: Status, name: &str) -> ApiError {
    match status.code() {
        Code::NotFound => ApiError::FailedPrecondition {
            reason: "CUSTOMER_NOT_FOUND",
            message: format!("{name} is not a known customer; create the customer first"),
            allowed: vec!["CreateCustomer".into()],
        },
        Code::FailedPrecondition => ApiError::FailedPrecondition {
            reason: "CUSTOMER_ERASED",
            message: format!("{name} was erased; a complaint cannot be recorded for it"),
            allowed: vec!["CreateCustomer".into()],
        },
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::ResourceExhausted => {
            tracing::warn!(code = ?status.code(), "the customers service is not reachable");
            ApiError::Unavailable {
                reason: "CUSTOMERS_UNAVAILABLE",
                message: "the customers service is not reachable; nothing was written; retry"
                    .into(),
            }
        }
        code => {
            tracing::error!(?code, "the customers service refused a call");
            ApiError::Internal
        }
    }
}
