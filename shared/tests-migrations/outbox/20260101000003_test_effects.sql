-- Test-only tables for the outbox tests: a business table whose rows commit
-- or roll back with their events, the side effects consumers' handlers write
-- (counted to prove exactly-once), and a deferred check that can make a
-- handler's transaction fail at COMMIT, after the handler ran.
CREATE TABLE widgets (
    id    uuid PRIMARY KEY,
    name  text NOT NULL
);

CREATE TABLE side_effects (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer     text   NOT NULL,
    event_id     uuid   NOT NULL,
    position     bigint NOT NULL,
    traceparent  text
);

CREATE TABLE commit_guards (
    id  bigint NOT NULL CHECK (id > 0)
);
-- A row inserted with a key missing from `commit_keys` fails only at COMMIT.
CREATE TABLE commit_keys (
    id  bigint PRIMARY KEY
);
ALTER TABLE commit_guards ADD CONSTRAINT commit_guards_key
    FOREIGN KEY (id) REFERENCES commit_keys (id) DEFERRABLE INITIALLY DEFERRED;
