//! Who may call what, proved against the running service with the matrix the
//! platform generates from the access table and the contract: the table names
//! exactly the RPCs of the contract; every RPC is tried with every role
//! (PERMISSION_DENIED exactly where the table says no) and with a missing,
//! expired, forged or unsigned token (UNAUTHENTICATED).

mod support;

use redress_platform::testing::authz::AccessMatrix;
use support::spawn_app;

const SERVICE: &str = "redress.notifications.v1.NotificationService";

#[tokio::test(flavor = "multi_thread")]
async fn every_rpc_admits_exactly_the_roles_the_table_declares_and_refuses_bad_tokens() {
    let app = spawn_app().await;
    AccessMatrix::new(
        app.channel(),
        redress_notifications::access_policy(),
        SERVICE,
        app.secret().clone(),
    )
    .assert_all()
    .await;
}
