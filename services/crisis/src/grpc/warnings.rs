//! PLACEHOLDER: this area is being built on its own branch and replaces
//! this file wholesale. Nothing here is ever released.

use redress_platform::auth::Caller;
use redress_platform::error::ApiError;
use redress_proto::crisis::v1 as pb;

use super::CrisisApi;

impl CrisisApi {
    pub(super) async fn list_warnings(
        &self,
        _caller: &Caller,
        _request: pb::ListWarningsRequest,
    ) -> Result<pb::ListWarningsResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn get_warning(
        &self,
        _caller: &Caller,
        _request: pb::GetWarningRequest,
    ) -> Result<pb::GetWarningResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn report_signal(
        &self,
        _caller: &Caller,
        _request: pb::ReportSignalRequest,
    ) -> Result<pb::ReportSignalResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn dismiss_warning(
        &self,
        _caller: &Caller,
        _request: pb::DismissWarningRequest,
    ) -> Result<pb::DismissWarningResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn watch_warning(
        &self,
        _caller: &Caller,
        _request: pb::WatchWarningRequest,
    ) -> Result<pb::WatchWarningResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn snooze_warning(
        &self,
        _caller: &Caller,
        _request: pb::SnoozeWarningRequest,
    ) -> Result<pb::SnoozeWarningResponse, ApiError> {
        Err(ApiError::Internal)
    }
}
