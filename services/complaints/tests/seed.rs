//! `redress seed`'s complaints as the service stores them: a complaint the
//! seed reassigns is what a supervisor's reassignment through the API leaves
//! behind, its former owner watching it.

mod support;

use redress_complaints::domain::priority::Grade;
use redress_complaints::seed::{self, SeedCustomer, SeedPlan};
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_seeded_reassigned_complaint_keeps_its_former_owner_as_a_watcher() {
    let app = spawn_app().await;
    let policies = app.settings.policies().expect("valid policies");
    let customers = [SeedCustomer {
        id: uuid::Uuid::now_v7(),
        grade: Grade::Ungraded,
    }];
    let plan = SeedPlan {
        complaints: 400,
        agents: 8,
        agents_per_team: 4,
        days: 60,
        seed: 7,
        now: app.now(),
    };

    seed::seed(&app.pool, &policies, &customers, &plan, &|_| {})
        .await
        .expect("seeded");

    let reassigned: Vec<(String, String, Vec<String>, i32)> = sqlx::query_as(
        "SELECT o.from_owner, c.owner, c.watchers, c.transfer_count
         FROM complaints.ownership_changes o JOIN complaints.complaints c ON c.id = o.complaint_id
         WHERE o.kind = 'reassigned'",
    )
    .fetch_all(app.db.admin_pool())
    .await
    .expect("the reassigned complaints");
    assert!(
        !reassigned.is_empty(),
        "the seed reassigns a few complaints"
    );
    for (from_owner, owner, watchers, transfer_count) in &reassigned {
        assert_ne!(from_owner, owner);
        assert_eq!(watchers, std::slice::from_ref(from_owner));
        assert_eq!(*transfer_count, 1);
    }
}
