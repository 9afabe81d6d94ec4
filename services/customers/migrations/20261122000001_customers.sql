-- The customers schema: profiles, contact points, consent, transactions,
-- interactions, satisfaction records, the history of stage and grade, and
-- request ids for safe retries. Runs with search_path set to the service's
-- own schema, as its owner role; nothing here names a schema.

CREATE TABLE customers (
    id                     uuid        PRIMARY KEY,
    display_name           text        NOT NULL,
    kind                   text        NOT NULL CHECK (kind IN ('person', 'organisation')),
    locale                 text,
    time_zone              text,
    preferred_channels     text[]      NOT NULL DEFAULT '{}',
    communication_style    text        CHECK (communication_style IN ('formal', 'familiar')),
    industry               text        NOT NULL DEFAULT '',
    business_scope         text        NOT NULL DEFAULT '',
    operating_status       text        CHECK (operating_status IN ('active', 'suspended', 'closed')),
    size                   text        CHECK (size IN ('large', 'medium', 'small')),
    tags                   text[]      NOT NULL DEFAULT '{}',
    key_account_adviser    text        NOT NULL DEFAULT '',
    external_reference     text        UNIQUE,
    lifecycle_stage        text        NOT NULL DEFAULT 'prospect'
        CHECK (lifecycle_stage IN ('prospect', 'established', 'mature', 'declining', 'churned', 'reactivated')),
    value_grade            text        NOT NULL DEFAULT 'D' CHECK (value_grade IN ('A', 'B', 'C', 'D')),
    reactivated_time       timestamptz,
    -- When time alone could next change the stage or grade; NULL when only a
    -- transaction can.
    next_review_time       timestamptz,
    last_transaction_time  timestamptz,
    satisfaction_count     integer     NOT NULL DEFAULT 0,
    satisfaction_current   double precision,
    satisfaction_recent    double precision,
    satisfaction_previous  double precision,
    satisfaction_trend     text,
    satisfaction_time      timestamptz,
    version                bigint      NOT NULL DEFAULT 1,
    create_time            timestamptz NOT NULL,
    update_time            timestamptz NOT NULL,
    erase_time             timestamptz,
    erase_reason           text
);

CREATE INDEX customers_review ON customers (next_review_time) WHERE next_review_time IS NOT NULL;
CREATE INDEX customers_grade ON customers (value_grade, id);
CREATE INDEX customers_stage ON customers (lifecycle_stage, id);
CREATE INDEX customers_tags ON customers USING gin (tags);

CREATE TABLE contact_points (
    customer_id  uuid    NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    kind         text    NOT NULL CHECK (kind IN ('phone', 'email', 'postal')),
    -- E.164 phone or e-mail as given; NULL for postal addresses.
    value        text,
    -- What search matches: E.164, or lower-case e-mail.
    normalized   text,
    postal       jsonb,
    region_code  text,
    verified     boolean NOT NULL DEFAULT false,
    label        text    NOT NULL DEFAULT '',
    PRIMARY KEY (customer_id, position)
);

CREATE INDEX contact_points_normalized ON contact_points (normalized) WHERE normalized IS NOT NULL;
CREATE INDEX contact_points_region ON contact_points (region_code, customer_id) WHERE region_code IS NOT NULL;

CREATE TABLE consents (
    customer_id  uuid        NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    purpose      text        NOT NULL,
    granted      boolean     NOT NULL,
    update_time  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, purpose)
);

CREATE TABLE transactions (
    id                  uuid        PRIMARY KEY,
    customer_id         uuid        NOT NULL REFERENCES customers (id),
    kind                text        NOT NULL CHECK (kind IN ('purchase', 'renewal', 'contract_end')),
    currency            text,
    amount_minor        bigint      CHECK (amount_minor >= 0),
    occur_time          timestamptz NOT NULL,
    external_reference  text        NOT NULL DEFAULT '',
    create_time         timestamptz NOT NULL
);

CREATE INDEX transactions_customer ON transactions (customer_id, occur_time);

CREATE TABLE interactions (
    id                 uuid        PRIMARY KEY,
    customer_id        uuid        NOT NULL REFERENCES customers (id),
    channel            text        NOT NULL,
    direction          text        NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    summary            text        NOT NULL,
    agent              text        NOT NULL,
    occur_time         timestamptz NOT NULL,
    related_complaint  text,
    create_time        timestamptz NOT NULL
);

CREATE INDEX interactions_customer ON interactions (customer_id, occur_time DESC, id DESC);

CREATE TABLE satisfaction_records (
    id                 uuid             PRIMARY KEY,
    customer_id        uuid             NOT NULL REFERENCES customers (id),
    perceived_value    double precision NOT NULL CHECK (perceived_value >= 0),
    expectation        double precision NOT NULL CHECK (expectation > 0),
    ratio              double precision NOT NULL,
    related_complaint  text,
    answer_time        timestamptz      NOT NULL,
    create_time        timestamptz      NOT NULL
);

CREATE INDEX satisfaction_customer ON satisfaction_records (customer_id, answer_time DESC, id DESC);

-- Append-only: the customer's stage, grade and size from `at` on. The churn
-- report reads who was active at a period's start and who churned in it.
CREATE TABLE customer_states (
    seq          bigserial   PRIMARY KEY,
    customer_id  uuid        NOT NULL REFERENCES customers (id),
    at           timestamptz NOT NULL,
    stage        text        NOT NULL,
    grade        text        NOT NULL,
    size         text
);

CREATE INDEX customer_states_customer ON customer_states (customer_id, at DESC, seq DESC);
CREATE INDEX customer_states_churned ON customer_states (at) WHERE stage = 'churned';

CREATE TABLE request_ids (
    operation    text        NOT NULL,
    request_id   uuid        NOT NULL,
    caller       text        NOT NULL,
    fingerprint  bytea       NOT NULL,
    response     bytea,
    create_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operation, request_id)
);
