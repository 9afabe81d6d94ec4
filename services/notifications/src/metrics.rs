//! The notifications service's own figures, over OpenTelemetry metrics
//! (ARCHITECTURE.md, Observability): what the delivery workers recorded,
//! and what waits in the queue.
//!
//! - `redress.notifications.deliveries` (counter, `{delivery}`): one per
//!   message whose outcome a delivery round recorded, counted after that
//!   round's transaction committed, and only for the messages it recorded
//!   (one whose lease another worker took over is that worker's to count).
//!   Attributes: `state`, the state the round left the message in
//!   (`delivered`, `sent`, `queued` to be retried, `held` by quiet hours or
//!   the cap, `failed`, `bounced`, `cancelled`), and `channel` (`email`,
//!   `sms`, `webhook`, `in_app`, `chat`), the last one attempted in the
//!   round: absent when the round made no attempt (a hold, an opt-out, an
//!   unknown recipient).
//! - `redress.notifications.queue` (gauge, `{message}`): messages waiting
//!   by `state` (`queued`, `held`, `sending`), read with one grouped count
//!   every `metrics_interval_ms` and recorded for every state (zero for
//!   one with none). Every replica reads the same schema: across replicas
//!   take any one series, never their sum.
//!
//! Every attribute value is a code from a closed set of the domain. The
//! counter is made from the global meter on first use, so the meter
//! provider is installed (by `telemetry::init`, or a test) before the
//! first round records anything.

use std::collections::HashMap;
use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge};
use redress_platform::telemetry;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::delivery::State;
use crate::store;
use crate::store::messages::Finished;

static DELIVERIES: LazyLock<Counter<u64>> = LazyLock::new(|| {
    telemetry::meter()
        .u64_counter("redress.notifications.deliveries")
        .with_unit("{delivery}")
        .with_description("Message outcomes recorded by the delivery workers, by state and channel")
        .build()
});

/// The states a message waits in.
const WAITING: [State; 3] = [State::Queued, State::Held, State::Sending];

/// Counts the outcomes of a round's `batch` that were `recorded` (with the
/// state each was left in), once its transaction committed.
pub(crate) fn deliveries_recorded(batch: &[Finished], recorded: &HashMap<Uuid, State>) {
    for finished in batch {
        let Some(state) = recorded.get(&finished.id) else {
            continue;
        };
        let state = KeyValue::new("state", state.code());
        match finished.channel {
            Some(channel) => {
                DELIVERIES.add(1, &[state, KeyValue::new("channel", channel.code())]);
            }
            None => DELIVERIES.add(1, &[state]),
        }
    }
}

/// Samples the queue every `period` while metrics are exported, until
/// `shutdown` resolves.
pub async fn sample_until(pool: PgPool, period: Duration, shutdown: impl Future<Output = ()>) {
    let queue = telemetry::meter()
        .u64_gauge("redress.notifications.queue")
        .with_unit("{message}")
        .with_description("Messages waiting to be delivered, by state")
        .build();
    tokio::select! {
        () = shutdown => {}
        () = telemetry::sample_every(period, || record_queue(&pool, &queue)) => {}
    }
}

/// Reads the queue and records every waiting state; on a failed read the
/// gauge keeps its last values.
async fn record_queue(pool: &PgPool, gauge: &Gauge<u64>) {
    let counts = match store::messages::waiting(pool).await {
        Ok(counts) => counts,
        Err(error) => {
            tracing::warn!(%error, "reading the queue for the metrics failed");
            return;
        }
    };
    for state in WAITING {
        let count = counts
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0));
        gauge.record(count, &[KeyValue::new("state", state.code())]);
    }
}
