//! PLACEHOLDER: this area is being built on its own branch and replaces
//! this file wholesale. Nothing here is ever released.

use redress_platform::auth::Caller;
use redress_platform::error::ApiError;
use redress_proto::crisis::v1 as pb;

use super::CrisisApi;

impl CrisisApi {
    pub(super) async fn create_plan_template(
        &self,
        _caller: &Caller,
        _request: pb::CreatePlanTemplateRequest,
    ) -> Result<pb::CreatePlanTemplateResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn update_plan_template(
        &self,
        _caller: &Caller,
        _request: pb::UpdatePlanTemplateRequest,
    ) -> Result<pb::UpdatePlanTemplateResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn get_plan_template(
        &self,
        _caller: &Caller,
        _request: pb::GetPlanTemplateRequest,
    ) -> Result<pb::GetPlanTemplateResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn list_plan_templates(
        &self,
        _caller: &Caller,
        _request: pb::ListPlanTemplatesRequest,
    ) -> Result<pb::ListPlanTemplatesResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn create_crisis_task(
        &self,
        _caller: &Caller,
        _request: pb::CreateCrisisTaskRequest,
    ) -> Result<pb::CreateCrisisTaskResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn reassign_crisis_task(
        &self,
        _caller: &Caller,
        _request: pb::ReassignCrisisTaskRequest,
    ) -> Result<pb::ReassignCrisisTaskResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn complete_crisis_task(
        &self,
        _caller: &Caller,
        _request: pb::CompleteCrisisTaskRequest,
    ) -> Result<pb::CompleteCrisisTaskResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn list_crisis_tasks(
        &self,
        _caller: &Caller,
        _request: pb::ListCrisisTasksRequest,
    ) -> Result<pb::ListCrisisTasksResponse, ApiError> {
        Err(ApiError::Internal)
    }
}
