//! The complaint feed's events (ARCHITECTURE.md, rule 3): built here, from
//! the complaint as it is after the change, and appended to the outbox in
//! the change's transaction. Each carries the complaint's name and the
//! attributes consumers route on (category, severity, priority, region,
//! product, customer name, grade, owner, team, state, channel, kind); never
//! free text. Improvement actions announce themselves on the same feed,
//! under their own name ([`about_action`]).

use jiff::Timestamp;
use redress_platform::outbox::NewEvent;
use serde_json::Value;

use crate::domain::complaint::Complaint;
use crate::domain::improvement::{self, ImprovementAction};
use crate::domain::names;

/// The event types of the complaint feed.
pub mod types {
    /// A complaint was received.
    pub const CREATED: &str = "complaint.created";
    /// The customer was told it is in hand.
    pub const ACKNOWLEDGED: &str = "complaint.acknowledged";
    /// Any other move of the lifecycle.
    pub const STATE_CHANGED: &str = "complaint.state_changed";
    /// The customer accepted a resolution.
    pub const RESOLVED: &str = "complaint.resolved";
    /// It was closed.
    pub const CLOSED: &str = "complaint.closed";
    /// It was reopened.
    pub const REOPENED: &str = "complaint.reopened";
    /// It was merged into another as a duplicate.
    pub const MERGED: &str = "complaint.merged";
    /// A merge was undone.
    pub const UNMERGED: &str = "complaint.unmerged";
    /// Its described fields changed (severity, category, ...).
    pub const UPDATED: &str = "complaint.updated";
    /// Its owner changed.
    pub const OWNER_CHANGED: &str = "complaint.owner_changed";
    /// It was offered to another agent or team.
    pub const HAND_OFF_OFFERED: &str = "complaint.hand_off_offered";
    /// An offer was accepted.
    pub const HAND_OFF_ACCEPTED: &str = "complaint.hand_off_accepted";
    /// An offer was declined.
    pub const HAND_OFF_DECLINED: &str = "complaint.hand_off_declined";
    /// An offer lapsed.
    pub const HAND_OFF_EXPIRED: &str = "complaint.hand_off_expired";
    /// An offer was taken back.
    pub const HAND_OFF_WITHDRAWN: &str = "complaint.hand_off_withdrawn";
    /// An assist was asked for.
    pub const ASSIST_REQUESTED: &str = "complaint.assist_requested";
    /// An assist was answered.
    pub const ASSIST_ANSWERED: &str = "complaint.assist_answered";
    /// A step of its recovery plan was done.
    pub const RECOVERY_STEP_RECORDED: &str = "complaint.recovery_step_recorded";
    /// A supervisor closed it with recovery steps missing.
    pub const CLOSURE_OVERRIDDEN: &str = "complaint.closure_overridden";
    /// An improvement action was filed.
    pub const IMPROVEMENT_ACTION_CREATED: &str = "improvement_action.created";
    /// An improvement action changed or had complaints linked.
    pub const IMPROVEMENT_ACTION_UPDATED: &str = "improvement_action.updated";
    /// A note or customer message was added.
    pub const NOTE_ADDED: &str = "complaint.note_added";
    /// Goodwill was proposed.
    pub const GOODWILL_PROPOSED: &str = "complaint.goodwill_proposed";
    /// Goodwill was approved (by an approver or the good-faith rule).
    pub const GOODWILL_APPROVED: &str = "complaint.goodwill_approved";
    /// Proposed goodwill was rejected.
    pub const GOODWILL_REJECTED: &str = "complaint.goodwill_rejected";
    /// Goodwill was given to the customer.
    pub const GOODWILL_FULFILLED: &str = "complaint.goodwill_fulfilled";
    /// Goodwill was cancelled before it was given.
    pub const GOODWILL_CANCELLED: &str = "complaint.goodwill_cancelled";
    /// An SLA clock reached its warning time.
    pub const SLA_WARNING: &str = "complaint.sla_warning";
    /// An SLA clock reached its due time.
    pub const SLA_BREACHED: &str = "complaint.sla_breached";
    /// A breach climbed a step of the escalation ladder.
    pub const SLA_ESCALATED: &str = "complaint.sla_escalated";
    /// The customer was invited to a satisfaction survey (the payload
    /// carries the token, for the invitation only).
    pub const SURVEY_INVITED: &str = "complaint.survey_invited";
    /// A satisfaction survey was answered.
    pub const SURVEY_ANSWERED: &str = "complaint.survey_answered";
    /// A reopening withdrew unanswered survey invitations.
    pub const SURVEYS_WITHDRAWN: &str = "complaint.surveys_withdrawn";
    /// Follow-ups were scheduled at closure.
    pub const FOLLOW_UPS_SCHEDULED: &str = "complaint.follow_ups_scheduled";
    /// A follow-up fell due.
    pub const FOLLOW_UP_DUE: &str = "complaint.follow_up_due";
    /// The owner did a follow-up.
    pub const FOLLOW_UP_DONE: &str = "complaint.follow_up_done";
    /// The rest of the follow-ups were skipped: the customer came back.
    pub const FOLLOW_UPS_SKIPPED: &str = "complaint.follow_ups_skipped";
    /// A reopening cancelled the follow-ups not yet done.
    pub const FOLLOW_UPS_CANCELLED: &str = "complaint.follow_ups_cancelled";
}

/// An event of `event_type` about `complaint` at `now`, with `payload` (a
/// JSON object of ids and codes).
pub fn about(event_type: &str, complaint: &Complaint, now: Timestamp, payload: Value) -> NewEvent {
    let d = &complaint.description;
    NewEvent::new(event_type, names::complaint(complaint.id))
        .attribute("customer", names::customer(complaint.customer_id))
        .attribute("category", d.category.clone())
        .attribute("severity", d.severity.code())
        .attribute("priority", complaint.priority.code())
        .attribute("grade", complaint.customer_grade.code())
        .attribute("region", d.region.clone())
        .attribute("product", d.product.clone())
        .attribute("channel", complaint.channel.code())
        .attribute("kind", d.kind.code())
        .attribute("state", complaint.state.code())
        .attribute("owner", complaint.owner.clone())
        .attribute("team", complaint.owner_team.clone())
        .attribute("safety", d.safety.to_string())
        .attribute("reference", complaint.reference.clone())
        .payload(payload)
        .at(now)
}

/// An event of `event_type` about improvement action `action` at `now`,
/// routed on its owner and status, with `payload` (ids and codes; never its
/// title, description or lesson).
pub fn about_action(
    event_type: &str,
    action: &ImprovementAction,
    now: Timestamp,
    payload: Value,
) -> NewEvent {
    NewEvent::new(event_type, improvement::name(action.id))
        .attribute("owner", action.owner.clone())
        .attribute("status", action.status.code())
        .payload(payload)
        .at(now)
}
