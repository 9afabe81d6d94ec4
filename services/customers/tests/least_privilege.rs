//! One owner per fact, enforced by PostgreSQL: the customers service's login
//! role uses its own schema and nothing else. A second schema (a stand-in for
//! the complaints service, migrated from `tests/fixtures/`) is provisioned in
//! the same database as a deployment would; the customers role reads its own
//! tables and gets SQLSTATE 42501 (insufficient privilege) on everything
//! else, and the other role likewise cannot read customers.

use redress_platform::Secret;
use redress_platform::db::{self, PoolSettings, SchemaSpec};
use redress_platform::testing::{TestDatabase, sqlstate};
use sqlx::PgPool;
use sqlx::migrate::Migrator;

static COMPLAINTS_MIGRATOR: Migrator = sqlx::migrate!("tests/fixtures/complaints_migrations");

fn complaints_schema() -> SchemaSpec {
    SchemaSpec {
        schema: "complaints",
        migrator: &COMPLAINTS_MIGRATOR,
    }
}

async fn pool(url: &Secret, schema: &str) -> PgPool {
    db::connect(url, schema, &PoolSettings::default())
        .await
        .expect("the login role connects")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_customers_role_cannot_reach_beyond_its_own_schema() {
    // Arrange: both schemas in one database, a complaint stored by its owner.
    let db = TestDatabase::new().await;
    let customers_url = db.provision(&redress_customers::schema()).await;
    let complaints_url = db.provision(&complaints_schema()).await;
    sqlx::query(
        "INSERT INTO complaints.complaints (id, customer, story)
         VALUES (gen_random_uuid(), 'customers/x', 'the parcel never came')",
    )
    .execute(db.admin_pool())
    .await
    .expect("a complaint stored");
    let customers = pool(&customers_url, "customers").await;
    let complaints = pool(&complaints_url, "complaints").await;

    // Act and assert: its own schema works, qualified or through search_path.
    for sql in [
        "SELECT count(*) FROM customers.customers",
        "SELECT count(*) FROM customers",
        "SELECT count(*) FROM customers._sqlx_migrations",
        "INSERT INTO request_ids (operation, request_id, caller, fingerprint)
         VALUES ('Probe', gen_random_uuid(), 'test', '\\x00')",
    ] {
        assert_eq!(sqlstate(&customers, sql).await, None, "{sql}");
    }

    // Everything else is refused for lack of privilege.
    for sql in [
        "SELECT * FROM complaints.complaints",
        "INSERT INTO complaints.complaints VALUES (gen_random_uuid(), 'x', 'y')",
        "DELETE FROM complaints.complaints",
        "CREATE TABLE complaints.notes (id int)",
        "CREATE TABLE public.notes (id int)",
        "CREATE SCHEMA notes",
        "DROP TABLE customers.interactions",
        "ALTER TABLE customers.customers ADD COLUMN note text",
        "CREATE TABLE customers.notes (id int)",
        "DELETE FROM customers._sqlx_migrations",
        "SET ROLE redress_complaints",
        "SET ROLE redress_customers_owner",
    ] {
        assert_eq!(
            sqlstate(&customers, sql).await.as_deref(),
            Some("42501"),
            "{sql}"
        );
    }

    // And the other service's role cannot read customers either.
    assert_eq!(
        sqlstate(&complaints, "SELECT * FROM customers.customers")
            .await
            .as_deref(),
        Some("42501")
    );
    assert_eq!(
        sqlstate(&complaints, "SELECT count(*) FROM complaints.complaints").await,
        None
    );
}
