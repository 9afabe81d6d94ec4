//! The crisis service's audit trail: its closed vocabulary of audited
//! actions, the statement approval that records a non-spokesperson's refused
//! attempt (as a `denied` entry in a transaction of its own, since the
//! refused approval wrote nothing), and `ListAuditEntries`. Actions that are
//! done are recorded by their handlers, in their own transactions.
//!
//! Recorded: declaring a crisis and every change of its state (closing is
//! one), naming and removing team roles (commander, spokesperson, ...),
//! approving and releasing a statement, and recording a report to a
//! regulator. Statement texts, regulator names and report contents stay out:
//! entries carry names, codes and counts.

use redress_platform::audit::{self, Action, AuditEntry};
use redress_platform::auth::Caller;
use redress_platform::error::ApiError;
use redress_proto::crisis::v1 as pb;

use super::CrisisApi;

/// A crisis was declared (DeclareCrisis).
pub const CRISIS_DECLARED: Action = Action::new("crisis.declared");
/// A crisis moved to another state, closing included (TransitionCrisis).
pub const CRISIS_TRANSITIONED: Action = Action::new("crisis.transitioned");
/// Someone was given a role on a crisis team (AssignCrisisRole).
pub const TEAM_ROLE_ASSIGNED: Action = Action::new("crisis_team.role_assigned");
/// Someone left a crisis team (RemoveCrisisMember).
pub const TEAM_MEMBER_REMOVED: Action = Action::new("crisis_team.member_removed");
/// The spokesperson approved a statement (ApproveStatement).
pub const STATEMENT_APPROVED: Action = Action::new("statement.approved");
/// An approved statement went out (ReleaseStatement).
pub const STATEMENT_RELEASED: Action = Action::new("statement.released");
/// A report to a regulator was recorded (RecordRegulatorReport).
pub const REGULATOR_REPORT_RECORDED: Action = Action::new("regulator_report.recorded");

/// Every action this service records.
pub const ACTIONS: &[Action] = &[
    CRISIS_DECLARED,
    CRISIS_TRANSITIONED,
    TEAM_ROLE_ASSIGNED,
    TEAM_MEMBER_REMOVED,
    STATEMENT_APPROVED,
    STATEMENT_RELEASED,
    REGULATOR_REPORT_RECORDED,
];

impl CrisisApi {
    /// ApproveStatement, recording a refusal by the spokesperson rule.
    pub(super) async fn approve_statement_audited(
        &self,
        caller: &Caller,
        request: pb::ApproveStatementRequest,
    ) -> Result<pb::ApproveStatementResponse, ApiError> {
        let target = request.name.clone();
        let now = self.clock.now();
        let result = self.approve_statement(caller, request).await;
        audit::record_refusal(&self.pool, result, || {
            AuditEntry::by(caller, STATEMENT_APPROVED, "ApproveStatement", target, now)
        })
        .await
    }

    pub(super) async fn list_audit_entries(
        &self,
        request: pb::ListAuditEntriesRequest,
    ) -> Result<pb::ListAuditEntriesResponse, ApiError> {
        redress_platform::list_audit_entries!(&self.pool, request, pb)
    }
}
