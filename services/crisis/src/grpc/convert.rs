//! Conversions between the wire and this service's crisis, team, plan, task
//! and record types, and the small checks every handler of those areas
//! shares: names, bounded text, timestamps, durations, safe retries.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::{SignedDuration, Timestamp};
use prost::Message as _;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency::{self, Claim};
use redress_platform::wire;
use redress_proto::crisis::v1 as pb;
use redress_proto::customers::v1 as cpb;
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::crisis::{CrisisState, Priority, RiskLevel, TeamRole};
use crate::domain::plan::{PlanTask, StoredCadence, TaskFor, TaskState};
use crate::names;
use crate::store::crises::{self, Head};
use crate::store::records::{Review, StatusReport};
use crate::store::tasks::Task;
use crate::store::team::Member;
use crate::store::timeline::Entry;

/// Most values a list filter (states) may hold: more than there are values
/// to name, so only a hostile or broken caller reaches it.
pub const MAX_FILTER_VALUES: usize = 20;

/// Checks a text field: trimmed length within `1..=max` when `required`,
/// `0..=max` otherwise; returns it as given.
pub fn text(
    v: &mut FieldViolations,
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) -> String {
    let len = value.trim().chars().count();
    if required && len == 0 {
        v.add(field, "is required");
    } else if value.chars().count() > max {
        v.add(field, format!("must be at most {max} characters"));
    } else if value.contains('\0') {
        // PostgreSQL text cannot hold NUL: refused here, not as INTERNAL.
        v.add(field, "must not contain NUL characters");
    }
    value.to_owned()
}

/// Parses `crises/{id}` in `field`.
pub fn crisis_name(v: &mut FieldViolations, field: &str, name: &str) -> Option<Uuid> {
    v.check(field, names::parse_crisis(name))
}

/// Parses a `request_id`.
pub fn request_id(v: &mut FieldViolations, raw: &str) -> Option<Uuid> {
    idempotency::request_id_field(v, raw)
}

/// Claims a request id in the transaction; `Err(Ok(answer))` is a replay.
pub async fn claim<R: prost::Message + Default>(
    conn: &mut PgConnection,
    operation: &'static str,
    request_id: Option<Uuid>,
    caller: &str,
    fingerprint: &[u8],
) -> Result<Result<Claim, R>, ApiError> {
    match Claim::take(conn, operation, request_id, caller, fingerprint).await? {
        Claim::Replay(bytes) => Ok(Err(idempotency::replay(&bytes)?)),
        claim => Ok(Ok(claim)),
    }
}

/// Records the answer of a claim and passes it on.
pub async fn finish<R: prost::Message>(
    conn: &mut PgConnection,
    claim: Claim,
    answer: R,
) -> Result<R, ApiError> {
    claim.finish(conn, &answer.encode_to_vec()).await?;
    Ok(answer)
}

/// The etag of a version.
pub fn etag(version: i64) -> String {
    version.to_string()
}

/// Checks a request's etag against the stored version: ABORTED on mismatch.
pub fn check_etag(given: &str, version: i64) -> Result<(), ApiError> {
    if given != etag(version) {
        return Err(ApiError::Aborted {
            reason: "ETAG_MISMATCH",
            message: "the resource changed since it was read; read it again".into(),
        });
    }
    Ok(())
}

/// A required etag field.
pub fn require_etag(v: &mut FieldViolations, field: &str, value: &str) {
    if value.is_empty() {
        v.add(field, "is required");
    }
}

/// FAILED_PRECONDITION for a change to a closed crisis.
pub fn closed() -> ApiError {
    ApiError::FailedPrecondition {
        reason: "CRISIS_CLOSED",
        message: "the crisis is closed and takes no more changes".into(),
        allowed: vec!["GetCrisis".into()],
    }
}

