//! The complaints service publishes its feed through the platform's outbox,
//! whose tables it creates with a copy of the platform's SQL (sqlx embeds
//! each service's own migration files). The copy must stay the platform's,
//! byte for byte: a change to the platform's SQL reaches the service as a
//! later migration, never as an edit of this one.

use redress_platform::outbox::schema::PUBLISHER_MIGRATION;

#[test]
fn the_outbox_migration_is_the_platforms_publisher_sql_unchanged() {
    assert_eq!(
        include_str!("../migrations/20261122100002_outbox.sql"),
        PUBLISHER_MIGRATION,
        "migrations/20261122100002_outbox.sql differs from shared/src/outbox/publisher.sql"
    );
}
