use sqlx::{Connection, PgConnection};

use super::server::{created_at, target_dir};
use super::*;

async fn database_exists(server_url: &Secret, name: &str) -> bool {
    let mut conn = PgConnection::connect(server_url.expose())
        .await
        .expect("server reachable");
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .expect("catalog query")
}

#[tokio::test]
async fn a_test_database_is_fresh_and_gone_once_dropped() {
    let db = TestDatabase::new().await;
    let name = db.database_name().to_owned();
    let server_url = db.server_url.clone();
    assert!(name.starts_with("redress_test_"));
    let current: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(db.admin_pool())
        .await
        .expect("query");
    assert_eq!(current, name);
    assert!(database_exists(&server_url, &name).await);

    // An open connection does not keep the database alive.
    let mut held = PgConnection::connect(db.admin_url().expose())
        .await
        .expect("connects");
    sqlx::query("SELECT 1")
        .execute(&mut held)
        .await
        .expect("query");
    drop(db);
    assert!(!database_exists(&server_url, &name).await);
}

#[tokio::test]
async fn two_test_databases_are_distinct() {
    let (a, b) = tokio::join!(TestDatabase::new(), TestDatabase::new());
    assert_ne!(a.database_name(), b.database_name());
    assert_eq!(a.server_url, b.server_url);
}

#[test]
fn a_test_database_name_tells_its_age() {
    assert_eq!(
        created_at("redress_test_1700000000_0123abcd"),
        Some(1_700_000_000)
    );
    assert_eq!(created_at("redress_test_abc"), None);
    assert_eq!(created_at("other"), None);
}

#[test]
fn the_target_dir_is_beside_the_workspace_manifest() {
    let dir = target_dir();
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        assert_eq!(dir.file_name().and_then(|n| n.to_str()), Some("target"));
        let manifest =
            std::fs::read_to_string(dir.with_file_name("Cargo.toml")).expect("workspace manifest");
        assert!(manifest.contains("[workspace]"));
    }
}
