-- The crisis service's schema: warnings and the series they come from,
-- crises with their state history, team, tasks (with an owner ledger),
-- affected customers and complaints (names only: ids of the customers and
-- complaints services' resources), statements, regulator reports, the
-- timeline, status reports and reviews; and the plan templates crises are
-- given. Runs with search_path set to the service's own schema.

-- Safe retries (redress_platform::idempotency).
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

------------------------------------------------------------ early warning

-- Complaints per series per minute, from the complaint feed. A series is a
-- dimension (category, product, region) and its value.
CREATE TABLE series_minutes (
    dimension   text        NOT NULL CHECK (dimension IN ('category', 'product', 'region')),
    value       text        NOT NULL,
    minute      timestamptz NOT NULL,
    count       integer     NOT NULL CHECK (count >= 0),
    PRIMARY KEY (dimension, value, minute)
);
CREATE INDEX series_minutes_minute ON series_minutes (minute);

-- Each series' baseline (EWMA of its per-minute counts), folded in up to
-- `last_minute` (exclusive of the minutes after it).
CREATE TABLE series_baselines (
    dimension         text             NOT NULL,
    value             text             NOT NULL,
    mean              double precision NOT NULL,
    variance          double precision NOT NULL,
    observed_minutes  bigint           NOT NULL,
    first_minute      timestamptz      NOT NULL,
    last_minute       timestamptz      NOT NULL,
    PRIMARY KEY (dimension, value)
);

-- Recent complaints as the feed described them (ids and routing codes
-- only), for rules over windows and for evidence samples. Pruned by age.
CREATE TABLE recent_complaints (
    complaint_id  uuid        PRIMARY KEY,
    create_time   timestamptz NOT NULL,
    category      text        NOT NULL,
    product       text        NOT NULL,
    region        text        NOT NULL,
    severity      text        NOT NULL,
    safety        boolean     NOT NULL,
    grade         text        NOT NULL
);
CREATE INDEX recent_complaints_time ON recent_complaints (create_time);

CREATE TABLE warnings (
    id                 uuid        PRIMARY KEY,
    source             text        NOT NULL CHECK (source IN ('spike', 'critical_complaints', 'churn', 'staff_report')),
    state              text        NOT NULL CHECK (state IN ('open', 'watched', 'snoozed', 'dismissed', 'escalated')),
    dedup_key          text        NOT NULL,
    -- The evidence of the first detection (Evidence as JSON).
    evidence           jsonb       NOT NULL DEFAULT '{}',
    detection_count    integer     NOT NULL DEFAULT 1 CHECK (detection_count >= 1),
    last_detect_time   timestamptz NOT NULL,
    signal_channel     text        NOT NULL DEFAULT '',
    summary            text        NOT NULL DEFAULT '',
    source_uri         text        NOT NULL DEFAULT '',
    actor              text        NOT NULL DEFAULT '',
    dismiss_reason     text        NOT NULL DEFAULT '',
    snooze_until_time  timestamptz,
    crisis_id          uuid,
    create_time        timestamptz NOT NULL,
    update_time        timestamptz NOT NULL,
    version            bigint      NOT NULL DEFAULT 1
);
CREATE INDEX warnings_dedup ON warnings (dedup_key, last_detect_time DESC);
CREATE INDEX warnings_list ON warnings (create_time DESC, id DESC);

----------------------------------------------------------------- crises

CREATE TABLE plan_templates (
    id           uuid        PRIMARY KEY,
    crisis_type  text        NOT NULL UNIQUE,
    title        text        NOT NULL,
    guidance     text        NOT NULL DEFAULT '',
    -- [{title, role, department, due_after_seconds}]
    tasks        jsonb       NOT NULL DEFAULT '[]',
    -- [{priority, every_seconds}]
    cadences     jsonb       NOT NULL DEFAULT '[]',
    version      integer     NOT NULL DEFAULT 1,
    create_time  timestamptz NOT NULL,
    update_time  timestamptz NOT NULL
);

-- Every version of every template as it was, with why it changed.
CREATE TABLE plan_template_versions (
    template_id  uuid        NOT NULL REFERENCES plan_templates (id),
    version      integer     NOT NULL,
    title        text        NOT NULL,
    guidance     text        NOT NULL,
    tasks        jsonb       NOT NULL,
    cadences     jsonb       NOT NULL,
    change_note  text        NOT NULL DEFAULT '',
    actor        text        NOT NULL,
    create_time  timestamptz NOT NULL,
    PRIMARY KEY (template_id, version)
);

CREATE TABLE crises (
    id                     uuid        PRIMARY KEY,
    title                  text        NOT NULL,
    crisis_type            text        NOT NULL,
    likelihood             smallint    NOT NULL CHECK (likelihood BETWEEN 1 AND 5),
    impact                 smallint    NOT NULL CHECK (impact BETWEEN 1 AND 5),
    risk_level             text        NOT NULL,
    priority               text        NOT NULL,
    -- CrisisScope: {products, regions, categories, customer_selector (the
    -- protobuf encoding, base64)}
    scope                  jsonb       NOT NULL DEFAULT '{}',
    drill                  boolean     NOT NULL,
    state                  text        NOT NULL CHECK (state IN ('declared', 'assessing', 'responding', 'replanning', 'stable', 'recovering', 'in_review', 'closed')),
    warning_id             uuid        REFERENCES warnings (id),
    complaint_id           uuid,
    declared_by            text        NOT NULL,
    plan_template_id       uuid        REFERENCES plan_templates (id),
    plan_template_version  integer,
    team_formed_time       timestamptz,
    first_statement_time   timestamptz,
    last_statement_time    timestamptz,
    update_reminded_time   timestamptz,
    heavy_customer_count   bigint      NOT NULL DEFAULT 0,
    normal_customer_count  bigint      NOT NULL DEFAULT 0,
    complaint_count        bigint      NOT NULL DEFAULT 0,
    timeline_sequence      bigint      NOT NULL DEFAULT 0,
    create_time            timestamptz NOT NULL,
    update_time            timestamptz NOT NULL,
    version                bigint      NOT NULL DEFAULT 1
);
CREATE INDEX crises_list ON crises (create_time DESC, id DESC);
CREATE INDEX crises_active ON crises (state) WHERE state <> 'closed';

ALTER TABLE warnings ADD CONSTRAINT warnings_crisis FOREIGN KEY (crisis_id) REFERENCES crises (id);

-- Every state a crisis entered, when.
CREATE TABLE crisis_states (
    crisis_id   uuid        NOT NULL REFERENCES crises (id),
    sequence    integer     NOT NULL,
    state       text        NOT NULL,
    enter_time  timestamptz NOT NULL,
    actor       text        NOT NULL,
    PRIMARY KEY (crisis_id, sequence)
);

CREATE TABLE team_members (
    crisis_id    uuid        NOT NULL REFERENCES crises (id),
    subject      text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('commander', 'communications_lead', 'spokesperson', 'liaison', 'scribe', 'member')),
    department   text        NOT NULL DEFAULT '',
    duties       text        NOT NULL DEFAULT '',
    assign_time  timestamptz NOT NULL,
    PRIMARY KEY (crisis_id, subject, role)
);
-- At most one commander (the code keeps at least one).
CREATE UNIQUE INDEX team_one_commander ON team_members (crisis_id) WHERE role = 'commander';

