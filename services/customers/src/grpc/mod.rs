//! The gRPC face of the customers service: thin handlers that take the
//! caller from the request, validate into domain types, perform the operation
//! in one transaction, and map every error through [`ApiError::into_status`].

pub mod access;
mod activity;
pub mod audit;
pub mod convert;
pub mod enums;
pub mod mask;
mod profiles;

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use prost::Message;
use redress_platform::auth::Caller;
use redress_platform::clock::SharedClock;
use redress_platform::error::{ApiError, ErrorDomain, FieldViolations};
use redress_platform::idempotency::{
    Claim, fingerprint_of as fingerprint, replay, request_id_field as request_id,
};
use redress_proto::customers::v1 as pb;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::Settings;
use crate::domain::names;
use crate::store::standing::Policies;

/// The error domain of this service.
pub const DOMAIN: ErrorDomain = "customers.redress";

/// The CustomerService implementation.
#[derive(Debug, Clone)]
pub struct CustomerApi {
    pool: PgPool,
    clock: SharedClock,
    settings: Arc<Settings>,
    policies: Arc<Policies>,
}

impl CustomerApi {
    /// An API over `pool` with time from `clock`.
    pub fn new(pool: PgPool, clock: SharedClock, settings: Arc<Settings>) -> Self {
        let policies = Arc::new(Policies {
            grading: settings.grading.clone(),
            lifecycle: settings.lifecycle.clone(),
        });
        Self {
            pool,
            clock,
            settings,
            policies,
        }
    }
}

/// The caller the authentication layer put on the request.
fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    Caller::from_request(request).cloned()
}

/// Runs an operation and maps its error to a status.
fn respond<T>(result: Result<T, ApiError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(|e| e.into_status(DOMAIN))
}

/// Parses `customers/{id}` from `field`, recording a violation.
fn customer_id(v: &mut FieldViolations, field: &str, name: &str) -> Option<Uuid> {
    v.check(field, names::parse_customer(name))
}

/// Claims a request id within `tx`.
async fn claim(
    tx: &mut sqlx::PgConnection,
    operation: &'static str,
    request_id: Option<Uuid>,
    caller: &Caller,
    fingerprint: &[u8],
) -> Result<Claim, ApiError> {
    Claim::take(tx, operation, request_id, &caller.subject, fingerprint).await
}

/// Parses a required part of a request (`customer`, `transaction`, ...)
/// with `parse`, adding its violations to `v`.
fn required_part<P, T>(
    v: &mut FieldViolations,
    field: &str,
    part: Option<&P>,
    parse: impl FnOnce(&P) -> Result<T, FieldViolations>,
) -> Option<T> {
    let Some(part) = part else {
        v.add(field, "is required");
        return None;
    };
    match parse(part) {
        Ok(value) => Some(value),
        Err(errors) => {
            v.merge(errors);
            None
        }
    }
}

/// A command begun in its transaction, or the answer of an earlier identical
/// request.
enum Begun<R> {
    /// The request was made before; this was its answer.
    Replay(R),
    /// First time: the request id is claimed and the customer is locked
    /// until the transaction ends.
    Fresh {
        /// The command's transaction.
        tx: sqlx::Transaction<'static, sqlx::Postgres>,
        /// The claimed request id.
        claim: Claim,
    },
}

impl CustomerApi {
    /// Begins a command on one customer: claims the request id, locks the
    /// customer and refuses an erased one.
    async fn begin_on_customer<R: Message + Default>(
        &self,
        operation: &'static str,
        caller: &Caller,
        request_id: Option<Uuid>,
        fingerprint: &[u8],
        customer: Uuid,
    ) -> Result<Begun<R>, ApiError> {
        let mut tx = self.pool.begin().await?;
        let claim = claim(&mut tx, operation, request_id, caller, fingerprint).await?;
        if let Claim::Replay(answer) = claim {
            return Ok(Begun::Replay(replay(&answer)?));
        }
        let was_erased = crate::store::customers::lock_row(&mut tx, customer)
            .await?
            .ok_or_else(|| customer_not_found(customer))?;
        if was_erased {
            return Err(erased(customer));
        }
        Ok(Begun::Fresh { tx, claim })
    }
}

/// Records the answer of a command under its request id and commits.
async fn finish<R: Message>(
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    claim: Claim,
    response: R,
) -> Result<R, ApiError> {
    claim.finish(&mut tx, &response.encode_to_vec()).await?;
    tx.commit().await?;
    Ok(response)
}

