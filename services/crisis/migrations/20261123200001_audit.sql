-- The audit trail of security-relevant actions (shared/src/audit/audit.sql;
-- each service's migration is a byte-for-byte copy). Entries are written in
-- the transaction of the action they record, and never changed: the service's
-- login role may add and read them, not update, delete or truncate them.
CREATE TABLE audit_entries (
    id           uuid        PRIMARY KEY,
    action       text        NOT NULL CHECK (action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$'),
    target       text        NOT NULL,
    actor        text        NOT NULL CHECK (actor <> ''),
    actor_roles  text[]      NOT NULL,
    via_service  text,
    requested_by text,
    method       text        NOT NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('done', 'denied')),
    details      jsonb       NOT NULL CHECK (jsonb_typeof(details) = 'object'),
    create_time  timestamptz NOT NULL
);

CREATE INDEX audit_entries_by_time ON audit_entries (create_time DESC, id DESC);
CREATE INDEX audit_entries_by_action ON audit_entries (action, create_time DESC, id DESC);
CREATE INDEX audit_entries_by_actor ON audit_entries (actor, create_time DESC, id DESC);
CREATE INDEX audit_entries_by_target ON audit_entries (target, create_time DESC, id DESC);

-- Migrations run as the schema's owner with search_path set to the schema;
-- the default privileges provisioning set up gave the login role every table
-- privilege, so take the changing ones back here (provisioning and later
-- migrations take them back again: see redress_platform::db).
DO $$
DECLARE
    login name := 'redress_' || current_schema();
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM %I', login);
    END IF;
END $$;
