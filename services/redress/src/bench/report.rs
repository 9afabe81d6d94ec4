//! What a benchmark run found, as a table for people and as JSON for
//! tools: the machine, the load's shape, each scenario's throughput and
//! latency beside its pgbench baseline, and the suite's memory.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use jiff::Timestamp;

use super::affinity::Placement;
use super::broadcast::BroadcastOutcome;
use super::early_warning::EarlyWarningOutcome;
use super::load::{Measure, Outcome, Shape};
use super::overload::OverloadResult;
use super::pgbench::{Baseline, Workload};
use super::scenarios::Scenario;
use crate::seed::Seeded;

/// Idle resident memory, in bytes.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct IdleMemory {
    /// `redress serve customers`, alone.
    pub customers: Option<u64>,
    /// `redress serve complaints`, alone.
    pub complaints: Option<u64>,
    /// `redress serve notifications`, in its own process (while customers
    /// and complaints, which it calls, run in theirs).
    pub notifications: Option<u64>,
    /// `redress up`, every service in one process.
    pub suite: Option<u64>,
}

/// One scenario's numbers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScenarioResult {
    /// The scenario.
    pub scenario: Scenario,
    /// Successful requests measured.
    pub ok: u64,
    /// Failed requests, by status code.
    pub errors: std::collections::BTreeMap<String, u64>,
    /// Measured seconds.
    pub seconds: f64,
    /// Successful requests per second.
    pub throughput: f64,
    /// Latency quantiles and maximum, in milliseconds.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// The suite's peak resident memory during the scenario, in bytes.
    pub suite_peak_rss: u64,
    /// The baseline it is compared with.
    pub baseline: Workload,
    /// Throughput ÷ the baseline's tps, when the baseline ran.
    pub ratio: Option<f64>,
    /// The broadcast scenario's own numbers (`ok` is its delivered
    /// messages, `throughput` its deliveries a second, `errors` its failed
    /// ones; it has no request latencies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<BroadcastOutcome>,
    /// The early-warning scenario's own numbers (`ok` is its rounds whose
    /// warning showed, `errors` its missed rounds, the latencies are from
    /// the threshold-crossing complaint's acknowledgement to the warning
    /// seen; it has no throughput or baseline ratio).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_warning: Option<EarlyWarningOutcome>,
}

impl ScenarioResult {
    /// The numbers of `outcome`.
    pub fn new(scenario: Scenario, outcome: &Outcome, peak_rss: u64) -> Self {
        ScenarioResult {
            scenario,
            ok: outcome.ok,
            errors: outcome.errors.clone(),
            seconds: outcome.elapsed.as_secs_f64(),
            throughput: outcome.throughput(),
            p50_ms: outcome.quantile_ms(0.5),
            p90_ms: outcome.quantile_ms(0.9),
            p99_ms: outcome.quantile_ms(0.99),
            max_ms: outcome.max_ms(),
            suite_peak_rss: peak_rss,
            baseline: baseline_of(scenario),
            ratio: None,
            broadcast: None,
            early_warning: None,
        }
    }

    /// The numbers of the early-warning scenario.
    pub fn early_warning(outcome: EarlyWarningOutcome, peak_rss: u64) -> Self {
        let mut errors = std::collections::BTreeMap::new();
        if outcome.missed > 0 {
            errors.insert("MISSED".to_owned(), u64::from(outcome.missed));
        }
        ScenarioResult {
            scenario: Scenario::EarlyWarning,
            ok: u64::from(outcome.detected),
            errors,
            seconds: outcome.seconds,
            throughput: 0.0,
            p50_ms: outcome.quantile_ms(0.5),
            p90_ms: outcome.quantile_ms(0.9),
            p99_ms: outcome.quantile_ms(0.99),
            max_ms: outcome.quantile_ms(1.0),
            suite_peak_rss: peak_rss,
            baseline: baseline_of(Scenario::EarlyWarning),
            ratio: None,
            broadcast: None,
            early_warning: Some(outcome),
        }
    }

    /// The numbers of the broadcast scenario.
    pub fn broadcast(outcome: BroadcastOutcome, peak_rss: u64) -> Self {
        let mut errors = std::collections::BTreeMap::new();
        if outcome.failed > 0 {
            errors.insert("FAILED".to_owned(), outcome.failed);
        }
        ScenarioResult {
            scenario: Scenario::Broadcast,
            ok: outcome.delivered,
            errors,
            seconds: outcome.delivery_s,
            throughput: outcome.deliveries_per_s,
            p50_ms: 0.0,
            p90_ms: 0.0,
            p99_ms: 0.0,
            max_ms: 0.0,
            suite_peak_rss: peak_rss,
            baseline: baseline_of(Scenario::Broadcast),
            ratio: None,
            broadcast: Some(outcome),
            early_warning: None,
        }
    }
}

