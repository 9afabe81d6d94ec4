//! The notifications service's audit trail, through the real services and
//! PostgreSQL: saving a template and each new version of it is recorded
//! with its identity and version but never its wording; only admins read
//! the trail.

mod support;

use redress_platform::audit::AUDIT_MIGRATION;
use redress_platform::auth::Role;
use redress_proto::audit::v1::{AuditEntry, AuditOutcome};
use support::{pb, spawn_app};
use tonic::Code;

#[test]
fn the_audit_migration_is_the_platforms_sql_unchanged() {
    assert_eq!(
        include_str!("../migrations/20261123200001_audit.sql"),
        AUDIT_MIGRATION,
        "migrations/20261123200001_audit.sql differs from shared/src/audit/audit.sql"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_saved_template_version_is_recorded_without_its_wording() {
    // Arrange
    let app = spawn_app().await;
    let created = app
        .template(
            "notice.audit",
            pb::Channel::Email,
            "en",
            "Your parcel is on its way",
            &[],
        )
        .await;

    // Act
    app.client_as("author-2", &[Role::Communications])
        .update_template(pb::UpdateTemplateRequest {
            template: Some(pb::Template {
                body: "Your parcel arrives tomorrow".into(),
                ..created.clone()
            }),
        })
        .await
        .expect("a new version");

    // Assert: newest first.
    let entries: Vec<AuditEntry> = app
        .client_as("admin-1", &[Role::Admin])
        .list_audit_entries(pb::ListAuditEntriesRequest {
            target: created.name.clone(),
            ..Default::default()
        })
        .await
        .expect("the admin reads the trail")
        .into_inner()
        .audit_entries;
    let seen: Vec<(&str, &str, &str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e.action.as_str(),
                e.actor.as_str(),
                e.method.as_str(),
                e.details["version"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("template.saved", "author-2", "UpdateTemplate", "2"),
            ("template.saved", "comms-1", "CreateTemplate", "1"),
        ]
    );
    assert!(entries.iter().all(|e| e.outcome() == AuditOutcome::Done));
    assert_eq!(entries[0].details["kind"], "notice.audit");
    assert_eq!(entries[0].actor_roles, vec!["communications"]);
    let stored: Vec<String> = sqlx::query_scalar("SELECT audit_entries::text FROM audit_entries")
        .fetch_all(&app.pool)
        .await
        .expect("the stored rows");
    assert!(
        stored.iter().all(|row| !row.contains("parcel")),
        "{stored:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_an_admin_reads_the_audit_trail() {
    let app = spawn_app().await;
    for role in Role::ALL.into_iter().filter(|role| *role != Role::Admin) {
        let status = app
            .client_as("someone", &[role])
            .list_audit_entries(pb::ListAuditEntriesRequest::default())
            .await
            .expect_err("not an admin");
        assert_eq!(status.code(), Code::PermissionDenied, "{role}");
    }
}
