//! Keeping a complaint's SLA clocks current: after every change, its clocks
//! are read afresh from its state history and customer updates
//! ([`crate::domain::sla::read`]) under the policy that fits it now, stored
//! for lists and statistics, and the alarms still to raise (a warning before
//! each deadline, the breach at it, and the escalation ladder after it) are
//! replaced, in the same transaction as the change.

use jiff::{SignedDuration, Timestamp};
use sqlx::PgConnection;

use crate::domain::complaint::Complaint;
use crate::domain::sla::{self, ClockReading, ClockStatus, Timeline};
use crate::domain::sla_policy::Applied;
use crate::settings::Policies;
use crate::store::sla::{Alarm, StoredClock};
use crate::store::{self, StoreError};

/// The step code of the `level`th escalation (from 1).
pub fn escalation_step(level: usize) -> String {
    format!("escalation:{level}")
}

/// A complaint's clocks as of a moment, and what follows from them: the
/// clocks to store, the alarms still to raise, and the earliest deadlines.
#[derive(Debug, Clone, Default)]
pub struct ClockPlan {
    /// Every clock with a target, in [`sla::ClockKind::ALL`] order.
    pub readings: Vec<ClockReading>,
    /// The readings as stored.
    pub clocks: Vec<StoredClock>,
    /// The warnings, breaches and escalations of the running clocks.
    pub alarms: Vec<Alarm>,
    /// The earliest due time among the running clocks.
    pub earliest_due: Option<Timestamp>,
    /// The earliest warning time among the running clocks.
    pub earliest_warn: Option<Timestamp>,
}

/// The SLA rule that covers `complaint` now, if any (else it has no
/// clocks).
fn rule_of<'p>(complaint: &Complaint, policies: &'p Policies) -> Option<Applied<'p>> {
    let d = &complaint.description;
    policies
        .sla
        .apply(&d.category, d.severity, complaint.customer_grade, d.safety)
}

/// Reads `complaint`'s clocks from its `timeline` under the policy that
/// fits it, as of `now`. Pure: the service stores the plan after every
/// change ([`refresh`]); `redress seed` computes the same plan for the
/// complaints it writes.
pub fn plan(
    complaint: &Complaint,
    timeline: &Timeline,
    policies: &Policies,
    now: Timestamp,
) -> Result<ClockPlan, StoreError> {
    match rule_of(complaint, policies) {
        Some(rule) => plan_under(&rule, timeline, policies, now),
        None => Ok(ClockPlan::default()),
    }
}

/// [`plan`] under the rule `applied`.
fn plan_under(
    applied: &Applied<'_>,
    timeline: &Timeline,
    policies: &Policies,
    now: Timestamp,
) -> Result<ClockPlan, StoreError> {
    let calendar = policies
        .calendars
        .get(applied.calendar)
        .ok_or_else(|| StoreError::Corrupt(format!("no calendar {}", applied.calendar)))?;
    let readings = sla::read(
        timeline,
        &applied.targets,
        calendar,
        policies.sla.warning_fraction,
        now,
    );
    let mut plan = ClockPlan {
        clocks: Vec::with_capacity(readings.len()),
        ..ClockPlan::default()
    };
    for reading in &readings {
        plan.clocks.push(stored(reading));
        let ClockStatus::Running {
            warn_time,
            due_time,
        } = reading.status
        else {
            continue;
        };
        let alarm = |step: String, due_time: Timestamp| Alarm {
            clock: reading.kind.code().to_owned(),
            cycle_start: reading.cycle_start,
            step,
            due_time,
        };
        if let Some(warn) = warn_time {
            plan.earliest_warn = Some(plan.earliest_warn.map_or(warn, |e| e.min(warn)));
            plan.alarms.push(alarm("warning".into(), warn));
        }
        if let Some(due) = due_time {
            plan.earliest_due = Some(plan.earliest_due.map_or(due, |e| e.min(due)));
            plan.alarms.push(alarm("breach".into(), due));
            for (i, step) in policies.sla.escalation.iter().enumerate() {
                let at = if step.after == SignedDuration::ZERO {
                    Some(due)
                } else {
                    calendar.add_business(due, step.after)
                };
                if let Some(at) = at {
                    plan.alarms.push(alarm(escalation_step(i + 1), at));
                }
            }
        }
    }
    plan.readings = readings;
    Ok(plan)
}

/// Recomputes and stores `complaint`'s clocks and pending alarms as of
/// `now`; returns the clocks as stored, so a change can answer with them
/// without reading them back.
pub async fn refresh(
    conn: &mut PgConnection,
    complaint: &Complaint,
    policies: &Policies,
    now: Timestamp,
) -> Result<Vec<StoredClock>, StoreError> {
    let plan = match rule_of(complaint, policies) {
        Some(rule) => {
            let timeline = Timeline {
                states: store::complaints::state_history(conn, complaint.id).await?,
                customer_updates: store::notes::customer_update_times(conn, complaint.id).await?,
            };
            plan_under(&rule, &timeline, policies, now)?
        }
        None => ClockPlan::default(),
    };
    store::sla::replace(conn, complaint.id, &plan.clocks, &plan.alarms).await?;
    store::complaints::set_sla_summary(conn, complaint.id, plan.earliest_due, plan.earliest_warn)
        .await?;
    Ok(plan.clocks)
}

fn stored(reading: &ClockReading) -> StoredClock {
    let ms = |d: SignedDuration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let (status, warn_time, due_time, stop_time, met) = match reading.status {
        ClockStatus::Running {
            warn_time,
            due_time,
        } => ("running", warn_time, due_time, None, None),
        ClockStatus::Paused => ("paused", None, None, None, None),
        ClockStatus::Stopped { at, met } => ("stopped", None, None, Some(at), Some(met)),
    };
    StoredClock {
        kind: reading.kind.code().to_owned(),
        cycle_start: reading.cycle_start,
        target_ms: ms(reading.target),
        elapsed_ms: ms(reading.elapsed),
        status: status.to_owned(),
        warn_time,
        due_time,
        stop_time,
        met,
    }
}
