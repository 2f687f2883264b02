-- Engagement: the feed's consumers. Webhook subscriptions and their deliveries, per-contact
-- engagement rollups, and the cursors of readers that fold the feed.

-- +goose Up

-- A position in the event feed (see package feed) kept by a reader inside Kirje. The feed orders
-- events by (tx, id); a reader has seen everything up to and including (tx, id).
CREATE TABLE feed_cursors (
    name       text PRIMARY KEY,
    tx         xid8 NOT NULL DEFAULT '0',
    id         bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO feed_cursors (name) VALUES ('engagement');

-- Endpoints that receive the feed as signed POSTs (Standard Webhooks).
CREATE TABLE webhook_subscriptions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url             text NOT NULL,
    -- Event types delivered; empty means every type.
    types           text[] NOT NULL DEFAULT '{}',
    description     text NOT NULL DEFAULT '',
    -- The signing key. The secret shown once at creation is 'whsec_' || base64 of these bytes;
    -- it is kept in clear because every delivery is signed with it.
    secret          bytea NOT NULL CHECK (octet_length(secret) BETWEEN 24 AND 64),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    disabled_reason text NOT NULL DEFAULT '',
    disabled_at     timestamptz,
    -- The feed position up to which events have been put into deliveries. It stays where it is
    -- while the subscription is disabled, so enabling it again resumes without a gap.
    cursor_tx       xid8 NOT NULL DEFAULT '0',
    cursor_id       bigint NOT NULL DEFAULT 0,
    -- One deliverer at a time holds a subscription (owner and expiry), so its deliveries go out
    -- one after another, in order.
    lease_owner     text,
    lease_until     timestamptz,
    created_by      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One POST's worth of events for one subscription. The body is stored as sent, so every attempt
-- carries the same bytes and the same webhook-id.
CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id  bigint NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    message_id       text NOT NULL UNIQUE,
    body             text NOT NULL,
    events           integer NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    attempts         integer NOT NULL DEFAULT 0,
    first_attempt_at timestamptz,
    next_attempt_at  timestamptz NOT NULL,
    last_attempt_at  timestamptz,
    last_status      integer, -- HTTP status of the last attempt; NULL when none came back
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);
-- A deliverer only ever reads the oldest pending delivery of its subscription.
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (subscription_id, id)
    WHERE status = 'pending';
-- Pruning delivered rows.
CREATE INDEX webhook_deliveries_delivered_idx ON webhook_deliveries (delivered_at)
    WHERE status = 'delivered';

-- Per-contact engagement, folded from the feed by the worker (package engagement). Opens and
-- clicks are human ones only; machine events stay in the feed and in reports on request.
CREATE TABLE contact_engagement (
    contact_id          bigint PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
    last_sent_at        timestamptz,
    last_open_at        timestamptz,
    last_click_at       timestamptz,
    last_unsubscribe_at timestamptz,
    sends_30d           integer NOT NULL DEFAULT 0,
    sends_90d           integer NOT NULL DEFAULT 0,
    opens_30d           integer NOT NULL DEFAULT 0,
    opens_90d           integer NOT NULL DEFAULT 0,
    clicks_30d          integer NOT NULL DEFAULT 0,
    clicks_90d          integer NOT NULL DEFAULT 0,
    -- The UTC day the window counts are correct for (days windows_day-29 … windows_day count
    -- as the last 30). NULL: counts need recomputing (new events); 'infinity': all counts are
    -- zero and stay zero until new events arrive, so the daily sweep skips the row.
    windows_day         date,
    -- Recency-weighted score as of score_at; engagement_score() decays it to any time.
    score               double precision NOT NULL DEFAULT 0,
    score_at            timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
-- The sweep finds rows whose windows must move (NULL or an earlier day) through this index.
CREATE INDEX contact_engagement_windows_idx ON contact_engagement (windows_day NULLS FIRST);

-- Daily counts behind the window counts: added to as events are folded, read back for the
-- contacts whose windows must be recomputed, pruned after 90 days.
CREATE TABLE contact_engagement_days (
    contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    day        date NOT NULL,
    sends      integer NOT NULL DEFAULT 0,
    opens      integer NOT NULL DEFAULT 0,
    clicks     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (contact_id, day)
);

-- engagement_score decays a stored score to time at: halved every 30 days. The one definition of
-- the half-life, shared by readers and by segment filters. The exponent is capped because
-- power() raises an error on float underflow (0.5^1000 is 1e-301, zero for every purpose).
CREATE FUNCTION engagement_score(score double precision, score_at timestamptz, at timestamptz)
    RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN score * power(0.5::double precision,
                         least(greatest(extract(epoch FROM at - score_at)::double precision, 0) / 2592000, 1000));

-- +goose Down
DROP FUNCTION engagement_score(double precision, timestamptz, timestamptz);
DROP TABLE contact_engagement_days;
DROP TABLE contact_engagement;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
DROP TABLE feed_cursors;
