//! PLACEHOLDER: this area is being built on its own branch and replaces
//! this file wholesale. Nothing here is ever released.

use redress_platform::auth::Caller;
use redress_platform::error::ApiError;
use redress_proto::crisis::v1 as pb;

use super::CrisisApi;

impl CrisisApi {
    pub(super) async fn create_statement(
        &self,
        _caller: &Caller,
        _request: pb::CreateStatementRequest,
    ) -> Result<pb::CreateStatementResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn update_statement(
        &self,
        _caller: &Caller,
        _request: pb::UpdateStatementRequest,
    ) -> Result<pb::UpdateStatementResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn approve_statement(
        &self,
        _caller: &Caller,
        _request: pb::ApproveStatementRequest,
    ) -> Result<pb::ApproveStatementResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn release_statement(
        &self,
        _caller: &Caller,
        _request: pb::ReleaseStatementRequest,
    ) -> Result<pb::ReleaseStatementResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn get_statement(
        &self,
        _caller: &Caller,
        _request: pb::GetStatementRequest,
    ) -> Result<pb::GetStatementResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn list_statements(
        &self,
        _caller: &Caller,
        _request: pb::ListStatementsRequest,
    ) -> Result<pb::ListStatementsResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn record_regulator_report(
        &self,
        _caller: &Caller,
        _request: pb::RecordRegulatorReportRequest,
    ) -> Result<pb::RecordRegulatorReportResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn list_regulator_reports(
        &self,
        _caller: &Caller,
        _request: pb::ListRegulatorReportsRequest,
    ) -> Result<pb::ListRegulatorReportsResponse, ApiError> {
        Err(ApiError::Internal)
    }
}
