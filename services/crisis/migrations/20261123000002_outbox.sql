-- Transactional outbox of a publishing service (redress_platform::outbox).
-- Copy this file unchanged into the service's migrations; it runs with
-- search_path set to the service's own schema and names no schema.
--
-- outbox_events: one row per event, written by outbox::append in the same
-- transaction as the change it announces. `position` stays NULL until the
-- sequencer gives the event its place in the feed, after its transaction
-- committed; readers read `position > cursor`, never `id > cursor`.
CREATE TABLE outbox_events (
    -- Insertion order. An identity (a sequence with CACHE 1, the default):
    -- values follow real time across sessions, so an event written after
    -- another event's transaction committed always has a greater id.
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    -- The writing transaction, for tying an event to its transaction.
    xid             xid8        NOT NULL DEFAULT pg_current_xact_id(),
    -- Place in the feed; NULL until sequenced, then never changes.
    position        bigint      UNIQUE,
    event_type      text        NOT NULL,
    subject         text        NOT NULL,
    attributes      jsonb       NOT NULL DEFAULT '{}',
    payload         jsonb       NOT NULL DEFAULT '{}',
    schema_version  integer     NOT NULL DEFAULT 1,
    -- W3C traceparent of the request that wrote the event, if traced.
    traceparent     text,
    create_time     timestamptz NOT NULL,
    sequence_time   timestamptz
);

-- What the sequencer looks for: committed events without a position.
CREATE INDEX outbox_events_unsequenced ON outbox_events (id) WHERE position IS NULL;
-- Pruning by age.
CREATE INDEX outbox_events_create_time ON outbox_events (create_time);

-- The feed's head: one row. `last_position` is the greatest position ever
-- given (pruning never lowers it); `pruned_through` the greatest position
-- pruning may have deleted, so a reader asking for older events is told
-- rather than silently skipping them.
CREATE TABLE outbox_head (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_position   bigint  NOT NULL DEFAULT 0,
    pruned_through  bigint  NOT NULL DEFAULT 0
);
INSERT INTO outbox_head DEFAULT VALUES;
