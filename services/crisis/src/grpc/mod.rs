//! The gRPC face of the crisis service: thin handlers that take the caller
//! from the request, validate into domain types, perform the operation in
//! one transaction (with its timeline entry and its events) and map every
//! error through [`ApiError::into_status`].
//!
//! One module per area: warnings, crises and their teams, plans and tasks,
//! affected parties, statements and regulator reports, the record
//! (timeline, status reports, review), and the event feed.

pub mod access;
mod affected;
pub mod audit;
mod convert;
mod crises;
mod feed;
mod plans;
#[cfg(test)]
mod props_support;
mod record;
mod statements;
mod warnings;

use std::sync::Arc;

use redress_platform::auth::Caller;
use redress_platform::clock::SharedClock;
use redress_platform::error::{ApiError, ErrorDomain};
use redress_platform::outbox::{self, Feed};
use redress_proto::crisis::v1 as pb;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::directory::Directories;
use crate::settings::Settings;

/// The error domain of this service.
pub const DOMAIN: ErrorDomain = "crisis.redress";

/// The CrisisService implementation.
#[derive(Debug, Clone)]
pub struct CrisisApi {
    pool: PgPool,
    clock: SharedClock,
    settings: Arc<Settings>,
    directories: Directories,
    feed: Feed,
}

