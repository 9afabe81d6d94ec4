-- The complaints schema: complaints and everything that happens to them.
-- Runs with search_path set to the service's own schema; names no schema.

-- The escalation structure: teams, their supervisors, departments and heads.
-- A team's id is the `team` claim of its members' tokens.
CREATE TABLE teams (
    id               text        PRIMARY KEY,
    display_name     text        NOT NULL,
    supervisor       text        NOT NULL DEFAULT '',
    department       text        NOT NULL DEFAULT '',
    department_head  text        NOT NULL DEFAULT '',
    version          bigint      NOT NULL DEFAULT 1,
    create_time      timestamptz NOT NULL,
    update_time      timestamptz NOT NULL
);

-- Numbers of human references (C-2026-000123). A sequence, not a counter
-- row, so concurrent intakes never wait on each other; a rolled-back intake
-- leaves a gap, which a reference may have.
CREATE SEQUENCE complaint_reference_numbers;

CREATE TABLE complaints (
    id                  uuid        PRIMARY KEY,
    reference           text        NOT NULL UNIQUE,
    customer_id         uuid        NOT NULL,
    channel             text        NOT NULL,
    kind                text        NOT NULL,
    summary             text        NOT NULL,
    description         text        NOT NULL DEFAULT '',
    product             text        NOT NULL DEFAULT '',
    region              text        NOT NULL DEFAULT '',
    category            text        NOT NULL,
    requested_remedy    text        NOT NULL DEFAULT '',
    motive              text        NOT NULL DEFAULT '',
    severity            text        NOT NULL,
    safety              boolean     NOT NULL DEFAULT false,
    language            text        NOT NULL DEFAULT '',
    escalation_reached  text        NOT NULL DEFAULT '',
    priority            text        NOT NULL,
    customer_grade      text        NOT NULL,
    state               text        NOT NULL,
    -- The state before a merge; set exactly while merged.
    merged_from_state   text,
    merged_into         uuid        REFERENCES complaints (id),
    -- The adoption rule: never without an owner.
    owner               text        NOT NULL CHECK (owner <> ''),
    owner_team          text        NOT NULL DEFAULT '',
    watchers            text[]      NOT NULL DEFAULT '{}',
    transfer_count      integer     NOT NULL DEFAULT 0,
    reopen_count        integer     NOT NULL DEFAULT 0,
    resolution          text        NOT NULL DEFAULT '',
    create_time         timestamptz NOT NULL,
    acknowledge_time    timestamptz,
    first_response_time timestamptz,
    resolve_time        timestamptz,
    close_time          timestamptz,
    update_time         timestamptz NOT NULL,
    -- The earliest due and warning times among the running SLA clocks, kept
    -- with the clocks; NULL when no clock runs.
    sla_due_time        timestamptz,
    sla_warn_time       timestamptz,
    -- Bumped by every change; the etag.
    version             bigint      NOT NULL DEFAULT 1,
    -- The last history sequence number used.
    history_count       bigint      NOT NULL DEFAULT 0,
    CHECK ((state = 'merged') = (merged_from_state IS NOT NULL AND merged_into IS NOT NULL))
);

CREATE INDEX complaints_created ON complaints (create_time DESC, id DESC);
CREATE INDEX complaints_customer ON complaints (customer_id, create_time DESC, id DESC);
CREATE INDEX complaints_owner ON complaints (owner, create_time DESC, id DESC);
CREATE INDEX complaints_team ON complaints (owner_team, create_time DESC, id DESC);
-- ListMyWork: an owner's open complaints by SLA urgency.
CREATE INDEX complaints_work_queue ON complaints (owner, sla_due_time, priority, id)
    WHERE state NOT IN ('resolved', 'closed', 'merged');
CREATE INDEX complaints_sla_due ON complaints (sla_due_time) WHERE sla_due_time IS NOT NULL;

-- Every state a complaint entered, for the SLA clocks (computed from it).
CREATE TABLE complaint_states (
    complaint_id  uuid        NOT NULL REFERENCES complaints (id),
    seq           integer     NOT NULL,
    state         text        NOT NULL,
    enter_time    timestamptz NOT NULL,
    PRIMARY KEY (complaint_id, seq)
);

-- The clocks as last computed: for lists, ListMyWork and statistics.
CREATE TABLE sla_clocks (
    complaint_id  uuid        NOT NULL REFERENCES complaints (id),
    kind          text        NOT NULL,
    cycle_start   timestamptz NOT NULL,
    target_ms     bigint      NOT NULL,
    elapsed_ms    bigint      NOT NULL,
    -- running | paused | stopped
    status        text        NOT NULL,
    warn_time     timestamptz,
    due_time      timestamptz,
    stop_time     timestamptz,
    met           boolean,
    PRIMARY KEY (complaint_id, kind)
);

