//! Least privilege in the database, with the real schemas: rule 1 ("one
//! owner per fact") enforced by PostgreSQL. `redress migrate` (the binary,
//! as the Kubernetes Job runs it) provisions and migrates all four services
//! into one fresh database, and each service's login role is then tried
//! against everything in it.
//!
//! For every ordered pair of services (a, b), a ≠ b, generated from the list
//! of schemas: a's login role gets SQLSTATE 42501 (insufficient privilege) on
//! reading, inserting, updating, deleting and truncating every table of b,
//! on b's sequences and functions, and on creating anything in b; and holds
//! no grant on b's schema or tables that a later `GRANT USAGE` could
//! expose. In its own schema a's login role reads and writes every table
//! (statements that touch no row, so nothing is written) and uses its
//! sequences, but may not create, alter, drop, truncate or index anything,
//! nor write the migration ledger, nor update or delete an audit entry (the
//! trail is append-only): migrations run as the owner role, which
//! owns the schema and everything in it, and the ledger lives in the
//! service's own schema.

mod support;

use redress_platform::Secret;
use redress_platform::db::{self, PoolSettings, SchemaSpec};
use redress_platform::testing::{TestDatabase, sqlstate};
use sqlx::{AssertSqlSafe, PgPool};

/// Every service's schema, as `redress migrate` provisions them.
fn schemas() -> Vec<SchemaSpec> {
    vec![
        redress_customers::schema(),
        redress_complaints::schema(),
        redress_notifications::schema(),
        redress_crisis::schema(),
    ]
}

/// SQLSTATE insufficient_privilege.
const DENIED: &str = "42501";
/// The migration ledger sqlx keeps.
const LEDGER: &str = "_sqlx_migrations";
/// The audit trail: the login role appends and reads, never rewrites.
const AUDIT: &str = "audit_entries";

/// A table and a column statements may name (neither generated nor an
/// identity column, so writing it back is allowed), if it has one.
#[derive(Debug)]
struct Table {
    name: String,
    column: Option<String>,
}

/// What one schema holds, read from the catalog as the admin.
#[derive(Debug)]
struct Contents {
    schema: &'static str,
    tables: Vec<Table>,
    sequences: Vec<String>,
    /// Functions and the number of their arguments.
    functions: Vec<(String, i16)>,
}

async fn contents(admin: &PgPool, schema: &'static str) -> Contents {
    let tables: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT c.relname::text,
                (SELECT a.attname::text FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                    AND a.attgenerated = '' AND a.attidentity = ''
                  ORDER BY a.attnum LIMIT 1)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
          ORDER BY 1",
    )
    .bind(schema)
    .fetch_all(admin)
    .await
    .expect("tables listed");
    let sequences: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind = 'S' ORDER BY 1",
    )
    .bind(schema)
    .fetch_all(admin)
    .await
    .expect("sequences listed");
    let functions: Vec<(String, i16)> = sqlx::query_as(
        "SELECT p.proname::text, p.pronargs FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = $1 ORDER BY 1",
    )
    .bind(schema)
    .fetch_all(admin)
    .await
    .expect("functions listed");
    Contents {
        schema,
        tables: tables
            .into_iter()
            .map(|(name, column)| Table { name, column })
            .collect(),
        sequences,
        functions,
    }
}

/// Collects, for `pool`, each statement whose SQLSTATE is not `expected`.
async fn expect_all(
    pool: &PgPool,
    role: &str,
    statements: &[String],
    expected: Option<&str>,
    wrong: &mut Vec<String>,
) {
    for sql in statements {
        let got = sqlstate(pool, sql).await;
        if got.as_deref() != expected {
            wrong.push(format!("{role}: {sql} gave {got:?}, expected {expected:?}"));
        }
    }
}