CREATE TABLE crisis_tasks (
    id               uuid        PRIMARY KEY,
    crisis_id        uuid        NOT NULL REFERENCES crises (id),
    title            text        NOT NULL,
    owner            text        NOT NULL CHECK (owner <> ''),
    department       text        NOT NULL DEFAULT '',
    due_time         timestamptz NOT NULL,
    state            text        NOT NULL CHECK (state IN ('open', 'done', 'cancelled')),
    overdue_time     timestamptz,
    completion_note  text        NOT NULL DEFAULT '',
    from_plan        boolean     NOT NULL,
    create_time      timestamptz NOT NULL,
    complete_time    timestamptz
);
CREATE INDEX crisis_tasks_crisis ON crisis_tasks (crisis_id, due_time, id);
CREATE INDEX crisis_tasks_due ON crisis_tasks (due_time) WHERE state = 'open' AND overdue_time IS NULL;

-- The owner ledger: every assignment of every task, the first included.
CREATE TABLE task_assignments (
    task_id      uuid        NOT NULL REFERENCES crisis_tasks (id),
    sequence     integer     NOT NULL,
    from_owner   text        NOT NULL DEFAULT '',
    to_owner     text        NOT NULL,
    actor        text        NOT NULL,
    reason       text        NOT NULL DEFAULT '',
    assign_time  timestamptz NOT NULL,
    PRIMARY KEY (task_id, sequence)
);

------------------------------------------------------- affected parties

CREATE TABLE affected_customers (
    crisis_id    uuid        NOT NULL REFERENCES crises (id),
    customer_id  uuid        NOT NULL,
    -- 2 heavy, 1 normal: heavily affected sort first.
    impact       smallint    NOT NULL CHECK (impact IN (1, 2)),
    link_time    timestamptz NOT NULL,
    PRIMARY KEY (crisis_id, customer_id)
);
CREATE INDEX affected_customers_order ON affected_customers (crisis_id, impact DESC, customer_id);