/// ALREADY_EXISTS for a taken external reference; other store errors as they
/// are.
fn reference_taken(error: crate::store::StoreError) -> ApiError {
    if error.violates("customers_external_reference_key") {
        ApiError::AlreadyExists {
            reason: "EXTERNAL_REFERENCE_TAKEN",
            message: "another customer has this external_reference".into(),
        }
    } else {
        error.into()
    }
}

/// NOT_FOUND for a customer id.
fn customer_not_found(id: Uuid) -> ApiError {
    ApiError::not_found("Customer", names::customer(id))
}

/// FAILED_PRECONDITION for changing an erased customer.
fn erased(id: Uuid) -> ApiError {
    ApiError::FailedPrecondition {
        reason: "CUSTOMER_ERASED",
        message: format!(
            "{} was erased; its personal data can no longer change",
            names::customer(id)
        ),
        allowed: vec!["GetCustomer".into(), "ListInteractions".into()],
    }
}

type SelectStream = Pin<Box<dyn Stream<Item = Result<pb::SelectCustomersResponse, Status>> + Send>>;

#[tonic::async_trait]
impl pb::customer_service_server::CustomerService for CustomerApi {
    async fn create_customer(
        &self,
        request: Request<pb::CreateCustomerRequest>,
    ) -> Result<Response<pb::CreateCustomerResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.create(&caller, request.into_inner()).await)
    }

    async fn get_customer(
        &self,
        request: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::GetCustomerResponse>, Status> {
        respond(self.get(request.into_inner()).await)
    }

    async fn batch_get_customers(
        &self,
        request: Request<pb::BatchGetCustomersRequest>,
    ) -> Result<Response<pb::BatchGetCustomersResponse>, Status> {
        respond(self.batch_get(request.into_inner()).await)
    }

    async fn update_customer(
        &self,
        request: Request<pb::UpdateCustomerRequest>,
    ) -> Result<Response<pb::UpdateCustomerResponse>, Status> {
        respond(self.update(request.into_inner()).await)
    }

    async fn list_customers(
        &self,
        request: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        respond(self.list(request.into_inner()).await)
    }

    async fn search_customers_by_contact(
        &self,
        request: Request<pb::SearchCustomersByContactRequest>,
    ) -> Result<Response<pb::SearchCustomersByContactResponse>, Status> {
        respond(self.search(request.into_inner()).await)
    }

    async fn record_transaction(
        &self,
        request: Request<pb::RecordTransactionRequest>,
    ) -> Result<Response<pb::RecordTransactionResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.record_transaction(&caller, request.into_inner()).await)
    }

    async fn record_interaction(
        &self,
        request: Request<pb::RecordInteractionRequest>,
    ) -> Result<Response<pb::RecordInteractionResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.record_interaction(&caller, request.into_inner()).await)
    }

    async fn list_interactions(
        &self,
        request: Request<pb::ListInteractionsRequest>,
    ) -> Result<Response<pb::ListInteractionsResponse>, Status> {
        respond(self.list_interactions(request.into_inner()).await)
    }

    async fn record_satisfaction(
        &self,
        request: Request<pb::RecordSatisfactionRequest>,
    ) -> Result<Response<pb::RecordSatisfactionResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.record_satisfaction(&caller, request.into_inner())
                .await,
        )
    }

    type SelectCustomersStream = SelectStream;

    async fn select_customers(
        &self,
        request: Request<pb::SelectCustomersRequest>,
    ) -> Result<Response<Self::SelectCustomersStream>, Status> {
        respond(self.select(request.into_inner()))
    }

    async fn get_churn_report(
        &self,
        request: Request<pb::GetChurnReportRequest>,
    ) -> Result<Response<pb::GetChurnReportResponse>, Status> {
        respond(self.churn_report(request.into_inner()).await)
    }

    async fn get_customer_outcomes(
        &self,
        request: Request<pb::GetCustomerOutcomesRequest>,
    ) -> Result<Response<pb::GetCustomerOutcomesResponse>, Status> {
        respond(self.outcomes(request.into_inner()).await)
    }

    async fn summarize_satisfaction(
        &self,
        request: Request<pb::SummarizeSatisfactionRequest>,
    ) -> Result<Response<pb::SummarizeSatisfactionResponse>, Status> {
        respond(self.satisfaction_tally(request.into_inner()).await)
    }

    async fn erase_customer(
        &self,
        request: Request<pb::EraseCustomerRequest>,
    ) -> Result<Response<pb::EraseCustomerResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.erase(&caller, request.into_inner()).await)
    }

    async fn list_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Result<Response<pb::ListAuditEntriesResponse>, Status> {
        respond(self.list_audit_entries(request.into_inner()).await)
    }
}
