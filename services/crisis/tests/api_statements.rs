//! Statements through the real services: only the spokesperson approves,
//! and only the draft that was read; a draft is not released and an
//! approved statement no longer changes; a release reaches the affected
//! customers' in-app inboxes, the heavily affected first, each in their own
//! language; a drill's statement reaches the team only; regulator reports
//! are recorded; a page token of the statements list is refused by the
//! crisis's other lists.

mod support;

use redress_platform::auth::Role;
use serde_json::json;
use support::affected::{add_member, customer, eventually, insert_crisis, reason, violated_fields};
use support::{Client, npb, pb, spawn_app};
use tonic::Code;
use uuid::Uuid;

fn variant(locale: &str, headline: &str, body: &str) -> pb::StatementVariant {
    pb::StatementVariant {
        locale: locale.into(),
        headline: headline.into(),
        body: body.into(),
    }
}

async fn draft(client: &mut Client, crisis: Uuid, audience: pb::Audience) -> pb::Statement {
    client
        .create_statement(pb::CreateStatementRequest {
            parent: format!("crises/{crisis}"),
            statement: Some(pb::Statement {
                audience: audience.into(),
                variants: vec![
                    variant("en", "Router outage", "We are restoring service."),
                    variant("de", "Routerstörung", "Wir stellen den Dienst wieder her."),
                ],
                critical: true,
                ..Default::default()
            }),
            request_id: Uuid::now_v7().to_string(),
        })
        .await
        .expect("a draft")
        .into_inner()
        .statement
        .expect("a statement")
}

async fn approve(client: &mut Client, s: &pb::Statement) -> Result<pb::Statement, tonic::Status> {
    client
        .approve_statement(pb::ApproveStatementRequest {
            name: s.name.clone(),
            etag: s.etag.clone(),
        })
        .await
        .map(|r| r.into_inner().statement.expect("a statement"))
}

async fn release(client: &mut Client, s: &pb::Statement) -> Result<pb::Statement, tonic::Status> {
    client
        .release_statement(pb::ReleaseStatementRequest {
            name: s.name.clone(),
        })
        .await
        .map(|r| r.into_inner().statement.expect("a statement"))
}

async fn link(client: &mut Client, crisis: Uuid, names: Vec<String>, impact: pb::ImpactLevel) {
    client
        .link_affected_customers(pb::LinkAffectedCustomersRequest {
            crisis: format!("crises/{crisis}"),
            customers: Some(pb::link_affected_customers_request::Customers::Names(
                pb::CustomerNames { names },
            )),
            impact: impact.into(),
            request_id: String::new(),
        })
        .await
        .expect("linked");
}

