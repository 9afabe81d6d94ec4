//! Provisioning, migrating and confining services against a real server,
//! each test in a database of its own. Role names are cluster-wide and shared
//! by tests running at once, which is itself part of what is tested.

use std::sync::LazyLock;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, SqlSafeStr};

use super::*;
use crate::secret::Secret;
use crate::testing::TestDatabase;

fn migrator(migrations: &[(i64, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        migrations
            .iter()
            .map(|(version, sql)| {
                Migration::new(
                    *version,
                    format!("test migration {version}").into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

const THINGS: &str =
    "CREATE TABLE things (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL)";
const SECRETS: &str = "CREATE TABLE secrets (id serial PRIMARY KEY, body text NOT NULL); \
                       INSERT INTO secrets (body) VALUES ('not for alpha')";
const MORE: &str = "ALTER TABLE things ADD COLUMN colour text";

static ALPHA: LazyLock<Migrator> = LazyLock::new(|| migrator(&[(1, THINGS)]));
static BETA: LazyLock<Migrator> = LazyLock::new(|| migrator(&[(1, SECRETS)]));
static GAMMA_V1: LazyLock<Migrator> = LazyLock::new(|| migrator(&[(1, THINGS)]));
static GAMMA_V2: LazyLock<Migrator> = LazyLock::new(|| migrator(&[(1, THINGS), (2, MORE)]));
static GAMMA_EDITED: LazyLock<Migrator> = LazyLock::new(|| migrator(&[(1, MORE)]));

fn spec(schema: &'static str, migrator: &'static LazyLock<Migrator>) -> SchemaSpec {
    SchemaSpec {
        schema,
        migrator: LazyLock::force(migrator),
    }
}

fn sqlstate(error: &sqlx::Error) -> Option<String> {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned())
}

#[tokio::test]
async fn migrations_land_in_the_schema_owned_by_the_owner_role() {
    let db = TestDatabase::new().await;
    db.provision(&spec("t_alpha", &ALPHA)).await;

    let placed: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT n.nspname::text, c.relname::text, pg_get_userbyid(c.relowner)::text \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname IN ('_sqlx_migrations', 'things') ORDER BY c.relname",
    )
    .fetch_all(db.admin_pool())
    .await
    .expect("catalog query");
    assert_eq!(
        placed,
        vec![
            (
                "t_alpha".into(),
                "_sqlx_migrations".into(),
                "redress_t_alpha_owner".into()
            ),
            (
                "t_alpha".into(),
                "things".into(),
                "redress_t_alpha_owner".into()
            ),
        ]
    );
    let schema_owner: String = sqlx::query_scalar(
        "SELECT pg_get_userbyid(nspowner)::text FROM pg_namespace WHERE nspname = 't_alpha'",
    )
    .fetch_one(db.admin_pool())
    .await
    .expect("schema owner");
    assert_eq!(schema_owner, "redress_t_alpha_owner");

    // Migrating again is a no-op.
    migrate(db.admin_pool(), &spec("t_alpha", &ALPHA))
        .await
        .expect("re-run");
}

#[tokio::test]
async fn a_service_role_uses_its_own_schema_and_is_denied_every_other() {
    let db = TestDatabase::new().await;
    let alpha_url = db.provision(&spec("t_alpha", &ALPHA)).await;
    db.provision(&spec("t_beta", &BETA)).await;
    let pool = connect(&alpha_url, "t_alpha", &PoolSettings::default())
        .await
        .expect("the login role connects");

    sqlx::query("INSERT INTO things (name) VALUES ('kettle')")
        .execute(&pool)
        .await
        .expect("writes its own table through search_path");
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM things")
        .fetch_all(&pool)
        .await
        .expect("reads");
    assert_eq!(names, ["kettle"]);

    let denied = sqlx::query("SELECT body FROM t_beta.secrets")
        .fetch_all(&pool)
        .await
        .expect_err("another service's table");
    assert_eq!(sqlstate(&denied).as_deref(), Some("42501"), "{denied}");

    for statement in [
        "CREATE TABLE t_alpha.extra (id int)",
        "CREATE TABLE public.extra (id int)",
        "DELETE FROM t_alpha._sqlx_migrations",
        "DROP TABLE things",
    ] {
        let error = sqlx::raw_sql(AssertSqlSafe(statement))
            .execute(&pool)
            .await
            .expect_err(statement);
        assert_eq!(
            sqlstate(&error).as_deref(),
            Some("42501"),
            "{statement}: {error}"
        );
    }

    let (search_path, app, timeout): (String, String, String) = sqlx::query_as(
        "SELECT current_setting('search_path'), current_setting('application_name'), current_setting('statement_timeout')",
    )
    .fetch_one(&pool)
    .await
    .expect("settings");
    assert_eq!(
        (search_path.as_str(), app.as_str(), timeout.as_str()),
        ("t_alpha", "redress-t_alpha", "30s")
    );
}

#[tokio::test]
async fn provisioning_the_same_service_at_once_in_one_and_in_two_databases_is_fine() {
    let (one, two) = tokio::join!(TestDatabase::new(), TestDatabase::new());
    let alpha = spec("t_alpha", &ALPHA);
    let (a, b, c, d) = tokio::join!(
        one.provision(&alpha),
        one.provision(&alpha),
        two.provision(&alpha),
        two.provision(&alpha)
    );
    assert_eq!(a, b);
    assert_eq!(c, d);
    for url in [a, c] {
        let pool = connect(&url, "t_alpha", &PoolSettings::default())
            .await
            .expect("login works");
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM things")
            .fetch_one(&pool)
            .await
            .expect("reads");
        assert_eq!(count, 0);
    }
}

#[tokio::test]
async fn check_migrated_names_what_is_missing_failed_or_edited() {
    let db = TestDatabase::new().await;
    let v1 = spec("t_gamma", &GAMMA_V1);
    let v2 = spec("t_gamma", &GAMMA_V2);
    let url = db.provision(&v1).await;
    let pool = connect(&url, "t_gamma", &PoolSettings::default())
        .await
        .expect("login works");

    check_migrated(&pool, &v1).await.expect("up to date");
    let error = check_migrated(&pool, &v2)
        .await
        .expect_err("version 2 is missing");
    assert!(
        matches!(&error, DbError::NotMigrated { missing, .. } if missing == &[2]),
        "{error}"
    );
    assert!(error.to_string().contains("redress migrate"), "{error}");

    let edited = check_migrated(&pool, &spec("t_gamma", &GAMMA_EDITED))
        .await
        .expect_err("edited");
    assert!(
        matches!(edited, DbError::MigrationChanged { version: 1, .. }),
        "{edited}"
    );

    migrate(db.admin_pool(), &v2)
        .await
        .expect("applies version 2");
    check_migrated(&pool, &v2).await.expect("up to date again");

    sqlx::query("UPDATE t_gamma._sqlx_migrations SET success = false WHERE version = 2")
        .execute(db.admin_pool())
        .await
        .expect("mark dirty");
    let dirty = check_migrated(&pool, &v2).await.expect_err("dirty");
    assert!(
        matches!(dirty, DbError::MigrationFailed { version: 2, .. }),
        "{dirty}"
    );
}

#[tokio::test]
async fn an_unmigrated_schema_lacks_every_version() {
    let db = TestDatabase::new().await;
    let v2 = spec("t_delta", &GAMMA_V2);
    let password = db.login_password("t_delta");
    provision(db.admin_pool(), &v2, &password)
        .await
        .expect("provisioned");
    let url = login_url(&db.admin_url(), &login_role("t_delta"), &password).expect("url");
    let pool = connect(&url, "t_delta", &PoolSettings::default())
        .await
        .expect("login works");
    let error = check_migrated(&pool, &v2)
        .await
        .expect_err("nothing applied");
    assert!(
        matches!(&error, DbError::NotMigrated { missing, .. } if missing == &[1, 2]),
        "{error}"
    );
}

#[tokio::test]
async fn a_password_with_awkward_characters_still_logs_in() {
    let db = TestDatabase::new().await;
    // A schema of its own: the role's password is cluster-wide.
    let epsilon = spec("t_epsilon", &ALPHA);
    let password = Secret::new("p@ss w:rd/?#%'\"\\&=");
    provision(db.admin_pool(), &epsilon, &password)
        .await
        .expect("provisioned");
    migrate(db.admin_pool(), &epsilon).await.expect("migrated");
    let url = login_url(&db.admin_url(), &login_role("t_epsilon"), &password).expect("url");
    let pool = connect(&url, "t_epsilon", &PoolSettings::default())
        .await
        .expect("login works");
    sqlx::query("SELECT count(*) FROM things")
        .execute(&pool)
        .await
        .expect("reads");

    let wrong = login_url(
        &db.admin_url(),
        &login_role("t_epsilon"),
        &Secret::new("nope"),
    )
    .expect("url");
    let error = connect(&wrong, "t_epsilon", &PoolSettings::default())
        .await
        .expect_err("wrong password");
    assert!(!error.to_string().contains("nope"), "{error}");
    assert_eq!(error.sqlstate().as_deref(), Some("28P01"), "{error}");
}

#[tokio::test]
async fn bad_schema_names_are_refused_before_any_sql() {
    let db = TestDatabase::new().await;
    for schema in ["Customers", "1st", "a-b", "x\"; DROP TABLE y; --", ""] {
        let bad = SchemaSpec {
            schema: Box::leak(schema.to_owned().into_boxed_str()),
            migrator: LazyLock::force(&ALPHA),
        };
        let error = provision(db.admin_pool(), &bad, &Secret::new("pw"))
            .await
            .expect_err(schema);
        assert!(
            matches!(error, DbError::InvalidSchemaName { .. }),
            "{error}"
        );
    }
}

#[tokio::test]
async fn an_admin_that_is_not_a_superuser_can_provision_and_migrate() {
    let db = TestDatabase::new().await;
    let admin_role = "redress_t_zeta_admin";
    let admin_password = db.login_password("t_zeta_admin");
    let setup = format!(
        "DO $$ BEGIN CREATE ROLE {admin_role} LOGIN CREATEROLE; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$; \
         ALTER ROLE {admin_role} PASSWORD '{}'; \
         GRANT CREATE ON DATABASE \"{}\" TO {admin_role};",
        admin_password.expose(),
        db.database_name()
    );
    sqlx::raw_sql(AssertSqlSafe(setup))
        .execute(db.admin_pool())
        .await
        .expect("a CREATEROLE admin");
    let admin_url = login_url(&db.admin_url(), admin_role, &admin_password).expect("url");
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(admin_url.expose())
        .await
        .expect("the admin logs in");

    let zeta = spec("t_zeta", &ALPHA);
    let password = db.login_password("t_zeta");
    provision(&admin, &zeta, &password)
        .await
        .expect("provisioned");
    migrate(&admin, &zeta).await.expect("migrated as the owner");

    let url = login_url(&db.admin_url(), &login_role("t_zeta"), &password).expect("url");
    let pool = connect(&url, "t_zeta", &PoolSettings::default())
        .await
        .expect("login works");
    sqlx::query("INSERT INTO things (name) VALUES ('cup')")
        .execute(&pool)
        .await
        .expect("writes");
    check_migrated(&pool, &zeta).await.expect("up to date");
}

#[tokio::test]
async fn copied_rows_read_back_exactly_nulls_specials_arrays_and_json_included() {
    let db = TestDatabase::new().await;
    let mut conn = db.admin_pool().acquire().await.expect("connection");
    sqlx::query(
        "CREATE TABLE copied (id uuid, body text, tags text[], doc jsonb, at timestamptz, \
         n bigint, ok boolean)",
    )
    .execute(&mut *conn)
    .await
    .expect("table");
    let id = uuid::Uuid::now_v7();
    let at: jiff::Timestamp = "2026-11-23T12:00:00.123456Z".parse().expect("time");
    let mut rows = CopyRows::begin(
        &mut conn,
        "copied",
        &["id", "body", "tags", "doc", "at", "n", "ok"],
    )
    .await
    .expect("copy");
    rows.uuid(id)
        .text("tab\there\nnew line \\ back \"quoted\"")
        .text_array(&["a,b", "c\"d", "e\\f"])
        .json(&serde_json::json!({"k": "v\tw"}))
        .time(at)
        .int(-42)
        .bool(true);
    rows.end_row().await.expect("row");
    rows.null()
        .null()
        .text_array::<&str>(&[])
        .null()
        .null()
        .null()
        .null();
    rows.end_row().await.expect("row");
    assert_eq!(rows.finish().await.expect("finish"), 2);

    let (body, tags, doc, n): (String, Vec<String>, serde_json::Value, i64) =
        sqlx::query_as("SELECT body, tags, doc, n FROM copied WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .expect("read");
    assert_eq!(body, "tab\there\nnew line \\ back \"quoted\"");
    assert_eq!(tags, vec!["a,b", "c\"d", "e\\f"]);
    assert_eq!(doc, serde_json::json!({"k": "v\tw"}));
    assert_eq!(n, -42);
    let (read_at, ok): (jiff_sqlx::Timestamp, bool) =
        sqlx::query_as("SELECT at, ok FROM copied WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .expect("read");
    assert_eq!(ts(read_at), at, "microseconds included");
    assert!(ok);
    let nulls: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM copied WHERE id IS NULL AND body IS NULL AND tags = '{}' AND doc IS NULL",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("count");
    assert_eq!(nulls, 1);
}
