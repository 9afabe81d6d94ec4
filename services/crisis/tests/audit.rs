//! The crisis service's audit trail, through the real services and
//! PostgreSQL: naming a spokesperson is recorded; a statement approved by the
//! spokesperson is recorded with them as the actor, and a colleague's
//! refused attempt as a denied entry that changed nothing; only admins read
//! the trail.

mod support;

use redress_platform::audit::AUDIT_MIGRATION;
use redress_platform::auth::Role;
use redress_proto::audit::v1::{AuditEntry, AuditOutcome};
use serde_json::json;
use support::affected::{insert_crisis, reason};
use support::{Client, TestApp, pb, spawn_app};
use tonic::Code;
use uuid::Uuid;

async fn draft(client: &mut Client, crisis: Uuid) -> pb::Statement {
    client
        .create_statement(pb::CreateStatementRequest {
            parent: format!("crises/{crisis}"),
            statement: Some(pb::Statement {
                audience: pb::Audience::AffectedCustomers.into(),
                variants: vec![pb::StatementVariant {
                    locale: "en".into(),
                    headline: "Router outage".into(),
                    body: "We are restoring service.".into(),
                }],
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

async fn trail(app: &TestApp, request: pb::ListAuditEntriesRequest) -> Vec<AuditEntry> {
    app.client("admin-1", &[Role::Admin])
        .list_audit_entries(request)
        .await
        .expect("the admin reads the trail")
        .into_inner()
        .audit_entries
}

#[test]
fn the_audit_migration_is_the_platforms_sql_unchanged() {
    assert_eq!(
        include_str!("../migrations/20261123200001_audit.sql"),
        AUDIT_MIGRATION,
        "migrations/20261123200001_audit.sql differs from shared/src/audit/audit.sql"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_spokespersons_approval_is_recorded_and_a_colleagues_attempt_is_denied() {
    // Arrange: a crisis whose commander names spokes-1 the spokesperson.
    let app = spawn_app().await;
    let crisis = insert_crisis(&app, false, json!({})).await;
    app.client("commander-1", &[Role::CrisisManager])
        .assign_crisis_role(pb::AssignCrisisRoleRequest {
            crisis: format!("crises/{crisis}"),
            member: Some(pb::TeamMember {
                subject: "spokes-1".into(),
                role: pb::TeamRole::Spokesperson.into(),
                ..Default::default()
            }),
            request_id: Uuid::now_v7().to_string(),
        })
        .await
        .expect("named");
    let mut comms = app.client("comms-1", &[Role::Communications]);
    let statement = draft(&mut comms, crisis).await;

    // Act
    let refused = approve(&mut comms, &statement)
        .await
        .expect_err("not the spokesperson");
    approve(
        &mut app.client("spokes-1", &[Role::Communications]),
        &statement,
    )
    .await
    .expect("approved");

    // Assert
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(reason(&refused), "NOT_SPOKESPERSON");
    let about_statement = trail(
        &app,
        pb::ListAuditEntriesRequest {
            target: statement.name.clone(),
            ..Default::default()
        },
    )
    .await;
    let outcomes: Vec<(&str, &str, AuditOutcome)> = about_statement
        .iter()
        .map(|e| (e.action.as_str(), e.actor.as_str(), e.outcome()))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ("statement.approved", "spokes-1", AuditOutcome::Done),
            ("statement.approved", "comms-1", AuditOutcome::Denied),
        ]
    );
    assert_eq!(about_statement[1].details["reason"], "NOT_SPOKESPERSON");
    assert_eq!(about_statement[0].actor_roles, vec!["communications"]);
    assert_eq!(about_statement[0].details["audience"], "affected_customers");
    let [named]: [AuditEntry; 1] = trail(
        &app,
        pb::ListAuditEntriesRequest {
            action: "crisis_team.role_assigned".into(),
            ..Default::default()
        },
    )
    .await
    .try_into()
    .expect("one entry");
    assert_eq!(named.target, format!("crises/{crisis}"));
    assert_eq!(named.actor, "commander-1");
    assert_eq!(named.details["subject"], "spokes-1");
    assert_eq!(named.details["role"], "spokesperson");
    // Statement texts stay out of the trail.
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT audit_entries::text FROM crisis.audit_entries")
            .fetch_all(app.db.admin_pool())
            .await
            .expect("the stored rows");
    assert!(stored.iter().all(|row| !row.contains("Router outage")));
}

#[tokio::test(flavor = "multi_thread")]
async fn only_an_admin_reads_the_audit_trail() {
    let app = spawn_app().await;
    for role in Role::ALL.into_iter().filter(|role| *role != Role::Admin) {
        let status = app
            .client("someone", &[role])
            .list_audit_entries(pb::ListAuditEntriesRequest::default())
            .await
            .expect_err("not an admin");
        assert_eq!(status.code(), Code::PermissionDenied, "{role}");
        assert_eq!(reason(&status), "ROLE_NOT_PERMITTED", "{role}");
    }
}