impl CrisisApi {
    /// An API over `pool`, asking the other services through `directories`.
    pub fn new(
        pool: PgPool,
        clock: SharedClock,
        settings: Arc<Settings>,
        directories: Directories,
        feed: Feed,
    ) -> Self {
        Self {
            pool,
            clock,
            settings,
            directories,
            feed,
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

type WatchStream<R> = outbox::grpc::WatchStream<R>;

#[tonic::async_trait]
impl pb::crisis_service_server::CrisisService for CrisisApi {
    async fn list_warnings(
        &self,
        request: Request<pb::ListWarningsRequest>,
    ) -> Result<Response<pb::ListWarningsResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.list_warnings(&caller, request.into_inner()).await)
    }

    async fn get_warning(
        &self,
        request: Request<pb::GetWarningRequest>,
    ) -> Result<Response<pb::GetWarningResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.get_warning(&caller, request.into_inner()).await)
    }

    async fn report_signal(
        &self,
        request: Request<pb::ReportSignalRequest>,
    ) -> Result<Response<pb::ReportSignalResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.report_signal(&caller, request.into_inner()).await)
    }

    async fn dismiss_warning(
        &self,
        request: Request<pb::DismissWarningRequest>,
    ) -> Result<Response<pb::DismissWarningResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.dismiss_warning(&caller, request.into_inner()).await)
    }

    async fn watch_warning(
        &self,
        request: Request<pb::WatchWarningRequest>,
    ) -> Result<Response<pb::WatchWarningResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.watch_warning(&caller, request.into_inner()).await)
    }

    async fn snooze_warning(
        &self,
        request: Request<pb::SnoozeWarningRequest>,
    ) -> Result<Response<pb::SnoozeWarningResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.snooze_warning(&caller, request.into_inner()).await)
    }

    async fn declare_crisis(
        &self,
        request: Request<pb::DeclareCrisisRequest>,
    ) -> Result<Response<pb::DeclareCrisisResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.declare_crisis(&caller, request.into_inner()).await)
    }

    async fn get_crisis(
        &self,
        request: Request<pb::GetCrisisRequest>,
    ) -> Result<Response<pb::GetCrisisResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.get_crisis(&caller, request.into_inner()).await)
    }

    async fn list_crises(
        &self,
        request: Request<pb::ListCrisesRequest>,
    ) -> Result<Response<pb::ListCrisesResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.list_crises(&caller, request.into_inner()).await)
    }

    async fn update_crisis(
        &self,
        request: Request<pb::UpdateCrisisRequest>,
    ) -> Result<Response<pb::UpdateCrisisResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.update_crisis(&caller, request.into_inner()).await)
    }

    async fn transition_crisis(
        &self,
        request: Request<pb::TransitionCrisisRequest>,
    ) -> Result<Response<pb::TransitionCrisisResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.transition_crisis(&caller, request.into_inner()).await)
    }

    async fn assign_crisis_role(
        &self,
        request: Request<pb::AssignCrisisRoleRequest>,
    ) -> Result<Response<pb::AssignCrisisRoleResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.assign_crisis_role(&caller, request.into_inner()).await)
    }

    async fn remove_crisis_member(
        &self,
        request: Request<pb::RemoveCrisisMemberRequest>,
    ) -> Result<Response<pb::RemoveCrisisMemberResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.remove_crisis_member(&caller, request.into_inner())
                .await,
        )
    }

    async fn create_plan_template(
        &self,
        request: Request<pb::CreatePlanTemplateRequest>,
    ) -> Result<Response<pb::CreatePlanTemplateResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.create_plan_template(&caller, request.into_inner())
                .await,
        )
    }

    async fn update_plan_template(
        &self,
        request: Request<pb::UpdatePlanTemplateRequest>,
    ) -> Result<Response<pb::UpdatePlanTemplateResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.update_plan_template(&caller, request.into_inner())
                .await,
        )
    }

    async fn get_plan_template(
        &self,
        request: Request<pb::GetPlanTemplateRequest>,
    ) -> Result<Response<pb::GetPlanTemplateResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.get_plan_template(&caller, request.into_inner()).await)
    }

    async fn list_plan_templates(
        &self,
        request: Request<pb::ListPlanTemplatesRequest>,
    ) -> Result<Response<pb::ListPlanTemplatesResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.list_plan_templates(&caller, request.into_inner())
                .await,
        )
    }

    async fn create_crisis_task(
        &self,
        request: Request<pb::CreateCrisisTaskRequest>,
    ) -> Result<Response<pb::CreateCrisisTaskResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.create_crisis_task(&caller, request.into_inner()).await)
    }

    async fn reassign_crisis_task(
        &self,
        request: Request<pb::ReassignCrisisTaskRequest>,
    ) -> Result<Response<pb::ReassignCrisisTaskResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.reassign_crisis_task(&caller, request.into_inner())
                .await,
        )
    }

    async fn complete_crisis_task(
        &self,
        request: Request<pb::CompleteCrisisTaskRequest>,
    ) -> Result<Response<pb::CompleteCrisisTaskResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.complete_crisis_task(&caller, request.into_inner())
                .await,
        )
    }

    async fn list_crisis_tasks(
        &self,
        request: Request<pb::ListCrisisTasksRequest>,
    ) -> Result<Response<pb::ListCrisisTasksResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.list_crisis_tasks(&caller, request.into_inner()).await)
    }

    async fn link_affected_customers(
        &self,
        request: Request<pb::LinkAffectedCustomersRequest>,
    ) -> Result<Response<pb::LinkAffectedCustomersResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.link_affected_customers(&caller, request.into_inner())
                .await,
        )
    }

    async fn get_customer_link(
        &self,
        request: Request<pb::GetCustomerLinkRequest>,
    ) -> Result<Response<pb::GetCustomerLinkResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.get_customer_link(&caller, request.into_inner()).await)
    }

    async fn list_affected_customers(
        &self,
        request: Request<pb::ListAffectedCustomersRequest>,
    ) -> Result<Response<pb::ListAffectedCustomersResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.list_affected_customers(&caller, request.into_inner())
                .await,
        )
    }

    async fn link_complaints(
        &self,
        request: Request<pb::LinkComplaintsRequest>,
    ) -> Result<Response<pb::LinkComplaintsResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.link_complaints(&caller, request.into_inner()).await)
    }

    async fn list_linked_complaints(
        &self,
        request: Request<pb::ListLinkedComplaintsRequest>,
    ) -> Result<Response<pb::ListLinkedComplaintsResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.list_linked_complaints(&caller, request.into_inner())
                .await,
        )
    }

    async fn get_affected_counts(
        &self,
        request: Request<pb::GetAffectedCountsRequest>,
    ) -> Result<Response<pb::GetAffectedCountsResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.get_affected_counts(&caller, request.into_inner())
                .await,
        )
    }

    async fn create_statement(
        &self,
        request: Request<pb::CreateStatementRequest>,
    ) -> Result<Response<pb::CreateStatementResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.create_statement(&caller, request.into_inner()).await)
    }

    async fn update_statement(
        &self,
        request: Request<pb::UpdateStatementRequest>,
    ) -> Result<Response<pb::UpdateStatementResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.update_statement(&caller, request.into_inner()).await)
    }

    async fn approve_statement(
        &self,
        request: Request<pb::ApproveStatementRequest>,
    ) -> Result<Response<pb::ApproveStatementResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.approve_statement_audited(&caller, request.into_inner())
                .await,
        )
    }

    async fn release_statement(
        &self,
        request: Request<pb::ReleaseStatementRequest>,
    ) -> Result<Response<pb::ReleaseStatementResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.release_statement(&caller, request.into_inner()).await)
    }

    async fn get_statement(
        &self,
        request: Request<pb::GetStatementRequest>,
    ) -> Result<Response<pb::GetStatementResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.get_statement(&caller, request.into_inner()).await)
    }

    async fn list_statements(
        &self,
        request: Request<pb::ListStatementsRequest>,
    ) -> Result<Response<pb::ListStatementsResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.list_statements(&caller, request.into_inner()).await)
    }

    async fn record_regulator_report(
        &self,
        request: Request<pb::RecordRegulatorReportRequest>,
    ) -> Result<Response<pb::RecordRegulatorReportResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.record_regulator_report(&caller, request.into_inner())
                .await,
        )
    }

    async fn list_regulator_reports(
        &self,
        request: Request<pb::ListRegulatorReportsRequest>,
    ) -> Result<Response<pb::ListRegulatorReportsResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.list_regulator_reports(&caller, request.into_inner())
                .await,
        )
    }

    async fn list_timeline(
        &self,
        request: Request<pb::ListTimelineRequest>,
    ) -> Result<Response<pb::ListTimelineResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.list_timeline(&caller, request.into_inner()).await)
    }

    async fn add_timeline_note(
        &self,
        request: Request<pb::AddTimelineNoteRequest>,
    ) -> Result<Response<pb::AddTimelineNoteResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.add_timeline_note(&caller, request.into_inner()).await)
    }

    async fn create_status_report(
        &self,
        request: Request<pb::CreateStatusReportRequest>,
    ) -> Result<Response<pb::CreateStatusReportResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.create_status_report(&caller, request.into_inner())
                .await,
        )
    }

    async fn list_status_reports(
        &self,
        request: Request<pb::ListStatusReportsRequest>,
    ) -> Result<Response<pb::ListStatusReportsResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.list_status_reports(&caller, request.into_inner())
                .await,
        )
    }

    async fn get_crisis_review(
        &self,
        request: Request<pb::GetCrisisReviewRequest>,
    ) -> Result<Response<pb::GetCrisisReviewResponse>, Status> {
        let caller = caller(&request)?;
        respond(self.get_crisis_review(&caller, request.into_inner()).await)
    }

    async fn update_crisis_review(
        &self,
        request: Request<pb::UpdateCrisisReviewRequest>,
    ) -> Result<Response<pb::UpdateCrisisReviewResponse>, Status> {
        let caller = caller(&request)?;
        respond(
            self.update_crisis_review(&caller, request.into_inner())
                .await,
        )
    }

    async fn list_crisis_events(
        &self,
        request: Request<pb::ListCrisisEventsRequest>,
    ) -> Result<Response<pb::ListCrisisEventsResponse>, Status> {
        self.list_events(request.into_inner()).await
    }

    type WatchCrisisEventsStream = WatchStream<pb::WatchCrisisEventsResponse>;

    async fn watch_crisis_events(
        &self,
        request: Request<pb::WatchCrisisEventsRequest>,
    ) -> Result<Response<Self::WatchCrisisEventsStream>, Status> {
        self.watch_events(request.into_inner())
    }

    async fn list_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Result<Response<pb::ListAuditEntriesResponse>, Status> {
        respond(self.list_audit_entries(request.into_inner()).await)
    }
}
