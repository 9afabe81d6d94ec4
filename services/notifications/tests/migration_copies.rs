//! The notifications service follows the complaints feed through the
//! platform's feed consumer, whose tables it creates with a copy of the
//! platform's SQL (sqlx embeds each service's own migration files). The copy
//! must stay the platform's, byte for byte: a change to the platform's SQL
//! reaches the service as a later migration, never as an edit of this one.

use redress_platform::outbox::schema::CONSUMER_MIGRATION;

#[test]
fn the_feed_consumer_migration_is_the_platforms_consumer_sql_unchanged() {
    assert_eq!(
        include_str!("../migrations/20261122200002_feed_consumer.sql"),
        CONSUMER_MIGRATION,
        "migrations/20261122200002_feed_consumer.sql differs from shared/src/outbox/consumer.sql"
    );
}