/// The pgbench workload a scenario is measured against: writes against a
/// TPC-B-like transaction, reads against a primary-key select.
pub fn baseline_of(scenario: Scenario) -> Workload {
    match scenario {
        Scenario::CreateComplaint
        | Scenario::HandOffAndAccept
        | Scenario::Broadcast
        | Scenario::EarlyWarning => Workload::TpcbLike,
        Scenario::GetComplaint
        | Scenario::ListMyWork
        | Scenario::GetCustomer
        | Scenario::Overload => Workload::SelectOnly,
    }
}

/// The machine the run was on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Machine {
    /// Logical CPUs.
    pub cpus: usize,
    /// Total memory, in bytes.
    pub memory: Option<u64>,
    /// The CPU's model name.
    pub cpu_model: Option<String>,
    /// PostgreSQL's version.
    pub postgres: String,
}

/// The whole run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// When it ran.
    pub date: String,
    /// The command line.
    pub command: String,
    /// The machine.
    pub machine: Machine,
    /// HTTP/2 connections.
    pub connections: usize,
    /// Requests in flight per connection.
    pub concurrency: usize,
    /// connections × concurrency (pgbench's client count).
    pub clients: usize,
    /// Measured seconds per scenario, or requests.
    pub measure: String,
    /// Customers and complaints in the database.
    pub scale: u64,
    /// What this run seeded, when it seeded.
    pub seeded: Option<Seeded>,
    /// Idle memory.
    pub idle_memory: IdleMemory,
    /// The scenarios.
    pub scenarios: Vec<ScenarioResult>,
    /// The baselines.
    pub baselines: Vec<Baseline>,
    /// The overload mode's findings, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overload: Option<OverloadResult>,
    /// Where the suite and the load generator ran, when pinned
    /// (`--suite-cpus`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
}

fn first_line_after(path: &str, label: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(label))?;
    Some(line.split_once(':')?.1.trim().to_owned())
}

impl Report {
    /// Puts the run together, computing each scenario's ratio.
    pub fn new(
        shape: Shape,
        scale: u64,
        seeded: Option<Seeded>,
        postgres: String,
        idle_memory: IdleMemory,
        mut scenarios: Vec<ScenarioResult>,
        baselines: Vec<Baseline>,
    ) -> Self {
        for result in scenarios.iter_mut().filter(|r| r.early_warning.is_none()) {
            result.ratio = baselines
                .iter()
                .find(|b| b.workload == result.baseline && b.tps > 0.0)
                .map(|b| result.throughput / b.tps);
        }
        let memory = first_line_after("/proc/meminfo", "MemTotal")
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map(|kib| kib * 1024);
        Report {
            date: Timestamp::now().strftime("%Y-%m-%d %H:%M UTC").to_string(),
            command: std::env::args().collect::<Vec<_>>().join(" "),
            machine: Machine {
                cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
                memory,
                cpu_model: first_line_after("/proc/cpuinfo", "model name"),
                postgres,
            },
            connections: shape.connections,
            concurrency: shape.concurrency,
            clients: shape.clients(),
            measure: match shape.measure {
                Measure::For(d) => format!(
                    "{:.0} s after {:.0} s warm-up",
                    d.as_secs_f64(),
                    shape.warmup.as_secs_f64()
                ),
                Measure::Count(n) => format!(
                    "{n} requests after {:.0} s warm-up",
                    shape.warmup.as_secs_f64()
                ),
            },
            scale,
            seeded,
            idle_memory,
            scenarios,
            baselines,
            overload: None,
            placement: None,
        }
    }

