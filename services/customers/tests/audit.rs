//! The customers service's audit trail, through the real gRPC server and
//! PostgreSQL: an erasure writes exactly one entry naming the admin, in the
//! erasure's own transaction (an erasure that fails at commit leaves none);
//! the service's login role may add and read entries but never change or
//! remove them, even after provisioning runs again; and `ListAuditEntries`
//! filters, pages and is for admins only.

mod support;

use redress_platform::audit::AUDIT_MIGRATION;
use redress_platform::auth::Role;
use redress_platform::testing::sqlstate;
use redress_proto::audit::v1::{AuditEntry, AuditOutcome};
use support::{TestApp, person, reason, spawn_app, ts};
use tonic::Code;

use crate::support::pb;

async fn erase(app: &TestApp, name: &str) {
    app.admin()
        .erase_customer(pb::EraseCustomerRequest {
            name: name.to_owned(),
            reason: "DSR-2026-0042".into(),
        })
        .await
        .expect("erased");
}

fn filters() -> pb::ListAuditEntriesRequest {
    pb::ListAuditEntriesRequest::default()
}

async fn list(app: &TestApp, request: pb::ListAuditEntriesRequest) -> pb::ListAuditEntriesResponse {
    app.admin()
        .list_audit_entries(request)
        .await
        .expect("the admin lists the audit trail")
        .into_inner()
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
async fn erasing_a_customer_writes_one_entry_naming_the_admin() {
    // Arrange
    let app = spawn_app().await;
    let customer = app.create(person("Ada Lovelace")).await;

    // Act: erase twice; the second changes nothing.
    erase(&app, &customer.name).await;
    erase(&app, &customer.name).await;

    // Assert
    let page = list(&app, filters()).await;
    let [entry]: [AuditEntry; 1] = page.audit_entries.try_into().expect("exactly one entry");
    assert_eq!(entry.action, "customer.erased");
    assert_eq!(entry.target, customer.name);
    assert_eq!(entry.actor, "admin-1");
    assert_eq!(entry.actor_roles, vec!["admin"]);
    assert_eq!(entry.via_service, "");
    assert_eq!(entry.requested_by, "");
    assert_eq!(entry.method, "EraseCustomer");
    assert_eq!(entry.outcome(), AuditOutcome::Done);
    assert_eq!(entry.create_time, Some(ts(app.now())));
    assert!(entry.name.starts_with("auditEntries/"));
    assert!(page.next_page_token.is_empty());
    // No personal data: neither the name nor the erasure's free-text reason.
    let stored: String =
        sqlx::query_scalar("SELECT audit_entries::text FROM customers.audit_entries")
            .fetch_one(app.db.admin_pool())
            .await
            .expect("the stored row");
    assert!(
        !stored.contains("Ada") && !stored.contains("DSR-2026"),
        "{stored}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erasure_that_fails_at_commit_leaves_no_entry() {
    // Arrange: a deferred check that fails the erasure's commit, after the
    // erasure and its audit entry were written inside the transaction.
    let app = spawn_app().await;
    let customer = app.create(person("Grace Hopper")).await;
    sqlx::raw_sql(
        "CREATE FUNCTION customers.refuse_commit() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
         CREATE CONSTRAINT TRIGGER refuse_commit AFTER UPDATE ON customers.customers
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION customers.refuse_commit();",
    )
    .execute(app.db.admin_pool())
    .await
    .expect("the trigger is installed");

    // Act
    let status = app
        .admin()
        .erase_customer(pb::EraseCustomerRequest {
            name: customer.name.clone(),
            reason: "DSR-2026-0043".into(),
        })
        .await
        .expect_err("the commit fails");

    // Assert
    assert_ne!(status.code(), Code::Ok);
    assert_eq!(app.count("audit_entries").await, 0);
    assert_eq!(app.get(&customer.name).await.erase_time, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_login_role_may_add_and_read_entries_but_never_change_them() {
    // Arrange: an entry, and provisioning run again as at the next start-up
    // (it grants the login role every privilege on the schema's tables).
    let app = spawn_app().await;
    let customer = app.create(person("Alan Turing")).await;
    erase(&app, &customer.name).await;
    app.db.provision(&redress_customers::schema()).await;

    // Act and assert
    for sql in [
        "UPDATE audit_entries SET actor = 'someone-else'",
        "DELETE FROM audit_entries",
        "TRUNCATE audit_entries",
    ] {
        assert_eq!(
            sqlstate(&app.pool, sql).await.as_deref(),
            Some("42501"),
            "{sql}"
        );
    }
    assert_eq!(
        sqlstate(&app.pool, "SELECT count(*) FROM audit_entries").await,
        None
    );
    assert_eq!(app.count("audit_entries").await, 1);
    let entries = list(&app, filters()).await.audit_entries;
    assert_eq!(entries[0].actor, "admin-1");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_trail_is_filtered_and_paged_newest_first() {
    // Arrange: three erasures a day apart.
    let app = spawn_app().await;
    let mut names = Vec::new();
    let first_day = app.now();
    for display_name in ["One", "Two", "Three"] {
        let customer = app.create(person(display_name)).await;
        erase(&app, &customer.name).await;
        names.push(customer.name);
        app.advance_days(1);
    }

    // Act: pages of two.
    let first = list(
        &app,
        pb::ListAuditEntriesRequest {
            page_size: 2,
            ..filters()
        },
    )
    .await;
    let second = list(
        &app,
        pb::ListAuditEntriesRequest {
            page_size: 2,
            page_token: first.next_page_token.clone(),
            ..filters()
        },
    )
    .await;

    // Assert: newest first, across both pages, nothing twice.
    let targets: Vec<&str> = first
        .audit_entries
        .iter()
        .chain(&second.audit_entries)
        .map(|entry| entry.target.as_str())
        .collect();
    assert_eq!(targets, vec![&*names[2], &*names[1], &*names[0]]);
    assert!(!first.next_page_token.is_empty());
    assert!(second.next_page_token.is_empty());

    // Filters: target, action, actor and a time range.
    let by_target = list(
        &app,
        pb::ListAuditEntriesRequest {
            target: names[1].clone(),
            ..filters()
        },
    )
    .await;
    assert_eq!(by_target.audit_entries.len(), 1);
    assert_eq!(by_target.audit_entries[0].target, names[1]);
    let by_action = list(
        &app,
        pb::ListAuditEntriesRequest {
            action: "customer.erased".into(),
            ..filters()
        },
    )
    .await;
    assert_eq!(by_action.audit_entries.len(), 3);
    let by_other_actor = list(
        &app,
        pb::ListAuditEntriesRequest {
            actor: "admin-2".into(),
            ..filters()
        },
    )
    .await;
    assert!(by_other_actor.audit_entries.is_empty());
    let first_day_only = list(
        &app,
        pb::ListAuditEntriesRequest {
            start_time: Some(ts(first_day)),
            end_time: Some(ts(first_day + jiff::SignedDuration::from_hours(1))),
            ..filters()
        },
    )
    .await;
    assert_eq!(first_day_only.audit_entries.len(), 1);
    assert_eq!(first_day_only.audit_entries[0].target, names[0]);

    // A token is refused with other filters.
    let status = app
        .admin()
        .list_audit_entries(pb::ListAuditEntriesRequest {
            page_size: 2,
            page_token: first.next_page_token,
            action: "customer.erased".into(),
            ..filters()
        })
        .await
        .expect_err("a token for other filters");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(support::violated_fields(&status), vec!["page_token"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_an_admin_reads_the_audit_trail() {
    let app = spawn_app().await;
    for role in Role::ALL.into_iter().filter(|role| *role != Role::Admin) {
        let status = app
            .client(&[role])
            .list_audit_entries(filters())
            .await
            .expect_err("not an admin");
        assert_eq!(status.code(), Code::PermissionDenied, "{role}");
        assert_eq!(reason(&status), "ROLE_NOT_PERMITTED", "{role}");
    }
}
