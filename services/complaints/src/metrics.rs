//! The complaints service's own figures, over OpenTelemetry metrics
//! (ARCHITECTURE.md, Observability): how many SLA warnings, breaches and
//! escalations the scheduler raised, and how many complaints are open now
//! by state and priority.
//!
//! - `redress.complaints.sla.warnings`, `redress.complaints.sla.breaches`
//!   and `redress.complaints.sla.escalations` (counters, `{alarm}`): one
//!   per alarm raised, counted after the transaction that raised it
//!   committed, so a pass that failed, or a complaint another replica held,
//!   counts nothing; attributes `clock` (`acknowledgement`,
//!   `first_response`, `update`, `resolution`) and `priority` (`p1` … `p4`),
//!   and `level` (the ladder's step, from 1) on escalations.
//! - `redress.complaints.open` (gauge, `{complaint}`): the complaints not
//!   resolved, closed or merged, by `state` and `priority`, read with one
//!   grouped count every `metrics_interval_ms` and recorded for every pair
//!   (zero for one with none), so a pair that empties reads zero rather
//!   than its last count. Every replica reads the same schema: across
//!   replicas take any one series, never their sum.
//!
//! Every attribute value is a code from a closed set of the domain. The
//! counters are made from the global meter on first use, so the meter
//! provider is installed (by `telemetry::init`, or a test) before the first
//! alarm is raised.

use std::sync::LazyLock;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge};
use redress_platform::telemetry;
use sqlx::PgPool;

use crate::domain::priority::Priority;
use crate::domain::sla::ClockKind;
use crate::domain::state::State;
use crate::store;
use crate::store::sla::DueAlarm;

/// The SLA alarm counters.
struct Alarms {
    warnings: Counter<u64>,
    breaches: Counter<u64>,
    escalations: Counter<u64>,
}

static ALARMS: LazyLock<Alarms> = LazyLock::new(|| {
    let meter = telemetry::meter();
    let counter = |name: &'static str, description: &'static str| {
        meter
            .u64_counter(name)
            .with_unit("{alarm}")
            .with_description(description)
            .build()
    };
    Alarms {
        warnings: counter(
            "redress.complaints.sla.warnings",
            "SLA warnings raised: a clock reached its warning time",
        ),
        breaches: counter(
            "redress.complaints.sla.breaches",
            "SLA breaches recorded: a clock passed its deadline",
        ),
        escalations: counter(
            "redress.complaints.sla.escalations",
            "Steps of the SLA escalation ladder raised after a breach",
        ),
    }
});

/// Counts `alarms`, raised on a complaint of `priority` in a transaction
/// that committed. An alarm of a clock this build does not know is left
/// out rather than counted under a code from outside the closed set.
pub(crate) fn alarms_raised(priority: Priority, alarms: &[DueAlarm]) {
    for due in alarms {
        let Some(clock) = ClockKind::from_code(&due.alarm.clock) else {
            continue;
        };
        let clock = KeyValue::new("clock", clock.code());
        let priority = KeyValue::new("priority", priority.code());
        match due.alarm.step.as_str() {
            "warning" => ALARMS.warnings.add(1, &[clock, priority]),
            "breach" => ALARMS.breaches.add(1, &[clock, priority]),
            step => {
                let level = step
                    .strip_prefix("escalation:")
                    .and_then(|n| n.parse::<i64>().ok());
                if let Some(level) = level {
                    let level = KeyValue::new("level", level);
                    ALARMS.escalations.add(1, &[clock, priority, level]);
                }
            }
        }
    }
}

/// Samples the open complaints every `period` while metrics are exported;
/// never returns (the service aborts it at shutdown).
pub async fn sample(pool: PgPool, period: Duration) {
    let open = telemetry::meter()
        .u64_gauge("redress.complaints.open")
        .with_unit("{complaint}")
        .with_description("Complaints not resolved, closed or merged, by state and priority")
        .build();
    telemetry::sample_every(period, || record_open(&pool, &open)).await;
}

/// Reads the open complaints and records every (state, priority) pair; on
/// a failed read the gauge keeps its last values.
async fn record_open(pool: &PgPool, gauge: &Gauge<u64>) {
    let counts = match store::stats::open_now(pool).await {
        Ok(counts) => counts,
        Err(error) => {
            tracing::warn!(%error, "reading the open complaints for the metrics failed");
            return;
        }
    };
    for state in State::ALL.into_iter().filter(|s| s.is_open()) {
        for priority in Priority::ALL {
            let count = counts
                .iter()
                .find(|(s, p, _)| *s == state && *p == priority)
                .map_or(0, |(_, _, n)| u64::try_from(*n).unwrap_or(0));
            gauge.record(
                count,
                &[
                    KeyValue::new("state", state.code()),
                    KeyValue::new("priority", priority.code()),
                ],
            );
        }
    }
}
