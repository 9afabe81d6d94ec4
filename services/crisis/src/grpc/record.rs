//! PLACEHOLDER: this area is being built on its own branch and replaces
//! this file wholesale. Nothing here is ever released.

use redress_platform::auth::Caller;
use redress_platform::error::ApiError;
use redress_proto::crisis::v1 as pb;

use super::CrisisApi;

impl CrisisApi {
    pub(super) async fn list_timeline(
        &self,
        _caller: &Caller,
        _request: pb::ListTimelineRequest,
    ) -> Result<pb::ListTimelineResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn add_timeline_note(
        &self,
        _caller: &Caller,
        _request: pb::AddTimelineNoteRequest,
    ) -> Result<pb::AddTimelineNoteResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn create_status_report(
        &self,
        _caller: &Caller,
        _request: pb::CreateStatusReportRequest,
    ) -> Result<pb::CreateStatusReportResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn list_status_reports(
        &self,
        _caller: &Caller,
        _request: pb::ListStatusReportsRequest,
    ) -> Result<pb::ListStatusReportsResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn get_crisis_review(
        &self,
        _caller: &Caller,
        _request: pb::GetCrisisReviewRequest,
    ) -> Result<pb::GetCrisisReviewResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn update_crisis_review(
        &self,
        _caller: &Caller,
        _request: pb::UpdateCrisisReviewRequest,
    ) -> Result<pb::UpdateCrisisReviewResponse, ApiError> {
        Err(ApiError::Internal)
    }
}
