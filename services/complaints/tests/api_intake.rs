//! Intake, reading and updating complaints through the real gRPC API, with
//! the real customers service behind it.

mod support;

use redress_platform::auth::Role;
use support::*;
use tonic::Code;

#[tokio::test(flavor = "multi_thread")]
async fn the_receiving_agent_owns_a_new_complaint_at_once() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;

    let created = app
        .create_as(&mut app.agent("agent-1"), complaint(&customer))
        .await;

    assert_eq!(created.owner, "agent-1");
    assert_eq!(created.owner_team, "teams/front");
    assert_eq!(created.state, pb::ComplaintState::Received as i32);
    assert!(
        created.reference.starts_with("C-2026-"),
        "{}",
        created.reference
    );
    // A customer with no purchases yet is graded D by the customers service.
    assert_eq!(created.customer_grade, pb::CustomerGrade::D as i32);
    assert_eq!(created.priority, pb::Priority::P3 as i32);
    let kinds: Vec<i32> = created.sla_clocks.iter().map(|c| c.kind).collect();
    assert!(
        kinds.contains(&(pb::SlaClockKind::Acknowledgement as i32)),
        "{kinds:?}"
    );
    assert_eq!(app.count("ownership_changes").await, 1);
    assert_eq!(
        app.event_types_of(&created.name).await,
        ["complaint.created"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn intake_records_the_contact_in_the_customers_interaction_log() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;
    let created = app
        .create_as(&mut app.agent("agent-1"), complaint(&customer))
        .await;

    let log = app
        .customers()
        .list_interactions(cpb::ListInteractionsRequest {
            parent: customer.clone(),
            page_size: 0,
            page_token: String::new(),
        })
        .await
        .expect("listed")
        .into_inner()
        .interactions;

    assert_eq!(log.len(), 1);
    assert_eq!(log[0].related_complaint, created.name);
    assert_eq!(log[0].agent, "agent-1");
    assert_eq!(log[0].channel, cpb::Channel::Phone as i32);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_request_id_returns_the_first_answer_and_a_reused_one_is_refused() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;
    let mut agent = app.agent("agent-1");
    let request = pb::CreateComplaintRequest {
        complaint: Some(complaint(&customer)),
        request_id: request_id(),
    };

    let first = agent
        .create_complaint(request.clone())
        .await
        .expect("created");
    let again = agent
        .create_complaint(request.clone())
        .await
        .expect("replayed");
    let mut other = request.clone();
    if let Some(c) = other.complaint.as_mut() {
        c.summary = "Something else".into();
    }
    let reused = agent.create_complaint(other).await.expect_err("refused");

    assert_eq!(first.into_inner(), again.into_inner());
    assert_invalid(&reused, &["request_id"]);
    assert_eq!(app.count("complaints").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_field_is_reported_and_nothing_is_written() {
    let app = spawn_app().await;
    let bad = pb::Complaint {
        customer: "customer/1".into(),
        channel: 0,
        kind: 99,
        summary: " ".into(),
        category: "not_a_category".into(),
        severity: 0,
        language: "not a tag!".into(),
        description: "x".repeat(10_001),
        ..Default::default()
    };

    let status = app
        .agent("agent-1")
        .create_complaint(pb::CreateComplaintRequest {
            complaint: Some(bad),
            request_id: "not-a-uuid".into(),
        })
        .await
        .expect_err("refused");

    assert_invalid(
        &status,
        &[
            "request_id",
            "complaint.customer",
            "complaint.channel",
            "complaint.kind",
            "complaint.summary",
            "complaint.description",
            "complaint.category",
            "complaint.severity",
            "complaint.language",
        ],
    );
    assert_eq!(app.count("complaints").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_customer_is_a_failed_precondition_naming_it() {
    let app = spawn_app().await;
    let unknown = format!("customers/{}", uuid::Uuid::now_v7());

    let status = app
        .agent("agent-1")
        .create_complaint(pb::CreateComplaintRequest {
            complaint: Some(complaint(&unknown)),
            request_id: request_id(),
        })
        .await
        .expect_err("refused");

    assert_status(&status, Code::FailedPrecondition, "CUSTOMER_NOT_FOUND");
    assert!(status.message().contains(&unknown), "{}", status.message());
    assert_eq!(app.count("complaints").await, 0);
    assert_eq!(app.count("request_ids").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_customers_service_down_intake_is_unavailable_and_writes_nothing() {
    let mut app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;
    app.stop_customers();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let before = row_counts(&app).await;

    let status = app
        .agent("agent-1")
        .create_complaint(pb::CreateComplaintRequest {
            complaint: Some(complaint(&customer)),
            request_id: request_id(),
        })
        .await
        .expect_err("refused");

    assert_status(&status, Code::Unavailable, "CUSTOMERS_UNAVAILABLE");
    let after = row_counts(&app).await;
    assert_eq!(after, before, "no table of the schema changed");
    for table in [
        "complaints",
        "complaint_history",
        "outbox_events",
        "request_ids",
    ] {
        assert_eq!(after.get(table), Some(&0), "{table}");
    }
}

/// Rows in every table of the complaints schema, by table.
async fn row_counts(app: &TestApp) -> std::collections::BTreeMap<String, i64> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'complaints' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(app.db.admin_pool())
    .await
    .expect("the schema's tables");
    assert!(tables.len() > 10, "{tables:?}");
    let mut counts = std::collections::BTreeMap::new();
    for table in tables {
        let rows = app.count(&table).await;
        counts.insert(table, rows);
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn priority_comes_from_severity_safety_and_the_customers_grade() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;
    let mut agent = app.agent("agent-1");
    let mut critical = complaint(&customer);
    critical.severity = pb::Severity::Critical.into();
    let mut unsafe_low = complaint(&customer);
    unsafe_low.severity = pb::Severity::Low.into();
    unsafe_low.safety = true;
    let low = {
        let mut c = complaint(&customer);
        c.severity = pb::Severity::Low.into();
        c
    };

    let critical = app.create_as(&mut agent, critical).await;
    let unsafe_low = app.create_as(&mut agent, unsafe_low).await;
    let low = app.create_as(&mut agent, low).await;

    assert_eq!(critical.priority, pb::Priority::P1 as i32);
    assert_eq!(unsafe_low.priority, pb::Priority::P1 as i32);
    assert_eq!(low.priority, pb::Priority::P4 as i32);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_complaint_is_found_by_name_by_reference_and_in_batches() {
    let app = spawn_app().await;
    let first = app.received().await;
    let second = app
        .create_as(&mut app.agent("agent-2"), complaint(&first.customer))
        .await;

    let by_reference = app.get(&first.reference).await;
    let batch = app
        .agent("agent-3")
        .batch_get_complaints(pb::BatchGetComplaintsRequest {
            names: vec![second.name.clone(), first.name.clone()],
        })
        .await
        .expect("found")
        .into_inner()
        .complaints;
    let missing = app
        .agent("agent-3")
        .get_complaint(pb::GetComplaintRequest {
            name: format!("complaints/{}", uuid::Uuid::now_v7()),
        })
        .await
        .expect_err("not found");

    assert_eq!(by_reference.name, first.name);
    assert_ne!(first.reference, second.reference);
    assert_eq!(
        batch.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        [second.name.as_str(), first.name.as_str()]
    );
    assert_status(&missing, Code::NotFound, "COMPLAINT_NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_complaint_of_a_batch_carries_its_own_clocks_and_offer() {
    let app = spawn_app().await;
    let first = app.received().await;
    let critical = {
        let mut c = complaint(&first.customer);
        c.severity = pb::Severity::Critical.into();
        c
    };
    let second = app.create_as(&mut app.agent("agent-2"), critical).await;
    app.agent("agent-2")
        .hand_off_complaint(pb::HandOffComplaintRequest {
            name: second.name.clone(),
            target: Some(pb::hand_off_complaint_request::Target::ToAgent(
                "agent-3".into(),
            )),
            reason: "agent-3 knows this customer".into(),
            ..Default::default()
        })
        .await
        .expect("offered");

    let batch = app
        .agent("agent-3")
        .batch_get_complaints(pb::BatchGetComplaintsRequest {
            names: vec![second.name.clone(), first.name.clone(), second.name.clone()],
        })
        .await
        .expect("found")
        .into_inner()
        .complaints;

    let (first, second) = (app.get(&first.name).await, app.get(&second.name).await);
    assert!(second.pending_hand_off.is_some());
    assert!(first.pending_hand_off.is_none());
    assert!(!first.sla_clocks.is_empty());
    assert_eq!(batch, [second.clone(), first, second]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_with_a_stale_etag_is_aborted_and_changes_nothing() {
    let app = spawn_app().await;
    let created = app.received().await;
    let mut owner = app.agent("agent-1");
    let mask = |paths: &[&str]| prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    };

    let mut first = created.clone();
    first.severity = pb::Severity::Critical.into();
    let updated = owner
        .update_complaint(pb::UpdateComplaintRequest {
            complaint: Some(first),
            update_mask: Some(mask(&["severity"])),
        })
        .await
        .expect("updated")
        .into_inner()
        .complaint
        .expect("a complaint");
    let mut stale = created.clone();
    stale.summary = "Changed from an old read".into();
    let status = owner
        .update_complaint(pb::UpdateComplaintRequest {
            complaint: Some(stale),
            update_mask: Some(mask(&["summary"])),
        })
        .await
        .expect_err("aborted");
    let stranger = app
        .agent("agent-9")
        .update_complaint(pb::UpdateComplaintRequest {
            complaint: Some(updated.clone()),
            update_mask: Some(mask(&["summary"])),
        })
        .await
        .expect_err("not the owner");

    assert_eq!(updated.priority, pb::Priority::P1 as i32);
    assert_ne!(updated.etag, created.etag);
    assert_status(&status, Code::Aborted, "ETAG_MISMATCH");
    assert_status(&stranger, Code::PermissionDenied, "NOT_OWNER");
    assert_eq!(app.get(&created.name).await.summary, created.summary);
    assert_eq!(
        app.event_types_of(&created.name).await,
        ["complaint.created", "complaint.updated"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_without_a_handling_role_cannot_take_a_complaint_in() {
    let app = spawn_app().await;
    let customer = app.customer("Ada Lovelace").await;

    let status = app
        .client_as("comms-1", &[Role::Communications], None)
        .create_complaint(pb::CreateComplaintRequest {
            complaint: Some(complaint(&customer)),
            request_id: request_id(),
        })
        .await
        .expect_err("denied");

    assert_eq!(status.code(), Code::PermissionDenied);
}