/// The crisis's head, unlocked; NOT_FOUND when there is none.
pub async fn known_crisis(conn: &mut PgConnection, id: Uuid) -> Result<Head, ApiError> {
    crises::head(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Crisis", names::crisis(id)))
}

/// The crisis's head, locked for the rest of the transaction; NOT_FOUND
/// when there is none.
pub async fn locked_crisis(conn: &mut PgConnection, id: Uuid) -> Result<Head, ApiError> {
    crises::lock(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Crisis", names::crisis(id)))
}

/// The crisis's head, locked, for a change: NOT_FOUND when there is none,
/// CRISIS_CLOSED when it is over.
pub async fn open_crisis(conn: &mut PgConnection, id: Uuid) -> Result<Head, ApiError> {
    let head = locked_crisis(conn, id).await?;
    if head.is_closed() {
        return Err(closed());
    }
    Ok(head)
}

/// A timestamp for the wire.
pub fn ts(t: Timestamp) -> Option<prost_types::Timestamp> {
    Some(wire::timestamp(t))
}

/// A duration for the wire.
pub fn duration(d: SignedDuration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: d.as_secs(),
        nanos: d.subsec_nanos(),
    }
}

/// A wire duration; an error for a malformed one.
pub fn from_duration(d: &prost_types::Duration) -> Result<SignedDuration, &'static str> {
    if d.nanos.unsigned_abs() >= 1_000_000_000
        || (d.seconds > 0 && d.nanos < 0)
        || (d.seconds < 0 && d.nanos > 0)
    {
        return Err("is not a valid duration");
    }
    Ok(SignedDuration::new(d.seconds, d.nanos))
}

/// A required wire timestamp in `field`.
pub fn timestamp(
    v: &mut FieldViolations,
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Option<Timestamp> {
    match value {
        None => {
            v.add(field, "is required");
            None
        }
        Some(t) => v.check(field, wire::from_timestamp(t)),
    }
}

/// The wire state.
pub fn state_to_wire(s: CrisisState) -> pb::CrisisState {
    match s {
        CrisisState::Declared => pb::CrisisState::Declared,
        CrisisState::Assessing => pb::CrisisState::Assessing,
        CrisisState::Responding => pb::CrisisState::Responding,
        CrisisState::Replanning => pb::CrisisState::Replanning,
        CrisisState::Stable => pb::CrisisState::Stable,
        CrisisState::Recovering => pb::CrisisState::Recovering,
        CrisisState::InReview => pb::CrisisState::InReview,
        CrisisState::Closed => pb::CrisisState::Closed,
    }
}

/// A state code's wire value (unspecified for an unknown code).
pub fn state_code_to_wire(code: &str) -> i32 {
    CrisisState::from_code(code).map_or(0, |s| state_to_wire(s) as i32)
}

/// The state of a wire value; `None` for unspecified, an error for unknown.
pub fn state_from_wire(value: i32) -> Result<Option<CrisisState>, &'static str> {
    if value == 0 {
        return Ok(None);
    }
    CrisisState::ALL
        .into_iter()
        .find(|s| state_to_wire(*s) as i32 == value)
        .map(Some)
        .ok_or(wire::UNKNOWN)
}

/// The wire role.
pub fn role_to_wire(r: TeamRole) -> pb::TeamRole {
    match r {
        TeamRole::Commander => pb::TeamRole::Commander,
        TeamRole::CommunicationsLead => pb::TeamRole::CommunicationsLead,
        TeamRole::Spokesperson => pb::TeamRole::Spokesperson,
        TeamRole::Liaison => pb::TeamRole::Liaison,
        TeamRole::Scribe => pb::TeamRole::Scribe,
        TeamRole::Member => pb::TeamRole::Member,
    }
}

/// The role of a wire value; `None` for unspecified, an error for unknown.
pub fn role_from_wire(value: i32) -> Result<Option<TeamRole>, &'static str> {
    if value == 0 {
        return Ok(None);
    }
    TeamRole::ALL
        .into_iter()
        .find(|r| role_to_wire(*r) as i32 == value)
        .map(Some)
        .ok_or(wire::UNKNOWN)
}

