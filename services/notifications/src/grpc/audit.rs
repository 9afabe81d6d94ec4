//! The notifications service's audit trail: its closed vocabulary of audited
//! actions and `ListAuditEntries`. The handlers record each action in their
//! own transaction.
//!
//! Recorded: saving a template (a new one or a new version; only authors may),
//! and creating, starting and cancelling a broadcast (the way to write to
//! many or all customers at once). Wording, variables and recipients stay
//! out: entries carry the template's identity and version, the broadcast's
//! kind, audience form and counts.

use redress_platform::audit::Action;
use redress_platform::error::ApiError;
use redress_proto::notifications::v1 as pb;

use super::NotificationApi;

/// A template was created or got a new version (CreateTemplate, UpdateTemplate).
pub const TEMPLATE_SAVED: Action = Action::new("template.saved");
/// A broadcast was created (CreateBroadcast).
pub const BROADCAST_CREATED: Action = Action::new("broadcast.created");
/// An assembled broadcast was started (StartBroadcast).
pub const BROADCAST_STARTED: Action = Action::new("broadcast.started");
/// A broadcast was cancelled (CancelBroadcast).
pub const BROADCAST_CANCELLED: Action = Action::new("broadcast.cancelled");

/// Every action this service records.
pub const ACTIONS: &[Action] = &[
    TEMPLATE_SAVED,
    BROADCAST_CREATED,
    BROADCAST_STARTED,
    BROADCAST_CANCELLED,
];

impl NotificationApi {
    pub(super) async fn list_audit_entries(
        &self,
        request: pb::ListAuditEntriesRequest,
    ) -> Result<pb::ListAuditEntriesResponse, ApiError> {
        redress_platform::list_audit_entries!(&self.pool, request, pb)
    }
}
