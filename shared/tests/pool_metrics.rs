//! A service pool reports its connections by state, and its maximum, as the
//! semantic conventions' `db.client.connection.*` metrics.

use redress_platform::db::{self, PoolSettings};
use redress_platform::testing::TestDatabase;
use redress_platform::testing::metrics::Recorder;

#[tokio::test]
async fn a_pool_reports_its_connections_in_use_idle_and_its_maximum() {
    let recorder = Recorder::install();
    let database = TestDatabase::new().await;
    let settings = PoolSettings {
        max_connections: 3,
        ..PoolSettings::default()
    };
    let pool = db::connect(&database.admin_url(), "public", &settings)
        .await
        .expect("pool");
    let name = ("db.client.connection.pool.name", "redress-public");
    let used = [name, ("db.client.connection.state", "used")];
    let idle = [name, ("db.client.connection.state", "idle")];

    let held = pool.acquire().await.expect("a connection");
    assert_eq!(recorder.value("db.client.connection.count", &used), Some(1));
    assert_eq!(recorder.value("db.client.connection.max", &[name]), Some(3));

    // A dropped connection goes back to the pool on a task of its own.
    drop(held);
    recorder
        .eventually("db.client.connection.count", &used, 0)
        .await;
    assert!(recorder.value("db.client.connection.count", &idle) >= Some(1));

    pool.close().await;
    assert_eq!(
        recorder.points("db.client.connection.count"),
        [],
        "a closed pool reports nothing"
    );
}
