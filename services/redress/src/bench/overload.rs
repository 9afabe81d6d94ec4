//! `redress bench overload`: what load shedding buys when twice the
//! suite's capacity arrives. Two steps on the get-complaint scenario:
//!
//! 1. Capacity, on the suite as configured (its default concurrency limit is
//!    far above what the machine can serve): closed loops of 1, 2, 4, ...
//!    clients until throughput stops rising (under 10% more for twice the
//!    clients). The best of them is the capacity: its client count `C`, its
//!    throughput `X` and its latencies are what "at capacity" means.
//! 2. Overload, on the suite started again with `grpc.concurrency_limit` =
//!    `C`: an open loop (`open_loop.rs`) offering `2 × X` requests a second,
//!    a fixed arrival rate whatever the suite answers. A closed loop with
//!    `2 × C` workers would not offer twice the load: a refused worker asks
//!    again at once, so it offers an unknown and much larger rate.
//!    Before it, the same suite gets the same open loop at `1 × X`: the
//!    baseline the overload's p99 is compared with. The closed loop's p99
//!    in step 1 is no fair baseline: its clients wait for each answer, so
//!    no request ever arrives to find the others queued, while an open
//!    loop's arrivals bunch up as real callers' do.
//!
//! 3. The same `2 × X` on the suite started again at its configured limit
//!    (256 by default, far above `C`), for contrast: what the limit buys.
//!
//! The report gives accepted requests' p50/p99 at 1× and 2×, how many were
//! shed with `RESOURCE_EXHAUSTED` and how fast that answer came, and any
//! other failure (there should be none), for both limits. Long-lived streams
//! hold permits too: the notifications service follows the complaints feed
//! with one watch stream and the crisis service with two, so the overloaded
//! suite's limit is `C` plus those [`FEED_WATCHES`], leaving `C` for reads.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use redress_proto::complaints::v1 as pb;
use redress_proto::complaints::v1::complaint_service_client::ComplaintServiceClient;

use super::affinity::{CpuBusy, CpuTimes, Placement};
use super::load::{self, Measure, Shape, Turn};
use super::open_loop::{self, quantile_ms};
use super::process::Process;
use super::scenarios::{self, Target, authorized};

/// Watch streams the feed followers hold open on the complaints port for
/// as long as the suite runs (notifications one, crisis two), each holding
/// a permit of its concurrency limit.
const FEED_WATCHES: usize = 3;

/// Most clients the capacity search tries.
const MAX_CLIENTS: usize = 256;
/// How much more throughput twice the clients must give to count as rising.
const RISING: f64 = 1.10;
/// The deadline each overloaded request carries, so none can hang the run.
const REQUEST_DEADLINE: Duration = Duration::from_secs(10);

/// One step of the capacity search.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RampStep {
    /// Closed-loop clients.
    pub clients: usize,
    /// Successful requests a second.
    pub throughput: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Failed requests, by status code.
    pub errors: BTreeMap<String, u64>,
}

/// Latencies of one kind of answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Answers {
    /// How many.
    pub count: u64,
    /// A second, over the measured time.
    pub per_s: f64,
    /// Median, milliseconds (from when the request was due).
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Slowest, milliseconds.
    pub max_ms: f64,
}

/// What one suite answered to the open loop.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OfferedRun {
    /// The concurrency limit the suite ran with.
    pub concurrency_limit: usize,
    /// Requests a second offered.
    pub offered_per_s: f64,
    /// Requests sent in the measured time.
    pub sent: u64,
    /// Requests answered OK.
    pub accepted: Answers,
    /// Requests refused with `RESOURCE_EXHAUSTED`.
    pub shed: Answers,
    /// Any other answer, by status code (expected: none).
    pub errors: BTreeMap<String, u64>,
    /// How busy the suite's and the generator's CPUs were while loaded
    /// (warm-up included), when the bench pinned them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_busy: Option<CpuBusy>,
}

/// The overload mode's findings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OverloadResult {
    /// The scenario loaded.
    pub scenario: &'static str,
    /// The capacity search, step by step.
    pub ramp: Vec<RampStep>,
    /// The step taken as capacity.
    pub capacity: RampStep,
    /// The suite limited to the capacity (`capacity.clients` plus the feed
    /// watch streams), offered the capacity's throughput: the baseline.
    pub limited_at_capacity: OfferedRun,
    /// The same suite offered twice the capacity's throughput; its fields
    /// sit at the top level of the JSON.
    #[serde(flatten)]
    pub limited: OfferedRun,
    /// The same load on the suite at its configured limit.
    pub at_configured_limit: OfferedRun,
}