/// The wire priority of a code.
pub fn priority_to_wire(code: &str) -> i32 {
    match Priority::from_code(code) {
        Some(Priority::P1) => pb::CrisisPriority::P1 as i32,
        Some(Priority::P2) => pb::CrisisPriority::P2 as i32,
        Some(Priority::P3) => pb::CrisisPriority::P3 as i32,
        Some(Priority::P4) => pb::CrisisPriority::P4 as i32,
        None => 0,
    }
}

/// The priority of a wire value; `None` for unspecified, an error for unknown.
pub fn priority_from_wire(value: i32) -> Result<Option<Priority>, &'static str> {
    if value == 0 {
        return Ok(None);
    }
    Priority::ALL
        .into_iter()
        .find(|p| priority_to_wire(p.code()) == value)
        .map(Some)
        .ok_or(wire::UNKNOWN)
}

/// The wire risk level of a code.
pub fn risk_to_wire(code: &str) -> i32 {
    match RiskLevel::from_code(code) {
        Some(RiskLevel::Low) => pb::RiskLevel::Low as i32,
        Some(RiskLevel::Medium) => pb::RiskLevel::Medium as i32,
        Some(RiskLevel::High) => pb::RiskLevel::High as i32,
        Some(RiskLevel::Extreme) => pb::RiskLevel::Extreme as i32,
        None => 0,
    }
}

/// The wire task state of a code.
pub fn task_state_to_wire(code: &str) -> i32 {
    match TaskState::from_code(code) {
        Some(TaskState::Open) => pb::TaskState::Open as i32,
        Some(TaskState::Done) => pb::TaskState::Done as i32,
        Some(TaskState::Cancelled) => pb::TaskState::Cancelled as i32,
        None => 0,
    }
}

/// The task state of a wire value; `None` for unspecified, an error for unknown.
pub fn task_state_from_wire(value: i32) -> Result<Option<TaskState>, &'static str> {
    Ok(
        match pb::TaskState::try_from(value).map_err(|_| wire::UNKNOWN)? {
            pb::TaskState::Unspecified => None,
            pb::TaskState::Open => Some(TaskState::Open),
            pb::TaskState::Done => Some(TaskState::Done),
            pb::TaskState::Cancelled => Some(TaskState::Cancelled),
        },
    )
}

/// Checks a scope's strings and returns its stored JSON form:
/// `{products, regions, categories, customer_selector}` with the selector's
/// protobuf encoding in base64.
pub fn scope(v: &mut FieldViolations, field: &str, scope: Option<&pb::CrisisScope>) -> Value {
    let Some(scope) = scope else {
        return json!({ "products": [], "regions": [], "categories": [] });
    };
    for (list, name) in [
        (&scope.products, "products"),
        (&scope.regions, "regions"),
        (&scope.categories, "categories"),
    ] {
        for (i, value) in v
            .bounded(&format!("{field}.{name}"), list, 100)
            .iter()
            .enumerate()
        {
            if value.trim().is_empty() || value.chars().count() > 100 {
                v.add(
                    format!("{field}.{name}[{i}]"),
                    "must be 1 to 100 characters",
                );
            } else if value.contains('\0') {
                // Stored as JSONB, which cannot hold NUL: refused here, not
                // as INTERNAL.
                v.add(
                    format!("{field}.{name}[{i}]"),
                    "must not contain NUL characters",
                );
            }
        }
    }
    let mut stored = json!({
        "products": scope.products,
        "regions": scope.regions,
        "categories": scope.categories,
    });
    if let Some(selector) = &scope.customer_selector {
        stored["customer_selector"] = Value::String(STANDARD.encode(selector.encode_to_vec()));
    }
    stored
}

/// The wire scope of a stored one.
pub fn scope_to_wire(stored: &Value) -> pb::CrisisScope {
    let strings = |key: &str| -> Vec<String> {
        stored
            .get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let customer_selector = stored
        .get("customer_selector")
        .and_then(Value::as_str)
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|bytes| cpb::CustomerSelector::decode(bytes.as_slice()).ok());
    pb::CrisisScope {
        products: strings("products"),
        regions: strings("regions"),
        categories: strings("categories"),
        customer_selector,
    }
}

