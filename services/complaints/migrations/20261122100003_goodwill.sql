-- Goodwill given to put a complaint right: proposed, approved (by someone
-- whose limit covers it, or at once by the good-faith rule), fulfilled; or
-- rejected; or cancelled. Money in integer minor units and an ISO 4217 code.
-- Runs with search_path set to the service's own schema; names no schema.

CREATE TABLE goodwill (
    id                 uuid        PRIMARY KEY,
    complaint_id       uuid        NOT NULL REFERENCES complaints (id),
    -- The complaint's customer, copied so totals per customer need no join.
    customer_id        uuid        NOT NULL,
    -- refund | redo_service | discount | voucher | gift | extra_service
    kind               text        NOT NULL,
    -- unclear | company | customer
    fault              text        NOT NULL,
    currency           text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount_minor       bigint      NOT NULL CHECK (amount_minor >= 0),
    description        text        NOT NULL DEFAULT '',
    -- proposed | approved | fulfilled | rejected | cancelled
    state              text        NOT NULL,
    proposed_by        text        NOT NULL,
    -- A staff subject, or system:good_faith.
    approved_by        text        NOT NULL DEFAULT '',
    approve_time       timestamptz,
    good_faith         boolean     NOT NULL DEFAULT false,
    fulfilled_by       text        NOT NULL DEFAULT '',
    fulfil_time        timestamptz,
    payment_reference  text        NOT NULL DEFAULT '',
    -- Who rejected or cancelled it, when and why.
    ended_by           text        NOT NULL DEFAULT '',
    end_time           timestamptz,
    end_reason         text        NOT NULL DEFAULT '',
    create_time        timestamptz NOT NULL,
    update_time        timestamptz NOT NULL,
    version            bigint      NOT NULL DEFAULT 1,
    -- Given only once approved.
    CHECK (state NOT IN ('approved', 'fulfilled') OR approve_time IS NOT NULL),
    CHECK (state <> 'fulfilled' OR fulfil_time IS NOT NULL)
);
CREATE INDEX goodwill_complaint ON goodwill (complaint_id, create_time, id);
CREATE INDEX goodwill_customer ON goodwill (customer_id, create_time, id);