/// Step 1: the capacity search, on the running suite.
pub async fn ramp(
    target: &Target,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Vec<RampStep>> {
    let readers = scenarios::complaint_readers(target).await?;
    let mut steps: Vec<RampStep> = Vec::new();
    let mut clients = 1;
    while clients <= MAX_CLIENTS {
        let connections = connections.clamp(1, clients);
        let shape = Shape {
            connections,
            concurrency: clients / connections,
            warmup,
            measure: Measure::For(duration),
        };
        let channels = load::connect(&target.complaints, connections).await?;
        let readers = readers.clone();
        let outcome = load::run(shape, &channels, move |turn: Turn| {
            get_complaint(turn, &readers, None)
        })
        .await;
        let step = RampStep {
            clients: shape.clients(),
            throughput: outcome.throughput(),
            p50_ms: outcome.quantile_ms(0.5),
            p99_ms: outcome.quantile_ms(0.99),
            errors: outcome.errors.clone(),
        };
        eprintln!(
            "  {} clients: {:.0} req/s, p99 {:.2} ms",
            step.clients, step.throughput, step.p99_ms
        );
        let best = steps.iter().map(|s| s.throughput).fold(0.0, f64::max);
        let rising = step.throughput > best * RISING;
        steps.push(step);
        if !rising {
            break;
        }
        clients *= 2;
    }
    Ok(steps)
}

/// The step taken as capacity: the fewest clients within 10% of the best
/// throughput (more clients past it only queue).
fn capacity(steps: &[RampStep]) -> Option<&RampStep> {
    let best = steps.iter().map(|s| s.throughput).fold(0.0, f64::max);
    steps.iter().find(|s| s.throughput * RISING >= best)
}

/// Steps 2 and 3: offers the capacity's throughput and then twice it to a
/// suite limited to the capacity's clients, then twice it to one at
/// `configured_limit`.
pub async fn overload(
    offer: &Offer<'_>,
    configured_limit: usize,
    steps: Vec<RampStep>,
) -> anyhow::Result<OverloadResult> {
    let capacity = capacity(&steps)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the capacity search measured nothing"))?;
    anyhow::ensure!(
        capacity.throughput > 0.0,
        "no request succeeded at any load: {:?}",
        capacity.errors
    );
    let limit = capacity.clients + FEED_WATCHES;
    let once = capacity.throughput.max(1.0);
    let twice = (2.0 * capacity.throughput).max(1.0);
    let limited_at_capacity = offer.run(limit, once, "capacity").await?;
    let limited = offer.run(limit, twice, "twice capacity").await?;
    let at_configured_limit = offer.run(configured_limit, twice, "twice capacity").await?;
    Ok(OverloadResult {
        scenario: "get-complaint",
        ramp: steps,
        capacity,
        limited_at_capacity,
        limited,
        at_configured_limit,
    })
}

/// How steps 2 and 3 start a suite and load it: the suite's environment
/// and endpoints, where its logs go, where it runs, and how long the open
/// loop warms up and measures.
pub struct Offer<'a> {
    /// The suite's endpoints and secret.
    pub target: &'a Target,
    /// The suite's environment (a concurrency limit is added to it).
    pub env: &'a [(String, String)],
    /// Where each suite's log goes.
    pub logs: &'a Path,
    /// The CPUs, when pinned.
    pub placement: Option<&'a Placement>,
    /// Unmeasured load first.
    pub warmup: Duration,
    /// Measured load.
    pub duration: Duration,
}