-- Warnings, breaches and escalations still to raise, and those raised. A
-- pending alarm is replaced whenever the clocks are recomputed; a raised
-- one is kept, so the same alarm of the same cycle is never raised twice.
CREATE TABLE sla_alarms (
    complaint_id  uuid        NOT NULL REFERENCES complaints (id),
    clock         text        NOT NULL,
    cycle_start   timestamptz NOT NULL,
    -- warning | breach | escalation:<level>
    step          text        NOT NULL,
    due_time      timestamptz NOT NULL,
    fire_time     timestamptz,
    PRIMARY KEY (complaint_id, clock, cycle_start, step)
);
CREATE INDEX sla_alarms_pending ON sla_alarms (due_time) WHERE fire_time IS NULL;

-- Offers of a complaint to another agent or team.
CREATE TABLE hand_offs (
    id              uuid        PRIMARY KEY,
    complaint_id    uuid        NOT NULL REFERENCES complaints (id),
    from_owner      text        NOT NULL,
    to_agent        text        NOT NULL DEFAULT '',
    to_team         text        NOT NULL DEFAULT '',
    reason          text        NOT NULL,
    -- pending | accepted | declined | expired | withdrawn
    state           text        NOT NULL,
    create_time     timestamptz NOT NULL,
    expire_time     timestamptz NOT NULL,
    decided_by      text        NOT NULL DEFAULT '',
    decide_time     timestamptz,
    decline_reason  text        NOT NULL DEFAULT '',
    CHECK ((to_agent = '') <> (to_team = ''))
);
-- At most one pending offer per complaint.
CREATE UNIQUE INDEX hand_offs_one_pending ON hand_offs (complaint_id) WHERE state = 'pending';
CREATE INDEX hand_offs_to_agent ON hand_offs (to_agent) WHERE state = 'pending';
CREATE INDEX hand_offs_to_team ON hand_offs (to_team) WHERE state = 'pending';
CREATE INDEX hand_offs_expiry ON hand_offs (expire_time) WHERE state = 'pending';

-- The ownership ledger: every change of owner.
CREATE TABLE ownership_changes (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_id  uuid        NOT NULL REFERENCES complaints (id),
    -- intake | hand_off_accepted | reassigned
    kind          text        NOT NULL,
    from_owner    text        NOT NULL DEFAULT '',
    to_owner      text        NOT NULL,
    to_team       text        NOT NULL DEFAULT '',
    actor         text        NOT NULL,
    reason        text        NOT NULL DEFAULT '',
    hand_off_id   uuid        REFERENCES hand_offs (id),
    change_time   timestamptz NOT NULL
);
CREATE INDEX ownership_changes_complaint ON ownership_changes (complaint_id, id);

-- Help asked of others, who do not own the complaint.
CREATE TABLE assists (
    id            uuid        PRIMARY KEY,
    complaint_id  uuid        NOT NULL REFERENCES complaints (id),
    requested_by  text        NOT NULL,
    agent         text        NOT NULL DEFAULT '',
    department    text        NOT NULL DEFAULT '',
    question      text        NOT NULL,
    -- open | answered
    state         text        NOT NULL,
    answer        text        NOT NULL DEFAULT '',
    answered_by   text        NOT NULL DEFAULT '',
    create_time   timestamptz NOT NULL,
    answer_time   timestamptz,
    CHECK ((agent = '') <> (department = ''))
);
CREATE INDEX assists_complaint ON assists (complaint_id);
CREATE INDEX assists_open_agent ON assists (agent) WHERE state = 'open';
CREATE INDEX assists_open_department ON assists (department) WHERE state = 'open';

-- Internal notes and customer-visible messages; attachments by reference.
CREATE TABLE complaint_notes (
    id            uuid        PRIMARY KEY,
    complaint_id  uuid        NOT NULL REFERENCES complaints (id),
    author        text        NOT NULL,
    -- internal | customer
    visibility    text        NOT NULL,
    body          text        NOT NULL,
    attachments   jsonb       NOT NULL DEFAULT '[]',
    assist_id     uuid        REFERENCES assists (id),
    create_time   timestamptz NOT NULL
);
CREATE INDEX complaint_notes_complaint ON complaint_notes (complaint_id, create_time, id);

-- The append-only record of every change.
CREATE TABLE complaint_history (
    complaint_id  uuid        NOT NULL REFERENCES complaints (id),
    sequence      bigint      NOT NULL,
    actor         text        NOT NULL,
    via_service   text        NOT NULL DEFAULT '',
    action        text        NOT NULL,
    -- [{"field": ..., "before": ..., "after": ...}]
    changes       jsonb       NOT NULL DEFAULT '[]',
    change_time   timestamptz NOT NULL,
    PRIMARY KEY (complaint_id, sequence)
);

-- Answers of requests that carried a request_id (AIP-155).
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

-- The history and the ownership ledger are append-only: no role may change
-- or delete an entry.
CREATE FUNCTION refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER complaint_history_append_only BEFORE UPDATE OR DELETE ON complaint_history
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER ownership_changes_append_only BEFORE UPDATE OR DELETE ON ownership_changes
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
