//! An open-loop load generator: requests sent at a fixed arrival rate,
//! whatever the server does with them, for offering an overloaded suite a
//! known multiple of its capacity.
//!
//! A closed loop (`load.rs`) cannot overload a server honestly: its workers
//! wait for each answer, so a slow server slows the load down, and a worker
//! refused at once asks again at once, so "twice as many workers" offers an
//! unknown rate. Here request `n` is due at `n / rate` seconds after the
//! start and sent as soon as the generator sees it is due, each in a task of
//! its own, and its latency counts from when it was due, not from when it
//! went out (no coordinated omission: a generator falling behind shows as
//! latency). Answers are sorted into accepted (OK), shed
//! (`RESOURCE_EXHAUSTED`) and anything else, by status code.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tonic::Code;
use tonic::transport::Channel;

use super::load::Turn;

/// What an open-loop load measured.
#[derive(Debug, Clone)]
pub struct OpenOutcome {
    /// Requests due in the measured window (all were sent).
    pub sent: u64,
    /// Measured wall-clock time.
    pub elapsed: Duration,
    /// Latencies of accepted (OK) requests, in microseconds.
    pub accepted: Histogram<u64>,
    /// Latencies of shed (`RESOURCE_EXHAUSTED`) requests, in microseconds.
    pub shed: Histogram<u64>,
    /// Other failures, by status code name.
    pub errors: BTreeMap<String, u64>,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// Quantile `q` of `histogram` in milliseconds (0 when empty).
pub fn quantile_ms(histogram: &Histogram<u64>, q: f64) -> f64 {
    if histogram.is_empty() {
        return 0.0;
    }
    histogram.value_at_quantile(q) as f64 / 1000.0
}

/// Sends `request` at `rate` a second on `channels` (in turn) for `warmup`
/// unmeasured and then `duration` measured, and waits for every answer.
pub async fn run<F, Fut>(
    rate: f64,
    warmup: Duration,
    duration: Duration,
    channels: &[Channel],
    request: F,
) -> OpenOutcome
where
    F: Fn(Turn) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send + 'static,
{
    let rate = rate.max(1.0);
    let request = Arc::new(request);
    let (answers, mut answered) = mpsc::unbounded_channel::<(Duration, Result<(), Code>)>();
    let start = Instant::now();
    let measure_from = start + warmup;
    let stop_at = measure_from + duration;
    let mut rng = StdRng::seed_from_u64(1);
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut sent = 0u64;
    let mut measured = 0u64;
    loop {
        ticker.tick().await;
        let now = Instant::now();
        let until = now.min(stop_at);
        // Every request due by now (or by the end), each at its own time.
        let due = (until.duration_since(start).as_secs_f64() * rate) as u64;
        while sent < due {
            let scheduled = start + Duration::from_secs_f64(sent as f64 / rate);
            let in_window = scheduled >= measure_from;
            measured += u64::from(in_window);
            let turn = Turn {
                channel: channels[(sent as usize) % channels.len()].clone(),
                worker: sent as usize,
                random: rng.random(),
            };
            let request = request.clone();
            let answers = answers.clone();
            tokio::spawn(async move {
                let result = request(turn).await.map_err(|status| status.code());
                if in_window {
                    let _ = answers.send((scheduled.elapsed(), result));
                }
            });
            sent += 1;
        }
        if now >= stop_at {
            break;
        }
    }
    drop(answers);

    let mut outcome = OpenOutcome {
        sent: measured,
        elapsed: duration,
        accepted: histogram(),
        shed: histogram(),
        errors: BTreeMap::new(),
    };
    while let Some((latency, result)) = answered.recv().await {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        match result {
            Ok(()) => outcome.accepted.saturating_record(micros),
            Err(Code::ResourceExhausted) => outcome.shed.saturating_record(micros),
            Err(code) => *outcome.errors.entry(format!("{code:?}")).or_default() += 1,
        }
    }
    outcome
}
