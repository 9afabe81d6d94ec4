-- Service recovery: each complaint's plan of the seven steps with its root
-- cause, the closures supervisors allowed with steps missing, and the
-- improvement actions complaints taught, with the complaints they came from.
-- Runs with search_path set to the service's own schema; names no schema.

-- A complaint's recovery plan: one row from the first step recorded or the
-- acceptance of its resolution on. The root cause is the one recorded at the
-- last acceptance.
CREATE TABLE recovery_plans (
    complaint_id       uuid        PRIMARY KEY REFERENCES complaints (id),
    -- A code of the configured root-cause categories, or '' before resolution.
    root_cause         text        NOT NULL DEFAULT '',
    root_cause_detail  text        NOT NULL DEFAULT '',
    create_time        timestamptz NOT NULL,
    update_time        timestamptz NOT NULL
);

-- The steps done, at most one row per step: recording a step done again
-- changes nothing.
CREATE TABLE recovery_steps (
    complaint_id  uuid        NOT NULL REFERENCES recovery_plans (complaint_id),
    -- apology | fix | contact | goodwill | improvement | shared_with_staff | follow_up
    step          text        NOT NULL,
    actor         text        NOT NULL CHECK (actor <> ''),
    via_service   text        NOT NULL DEFAULT '',
    -- a recovery channel code, or '' when none applies
    channel       text        NOT NULL DEFAULT '',
    note          text        NOT NULL DEFAULT '',
    done_time     timestamptz NOT NULL,
    PRIMARY KEY (complaint_id, step)
);

-- Closures a supervisor allowed with steps missing; append-only.
CREATE TABLE closure_overrides (
    id             uuid        PRIMARY KEY,
    complaint_id   uuid        NOT NULL REFERENCES recovery_plans (complaint_id),
    actor          text        NOT NULL CHECK (actor <> ''),
    via_service    text        NOT NULL DEFAULT '',
    reason         text        NOT NULL CHECK (reason <> ''),
    -- step codes
    missing_steps  text[]      NOT NULL,
    override_time  timestamptz NOT NULL
);
CREATE INDEX closure_overrides_complaint ON closure_overrides (complaint_id, override_time, id);
CREATE TRIGGER closure_overrides_append_only BEFORE UPDATE OR DELETE ON closure_overrides
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

-- Improvement actions: one owner, a due time, a status, and the lesson.
CREATE TABLE improvement_actions (
    id           uuid        PRIMARY KEY,
    title        text        NOT NULL,
    description  text        NOT NULL DEFAULT '',
    owner        text        NOT NULL CHECK (owner <> ''),
    due_time     timestamptz NOT NULL,
    -- open | in_progress | done | cancelled
    status       text        NOT NULL,
    lesson       text        NOT NULL DEFAULT '',
    creator      text        NOT NULL,
    version      bigint      NOT NULL DEFAULT 1,
    create_time  timestamptz NOT NULL,
    update_time  timestamptz NOT NULL,
    -- Set exactly while done.
    done_time    timestamptz,
    CHECK ((status = 'done') = (done_time IS NOT NULL))
);
CREATE INDEX improvement_actions_created ON improvement_actions (create_time DESC, id DESC);
CREATE INDEX improvement_actions_owner ON improvement_actions (owner, create_time DESC, id DESC);
CREATE INDEX improvement_actions_lessons ON improvement_actions (done_time DESC, id DESC)
    WHERE status = 'done';

-- Which complaints an action came from (names only on the wire).
CREATE TABLE improvement_action_links (
    action_id     uuid        NOT NULL REFERENCES improvement_actions (id),
    complaint_id  uuid        NOT NULL REFERENCES complaints (id),
    actor         text        NOT NULL,
    link_time     timestamptz NOT NULL,
    PRIMARY KEY (action_id, complaint_id)
);
CREATE INDEX improvement_action_links_complaint ON improvement_action_links (complaint_id);