/// Statements that reach into `other`'s schema.
fn intrusions(other: &Contents) -> Vec<String> {
    let s = other.schema;
    let mut statements = Vec::new();
    for Table { name: t, column } in &other.tables {
        statements.extend([
            format!("SELECT 1 FROM \"{s}\".\"{t}\" LIMIT 1"),
            format!("INSERT INTO \"{s}\".\"{t}\" DEFAULT VALUES"),
            format!("DELETE FROM \"{s}\".\"{t}\""),
            format!("TRUNCATE \"{s}\".\"{t}\""),
        ]);
        if let Some(c) = column {
            statements.push(format!("UPDATE \"{s}\".\"{t}\" SET \"{c}\" = \"{c}\""));
        }
    }
    for q in &other.sequences {
        statements.extend([
            format!("SELECT nextval('\"{s}\".\"{q}\"')"),
            format!("SELECT last_value FROM \"{s}\".\"{q}\""),
        ]);
    }
    for (f, arguments) in &other.functions {
        let nulls = vec!["NULL"; usize::try_from(*arguments).unwrap_or(0)].join(", ");
        statements.push(format!("SELECT \"{s}\".\"{f}\"({nulls})"));
    }
    statements.extend([
        format!("CREATE TABLE \"{s}\".probe (id int)"),
        format!("CREATE SEQUENCE \"{s}\".probe_seq"),
        format!("CREATE VIEW \"{s}\".probe_view AS SELECT 1 AS one"),
        format!("CREATE FUNCTION \"{s}\".probe() RETURNS int LANGUAGE sql AS 'SELECT 1'"),
    ]);
    statements
}

/// Statements on `own` schema its login role may run: reads and writes
/// that touch no row, and its sequences.
fn own_work(own: &Contents) -> Vec<String> {
    let s = own.schema;
    let mut statements = Vec::new();
    for Table { name: t, column } in own.tables.iter().filter(|t| t.name != LEDGER) {
        let append_only = t == AUDIT;
        statements.push(format!("SELECT 1 FROM \"{s}\".\"{t}\" LIMIT 1"));
        if !append_only {
            statements.push(format!("DELETE FROM \"{s}\".\"{t}\" WHERE false"));
        }
        if let Some(c) = column {
            statements.push(format!(
                "INSERT INTO \"{s}\".\"{t}\" (\"{c}\") SELECT \"{c}\" FROM \"{s}\".\"{t}\" WHERE false"
            ));
            if !append_only {
                statements.push(format!(
                    "UPDATE \"{s}\".\"{t}\" SET \"{c}\" = \"{c}\" WHERE false"
                ));
            }
        }
    }
    for q in &own.sequences {
        statements.push(format!("SELECT nextval('\"{s}\".\"{q}\"')"));
    }
    statements.push(format!("SELECT count(*) FROM \"{s}\".\"{LEDGER}\""));
    statements
}

/// Statements on `own` schema that only its owner role (migrations) may run.
fn own_ddl(own: &Contents) -> Vec<String> {
    let s = own.schema;
    let mut statements = vec![
        format!("CREATE TABLE \"{s}\".probe (id int)"),
        format!("CREATE SEQUENCE \"{s}\".probe_seq"),
        format!("CREATE FUNCTION \"{s}\".probe() RETURNS int LANGUAGE sql AS 'SELECT 1'"),
        format!(
            "INSERT INTO \"{s}\".\"{LEDGER}\" (version, description, success, checksum, execution_time) VALUES (0, 'probe', true, '\\x00', 0)"
        ),
        format!("UPDATE \"{s}\".\"{LEDGER}\" SET success = false"),
        format!("DELETE FROM \"{s}\".\"{LEDGER}\""),
        format!("UPDATE \"{s}\".\"{AUDIT}\" SET actor = actor"),
        format!("DELETE FROM \"{s}\".\"{AUDIT}\""),
    ];
    for Table { name: t, column } in &own.tables {
        statements.extend([
            format!("ALTER TABLE \"{s}\".\"{t}\" ADD COLUMN probe int"),
            format!("TRUNCATE \"{s}\".\"{t}\""),
            format!("DROP TABLE \"{s}\".\"{t}\""),
        ]);
        if let Some(c) = column {
            statements.push(format!("CREATE INDEX ON \"{s}\".\"{t}\" (\"{c}\")"));
        }
    }
    for q in &own.sequences {
        statements.push(format!("DROP SEQUENCE \"{s}\".\"{q}\""));
    }
    for (f, _) in &own.functions {
        statements.push(format!("DROP FUNCTION \"{s}\".\"{f}\""));
    }
    statements
}

