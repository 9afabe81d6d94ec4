//! The load generator: `connections` HTTP/2 connections, each carrying
//! `concurrency` workers that send one request after another (a closed
//! loop), for a warm-up and then a measured duration or request count.
//! Every measured request's latency goes into an HDR histogram (1 µs to
//! 60 s, three significant digits); failures are counted by status code.
//!
//! A closed loop measures the latency of requests as sent; under overload
//! it slows down rather than queueing (no coordinated-omission correction),
//! which is what a call centre's agents do too.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tonic::transport::{Channel, Endpoint};

/// How long, or how much, to measure.
#[derive(Debug, Clone, Copy)]
pub enum Measure {
    /// For this long.
    For(Duration),
    /// This many requests in all.
    Count(u64),
}

/// The shape of a load.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// HTTP/2 connections.
    pub connections: usize,
    /// Requests in flight on each connection.
    pub concurrency: usize,
    /// Unmeasured time first.
    pub warmup: Duration,
    /// What is measured.
    pub measure: Measure,
}

impl Shape {
    /// Requests in flight at once.
    pub fn clients(&self) -> usize {
        self.connections * self.concurrency
    }
}

/// What one worker is given for each request.
#[derive(Debug, Clone)]
pub struct Turn {
    /// The connection the worker uses.
    pub channel: Channel,
    /// The worker's number, from 0.
    pub worker: usize,
    /// A fresh random number, for picking what to ask for.
    pub random: u64,
}

impl Turn {
    /// One of `items`, picked at random.
    pub fn pick<'a, T>(&self, items: &'a [T]) -> &'a T {
        &items[(self.random % items.len() as u64) as usize]
    }

    /// Another independent pick from the same turn.
    pub fn pick_also<'a, T>(&self, items: &'a [T]) -> &'a T {
        let mixed = self
            .random
            .rotate_left(29)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        &items[(mixed % items.len() as u64) as usize]
    }
}

/// What a load measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Successful requests measured.
    pub ok: u64,
    /// Failed requests measured, by status code name.
    pub errors: BTreeMap<String, u64>,
    /// Measured wall-clock time.
    pub elapsed: Duration,
    /// Latencies of all measured requests, in microseconds.
    pub latency: Histogram<u64>,
}

impl Outcome {
    /// Successful requests per second.
    pub fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// A latency quantile in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }

    /// The slowest request in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// Opens `count` separate HTTP/2 connections to `endpoint`.
pub async fn connect(endpoint: &str, count: usize) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::with_capacity(count);
    for _ in 0..count {
        let channel = Endpoint::from_shared(endpoint.to_owned())?
            .tcp_nodelay(true)
            .connect()
            .await?;
        channels.push(channel);
    }
    Ok(channels)
}

/// Runs `request` under `shape` on `channels` (one per connection).
pub async fn run<F, Fut>(shape: Shape, channels: &[Channel], request: F) -> Outcome
where
    F: Fn(Turn) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send,
{
    let request = Arc::new(request);
    let start = Instant::now();
    let measure_from = start + shape.warmup;
    let (stop_at, budget) = match shape.measure {
        Measure::For(duration) => (Some(measure_from + duration), None),
        Measure::Count(count) => (None, Some(Arc::new(AtomicU64::new(count)))),
    };
    let mut tasks = Vec::with_capacity(shape.clients());
    for worker in 0..shape.clients() {
        let channel = channels[worker % channels.len()].clone();
        let request = request.clone();
        let budget = budget.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(worker as u64);
            let mut latency = histogram();
            let mut errors: BTreeMap<String, u64> = BTreeMap::new();
            let mut ok = 0u64;
            loop {
                let sent = Instant::now();
                if stop_at.is_some_and(|stop| sent >= stop) {
                    break;
                }
                let measured = sent >= measure_from;
                if measured
                    && let Some(budget) = &budget
                    && budget
                        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                        .is_err()
                {
                    break;
                }
                let result = request(Turn {
                    channel: channel.clone(),
                    worker,
                    random: rng.random(),
                })
                .await;
                if !measured {
                    continue;
                }
                let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                latency.saturating_record(micros.max(1));
                match result {
                    Ok(()) => ok += 1,
                    Err(status) => {
                        *errors.entry(format!("{:?}", status.code())).or_default() += 1;
                    }
                }
            }
            (ok, errors, latency, Instant::now())
        }));
    }
    let mut outcome = Outcome {
        ok: 0,
        errors: BTreeMap::new(),
        elapsed: Duration::ZERO,
        latency: histogram(),
    };
    let mut last = measure_from;
    for task in tasks {
        let Ok((ok, errors, latency, finished)) = task.await else {
            continue;
        };
        outcome.ok += ok;
        for (code, n) in errors {
            *outcome.errors.entry(code).or_default() += n;
        }
        let _ = outcome.latency.add(&latency);
        last = last.max(finished);
    }
    outcome.elapsed = last.saturating_duration_since(measure_from);
    outcome
}
