-- The feed's order, (tx, id), becomes the events table's primary key, and the index on id alone
-- goes. Every reader already walks (tx, id): the feed, the engagement fold, and retention from
-- now on. So one index insertion fewer for every event stored, the largest part of what an event
-- costs PostgreSQL (BENCHMARKS.md). Retention's bookmark gains the transaction of its position.
--
-- Building the new key reads events once and holds writes to it meanwhile (README, Upgrading);
-- on a large table, build it beforehand without blocking writes:
--   CREATE UNIQUE INDEX CONCURRENTLY events_tx_id_key ON events (tx, id);
-- and this migration takes that index over instead of building its own.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF to_regclass('events_tx_id_key') IS NULL THEN
        CREATE UNIQUE INDEX events_tx_id_key ON events (tx, id);
    ELSIF NOT EXISTS (SELECT 1 FROM pg_index i
                      WHERE i.indexrelid = 'events_tx_id_key'::regclass AND i.indrelid = 'events'::regclass
                        AND i.indisvalid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
                        AND pg_get_indexdef(i.indexrelid) LIKE '% USING btree (tx, id)') THEN
        -- e.g. a CONCURRENTLY build that was cancelled leaves an invalid index behind
        RAISE EXCEPTION 'events_tx_id_key exists but is not a valid unique index on events (tx, id): drop it, then migrate again (or build it again CONCURRENTLY)';
    END IF;
END
$$;
-- +goose StatementEnd
-- No event may be written from here on until the key is in place: the bookmark below must see
-- every transaction that wrote events before it.
LOCK TABLE events IN ACCESS EXCLUSIVE MODE;
ALTER TABLE retention_state ADD COLUMN last_tx xid8 NOT NULL DEFAULT '0';
-- A bookmark passed every event up to its id. An event with a higher id can have an older
-- transaction (transactions overlap; the sequence is not transactional), so the position in the
-- new order starts at the oldest transaction of the events not yet passed: some passed ones are
-- walked again, which changes nothing, and none unpassed is skipped.
UPDATE retention_state r
SET last_tx = coalesce((SELECT min(tx) FROM events WHERE id > r.last_id), (SELECT max(tx) FROM events), '0'),
    last_id = 0;
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_tx_id_key;
DROP INDEX events_feed_idx;

-- +goose Down
CREATE INDEX events_feed_idx ON events (tx, id);
-- The older walk reads "every event up to last_id is passed": go back to just before the first
-- event not yet passed in (tx, id) order.
UPDATE retention_state r
SET last_id = coalesce((SELECT min(id) - 1 FROM events WHERE (tx, id) > (r.last_tx, r.last_id)), r.last_id);
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id);
ALTER TABLE retention_state DROP COLUMN last_tx;
