-- When an endpoint last stopped answering; NULL while it answers.
ALTER TABLE endpoints ADD COLUMN offline_since INTEGER;
CREATE INDEX endpoints_offline ON endpoints (offline_since) WHERE offline_since IS NOT NULL;
