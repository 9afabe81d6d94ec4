//! The crisis service's own figures, over OpenTelemetry metrics
//! (ARCHITECTURE.md, Observability): the warnings that still wait for a
//! judgement and the crises under way, both read from this service's schema
//! every `metrics_interval_ms`.
//!
//! - `redress.crisis.warnings.open` (gauge, `{warning}`): warnings nobody
//!   has yet dismissed or declared a crisis from, by `source` (`spike`,
//!   `critical_complaints`, `churn`, `staff_report`) and `state` (`open`,
//!   `watched`, `snoozed`); a warning whose snooze is over counts as open,
//!   as the API shows it, whether or not the scheduler has woken it yet.
//! - `redress.crisis.crises.active` (gauge, `{crisis}`): crises not closed,
//!   by `priority` (`P1` … `P4`), `state` (`declared` … `in_review`) and
//!   `drill` (`true` for an exercise), so a dashboard can leave drills out.
//!
//! Each reading records every combination of its closed sets (zero for one
//! with none), so one that empties reads zero rather than its last count.
//! Every replica reads the same schema: across replicas take any one
//! series, never their sum. Nothing is read unless metrics are exported.

use std::future::Future;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::Gauge;
use redress_platform::clock::SharedClock;
use redress_platform::telemetry;
use sqlx::PgPool;

use crate::domain::crisis::{CrisisState, Priority};
use crate::domain::warning::{WarningSource, WarningState};
use crate::store;

/// The warning states that still wait for a judgement.
const UNDECIDED: [WarningState; 3] = [
    WarningState::Open,
    WarningState::Watched,
    WarningState::Snoozed,
];

/// The two gauges.
struct Gauges {
    warnings: Gauge<u64>,
    crises: Gauge<u64>,
}

/// Samples the warnings and crises every `period` while metrics are
/// exported, until `shutdown` resolves.
pub async fn sample_until(
    pool: PgPool,
    clock: SharedClock,
    period: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let meter = telemetry::meter();
    let gauges = Gauges {
        warnings: meter
            .u64_gauge("redress.crisis.warnings.open")
            .with_unit("{warning}")
            .with_description(
                "Warnings neither dismissed nor escalated to a crisis, by source and state",
            )
            .build(),
        crises: meter
            .u64_gauge("redress.crisis.crises.active")
            .with_unit("{crisis}")
            .with_description("Crises not closed, by priority, state and whether a drill")
            .build(),
    };
    let sample = || async {
        record_warnings(&pool, &clock, &gauges.warnings).await;
        record_crises(&pool, &gauges.crises).await;
    };
    tokio::select! {
        () = shutdown => {}
        () = telemetry::sample_every(period, sample) => {}
    }
}

/// Reads the undecided warnings and records every (source, state) pair; on
/// a failed read the gauge keeps its last values.
async fn record_warnings(pool: &PgPool, clock: &SharedClock, gauge: &Gauge<u64>) {
    let counts = match store::warnings::undecided_now(pool, clock.now()).await {
        Ok(counts) => counts,
        Err(error) => {
            tracing::warn!(%error, "reading the open warnings for the metrics failed");
            return;
        }
    };
    for source in WarningSource::ALL {
        for state in UNDECIDED {
            let count = counts
                .iter()
                .find(|(so, st, _)| *so == source && *st == state)
                .map_or(0, |(_, _, n)| u64::try_from(*n).unwrap_or(0));
            gauge.record(
                count,
                &[
                    KeyValue::new("source", source.code()),
                    KeyValue::new("state", state.code()),
                ],
            );
        }
    }
}

/// Reads the crises not closed and records every (priority, state, drill)
/// combination; on a failed read the gauge keeps its last values.
async fn record_crises(pool: &PgPool, gauge: &Gauge<u64>) {
    let counts = match store::crises::active_now(pool).await {
        Ok(counts) => counts,
        Err(error) => {
            tracing::warn!(%error, "reading the active crises for the metrics failed");
            return;
        }
    };
    let active = CrisisState::ALL
        .into_iter()
        .filter(|s| *s != CrisisState::Closed);
    for state in active {
        for priority in Priority::ALL {
            for drill in [false, true] {
                let count = counts
                    .iter()
                    .find(|(p, s, d, _)| *p == priority && *s == state && *d == drill)
                    .map_or(0, |(_, _, _, n)| u64::try_from(*n).unwrap_or(0));
                gauge.record(
                    count,
                    &[
                        KeyValue::new("priority", priority.code()),
                        KeyValue::new("state", state.code()),
                        KeyValue::new("drill", drill),
                    ],
                );
            }
        }
    }
}
