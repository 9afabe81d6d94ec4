-- Broadcasts whose audience the caller adds in batches before starting them
-- (a crisis's affected customers): audience 'assembled', state 'assembling'
-- until started. Members added as `first` are expanded, and so delivered,
-- before the rest.
ALTER TABLE broadcasts DROP CONSTRAINT broadcasts_audience_check;
ALTER TABLE broadcasts ADD CONSTRAINT broadcasts_audience_check
    CHECK (audience IN ('customers', 'selector', 'assembled'));
ALTER TABLE broadcasts DROP CONSTRAINT broadcasts_state_check;
ALTER TABLE broadcasts ADD CONSTRAINT broadcasts_state_check
    CHECK (state IN ('assembling', 'expanding', 'queued', 'cancelled'));
ALTER TABLE broadcasts ADD COLUMN member_count bigint NOT NULL DEFAULT 0;
UPDATE broadcasts b SET member_count =
    (SELECT count(*) FROM broadcast_audience a WHERE a.broadcast_id = b.id);

ALTER TABLE broadcast_audience ADD COLUMN first boolean NOT NULL DEFAULT false;
CREATE INDEX broadcast_audience_order ON broadcast_audience (broadcast_id, first, recipient);
