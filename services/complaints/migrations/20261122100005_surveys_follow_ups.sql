-- Satisfaction surveys and follow-ups of service recovery (issue 6).
-- Runs with search_path set to the service's own schema; names no schema.

-- A survey invitation made when the customer accepted a resolution, and its
-- answer. The token itself is never stored: only its SHA-256, by which an
-- answer finds the invitation. One answer per invitation: the answer
-- columns are written once, by the transaction that moves the state from
-- 'invited' to 'answered'.
CREATE TABLE complaint_surveys (
    id               uuid        PRIMARY KEY,
    complaint_id     uuid        NOT NULL REFERENCES complaints (id),
    token_sha256     bytea       NOT NULL UNIQUE,
    -- invited, answered, withdrawn (expired is invited past expire_time).
    state            text        NOT NULL CHECK (state IN ('invited', 'answered', 'withdrawn')),
    invite_time      timestamptz NOT NULL,
    expire_time      timestamptz NOT NULL,
    withdraw_time    timestamptz,
    csat             smallint    CHECK (csat BETWEEN 1 AND 5),
    perceived_value  double precision CHECK (perceived_value > 0),
    expectation      double precision CHECK (expectation > 0),
    would_return     text,
    comment          text        NOT NULL DEFAULT '',
    answer_time      timestamptz,
    recorded_by      text        NOT NULL DEFAULT '',
    CHECK ((state = 'answered') = (answer_time IS NOT NULL AND csat IS NOT NULL
        AND perceived_value IS NOT NULL AND expectation IS NOT NULL AND would_return IS NOT NULL))
);

CREATE INDEX complaint_surveys_complaint ON complaint_surveys (complaint_id, invite_time, id);

-- The follow-ups scheduled when a complaint is closed, on the configured
-- cadence, each due within the customer's working hours in their zone.
CREATE TABLE complaint_follow_ups (
    id            uuid        PRIMARY KEY,
    complaint_id  uuid        NOT NULL REFERENCES complaints (id),
    -- Which closure scheduled it (the complaint's reopen count then), and
    -- its place in that closure's cadence from 1.
    round         integer     NOT NULL,
    sequence      integer     NOT NULL CHECK (sequence >= 1),
    due_time      timestamptz NOT NULL,
    time_zone     text        NOT NULL,
    state         text        NOT NULL
                  CHECK (state IN ('scheduled', 'due', 'done', 'skipped', 'cancelled')),
    outcome       text        NOT NULL DEFAULT '',
    done_by       text        NOT NULL DEFAULT '',
    end_time      timestamptz,
    UNIQUE (complaint_id, round, sequence)
);

CREATE INDEX complaint_follow_ups_scheduled ON complaint_follow_ups (due_time)
    WHERE state = 'scheduled';
CREATE INDEX complaint_follow_ups_complaint ON complaint_follow_ups (complaint_id, due_time, id);