/// A pool as `schema`'s login role, its search path confined to the schema.
async fn login_pool(database: &TestDatabase, schema: &str) -> PgPool {
    let url: Secret = db::login_url(
        &database.admin_url(),
        &db::login_role(schema),
        &database.login_password(schema),
    )
    .expect("a login URL");
    db::connect(&url, schema, &PoolSettings::default())
        .await
        .unwrap_or_else(|error| panic!("{schema}'s login role connects: {error}"))
}

/// Asserts `database` holds what `redress migrate` provisioned for the four
/// services, and returns each schema's contents.
async fn migrated(database: &TestDatabase) -> Vec<Contents> {
    let outcome = tokio::task::block_in_place(|| support::migrate(database));
    let mut all = Vec::new();
    for spec in schemas() {
        assert!(
            outcome.stdout.contains(&format!("{}: ", spec.schema)),
            "`redress migrate` did not report {}: {outcome:#?}",
            spec.schema
        );
        let found = contents(database.admin_pool(), spec.schema).await;
        assert!(
            found.tables.len() > 1,
            "{} has no tables of its own: {found:?}",
            spec.schema
        );
        all.push(found);
    }
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn no_service_role_reaches_into_another_services_schema() {
    // Arrange: the four real schemas in one database, as `redress migrate` makes them.
    let database = TestDatabase::new().await;
    let all = migrated(&database).await;
    let admin = database.admin_pool();

    // Act and assert, for every ordered pair (a, b) with a ≠ b.
    let mut wrong = Vec::new();
    let mut pairs = 0;
    for a in &all {
        let role = db::login_role(a.schema);
        let pool = login_pool(&database, a.schema).await;
        for b in all.iter().filter(|b| b.schema != a.schema) {
            pairs += 1;
            expect_all(&pool, &role, &intrusions(b), Some(DENIED), &mut wrong).await;

            // No grant lies in wait behind the missing schema privilege.
            let granted: Vec<String> = sqlx::query_scalar(
                "SELECT n.nspname::text FROM pg_namespace n
                  WHERE n.nspname = $2 AND (has_schema_privilege($1, n.oid, 'USAGE')
                                         OR has_schema_privilege($1, n.oid, 'CREATE'))
                 UNION ALL
                 SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = $2 AND c.relkind IN ('r', 'p', 'v', 'm')
                    AND has_table_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                 UNION ALL
                 SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = $2
                    AND CASE WHEN c.relkind = 'S'
                             THEN has_sequence_privilege($1, c.oid, 'USAGE, SELECT, UPDATE')
                             ELSE false END",
            )
            .bind(&role)
            .bind(b.schema)
            .fetch_all(admin)
            .await
            .expect("privileges read");
            if !granted.is_empty() {
                wrong.push(format!(
                    "{role} holds privileges in {}: {granted:?}",
                    b.schema
                ));
            }
        }
    }

    assert_eq!(
        pairs,
        all.len() * (all.len() - 1),
        "every ordered pair was tried"
    );
    assert!(
        wrong.is_empty(),
        "{} violations:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_service_role_uses_its_own_tables_but_only_the_owner_role_changes_their_shape() {
    // Arrange
    let database = TestDatabase::new().await;
    let all = migrated(&database).await;

    // Act and assert
    let mut wrong = Vec::new();
    for own in &all {
        let role = db::login_role(own.schema);
        let pool = login_pool(&database, own.schema).await;
        expect_all(&pool, &role, &own_work(own), None, &mut wrong).await;
        expect_all(&pool, &role, &own_ddl(own), Some(DENIED), &mut wrong).await;
        // Nor may it become the owner, or another service.
        let others: Vec<String> = all
            .iter()
            .map(|s| format!("SET ROLE \"{}\"", db::owner_role(s.schema)))
            .chain(
                all.iter()
                    .filter(|s| s.schema != own.schema)
                    .map(|s| format!("SET ROLE \"{}\"", db::login_role(s.schema))),
            )
            .collect();
        expect_all(&pool, &role, &others, Some(DENIED), &mut wrong).await;
    }
    assert!(
        wrong.is_empty(),
        "{} violations:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_object_belongs_to_its_schemas_owner_role_and_the_ledger_lives_in_the_schema() {
    // Arrange
    let database = TestDatabase::new().await;
    let all = migrated(&database).await;
    let admin = database.admin_pool();

    for own in &all {
        let owner = db::owner_role(own.schema);
        let login = db::login_role(own.schema);

        // The schema, and every relation and function in it, is the owner's.
        let misowned: Vec<(String, String)> = sqlx::query_as(
            "SELECT n.nspname::text, pg_get_userbyid(n.nspowner)::text FROM pg_namespace n
              WHERE n.nspname = $1 AND pg_get_userbyid(n.nspowner) <> $2
             UNION ALL
             SELECT c.relname::text, pg_get_userbyid(c.relowner)::text
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND pg_get_userbyid(c.relowner) <> $2
             UNION ALL
             SELECT p.proname::text, pg_get_userbyid(p.proowner)::text
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = $1 AND pg_get_userbyid(p.proowner) <> $2",
        )
        .bind(own.schema)
        .bind(&owner)
        .fetch_all(admin)
        .await
        .expect("owners read");
        assert!(
            misowned.is_empty(),
            "in {}, not owned by {owner}: {misowned:?}",
            own.schema
        );

        // The login role owns nothing at all in the database.
        let owned_by_login: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner = $1::regrole)
                  + (SELECT count(*) FROM pg_proc WHERE proowner = $1::regrole)
                  + (SELECT count(*) FROM pg_namespace WHERE nspowner = $1::regrole)
                  + (SELECT count(*) FROM pg_type WHERE typowner = $1::regrole)",
        )
        .bind(&login)
        .fetch_one(admin)
        .await
        .expect("ownership counted");
        assert_eq!(owned_by_login, 0, "{login} owns objects");

        // The ledger is in the schema, complete, and nowhere else.
        assert!(
            own.tables.iter().any(|t| t.name == LEDGER),
            "{} has no {LEDGER}",
            own.schema
        );
        let applied: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT count(*) FROM \"{}\".\"{LEDGER}\" WHERE success",
            own.schema
        )))
        .fetch_one(admin)
        .await
        .expect("ledger read");
        let embedded = schemas()
            .into_iter()
            .find(|s| s.schema == own.schema)
            .map(|s| {
                s.migrator
                    .iter()
                    .filter(|m| !m.migration_type.is_down_migration())
                    .count()
            })
            .expect("the schema's spec");
        assert_eq!(
            usize::try_from(applied).expect("a count"),
            embedded,
            "{} ledger",
            own.schema
        );
    }
    let stray: Vec<String> = sqlx::query_scalar(
        "SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relname = $1",
    )
    .bind(LEDGER)
    .fetch_all(admin)
    .await
    .expect("ledgers listed");
    let mut expected: Vec<String> = all.iter().map(|s| s.schema.to_owned()).collect();
    let mut stray = stray;
    stray.sort();
    expected.sort();
    assert_eq!(stray, expected, "one ledger per service schema, no other");
}
