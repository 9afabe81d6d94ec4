//! The customers service's audit trail: its closed vocabulary of audited
//! actions and the `ListAuditEntries` handler. Erasure is the one
//! admin-only change here, so it is what the trail records; reading the trail
//! is itself admin only (see `access`).

use redress_platform::audit::{self, Action, AuditFilters};
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
        let pb::ListAuditEntriesRequest {
            action,
            actor,
            target,
            start_time,
            end_time,
            page_size,
            page_token,
        } = &request;
        let filters = AuditFilters {
            action,
            actor,
            target,
            start_time: start_time.as_ref(),
            end_time: end_time.as_ref(),
            page_size: *page_size,
            page_token,
        };
        let (audit_entries, next_page_token) = audit::list_page(&self.pool, &filters).await?;
        Ok(pb::ListAuditEntriesResponse {
            audit_entries,
            next_page_token,
        })
    }
}
