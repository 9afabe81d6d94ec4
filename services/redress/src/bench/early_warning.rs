//! The `early-warning` scenario: how soon a burst of complaints becomes a
//! warning a crisis manager can see. Each round takes in a burst of
//! complaints about a product nobody complained about before (a fresh
//! series), one after another through CreateComplaint as agents would, and
//! polls ListWarnings every 10 ms until the spike warning on that product
//! shows. The latency is from the moment the complaint that crossed the
//! threshold was acknowledged (the warning's evidence counts it) to the
//! moment the warning was seen: the complaint feed, the crisis service's
//! consumer, its series and baseline, and the warning's commit, end to end.
//!
//! The suite runs this with the spike rule's warm-up off
//! (`REDRESS_CRISIS__EARLY_WARNING__SPIKE__WARMUP_MINUTES=0`, set by the
//! bench), since a fresh series would otherwise need an hour of history.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use redress_platform::auth::{Role, mint_dev_token};
use redress_proto::complaints::v1 as kpb;
use redress_proto::complaints::v1::complaint_service_client::ComplaintServiceClient;
use redress_proto::crisis::v1 as pb;
use redress_proto::crisis::v1::crisis_service_client::CrisisServiceClient;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use uuid::Uuid;

use super::scenarios::{Target, authorized};

/// Complaints in each round's burst.
const BURST: usize = 12;
/// How often ListWarnings is polled.
const POLL: Duration = Duration::from_millis(10);
/// How long a round waits for its warning before it counts as missed.
const PATIENCE: Duration = Duration::from_secs(30);

/// What the scenario measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EarlyWarningOutcome {
    /// Rounds run.
    pub rounds: u32,
    /// Complaints in each burst.
    pub burst: u32,
    /// Rounds whose warning showed, with their latency.
    pub detected: u32,
    /// Rounds whose warning did not show within 30 s.
    pub missed: u32,
    /// Each detected round's latency, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// Seconds the scenario took.
    pub seconds: f64,
}

impl EarlyWarningOutcome {
    /// The `q` quantile of the latencies (nearest rank), in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }
}

fn bearer(target: &Target, subject: &str, roles: &[Role]) -> anyhow::Result<MetadataValue<Ascii>> {
    let token = mint_dev_token(
        &target.secret,
        subject,
        roles,
        Some("bench"),
        None,
        Duration::from_secs(3600),
    )?;
    Ok(format!("Bearer {token}").parse()?)
}

/// Runs `rounds` bursts against `target`.
pub async fn run(target: &Target, rounds: u32) -> anyhow::Result<EarlyWarningOutcome> {
    let started = Instant::now();
    let customer: Uuid = sqlx::query_scalar("SELECT id FROM customers.customers LIMIT 1")
        .fetch_one(&target.admin)
        .await
        .context("a seeded customer to complain")?;
    let agent = bearer(target, "bench-agent", &[Role::Agent])?;
    let manager = bearer(target, "bench-crisis-manager", &[Role::CrisisManager])?;
    let mut complaints = ComplaintServiceClient::new(
        Channel::from_shared(target.complaints.clone())?.connect_lazy(),
    );
    let mut crisis =
        CrisisServiceClient::new(Channel::from_shared(target.crisis.clone())?.connect_lazy());
    let mut outcome = EarlyWarningOutcome {
        rounds,
        burst: BURST as u32,
        detected: 0,
        missed: 0,
        latencies_ms: Vec::new(),
        seconds: 0.0,
    };
    for _ in 0..rounds {
        let product = format!("bench-{}", Uuid::now_v7().simple());
        let mut acknowledged = Vec::with_capacity(BURST);
        for _ in 0..BURST {
            let complaint = kpb::Complaint {
                customer: format!("customers/{customer}"),
                channel: kpb::Channel::Phone.into(),
                kind: kpb::ComplaintKind::Complaint.into(),
                summary: "Benchmark burst".into(),
                category: "not_provided".into(),
                product: product.clone(),
                severity: kpb::Severity::Medium.into(),
                ..Default::default()
            };
            complaints
                .create_complaint(authorized(
                    kpb::CreateComplaintRequest {
                        complaint: Some(complaint),
                        request_id: Uuid::now_v7().to_string(),
                    },
                    &agent,
                ))
                .await
                .context("a complaint of the burst")?;
            acknowledged.push(Instant::now());
        }
        let deadline = Instant::now() + PATIENCE;
        let seen = loop {
            let warnings = crisis
                .list_warnings(authorized(
                    pb::ListWarningsRequest {
                        states: vec![],
                        page_size: 50,
                        page_token: String::new(),
                    },
                    &manager,
                ))
                .await
                .context("listing warnings")?
                .into_inner()
                .warnings;
            let now = Instant::now();
            let found = warnings.into_iter().find_map(|w| {
                let e = w.evidence?;
                (e.dimension == pb::SeriesDimension::Product as i32 && e.series_value == product)
                    .then_some(e.count)
            });
            if let Some(count) = found {
                break Some((now, count));
            }
            if now >= deadline {
                break None;
            }
            tokio::time::sleep(POLL).await;
        };
        match seen {
            Some((at, count)) => {
                let crossing = usize::try_from(count.max(1)).unwrap_or(1).min(BURST) - 1;
                let latency = at.saturating_duration_since(acknowledged[crossing]);
                outcome.detected += 1;
                outcome.latencies_ms.push(latency.as_secs_f64() * 1000.0);
            }
            None => outcome.missed += 1,
        }
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    Ok(outcome)
}
