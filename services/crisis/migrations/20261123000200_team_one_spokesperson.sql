-- A crisis speaks with one voice (DOMAIN.md: single spokesperson): at most
-- one spokesperson per crisis, as at most one commander.
CREATE UNIQUE INDEX team_one_spokesperson ON team_members (crisis_id) WHERE role = 'spokesperson';
