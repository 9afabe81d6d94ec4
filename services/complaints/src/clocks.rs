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
use crate::settings::Policies;
use crate::store::sla::{Alarm, StoredClock};
use crate::store::{self, StoreError};

/// The step code of the `level`th escalation (from 1).
pub fn escalation_step(level: usize) -> String {
    format!("escalation:{level}")
}

/// Recomputes and stores `complaint`'s clocks and pending alarms as of
/// `now`; returns the readings.
pub async fn refresh(
    conn: &mut PgConnection,
    complaint: &Complaint,
    policies: &Policies,
    now: Timestamp,
) -> Result<Vec<ClockReading>, StoreError> {
    let d = &complaint.description;
    let applied = policies
        .sla
        .apply(&d.category, d.severity, complaint.customer_grade, d.safety);
    let (readings, calendar) = match applied {
        Some(applied) => {
            let calendar = policies
                .calendars
                .get(applied.calendar)
                .ok_or_else(|| StoreError::Corrupt(format!("no calendar {}", applied.calendar)))?;
            let timeline = Timeline {
                states: store::complaints::state_history(conn, complaint.id).await?,
                customer_updates: store::notes::customer_update_times(conn, complaint.id).await?,
            };
            let readings = sla::read(
                &timeline,
                &applied.targets,
                calendar,
                policies.sla.warning_fraction,
                now,
            );
            (readings, Some(calendar))
        }
        None => (Vec::new(), None),
    };
    let mut clocks = Vec::with_capacity(readings.len());
    let mut alarms = Vec::new();
    let mut earliest_due: Option<Timestamp> = None;
    let mut earliest_warn: Option<Timestamp> = None;
    for reading in &readings {
        clocks.push(stored(reading));
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
            earliest_warn = Some(earliest_warn.map_or(warn, |e| e.min(warn)));
            alarms.push(alarm("warning".into(), warn));
        }
        if let Some(due) = due_time {
            earliest_due = Some(earliest_due.map_or(due, |e| e.min(due)));
            alarms.push(alarm("breach".into(), due));
            for (i, step) in policies.sla.escalation.iter().enumerate() {
                let at = if step.after == SignedDuration::ZERO {
                    Some(due)
                } else {
                    calendar.and_then(|c| c.add_business(due, step.after))
                };
                if let Some(at) = at {
                    alarms.push(alarm(escalation_step(i + 1), at));
                }
            }
        }
    }
    store::sla::replace(conn, complaint.id, &clocks, &alarms).await?;
    store::complaints::set_sla_summary(conn, complaint.id, earliest_due, earliest_warn).await?;
    Ok(readings)
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
