//! PLACEHOLDER: this area is being built on its own branch and replaces
//! this file wholesale. Nothing here is ever released.

use redress_platform::auth::Caller;
use redress_platform::error::ApiError;
use redress_proto::crisis::v1 as pb;

use super::CrisisApi;

impl CrisisApi {
    pub(super) async fn link_affected_customers(
        &self,
        _caller: &Caller,
        _request: pb::LinkAffectedCustomersRequest,
    ) -> Result<pb::LinkAffectedCustomersResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn get_customer_link(
        &self,
        _caller: &Caller,
        _request: pb::GetCustomerLinkRequest,
    ) -> Result<pb::GetCustomerLinkResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn list_affected_customers(
        &self,
        _caller: &Caller,
        _request: pb::ListAffectedCustomersRequest,
    ) -> Result<pb::ListAffectedCustomersResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn link_complaints(
        &self,
        _caller: &Caller,
        _request: pb::LinkComplaintsRequest,
    ) -> Result<pb::LinkComplaintsResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn list_linked_complaints(
        &self,
        _caller: &Caller,
        _request: pb::ListLinkedComplaintsRequest,
    ) -> Result<pb::ListLinkedComplaintsResponse, ApiError> {
        Err(ApiError::Internal)
    }

    pub(super) async fn get_affected_counts(
        &self,
        _caller: &Caller,
        _request: pb::GetAffectedCountsRequest,
    ) -> Result<pb::GetAffectedCountsResponse, ApiError> {
        Err(ApiError::Internal)
    }
}
