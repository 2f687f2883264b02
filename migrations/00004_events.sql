-- One append-only table of everything that happened to a message or an address.

-- +goose Up
CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The writing transaction. The feed orders by (tx, id) and serves only transactions older
    -- than every one still running, so a slow transaction never lands behind a cursor.
    tx          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    type        text NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    campaign_id bigint,
    contact_id  bigint,
    brand_id    bigint,
    link_id     integer,
    ip          text,
    user_agent  text,
    machine     boolean NOT NULL DEFAULT false,
    -- Why the event looked automated, e.g. {"head","proxy","fast"}.
    signals     text[] NOT NULL DEFAULT '{}',
    -- Reason or detail: suppression reason, SMTP reply, bounce status.
    reason      text NOT NULL DEFAULT '',
    data        jsonb,
    -- Idempotency key for events that may be delivered twice (a Redis stream entry, a message
    -- ID): a second insert with the same key is ignored.
    dedupe_key  text UNIQUE
);
CREATE INDEX events_feed_idx ON events (tx, id);
CREATE INDEX events_campaign_idx ON events (campaign_id, type);
CREATE INDEX events_contact_idx ON events (contact_id, occurred_at);

-- +goose Down
DROP TABLE events;