CREATE TABLE customer_links (
    id             uuid        PRIMARY KEY,
    crisis_id      uuid        NOT NULL REFERENCES crises (id),
    impact         smallint    NOT NULL CHECK (impact IN (1, 2)),
    -- The selector's protobuf encoding; NULL for a link of names.
    selector       bytea,
    state          text        NOT NULL CHECK (state IN ('running', 'done')),
    seen_count     bigint      NOT NULL DEFAULT 0,
    added_count    bigint      NOT NULL DEFAULT 0,
    -- A worker's claim on a running link, so replicas share the work and a
    -- dead worker's link is taken over.
    claim_until    timestamptz,
    create_time    timestamptz NOT NULL,
    complete_time  timestamptz
);
CREATE INDEX customer_links_running ON customer_links (create_time) WHERE state = 'running';

CREATE TABLE linked_complaints (
    crisis_id     uuid        NOT NULL REFERENCES crises (id),
    complaint_id  uuid        NOT NULL,
    source        text        NOT NULL CHECK (source IN ('manual', 'scope', 'origin')),
    link_time     timestamptz NOT NULL,
    PRIMARY KEY (crisis_id, complaint_id)
);
CREATE INDEX linked_complaints_order ON linked_complaints (crisis_id, link_time, complaint_id);

-- The counts each time they changed.
CREATE TABLE affected_counts (
    crisis_id              uuid        NOT NULL REFERENCES crises (id),
    time                   timestamptz NOT NULL,
    heavy_customer_count   bigint      NOT NULL,
    normal_customer_count  bigint      NOT NULL,
    complaint_count        bigint      NOT NULL
);
CREATE INDEX affected_counts_crisis ON affected_counts (crisis_id, time DESC);

------------------------------------------------------------- statements

CREATE TABLE statements (
    id               uuid        PRIMARY KEY,
    crisis_id        uuid        NOT NULL REFERENCES crises (id),
    audience         text        NOT NULL CHECK (audience IN ('affected_customers', 'all_customers', 'employees', 'regulators', 'media', 'partners')),
    -- [{locale, headline, body}], the default first.
    variants         jsonb       NOT NULL,
    critical         boolean     NOT NULL,
    state            text        NOT NULL CHECK (state IN ('draft', 'approved', 'released')),
    sequence         integer     NOT NULL,
    author           text        NOT NULL,
    approved_by      text        NOT NULL DEFAULT '',
    approve_time     timestamptz,
    released_by      text        NOT NULL DEFAULT '',
    release_time     timestamptz,
    deliveries       text[]      NOT NULL DEFAULT '{}',
    recipient_count  bigint      NOT NULL DEFAULT 0,
    create_time      timestamptz NOT NULL,
    update_time      timestamptz NOT NULL,
    version          bigint      NOT NULL DEFAULT 1,
    UNIQUE (crisis_id, audience, sequence)
);
CREATE INDEX statements_crisis ON statements (crisis_id, create_time, id);

CREATE TABLE regulator_reports (
    id            uuid        PRIMARY KEY,
    crisis_id     uuid        NOT NULL REFERENCES crises (id),
    regulator     text        NOT NULL,
    report_time   timestamptz NOT NULL,
    channel       text        NOT NULL DEFAULT '',
    content       text        NOT NULL,
    statement_id  uuid        REFERENCES statements (id),
    reference     text        NOT NULL DEFAULT '',
    recorded_by   text        NOT NULL,
    create_time   timestamptz NOT NULL
);
CREATE INDEX regulator_reports_crisis ON regulator_reports (crisis_id, report_time, id);

------------------------------------------------- timeline and review

CREATE TABLE timeline (
    crisis_id  uuid        NOT NULL REFERENCES crises (id),
    sequence   bigint      NOT NULL,
    time       timestamptz NOT NULL,
    kind       text        NOT NULL,
    actor      text        NOT NULL,
    summary    text        NOT NULL,
    details    jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (crisis_id, sequence)
);

CREATE TABLE status_reports (
    id           uuid        PRIMARY KEY,
    crisis_id    uuid        NOT NULL REFERENCES crises (id),
    conditions   text        NOT NULL,
    actions      text        NOT NULL,
    needs        text        NOT NULL DEFAULT '',
    state        text        NOT NULL,
    author       text        NOT NULL,
    create_time  timestamptz NOT NULL
);
CREATE INDEX status_reports_crisis ON status_reports (crisis_id, create_time DESC, id DESC);

CREATE TABLE reviews (
    crisis_id     uuid        PRIMARY KEY REFERENCES crises (id),
    root_cause    text        NOT NULL DEFAULT '',
    went_well     text[]      NOT NULL DEFAULT '{}',
    went_badly    text[]      NOT NULL DEFAULT '{}',
    lessons       text[]      NOT NULL DEFAULT '{}',
    -- [{title, owner, due_time}]
    actions       jsonb       NOT NULL DEFAULT '[]',
    plan_changes  text        NOT NULL DEFAULT '',
    author        text        NOT NULL,
    update_time   timestamptz NOT NULL,
    version       bigint      NOT NULL DEFAULT 1
);
