//! The complaints service's audit trail: its closed vocabulary of audited
//! actions, the handlers that record a rule's refusal of one (as a `denied`
//! entry in a transaction of its own, since the refused change wrote
//! nothing), and `ListAuditEntries`. Actions that are done are recorded by
//! the change itself ([`Work::audit`](super::Work)), in its transaction.
//!
//! Recorded: goodwill approvals (by an approver, or by the good-faith rule
//! with the proposer as `requested_by`) and rejections; a supervisor's
//! reassignment; a hand-off or a close of a complaint by someone who does not
//! own it, and a close over missing recovery steps (supervisor overrides);
//! changes to the escalation structure (teams). Refused: the same RPCs when a
//! handler's rule answers PERMISSION_DENIED (not the owner, approval limit too
//! low, self-approval, not a supervisor).

use redress_platform::audit::{self, Action, AuditEntry};
use redress_platform::auth::Caller;
use redress_platform::error::ApiError;
use redress_proto::complaints::v1 as pb;

use super::ComplaintApi;

/// Goodwill approved (ApproveGoodwill, or ProposeGoodwill by the good-faith rule).
pub const GOODWILL_APPROVED: Action = Action::new("goodwill.approved");
/// Goodwill rejected (RejectGoodwill).
pub const GOODWILL_REJECTED: Action = Action::new("goodwill.rejected");
/// A supervisor gave a complaint a new owner (ReassignComplaint).
pub const COMPLAINT_REASSIGNED: Action = Action::new("complaint.reassigned");
/// A complaint was offered to another owner by someone not owning it.
pub const COMPLAINT_HANDED_OFF: Action = Action::new("complaint.handed_off");
/// A complaint was closed by someone not owning it, or over missing
/// recovery steps.
pub const COMPLAINT_CLOSED: Action = Action::new("complaint.closed");
/// A team of the escalation structure was created.
pub const TEAM_CREATED: Action = Action::new("team.created");
/// A team of the escalation structure was changed.
pub const TEAM_UPDATED: Action = Action::new("team.updated");

/// Every action this service records.
pub const ACTIONS: &[Action] = &[
    GOODWILL_APPROVED,
    GOODWILL_REJECTED,
    COMPLAINT_REASSIGNED,
    COMPLAINT_HANDED_OFF,
    COMPLAINT_CLOSED,
    TEAM_CREATED,
    TEAM_UPDATED,
];

/// Handlers that run `$inner` and record its PERMISSION_DENIED as a denied
/// `$action` on the request's `name`.
macro_rules! refusals_recorded {
    ($($outer:ident($req:ident) -> $resp:ident => $inner:ident, $action:ident, $method:literal;)+) => {
        impl ComplaintApi {
            $(
                pub(super) async fn $outer(
                    &self,
                    caller: &Caller,
                    r: pb::$req,
                ) -> Result<pb::$resp, ApiError> {
                    let target = r.name.clone();
                    let now = self.clock.now();
                    let result = self.$inner(caller, r).await;
                    audit::record_refusal(&self.pool, result, || {
                        AuditEntry::by(caller, $action, $method, target, now)
                    })
                    .await
                }
            )+
        }
    };
}

refusals_recorded! {
    approve_goodwill_audited(ApproveGoodwillRequest) -> ApproveGoodwillResponse
        => approve_goodwill, GOODWILL_APPROVED, "ApproveGoodwill";
    reject_goodwill_audited(RejectGoodwillRequest) -> RejectGoodwillResponse
        => reject_goodwill, GOODWILL_REJECTED, "RejectGoodwill";
    reassign_audited(ReassignComplaintRequest) -> ReassignComplaintResponse
        => reassign, COMPLAINT_REASSIGNED, "ReassignComplaint";
    hand_off_audited(HandOffComplaintRequest) -> HandOffComplaintResponse
        => hand_off, COMPLAINT_HANDED_OFF, "HandOffComplaint";
    close_audited(CloseComplaintRequest) -> CloseComplaintResponse
        => close, COMPLAINT_CLOSED, "CloseComplaint";
}

impl ComplaintApi {
    pub(super) async fn list_audit_entries(
        &self,
        _caller: &Caller,
        request: pb::ListAuditEntriesRequest,
    ) -> Result<pb::ListAuditEntriesResponse, ApiError> {
        redress_platform::list_audit_entries!(&self.pool, request, pb)
    }
}
