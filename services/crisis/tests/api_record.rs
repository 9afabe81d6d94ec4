//! The record of a crisis through the real services: the review with the
//! affected customers' satisfaction before and after the declaration (from
//! the customers service, in batches), written only while in review;
//! status reports stamped with the state; notes by the team only; and the
//! scheduler's reminder when a statement update is due.

mod support;

use jiff::SignedDuration;
use redress_platform::auth::Role;
use support::crises::{
    assert_invalid, assert_status, crisis, customer, declare, get, manager, request_id, transition,
    wait_for_events,
};
use support::{TestApp, cpb, pb, spawn_app};
use tonic::Code;
use uuid::Uuid;

fn id_of(name: &str) -> Uuid {
    name.rsplit('/')
        .next()
        .expect("an id")
        .parse()
        .expect("a uuid")
}

async fn answer(app: &TestApp, customer: &str, perceived: f64, expected: f64) {
    app.customers()
        .record_satisfaction(cpb::RecordSatisfactionRequest {
            parent: customer.into(),
            record: Some(cpb::SatisfactionRecord {
                perceived_value: perceived,
                expectation: expected,
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("the answer is recorded");
}

async fn affect(app: &TestApp, crisis: &str, customer: &str) {
    sqlx::query(
        "INSERT INTO affected_customers (crisis_id, customer_id, impact, link_time) \
         VALUES ($1, $2, 2, now())",
    )
    .bind(id_of(crisis))
    .bind(id_of(customer))
    .execute(&app.pool)
    .await
    .expect("an affected customer");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_review_compares_affected_customers_satisfaction_before_and_after() {
    // Arrange: two affected customers and one not affected answer an hour
    // before the declaration and an hour after it.
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let ann = customer(&app, "Ann").await;
    let bob = customer(&app, "Bob").await;
    let eve = customer(&app, "Eve").await;
    app.advance(SignedDuration::from_hours(9));
    answer(&app, &ann, 2.0, 4.0).await;
    answer(&app, &bob, 3.0, 4.0).await;
    answer(&app, &eve, 4.0, 4.0).await;
    app.advance(SignedDuration::from_hours(1));
    let c = declare(&mut client, crisis("service_quality"))
        .await
        .crisis
        .expect("a crisis");
    affect(&app, &c.name, &ann).await;
    affect(&app, &c.name, &bob).await;
    // Many more affected customers with no answers: the question goes in
    // batches of 1000.
    sqlx::query(
        "INSERT INTO affected_customers (crisis_id, customer_id, impact, link_time) \
         SELECT $1, gen_random_uuid(), 1, now() FROM generate_series(1, 2500)",
    )
    .bind(id_of(&c.name))
    .execute(&app.pool)
    .await
    .expect("many affected customers");
    app.advance(SignedDuration::from_hours(1));
    answer(&app, &ann, 4.0, 4.0).await;
    answer(&app, &ann, 4.0, 4.0).await;
    answer(&app, &bob, 2.0, 4.0).await;
    answer(&app, &eve, 1.0, 4.0).await;
    app.advance(SignedDuration::from_hours(1));

    // Act
    let review = client
        .get_crisis_review(pb::GetCrisisReviewRequest {
            name: format!("{}/review", c.name),
        })
        .await
        .expect("the review reads")
        .into_inner()
        .review
        .expect("a review");

    // Assert
    assert_eq!(review.etag, "", "never written");
    let before = review.satisfaction_before.expect("before");
    let after = review.satisfaction_after.expect("after");
    let declared = c.create_time.expect("a time").seconds;
    assert_eq!(
        before.start_time.map(|t| declared - t.seconds),
        Some(2 * 3600)
    );
    assert_eq!(before.end_time.map(|t| t.seconds), Some(declared));
    assert_eq!(after.end_time.map(|t| t.seconds - declared), Some(2 * 3600));
    assert_eq!((before.answer_count, before.customer_count), (2, 2));
    assert!((before.mean_ratio - 0.625).abs() < 1e-9, "{before:?}");
    assert_eq!((after.answer_count, after.customer_count), (3, 2));
    assert!(
        (after.mean_ratio - (1.0 + 1.0 + 0.5) / 3.0).abs() < 1e-9,
        "{after:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crisis_with_no_one_affected_has_empty_satisfaction_periods() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let c = declare(&mut client, crisis("other"))
        .await
        .crisis
        .expect("a crisis");
    app.advance(SignedDuration::from_hours(1));

    let review = client
        .get_crisis_review(pb::GetCrisisReviewRequest {
            name: format!("{}/review", c.name),
        })
        .await
        .expect("the review reads")
        .into_inner()
        .review
        .expect("a review");

    let after = review.satisfaction_after.expect("after");
    assert_eq!((after.answer_count, after.mean_ratio), (0, 0.0));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_review_is_written_only_in_review_with_owners_for_its_actions() {
    // Arrange
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let c = declare(&mut client, crisis("other"))
        .await
        .crisis
        .expect("a crisis");
    let review = |etag: &str, owner: &str| pb::UpdateCrisisReviewRequest {
        review: Some(pb::CrisisReview {
            name: format!("{}/review", c.name),
            root_cause: "A hub lost power".into(),
            actions: vec![pb::ReviewAction {
                title: "Buy a generator".into(),
                owner: owner.into(),
                due_time: None,
            }],
            etag: etag.into(),
            ..Default::default()
        }),
    };

    // Act + Assert
    let early = client
        .update_crisis_review(review("", "ops"))
        .await
        .expect_err("not in review yet");
    assert_status(&early, Code::FailedPrecondition, "CRISIS_NOT_IN_REVIEW");
    let ownerless = client
        .update_crisis_review(review("", ""))
        .await
        .expect_err("an action needs an owner");
    assert_invalid(&ownerless, &["review.actions[0].owner"]);
    for state in [
        pb::CrisisState::Assessing,
        pb::CrisisState::Responding,
        pb::CrisisState::Stable,
        pb::CrisisState::Recovering,
        pb::CrisisState::InReview,
    ] {
        transition(&mut client, &c.name, state)
            .await
            .expect("moves on");
    }
    let first = client
        .update_crisis_review(review("", "ops"))
        .await
        .expect("written")
        .into_inner()
        .review
        .expect("a review");
    let blind = client
        .update_crisis_review(review("", "ops"))
        .await
        .expect_err("a second write needs the etag");
    let second = client
        .update_crisis_review(review(&first.etag, "ops-2"))
        .await
        .expect("rewritten")
        .into_inner()
        .review
        .expect("a review");
    assert_eq!(blind.code(), Code::Aborted);
    assert_eq!(second.actions[0].owner, "ops-2");
    assert_eq!(second.etag, "2");
    wait_for_events(&app, "crisis.review_updated", &c.name).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn status_reports_carry_the_state_and_list_newest_first() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let c = declare(&mut client, crisis("other"))
        .await
        .crisis
        .expect("a crisis");
    let report = |conditions: &str| pb::CreateStatusReportRequest {
        parent: c.name.clone(),
        status_report: Some(pb::StatusReport {
            conditions: conditions.into(),
            actions: "Rerouting parcels".into(),
            needs: "Two more drivers".into(),
            ..Default::default()
        }),
        request_id: request_id(),
    };

    client
        .create_status_report(report("Hub down"))
        .await
        .expect("filed");
    transition(&mut client, &c.name, pb::CrisisState::Assessing)
        .await
        .expect("assessing");
    app.advance(SignedDuration::from_mins(5));
    client
        .create_status_report(report("Hub on generator"))
        .await
        .expect("filed");
    let bad = client
        .create_status_report(pb::CreateStatusReportRequest {
            parent: c.name.clone(),
            status_report: Some(pb::StatusReport::default()),
            request_id: String::new(),
        })
        .await
        .expect_err("conditions and actions are needed");
    let listed = client
        .list_status_reports(pb::ListStatusReportsRequest {
            parent: c.name.clone(),
            page_size: 10,
            page_token: String::new(),
        })
        .await
        .expect("listed")
        .into_inner()
        .status_reports;

    assert_invalid(&bad, &["status_report.conditions", "status_report.actions"]);
    let seen: Vec<(&str, i32)> = listed
        .iter()
        .map(|r| (r.conditions.as_str(), r.state))
        .collect();
    assert_eq!(
        seen,
        [
            ("Hub on generator", pb::CrisisState::Assessing as i32),
            ("Hub down", pb::CrisisState::Declared as i32)
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_team_or_those_in_command_add_notes_and_a_retry_adds_one() {
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let c = declare(&mut client, crisis("other"))
        .await
        .crisis
        .expect("a crisis");
    support::crises::assign(&mut client, &c.name, "scribe-1", pb::TeamRole::Scribe)
        .await
        .expect("a scribe");
    let note = |text: &str, request_id: &str| pb::AddTimelineNoteRequest {
        crisis: c.name.clone(),
        text: text.into(),
        request_id: request_id.into(),
    };

    let mut outsider = app.client("agent-1", &[Role::Communications]);
    let refused = outsider
        .add_timeline_note(note("I saw it on TV", ""))
        .await
        .expect_err("not on the team");
    let mut scribe = app.client("scribe-1", &[Role::Communications]);
    let retry = request_id();
    let first = scribe
        .add_timeline_note(note("Press called at 14:02", &retry))
        .await
        .expect("noted")
        .into_inner();
    let again = scribe
        .add_timeline_note(note("Press called at 14:02", &retry))
        .await
        .expect("replayed")
        .into_inner();

    assert_status(&refused, Code::PermissionDenied, "NOT_TEAM_MEMBER");
    assert_eq!(first, again);
    let entries = client
        .list_timeline(pb::ListTimelineRequest {
            crisis: c.name.clone(),
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .expect("a page")
        .into_inner();
    assert_eq!(entries.entries.len(), 2);
    let rest = client
        .list_timeline(pb::ListTimelineRequest {
            crisis: c.name.clone(),
            page_size: 100,
            page_token: entries.next_page_token,
        })
        .await
        .expect("the rest")
        .into_inner()
        .entries;
    assert_eq!(
        rest.iter().filter(|e| e.kind == "note").count(),
        1,
        "{rest:?}"
    );
    assert_eq!(rest[0].sequence, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scheduler_reminds_once_when_the_next_update_is_due() {
    // Arrange: a P2 crisis (4h cadence by default) released a statement.
    let app = spawn_app().await;
    let mut client = manager(&app, "cm-1");
    let c = declare(&mut client, crisis("other"))
        .await
        .crisis
        .expect("a crisis");
    assert_eq!(c.next_update_due_time, None, "nothing released yet");
    sqlx::query(
        "UPDATE crises SET first_statement_time = create_time + interval '30 minutes', \
         last_statement_time = create_time + interval '30 minutes' WHERE id = $1",
    )
    .bind(id_of(&c.name))
    .execute(&app.pool)
    .await
    .expect("a release");
    let released = get(&mut client, &c.name).await;
    let declared = c.create_time.expect("a time").seconds;
    assert_eq!(
        released.next_update_due_time.map(|t| t.seconds - declared),
        Some(30 * 60 + 4 * 3600)
    );
    assert_eq!(
        released
            .measures
            .and_then(|m| m.time_to_first_statement)
            .map(|d| d.seconds),
        Some(30 * 60)
    );

    // Act
    app.advance(SignedDuration::from_hours(5));

    // Assert
    let events = wait_for_events(&app, "crisis.update_due", &c.name).await;
    assert_eq!(events.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let events = wait_for_events(&app, "crisis.update_due", &c.name).await;
    assert_eq!(events.len(), 1, "once per release");
}
