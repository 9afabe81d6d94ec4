//! The SQL the outbox needs in a service's schema, for services to copy
//! into their own migrations (sqlx embeds migration files, and each
//! service's migrations are its own, so the platform cannot run these for
//! them).
//!
//! - A publishing service copies [`PUBLISHER_MIGRATION`] (tables
//!   `outbox_events` and `outbox_head`).
//! - A consuming service copies [`CONSUMER_MIGRATION`] (tables
//!   `feed_cursors` and `applied_events`).
//!
//! A service that does both copies both. The files live next to this
//! module (`shared/src/outbox/publisher.sql`, `consumer.sql`); copy them
//! unchanged, as a new migration, and copy a later change to them as a
//! later migration. The platform's own tests run exactly these files.

/// Creates `outbox_events` and `outbox_head` (with its one row).
pub const PUBLISHER_MIGRATION: &str = include_str!("publisher.sql");

/// Creates `feed_cursors` and `applied_events`.
pub const CONSUMER_MIGRATION: &str = include_str!("consumer.sql");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_migrations_run_exactly_the_snippets_services_copy() {
        assert_eq!(
            include_str!("../../tests-migrations/outbox/20260101000001_outbox.sql"),
            PUBLISHER_MIGRATION
        );
        assert_eq!(
            include_str!("../../tests-migrations/outbox/20260101000002_feed_consumer.sql"),
            CONSUMER_MIGRATION
        );
    }

    #[test]
    fn the_snippets_name_no_schema() {
        for sql in [PUBLISHER_MIGRATION, CONSUMER_MIGRATION] {
            let statements = sql
                .lines()
                .filter(|line| !line.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            assert!(!statements.contains("redress_"), "no role or schema names");
            assert!(!statements.contains("SCHEMA") && !statements.contains("SET "));
        }
    }
}
