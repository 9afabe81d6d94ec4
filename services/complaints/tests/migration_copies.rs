//! The complaints service publishes its feed through the platform's outbox,
//! and follows it (to record survey answers on customers) through the
//! platform's consumer, whose tables it creates with copies of the
//! platform's SQL (sqlx embeds each service's own migration files). The
//! copies must stay the platform's, byte for byte: a change to the
//! platform's SQL reaches the service as a later migration, never as an
//! edit of these.

use redress_platform::outbox::schema::{CONSUMER_MIGRATION, PUBLISHER_MIGRATION};

#[test]
fn the_outbox_migration_is_the_platforms_publisher_sql_unchanged() {
    assert_eq!(
        include_str!("../migrations/20261122100002_outbox.sql"),
        PUBLISHER_MIGRATION,
        "migrations/20261122100002_outbox.sql differs from shared/src/outbox/publisher.sql"
    );
}

#[test]
fn the_feed_consumer_migration_is_the_platforms_consumer_sql_unchanged() {
    assert_eq!(
        include_str!("../migrations/20261122100006_feed_consumer.sql"),
        CONSUMER_MIGRATION,
        "migrations/20261122100006_feed_consumer.sql differs from shared/src/outbox/consumer.sql"
    );
}
