-- What a consuming service keeps per feed it follows
-- (redress_platform::outbox::Consumer). Copy this file unchanged into the
-- service's migrations; it runs with search_path set to the service's own
-- schema and names no schema.
--
-- feed_cursors: the last position applied per feed, advanced in the same
-- transaction as the event's effects, and never moved back.
CREATE TABLE feed_cursors (
    feed         text        PRIMARY KEY,
    position     bigint      NOT NULL CHECK (position >= 0),
    update_time  timestamptz NOT NULL DEFAULT now()
);

-- applied_events: each event applied, by id, in the same transaction as its
-- effects; an event found here is skipped. Pruned by age
-- (outbox::prune_applied_events) once the cursor is long past it.
CREATE TABLE applied_events (
    feed          text        NOT NULL,
    event_id      uuid        NOT NULL,
    applied_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed, event_id)
);
CREATE INDEX applied_events_applied_time ON applied_events (applied_time);