/// A team member for the wire.
pub fn member(m: &Member) -> pb::TeamMember {
    pb::TeamMember {
        subject: m.subject.clone(),
        role: TeamRole::from_code(&m.role).map_or(0, |r| role_to_wire(r) as i32),
        department: m.department.clone(),
        duties: m.duties.clone(),
        assign_time: ts(m.assign_time),
    }
}

/// A task for the wire.
pub fn task(t: &Task) -> pb::CrisisTask {
    pb::CrisisTask {
        name: names::child(t.crisis_id, "tasks", t.id),
        title: t.title.clone(),
        owner: t.owner.clone(),
        department: t.department.clone(),
        due_time: ts(t.due_time),
        state: task_state_to_wire(&t.state),
        overdue: t.overdue_time.is_some(),
        completion_note: t.completion_note.clone(),
        assignments: t
            .assignments
            .iter()
            .map(|a| pb::TaskAssignment {
                from_owner: a.from_owner.clone(),
                to_owner: a.to_owner.clone(),
                actor: a.actor.clone(),
                reason: a.reason.clone(),
                assign_time: ts(a.assign_time),
            })
            .collect(),
        from_plan: t.from_plan,
        create_time: ts(t.create_time),
        complete_time: t.complete_time.and_then(ts),
    }
}

/// A plan task for the wire.
pub fn plan_task(t: &PlanTask) -> pb::PlanTask {
    let (role, department) = match &t.owner {
        TaskFor::Role(r) => (role_to_wire(*r) as i32, String::new()),
        TaskFor::Department(d) => (0, d.clone()),
    };
    pb::PlanTask {
        title: t.title.clone(),
        role,
        department,
        due_after: Some(duration(t.due_after)),
    }
}

/// A cadence for the wire.
pub fn cadence(c: &StoredCadence) -> pb::UpdateCadence {
    pb::UpdateCadence {
        priority: priority_to_wire(Priority::from(c.priority).code()),
        every: Some(duration(SignedDuration::from_secs(c.every_seconds))),
    }
}

/// A timeline entry for the wire.
pub fn entry(e: &Entry) -> pb::TimelineEntry {
    pb::TimelineEntry {
        sequence: e.sequence,
        time: ts(e.time),
        kind: e.kind.clone(),
        actor: e.actor.clone(),
        summary: e.summary.clone(),
        details: e.details.clone().into_iter().collect(),
    }
}

/// A status report for the wire.
pub fn status_report(r: &StatusReport) -> pb::StatusReport {
    pb::StatusReport {
        name: names::child(r.crisis_id, "statusReports", r.id),
        conditions: r.conditions.clone(),
        actions: r.actions.clone(),
        needs: r.needs.clone(),
        state: state_code_to_wire(&r.state),
        author: r.author.clone(),
        create_time: ts(r.create_time),
    }
}

/// A review for the wire (without its satisfaction periods).
pub fn review(crisis: Uuid, r: Option<&Review>) -> pb::CrisisReview {
    let name = format!("{}/review", names::crisis(crisis));
    let Some(r) = r else {
        return pb::CrisisReview {
            name,
            ..Default::default()
        };
    };
    pb::CrisisReview {
        name,
        root_cause: r.root_cause.clone(),
        went_well: r.went_well.clone(),
        went_badly: r.went_badly.clone(),
        lessons: r.lessons.clone(),
        actions: r
            .actions
            .iter()
            .map(|a| pb::ReviewAction {
                title: a.title.clone(),
                owner: a.owner.clone(),
                due_time: a.due_time.and_then(ts),
            })
            .collect(),
        plan_changes: r.plan_changes.clone(),
        satisfaction_before: None,
        satisfaction_after: None,
        author: r.author.clone(),
        update_time: ts(r.update_time),
        etag: etag(r.version),
    }
}

/// A warning's refusal as the caller sees it.
impl From<crate::domain::warning::Refusal> for ApiError {
    fn from(refusal: crate::domain::warning::Refusal) -> Self {
        ApiError::FailedPrecondition {
            reason: refusal.reason,
            message: refusal.message,
            allowed: refusal.allowed,
        }
    }
}

#[cfg(test)]
mod props;
