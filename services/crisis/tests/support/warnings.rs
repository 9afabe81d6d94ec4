//! Helpers for the early-warning tests: settings that judge spikes after a
//! short warm-up, making complaints through the real complaints service,
//! waiting for the crisis service's detector to have taken them in, and
//! reading warnings and error details.

use std::time::Duration;

use redress_platform::auth::Role;

// Not every test binary reads every detail (as `dead_code` is allowed above).
#[allow(unused_imports)]
pub use super::status::{allowed, assert_invalid, assert_status, reason};
use super::{Client, ComplaintsClient, Settings, TestApp, cpb, kpb, pb, test_settings};

/// The category the tests complain in (one of the complaints service's
/// default categories).
pub const CATEGORY: &str = "too_slow/late_delivery";

/// Settings whose spike rule judges after five minutes of warm-up, at four
/// standard deviations and at least five complaints; the watcher ticks
/// fast.
pub fn spike_settings() -> Settings {
    let mut settings = test_settings();
    settings.early_warning.spike.warmup_minutes = 5;
    settings.early_warning.spike.sensitivity = 4.0;
    settings.early_warning.spike.min_count = 5;
    settings.early_warning.tick_ms = 50;
    settings
}

/// Makes complaints of one customer as one agent.
pub struct Complainer {
    customer: String,
    agent: ComplaintsClient,
    made: usize,
}

impl Complainer {
    /// A new customer and an agent taking their complaints.
    pub async fn new(app: &TestApp) -> Self {
        let customer = app
            .customers()
            .create_customer(cpb::CreateCustomerRequest {
                customer: Some(cpb::Customer {
                    display_name: "Grace Hopper".into(),
                    kind: cpb::CustomerKind::Person.into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("the customer is created")
            .into_inner()
            .customer
            .expect("a customer")
            .name;
        Self {
            customer,
            agent: app.complaints("agent-1", "front-line"),
            made: 0,
        }
    }

    /// How many complaints were made so far.
    pub fn made(&self) -> usize {
        self.made
    }

    /// A complaint in [`CATEGORY`] of `severity`, now; returns its name.
    pub async fn complain(&mut self, severity: kpb::Severity, safety: bool) -> String {
        let complaint = self
            .agent
            .create_complaint(kpb::CreateComplaintRequest {
                complaint: Some(kpb::Complaint {
                    customer: self.customer.clone(),
                    channel: kpb::Channel::Phone.into(),
                    kind: kpb::ComplaintKind::Complaint.into(),
                    summary: "Parcel arrived a week late".into(),
                    category: CATEGORY.into(),
                    severity: severity.into(),
                    safety,
                    ..Default::default()
                }),
                request_id: uuid::Uuid::now_v7().to_string(),
            })
            .await
            .expect("the complaint is created")
            .into_inner()
            .complaint
            .expect("a complaint");
        self.made += 1;
        complaint.name
    }

    /// `n` medium complaints now; returns their names.
    pub async fn burst(&mut self, n: usize) -> Vec<String> {
        let mut names = Vec::with_capacity(n);
        for _ in 0..n {
            names.push(self.complain(kpb::Severity::Medium, false).await);
        }
        names
    }

    /// Waits until the crisis service's detector has taken in every
    /// complaint made so far.
    pub async fn wait_taken_in(&self, app: &TestApp) {
        let expected = i64::try_from(self.made).expect("a count");
        let mut seen = 0;
        for _ in 0..400 {
            seen = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM recent_complaints")
                .fetch_one(&app.pool)
                .await
                .expect("a count");
            if seen >= expected {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the detector took in {seen} of {expected} complaints");
    }
}

/// A crisis client for a crisis manager.
pub fn manager(app: &TestApp) -> Client {
    app.client("manager-1", &[Role::CrisisManager])
}

/// Every warning in `states` (all when empty), newest first.
pub async fn warnings(client: &mut Client, states: &[pb::WarningState]) -> Vec<pb::Warning> {
    client
        .list_warnings(pb::ListWarningsRequest {
            states: states.iter().map(|s| (*s).into()).collect(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("warnings are listed")
        .into_inner()
        .warnings
}

/// Reads one warning.
pub async fn warning(client: &mut Client, name: &str) -> pb::Warning {
    client
        .get_warning(pb::GetWarningRequest { name: name.into() })
        .await
        .expect("the warning is found")
        .into_inner()
        .warning
        .expect("a warning")
}

/// Polls until the crisis feed holds `at_least` events of `event_type`
/// about `subject`; returns how many.
pub async fn wait_events(app: &TestApp, event_type: &str, subject: &str, at_least: usize) -> usize {
    let mut client = app.client("feed-reader", &[Role::Service]);
    let mut seen = 0;
    for _ in 0..400 {
        let events = client
            .list_crisis_events(pb::ListCrisisEventsRequest {
                after_position: 0,
                page_size: 1000,
                types: vec![event_type.into()],
            })
            .await
            .expect("the feed lists")
            .into_inner()
            .events;
        seen = events.iter().filter(|e| e.subject == subject).count();
        if seen >= at_least {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{seen} {event_type} events about {subject}, wanted {at_least}");
}
