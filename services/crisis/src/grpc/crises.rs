//! PLACEHOLDER: this area is being built on its own branch and replaces
//! this file wholesale. Nothing here is ever released.

use redress_platform::auth::Caller;
use redress_platform::error::ApiError;
use redress_proto::crisis::v1 as pb;

use super::CrisisApi;

impl CrisisApi {
    pub(super) async fn declare_crisis(
        &self,
        _caller: &Caller,
        _request: pb::DeclareCrisisRequest,
    ) -> Result<pb::DeclareCrisisResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn get_crisis(
        &self,
        _caller: &Caller,
        _request: pb::GetCrisisRequest,
    ) -> Result<pb::GetCrisisResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn list_crises(
        &self,
        _caller: &Caller,
        _request: pb::ListCrisesRequest,
    ) -> Result<pb::ListCrisesResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn update_crisis(
        &self,
        _caller: &Caller,
        _request: pb::UpdateCrisisRequest,
    ) -> Result<pb::UpdateCrisisResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn transition_crisis(
        &self,
        _caller: &Caller,
        _request: pb::TransitionCrisisRequest,
    ) -> Result<pb::TransitionCrisisResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn assign_crisis_role(
        &self,
        _caller: &Caller,
        _request: pb::AssignCrisisRoleRequest,
    ) -> Result<pb::AssignCrisisRoleResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn remove_crisis_member(
        &self,
        _caller: &Caller,
        _request: pb::RemoveCrisisMemberRequest,
    ) -> Result<pb::RemoveCrisisMemberResponse, ApiError> {
        Err(ApiError::Internal)
    }
}
