-- Campaigns, their tracked links, and the send ledger: one row per (campaign, contact).

-- +goose Up
CREATE TABLE campaigns (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    brand_id         bigint NOT NULL REFERENCES brands (id),
    name             text NOT NULL,
    subject          text NOT NULL,
    html_body        text NOT NULL,
    text_body        text NOT NULL DEFAULT '',
    -- 'default' wraps the body in the embedded layout with the brand's footer; 'none' sends the
    -- body as it is (it must then carry the unsubscribe link itself).
    layout           text NOT NULL DEFAULT 'default' CHECK (layout IN ('default', 'none')),
    segment          jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'done', 'cancelled')),
    scheduled_at     timestamptz,
    -- Bumped on every (re)schedule: the start task's ID includes it, so a new schedule gets a new
    -- task while a repeated enqueue of the same schedule is refused by asynq.
    schedule_version integer NOT NULL DEFAULT 0,
    started_at       timestamptz,
    finished_at      timestamptz,
    created_by       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_status_idx ON campaigns (status) WHERE status IN ('scheduled', 'running');

-- The URLs a campaign's tracked links redirect to. A click token names (campaign, link id); the
-- target always comes from here, never from the request.
CREATE TABLE campaign_links (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    id          integer NOT NULL,
    url         text NOT NULL,
    honeypot    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (campaign_id, id)
);

-- The send ledger. Its primary key is what makes "never twice" hold: a contact enters a
-- campaign's audience once, and a row is claimed by one batch at a time (status 'sending' with a
-- lease); only an expired lease lets another claim it.
--
-- Neither column has a foreign key. The audience is written in one INSERT … SELECT of up to
-- millions of rows, and a foreign key check is a lookup per row (about a third of that statement's
-- time). campaign.Materialize locks the campaign row before inserting and campaigns are never
-- deleted (they are cancelled); erasure deletes the contact and leaves its rows as anonymous counts.
CREATE TABLE send_ledger (
    campaign_id bigint NOT NULL,
    contact_id  bigint NOT NULL,
    batch       integer NOT NULL,
    status      text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'dropped', 'bounced', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    not_before  timestamptz,
    lease_until timestamptz,
    message_id  text,
    -- Why a row was dropped, bounced or failed (suppression reason, SMTP reply).
    detail      text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, contact_id)
);
-- Batches claim their open rows through this index; finished rows drop out of it.
CREATE INDEX send_ledger_open_idx ON send_ledger (campaign_id, batch)
    WHERE status IN ('pending', 'sending');
-- The rows batches hold right now. Recording outcomes joins a few hundred (campaign, contact)
-- pairs against it; without it the planner hashes every open row of the campaign per commit
-- (5 ms per 100,000 ledger rows, at every group commit of the ledger writer).
CREATE INDEX send_ledger_sending_idx ON send_ledger (campaign_id, contact_id) WHERE status = 'sending';
-- No index on contact_id alone: it would cost every materialisation about a fifth of its time, and
-- nothing on the send path looks rows up by contact. A contact's sends are in events (indexed by
-- contact); add one here if privacy work needs the ledger by contact.

-- +goose Down
DROP TABLE send_ledger;
DROP TABLE campaign_links;
DROP TABLE campaigns;
