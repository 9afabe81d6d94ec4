//! Helpers for the crises, plans and record tests: declaring a crisis,
//! walking it along, reading error details, waiting for events and for the
//! scheduler.

use std::time::Duration;

use redress_platform::auth::Role;
use tonic::Status;

// Not every test binary reads every detail (as `dead_code` is allowed above).
#[allow(unused_imports)]
pub use super::status::{allowed, assert_invalid, assert_status, reason};
use super::{Client, TestApp, cpb, kpb, pb};

/// A fresh request id.
pub fn request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A crisis manager's client.
pub fn manager(app: &TestApp, subject: &str) -> Client {
    app.client(subject, &[Role::CrisisManager])
}

/// A valid crisis of `crisis_type` with likelihood 4 and impact 4.
pub fn crisis(crisis_type: &str) -> pb::Crisis {
    pb::Crisis {
        title: "Parcels delayed in the north".into(),
        r#type: crisis_type.into(),
        likelihood: 4,
        impact: 4,
        scope: Some(pb::CrisisScope {
            products: vec!["parcel".into()],
            regions: vec!["north".into()],
            categories: vec![],
            customer_selector: None,
        }),
        ..Default::default()
    }
}

/// Declares `crisis` from scratch as `client`.
pub async fn declare(client: &mut Client, crisis: pb::Crisis) -> pb::DeclareCrisisResponse {
    client
        .declare_crisis(pb::DeclareCrisisRequest {
            crisis: Some(crisis),
            origin: None,
            commander: String::new(),
            request_id: request_id(),
        })
        .await
        .expect("the crisis is declared")
        .into_inner()
}

/// Moves the crisis to `state`, reading its etag first.
pub async fn transition(
    client: &mut Client,
    name: &str,
    state: pb::CrisisState,
) -> Result<pb::Crisis, Status> {
    let etag = get(client, name).await.etag;
    client
        .transition_crisis(pb::TransitionCrisisRequest {
            name: name.into(),
            state: state.into(),
            note: String::new(),
            etag,
        })
        .await
        .map(|r| r.into_inner().crisis.expect("a crisis"))
}

/// Reads a crisis.
pub async fn get(client: &mut Client, name: &str) -> pb::Crisis {
    client
        .get_crisis(pb::GetCrisisRequest { name: name.into() })
        .await
        .expect("the crisis is read")
        .into_inner()
        .crisis
        .expect("a crisis")
}

/// Gives `role` to `subject`.
pub async fn assign(
    client: &mut Client,
    crisis: &str,
    subject: &str,
    role: pb::TeamRole,
) -> Result<pb::Crisis, Status> {
    client
        .assign_crisis_role(pb::AssignCrisisRoleRequest {
            crisis: crisis.into(),
            member: Some(pb::TeamMember {
                subject: subject.into(),
                role: role.into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .map(|r| r.into_inner().crisis.expect("a crisis"))
}

/// The subjects holding `role`.
pub fn holders(crisis: &pb::Crisis, role: pb::TeamRole) -> Vec<String> {
    crisis
        .team
        .iter()
        .filter(|m| m.role == role as i32)
        .map(|m| m.subject.clone())
        .collect()
}

/// Waits (up to 20 s) until the crisis feed holds an event of
/// `event_type` about `subject`, and returns every such event.
pub async fn wait_for_events(
    app: &TestApp,
    event_type: &str,
    subject: &str,
) -> Vec<redress_proto::events::v1::Event> {
    wait_for_at_least(app, event_type, subject, 1).await
}

/// Polls the feed until at least `count` events of `event_type` about
/// `subject` are sequenced (events of separate transactions may be
/// sequenced in separate passes), and gives them all.
pub async fn wait_for_at_least(
    app: &TestApp,
    event_type: &str,
    subject: &str,
    count: usize,
) -> Vec<redress_proto::events::v1::Event> {
    let mut client = app.client("svc", &[Role::Service]);
    for _ in 0..400 {
        let page = client
            .list_crisis_events(pb::ListCrisisEventsRequest {
                after_position: 0,
                page_size: 1000,
                types: vec![event_type.into()],
            })
            .await
            .expect("the feed is listed")
            .into_inner();
        let found: Vec<_> = page
            .events
            .into_iter()
            .filter(|e| e.subject == subject)
            .collect();
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {count} {event_type} events about {subject} within 20 s");
}

/// Polls `check` every 50 ms for up to 20 s until it holds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..400 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 20 s");
}

/// Creates a customer and returns its name.
pub async fn customer(app: &TestApp, display_name: &str) -> String {
    app.customers()
        .create_customer(cpb::CreateCustomerRequest {
            customer: Some(cpb::Customer {
                display_name: display_name.into(),
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
        .name
}

/// Creates a complaint of a new customer and returns its name.
pub async fn complaint(app: &TestApp) -> String {
    let customer = customer(app, "Ada Lovelace").await;
    app.complaints("agent-1", "parcels")
        .create_complaint(kpb::CreateComplaintRequest {
            complaint: Some(kpb::Complaint {
                customer,
                channel: kpb::Channel::Phone.into(),
                kind: kpb::ComplaintKind::Complaint.into(),
                summary: "Parcel arrived a week late".into(),
                category: "too_slow/late_delivery".into(),
                severity: kpb::Severity::Critical.into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("the complaint is created")
        .into_inner()
        .complaint
        .expect("a complaint")
        .name
}
