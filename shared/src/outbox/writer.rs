//! The outbox writer: records an event inside the service's own transaction,
//! so that the change and the event announcing it commit, or roll back,
//! together (ARCHITECTURE.md, rule 3).
//!
//! The row gets no position here: positions follow commits, which the writer
//! cannot know (see the module documentation of [`super`]). It stores what
//! the sequencer and later consumers need: the current span's W3C
//! `traceparent` (rule 5), the writing transaction's id, and the time. It
//! also queues a NOTIFY, which PostgreSQL delivers only if and when the
//! transaction commits, to wake the sequencer at once. (PostgreSQL
//! serialises the commits of notifying transactions on a database-wide
//! lock; at a complaint-handling write rate that costs nothing, and should
//! it ever matter the NOTIFY can go: the sequencer also polls.)

use sqlx::PgConnection;
use uuid::Uuid;

use super::{APPENDED_CHANNEL, NewEvent, OutboxError};
use crate::grpc::current_traceparent;

/// Appends `event` to the outbox of the schema `conn` is confined to, as
/// part of the transaction `conn` is in; returns the new event's id (a
/// UUIDv7). Call it in the same transaction as the change the event
/// announces, after the checks that might still refuse the change.
///
/// Fails with [`OutboxError::InvalidEvent`] when the event breaks the
/// outbox's rules (see [`NewEvent`]); nothing is written then.
pub async fn append(conn: &mut PgConnection, event: NewEvent) -> Result<Uuid, OutboxError> {
    event.validate()?;
    let NewEvent {
        event_type,
        subject,
        attributes,
        payload,
        schema_version,
        create_time,
    } = event;
    let event_id = Uuid::now_v7();
    let traceparent = current_traceparent();
    let attributes = serde_json::to_value(&attributes)
        .map_err(|_| OutboxError::invalid_event("the attributes cannot be encoded"))?;
    // One round trip: the insert, and the commit-time wake-up of the
    // sequencer (NOTIFYs are delivered only at commit, folded per channel).
    sqlx::query(
        "WITH inserted AS (
             INSERT INTO outbox_events
                 (event_id, event_type, subject, attributes, payload, schema_version,
                  traceparent, create_time)
             VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, now()))
             RETURNING 1
         )
         SELECT pg_notify($9 || current_schema(), '') FROM inserted",
    )
    .bind(event_id)
    .bind(&event_type)
    .bind(&subject)
    .bind(attributes)
    .bind(payload)
    .bind(schema_version)
    .bind(traceparent.as_deref())
    .bind(create_time.map(jiff_sqlx::Timestamp::from))
    .bind(APPENDED_CHANNEL)
    .execute(&mut *conn)
    .await?;
    tracing::debug!(event.id = %event_id, event.type = %event_type, "event appended to the outbox");
    Ok(event_id)
}
