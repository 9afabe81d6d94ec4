//! The crisis feed's events (ARCHITECTURE.md, rule 3): appended to the
//! outbox in the transaction of the change they announce. Each carries the
//! resource's name and the codes consumers route on (the crisis, its state,
//! priority, type, drill flag); never free text or personal data.

use jiff::Timestamp;
use redress_platform::outbox::NewEvent;
use serde_json::Value;
use uuid::Uuid;

use crate::names;

/// The event types of the crisis feed.
pub mod types {
    /// A warning was raised.
    pub const WARNING_RAISED: &str = "warning.raised";
    /// A warning was detected again within its dedup window.
    pub const WARNING_REDETECTED: &str = "warning.redetected";
    /// A warning was dismissed, watched, snoozed or escalated.
    pub const WARNING_CHANGED: &str = "warning.changed";
    /// A crisis was declared.
    pub const DECLARED: &str = "crisis.declared";
    /// A crisis's title, assessment or scope changed.
    pub const UPDATED: &str = "crisis.updated";
    /// A crisis moved along its lifecycle.
    pub const STATE_CHANGED: &str = "crisis.state_changed";
    /// A team role was given or taken.
    pub const TEAM_CHANGED: &str = "crisis.team_changed";
    /// A task was created.
    pub const TASK_CREATED: &str = "crisis.task_created";
    /// A task was given to another owner.
    pub const TASK_REASSIGNED: &str = "crisis.task_reassigned";
    /// A task was done or cancelled.
    pub const TASK_COMPLETED: &str = "crisis.task_completed";
    /// A task passed its due time while open.
    pub const TASK_OVERDUE: &str = "crisis.task_overdue";
    /// Affected customers or complaints were linked.
    pub const LINKED: &str = "crisis.linked";
    /// A statement was drafted, changed or approved.
    pub const STATEMENT_CHANGED: &str = "crisis.statement_changed";
    /// A statement was released.
    pub const STATEMENT_RELEASED: &str = "crisis.statement_released";
    /// The next statement update is due (the priority's cadence passed).
    pub const UPDATE_DUE: &str = "crisis.update_due";
    /// A report was made to a regulator.
    pub const REGULATOR_REPORTED: &str = "crisis.regulator_reported";
    /// A status report was filed.
    pub const STATUS_REPORTED: &str = "crisis.status_reported";
    /// The review was written.
    pub const REVIEW_UPDATED: &str = "crisis.review_updated";
}

/// An event of `event_type` about the crisis `id` at `now`, with the codes
/// consumers route on and `payload` (a JSON object of ids and codes).
pub fn about_crisis(
    event_type: &str,
    id: Uuid,
    head: &CrisisCodes<'_>,
    now: Timestamp,
    payload: Value,
) -> NewEvent {
    NewEvent::new(event_type, names::crisis(id))
        .attribute("state", head.state)
        .attribute("priority", head.priority)
        .attribute("type", head.crisis_type)
        .attribute("drill", head.drill.to_string())
        .payload(payload)
        .at(now)
}

/// The codes of a crisis that its events carry.
#[derive(Debug, Clone, Copy)]
pub struct CrisisCodes<'a> {
    /// Its state code, such as "responding".
    pub state: &'a str,
    /// Its priority code, such as "P1".
    pub priority: &'a str,
    /// Its type code.
    pub crisis_type: &'a str,
    /// Whether it is a drill.
    pub drill: bool,
}

/// An event of `event_type` about the warning `id` at `now`.
pub fn about_warning(
    event_type: &str,
    id: Uuid,
    source: &str,
    state: &str,
    now: Timestamp,
    payload: Value,
) -> NewEvent {
    NewEvent::new(event_type, names::warning(id))
        .attribute("source", source)
        .attribute("state", state)
        .payload(payload)
        .at(now)
}
