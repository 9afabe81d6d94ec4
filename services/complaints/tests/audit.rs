//! The complaints service's audit trail, through the real gRPC server and
//! PostgreSQL: goodwill approved by the good-faith rule (naming who
//! proposed it) and by a supervisor; an approval refused over the approver's
//! limit leaves a denied entry and nothing else; a service acting for a
//! person is recorded as the person, through the service; a supervisor's
//! reassignment and changes to teams are recorded; and only admins read the
//! trail.
//!
//! As in `api_goodwill`: with the default policy a EUR proposal with unclear
//! fault is approved in good faith up to EUR 10.00, a supervisor approves up
//! to EUR 500.00 and an administrator up to EUR 5,000.00.

mod support;

use redress_platform::Secret;
use redress_platform::audit::AUDIT_MIGRATION;
use redress_platform::auth::{BearerInterceptor, Role};
use redress_proto::audit::v1::{AuditEntry, AuditOutcome};
use support::goodwill::{approve, propose, refund};
use support::*;
use tonic::Code;

/// Every entry about `target`, newest first, read by an admin.
async fn entries_about(app: &TestApp, target: &str) -> Vec<AuditEntry> {
    app.admin()
        .list_audit_entries(pb::ListAuditEntriesRequest {
            target: target.into(),
            ..Default::default()
        })
        .await
        .expect("the admin reads the trail")
        .into_inner()
        .audit_entries
}