impl Offer<'_> {
    /// Starts the suite with a concurrency limit of `limit`, offers it
    /// `offered` requests a second (`what`, for the progress line), and
    /// stops it.
    async fn run(&self, limit: usize, offered: f64, what: &str) -> anyhow::Result<OfferedRun> {
        let mut env = self.env.to_vec();
        env.push((
            "REDRESS_GRPC__CONCURRENCY_LIMIT".to_owned(),
            limit.to_string(),
        ));
        eprintln!("Starting the suite with a concurrency limit of {limit} ...");
        let log = self.logs.join(format!("suite-limit-{limit}.log"));
        let mut suite = Process::start(&["up"], &env, &log)?;
        suite
            .wait_serving(
                &self.target.complaints,
                "redress.complaints.v1.ComplaintService",
            )
            .await?;
        if let Some(placement) = self.placement {
            placement.pin_suite(
                suite
                    .pid()
                    .ok_or_else(|| anyhow::anyhow!("the suite has no process id"))?,
            )?;
        }
        // The feed followers connect and start their watch streams.
        tokio::time::sleep(Duration::from_secs(3)).await;

        eprintln!("Offering {offered:.0} req/s ({what}) ...");
        let readers = scenarios::complaint_readers(self.target).await?;
        let channels = load::connect(&self.target.complaints, 2).await?;
        let before = CpuTimes::now();
        let outcome = open_loop::run(
            offered,
            self.warmup,
            self.duration,
            &channels,
            move |turn: Turn| get_complaint(turn, &readers, Some(REQUEST_DEADLINE)),
        )
        .await;
        let cpu_busy = self
            .placement
            .and_then(|placement| placement.busy(&before, &CpuTimes::now()));
        suite.stop().await?;

        let seconds = outcome.elapsed.as_secs_f64().max(f64::EPSILON);
        let answers = |h: &hdrhistogram::Histogram<u64>| Answers {
            count: h.len(),
            per_s: h.len() as f64 / seconds,
            p50_ms: quantile_ms(h, 0.5),
            p99_ms: quantile_ms(h, 0.99),
            max_ms: quantile_ms(h, 1.0),
        };
        Ok(OfferedRun {
            concurrency_limit: limit,
            offered_per_s: offered,
            sent: outcome.sent,
            accepted: answers(&outcome.accepted),
            shed: answers(&outcome.shed),
            errors: outcome.errors,
            cpu_busy,
        })
    }
}

/// GetComplaint of a seeded complaint by its owner, with `deadline` if any.
fn get_complaint(
    turn: Turn,
    readers: &[scenarios::Reader],
    deadline: Option<Duration>,
) -> impl std::future::Future<Output = Result<(), tonic::Status>> + Send + use<> {
    let (name, token) = turn.pick(readers).clone();
    async move {
        let mut request = authorized(pb::GetComplaintRequest { name }, &token);
        if let Some(deadline) = deadline {
            request.set_timeout(deadline);
        }
        ComplaintServiceClient::new(turn.channel)
            .get_complaint(request)
            .await
            .map(drop)
    }
}

impl OverloadResult {
    /// The findings as text.
    pub fn table(&self) -> String {
        let mut out = format!(
            "Overload ({}): capacity {} clients, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms \
             (ramp: {})\n",
            self.scenario,
            self.capacity.clients,
            self.capacity.throughput,
            self.capacity.p50_ms,
            self.capacity.p99_ms,
            self.ramp
                .iter()
                .map(|s| format!("{}→{:.0}", s.clients, s.throughput))
                .collect::<Vec<_>>()
                .join(", "),
        );
        for (times, run) in [
            (1, &self.limited_at_capacity),
            (2, &self.limited),
            (2, &self.at_configured_limit),
        ] {
            out.push_str(&format!(
                "At {times}× ({:.0} req/s offered, limit {}, {} sent): accepted {} ({:.0}/s) \
                 p50 {:.2} ms p99 {:.2} ms; shed {} ({:.0}/s) p50 {:.2} ms p99 {:.2} ms; \
                 other failures {}{}\n",
                run.offered_per_s,
                run.concurrency_limit,
                run.sent,
                run.accepted.count,
                run.accepted.per_s,
                run.accepted.p50_ms,
                run.accepted.p99_ms,
                run.shed.count,
                run.shed.per_s,
                run.shed.p50_ms,
                run.shed.p99_ms,
                if run.errors.is_empty() {
                    "0".to_owned()
                } else {
                    format!("{:?}", run.errors)
                },
                run.cpu_busy.map_or(String::new(), |busy| format!(
                    "; CPUs busy: suite {:.0}%, generator {:.0}%, stolen {:.0}%",
                    busy.suite * 100.0,
                    busy.generator * 100.0,
                    busy.stolen * 100.0
                )),
            ));
        }
        out
    }
}