    /// The run as text tables.
    pub fn table(&self) -> String {
        let mib = |b: Option<u64>| {
            b.map_or("-".to_owned(), |b| {
                format!("{:.1} MiB", b as f64 / 1_048_576.0)
            })
        };
        let mut out = format!(
            "Redress benchmark, {} — {} CPUs ({}), {} memory, PostgreSQL {}\n\
             {} connections × {} in flight = {} clients; {}; {} customers and complaints\n",
            self.date,
            self.machine.cpus,
            self.machine.cpu_model.as_deref().unwrap_or("unknown CPU"),
            mib(self.machine.memory),
            self.machine.postgres,
            self.connections,
            self.concurrency,
            self.clients,
            self.measure,
            self.scale,
        );
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
            "scenario",
            "ok",
            "errors",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "baseline",
            "baseline tps",
            "ratio",
            "suite peak RSS",
        ]);
        for r in &self.scenarios {
            let baseline = self.baselines.iter().find(|b| b.workload == r.baseline);
            let errors = if r.errors.is_empty() {
                "0".to_owned()
            } else {
                r.errors
                    .iter()
                    .map(|(code, n)| format!("{code} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let ms = |v: f64| {
                if r.broadcast.is_some() {
                    "-".to_owned()
                } else {
                    format!("{v:.2}")
                }
            };
            table.add_row(vec![
                r.scenario.name().to_owned(),
                r.ok.to_string(),
                errors,
                format!("{:.0}", r.throughput),
                ms(r.p50_ms),
                ms(r.p90_ms),
                ms(r.p99_ms),
                ms(r.max_ms),
                r.baseline.name().to_owned(),
                baseline.map_or("-".to_owned(), |b| format!("{:.0}", b.tps)),
                r.ratio.map_or("-".to_owned(), |x| format!("{x:.2}")),
                mib(Some(r.suite_peak_rss)),
            ]);
        }
        out.push_str(&table.to_string());
        out.push('\n');
        for b in self.scenarios.iter().filter_map(|r| r.broadcast.as_ref()) {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
                "broadcast",
                "audience",
                "queued within s",
                "delivered in s",
                "deliveries/s",
                "delivered",
                "failed",
                "lost",
                "duplicates",
                "states",
            ]);
            let states = b
                .states
                .iter()
                .map(|(state, n)| format!("{state} {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            table.add_row(vec![
                if b.finished { "finished" } else { "UNFINISHED" }.to_owned(),
                b.audience.to_string(),
                b.queued_within_s
                    .map_or("not queued".to_owned(), |s| format!("{s:.2}")),
                format!("{:.2}", b.delivery_s),
                format!("{:.0}", b.deliveries_per_s),
                b.delivered.to_string(),
                b.failed.to_string(),
                b.lost.to_string(),
                b.duplicates.to_string(),
                states,
            ]);
            out.push_str(&table.to_string());
            out.push('\n');
        }
        for e in self
            .scenarios
            .iter()
            .filter_map(|r| r.early_warning.as_ref())
        {
            out.push_str(&format!(
                "Early warning: {} of {} bursts of {} complaints raised their spike warning ({} missed); \
                 from the threshold-crossing complaint to the warning seen: \
                 p50 {:.0} ms, p90 {:.0} ms, max {:.0} ms\n",
                e.detected,
                e.rounds,
                e.burst,
                e.missed,
                e.quantile_ms(0.5),
                e.quantile_ms(0.9),
                e.quantile_ms(1.0),
            ));
        }
        if !self.baselines.is_empty() {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
                "baseline",
                "tps",
                "latency avg ms",
            ]);
            for b in &self.baselines {
                table.add_row(vec![
                    b.workload.name().to_owned(),
                    format!("{:.0}", b.tps),
                    format!("{:.2}", b.latency_avg_ms),
                ]);
            }
            out.push_str(&table.to_string());
            out.push('\n');
        }
        out.push_str(&format!(
            "Idle memory: customers alone {}, complaints alone {}, notifications alone {}, \
             whole suite in one process {}\n",
            mib(self.idle_memory.customers),
            mib(self.idle_memory.complaints),
            mib(self.idle_memory.notifications),
            mib(self.idle_memory.suite),
        ));
        if let Some(seeded) = &self.seeded {
            out.push_str(&format!(
                "Seeded this run: {} customers, {} complaints ({} open), {} rows in {:.0} s\n",
                seeded.customers,
                seeded.complaints,
                seeded.open_complaints,
                seeded.rows,
                seeded.seconds
            ));
        }
        if let Some(placement) = &self.placement {
            out.push_str(&format!(
                "Pinned: the suite{} on CPUs {}, the load generator on {}\n",
                if placement.database_pinned {
                    " and PostgreSQL"
                } else {
                    ""
                },
                placement.suite,
                placement.generator
            ));
        }
        if let Some(overload) = &self.overload {
            out.push_str(&overload.table());
        }
        out
    }
}
