//! The customers service's audit trail: its closed vocabulary of audited
//! actions and the `ListAuditEntries` handler. Erasure is the one
//! admin-only change here, so it is what the trail records; reading the trail
//! is itself admin only (see `access`).

use redress_platform::audit::Action;
use redress_platform::error::ApiError;
use redress_proto::customers::v1 as pb;

use super::CustomerApi;

/// A customer's personal data was erased (`EraseCustomer`). Erasing an
/// already erased customer changes nothing and records nothing.
pub const CUSTOMER_ERASED: Action = Action::new("customer.erased");

/// Every action this service records.
pub const ACTIONS: &[Action] = &[CUSTOMER_ERASED];

impl CustomerApi {
    pub(super) async fn list_audit_entries(
        &self,
        request: pb::ListAuditEntriesRequest,
    ) -> Result<pb::ListAuditEntriesResponse, ApiError> {
        redress_platform::list_audit_entries!(&self.pool, request, pb)
    }
}