async fn inbox(app: &support::TestApp, recipient: &str) -> Vec<npb::InboxItem> {
    app.notifications()
        .list_inbox(npb::ListInboxRequest {
            recipient: recipient.into(),
            ..Default::default()
        })
        .await
        .expect("an inbox")
        .into_inner()
        .items
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_spokesperson_approves_and_only_the_draft_that_was_read() {
    // Arrange
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, false, json!({})).await;
    let mut comms = app.client("comms-1", &[Role::Communications]);
    let mut spokes = app.client("spokes-1", &[Role::Communications]);
    let first = draft(&mut comms, crisis, pb::Audience::AffectedCustomers).await;

    // Act and Assert: nobody speaks for the crisis yet.
    let refused = approve(&mut comms, &first)
        .await
        .expect_err("no spokesperson");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "SPOKESPERSON_MISSING");

    // Someone else than the spokesperson may not approve.
    add_member(&app, crisis, "spokes-1", "spokesperson").await;
    let refused = approve(&mut comms, &first)
        .await
        .expect_err("not the spokesperson");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(reason(&refused), "NOT_SPOKESPERSON");

    // A draft is not released.
    let refused = release(&mut comms, &first).await.expect_err("a draft");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "STATEMENT_NOT_APPROVED");

    // The draft changes after it was read: the old etag is stale.
    let mut changed = first.clone();
    changed.variants = vec![variant(
        "en",
        "Router outage",
        "Service is back in the north.",
    )];
    let changed = comms
        .update_statement(pb::UpdateStatementRequest {
            statement: Some(changed),
        })
        .await
        .expect("the draft changes")
        .into_inner()
        .statement
        .expect("a statement");
    let refused = approve(&mut spokes, &first)
        .await
        .expect_err("a stale etag");
    assert_eq!(refused.code(), Code::Aborted);

    // The spokesperson approves what they read.
    let approved = approve(&mut spokes, &changed).await.expect("approved");
    assert_eq!(approved.state, pb::StatementState::Approved as i32);
    assert_eq!(approved.approved_by, "spokes-1");
    assert_eq!(approved.sequence, 1);

    // An approved statement no longer changes.
    let refused = comms
        .update_statement(pb::UpdateStatementRequest {
            statement: Some(approved.clone()),
        })
        .await
        .expect_err("approved statements do not change");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "STATEMENT_NOT_DRAFT");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_statement_with_a_bad_locale_and_no_headline_is_refused_field_by_field() {
    // Arrange
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, false, json!({})).await;
    let mut comms = app.client("comms-1", &[Role::Communications]);

    // Act
    let refused = comms
        .create_statement(pb::CreateStatementRequest {
            parent: format!("crises/{crisis}"),
            statement: Some(pb::Statement {
                audience: pb::Audience::Media.into(),
                variants: vec![
                    variant("en", "Outage", "Text"),
                    variant("no such tag", "", "Text"),
                ],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("refused");

    // Assert
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        [
            "statement.variants[1].locale",
            "statement.variants[1].headline"
        ]
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM statements")
        .fetch_one(&app.pool)
        .await
        .expect("a count");
    assert_eq!(count, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_release_reaches_affected_inboxes_heavy_first_each_in_their_language() {
    // Arrange
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, false, json!({})).await;
    add_member(&app, crisis, "spokes-1", "spokesperson").await;
    let heavy = customer(&app, "Heidi", "de-CH").await;
    let normal = customer(&app, "Norman", "en-GB").await;
    let mut commander = app.client("commander-1", &[Role::CrisisManager]);
    link(
        &mut commander,
        crisis,
        vec![heavy.clone()],
        pb::ImpactLevel::Heavy,
    )
    .await;
    link(
        &mut commander,
        crisis,
        vec![normal.clone()],
        pb::ImpactLevel::Normal,
    )
    .await;
    let mut spokes = app.client("spokes-1", &[Role::Communications]);
    let statement = draft(&mut spokes, crisis, pb::Audience::AffectedCustomers).await;
    let approved = approve(&mut spokes, &statement).await.expect("approved");

    // Act
    let released = release(&mut spokes, &approved).await.expect("released");
    let again = release(&mut spokes, &approved)
        .await
        .expect("released again");

    // Assert
    assert_eq!(released.state, pb::StatementState::Released as i32);
    assert_eq!(released.recipient_count, 2);
    assert_eq!(released.deliveries.len(), 1);
    assert!(released.deliveries[0].starts_with("broadcasts/"));
    assert_eq!(again, released, "a released statement is released once");
    let german = eventually("the heavily affected customer's inbox", || async {
        inbox(&app, &heavy).await.into_iter().next()
    })
    .await;
    let english = eventually("the other customer's inbox", || async {
        inbox(&app, &normal).await.into_iter().next()
    })
    .await;
    assert_eq!(german.subject, "Routerstörung");
    assert_eq!(english.subject, "Router outage");
    let firsts: Vec<(String, bool)> = sqlx::query_as(
        "SELECT recipient, first FROM broadcast_audience ORDER BY first DESC, recipient",
    )
    .fetch_all(&app.notifications_pool)
    .await
    .expect("the broadcast's audience");
    assert_eq!(firsts, [(heavy, true), (normal, false)]);
    let (first_time, last_time): (Option<jiff_sqlx::Timestamp>, Option<jiff_sqlx::Timestamp>) =
        sqlx::query_as(
            "SELECT first_statement_time, last_statement_time FROM crises WHERE id = $1",
        )
        .bind(crisis)
        .fetch_one(&app.pool)
        .await
        .expect("the crisis");
    assert!(first_time.is_some() && last_time.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drills_statement_reaches_the_team_only() {
    // Arrange
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, true, json!({})).await;
    add_member(&app, crisis, "spokes-1", "spokesperson").await;
    add_member(&app, crisis, "commander-1", "commander").await;
    let bystander = customer(&app, "Carla", "en").await;
    let mut commander = app.client("commander-1", &[Role::CrisisManager]);
    link(
        &mut commander,
        crisis,
        vec![bystander.clone()],
        pb::ImpactLevel::Heavy,
    )
    .await;
    let mut spokes = app.client("spokes-1", &[Role::Communications]);
    let statement = draft(&mut spokes, crisis, pb::Audience::AffectedCustomers).await;
    let approved = approve(&mut spokes, &statement).await.expect("approved");

    // Act
    let released = release(&mut spokes, &approved).await.expect("released");

    // Assert
    assert_eq!(released.recipient_count, 2);
    assert!(
        released
            .deliveries
            .iter()
            .all(|d| d.starts_with("messages/"))
    );
    let to_team = eventually("the spokesperson's inbox", || async {
        inbox(&app, "agents/spokes-1").await.into_iter().next()
    })
    .await;
    assert_eq!(to_team.subject, "Router outage");
    let broadcasts: i64 = sqlx::query_scalar("SELECT count(*) FROM broadcasts")
        .fetch_one(&app.notifications_pool)
        .await
        .expect("a count");
    assert_eq!(broadcasts, 0);
    let customer_messages: i64 =
        sqlx::query_scalar("SELECT count(*) FROM messages WHERE recipient LIKE 'customers/%'")
            .fetch_one(&app.notifications_pool)
            .await
            .expect("a count");
    assert_eq!(customer_messages, 0);
    assert!(inbox(&app, &bystander).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_regulator_report_is_recorded_once_and_listed() {
    // Arrange
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, false, json!({})).await;
    let mut comms = app.client("comms-1", &[Role::Communications]);
    let statement = draft(&mut comms, crisis, pb::Audience::Regulators).await;
    let request = pb::RecordRegulatorReportRequest {
        parent: format!("crises/{crisis}"),
        report: Some(pb::RegulatorReport {
            regulator: "BNetzA".into(),
            report_time: Some(prost_types::Timestamp {
                seconds: redress_platform::clock::Clock::now(&app.clock).as_second() - 600,
                nanos: 0,
            }),
            channel: "portal".into(),
            content: "Outage of routers in the north since 10:00.".into(),
            statement: statement.name.clone(),
            ..Default::default()
        }),
        request_id: Uuid::now_v7().to_string(),
    };

    // Act
    let first = comms
        .record_regulator_report(request.clone())
        .await
        .expect("recorded")
        .into_inner()
        .report
        .expect("a report");
    let repeat = comms
        .record_regulator_report(request)
        .await
        .expect("repeated")
        .into_inner()
        .report
        .expect("a report");

    // Assert
    assert_eq!(first, repeat);
    assert_eq!(first.recorded_by, "comms-1");
    let listed = comms
        .list_regulator_reports(pb::ListRegulatorReportsRequest {
            parent: format!("crises/{crisis}"),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner()
        .reports;
    assert_eq!(listed, [first]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_release_retried_after_a_crash_before_it_was_recorded_sends_nothing_twice() {
    // Arrange
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, false, json!({})).await;
    add_member(&app, crisis, "spokes-1", "spokesperson").await;
    let ada = customer(&app, "Ada", "en").await;
    let bob = customer(&app, "Bob", "en").await;
    let mut commander = app.client("commander-1", &[Role::CrisisManager]);
    link(
        &mut commander,
        crisis,
        vec![ada.clone(), bob.clone()],
        pb::ImpactLevel::Normal,
    )
    .await;
    let mut spokes = app.client("spokes-1", &[Role::Communications]);
    let statement = draft(&mut spokes, crisis, pb::Audience::AffectedCustomers).await;
    let approved = approve(&mut spokes, &statement).await.expect("approved");
    let first = release(&mut spokes, &approved).await.expect("released");
    // The broadcast went out but the release was never recorded.
    sqlx::query(
        "UPDATE statements SET state = 'approved', deliveries = '{}', recipient_count = 0, \
         released_by = '', release_time = NULL WHERE id = $1",
    )
    .bind(Uuid::parse_str(first.name.rsplit('/').next().expect("an id")).expect("a uuid"))
    .execute(&app.pool)
    .await
    .expect("the crash simulated");

    // Act
    let retried = release(&mut spokes, &approved)
        .await
        .expect("released again");

    // Assert
    assert_eq!(retried.deliveries, first.deliveries);
    assert_eq!(retried.recipient_count, 2);
    for who in [&ada, &bob] {
        eventually("the customer's inbox", || async {
            (!inbox(&app, who).await.is_empty()).then_some(())
        })
        .await;
    }
    let broadcasts: i64 = sqlx::query_scalar("SELECT count(*) FROM broadcasts")
        .fetch_one(&app.notifications_pool)
        .await
        .expect("a count");
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(&app.notifications_pool)
        .await
        .expect("a count");
    assert_eq!((broadcasts, messages), (1, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_statements_page_token_is_refused_by_the_crisis_s_other_lists() {
    // Arrange
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, false, json!({})).await;
    let mut comms = app.client("comms-1", &[Role::Communications]);
    draft(&mut comms, crisis, pb::Audience::AffectedCustomers).await;
    draft(&mut comms, crisis, pb::Audience::AffectedCustomers).await;
    let first_page = comms
        .list_statements(pb::ListStatementsRequest {
            parent: format!("crises/{crisis}"),
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("the first page")
        .into_inner();
    let token = first_page.next_page_token;

    // Act
    let linked = comms
        .list_linked_complaints(pb::ListLinkedComplaintsRequest {
            crisis: format!("crises/{crisis}"),
            page_size: 1,
            page_token: token.clone(),
        })
        .await
        .expect_err("a statements token on the linked complaints");
    let reports = comms
        .list_regulator_reports(pb::ListRegulatorReportsRequest {
            parent: format!("crises/{crisis}"),
            page_size: 1,
            page_token: token.clone(),
        })
        .await
        .expect_err("a statements token on the regulator reports");
    let affected = comms
        .list_affected_customers(pb::ListAffectedCustomersRequest {
            crisis: format!("crises/{crisis}"),
            page_size: 1,
            page_token: token.clone(),
            ..Default::default()
        })
        .await
        .expect_err("a statements token on the affected customers");
    let second_page = comms
        .list_statements(pb::ListStatementsRequest {
            parent: format!("crises/{crisis}"),
            page_size: 1,
            page_token: token.clone(),
        })
        .await
        .expect("the token still serves its own list")
        .into_inner();

    // Assert
    assert!(!token.is_empty(), "two statements make two pages of one");
    for refused in [&linked, &reports, &affected] {
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        assert_eq!(violated_fields(refused), ["page_token"]);
    }
    assert_eq!(second_page.statements.len(), 1);
}
