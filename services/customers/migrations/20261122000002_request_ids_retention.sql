-- Request ids are forgotten after a retention period (see
-- `customers.request_id_retention_hours`); the periodic prune finds them by age.
CREATE INDEX request_ids_create_time ON request_ids (create_time);
