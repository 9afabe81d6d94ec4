//! The person behind a crisis request travels with the calls crisis makes
//! for it: the notifications service records the person who released a
//! statement as the sender of what went out (not the crisis service), and
//! the complaints service applies the person's team scope when crisis checks
//! the complaints they link.

mod support;

use redress_platform::auth::Role;
use serde_json::json;
use support::affected::{add_member, insert_crisis};
use support::crises::complaint;
use support::spawn_app;
use support::status::assert_status;
use support::{Client, pb};
use tonic::Code;
use uuid::Uuid;

async fn link_complaint(
    client: &mut Client,
    crisis: Uuid,
    complaint: &str,
) -> Result<pb::LinkComplaintsResponse, tonic::Status> {
    client
        .link_complaints(pb::LinkComplaintsRequest {
            crisis: format!("crises/{crisis}"),
            complaints: vec![complaint.to_owned()],
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_released_statement_goes_out_in_the_name_of_the_person_who_released_it() {
    // Arrange
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, true, json!({})).await;
    add_member(&app, crisis, "spokes-1", "spokesperson").await;
    add_member(&app, crisis, "commander-1", "commander").await;
    let mut spokes = app.client("spokes-1", &[Role::Communications]);
    let statement = spokes
        .create_statement(pb::CreateStatementRequest {
            parent: format!("crises/{crisis}"),
            statement: Some(pb::Statement {
                audience: pb::Audience::Employees.into(),
                variants: vec![pb::StatementVariant {
                    locale: "en".into(),
                    headline: "Router outage".into(),
                    body: "We are restoring service.".into(),
                }],
                ..Default::default()
            }),
            request_id: Uuid::now_v7().to_string(),
        })
        .await
        .expect("a draft")
        .into_inner()
        .statement
        .expect("a statement");
    let approved = spokes
        .approve_statement(pb::ApproveStatementRequest {
            name: statement.name.clone(),
            etag: statement.etag.clone(),
        })
        .await
        .expect("approved")
        .into_inner()
        .statement
        .expect("a statement");

    // Act
    spokes
        .release_statement(pb::ReleaseStatementRequest {
            name: approved.name.clone(),
        })
        .await
        .expect("released");

    // Assert
    let senders: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT created_by FROM messages ORDER BY 1")
            .fetch_all(&app.notifications_pool)
            .await
            .expect("the senders");
    assert_eq!(senders, ["spokes-1"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn linking_a_complaint_checks_it_with_the_scope_of_the_person_linking() {
    // Arrange
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, false, json!({})).await;
    let parcels = complaint(&app).await;
    let mut other_team = app.client_of_team("agent-9", &[Role::Agent], "billing");
    let mut same_team = app.client_of_team("agent-2", &[Role::Agent], "parcels");

    // Act
    let refused = link_complaint(&mut other_team, crisis, &parcels)
        .await
        .expect_err("outside the agent's team");
    let linked = link_complaint(&mut same_team, crisis, &parcels).await;

    // Assert
    assert_status(&refused, Code::PermissionDenied, "NOT_PERMITTED_UPSTREAM");
    assert!(linked.is_ok(), "{linked:?}");
}
