-- Inbound mail: messages kept for inspection, soft-bounce counting, and the send ledger's
-- Message-ID lookup for bounces that carry no token.

-- +goose Up

-- Messages the inbound pipeline could not read (malformed), could not attach to any send
-- (unmatched) or failed on (panic), kept for a person to look at. Only the first bytes are kept
-- (the cap is enforced here too); size is the whole message's. A message arriving twice is kept
-- once (sha256 of the whole message). Holds personal data: purge old rows (inbound.PurgeQuarantine).
CREATE TABLE inbound_quarantine (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    reason      text NOT NULL CHECK (reason IN ('malformed', 'unmatched', 'panic')),
    detail      text NOT NULL DEFAULT '',
    mail_from   text NOT NULL DEFAULT '',
    rcpt_to     text[] NOT NULL DEFAULT '{}',
    remote_addr text NOT NULL DEFAULT '',
    size        bigint NOT NULL,
    raw         bytea NOT NULL CHECK (octet_length(raw) <= 1048576),
    sha256      bytea NOT NULL UNIQUE CHECK (octet_length(sha256) = 32)
);
CREATE INDEX inbound_quarantine_received_idx ON inbound_quarantine (received_at);

-- One row per soft bounce of an address, at most one per returned message (message_key: the
-- campaign, so repeated reports about one message count once, or the report's own key when the
-- campaign is unknown). The address is kept only as its suppression hash. Rows older than the
-- counting window are deleted as new ones arrive for the address.
CREATE TABLE soft_bounces (
    address_hash bytea NOT NULL CHECK (octet_length(address_hash) = 32),
    message_key  text NOT NULL,
    bounced_at   timestamptz NOT NULL,
    PRIMARY KEY (address_hash, message_key)
);

-- Bounces without a VERP token are matched by the returned message's Message-ID. Partial: rows
-- get a Message-ID only when sent, so materialising an audience writes no index entries.
CREATE INDEX send_ledger_message_id_idx ON send_ledger (message_id) WHERE message_id IS NOT NULL;

-- +goose Down
DROP INDEX send_ledger_message_id_idx;
DROP TABLE soft_bounces;
DROP TABLE inbound_quarantine;
