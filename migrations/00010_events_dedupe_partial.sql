-- Only events that may be written twice carry a dedupe key (the first event of each stream
-- entry of opens and clicks, and inbound bounce and complaint reports); most rows have none. A
-- UNIQUE constraint indexes their NULLs all the same, one index insertion per row for nothing: a
-- partial unique index keeps the guarantee for the keys and skips the NULLs. Building it reads events once, and
-- writes to events wait for it. Processes of earlier versions must be stopped first: their
-- ON CONFLICT (dedupe_key) names no predicate, and PostgreSQL does not match it to a partial
-- index (README, Upgrading).

-- +goose Up
CREATE UNIQUE INDEX events_dedupe_key_idx ON events (dedupe_key) WHERE dedupe_key IS NOT NULL;
ALTER TABLE events DROP CONSTRAINT events_dedupe_key_key;

-- +goose Down
ALTER TABLE events ADD CONSTRAINT events_dedupe_key_key UNIQUE (dedupe_key);
DROP INDEX events_dedupe_key_idx;