/// A client of service `crisis` acting for `subject` with `roles`.
fn service_for(app: &TestApp, subject: &str, roles: &[Role]) -> Client {
    let service = Secret::new(app.token("crisis", &[Role::Service], None));
    let person = Secret::new(app.token(subject, roles, Some("front")));
    let interceptor = BearerInterceptor::new(&service)
        .and_then(|i| i.with_end_user(&person))
        .expect("valid header values");
    pb::complaint_service_client::ComplaintServiceClient::with_interceptor(
        app.channel.clone(),
        interceptor,
    )
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
async fn goodwill_approved_in_good_faith_names_the_rule_and_who_proposed_it() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;

    // Act
    let g = propose(
        &mut app.agent("agent-1"),
        &complaint.name,
        refund(10, pb::GoodwillFault::Unclear),
    )
    .await
    .expect("proposed");

    // Assert
    let [entry]: [AuditEntry; 1] = entries_about(&app, &g.name)
        .await
        .try_into()
        .expect("one entry");
    assert_eq!(entry.action, "goodwill.approved");
    assert_eq!(entry.actor, "system:good_faith");
    assert!(entry.actor_roles.is_empty());
    assert_eq!(entry.requested_by, "agent-1");
    assert_eq!(entry.method, "ProposeGoodwill");
    assert_eq!(entry.outcome(), AuditOutcome::Done);
    assert_eq!(entry.details["amount_minor"], "1000");
    assert_eq!(entry.details["currency"], "EUR");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supervisors_approval_is_recorded_and_a_refusal_over_the_limit_is_recorded_as_denied() {
    // Arrange: EUR 400 (a supervisor's to approve) and EUR 600 (above it).
    let app = spawn_app().await;
    let complaint = app.received().await;
    let mut agent = app.agent("agent-1");
    let medium = propose(
        &mut agent,
        &complaint.name,
        refund(400, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");
    let large = propose(
        &mut agent,
        &complaint.name,
        refund(600, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");
    assert!(entries_about(&app, &medium.name).await.is_empty());

    // Act
    approve(&mut app.supervisor(), &medium.name)
        .await
        .expect("approved");
    let refused = approve(&mut app.supervisor(), &large.name)
        .await
        .expect_err("above the supervisor's limit");

    // Assert
    assert_status(&refused, Code::PermissionDenied, "APPROVAL_LIMIT_TOO_LOW");
    let [approved]: [AuditEntry; 1] = entries_about(&app, &medium.name)
        .await
        .try_into()
        .expect("one entry");
    assert_eq!(approved.actor, "sup-1");
    assert_eq!(approved.actor_roles, vec!["supervisor"]);
    assert_eq!(approved.method, "ApproveGoodwill");
    assert_eq!(approved.outcome(), AuditOutcome::Done);
    assert_eq!(approved.details["amount_minor"], "40000");
    let [denied]: [AuditEntry; 1] = entries_about(&app, &large.name)
        .await
        .try_into()
        .expect("one entry");
    assert_eq!(denied.action, "goodwill.approved");
    assert_eq!(denied.actor, "sup-1");
    assert_eq!(denied.outcome(), AuditOutcome::Denied);
    assert_eq!(denied.details["reason"], "APPROVAL_LIMIT_TOO_LOW");
    // The refusal changed nothing else: the goodwill is still proposed.
    let still: String =
        sqlx::query_scalar("SELECT state FROM complaints.goodwill WHERE id = $1::uuid")
            .bind(large.name.rsplit('/').next().expect("an id"))
            .fetch_one(app.db.admin_pool())
            .await
            .expect("the goodwill");
    assert_eq!(still, "proposed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_acting_for_a_person_is_recorded_as_the_person_through_the_service() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;
    let g = propose(
        &mut app.agent("agent-1"),
        &complaint.name,
        refund(300, pb::GoodwillFault::Company),
    )
    .await
    .expect("proposed");

    // Act: the crisis service approves on sup-2's behalf.
    approve(
        &mut service_for(&app, "sup-2", &[Role::Supervisor]),
        &g.name,
    )
    .await
    .expect("approved");

    // Assert
    let [entry]: [AuditEntry; 1] = entries_about(&app, &g.name)
        .await
        .try_into()
        .expect("one entry");
    assert_eq!(entry.actor, "sup-2");
    assert_eq!(entry.actor_roles, vec!["supervisor"]);
    assert_eq!(entry.via_service, "crisis");
    assert_eq!(entry.requested_by, "");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supervisors_reassignment_and_team_changes_are_recorded() {
    // Arrange
    let app = spawn_app().await;
    let complaint = app.received().await;

    // Act
    app.supervisor()
        .reassign_complaint(pb::ReassignComplaintRequest {
            name: complaint.name.clone(),
            new_owner: "agent-9".into(),
            reason: "agent-1 is on leave".into(),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .expect("reassigned");
    // An agent, through a service (the access table keeps agents away
    // from ReassignComplaint itself): refused by the handler's rule.
    let refused = service_for(&app, "agent-1", &[Role::Agent])
        .reassign_complaint(pb::ReassignComplaintRequest {
            name: complaint.name.clone(),
            new_owner: "agent-2".into(),
            reason: "swap".into(),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .expect_err("only supervisors reassign");
    app.admin()
        .create_team(pb::CreateTeamRequest {
            team_id: "billing".into(),
            team: Some(pb::Team {
                display_name: "Billing".into(),
                supervisor: "sup-1".into(),
                department: "Finance".into(),
                department_head: "head-1".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("created");

    // Assert
    let entries = entries_about(&app, &complaint.name).await;
    let actions: Vec<(&str, &str, AuditOutcome)> = entries
        .iter()
        .map(|e| (e.action.as_str(), e.actor.as_str(), e.outcome()))
        .collect();
    assert_status(&refused, Code::PermissionDenied, "SUPERVISOR_ONLY");
    assert_eq!(
        actions,
        vec![
            ("complaint.reassigned", "agent-1", AuditOutcome::Denied),
            ("complaint.reassigned", "sup-1", AuditOutcome::Done),
        ]
    );
    assert_eq!(entries[0].via_service, "crisis");
    assert_eq!(
        entries.last().expect("an entry").details["to_owner"],
        "agent-9"
    );
    let [team]: [AuditEntry; 1] = entries_about(&app, "teams/billing")
        .await
        .try_into()
        .expect("one entry");
    assert_eq!(team.action, "team.created");
    assert_eq!(team.actor, "admin-1");
    assert_eq!(team.details["supervisor"], "sup-1");
    assert!(
        !team
            .details
            .values()
            .any(|v| v.contains("Billing") || v.contains("Finance"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_an_admin_reads_the_audit_trail() {
    let app = spawn_app().await;
    for role in Role::ALL.into_iter().filter(|role| *role != Role::Admin) {
        let status = app
            .client_as("someone", &[role], Some("front"))
            .list_audit_entries(pb::ListAuditEntriesRequest::default())
            .await
            .expect_err("not an admin");
        assert_status(&status, Code::PermissionDenied, "ROLE_NOT_PERMITTED");
    }
}
