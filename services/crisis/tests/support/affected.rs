//! Fixtures of the affected-parties and statements tests: a crisis and its
//! team written straight into the crisis schema (declaring and staffing are
//! other areas' RPCs), customers and complaints made through the real
//! services, many customers inserted into the customers schema as the
//! admin, and polling for background work with a generous deadline.

use std::future::Future;
use std::time::Duration;

use tonic::Status;
use tonic_types::StatusExt as _;
use uuid::Uuid;

// Not every test binary reads every detail (as `dead_code` is allowed above).
#[allow(unused_imports)]
pub use super::status::reason;
use super::{TestApp, cpb, kpb};

/// Writes a crisis in state `responding` with `scope` (CrisisScope as JSON)
/// and returns its id.
pub async fn insert_crisis(app: &TestApp, drill: bool, scope: serde_json::Value) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO crises (id, title, crisis_type, likelihood, impact, risk_level, priority, \
         scope, drill, state, declared_by, create_time, update_time) \
         VALUES ($1, 'Router outage', 'service_quality', 4, 4, 'high', 'P2', $2, $3, \
         'responding', 'commander-1', now(), now())",
    )
    .bind(id)
    .bind(scope)
    .bind(drill)
    .execute(&app.pool)
    .await
    .expect("a crisis row");
    id
}

/// Gives `subject` `role` (a stored role code) on the crisis's team.
pub async fn add_member(app: &TestApp, crisis: Uuid, subject: &str, role: &str) {
    sqlx::query(
        "INSERT INTO team_members (crisis_id, subject, role, assign_time) VALUES ($1, $2, $3, now())",
    )
    .bind(crisis)
    .bind(subject)
    .bind(role)
    .execute(&app.pool)
    .await
    .expect("a team member");
}

/// Creates a customer with `locale` through the customers service and
/// returns its name.
pub async fn customer(app: &TestApp, display_name: &str, locale: &str) -> String {
    app.customers()
        .create_customer(cpb::CreateCustomerRequest {
            customer: Some(cpb::Customer {
                display_name: display_name.into(),
                kind: cpb::CustomerKind::Person.into(),
                locale: locale.into(),
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

/// Creates a complaint of a new customer about `product` through the
/// complaints service and returns its name.
pub async fn complaint(app: &TestApp, product: &str) -> String {
    let customer = customer(app, "Ada Lovelace", "en").await;
    app.complaints("agent-1", "front")
        .create_complaint(kpb::CreateComplaintRequest {
            complaint: Some(kpb::Complaint {
                customer,
                channel: kpb::Channel::Phone.into(),
                kind: kpb::ComplaintKind::Complaint.into(),
                summary: "The router keeps dropping the line".into(),
                category: "too_slow/late_delivery".into(),
                severity: kpb::Severity::Medium.into(),
                product: product.into(),
                region: "north".into(),
                ..Default::default()
            }),
            request_id: Uuid::now_v7().to_string(),
        })
        .await
        .expect("the complaint is created")
        .into_inner()
        .complaint
        .expect("a complaint")
        .name
}

/// Inserts `matching` customers tagged `tag` and `others` tagged `calm`
/// straight into the customers schema, as the admin.
pub async fn insert_tagged_customers(app: &TestApp, tag: &str, matching: i64, others: i64) {
    sqlx::query(
        "INSERT INTO customers.customers \
             (id, display_name, kind, locale, value_grade, lifecycle_stage, tags, \
              external_reference, create_time, update_time) \
         SELECT gen_random_uuid(), 'Customer ' || i, 'person', 'en-GB', 'C', 'established', \
                CASE WHEN i <= $2 THEN ARRAY[$1] ELSE ARRAY['calm'] END, \
                'bulk-' || i, now(), now() \
         FROM generate_series(1, $2 + $3) AS i",
    )
    .bind(tag)
    .bind(matching)
    .bind(others)
    .execute(app.db.admin_pool())
    .await
    .expect("customers inserted");
}

/// Polls `probe` every 50 ms until it gives a value, for up to 20 s.
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_within(what, Duration::from_secs(20), probe).await
}

/// Polls `probe` every 50 ms until it gives a value, for up to `deadline`
/// (large work, such as linking 100,000 customers in a debug build on a
/// busy machine, gets more than the usual 20 s).
pub async fn eventually_within<T, F, Fut>(what: &str, deadline: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let until = tokio::time::Instant::now() + deadline;
    while tokio::time::Instant::now() < until {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within {deadline:?}");
}

/// The fields of a status's field violations.
pub fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}
