-- The notifications schema: templates, delivery preferences, staff contacts,
-- messages with every attempt, broadcasts and in-app inboxes.
-- Runs with search_path set to the service's own schema; names no schema.

-- A template: the wording of one kind on one channel ('' = any), in one
-- locale ('' = the kind's default) and style ('' = any). The row holds the
-- current version; every version is kept in template_versions.
CREATE TABLE templates (
    id           uuid        PRIMARY KEY,
    kind         text        NOT NULL,
    channel      text        NOT NULL DEFAULT '',
    locale       text        NOT NULL DEFAULT '',
    style        text        NOT NULL DEFAULT '',
    version      integer     NOT NULL CHECK (version >= 1),
    subject      text        NOT NULL DEFAULT '',
    body         text        NOT NULL,
    variables    text[]      NOT NULL DEFAULT '{}',
    create_time  timestamptz NOT NULL,
    update_time  timestamptz NOT NULL,
    UNIQUE (kind, channel, locale, style)
);

CREATE TABLE template_versions (
    template_id  uuid        NOT NULL REFERENCES templates (id),
    version      integer     NOT NULL,
    subject      text        NOT NULL,
    body         text        NOT NULL,
    variables    text[]      NOT NULL,
    create_time  timestamptz NOT NULL,
    PRIMARY KEY (template_id, version)
);

-- A recipient's delivery preferences; a recipient without a row has the
-- configured defaults. opt_outs is a JSON array of {category, channel}
-- (channel '' = every channel).
CREATE TABLE preferences (
    recipient     text        PRIMARY KEY,
    opt_outs      jsonb       NOT NULL DEFAULT '[]',
    quiet_set     boolean     NOT NULL DEFAULT false,
    quiet_enabled boolean     NOT NULL DEFAULT false,
    quiet_start   integer     NOT NULL DEFAULT 0 CHECK (quiet_start BETWEEN 0 AND 1439),
    quiet_end     integer     NOT NULL DEFAULT 0 CHECK (quiet_end BETWEEN 0 AND 1439),
    daily_cap     integer     NOT NULL DEFAULT 0 CHECK (daily_cap >= 0),
    version       bigint      NOT NULL DEFAULT 1,
    update_time   timestamptz NOT NULL
);

-- How a member of staff (agents/{subject}) or a team (teams/{id}) is reached.
CREATE TABLE staff_contacts (
    recipient         text        PRIMARY KEY,
    display_name      text        NOT NULL DEFAULT '',
    email             text        NOT NULL DEFAULT '',
    phone             text        NOT NULL DEFAULT '',
    chat_webhook_url  text        NOT NULL DEFAULT '',
    channels          text[]      NOT NULL DEFAULT '{}',
    locale            text        NOT NULL DEFAULT '',
    time_zone         text        NOT NULL DEFAULT '',
    update_time       timestamptz NOT NULL
);

-- A broadcast: one message to every member of an audience. The expander
-- claims an expanding broadcast (claim_until), queues its messages in
-- batches (each idempotent by the message's dedupe key, so a crashed
-- expansion is simply run again) and marks it queued.
CREATE TABLE broadcasts (
    id            uuid        PRIMARY KEY,
    kind          text        NOT NULL,
    category      text        NOT NULL,
    critical      boolean     NOT NULL,
    variables     jsonb       NOT NULL DEFAULT '{}',
    channels      text[]      NOT NULL DEFAULT '{}',
    audience      text        NOT NULL CHECK (audience IN ('customers', 'selector')),
    selector      bytea,
    state         text        NOT NULL CHECK (state IN ('expanding', 'queued', 'cancelled')),
    queued_count  bigint      NOT NULL DEFAULT 0,
    claim_until   timestamptz,
    created_by    text        NOT NULL,
    create_time   timestamptz NOT NULL,
    expand_time   timestamptz,
    update_time   timestamptz NOT NULL
);
CREATE INDEX broadcasts_expanding ON broadcasts (create_time) WHERE state = 'expanding';

-- The members of a broadcast to a list of customers.
CREATE TABLE broadcast_audience (
    broadcast_id  uuid  NOT NULL REFERENCES broadcasts (id),
    recipient     text  NOT NULL,
    PRIMARY KEY (broadcast_id, recipient)
);

-- A message to one recipient, and where its delivery is.
--   due_time: when a worker may next take it: the next attempt (queued,
--   held), or the end of a worker's lease (sending), after which another
--   worker takes it over. NULL in the final states.
--   plan: the channels to try, fixed when first taken; channel_index is the
--   one being tried, channel_attempts the attempts made on it.
--   dedupe_key: the request id, (broadcast, recipient) or (event, role):
--   the same message is never queued twice.
CREATE TABLE messages (
    id                uuid        PRIMARY KEY,
    dedupe_key        text        NOT NULL UNIQUE,
    recipient         text        NOT NULL,
    kind              text        NOT NULL,
    category          text        NOT NULL,
    critical          boolean     NOT NULL DEFAULT false,
    priority          smallint    NOT NULL DEFAULT 0,
    variables         jsonb,
    channels          text[]      NOT NULL DEFAULT '{}',
    complaint_id      uuid,
    broadcast_id      uuid        REFERENCES broadcasts (id),
    state             text        NOT NULL CHECK (state IN ('queued', 'held', 'sending', 'sent', 'delivered', 'failed', 'bounced', 'cancelled')),
    state_reason      text        NOT NULL DEFAULT '',
    plan              text[],
    channel           text        NOT NULL DEFAULT '',
    channel_index     integer     NOT NULL DEFAULT 0,
    channel_attempts  integer     NOT NULL DEFAULT 0,
    attempt_count     integer     NOT NULL DEFAULT 0,
    due_time          timestamptz,
    created_by        text        NOT NULL,
    create_time       timestamptz NOT NULL,
    send_time         timestamptz,
    update_time       timestamptz NOT NULL,
    CHECK ((state IN ('queued', 'held', 'sending')) = (due_time IS NOT NULL))
);
CREATE INDEX messages_due ON messages (priority DESC, due_time) WHERE due_time IS NOT NULL;
CREATE INDEX messages_recipient ON messages (recipient, create_time DESC, id DESC);
CREATE INDEX messages_complaint ON messages (complaint_id, create_time DESC, id DESC) WHERE complaint_id IS NOT NULL;
CREATE INDEX messages_broadcast ON messages (broadcast_id, state) WHERE broadcast_id IS NOT NULL;
CREATE INDEX messages_recent_sends ON messages (recipient, send_time) WHERE send_time IS NOT NULL AND NOT critical;

-- Every attempt at delivering a message, in order.
CREATE TABLE attempts (
    message_id        uuid        NOT NULL REFERENCES messages (id),
    seq               integer     NOT NULL,
    channel           text        NOT NULL,
    number            integer     NOT NULL,
    outcome           text        NOT NULL CHECK (outcome IN ('sent', 'delivered', 'retryable', 'refused')),
    detail            text        NOT NULL DEFAULT '',
    start_time        timestamptz NOT NULL,
    duration_ms       integer     NOT NULL,
    template_version  integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, seq)
);

-- In-app inboxes: a message delivered on the in-app channel, as rendered.
CREATE TABLE inbox_items (
    message_id   uuid        PRIMARY KEY REFERENCES messages (id),
    recipient    text        NOT NULL,
    kind         text        NOT NULL,
    subject      text        NOT NULL,
    body         text        NOT NULL,
    create_time  timestamptz NOT NULL,
    read_time    timestamptz
);
CREATE INDEX inbox_items_recipient ON inbox_items (recipient, create_time DESC, message_id DESC);
CREATE INDEX inbox_items_unread ON inbox_items (recipient) WHERE read_time IS NULL;

-- Request ids of retried creates (redress_platform::idempotency).
CREATE TABLE request_ids (
    operation    text        NOT NULL,
    request_id   uuid        NOT NULL,
    caller       text        NOT NULL,
    fingerprint  bytea       NOT NULL,
    response     bytea,
    create_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operation, request_id)
);
CREATE INDEX request_ids_create_time ON request_ids (create_time);
